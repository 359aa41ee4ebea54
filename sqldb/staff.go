package sqldb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"

	"onedoor"
)

var usernameRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,39}$`)

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte("onedoor-token\x00" + token))
	return hex.EncodeToString(sum[:])
}

// validRole reports whether r is a staff role.
func validRole(r onedoor.Role) bool {
	switch r {
	case onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor, onedoor.RoleAnalyst, onedoor.RoleAdmin:
		return true
	}
	return false
}

// CreateStaff adds a staff account and returns its API token, which is
// shown once and stored only as a hash. Officers and leaders must name a
// department of the catalog; other roles must not.
func (db *DB) CreateStaff(ctx context.Context, s *onedoor.Staff) (string, error) {
	s.Username = strings.TrimSpace(s.Username)
	if !usernameRE.MatchString(s.Username) {
		return "", onedoor.FieldErrorf("username", "A username is 2–40 lower-case letters, digits, '.', '_' or '-', starting with a letter.")
	}
	name, err := cleanName("name", s.Name)
	if err != nil {
		return "", err
	}
	s.Name = name
	if !validRole(s.Role) {
		return "", onedoor.FieldErrorf("role", "Unknown role %q.", s.Role)
	}
	needsDept := s.Role == onedoor.RoleOfficer || s.Role == onedoor.RoleLeader
	if needsDept {
		if _, ok := db.Catalog().Department(s.Department); !ok {
			return "", onedoor.FieldErrorf("department", "An officer or leader needs a department of the catalog; %q is not one.", s.Department)
		}
	} else if s.Department != "" {
		return "", onedoor.FieldErrorf("department", "Only officers and leaders belong to a department.")
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", internal("token", err)
	}
	token := "od_" + base64.RawURLEncoding.EncodeToString(raw[:])
	err = db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(tx.ctx, `INSERT INTO staff (username, name, role, department, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (username) DO NOTHING RETURNING id`,
			s.Username, s.Name, string(s.Role), s.Department, tokenHash(token), ts(db.now())).Scan(&s.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return onedoor.FieldErrorf("username", "The username %q is taken.", s.Username)
		}
		return internal("insert staff", err)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Authenticate finds the active staff account of an API token.
func (db *DB) Authenticate(ctx context.Context, token string) (*onedoor.Staff, error) {
	bad := onedoor.Errorf(onedoor.EUNAUTHORIZED, "The token is missing, unknown or disabled.")
	if token == "" || len(token) > 200 {
		return nil, bad
	}
	var s onedoor.Staff
	var role string
	err := db.read.QueryRowContext(ctx, `SELECT id, username, name, role, department, disabled FROM staff WHERE token_hash = $1`, tokenHash(token)).
		Scan(&s.ID, &s.Username, &s.Name, &role, &s.Department, &s.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bad
	}
	if err != nil {
		return nil, internal("authenticate", err)
	}
	if s.Disabled {
		return nil, bad
	}
	s.Role = onedoor.Role(role)
	return &s, nil
}

// FindStaff lists staff accounts.
func (db *DB) FindStaff(ctx context.Context) ([]*onedoor.Staff, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, username, name, role, department, disabled FROM staff ORDER BY username`)
	if err != nil {
		return nil, internal("find staff", err)
	}
	defer rows.Close()
	var out []*onedoor.Staff
	for rows.Next() {
		var s onedoor.Staff
		var role string
		if err := rows.Scan(&s.ID, &s.Username, &s.Name, &role, &s.Department, &s.Disabled); err != nil {
			return nil, internal("scan staff", err)
		}
		s.Role = onedoor.Role(role)
		out = append(out, &s)
	}
	return out, internal("find staff", rows.Err())
}
