package segment_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"onedoor"
	"onedoor/segment"
)

// TestCountsMatchSQL compares the engine's count with plain SQL over the
// same store for random segments: and, or, not over attributes, ages and
// matter events in time windows.
func TestCountsMatchSQL(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		raw := db.RawRead()
		if n := sqlCount(t, raw, selectFrom(onedoor.Natural, "COUNT(*)", "x.age < 0 OR x.age > 150")); n != 0 {
			t.Fatalf("%d residents are aged outside 0..150, which the engine bounds and the oracle does not", n)
		}
		for _, s := range []onedoor.SubjectType{onedoor.Natural, onedoor.Legal} {
			g := newQueryGen(t, raw, ix, s, 1)
			n := 300
			if s == onedoor.Legal {
				n = 100
			}
			nonzero := 0
			for i := range n {
				e := g.expr(3)
				got := mustQuery(t, ix, segment.Query{Subject: s, Segment: e}).Count.V
				want := sqlCount(t, raw, selectFrom(s, "COUNT(*)", condSQL(s, e)))
				if got != want {
					t.Fatalf("%s query %d %s: engine %d, SQL %d\n%s", s, i, describe(e), got, want, condSQL(s, e))
				}
				if got > 0 {
					nonzero++
				}
			}
			if nonzero < n/4 {
				t.Errorf("%s: only %d of %d random segments are non-empty; the test proves little", s, nonzero, n)
			}
		}
	})
}

// TestBreakdownsMatchSQL compares breakdowns by one and two dimensions,
// counted whichever way the engine chooses and then, for the same
// questions, all through the values' bitmaps.
func TestBreakdownsMatchSQL(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		raw := db.RawRead()
		restore := func() {}
		defer func() { restore() }()
		for pass, s := range []onedoor.SubjectType{onedoor.Natural, onedoor.Legal, onedoor.Natural, onedoor.Legal} {
			if pass == 2 {
				restore = segment.ForceBitmaps()
			}
			g := newQueryGen(t, raw, ix, s, 2)
			for i := range 60 {
				var e *segment.Expr
				if i%5 != 0 {
					e = g.expr(2)
				}
				d1 := g.dims[g.pick(len(g.dims))].Name
				by := []string{d1}
				if g.pick(2) == 0 {
					if d2 := g.dims[g.pick(len(g.dims))].Name; d2 != d1 {
						by = append(by, d2)
					}
				}
				r := mustQuery(t, ix, segment.Query{Subject: s, Segment: e, Result: "breakdown", By: by})
				tb := r.Table
				got := tableMap(tb)
				var cols string
				for j, d := range tb.Dims {
					if j > 0 {
						cols += ", "
					}
					cols += dimSQL(s, d)
				}
				want := sqlGroups(t, raw, selectFrom(s, cols+", COUNT(*)", condSQL(s, e))+" GROUP BY "+groupBy(len(tb.Dims)), len(tb.Dims))
				if !maps.Equal(got, want) {
					t.Fatalf("%s breakdown %d (pass %d) of %s by %v:\nengine %v\nSQL    %v", s, i, pass, describe(e), tb.Dims, got, want)
				}
				var sum int64
				for _, v := range want {
					sum += v
				}
				if tb.Total.V != sum {
					t.Fatalf("%s breakdown %d: total %d, SQL %d", s, i, tb.Total.V, sum)
				}
			}
		}
	})
}

func groupBy(n int) string {
	s := "1"
	for i := 2; i <= n; i++ {
		s += fmt.Sprintf(", %d", i)
	}
	return s
}

// TestTrendsAndTopMattersMatchSQL compares monthly trends and top-matter
// lists within random segments.
func TestTrendsAndTopMattersMatchSQL(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		raw := db.RawRead()
		g := newQueryGen(t, raw, ix, onedoor.Natural, 3)
		for i := range 20 {
			e := g.expr(2)
			m := g.matters[g.pick(len(g.matters))]
			ev := []string{"applied", "approved", "rejected", "open"}[g.pick(4)]
			if i%4 == 0 {
				m, ev = "*", "applied"
			}
			r := mustQuery(t, ix, segment.Query{Segment: e, Result: "trend", Matter: m, Event: ev, From: "2024-10", To: "2026-12"})
			if len(r.Trend) != 27 {
				t.Fatalf("trend has %d months, want 27", len(r.Trend))
			}
			for _, p := range r.Trend {
				want := sqlCount(t, raw, selectFrom(onedoor.Natural, "COUNT(*)", "("+condSQL(onedoor.Natural, e)+
					") AND EXISTS (SELECT 1 FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = x.id"+caseSQL(m, ev, 0, p.Month, p.Month)+")"))
				if p.Count.V != want {
					t.Fatalf("trend %d %s of %s %s in %s: engine %d, SQL %d", i, describe(e), m, ev, p.Month, p.Count.V, want)
				}
			}

			y := 2025 + i%2
			r = mustQuery(t, ix, segment.Query{Segment: e, Result: "top_matters", Event: ev, Year: y, Limit: 500})
			got := map[string]int64{}
			for _, x := range r.Top {
				got[x.Matter] = x.Count.V
			}
			want := sqlGroups(t, raw, selectFrom(onedoor.Natural, "c.matter, COUNT(DISTINCT x.id)", condSQL(onedoor.Natural, e))[0:0]+
				personsCTE+"SELECT c.matter, COUNT(DISTINCT x.id) FROM pa x JOIN cases c ON c.subject = 'natural' AND c.applicant_id = x.id"+
				" WHERE ("+condSQL(onedoor.Natural, e)+")"+caseSQL("", ev, y, "", "")+" GROUP BY c.matter", 1)
			if !maps.Equal(got, want) {
				t.Fatalf("top matters %d of %s (%s %d):\nengine %v\nSQL    %v", i, describe(e), ev, y, got, want)
			}
			if !slices.IsSortedFunc(r.Top, func(a, b segment.MatterCount) int { return int(b.Count.V - a.Count.V) }) {
				t.Fatalf("top matters are not in descending order: %v", r.Top)
			}
		}
	})
}

// TestRebuildGivesSameAnswers builds a second index from the same store,
// as a restart does, and asks both the same random questions.
func TestRebuildGivesSameAnswers(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		again := buildIndex(t, db)
		g := newQueryGen(t, db.RawRead(), ix, onedoor.Natural, 4)
		for i := range 50 {
			q := segment.Query{Segment: g.expr(3), Result: "breakdown", By: []string{"community", "age_policy"}}
			a, b := mustQuery(t, ix, q), mustQuery(t, again, q)
			if !maps.Equal(tableMap(a.Table), tableMap(b.Table)) {
				t.Fatalf("query %d %s differs after a rebuild", i, describe(q.Segment))
			}
		}
		if a, b := ix.Stats(), again.Stats(); a.Residents != b.Residents || a.Cases != b.Cases || a.OpenCases != b.OpenCases {
			t.Fatalf("stats differ after a rebuild: %+v vs %+v", a, b)
		}
	})
}

var ctx = context.Background()
