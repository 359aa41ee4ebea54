package sqldb

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Rating levels of GB/T 39734: 5 非常满意 … 1 非常不满意. Ratings of 2 and 1
// are bad (差评) and open a rectification.
const (
	RatingVerySatisfied    = 5
	RatingSatisfied        = 4
	RatingFair             = 3
	RatingDissatisfied     = 2
	RatingVeryDissatisfied = 1
)

// RatingIndicators are the evaluation indicators a rater may tick (GB/T
// 39734 / 39735: channel, guide, materials, process, time, visits,
// attitude, result), in the order forms show them.
var RatingIndicators = []string{"channel", "guide", "materials", "process", "time", "visits", "attitude", "result"}

// Rating channels.
const (
	RateByTracking = "tracking" // the public tracking page: number and verification code
	RateByPortal   = "portal"   // the resident portal
)

// Rating is one resident's evaluation of one case. It names no person.
type Rating struct {
	ID         int64     `json:"id"`
	CaseNumber string    `json:"case_number"`
	Matter     string    `json:"matter"`
	Department string    `json:"department"`
	Score      int       `json:"score"`
	Indicators []string  `json:"indicators"`
	Comment    string    `json:"comment,omitempty"`
	Channel    string    `json:"channel"`
	At         time.Time `json:"at"`
}

// Bad reports whether the rating is 不满意 or 非常不满意.
func (r Rating) Bad() bool { return r.Score <= RatingDissatisfied }

// RatingInput is a rating as submitted. Either Code (the case's
// verification code, from the tracking page) or PersonID (a signed-in
// resident, from the portal) proves the rater may rate the case.
type RatingInput struct {
	CaseNumber string
	Code       string
	PersonID   int64
	Score      int
	Indicators []string
	Comment    string
}

// Rectification statuses.
const (
	RectificationOpen   = "open"
	RectificationClosed = "closed"
)

// Rectification is the department's work on a bad rating: a working-day
// clock, the call-back to the resident, the action taken. What officers
// see of it names neither the resident nor the case.
type Rectification struct {
	ID         int64      `json:"id"`
	RatingID   int64      `json:"rating_id"`
	Matter     string     `json:"matter"`
	Department string     `json:"department"`
	Status     string     `json:"status"`
	OpenedAt   time.Time  `json:"opened_at"`
	Due        string     `json:"due"`
	Score      int        `json:"score"`
	Indicators []string   `json:"indicators"`
	Comment    string     `json:"comment,omitempty"`
	Action     string     `json:"action,omitempty"`
	Callback   string     `json:"callback,omitempty"`
	CallbackBy string     `json:"callback_by,omitempty"`
	CallbackAt *time.Time `json:"callback_at,omitempty"`
	ClosedBy   string     `json:"closed_by,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	OnTime     bool       `json:"on_time"` // closed by its due date, or still within it
}

// Rate records the one rating of a delivered case and, for a bad one,
// opens the rectification assigned to the department that handled it,
// with its notification, in the same transaction. A wrong code, another
// resident's case and an unknown number get the same answer.
func (db *DB) Rate(ctx context.Context, in RatingInput) (*Rating, *Rectification, error) {
	notFound := onedoor.Errorf(onedoor.ENOTFOUND, "No case matches this number and verification code.")
	in.CaseNumber = strings.TrimSpace(in.CaseNumber)
	if in.Score < RatingVeryDissatisfied || in.Score > RatingVerySatisfied {
		return nil, nil, onedoor.FieldErrorf("score", "Choose one of the five levels, from 非常满意 (very satisfied) to 非常不满意 (very dissatisfied).")
	}
	var inds []string
	for _, x := range in.Indicators {
		if !slices.Contains(RatingIndicators, x) {
			return nil, nil, onedoor.FieldErrorf("indicators", "%q is not an evaluation indicator.", x)
		}
		if !slices.Contains(inds, x) {
			inds = append(inds, x)
		}
	}
	comment, err := onedoor.CleanText("comment", in.Comment)
	if err != nil {
		return nil, nil, err
	}
	channel := RateByPortal
	if in.PersonID == 0 {
		channel = RateByTracking
		if in.CaseNumber == "" || len(in.CaseNumber) > 40 || in.Code == "" || len(in.Code) > 40 {
			return nil, nil, notFound
		}
	}
	var rating *Rating
	var rect *Rectification
	err = db.update(ctx, func(tx *Tx) error {
		var id int64
		var state, verify, dept string
		err := tx.QueryRowContext(tx.ctx, `SELECT id, state, verify_hash, department FROM cases WHERE number = $1`, in.CaseNumber).Scan(&id, &state, &verify, &dept)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return internal("rate", err)
		}
		var c onedoor.Case
		if err := json.Unmarshal([]byte(state), &c); err != nil {
			return internal("rate", err)
		}
		if in.PersonID != 0 {
			if c.Subject != onedoor.Natural || c.ApplicantID != in.PersonID {
				return notFound
			}
		} else if subtle.ConstantTimeCompare([]byte(verify), []byte(db.verifyHash(in.CaseNumber, strings.ToUpper(strings.TrimSpace(in.Code))))) != 1 {
			return notFound
		}
		if c.Status != onedoor.StatusDelivered {
			return onedoor.Errorf(onedoor.ECONFLICT, "Case %s can be rated once its result is delivered.", c.Number)
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		indJSON, _ := json.Marshal(inds)
		rating = &Rating{CaseNumber: c.Number, Matter: c.Matter, Department: dept, Score: in.Score, Indicators: inds, Comment: comment, Channel: channel, At: now}
		err = tx.QueryRowContext(tx.ctx, `INSERT INTO ratings (case_id, case_number, matter, department, score, indicators, comment, channel, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id) DO NOTHING RETURNING id`,
			id, c.Number, c.Matter, dept, in.Score, string(indJSON), comment, channel, ts(now)).Scan(&rating.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return onedoor.Errorf(onedoor.ECONFLICT, "Case %s has already been rated; each case is rated once.", c.Number)
		}
		if err != nil {
			return internal("insert rating", err)
		}
		body, _ := json.Marshal(map[string]any{"rating": rating.ID, "matter": rating.Matter, "department": dept, "score": rating.Score,
			"indicators": inds, "channel": channel})
		if err := tx.logSupervision("rating", rating.ID, "rated", channel, body); err != nil {
			return err
		}
		if !rating.Bad() {
			return nil
		}
		days := currentRules().Rating.RectificationDays
		rect = &Rectification{RatingID: rating.ID, Matter: c.Matter, Department: dept, Status: RectificationOpen, OpenedAt: now,
			Due: db.cal.AddWorkdays(now, days).Format(time.DateOnly), Score: rating.Score, Indicators: inds, Comment: comment, OnTime: true}
		if err := tx.QueryRowContext(tx.ctx, `INSERT INTO rectifications (rating_id, case_id, matter, department, opened_at, due) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			rect.RatingID, id, rect.Matter, rect.Department, ts(now), rect.Due).Scan(&rect.ID); err != nil {
			return internal("insert rectification", err)
		}
		return tx.rectificationChanged(rect, "opened", "system")
	})
	if err != nil {
		return nil, nil, err
	}
	return rating, rect, nil
}

