package sqldb

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"onedoor"
	"onedoor/calendar"
)

const licenceColumns = `id, number, type, subject, holder_id, issuer, case_number, issued_at, valid_from, valid_until, signature`

func scanLicence(row interface{ Scan(...any) error }) (*onedoor.Licence, error) {
	var l onedoor.Licence
	var subject, issued string
	if err := row.Scan(&l.ID, &l.Number, &l.Type, &subject, &l.HolderID, &l.Issuer, &l.CaseNumber, &issued, &l.ValidFrom, &l.ValidUntil, &l.Signature); err != nil {
		return nil, err
	}
	l.Subject = onedoor.SubjectType(subject)
	l.IssuedAt, _ = parseTS(issued)
	return &l, nil
}

func queryLicences(ctx context.Context, q querier, subject onedoor.SubjectType, holder int64) ([]onedoor.Licence, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+licenceColumns+` FROM licences WHERE subject = $1 AND holder_id = $2 ORDER BY id`, string(subject), holder)
	if err != nil {
		return nil, internal("query licences", err)
	}
	defer rows.Close()
	var out []onedoor.Licence
	for rows.Next() {
		l, err := scanLicence(rows)
		if err != nil {
			return nil, internal("scan licence", err)
		}
		out = append(out, *l)
	}
	return out, internal("query licences", rows.Err())
}

// FindLicences lists the e-licences a person or organisation holds.
func (db *DB) FindLicences(ctx context.Context, subject onedoor.SubjectType, holder int64) ([]onedoor.Licence, error) {
	return queryLicences(ctx, db.read, subject, holder)
}

// FindLicence finds an e-licence by its number.
func (db *DB) FindLicence(ctx context.Context, number string) (*onedoor.Licence, error) {
	l, err := scanLicence(db.read.QueryRowContext(ctx, `SELECT `+licenceColumns+` FROM licences WHERE number = $1`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No e-licence with number %q exists.", number)
	}
	return l, internal("find licence", err)
}

// VerifyLicence reports whether the licence's signature is Onedoor's.
func (db *DB) VerifyLicence(l *onedoor.Licence) bool {
	sig, err := base64.StdEncoding.DecodeString(l.Signature)
	if err != nil {
		return false
	}
	return ed25519.Verify(db.sign.Public().(ed25519.PublicKey), l.SignedBytes(), sig)
}

// newLicence prepares the e-licence a completed case issues: numbered after
// the case, valid from the day of issue for the type's validity, signed.
func (db *DB) newLicence(c *onedoor.Case, m *onedoor.Matter, now time.Time) *onedoor.Licence {
	lt, _ := db.Catalog().LicenceType(m.Result.Licence)
	day := now.In(calendar.Location)
	l := &onedoor.Licence{
		Number: m.Result.Licence + "-" + c.Number, Type: m.Result.Licence, Subject: c.Subject, HolderID: c.ApplicantID,
		Issuer: m.Department, CaseNumber: c.Number, IssuedAt: now.UTC().Truncate(time.Microsecond), ValidFrom: day.Format("2006-01-02"),
	}
	if lt != nil && lt.ValidYears > 0 {
		l.ValidUntil = day.AddDate(lt.ValidYears, 0, -1).Format("2006-01-02")
	}
	l.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(db.sign, l.SignedBytes()))
	return l
}

func (tx *Tx) insertLicence(l *onedoor.Licence) error {
	err := tx.QueryRowContext(tx.ctx, `INSERT INTO licences (number, type, subject, holder_id, issuer, case_number, issued_at, valid_from, valid_until, signature)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		l.Number, l.Type, string(l.Subject), l.HolderID, l.Issuer, l.CaseNumber, ts(l.IssuedAt), l.ValidFrom, l.ValidUntil, l.Signature).Scan(&l.ID)
	return internal("insert licence", err)
}
