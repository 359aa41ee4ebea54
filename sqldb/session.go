package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"onedoor"
)

// Session kinds.
const (
	SessionStaff    = "staff"
	SessionResident = "resident"
)

// Session lifetimes: a staff session lasts a working shift and ends after an
// idle hour; a resident's ends after 30 idle minutes.
const (
	staffIdle     = time.Hour
	staffMax      = 12 * time.Hour
	residentIdle  = 30 * time.Minute
	residentMax   = 4 * time.Hour
	touchInterval = 5 * time.Minute // how stale seen_at may get before a write refreshes it
)

// Throttling of logins and one-time codes, per bucket in a sliding window.
const (
	throttleWindow  = 15 * time.Minute
	maxUserFailures = 5  // per username
	maxIPFailures   = 20 // per client address
)

// Session is a signed-in browser: a member of staff or a resident. ID, the
// cookie value, is set only when the session is created; the store keeps
// its hash.
type Session struct {
	ID       string
	Kind     string
	Staff    *onedoor.Staff // staff sessions
	PersonID int64          // resident sessions
	CSRF     string
	// Window is the applicant a clerk is serving, kept sealed in the store
	// so that their ID number never needs to travel in a page.
	Window    *onedoor.Applicant
	CreatedAt time.Time
	ExpiresAt time.Time
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("sqldb: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionHash(id string) string {
	sum := sha256.Sum256([]byte("onedoor-session\x00" + id))
	return hex.EncodeToString(sum[:])
}

func lifetimes(kind string) (idle, max time.Duration) {
	if kind == SessionResident {
		return residentIdle, residentMax
	}
	return staffIdle, staffMax
}

// createSession writes a new session in tx and returns it with its id.
func (tx *Tx) createSession(kind string, staffID, personID int64) (*Session, error) {
	now := tx.db.now()
	idle, _ := lifetimes(kind)
	s := &Session{ID: randomToken(32), Kind: kind, PersonID: personID, CSRF: randomToken(32), CreatedAt: now, ExpiresAt: now.Add(idle)}
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO sessions (id_hash, kind, staff_id, person_id, csrf, created_at, seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, sessionHash(s.ID), kind, staffID, personID, s.CSRF, ts(now), ts(now), ts(s.ExpiresAt))
	if err != nil {
		return nil, internal("insert session", err)
	}
	// Expired sessions go as new ones come: no timer needed.
	if _, err := tx.ExecContext(tx.ctx, `DELETE FROM sessions WHERE expires_at < $1`, ts(now)); err != nil {
		return nil, internal("expire sessions", err)
	}
	return s, nil
}

// endSession ends the session old (if any) in tx, so that a session id planted
// before a login is worthless after it (no session fixation).
func (tx *Tx) endSession(old string) error {
	if old == "" {
		return nil
	}
	_, err := tx.ExecContext(tx.ctx, `DELETE FROM sessions WHERE id_hash = $1`, sessionHash(old))
	return internal("end session", err)
}

// FindSession returns the live session of a cookie value. An unknown,
// expired or disabled-staff session is EUNAUTHORIZED. The idle expiry
// slides, refreshed at most every few minutes so that reading pages does
// not mean writing the database.
func (db *DB) FindSession(ctx context.Context, id string) (*Session, error) {
	bad := onedoor.Errorf(onedoor.EUNAUTHORIZED, "The session has ended; please sign in again.")
	if id == "" || len(id) > 100 {
		return nil, bad
	}
	var s Session
	var staffID int64
	var win, created, seen, expires string
	err := db.read.QueryRowContext(ctx, `SELECT kind, staff_id, person_id, csrf, win, created_at, seen_at, expires_at FROM sessions WHERE id_hash = $1`,
		sessionHash(id)).Scan(&s.Kind, &staffID, &s.PersonID, &s.CSRF, &win, &created, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bad
	}
	if err != nil {
		return nil, internal("find session", err)
	}
	now := db.now()
	s.CreatedAt, _ = parseTS(created)
	s.ExpiresAt, _ = parseTS(expires)
	seenAt, _ := parseTS(seen)
	idle, max := lifetimes(s.Kind)
	if !now.Before(s.ExpiresAt) || now.Sub(s.CreatedAt) >= max {
		return nil, bad
	}
	if s.Kind == SessionStaff {
		st, err := db.FindStaffByID(ctx, staffID)
		if err != nil || st.Disabled {
			return nil, bad
		}
		s.Staff = st
	}
	if win != "" {
		var a onedoor.Applicant
		plain, err := db.box.Open("window", win)
		if err == nil && json.Unmarshal([]byte(plain), &a) == nil {
			s.Window = &a
		}
	}
	s.ID = id
	if now.Sub(seenAt) >= touchInterval {
		exp := now.Add(idle)
		err := db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(tx.ctx, `UPDATE sessions SET seen_at = $1, expires_at = $2 WHERE id_hash = $3`, ts(now), ts(exp), sessionHash(id))
			return internal("touch session", err)
		})
		if err != nil {
			return nil, err
		}
		s.ExpiresAt = exp
	}
	return &s, nil
}

