package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/supervise"
	"onedoor/workflow"
)

// Card statuses: issued → explained (by the responsible officer) → closed
// (by a supervisor). A card is never deleted.
const (
	CardIssued    = "issued"
	CardExplained = "explained"
	CardClosed    = "closed"
)

// Card is a supervision card (电子监察: warning, yellow or red) on a case.
type Card struct {
	ID          int64           `json:"id"`
	CaseID      int64           `json:"case_id"`
	CaseNumber  string          `json:"case_number"`
	Matter      string          `json:"matter"`
	Department  string          `json:"department"`
	OfficerID   int64           `json:"officer_id,omitempty"`
	OfficerName string          `json:"officer_name,omitempty"`
	Rule        string          `json:"rule"`
	Level       supervise.Level `json:"level"`
	Key         string          `json:"key"`
	Detail      onedoor.Text    `json:"detail"`
	Status      string          `json:"status"`
	IssuedAt    time.Time       `json:"issued_at"`
	IssuedOn    string          `json:"issued_on"`
	Explanation string          `json:"explanation,omitempty"`
	ExplainedBy string          `json:"explained_by,omitempty"`
	ExplainedAt *time.Time      `json:"explained_at,omitempty"`
	ClosingNote string          `json:"closing_note,omitempty"`
	ClosedBy    string          `json:"closed_by,omitempty"`
	ClosedAt    *time.Time      `json:"closed_at,omitempty"`
}

// CardFilter selects cards.
type CardFilter struct {
	Department string
	Status     string
	Level      supervise.Level
	CaseNumber string
	OfficerID  int64
	Limit      int
}

