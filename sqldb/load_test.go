package sqldb_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/sqldb"
	"onedoor/synth"
)

// loadDistrict generates a synthetic district straight into the store.
func loadDistrict(t testing.TB, e *env, people int) synth.Stats {
	t.Helper()
	ctx := context.Background()
	loader, err := e.db.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 30, 18, 0, 0, 0, calendar.Location)
	st, err := synth.Generate(synth.Config{People: people, Years: 1, End: end, Seed: 7, Catalog: catalog.Builtin(), Calendar: calendar.Official()},
		func(b *synth.Batch) error {
			lb := &sqldb.LoadBatch{}
			for _, p := range b.Persons {
				lb.Persons = append(lb.Persons, sqldb.LoadPerson{Person: p.Person, IDNumber: p.IDNumber, Phone: p.Phone})
			}
			for _, o := range b.Orgs {
				lb.Orgs = append(lb.Orgs, o.Org)
			}
			for _, c := range b.Cases {
				lb.Cases = append(lb.Cases, sqldb.LoadCase{Case: c.Case, Events: c.Events, Licence: c.Licence, Code: c.Code})
			}
			return loader.Load(ctx, lb)
		}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := loader.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestLoadDistrict: a generated district loads on both engines, passes the
// whole verification (every history replays to its stored state, deadlines
// agree with the calendar, e-licences and waivers hold, the chain
// verifies), a loaded case can be tracked with its code, and live intake
// continues after it without clashing numbers or IDs.
func TestLoadDistrict(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		st := loadDistrict(t, e, 3000)
		var bad []sqldb.Violation
		rep, err := e.db.Verify(context.Background(), func(v sqldb.Violation) { bad = append(bad, v) })
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) > 0 {
			t.Fatalf("%d violations, first %v", len(bad), bad[0])
		}
		if rep.Cases != st.Cases || rep.Events != st.Events || rep.Licences != st.Licences {
			t.Fatalf("verified %d cases, %d events, %d licences; generated %d, %d, %d", rep.Cases, rep.Events, rep.Licences, st.Cases, st.Events, st.Licences)
		}
		// Live work goes on after the load: new people, new case numbers.
		e.clock.Set("2026-12-01 09:00")
		rc, err := e.db.Intake(context.Background(), onedoorIntake("MED-002", person("新来者", "19880808", 77), allMaterials(e, "MED-002")))
		if err != nil {
			t.Fatalf("intake after the load: %v", err)
		}
		if _, err := e.db.FindCase(context.Background(), rc.Cases[0].Number); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkLoadDistrict reports residents and cases loaded per second
// (generation included) and the peak heap, on SQLite.
func BenchmarkLoadDistrict(b *testing.B) {
	const people = 20000
	cases := 0
	for b.Loop() {
		b.StopTimer()
		e := openEnv(b, filepath.Join(b.TempDir(), "onedoor.db"))
		runtime.GC()
		b.StartTimer()
		cases += loadDistrict(b, e, people).Cases
		b.StopTimer()
		e.db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(people*b.N)/b.Elapsed().Seconds(), "residents/s")
	b.ReportMetric(float64(cases)/b.Elapsed().Seconds(), "cases/s")
}