// EndSession deletes a session (logout). Ending an unknown session is no error.
func (db *DB) EndSession(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *Tx) error { return tx.endSession(id) })
}

// SetSessionWindow records (or, with nil, forgets) the applicant a clerk is
// serving, sealed.
func (db *DB) SetSessionWindow(ctx context.Context, id string, a *onedoor.Applicant) error {
	sealed := ""
	if a != nil {
		b, err := json.Marshal(a)
		if err != nil {
			return internal("marshal applicant", err)
		}
		if sealed, err = db.box.Seal("window", string(b)); err != nil {
			return internal("seal applicant", err)
		}
	}
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(tx.ctx, `UPDATE sessions SET win = $1 WHERE id_hash = $2`, sealed, sessionHash(id))
		return internal("set window", err)
	})
}

// FindStaffByID returns a staff account by its ID.
func (db *DB) FindStaffByID(ctx context.Context, id int64) (*onedoor.Staff, error) {
	var s onedoor.Staff
	var role string
	err := db.read.QueryRowContext(ctx, `SELECT id, username, name, role, department, disabled FROM staff WHERE id = $1`, id).
		Scan(&s.ID, &s.Username, &s.Name, &role, &s.Department, &s.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No staff account %d exists.", id)
	}
	if err != nil {
		return nil, internal("find staff", err)
	}
	s.Role = onedoor.Role(role)
	return &s, nil
}

// --- passwords ---

// Argon2id parameters (OWASP's second recommended set: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPassword and MaxPassword bound a staff password, in characters.
const (
	MinPassword = 10
	MaxPassword = 200
)

// CheckPassword refuses a password that is too short, too long or not text.
func CheckPassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return onedoor.FieldErrorf(field, "The password is not valid text.")
	case n < MinPassword:
		return onedoor.FieldErrorf(field, "The password must have at least %d characters.", MinPassword)
	case n > MaxPassword:
		return onedoor.FieldErrorf(field, "The password must have at most %d characters.", MaxPassword)
	}
	return nil
}

// hashPassword returns the PHC string of an argon2id hash of pw.
func hashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("sqldb: crypto/rand failed: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is verified against when no account matches, so that an
// unknown username takes as long as a wrong password.
var dummyHash = hashPassword("onedoor-no-such-account")

// verifyPassword checks pw against a PHC argon2id string, using the
// parameters recorded in it.
func verifyPassword(phc, pw string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// SetStaffPassword sets the password of a staff account (argon2id) and
// ends all its sessions.
func (db *DB) SetStaffPassword(ctx context.Context, staffID int64, pw string) error {
	if err := CheckPassword("password", pw); err != nil {
		return err
	}
	h := hashPassword(pw)
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(tx.ctx, `UPDATE staff SET password_hash = $1 WHERE id = $2`, h, staffID)
		if err != nil {
			return internal("set password", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No staff account %d exists.", staffID)
		}
		_, err = tx.ExecContext(tx.ctx, `DELETE FROM sessions WHERE staff_id = $1`, staffID)
		return internal("end sessions", err)
	})
}

// ChangeStaffPassword replaces the password of the session's member of
// staff after checking the current one (an account that has none yet, such
// as the first administrator signed in with its API token, sets its first),
// ends every session of the account and returns a new session for this
// browser.
func (db *DB) ChangeStaffPassword(ctx context.Context, s *Session, current, next string) (*Session, error) {
	if s.Staff == nil {
		return nil, onedoor.Errorf(onedoor.EFORBIDDEN, "Only staff have passwords.")
	}
	if err := CheckPassword("new", next); err != nil {
		return nil, err
	}
	var have string
	if err := db.read.QueryRowContext(ctx, `SELECT password_hash FROM staff WHERE id = $1`, s.Staff.ID).Scan(&have); err != nil {
		return nil, internal("read password", err)
	}
	if have != "" && !verifyPassword(have, current) {
		return nil, onedoor.FieldErrorf("current", "The current password is wrong.")
	}
	h := hashPassword(next)
	var out *Session
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(tx.ctx, `UPDATE staff SET password_hash = $1 WHERE id = $2`, h, s.Staff.ID); err != nil {
			return internal("set password", err)
		}
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM sessions WHERE staff_id = $1`, s.Staff.ID); err != nil {
			return internal("end sessions", err)
		}
		var err error
		out, err = tx.createSession(SessionStaff, s.Staff.ID, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.Staff = s.Staff
	return out, nil
}

// SetStaffDisabled disables or re-enables a staff account; disabling ends
// its sessions (its API token stops working too).
func (db *DB) SetStaffDisabled(ctx context.Context, staffID int64, disabled bool) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(tx.ctx, `UPDATE staff SET disabled = $1 WHERE id = $2`, disabled, staffID)
		if err != nil {
			return internal("disable staff", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No staff account %d exists.", staffID)
		}
		if disabled {
			_, err = tx.ExecContext(tx.ctx, `DELETE FROM sessions WHERE staff_id = $1`, staffID)
		}
		return internal("end sessions", err)
	})
}

// --- throttling ---

// failures counts the failures recorded in a bucket within the window.
func (db *DB) failures(ctx context.Context, bucket string, window time.Duration) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE bucket = $1 AND at > $2`, bucket, ts(db.now().Add(-window))).Scan(&n)
	return n, internal("count failures", err)
}

