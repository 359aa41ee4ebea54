// Package district wires a district's data together: it puts a synthetic
// district into a store (the one conversion from what synth generates to
// what the store's bulk loader takes) and builds the live analytics index
// of a store. `onedoor demo` and `onedoor serve` use it, and so do the
// tests that need a populated district.
package district

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"onedoor"
	"onedoor/catalog"
	"onedoor/segment"
	"onedoor/sqldb"
	"onedoor/synth"
)

// LoadBatch converts a generated batch into a loader batch.
func LoadBatch(b *synth.Batch) *sqldb.LoadBatch {
	lb := &sqldb.LoadBatch{Persons: make([]sqldb.LoadPerson, len(b.Persons)), Orgs: make([]onedoor.Org, len(b.Orgs)), Cases: make([]sqldb.LoadCase, len(b.Cases))}
	for i, p := range b.Persons {
		lb.Persons[i] = sqldb.LoadPerson{Person: p.Person, IDNumber: p.IDNumber, Phone: p.Phone}
	}
	for i, o := range b.Orgs {
		lb.Orgs[i] = o.Org
	}
	for i, c := range b.Cases {
		lb.Cases[i] = sqldb.LoadCase{Case: c.Case, Events: c.Events, Licence: c.Licence, Code: c.Code}
	}
	return lb
}

// Generate generates the district cfg describes into db through its bulk
// loader and reports what was generated; progress may be nil.
func Generate(ctx context.Context, db *sqldb.DB, cfg synth.Config, progress func(done, total int)) (synth.Stats, error) {
	l, err := db.NewLoader(ctx)
	if err != nil {
		return synth.Stats{}, err
	}
	stats, err := synth.Generate(cfg, func(b *synth.Batch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return l.Load(ctx, LoadBatch(b))
	}, progress)
	if err != nil {
		return stats, err
	}
	return stats, l.Finish(ctx)
}

// BuildIndex builds the analytics index of the district in db and keeps
// it live: it subscribes to committed events first and reads one
// consistent snapshot, so nothing committed meanwhile is lost or counted
// twice. The events other nodes sharing the database commit, which this
// node's OnCommit never hears of, the index reads from the store (Since);
// licences issued later it looks up by number. The zero ref means today;
// log may be nil.
func BuildIndex(ctx context.Context, db *sqldb.DB, ref time.Time, log *slog.Logger) (*segment.Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ix := segment.New(segment.Config{Reference: ref, Matters: Subjects(db.Catalog()), Logger: log,
		ResolvePerson: db.FindPersonByID, ResolveOrg: db.FindOrgByID, ResolveLicence: db.FindLicence,
		Head: db.ChainHead, Since: db.EventsAfter})
	db.OnCommit(ix.Apply)
	start := time.Now()
	seq, err := db.StreamAnalytics(ctx, sqldb.AnalyticsSink{
		Person: func(p *onedoor.Person) error { ix.AddPerson(p); return nil },
		Org:    func(o *onedoor.Org) error { ix.AddOrg(o); return nil },
		Case: func(c *sqldb.AnalyticsCase) error {
			ix.AddCase(segment.Case{ID: c.ID, Subject: c.Subject, ApplicantID: c.ApplicantID, Matter: c.Matter, Status: c.Status, ReceivedAt: c.ReceivedAt})
			return nil
		},
		Licence: func(l *sqldb.AnalyticsLicence) error {
			ix.AddLicence(segment.Licence{Subject: l.Subject, HolderID: l.HolderID, Type: l.Type, ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil})
			return nil
		},
		Progress: func(table string, rows int64) {
			if rows%1_000_000 == 0 {
				log.Info("building the analytics index", "table", table, "rows", rows, "elapsed", time.Since(start).Round(time.Millisecond))
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("analytics index: %w", err)
	}
	ix.Finish(seq)
	st := ix.Stats()
	log.Info("analytics index ready", "residents", st.Residents, "orgs", st.Orgs, "cases", st.Cases,
		"MiB", st.Bytes>>20, "seconds", time.Since(start).Seconds())
	return ix, nil
}

// Subjects says for every matter of a catalog whether persons or
// organisations apply for it, as the index needs to know.
func Subjects(cat *catalog.Catalog) map[string]onedoor.SubjectType {
	out := map[string]onedoor.SubjectType{}
	if cat == nil {
		return out
	}
	for _, m := range cat.Latest() {
		out[m.Code] = m.Subject
	}
	return out
}
