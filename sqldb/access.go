package sqldb

import (
	"context"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Purposes of an access to personal data.
const (
	PurposeIdentify = "identify" // a clerk identified the applicant at the window
	PurposeIntake   = "intake"   // a clerk took an application of the applicant
	PurposeView     = "view"     // a member of staff opened a case of the applicant
	PurposeUnmask   = "unmask"   // a member of staff revealed the masked data, with a reason
)

// Access is one recorded access of a member of staff to the personal data
// of a person or an organisation.
type Access struct {
	ID         int64               `json:"id"`
	At         time.Time           `json:"at"`
	Subject    onedoor.SubjectType `json:"subject"`
	HolderID   int64               `json:"holder_id"`
	StaffID    int64               `json:"staff_id"`
	StaffName  string              `json:"staff_name"`
	Role       onedoor.Role        `json:"role"`
	Department string              `json:"department,omitempty"`
	Purpose    string              `json:"purpose"`
	CaseNumber string              `json:"case_number,omitempty"`
	Reason     string              `json:"reason"`
}

// LogAccess records an access. Repeated views of the same case by the same
// member of staff on the same day are recorded once: the log says who looked
// and why, not how often the page was reloaded.
func (db *DB) LogAccess(ctx context.Context, st *onedoor.Staff, subject onedoor.SubjectType, holder int64, purpose, caseNumber, reason string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.logAccess(st, subject, holder, purpose, caseNumber, reason) })
}

func (tx *Tx) logAccess(st *onedoor.Staff, subject onedoor.SubjectType, holder int64, purpose, caseNumber, reason string) error {
	now := tx.db.now()
	if purpose != PurposeUnmask {
		day := now.In(calendar.Location)
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, calendar.Location)
		var n int
		err := tx.QueryRowContext(tx.ctx, `SELECT COUNT(*) FROM access_log WHERE subject = $1 AND holder_id = $2 AND staff_id = $3 AND purpose = $4 AND case_number = $5 AND at >= $6`,
			string(subject), holder, st.ID, purpose, caseNumber, ts(start)).Scan(&n)
		if err != nil {
			return internal("read access log", err)
		}
		if n > 0 {
			return nil
		}
	}
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO access_log (at, subject, holder_id, staff_id, staff_name, role, department, purpose, case_number, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ts(now), string(subject), holder, st.ID, st.Name, string(st.Role), st.Department, purpose, caseNumber, reason)
	return internal("write access log", err)
}

// AccessLog lists the accesses to a person's or organisation's data, newest
// first: what the resident sees under "who looked at my data".
func (db *DB) AccessLog(ctx context.Context, subject onedoor.SubjectType, holder int64, limit int) ([]Access, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, at, subject, holder_id, staff_id, staff_name, role, department, purpose, case_number, reason
		FROM access_log WHERE subject = $1 AND holder_id = $2 ORDER BY at DESC, id DESC LIMIT $3`, string(subject), holder, limit)
	if err != nil {
		return nil, internal("access log", err)
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		var a Access
		var at, subj, role string
		if err := rows.Scan(&a.ID, &at, &subj, &a.HolderID, &a.StaffID, &a.StaffName, &role, &a.Department, &a.Purpose, &a.CaseNumber, &a.Reason); err != nil {
			return nil, internal("scan access", err)
		}
		a.At, _ = parseTS(at)
		a.Subject, a.Role = onedoor.SubjectType(subj), onedoor.Role(role)
		out = append(out, a)
	}
	return out, internal("access log", rows.Err())
}

// Revealed is personal data shown unmasked.
type Revealed struct {
	Name     string
	IDNumber string // natural persons
	Phone    string // natural persons, when on record
	USCC     string // organisations
}

// Reveal returns the unmasked personal data of an applicant for a member of
// staff who states why, and records the access in the same transaction: no
// unmasking without its log line.
func (db *DB) Reveal(ctx context.Context, st *onedoor.Staff, subject onedoor.SubjectType, holder int64, caseNumber, reason string) (*Revealed, error) {
	reason, err := onedoor.CleanText("reason", reason)
	if err != nil {
		return nil, err
	}
	if len([]rune(reason)) < 2 {
		return nil, onedoor.FieldErrorf("reason", "State why the data must be shown unmasked.")
	}
	out := &Revealed{}
	err = db.update(ctx, func(tx *Tx) error {
		switch subject {
		case onedoor.Natural:
			var idSealed, phoneSealed string
			if err := tx.QueryRowContext(tx.ctx, `SELECT name, id_sealed, phone_sealed FROM persons WHERE id = $1`, holder).Scan(&out.Name, &idSealed, &phoneSealed); err != nil {
				if isNoRows(err) {
					return onedoor.Errorf(onedoor.ENOTFOUND, "No such person is known.")
				}
				return internal("reveal person", err)
			}
			if out.IDNumber, err = db.box.Open("id", idSealed); err != nil {
				return internal("open id", err)
			}
			if phoneSealed != "" {
				if out.Phone, err = db.box.Open("phone", phoneSealed); err != nil {
					return internal("open phone", err)
				}
			}
		case onedoor.Legal:
			if err := tx.QueryRowContext(tx.ctx, `SELECT name, uscc FROM orgs WHERE id = $1`, holder).Scan(&out.Name, &out.USCC); err != nil {
				if isNoRows(err) {
					return onedoor.Errorf(onedoor.ENOTFOUND, "No such organisation is known.")
				}
				return internal("reveal org", err)
			}
		default:
			return onedoor.FieldErrorf("subject", "Unknown subject %q.", subject)
		}
		return tx.logAccess(st, subject, holder, PurposeUnmask, strings.TrimSpace(caseNumber), reason)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