// throttled returns ETOOMANY if any bucket has reached its limit.
func (db *DB) throttled(ctx context.Context, window time.Duration, limits map[string]int) error {
	for bucket, max := range limits {
		n, err := db.failures(ctx, bucket, window)
		if err != nil {
			return err
		}
		if n >= max {
			return onedoor.Errorf(onedoor.ETOOMANY, "Too many attempts; try again in %d minutes.", int(window.Minutes()))
		}
	}
	return nil
}

// recordFailure adds one failure to each bucket and drops day-old rows.
func (tx *Tx) recordFailure(buckets ...string) error {
	now := tx.db.now()
	for _, b := range buckets {
		if _, err := tx.ExecContext(tx.ctx, `INSERT INTO login_attempts (bucket, at) VALUES ($1, $2)`, b, ts(now)); err != nil {
			return internal("record failure", err)
		}
	}
	_, err := tx.ExecContext(tx.ctx, `DELETE FROM login_attempts WHERE at < $1`, ts(now.Add(-24*time.Hour)))
	return internal("prune failures", err)
}

// StaffLogin checks a username and password and opens a new staff session,
// ending the session old (the browser's previous one, if any) in the same
// transaction. Failures are throttled per username and per client address;
// an unknown username and a wrong password get the same answer in the same
// time.
func (db *DB) StaffLogin(ctx context.Context, username, password, ip, old string) (*Session, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if len(username) > 40 || len(password) > 4*MaxPassword {
		return nil, onedoor.Errorf(onedoor.EUNAUTHORIZED, "The username or the password is wrong.")
	}
	userBucket, ipBucket := "user:"+username, "ip:"+ip
	if err := db.throttled(ctx, throttleWindow, map[string]int{userBucket: maxUserFailures, ipBucket: maxIPFailures}); err != nil {
		return nil, err
	}
	var id int64
	var have string
	var disabled bool
	err := db.read.QueryRowContext(ctx, `SELECT id, password_hash, disabled FROM staff WHERE username = $1`, username).Scan(&id, &have, &disabled)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, internal("find staff", err)
	}
	ok := false
	if err == nil && have != "" {
		ok = verifyPassword(have, password)
	} else {
		verifyPassword(dummyHash, password)
	}
	if !ok || disabled {
		if err := db.update(ctx, func(tx *Tx) error { return tx.recordFailure(userBucket, ipBucket) }); err != nil {
			return nil, err
		}
		return nil, onedoor.Errorf(onedoor.EUNAUTHORIZED, "The username or the password is wrong.")
	}
	var s *Session
	err = db.update(ctx, func(tx *Tx) error {
		if err := tx.endSession(old); err != nil {
			return err
		}
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM login_attempts WHERE bucket = $1`, userBucket); err != nil {
			return internal("clear failures", err)
		}
		var err error
		s, err = tx.createSession(SessionStaff, id, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Staff, err = db.FindStaffByID(ctx, id); err != nil {
		return nil, err
	}
	return s, nil
}

// StaffHasPassword reports whether a staff account has a password set.
func (db *DB) StaffHasPassword(ctx context.Context, staffID int64) (bool, error) {
	var have string
	err := db.read.QueryRowContext(ctx, `SELECT password_hash FROM staff WHERE id = $1`, staffID).Scan(&have)
	return have != "", internal("read password", err)
}

// StaffTokenLogin opens a staff session with an API token instead of a
// password: how the first administrator, created with a token only, signs
// in to set a password. Failures are throttled per client address like
// password logins.
func (db *DB) StaffTokenLogin(ctx context.Context, token, ip, old string) (*Session, error) {
	ipBucket := "ip:" + ip
	if err := db.throttled(ctx, throttleWindow, map[string]int{ipBucket: maxIPFailures}); err != nil {
		return nil, err
	}
	st, err := db.Authenticate(ctx, strings.TrimSpace(token))
	if onedoor.ErrorCode(err) == onedoor.EUNAUTHORIZED {
		if err := db.update(ctx, func(tx *Tx) error { return tx.recordFailure(ipBucket) }); err != nil {
			return nil, err
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	var s *Session
	err = db.update(ctx, func(tx *Tx) error {
		if err := tx.endSession(old); err != nil {
			return err
		}
		var err error
		s, err = tx.createSession(SessionStaff, st.ID, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Staff = st
	return s, nil
}
