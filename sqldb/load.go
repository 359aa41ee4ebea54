package sqldb

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"onedoor"
	"onedoor/audit"
	"onedoor/pii"
)

// LoadPerson is a person to bulk-load, with the plain ID and phone numbers
// the store seals on the way in.
type LoadPerson struct {
	onedoor.Person
	IDNumber string
	Phone    string
}

// LoadCase is a case to bulk-load with its whole event history (as the
// workflow produced it) and the e-licence it issued, if any.
type LoadCase struct {
	Case    onedoor.Case
	Events  []onedoor.Event
	Licence *onedoor.Licence
	Code    string // verification code
}

// LoadBatch is one bulk-load transaction's worth of rows.
type LoadBatch struct {
	Persons []LoadPerson
	Orgs    []onedoor.Org
	Cases   []LoadCase
}

// Loader bulk-loads a generated district into an empty store. Rows keep the
// IDs the generator gave them; events are hash-chained and e-licences signed
// exactly as live ones are; each batch is one transaction through the writer.
type Loader struct {
	db       *DB
	counters map[string]int64
}

// NewLoader checks that the store holds no people, organisations or cases
// (synthetic IDs start at 1) and returns a loader.
func (db *DB) NewLoader(ctx context.Context) (*Loader, error) {
	for _, t := range []string{"persons", "orgs", "cases"} {
		var n int64
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
			return nil, internal("count "+t, err)
		}
		if n > 0 {
			return nil, onedoor.Errorf(onedoor.ECONFLICT, "The store already holds %s; a synthetic district loads only into an empty store.", t)
		}
	}
	return &Loader{db: db, counters: map[string]int64{}}, nil
}