// rectificationChanged logs a change and tells the department's officers
// and leaders. The message names the rectification and the matter, never
// the case or the resident.
func (tx *Tx) rectificationChanged(r *Rectification, action, actor string) error {
	body, _ := json.Marshal(map[string]any{"rectification": r.ID, "matter": r.Matter, "department": r.Department,
		"status": r.Status, "due": r.Due, "score": r.Score, "indicators": r.Indicators})
	if err := tx.logSupervision("rectification", r.ID, action, actor, body); err != nil {
		return err
	}
	if err := tx.enqueue("log", "officers:"+r.Department, "rectification."+action, body); err != nil {
		return err
	}
	return tx.enqueue("log", "leaders:"+r.Department, "rectification."+action, body)
}

// FindRating returns the rating of a case, ENOTFOUND when it has none.
func (db *DB) FindRating(ctx context.Context, number string) (*Rating, error) {
	var r Rating
	var inds, at string
	err := db.read.QueryRowContext(ctx, `SELECT id, case_number, matter, department, score, indicators, comment, channel, at FROM ratings WHERE case_number = $1`, number).
		Scan(&r.ID, &r.CaseNumber, &r.Matter, &r.Department, &r.Score, &inds, &r.Comment, &r.Channel, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "Case %s has not been rated.", number)
	}
	if err != nil {
		return nil, internal("find rating", err)
	}
	json.Unmarshal([]byte(inds), &r.Indicators)
	r.At, _ = parseTS(at)
	return &r, nil
}

const rectColumns = `x.id, x.rating_id, x.matter, x.department, x.status, x.opened_at, x.due, x.action_taken, x.callback, x.callback_by, x.callback_at, x.closed_by, x.closed_at, r.score, r.indicators, r.comment`

func (db *DB) scanRect(row interface{ Scan(...any) error }) (*Rectification, error) {
	var x Rectification
	var opened, cbAt, closed, inds string
	if err := row.Scan(&x.ID, &x.RatingID, &x.Matter, &x.Department, &x.Status, &opened, &x.Due, &x.Action, &x.Callback, &x.CallbackBy, &cbAt,
		&x.ClosedBy, &closed, &x.Score, &inds, &x.Comment); err != nil {
		return nil, err
	}
	x.OpenedAt, _ = parseTS(opened)
	if t, err := parseTS(cbAt); err == nil {
		x.CallbackAt = &t
	}
	if t, err := parseTS(closed); err == nil {
		x.ClosedAt = &t
	}
	json.Unmarshal([]byte(inds), &x.Indicators)
	end := db.now()
	if x.ClosedAt != nil {
		end = *x.ClosedAt
	}
	x.OnTime = end.In(calendar.Location).Format(time.DateOnly) <= x.Due
	return &x, nil
}