// LogEntry is one record of the supervision log.
type LogEntry struct {
	Seq    int64     `json:"seq"`
	Kind   string    `json:"kind"` // card, rating, rectification
	RefID  int64     `json:"ref_id"`
	Action string    `json:"action"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
	Body   string    `json:"body"`
	Hash   string    `json:"hash"`
}

// supervisedStatuses are those whose clocks the rules watch; rejected cases
// are read for the conduct rules for a while after their refusal.
var supervisedStatuses = []string{"in_progress", "supplement", "suspended", "approved"}

// rejectLookback is how far back refused cases are judged by the conduct
// rules: long enough to survive an evaluator that was down for a while.
const rejectLookback = 7 * 24 * time.Hour

// Supervise evaluates the rules over every open case (and recently refused
// ones) at the store's clock, and issues a card for every level a clock or
// act reaches that it has not reached before. Each card is written with its
// log entry and the notifications of the responsible officer and the
// department's leaders in one transaction. It returns the new cards.
func (db *DB) Supervise(ctx context.Context, r supervise.Rules) ([]*Card, error) {
	now := db.now()
	ph := make([]string, len(supervisedStatuses))
	args := make([]any, 0, len(supervisedStatuses)+1)
	for i, s := range supervisedStatuses {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args = append(args, s)
	}
	args = append(args, ts(now.Add(-rejectLookback)))
	rows, err := db.read.QueryContext(ctx, `SELECT id, state FROM cases WHERE status IN (`+strings.Join(ph, ", ")+`)
		OR (status = 'rejected' AND closed_at >= $`+fmt.Sprint(len(args))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, internal("supervise", err)
	}
	type hit struct {
		c  *onedoor.Case
		m  *onedoor.Matter
		fs []supervise.Finding
	}
	var hits []hit
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, internal("supervise", err)
		}
		m, err := db.matter(c.Matter, c.MatterVersion)
		if err != nil {
			rows.Close()
			return nil, err
		}
		var evs []onedoor.Event
		if c.Status == onedoor.StatusRejected {
			if evs, err = db.Events(ctx, c.ID); err != nil {
				rows.Close()
				return nil, err
			}
		}
		if fs := supervise.Evaluate(r, *c, m, evs, now, db.cal); len(fs) > 0 {
			hits = append(hits, hit{c, m, fs})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal("supervise", err)
	}
	var out []*Card
	for _, h := range hits {
		evs, err := db.Events(ctx, h.c.ID)
		if err != nil {
			return nil, err
		}
		var issued []*Card
		err = db.update(ctx, func(tx *Tx) error {
			issued = issued[:0]
			for _, f := range h.fs {
				card, err := tx.issueCard(h.c, f, supervise.Responsible(f, evs))
				if err != nil {
					return err
				}
				if card != nil {
					issued = append(issued, card)
				}
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, issued...)
	}
	return out, nil
}

// IssueFeeCard records a fee charged on a case and issues a card when the
// catalog does not list it for the case's matter at that amount.
func (db *DB) IssueFeeCard(ctx context.Context, r supervise.Rules, number, fee string, amount int64, by onedoor.Actor) (*Card, error) {
	var out *Card
	err := db.update(ctx, func(tx *Tx) error {
		c, err := tx.caseByNumber(number)
		if err != nil {
			return err
		}
		m, err := db.matter(c.Matter, c.MatterVersion)
		if err != nil {
			return err
		}
		f, bad := supervise.CheckFee(r, m, fee, amount)
		if !bad {
			return nil
		}
		if by.Department != "" {
			f.Department = by.Department
		}
		out, err = tx.issueCard(c, f, by)
		return err
	})
	return out, err
}

// issueCard writes the card of finding f unless the same clock already has
// a card of that level or higher; it returns nil then.
func (tx *Tx) issueCard(c *onedoor.Case, f supervise.Finding, resp onedoor.Actor) (*Card, error) {
	var top sql.NullInt64
	if err := tx.QueryRowContext(tx.ctx, `SELECT MAX(rank) FROM cards WHERE case_id = $1 AND scope_key = $2`, c.ID, f.Key).Scan(&top); err != nil {
		return nil, internal("issue card", err)
	}
	if top.Valid && int(top.Int64) >= f.Level.Rank() {
		return nil, nil
	}
	now := tx.db.now()
	card := &Card{CaseID: c.ID, CaseNumber: c.Number, Matter: c.Matter, Department: f.Department,
		OfficerID: resp.StaffID, OfficerName: resp.Name, Rule: f.Rule, Level: f.Level, Key: f.Key, Detail: f.Detail,
		Status: CardIssued, IssuedAt: now.UTC().Truncate(time.Microsecond), IssuedOn: now.In(calendar.Location).Format(time.DateOnly)}
	detail, _ := json.Marshal(card.Detail)
	err := tx.QueryRowContext(tx.ctx, `INSERT INTO cards (case_id, case_number, matter, department, officer_id, officer_name, rule, level, rank, scope_key, detail, status, issued_at, issued_on)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (case_id, scope_key, level) DO NOTHING RETURNING id`,
		card.CaseID, card.CaseNumber, card.Matter, card.Department, card.OfficerID, card.OfficerName, card.Rule, string(card.Level),
		f.Level.Rank(), card.Key, string(detail), card.Status, ts(card.IssuedAt), card.IssuedOn).Scan(&card.ID)
	if isNoRows(err) {
		return nil, nil // another node issued it meanwhile
	}
	if err != nil {
		return nil, internal("insert card", err)
	}
	if err := tx.cardChanged(card, "issued", "system"); err != nil {
		return nil, err
	}
	return card, nil
}

// cardChanged logs a change of a card and notifies the responsible officer
// (or the department's officers when nobody has acted yet) and the
// department's leaders.
func (tx *Tx) cardChanged(card *Card, action, actor string) error {
	body, _ := json.Marshal(map[string]any{
		"card": card.ID, "case": card.CaseNumber, "matter": card.Matter, "department": card.Department,
		"rule": card.Rule, "level": card.Level, "status": card.Status, "text": card.Detail,
		"explanation": card.Explanation, "closing_note": card.ClosingNote,
	})
	if err := tx.logSupervision("card", card.ID, action, actor, body); err != nil {
		return err
	}
	officer := "officers:" + card.Department
	if card.OfficerID != 0 {
		officer = fmt.Sprintf("staff:%d", card.OfficerID)
	}
	topic := "card." + action
	if err := tx.enqueue("log", officer, topic, body); err != nil {
		return err
	}
	return tx.enqueue("log", "leaders:"+card.Department, topic, body)
}

// logSupervision appends one entry to the hash-chained supervision log.
func (tx *Tx) logSupervision(kind string, ref int64, action, actor string, body []byte) error {
	var seq int64
	var prev string
	err := tx.QueryRowContext(tx.ctx, `SELECT seq, hash FROM supervision_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !isNoRows(err) {
		return internal("supervision log", err)
	}
	at := ts(tx.db.now())
	seq++
	hash := logHash(prev, seq, kind, ref, action, actor, at, string(body))
	_, err = tx.ExecContext(tx.ctx, `INSERT INTO supervision_log (seq, kind, ref_id, action, actor, at, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		seq, kind, ref, action, actor, at, string(body), prev, hash)
	return internal("supervision log", err)
}

func logHash(prev string, seq int64, kind string, ref int64, action, actor, at, body string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d\x00%s\x00%s\x00%s\x00%s", prev, seq, kind, ref, action, actor, at, body)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifySupervisionLog walks the supervision log and reports the first
// entry that does not chain, or nil when intact.
func (db *DB) VerifySupervisionLog(ctx context.Context) error {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, kind, ref_id, action, actor, at, body, prev_hash, hash FROM supervision_log ORDER BY seq`)
	if err != nil {
		return internal("verify supervision log", err)
	}
	defer rows.Close()
	prev, want := "", int64(1)
	for rows.Next() {
		var seq, ref int64
		var kind, action, actor, at, body, prevHash, hash string
		if err := rows.Scan(&seq, &kind, &ref, &action, &actor, &at, &body, &prevHash, &hash); err != nil {
			return internal("verify supervision log", err)
		}
		if seq != want {
			return fmt.Errorf("supervision log: entry %d is missing", want)
		}
		if prevHash != prev || logHash(prev, seq, kind, ref, action, actor, at, body) != hash {
			return fmt.Errorf("supervision log: entry %d (%s %d %s) was altered", seq, kind, ref, action)
		}
		prev, want = hash, want+1
	}
	return internal("verify supervision log", rows.Err())
}

// SupervisionLog lists the log entries of one record, oldest first.
func (db *DB) SupervisionLog(ctx context.Context, kind string, ref int64) ([]LogEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, kind, ref_id, action, actor, at, body, hash FROM supervision_log WHERE kind = $1 AND ref_id = $2 ORDER BY seq`, kind, ref)
	if err != nil {
		return nil, internal("supervision log", err)
	}
	defer rows.Close()
	var out []LogEntry
	for rows.Next() {
		var e LogEntry
		var at string
		if err := rows.Scan(&e.Seq, &e.Kind, &e.RefID, &e.Action, &e.Actor, &at, &e.Body, &e.Hash); err != nil {
			return nil, internal("supervision log", err)
		}
		e.At, _ = parseTS(at)
		out = append(out, e)
	}
	return out, internal("supervision log", rows.Err())
}

const cardColumns = `id, case_id, case_number, matter, department, officer_id, officer_name, rule, level, scope_key, detail, status, issued_at, issued_on, explanation, explained_by, explained_at, closing_note, closed_by, closed_at`

func scanCard(row interface{ Scan(...any) error }) (*Card, error) {
	var c Card
	var level, detail, issued, explained, closed string
	if err := row.Scan(&c.ID, &c.CaseID, &c.CaseNumber, &c.Matter, &c.Department, &c.OfficerID, &c.OfficerName, &c.Rule, &level, &c.Key,
		&detail, &c.Status, &issued, &c.IssuedOn, &c.Explanation, &c.ExplainedBy, &explained, &c.ClosingNote, &c.ClosedBy, &closed); err != nil {
		return nil, err
	}
	c.Level = supervise.Level(level)
	json.Unmarshal([]byte(detail), &c.Detail)
	c.IssuedAt, _ = parseTS(issued)
	if t, err := parseTS(explained); err == nil {
		c.ExplainedAt = &t
	}
	if t, err := parseTS(closed); err == nil {
		c.ClosedAt = &t
	}
	return &c, nil
}

// FindCards lists cards by filter, newest first.
func (db *DB) FindCards(ctx context.Context, f CardFilter) ([]*Card, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Department != "" {
		where = append(where, "department = "+arg(f.Department))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Level != "" {
		where = append(where, "level = "+arg(string(f.Level)))
	}
	if f.CaseNumber != "" {
		where = append(where, "case_number = "+arg(f.CaseNumber))
	}
	if f.OfficerID != 0 {
		where = append(where, "officer_id = "+arg(f.OfficerID))
	}
	q := `SELECT ` + cardColumns + ` FROM cards`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	q += " ORDER BY id DESC LIMIT " + arg(f.Limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, internal("find cards", err)
	}
	defer rows.Close()
	var out []*Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, internal("scan card", err)
		}
		out = append(out, c)
	}
	return out, internal("find cards", rows.Err())
}

// FindCard returns one card.
func (db *DB) FindCard(ctx context.Context, id int64) (*Card, error) {
	c, err := scanCard(db.read.QueryRowContext(ctx, `SELECT `+cardColumns+` FROM cards WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No supervision card %d exists.", id)
	}
	return c, internal("find card", err)
}