// Load writes one batch in one transaction.
func (l *Loader) Load(ctx context.Context, b *LoadBatch) error {
	db := l.db
	personRows := make([][]any, 0, len(b.Persons))
	for i := range b.Persons {
		p := &b.Persons[i]
		sealed, err := db.box.Seal(pii.KindID, p.IDNumber)
		if err != nil {
			return internal("seal id", err)
		}
		phoneIdx, phoneSealed := "", ""
		if p.Phone != "" {
			phoneIdx = db.box.Index(pii.KindPhone, p.Phone)
			if phoneSealed, err = db.box.Seal(pii.KindPhone, p.Phone); err != nil {
				return internal("seal phone", err)
			}
		}
		personRows = append(personRows, []any{p.ID, db.box.Index(pii.KindID, p.IDNumber), sealed, pii.MaskID(p.IDNumber), p.Name, p.Sex,
			p.Birth.Format("2006-01-02"), p.Region, phoneIdx, phoneSealed, p.Local, p.Street, p.Community, p.Household,
			p.LivesAlone, p.Disabled, p.Dishonest, ts(p.CreatedAt)})
	}
	orgRows := make([][]any, 0, len(b.Orgs))
	for _, o := range b.Orgs {
		orgRows = append(orgRows, []any{o.ID, o.USCC, o.Legacy, o.Name, o.Kind, o.Size, dateOrEmpty(o.Registered), o.Street, o.Dishonest, ts(o.CreatedAt)})
	}
	caseRows := make([][]any, 0, len(b.Cases))
	var licRows [][]any
	for i := range b.Cases {
		lc := &b.Cases[i]
		c := &lc.Case
		m, err := db.matter(c.Matter, c.MatterVersion)
		if err != nil {
			return err
		}
		state, err := json.Marshal(c)
		if err != nil {
			return internal("marshal case", err)
		}
		caseRows = append(caseRows, []any{c.ID, c.Number, db.verifyHash(c.Number, lc.Code), c.Matter, c.MatterVersion, c.Bundle, string(c.Subject),
			c.ApplicantID, string(c.Status), c.Step, stepDepartment(c, m), c.Due, c.StepDue, ts(c.ReceivedAt), optTS(c.AcceptedAt),
			optTS(c.ClosedAt), c.Version, string(state)})
		if lic := lc.Licence; lic != nil {
			lic.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(db.sign, lic.SignedBytes()))
			licRows = append(licRows, []any{lic.Number, lic.Type, string(lic.Subject), lic.HolderID, lic.Issuer, lic.CaseNumber,
				ts(lic.IssuedAt), lic.ValidFrom, lic.ValidUntil, lic.Signature})
		}
		if len(c.Number) == 18 {
			day := c.Number[6:12]
			var seq int64
			fmt.Sscanf(c.Number[12:], "%d", &seq)
			if seq > l.counters[day] {
				l.counters[day] = seq
			}
		}
	}
	return db.update(ctx, func(tx *Tx) error {
		if err := tx.insertRows("persons", []string{"id", "id_index", "id_sealed", "id_masked", "name", "sex", "birth", "region", "phone_index",
			"phone_sealed", "local", "street", "community", "household", "lives_alone", "disabled", "dishonest", "created_at"}, personRows); err != nil {
			return err
		}
		if err := tx.insertRows("orgs", []string{"id", "uscc", "legacy", "name", "kind", "size", "registered", "street", "dishonest", "created_at"}, orgRows); err != nil {
			return err
		}
		if err := tx.insertRows("cases", []string{"id", "number", "verify_hash", "matter", "matter_version", "bundle", "subject", "applicant_id",
			"status", "step", "department", "due", "step_due", "received_at", "accepted_at", "closed_at", "version", "state"}, caseRows); err != nil {
			return err
		}
		if err := tx.insertRows("licences", []string{"number", "type", "subject", "holder_id", "issuer", "case_number", "issued_at",
			"valid_from", "valid_until", "signature"}, licRows); err != nil {
			return err
		}
		var evRows [][]any
		for i := range b.Cases {
			for j := range b.Cases[i].Events {
				e := &b.Cases[i].Events[j]
				e.Seq, e.PrevHash = tx.seq+1, tx.hash
				e.Hash = audit.Hash(e.PrevHash, e)
				tx.seq, tx.hash = e.Seq, e.Hash
				cmd, err := json.Marshal(e.Command)
				if err != nil {
					return internal("marshal command", err)
				}
				evRows = append(evRows, []any{e.Seq, e.CaseID, e.CaseNumber, e.Version, string(e.Type), string(e.Status), e.Step, ts(e.At),
					string(cmd), e.StateHash, e.PrevHash, e.Hash})
				tx.events = append(tx.events, *e)
			}
		}
		if err := tx.insertRows("events", []string{"seq", "case_id", "case_number", "version", "type", "status", "step", "at", "command",
			"state_hash", "prev_hash", "hash"}, evRows); err != nil {
			return err
		}
		for day, n := range l.counters {
			if _, err := tx.ExecContext(tx.ctx, `INSERT INTO counters (name, value) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counters.value > excluded.value THEN counters.value ELSE excluded.value END`,
				"case-20"+day, n); err != nil {
				return internal("counters", err)
			}
		}
		return nil
	})
}

// Finish brings auto-increment sequences past the loaded IDs (PostgreSQL).
func (l *Loader) Finish(ctx context.Context) error {
	if l.db.dialect != Postgres {
		return nil
	}
	return l.db.update(ctx, func(tx *Tx) error {
		for _, t := range []string{"persons", "orgs", "cases", "licences"} {
			if _, err := tx.ExecContext(tx.ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), COALESCE((SELECT MAX(id) FROM `+t+`), 0) + 1, false)`); err != nil {
				return internal("setval "+t, err)
			}
		}
		return nil
	})
}

// insertRows writes rows with multi-row INSERTs of a fixed number of rows,
// so that the writer's statement cache prepares each shape once (SQLite
// spends far longer parsing a statement of thousands of parameters than
// running it); the remainder goes row by row.
func (tx *Tx) insertRows(table string, cols []string, rows [][]any) error {
	const per = 64
	for len(rows) > 0 {
		n := per
		if len(rows) < per {
			n = 1
		}
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j := range r {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("$" + strconv.Itoa(len(args)+1))
				args = append(args, r[j])
			}
			sb.WriteByte(')')
		}
		if _, err := tx.ExecContext(tx.ctx, sb.String(), args...); err != nil {
			return internal("bulk insert "+table, err)
		}
		rows = rows[n:]
	}
	return nil
}

func dateOrEmpty(t interface {
	IsZero() bool
	Format(string) string
}) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}
