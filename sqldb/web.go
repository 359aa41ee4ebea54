package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"onedoor"
	"onedoor/pii"
)

// Now is the store's clock: what "today" is for pages that count working
// days (injectable in tests through Config.Now).
func (db *DB) Now() time.Time { return db.now() }

// FindPersonByID returns a natural person by row ID.
func (db *DB) FindPersonByID(ctx context.Context, id int64) (*onedoor.Person, error) {
	p, err := scanPerson(db.read.QueryRowContext(ctx, `SELECT `+personColumns+` FROM persons WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No such person is known.")
	}
	return p, internal("find person", err)
}

// FindOrgByID returns an organisation by row ID.
func (db *DB) FindOrgByID(ctx context.Context, id int64) (*onedoor.Org, error) {
	o, err := scanOrg(db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No such organisation is known.")
	}
	return o, internal("find org", err)
}

// PersonApplicant returns a person as the applicant of an online
// application: the resident signed in with a one-time code, so their own ID
// and phone numbers are opened for the intake, never shown.
func (db *DB) PersonApplicant(ctx context.Context, personID int64) (onedoor.Applicant, error) {
	var name, idSealed, phoneSealed string
	err := db.read.QueryRowContext(ctx, `SELECT name, id_sealed, phone_sealed FROM persons WHERE id = $1`, personID).Scan(&name, &idSealed, &phoneSealed)
	if isNoRows(err) {
		return onedoor.Applicant{}, onedoor.Errorf(onedoor.ENOTFOUND, "No such person is known.")
	}
	if err != nil {
		return onedoor.Applicant{}, internal("find person", err)
	}
	a := onedoor.Applicant{Subject: onedoor.Natural, Name: name}
	if a.IDNumber, err = db.box.Open("id", idSealed); err != nil {
		return a, internal("open id", err)
	}
	if phoneSealed != "" {
		if a.Phone, err = db.box.Open("phone", phoneSealed); err != nil {
			return a, internal("open phone", err)
		}
	}
	return a, nil
}

// --- residents' one-time codes ---

// One-time code limits.
const (
	codeTTL         = 5 * time.Minute
	codeAttempts    = 5         // wrong codes per challenge
	codeWindow      = time.Hour // requests are counted over this window
	maxCodesPerID   = 5         // code requests per ID number
	maxCodesPerAddr = 20        // code requests per client address
)

// Challenge is a one-time code sent to a resident (simulated SMS). Code is
// empty when no message is to be sent because the phone number does not
// match the one on record; the answer to the resident is the same either
// way, so that nobody learns whose phone number is whose.
type Challenge struct {
	ID          string
	Code        string
	PhoneMasked string
	ExpiresAt   time.Time
}

func (db *DB) codeHash(challenge, code string) string {
	m := hmac.New(sha256.New, db.keys.Index[:])
	m.Write([]byte("otp\x00" + challenge + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func sixDigits() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		panic("sqldb: crypto/rand failed: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// StartResidentLogin begins a resident's sign-in: ID number and phone
// number (and, for someone not yet known, a name). A known person's phone
// must be the one on record. Requests are throttled per ID number and per
// client address.
func (db *DB) StartResidentLogin(ctx context.Context, idNumber, name, phone, ip string) (*Challenge, error) {
	id, err := onedoor.ParseIDNumberAt("id_number", idNumber, db.now())
	if err != nil {
		return nil, err
	}
	ph, err := onedoor.ParsePhone("phone", phone)
	if err != nil {
		return nil, err
	}
	idIdx, phoneIdx := db.box.Index(pii.KindID, id.Number), db.box.Index(pii.KindPhone, ph)
	idBucket, ipBucket := "code-id:"+idIdx, "code-ip:"+ip
	if err := db.throttled(ctx, codeWindow, map[string]int{idBucket: maxCodesPerID, ipBucket: maxCodesPerAddr}); err != nil {
		return nil, err
	}
	var have string
	err = db.read.QueryRowContext(ctx, `SELECT phone_index FROM persons WHERE id_index = $1`, idIdx).Scan(&have)
	known := err == nil
	if err != nil && !isNoRows(err) {
		return nil, internal("find person", err)
	}
	if known && have == "" {
		return nil, onedoor.FieldErrorf("phone", "No phone number is on record for this ID number; please ask at the service centre's window.")
	}
	if !known {
		if name, err = cleanName("name", name); err != nil {
			return nil, err
		}
	} else {
		name = ""
	}
	c := &Challenge{ID: randomToken(24), Code: sixDigits(), PhoneMasked: pii.MaskPhone(ph), ExpiresAt: db.now().Add(codeTTL)}
	hash := db.codeHash(c.ID, c.Code)
	if known && subtle.ConstantTimeCompare([]byte(have), []byte(phoneIdx)) != 1 {
		c.Code, hash = "", db.codeHash(c.ID, randomToken(16)) // nothing will match
	}
	idSealed, err := db.box.Seal(pii.KindID, id.Number)
	if err != nil {
		return nil, internal("seal id", err)
	}
	phoneSealed, err := db.box.Seal(pii.KindPhone, ph)
	if err != nil {
		return nil, internal("seal phone", err)
	}
	err = db.update(ctx, func(tx *Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM resident_codes WHERE expires_at < $1`, ts(now)); err != nil {
			return internal("expire codes", err)
		}
		if _, err := tx.ExecContext(tx.ctx, `INSERT INTO resident_codes (id_hash, id_index, id_sealed, name, phone_index, phone_sealed, code_hash, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			sessionHash(c.ID), idIdx, idSealed, name, phoneIdx, phoneSealed, hash, ts(c.ExpiresAt), ts(now)); err != nil {
			return internal("insert code", err)
		}
		return tx.recordFailure(idBucket, ipBucket)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// VerifyResidentLogin checks a one-time code and opens a resident session,
// registering a person not yet known, and ends the browser's previous
// session old. A challenge allows a few wrong codes, then it is spent.
func (db *DB) VerifyResidentLogin(ctx context.Context, challenge, code, old string) (*Session, error) {
	bad := onedoor.Errorf(onedoor.EUNAUTHORIZED, "The code is wrong or has expired; ask for a new one.")
	code = strings.TrimSpace(code)
	if challenge == "" || len(challenge) > 100 || len(code) != 6 {
		return nil, bad
	}
	var s *Session
	var wrong bool
	err := db.update(ctx, func(tx *Tx) error {
		wrong = false
		var idIdx, idSealed, name, phoneIdx, phoneSealed, hash, expires string
		var attempts int
		err := tx.QueryRowContext(tx.ctx, `SELECT id_index, id_sealed, name, phone_index, phone_sealed, code_hash, attempts, expires_at FROM resident_codes WHERE id_hash = $1`,
			sessionHash(challenge)).Scan(&idIdx, &idSealed, &name, &phoneIdx, &phoneSealed, &hash, &attempts, &expires)
		if isNoRows(err) {
			return bad
		}
		if err != nil {
			return internal("find code", err)
		}
		if exp, _ := parseTS(expires); !db.now().Before(exp) || attempts >= codeAttempts {
			return bad
		}
		if subtle.ConstantTimeCompare([]byte(hash), []byte(db.codeHash(challenge, code))) != 1 {
			wrong = true
			return nil
		}
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM resident_codes WHERE id_hash = $1`, sessionHash(challenge)); err != nil {
			return internal("spend code", err)
		}
		var personID int64
		var have string
		err = tx.QueryRowContext(tx.ctx, `SELECT id, phone_index FROM persons WHERE id_index = $1`, idIdx).Scan(&personID, &have)
		switch {
		case err == nil:
			if have != phoneIdx { // the record changed since the code was sent
				return bad
			}
		case isNoRows(err):
			idNumber, err := db.box.Open(pii.KindID, idSealed)
			if err != nil {
				return internal("open id", err)
			}
			phone, err := db.box.Open(pii.KindPhone, phoneSealed)
			if err != nil {
				return internal("open phone", err)
			}
			ref, err := db.checkApplicant(onedoor.Applicant{Subject: onedoor.Natural, IDNumber: idNumber, Name: name, Phone: phone})
			if err != nil {
				return err
			}
			p, err := tx.findOrCreatePerson(ref)
			if err != nil {
				return err
			}
			personID = p.ID
		default:
			return internal("find person", err)
		}
		if err := tx.endSession(old); err != nil {
			return err
		}
		s, err = tx.createSession(SessionResident, 0, personID)
		return err
	})
	if err == nil && wrong {
		err = db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(tx.ctx, `UPDATE resident_codes SET attempts = attempts + 1 WHERE id_hash = $1`, sessionHash(challenge))
			return internal("count attempt", err)
		})
		if err == nil {
			err = bad
		}
	}
	if err != nil {
		var e *onedoor.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, internal("verify code", err)
	}
	return s, nil
}