func (tx *Tx) cardByID(id int64) (*Card, error) {
	c, err := scanCard(tx.QueryRowContext(tx.ctx, `SELECT `+cardColumns+` FROM cards WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No supervision card %d exists.", id)
	}
	return c, internal("find card", err)
}

// cleanLong checks a required free text (explanations, notes, call-back
// records): onedoor.CleanText's rules, and it may not be empty.
func cleanLong(field, s string) (string, error) {
	s, err := onedoor.CleanText(field, s)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", onedoor.FieldErrorf(field, "Write the %s; it cannot be empty.", strings.ReplaceAll(field, "_", " "))
	}
	return s, nil
}

// ExplainCard records the responsible department's explanation of a card:
// an officer or leader of the card's department, once.
func (db *DB) ExplainCard(ctx context.Context, id int64, a onedoor.Actor, explanation string) (*Card, error) {
	explanation, err := cleanLong("explanation", explanation)
	if err != nil {
		return nil, err
	}
	var out *Card
	err = db.update(ctx, func(tx *Tx) error {
		c, err := tx.cardByID(id)
		if err != nil {
			return err
		}
		if (a.Role != onedoor.RoleOfficer && a.Role != onedoor.RoleLeader) || a.Department != c.Department {
			return onedoor.Errorf(onedoor.EFORBIDDEN, "Card %d is explained by an officer or leader of %s.", id, c.Department)
		}
		if c.Status != CardIssued {
			return onedoor.Errorf(onedoor.ECONFLICT, "Card %d is already %s; it is explained once.", id, onedoor.Term{Set: "card.status", Value: c.Status})
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		c.Status, c.Explanation, c.ExplainedBy, c.ExplainedAt = CardExplained, explanation, a.Name, &now
		if _, err := tx.ExecContext(tx.ctx, `UPDATE cards SET status = $1, explanation = $2, explained_by = $3, explained_at = $4 WHERE id = $5 AND status = $6`,
			c.Status, c.Explanation, c.ExplainedBy, ts(now), id, CardIssued); err != nil {
			return internal("explain card", err)
		}
		out = c
		return tx.cardChanged(c, "explained", actorLabel(a))
	})
	return out, err
}

// CloseCard closes an explained card: a supervisor, with a note.
func (db *DB) CloseCard(ctx context.Context, id int64, a onedoor.Actor, note string) (*Card, error) {
	note, err := cleanLong("closing_note", note)
	if err != nil {
		return nil, err
	}
	var out *Card
	err = db.update(ctx, func(tx *Tx) error {
		c, err := tx.cardByID(id)
		if err != nil {
			return err
		}
		if a.Role != onedoor.RoleSupervisor {
			return onedoor.Errorf(onedoor.EFORBIDDEN, "Card %d is closed by a supervisor.", id)
		}
		switch c.Status {
		case CardIssued:
			return onedoor.Errorf(onedoor.ECONFLICT, "Card %d has not been explained by %s yet; it cannot be closed before.", id, c.Department)
		case CardClosed:
			return onedoor.Errorf(onedoor.ECONFLICT, "Card %d is already closed.", id)
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		c.Status, c.ClosingNote, c.ClosedBy, c.ClosedAt = CardClosed, note, a.Name, &now
		if _, err := tx.ExecContext(tx.ctx, `UPDATE cards SET status = $1, closing_note = $2, closed_by = $3, closed_at = $4 WHERE id = $5 AND status = $6`,
			c.Status, c.ClosingNote, c.ClosedBy, ts(now), id, CardExplained); err != nil {
			return internal("close card", err)
		}
		out = c
		return tx.cardChanged(c, "closed", actorLabel(a))
	})
	return out, err
}

func actorLabel(a onedoor.Actor) string {
	return fmt.Sprintf("%s:%d:%s", a.Role, a.StaffID, a.Name)
}

// CardTally counts the cards of one department, or of one officer of it.
type CardTally struct {
	Department  string `json:"department"`
	OfficerID   int64  `json:"officer_id,omitempty"`
	OfficerName string `json:"officer_name,omitempty"`
	Warning     int    `json:"warning"`
	Yellow      int    `json:"yellow"`
	Red         int    `json:"red"`
	Open        int    `json:"open"` // not closed yet
}

// Total is the number of cards counted.
func (t CardTally) Total() int { return t.Warning + t.Yellow + t.Red }

// CardTallies counts cards by department and by officer, the most red
// first. Cards of a department whose officer is not known yet count under
// officer 0.
func (db *DB) CardTallies(ctx context.Context) (byDept, byOfficer []CardTally, err error) {
	rows, err := db.read.QueryContext(ctx, `SELECT department, officer_id, officer_name, level, status, COUNT(*) FROM cards
		GROUP BY department, officer_id, officer_name, level, status`)
	if err != nil {
		return nil, nil, internal("card tallies", err)
	}
	defer rows.Close()
	depts := map[string]*CardTally{}
	officers := map[string]*CardTally{}
	add := func(t *CardTally, level, status string, n int) {
		switch supervise.Level(level) {
		case supervise.Warning:
			t.Warning += n
		case supervise.Yellow:
			t.Yellow += n
		case supervise.Red:
			t.Red += n
		}
		if status != CardClosed {
			t.Open += n
		}
	}
	for rows.Next() {
		var dept, name, level, status string
		var officer int64
		var n int
		if err := rows.Scan(&dept, &officer, &name, &level, &status, &n); err != nil {
			return nil, nil, internal("card tallies", err)
		}
		d := depts[dept]
		if d == nil {
			d = &CardTally{Department: dept}
			depts[dept] = d
		}
		add(d, level, status, n)
		k := fmt.Sprintf("%s\x00%d", dept, officer)
		o := officers[k]
		if o == nil {
			o = &CardTally{Department: dept, OfficerID: officer, OfficerName: name}
			officers[k] = o
		}
		add(o, level, status, n)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, internal("card tallies", err)
	}
	for _, d := range depts {
		byDept = append(byDept, *d)
	}
	for _, o := range officers {
		byOfficer = append(byOfficer, *o)
	}
	order := func(a, b CardTally) int {
		if a.Red != b.Red {
			return b.Red - a.Red
		}
		if a.Total() != b.Total() {
			return b.Total() - a.Total()
		}
		if a.Department != b.Department {
			return strings.Compare(a.Department, b.Department)
		}
		return int(a.OfficerID - b.OfficerID)
	}
	slices.SortFunc(byDept, order)
	slices.SortFunc(byOfficer, order)
	return byDept, byOfficer, nil
}

// Performance is how one department or matter did with the cases it
// finished: how many, how many by their promised date, and the working days
// they took on average (pauses not counted).
type Performance struct {
	Key      string  `json:"key"` // department or matter code
	Finished int     `json:"finished"`
	OnTime   int     `json:"on_time"`
	Days     int     `json:"days"` // working days taken, summed
	AvgDays  float64 `json:"avg_days"`
	OnTimeRt float64 `json:"on_time_rate"` // 0..1
}

// Performances measures the cases delivered since the given instant, by
// department (of the last step) and by matter, most cases first.
func (db *DB) Performances(ctx context.Context, since time.Time) (byDept, byMatter []Performance, err error) {
	rows, err := db.read.QueryContext(ctx, `SELECT department, state FROM cases WHERE status = 'delivered' AND closed_at >= $1`, ts(since))
	if err != nil {
		return nil, nil, internal("performances", err)
	}
	defer rows.Close()
	depts, matters := map[string]*Performance{}, map[string]*Performance{}
	count := func(m map[string]*Performance, key string, days int, onTime bool) {
		p := m[key]
		if p == nil {
			p = &Performance{Key: key}
			m[key] = p
		}
		p.Finished++
		p.Days += days
		if onTime {
			p.OnTime++
		}
	}
	for rows.Next() {
		var dept, state string
		if err := rows.Scan(&dept, &state); err != nil {
			return nil, nil, internal("performances", err)
		}
		var c onedoor.Case
		if err := json.Unmarshal([]byte(state), &c); err != nil || c.AcceptedAt == nil || c.ClosedAt == nil {
			continue
		}
		start, _ := workflow.ClockStart(c, db.cal) // after hours: from the next working period
		days := max(0, db.cal.WorkdaysBetween(start, *c.ClosedAt)-c.PausedDays)
		onTime := c.ClosedAt.In(calendar.Location).Format(time.DateOnly) <= c.Due
		count(depts, dept, days, onTime)
		count(matters, c.Matter, days, onTime)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, internal("performances", err)
	}
	flat := func(m map[string]*Performance) []Performance {
		out := make([]Performance, 0, len(m))
		for _, p := range m {
			p.AvgDays = float64(p.Days) / float64(p.Finished)
			p.OnTimeRt = float64(p.OnTime) / float64(p.Finished)
			out = append(out, *p)
		}
		slices.SortFunc(out, func(a, b Performance) int {
			if a.Finished != b.Finished {
				return b.Finished - a.Finished
			}
			return strings.Compare(a.Key, b.Key)
		})
		return out
	}
	return flat(depts), flat(matters), nil
}

// activeRules are the rules the server loaded, for what is judged outside
// the evaluator (the rectification clock of a bad rating); the defaults
// until StartSupervision runs. One process serves one configuration.
var activeRules atomic.Pointer[supervise.Rules]

func currentRules() supervise.Rules {
	if r := activeRules.Load(); r != nil {
		return *r
	}
	return supervise.Default()
}

// SupervisionEvery is how often StartSupervision evaluates the rules.
// Deadline cards change only when a working day begins; conduct cards are
// wanted within minutes.
const SupervisionEvery = 5 * time.Minute

// StartSupervision loads the rules (a JSON file over the embedded
// defaults; "" for the defaults alone) and evaluates them now and every
// SupervisionEvery until ctx ends. A rules file that does not load is
// refused at once, so a typo cannot silently turn supervision off.
func (db *DB) StartSupervision(ctx context.Context, rulesFile string) error {
	r, err := supervise.Load(rulesFile)
	if err != nil {
		return err
	}
	activeRules.Store(&r)
	go func() {
		t := time.NewTicker(SupervisionEvery)
		defer t.Stop()
		for {
			if cards, err := db.Supervise(ctx, r); err != nil {
				if ctx.Err() != nil {
					return
				}
				db.log.Error("supervision failed", "err", err)
			} else if len(cards) > 0 {
				db.log.Info("supervision issued cards", "cards", len(cards))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// TrendWeek counts the cards issued in one week, Monday to Sunday.
type TrendWeek struct {
	Start   string `json:"start"` // the Monday, YYYY-MM-DD
	Warning int    `json:"warning"`
	Yellow  int    `json:"yellow"`
	Red     int    `json:"red"`
}

// CardTrend counts the cards issued in each of the last weeks weeks, the
// current one last, empty weeks included.
func (db *DB) CardTrend(ctx context.Context, weeks int) ([]TrendWeek, error) {
	now := db.now().In(calendar.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Location)
	monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	first := monday.AddDate(0, 0, -7*(weeks-1))
	out := make([]TrendWeek, weeks)
	for i := range out {
		out[i].Start = first.AddDate(0, 0, 7*i).Format(time.DateOnly)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT issued_on, level, COUNT(*) FROM cards WHERE issued_on >= $1 GROUP BY issued_on, level`, first.Format(time.DateOnly))
	if err != nil {
		return nil, internal("card trend", err)
	}
	defer rows.Close()
	for rows.Next() {
		var day, level string
		var n int
		if err := rows.Scan(&day, &level, &n); err != nil {
			return nil, internal("card trend", err)
		}
		d, err := calendar.ParseDate(day)
		if err != nil {
			continue
		}
		i := int(d.Sub(first).Hours()/24) / 7
		if i < 0 || i >= weeks {
			continue
		}
		switch supervise.Level(level) {
		case supervise.Warning:
			out[i].Warning += n
		case supervise.Yellow:
			out[i].Yellow += n
		case supervise.Red:
			out[i].Red += n
		}
	}
	return out, internal("card trend", rows.Err())
}
