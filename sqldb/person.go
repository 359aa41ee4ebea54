package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"onedoor"
	"onedoor/pii"
)

// cleanName checks a person's or organisation's name: present, not too long,
// no control characters.
func cleanName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", onedoor.FieldErrorf(field, "The name is required.")
	}
	if utf8.RuneCountInString(s) > 100 {
		return "", onedoor.FieldErrorf(field, "The name is longer than 100 characters.")
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError }) >= 0 {
		return "", onedoor.FieldErrorf(field, "The name contains control or formatting characters (such as direction overrides), a replacement character (U+FFFD, from an unpaired surrogate) or invalid text.")
	}
	return s, nil
}

// applicantRef is a validated applicant, ready to be found or registered.
type applicantRef struct {
	subject onedoor.SubjectType
	id      onedoor.IDNumber
	uscc    onedoor.USCC
	name    string
	phone   string
}

// checkApplicant validates an applicant before any transaction starts.
func (db *DB) checkApplicant(a onedoor.Applicant) (applicantRef, error) {
	ref := applicantRef{subject: a.Subject}
	var err error
	switch a.Subject {
	case onedoor.Natural:
		if ref.id, err = onedoor.ParseIDNumberAt("applicant.id_number", a.IDNumber, db.now()); err != nil {
			return ref, err
		}
	case onedoor.Legal:
		if ref.uscc, err = onedoor.ParseUSCC("applicant.uscc", a.USCC, a.AllowLegacy); err != nil {
			return ref, err
		}
	default:
		return ref, onedoor.FieldErrorf("applicant.subject", "The subject must be %q or %q.", onedoor.Natural, onedoor.Legal)
	}
	if ref.name, err = cleanName("applicant.name", a.Name); err != nil {
		return ref, err
	}
	if strings.TrimSpace(a.Phone) != "" {
		if ref.phone, err = onedoor.ParsePhone("applicant.phone", a.Phone); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

const personColumns = `id, id_masked, name, sex, birth, region, local, street, community, household, lives_alone, disabled, dishonest, created_at`

func scanPerson(row interface{ Scan(...any) error }) (*onedoor.Person, error) {
	var p onedoor.Person
	var birth, created string
	if err := row.Scan(&p.ID, &p.IDMasked, &p.Name, &p.Sex, &birth, &p.Region, &p.Local, &p.Street, &p.Community,
		&p.Household, &p.LivesAlone, &p.Disabled, &p.Dishonest, &created); err != nil {
		return nil, err
	}
	p.Birth, _ = time.Parse("2006-01-02", birth)
	p.CreatedAt, _ = parseTS(created)
	return &p, nil
}

// findOrCreatePerson returns the person with this ID number, registering
// them on first contact.
func (tx *Tx) findOrCreatePerson(ref applicantRef) (*onedoor.Person, error) {
	db := tx.db
	idx := db.box.Index("id", ref.id.Number)
	p, err := scanPerson(tx.QueryRowContext(tx.ctx, `SELECT `+personColumns+` FROM persons WHERE id_index = $1`, idx))
	if err == nil {
		if ref.phone != "" {
			sealed, err := db.box.Seal("phone", ref.phone)
			if err != nil {
				return nil, internal("seal phone", err)
			}
			if _, err := tx.ExecContext(tx.ctx, `UPDATE persons SET phone_index = $1, phone_sealed = $2 WHERE id = $3`,
				db.box.Index("phone", ref.phone), sealed, p.ID); err != nil {
				return nil, internal("update phone", err)
			}
		}
		return p, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, internal("find person", err)
	}
	sealed, err := db.box.Seal("id", ref.id.Number)
	if err != nil {
		return nil, internal("seal id", err)
	}
	phoneIdx, phoneSealed := "", ""
	if ref.phone != "" {
		phoneIdx = db.box.Index("phone", ref.phone)
		if phoneSealed, err = db.box.Seal("phone", ref.phone); err != nil {
			return nil, internal("seal phone", err)
		}
	}
	sex := "F"
	if ref.id.Male {
		sex = "M"
	}
	p = &onedoor.Person{IDMasked: pii.MaskID(ref.id.Number), Name: ref.name, Sex: sex, Birth: ref.id.Birth,
		Region: ref.id.Region, Local: strings.HasPrefix(ref.id.Region, "4406"), CreatedAt: db.now().UTC()}
	err = tx.QueryRowContext(tx.ctx, `INSERT INTO persons (id_index, id_sealed, id_masked, name, sex, birth, region, phone_index, phone_sealed, local, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		idx, sealed, p.IDMasked, p.Name, p.Sex, p.Birth.Format("2006-01-02"), p.Region, phoneIdx, phoneSealed, p.Local, ts(p.CreatedAt)).Scan(&p.ID)
	if err != nil {
		return nil, internal("insert person", err)
	}
	return p, nil
}

const orgColumns = `id, uscc, legacy, name, kind, size, registered, street, dishonest, created_at`

func scanOrg(row interface{ Scan(...any) error }) (*onedoor.Org, error) {
	var o onedoor.Org
	var reg, created string
	if err := row.Scan(&o.ID, &o.USCC, &o.Legacy, &o.Name, &o.Kind, &o.Size, &reg, &o.Street, &o.Dishonest, &created); err != nil {
		return nil, err
	}
	o.Registered, _ = time.Parse("2006-01-02", reg)
	o.CreatedAt, _ = parseTS(created)
	return &o, nil
}

// findOrCreateOrg returns the organisation with this code, registering it on
// first contact; a legacy code is recorded as such.
func (tx *Tx) findOrCreateOrg(ref applicantRef) (*onedoor.Org, error) {
	o, err := scanOrg(tx.QueryRowContext(tx.ctx, `SELECT `+orgColumns+` FROM orgs WHERE uscc = $1`, ref.uscc.Code))
	if err == nil {
		return o, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, internal("find org", err)
	}
	o = &onedoor.Org{USCC: ref.uscc.Code, Legacy: ref.uscc.Legacy, Name: ref.name, Kind: "company", Size: "small", CreatedAt: tx.db.now().UTC()}
	err = tx.QueryRowContext(tx.ctx, `INSERT INTO orgs (uscc, legacy, name, kind, size, registered, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		o.USCC, o.Legacy, o.Name, o.Kind, o.Size, "", ts(o.CreatedAt)).Scan(&o.ID)
	if err != nil {
		return nil, internal("insert org", err)
	}
	return o, nil
}

// FindPersonByIDNumber finds a person by ID number through the blind index.
func (db *DB) FindPersonByIDNumber(ctx context.Context, number string) (*onedoor.Person, error) {
	id, err := onedoor.ParseIDNumberAt("id_number", number, db.now())
	if err != nil {
		return nil, err
	}
	p, err := scanPerson(db.read.QueryRowContext(ctx, `SELECT `+personColumns+` FROM persons WHERE id_index = $1`, db.box.Index("id", id.Number)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No person with this ID number is known.")
	}
	return p, internal("find person", err)
}

// FindOrgByUSCC finds an organisation by its code.
func (db *DB) FindOrgByUSCC(ctx context.Context, code string) (*onedoor.Org, error) {
	o, err := scanOrg(db.read.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE uscc = $1`, strings.ToUpper(strings.TrimSpace(code))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No organisation with this code is known.")
	}
	return o, internal("find org", err)
}
