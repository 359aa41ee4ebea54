package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"onedoor"
	"onedoor/pii"
)

// AnalyticsCase is what the analytics index needs of a case: who applied
// for which matter, when it was received and where it stands.
type AnalyticsCase struct {
	ID          int64
	Subject     onedoor.SubjectType
	ApplicantID int64
	Matter      string
	Status      onedoor.Status
	ReceivedAt  time.Time
}

// AnalyticsLicence is what the analytics index needs of an e-licence:
// whose, which type, and the days it is valid (YYYY-MM-DD; ValidUntil
// empty: without limit).
type AnalyticsLicence struct {
	Subject    onedoor.SubjectType
	HolderID   int64
	Type       string
	ValidFrom  string
	ValidUntil string
}

// AnalyticsSink receives the store's contents for the analytics index.
// Person and Org get values they may keep; Progress, if set, is called
// every 100,000 rows with the table and the rows read so far.
type AnalyticsSink struct {
	Person   func(*onedoor.Person) error
	Org      func(*onedoor.Org) error
	Case     func(*AnalyticsCase) error
	Licence  func(*AnalyticsLicence) error
	Progress func(table string, rows int64)
}

// StreamAnalytics reads every person, organisation, case and e-licence,
// each in ID order, from one consistent snapshot, and returns the sequence
// number of the last event the snapshot holds: an index built from it and
// then fed the committed events after that number misses nothing and
// counts nothing twice. Only the columns analytics needs are read; nothing
// sealed.
func (db *DB) StreamAnalytics(ctx context.Context, sink AnalyticsSink) (int64, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return 0, internal("analytics: begin", err)
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM chain_head WHERE id = 1`).Scan(&seq); err != nil {
		return 0, internal("analytics: chain head", err)
	}
	progress := func(table string, n int64) {
		if sink.Progress != nil && n%100000 == 0 {
			sink.Progress(table, n)
		}
	}
	if sink.Person != nil {
		rows, err := tx.QueryContext(ctx, `SELECT id, sex, birth, local, street, community, household, lives_alone, disabled, dishonest
			FROM persons ORDER BY id`)
		if err != nil {
			return 0, internal("analytics: persons", err)
		}
		var n int64
		for rows.Next() {
			p := &onedoor.Person{}
			var birth string
			if err := rows.Scan(&p.ID, &p.Sex, &birth, &p.Local, &p.Street, &p.Community, &p.Household, &p.LivesAlone, &p.Disabled, &p.Dishonest); err != nil {
				rows.Close()
				return 0, internal("analytics: scan person", err)
			}
			p.Birth = analyticsDate(birth)
			if err := sink.Person(p); err != nil {
				rows.Close()
				return 0, err
			}
			n++
			progress("persons", n)
		}
		if err := rows.Close(); err != nil {
			return 0, internal("analytics: persons", err)
		}
		if err := rows.Err(); err != nil {
			return 0, internal("analytics: persons", err)
		}
	}
	if sink.Org != nil {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, size, registered, street, dishonest FROM orgs ORDER BY id`)
		if err != nil {
			return 0, internal("analytics: orgs", err)
		}
		var n int64
		for rows.Next() {
			o := &onedoor.Org{}
			var reg string
			if err := rows.Scan(&o.ID, &o.Kind, &o.Size, &reg, &o.Street, &o.Dishonest); err != nil {
				rows.Close()
				return 0, internal("analytics: scan org", err)
			}
			o.Registered = analyticsDate(reg)
			if err := sink.Org(o); err != nil {
				rows.Close()
				return 0, err
			}
			n++
			progress("orgs", n)
		}
		if err := rows.Close(); err != nil {
			return 0, internal("analytics: orgs", err)
		}
		if err := rows.Err(); err != nil {
			return 0, internal("analytics: orgs", err)
		}
	}
	if sink.Case != nil {
		rows, err := tx.QueryContext(ctx, `SELECT id, subject, applicant_id, matter, status, received_at FROM cases ORDER BY id`)
		if err != nil {
			return 0, internal("analytics: cases", err)
		}
		var n int64
		c := &AnalyticsCase{}
		for rows.Next() {
			var subject, status, received string
			if err := rows.Scan(&c.ID, &subject, &c.ApplicantID, &c.Matter, &status, &received); err != nil {
				rows.Close()
				return 0, internal("analytics: scan case", err)
			}
			c.Subject, c.Status = onedoor.SubjectType(subject), onedoor.Status(status)
			if c.ReceivedAt, err = parseTS(received); err != nil {
				rows.Close()
				return 0, internal("analytics: case received_at", err)
			}
			if err := sink.Case(c); err != nil {
				rows.Close()
				return 0, err
			}
			n++
			progress("cases", n)
		}
		if err := rows.Close(); err != nil {
			return 0, internal("analytics: cases", err)
		}
		if err := rows.Err(); err != nil {
			return 0, internal("analytics: cases", err)
		}
	}
	if sink.Licence != nil {
		rows, err := tx.QueryContext(ctx, `SELECT subject, holder_id, type, valid_from, valid_until FROM licences ORDER BY id`)
		if err != nil {
			return 0, internal("analytics: licences", err)
		}
		var n int64
		l := &AnalyticsLicence{}
		for rows.Next() {
			var subject string
			if err := rows.Scan(&subject, &l.HolderID, &l.Type, &l.ValidFrom, &l.ValidUntil); err != nil {
				rows.Close()
				return 0, internal("analytics: scan licence", err)
			}
			l.Subject = onedoor.SubjectType(subject)
			if err := sink.Licence(l); err != nil {
				rows.Close()
				return 0, err
			}
			n++
			progress("licences", n)
		}
		if err := rows.Close(); err != nil {
			return 0, internal("analytics: licences", err)
		}
		if err := rows.Err(); err != nil {
			return 0, internal("analytics: licences", err)
		}
	}
	return seq, nil
}