// --- supervision ---

// DepartmentLoad counts the open cases whose current step is at one
// department.
type DepartmentLoad struct {
	Department string
	Open       int
	Paused     int // received, supplement or suspended: the clock stands
	Overdue    int // running and past the promised date
	NearDue    int // running and due within the near-due horizon
}

// OpenCaseLoad counts the open cases per department: all of them, those
// paused, those past their promised date (before today) and those due from
// today up to soon (dates YYYY-MM-DD).
func (db *DB) OpenCaseLoad(ctx context.Context, today, soon string) ([]DepartmentLoad, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT department, COUNT(*),
		SUM(CASE WHEN status IN ('received', 'supplement', 'suspended') THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('in_progress', 'approved') AND due <> '' AND due < $1 THEN 1 ELSE 0 END),
		SUM(CASE WHEN status IN ('in_progress', 'approved') AND due <> '' AND due >= $2 AND due <= $3 THEN 1 ELSE 0 END)
		FROM cases WHERE status NOT IN ('delivered', 'rejected') GROUP BY department ORDER BY department`, today, today, soon)
	if err != nil {
		return nil, internal("case load", err)
	}
	defer rows.Close()
	var out []DepartmentLoad
	for rows.Next() {
		var d DepartmentLoad
		if err := rows.Scan(&d.Department, &d.Open, &d.Paused, &d.Overdue, &d.NearDue); err != nil {
			return nil, internal("scan case load", err)
		}
		out = append(out, d)
	}
	return out, internal("case load", rows.Err())
}