// FindRectifications lists a department's rectifications ("" for all),
// open ones first, then by due date.
func (db *DB) FindRectifications(ctx context.Context, dept string) ([]*Rectification, error) {
	q := `SELECT ` + rectColumns + ` FROM rectifications x JOIN ratings r ON r.id = x.rating_id`
	var args []any
	if dept != "" {
		q += ` WHERE x.department = $1`
		args = append(args, dept)
	}
	q += ` ORDER BY CASE WHEN x.status = 'open' THEN 0 ELSE 1 END, x.due, x.id LIMIT 500`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("find rectifications", err)
	}
	defer rows.Close()
	var out []*Rectification
	for rows.Next() {
		x, err := db.scanRect(rows)
		if err != nil {
			return nil, internal("scan rectification", err)
		}
		out = append(out, x)
	}
	return out, internal("find rectifications", rows.Err())
}

func (tx *Tx) rectByID(id int64) (*Rectification, error) {
	x, err := tx.db.scanRect(tx.QueryRowContext(tx.ctx, `SELECT `+rectColumns+` FROM rectifications x JOIN ratings r ON r.id = x.rating_id WHERE x.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No rectification %d exists.", id)
	}
	return x, internal("find rectification", err)
}

// rectActor checks that a is an officer or leader of the rectification's
// department; another department gets "not found", as for cases.
func rectActor(x *Rectification, a onedoor.Actor) error {
	if (a.Role != onedoor.RoleOfficer && a.Role != onedoor.RoleLeader) || a.Department != x.Department {
		return onedoor.Errorf(onedoor.ENOTFOUND, "No rectification %d exists.", x.ID)
	}
	if x.Status != RectificationOpen {
		return onedoor.Errorf(onedoor.ECONFLICT, "Rectification %d is already closed.", x.ID)
	}
	return nil
}

// RecordCallback records the call-back to the resident (made through the
// centre's relay line, so the department never learns who rated).
func (db *DB) RecordCallback(ctx context.Context, id int64, a onedoor.Actor, text string) (*Rectification, error) {
	text, err := cleanLong("callback", text)
	if err != nil {
		return nil, err
	}
	var out *Rectification
	err = db.update(ctx, func(tx *Tx) error {
		x, err := tx.rectByID(id)
		if err != nil {
			return err
		}
		if err := rectActor(x, a); err != nil {
			return err
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		x.Callback, x.CallbackBy, x.CallbackAt = text, a.Name, &now
		if _, err := tx.ExecContext(tx.ctx, `UPDATE rectifications SET callback = $1, callback_by = $2, callback_at = $3 WHERE id = $4`, text, a.Name, ts(now), id); err != nil {
			return internal("record callback", err)
		}
		out = x
		return tx.rectificationChanged(x, "callback", actorLabel(a))
	})
	return out, err
}

// CloseRectification closes a rectification with the action taken. It is
// refused until the call-back is recorded.
func (db *DB) CloseRectification(ctx context.Context, id int64, a onedoor.Actor, action string) (*Rectification, error) {
	action, err := cleanLong("action", action)
	if err != nil {
		return nil, err
	}
	var out *Rectification
	err = db.update(ctx, func(tx *Tx) error {
		x, err := tx.rectByID(id)
		if err != nil {
			return err
		}
		if err := rectActor(x, a); err != nil {
			return err
		}
		if x.Callback == "" {
			return onedoor.FieldErrorf("callback", "Rectification %d cannot be closed before the call-back to the resident is recorded.", id)
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		x.Status, x.Action, x.ClosedBy, x.ClosedAt = RectificationClosed, action, a.Name, &now
		x.OnTime = now.In(calendar.Location).Format(time.DateOnly) <= x.Due
		if _, err := tx.ExecContext(tx.ctx, `UPDATE rectifications SET status = $1, action_taken = $2, closed_by = $3, closed_at = $4 WHERE id = $5 AND status = 'open'`,
			x.Status, action, a.Name, ts(now), id); err != nil {
			return internal("close rectification", err)
		}
		out = x
		return tx.rectificationChanged(x, "closed", actorLabel(a))
	})
	return out, err
}

// Scorecard is how residents judged one department or matter.
type Scorecard struct {
	Key          string `json:"key"`
	Ratings      int    `json:"ratings"`
	Satisfied    int    `json:"satisfied"` // 基本满意 or better
	ScoreSum     int    `json:"score_sum"`
	Bad          int    `json:"bad"`
	Rectified    int    `json:"rectified"`         // rectifications closed
	RectOnTime   int    `json:"rectified_on_time"` // … by their due date
	RectOverdue  int    `json:"rectifications_overdue"`
	Complaints   int    `json:"complaints"`
	Reopened     int    `json:"reopened"`
	ComplaintsOK int    `json:"complaints_resolved"`
	Recontacts   int    `json:"recontacts"`
}

// RecontactRate is the share of complaints that were a resident's second
// or later about the same matter, in percent.
func (s Scorecard) RecontactRate() float64 { return pct(s.Recontacts, s.Complaints) }

// SatisfactionRate is the share of ratings 基本满意 or better, in percent.
func (s Scorecard) SatisfactionRate() float64 { return pct(s.Satisfied, s.Ratings) }

// AverageScore is the mean level, 1 to 5.
func (s Scorecard) AverageScore() float64 {
	if s.Ratings == 0 {
		return 0
	}
	return float64(s.ScoreSum) / float64(s.Ratings)
}

// RectOnTimeRate is the share of closed rectifications closed in time, in percent.
func (s Scorecard) RectOnTimeRate() float64 { return pct(s.RectOnTime, s.Rectified) }

// ReopenRate is the share of complaints reopened by the resident, in percent.
func (s Scorecard) ReopenRate() float64 { return pct(s.Reopened, s.Complaints) }

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// Scorecards sums ratings, rectifications and complaints by "department"
// or "matter", most ratings first.
func (db *DB) Scorecards(ctx context.Context, by string) ([]Scorecard, error) {
	col := "department"
	if by == "matter" {
		col = "matter"
	} else if by != "department" {
		return nil, onedoor.FieldErrorf("by", "Scorecards are by department or by matter, not %q.", by)
	}
	cards := map[string]*Scorecard{}
	get := func(k string) *Scorecard {
		s := cards[k]
		if s == nil {
			s = &Scorecard{Key: k}
			cards[k] = s
		}
		return s
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+col+`, score, COUNT(*) FROM ratings GROUP BY `+col+`, score`)
	if err != nil {
		return nil, internal("scorecards", err)
	}
	for rows.Next() {
		var k string
		var score, n int
		if err := rows.Scan(&k, &score, &n); err != nil {
			rows.Close()
			return nil, internal("scorecards", err)
		}
		s := get(k)
		s.Ratings += n
		s.ScoreSum += score * n
		if score >= RatingFair {
			s.Satisfied += n
		}
		if score <= RatingDissatisfied {
			s.Bad += n
		}
	}
	rows.Close()
	today := db.now().In(calendar.Location).Format(time.DateOnly)
	rows, err = db.read.QueryContext(ctx, `SELECT `+col+`, status, due, closed_at FROM rectifications`)
	if err != nil {
		return nil, internal("scorecards", err)
	}
	for rows.Next() {
		var k, status, due, closed string
		if err := rows.Scan(&k, &status, &due, &closed); err != nil {
			rows.Close()
			return nil, internal("scorecards", err)
		}
		s := get(k)
		if status == RectificationClosed {
			s.Rectified++
			if t, err := parseTS(closed); err == nil && t.In(calendar.Location).Format(time.DateOnly) <= due {
				s.RectOnTime++
			}
		} else if today > due {
			s.RectOverdue++
		}
	}
	rows.Close()
	if err := db.complaintScores(ctx, col, get); err != nil {
		return nil, err
	}
	out := make([]Scorecard, 0, len(cards))
	for _, s := range cards {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Scorecard) int {
		if a.Ratings != b.Ratings {
			return b.Ratings - a.Ratings
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// complaintScores adds the complaint counts of each key: complaints,
// reopened ones, closed ones (accepted by the resident) and re-contacts
// (a resident complaining again about the same matter).
func (db *DB) complaintScores(ctx context.Context, col string, get func(string) *Scorecard) error {
	rows, err := db.read.QueryContext(ctx, `SELECT `+col+`, person_id, matter, status, reopens FROM complaints ORDER BY id`)
	if err != nil {
		return internal("scorecards", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var k, matter, status string
		var person int64
		var reopens int
		if err := rows.Scan(&k, &person, &matter, &status, &reopens); err != nil {
			return internal("scorecards", err)
		}
		s := get(k)
		s.Complaints++
		if reopens > 0 {
			s.Reopened++
		}
		if status == ComplaintClosed {
			s.ComplaintsOK++
		}
		key := fmt.Sprintf("%d\x00%s", person, matter)
		if seen[key] {
			s.Recontacts++
		}
		seen[key] = true
	}
	return internal("scorecards", rows.Err())
}
