package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Complaint statuses. A resolved complaint waits for the resident, who
// accepts (closed) or reopens it (open again, on a fresh clock).
const (
	ComplaintOpen     = "open"
	ComplaintResolved = "resolved"
	ComplaintClosed   = "closed"
)

// Complaint is a resident's complaint about a case or a matter.
type Complaint struct {
	ID         int64      `json:"id"`
	PersonID   int64      `json:"-"` // never shown to departments
	CaseNumber string     `json:"case_number,omitempty"`
	Matter     string     `json:"matter"`
	Department string     `json:"department"`
	Body       string     `json:"body"`
	Status     string     `json:"status"`
	FiledAt    time.Time  `json:"filed_at"`
	Due        string     `json:"due"`
	Resolution string     `json:"resolution,omitempty"`
	ResolvedBy string     `json:"resolved_by,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Reopens    int        `json:"reopens"`
	ReopenNote string     `json:"reopen_note,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	Overdue    bool       `json:"overdue"` // open past its due date
}

// ComplaintInput is a complaint as filed by a signed-in resident: about
// one of their cases, or about a matter in general.
type ComplaintInput struct {
	PersonID   int64
	CaseNumber string
	Matter     string
	Body       string
}

// FileComplaint records a complaint and routes it to the department
// responsible: the one holding the case (its current or last step), or
// the matter's competent department.
func (db *DB) FileComplaint(ctx context.Context, in ComplaintInput) (*Complaint, error) {
	body, err := cleanLong("body", in.Body)
	if err != nil {
		return nil, err
	}
	if in.PersonID == 0 {
		return nil, onedoor.Errorf(onedoor.EUNAUTHORIZED, "Sign in to file a complaint.")
	}
	var out *Complaint
	err = db.update(ctx, func(tx *Tx) error {
		x := &Complaint{PersonID: in.PersonID, Body: body, Status: ComplaintOpen}
		switch {
		case strings.TrimSpace(in.CaseNumber) != "":
			var state, dept string
			err := tx.QueryRowContext(tx.ctx, `SELECT state, department FROM cases WHERE number = $1`, strings.TrimSpace(in.CaseNumber)).Scan(&state, &dept)
			var c onedoor.Case
			if err == nil {
				err = json.Unmarshal([]byte(state), &c)
			}
			if errors.Is(err, sql.ErrNoRows) || (err == nil && (c.Subject != onedoor.Natural || c.ApplicantID != in.PersonID)) {
				return onedoor.FieldErrorf("case", "You have no case numbered %q.", in.CaseNumber)
			}
			if err != nil {
				return internal("file complaint", err)
			}
			x.CaseNumber, x.Matter, x.Department = c.Number, c.Matter, dept
		case in.Matter != "":
			m, ok := db.Catalog().Matter(in.Matter)
			if !ok {
				return onedoor.FieldErrorf("matter", "There is no matter %q.", in.Matter)
			}
			x.Matter, x.Department = m.Code, m.Department
		default:
			return onedoor.FieldErrorf("case", "Name the case or the matter the complaint is about.")
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		x.FiledAt = now
		x.Due = db.cal.AddWorkdays(now, currentRules().Complaint.Days).Format(time.DateOnly)
		if err := tx.QueryRowContext(tx.ctx, `INSERT INTO complaints (person_id, case_number, matter, department, body, filed_at, due) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			x.PersonID, x.CaseNumber, x.Matter, x.Department, x.Body, ts(now), x.Due).Scan(&x.ID); err != nil {
			return internal("insert complaint", err)
		}
		out = x
		return tx.complaintChanged(x, "filed", fmt.Sprintf("person:%d", in.PersonID))
	})
	return out, err
}

// complaintChanged logs a change and tells the department (filed,
// reopened) or the resident (resolved).
func (tx *Tx) complaintChanged(x *Complaint, action, actor string) error {
	body, _ := json.Marshal(map[string]any{"complaint": x.ID, "case": x.CaseNumber, "matter": x.Matter, "department": x.Department,
		"status": x.Status, "due": x.Due, "reopens": x.Reopens})
	if err := tx.logSupervision("complaint", x.ID, action, actor, body); err != nil {
		return err
	}
	topic := "complaint." + action
	switch action {
	case "resolved":
		return tx.enqueue("log", fmt.Sprintf("natural:%d", x.PersonID), topic, body)
	case "closed":
		return nil
	}
	if err := tx.enqueue("log", "officers:"+x.Department, topic, body); err != nil {
		return err
	}
	return tx.enqueue("log", "leaders:"+x.Department, topic, body)
}

const complaintColumns = `id, person_id, case_number, matter, department, body, status, filed_at, due, resolution, resolved_by, resolved_at, reopens, reopen_note, closed_at`

func (db *DB) scanComplaint(row interface{ Scan(...any) error }) (*Complaint, error) {
	var x Complaint
	var filed, resolved, closed string
	if err := row.Scan(&x.ID, &x.PersonID, &x.CaseNumber, &x.Matter, &x.Department, &x.Body, &x.Status, &filed, &x.Due,
		&x.Resolution, &x.ResolvedBy, &resolved, &x.Reopens, &x.ReopenNote, &closed); err != nil {
		return nil, err
	}
	x.FiledAt, _ = parseTS(filed)
	if t, err := parseTS(resolved); err == nil {
		x.ResolvedAt = &t
	}
	if t, err := parseTS(closed); err == nil {
		x.ClosedAt = &t
	}
	x.Overdue = x.Status == ComplaintOpen && db.now().In(calendar.Location).Format(time.DateOnly) > x.Due
	return &x, nil
}

// FindComplaints lists complaints of a department (dept) or of a resident
// (person), open ones first.
func (db *DB) FindComplaints(ctx context.Context, dept string, person int64) ([]*Complaint, error) {
	q, arg := `SELECT `+complaintColumns+` FROM complaints WHERE department = $1`, any(dept)
	if person != 0 {
		q, arg = `SELECT `+complaintColumns+` FROM complaints WHERE person_id = $1`, person
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, due, id LIMIT 500`, arg)
	if err != nil {
		return nil, internal("find complaints", err)
	}
	defer rows.Close()
	var out []*Complaint
	for rows.Next() {
		x, err := db.scanComplaint(rows)
		if err != nil {
			return nil, internal("scan complaint", err)
		}
		out = append(out, x)
	}
	return out, internal("find complaints", rows.Err())
}

func (tx *Tx) complaintByID(id int64) (*Complaint, error) {
	x, err := tx.db.scanComplaint(tx.QueryRowContext(tx.ctx, `SELECT `+complaintColumns+` FROM complaints WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No complaint %d exists.", id)
	}
	return x, internal("find complaint", err)
}

// ResolveComplaint records the department's resolution and asks the
// resident to accept it or reopen the complaint.
func (db *DB) ResolveComplaint(ctx context.Context, id int64, a onedoor.Actor, resolution string) (*Complaint, error) {
	resolution, err := cleanLong("resolution", resolution)
	if err != nil {
		return nil, err
	}
	var out *Complaint
	err = db.update(ctx, func(tx *Tx) error {
		x, err := tx.complaintByID(id)
		if err != nil {
			return err
		}
		if (a.Role != onedoor.RoleOfficer && a.Role != onedoor.RoleLeader) || a.Department != x.Department {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No complaint %d exists.", id)
		}
		if x.Status != ComplaintOpen {
			return onedoor.Errorf(onedoor.ECONFLICT, "Complaint %d is %s; only an open complaint is resolved.", id, onedoor.Term{Set: "complaint.status", Value: x.Status})
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		x.Status, x.Resolution, x.ResolvedBy, x.ResolvedAt = ComplaintResolved, resolution, a.Name, &now
		if _, err := tx.ExecContext(tx.ctx, `UPDATE complaints SET status = $1, resolution = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5`,
			x.Status, resolution, a.Name, ts(now), id); err != nil {
			return internal("resolve complaint", err)
		}
		out = x
		return tx.complaintChanged(x, "resolved", actorLabel(a))
	})
	return out, err
}

// AnswerComplaint is the resident's answer to a resolution: accept closes
// the complaint; otherwise it is reopened, with the resident's note, on a
// fresh clock.
func (db *DB) AnswerComplaint(ctx context.Context, id, person int64, accept bool, note string) (*Complaint, error) {
	if !accept {
		var err error
		if note, err = cleanLong("note", note); err != nil {
			return nil, err
		}
	}
	var out *Complaint
	err := db.update(ctx, func(tx *Tx) error {
		x, err := tx.complaintByID(id)
		if err != nil {
			return err
		}
		if x.PersonID != person {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No complaint %d exists.", id)
		}
		if x.Status != ComplaintResolved {
			return onedoor.Errorf(onedoor.ECONFLICT, "Complaint %d is %s; it can be accepted or reopened once the department has answered.", id, onedoor.Term{Set: "complaint.status", Value: x.Status})
		}
		now := db.now().UTC().Truncate(time.Microsecond)
		if accept {
			x.Status, x.ClosedAt = ComplaintClosed, &now
			if _, err := tx.ExecContext(tx.ctx, `UPDATE complaints SET status = $1, closed_at = $2 WHERE id = $3`, x.Status, ts(now), id); err != nil {
				return internal("close complaint", err)
			}
			out = x
			return tx.complaintChanged(x, "closed", fmt.Sprintf("person:%d", person))
		}
		x.Status, x.Reopens, x.ReopenNote = ComplaintOpen, x.Reopens+1, note
		x.Due = db.cal.AddWorkdays(now, currentRules().Complaint.Days).Format(time.DateOnly)
		if _, err := tx.ExecContext(tx.ctx, `UPDATE complaints SET status = $1, reopens = $2, reopen_note = $3, due = $4 WHERE id = $5`,
			x.Status, x.Reopens, note, x.Due, id); err != nil {
			return internal("reopen complaint", err)
		}
		out = x
		return tx.complaintChanged(x, "reopened", fmt.Sprintf("person:%d", person))
	})
	return out, err
}