// ChainHead is the sequence number of the last committed event: an
// analytics index that has applied events up to it is up to date.
func (db *DB) ChainHead(ctx context.Context) (int64, error) {
	var seq int64
	if err := db.read.QueryRowContext(ctx, `SELECT seq FROM chain_head WHERE id = 1`).Scan(&seq); err != nil {
		return 0, internal("chain head", err)
	}
	return seq, nil
}

// EventsAfter returns the committed events with sequence numbers above
// seq, in sequence order, at most limit of them (limit < 1 means 1000):
// what an analytics index that has applied the events up to seq still
// lacks, including those committed by other nodes sharing the database,
// which its OnCommit never hears of. The events are as OnCommit hands them
// over (command with its intake record included). The read uses the events
// primary key.
//
// Sequence order is commit order. Every write batch reads the chain head
// under the store's write lock — SELECT … FOR UPDATE on the chain_head row
// on PostgreSQL, BEGIN IMMEDIATE on SQLite — numbers its events from it and
// moves the head in the same transaction, so no batch numbers an event
// before the batch holding the previous numbers has committed (PostgreSQL
// makes a commit visible before it releases the row lock). Hence when an
// event is visible, so is every event before it: a number missing from
// what this returns below its last event is missing from the store and no
// later commit will fill it.
func (db *DB) EventsAfter(ctx context.Context, seq int64, limit int) ([]onedoor.Event, error) {
	if limit < 1 {
		limit = 1000
	}
	evs, err := queryEvents(ctx, db.read, `WHERE seq > $1 ORDER BY seq LIMIT $2`, seq, limit)
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// analyticsDate reads YYYY-MM-DD; anything else is the zero time.
func analyticsDate(s string) time.Time {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}
	}
	y, m, d := analyticsAtoi(s[0:4]), analyticsAtoi(s[5:7]), analyticsAtoi(s[8:10])
	if y < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

func analyticsAtoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// MaskedNames returns the masked names (张*) of the persons with these
// IDs, for outreach lists; IDs not found are left out. Plain names never
// leave the store this way.
func (db *DB) MaskedNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return db.names(ctx, "persons", ids, pii.MaskName)
}

// OrgNames returns the registered names of the organisations with these
// IDs, for outreach lists; IDs not found are left out. An organisation's
// name is public registry data and is not masked; nothing else of it is
// read.
func (db *DB) OrgNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	return db.names(ctx, "orgs", ids, func(name string) string { return name })
}

// names reads the name column of table (persons or orgs) for ids, as show
// makes it.
func (db *DB) names(ctx context.Context, table string, ids []int64, show func(string) string) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		var sb strings.Builder
		args := make([]any, len(part))
		sb.WriteString(`SELECT id, name FROM ` + table + ` WHERE id IN (`)
		for i, id := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", i+1)
			args[i] = id
		}
		sb.WriteByte(')')
		rows, err := db.read.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return nil, internal(table+" names", err)
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, internal(table+" names", err)
			}
			out[id] = show(name)
		}
		if err := rows.Close(); err != nil {
			return nil, internal(table+" names", err)
		}
		if err := rows.Err(); err != nil {
			return nil, internal(table+" names", err)
		}
	}
	return out, nil
}
