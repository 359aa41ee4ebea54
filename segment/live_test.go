package segment_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/segment"
	"onedoor/sqldb"
	"onedoor/synth"
)

// firstPersons regenerates the first residents of a test district with
// their ID numbers (generation is deterministic).
func firstPersons(t *testing.T, n int, seed int64) []synth.Person {
	t.Helper()
	stop := errors.New("stop")
	var out []synth.Person
	_, err := synth.Generate(synth.Config{People: n, Years: 2, Seed: seed, End: synthEnd, Batch: 2000}, func(b *synth.Batch) error {
		out = append(out, b.Persons...)
		return stop
	}, nil)
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, ix *segment.Index, e *segment.Expr) int64 {
	t.Helper()
	return mustQuery(t, ix, segment.Query{Segment: e}).Count.V
}

// TestFreshness accepts cases through the store and sees each change in
// the very next answer, through OnCommit: an intake adds "applied" and
// "open", approval moves the case to "approved"; a first-time applicant
// becomes a resident of the index. A rebuild from the store then gives
// the same answers as the index that followed the events.
func TestFreshness(t *testing.T) {
	const n, seed = 500, 3
	forEachDB(t, n, seed, func(t *testing.T, d *district) {
		db := d.DB
		ix := buildIndex(t, db)
		cat := db.Catalog()
		m, ok := cat.Matter("MED-001")
		if !ok {
			t.Fatal("no MED-001 in the catalog")
		}
		var materials []string
		for _, x := range m.Materials {
			materials = append(materials, x.Code)
		}
		month := "2026-12" // the store's clock is the morning of 2026-12-01
		applied := &segment.Expr{Matter: "MED-001", From: month, To: month}
		open := &segment.Expr{Matter: "MED-001", Event: "open", From: month, To: month}
		approved := &segment.Expr{Matter: "MED-001", Event: "approved", Year: 2026}
		a0, o0, ap0 := count(t, ix, applied), count(t, ix, open), count(t, ix, approved)
		residents := count(t, ix, nil)

		p := firstPersons(t, n, seed)[17]
		who := &segment.Expr{And: []*segment.Expr{applied, {Attr: "street", Eq: ptr(segment.Value(p.Street))}}}
		w0 := count(t, ix, who)
		clerk := onedoor.Actor{StaffID: 1, Name: "窗口", Role: onedoor.RoleClerk}
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-001", Materials: materials, Actor: clerk,
			Applicant: onedoor.Applicant{Subject: onedoor.Natural, IDNumber: p.IDNumber, Name: p.Name}})
		if err != nil {
			t.Fatal(err)
		}
		if got := count(t, ix, applied); got != a0+1 {
			t.Fatalf("applied in %s after the intake: %d, want %d", month, got, a0+1)
		}
		if got := count(t, ix, open); got != o0+1 {
			t.Fatalf("open after the intake: %d, want %d", got, o0+1)
		}
		if got := count(t, ix, who); got != w0+1 {
			t.Fatalf("applied in the applicant's street: %d, want %d", got, w0+1)
		}

		number := rc.Cases[0].Number
		var last onedoor.Actor
		for _, s := range m.Steps {
			last = onedoor.Actor{StaffID: 2, Name: "审批", Role: s.Role, Department: s.Department}
			if _, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionApprove, Actor: last}); err != nil {
				t.Fatal(err)
			}
			if got := count(t, ix, open); got != o0+1 {
				t.Fatalf("open while steps are approved: %d, want %d", got, o0+1)
			}
		}
		if _, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionComplete, Actor: last}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, ix, open); got != o0 {
			t.Fatalf("open after completion: %d, want %d", got, o0)
		}
		if got := count(t, ix, approved); got != ap0+1 {
			t.Fatalf("approved after completion: %d, want %d", got, ap0+1)
		}

		// A first-time applicant: registered by the intake, looked up by the
		// index, counted at once.
		newcomer := onedoor.Applicant{Subject: onedoor.Natural, IDNumber: testID("450981", "19480512", 7), Name: "新来者"}
		if _, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-001", Materials: materials, Actor: clerk, Applicant: newcomer}); err != nil {
			t.Fatal(err)
		}
		if got := count(t, ix, nil); got != residents+1 {
			t.Fatalf("residents after a first-time applicant: %d, want %d", got, residents+1)
		}
		old := &segment.Expr{And: []*segment.Expr{applied, {Attr: "age", Min: ptr(78), Max: ptr(78)}, {Attr: "residency", Eq: ptr(segment.Value("non_local"))}}}
		if got := count(t, ix, old); got < 1 {
			t.Fatalf("the newcomer (78, non-local) is not counted: %d", got)
		}

		// A restart rebuilds the same index from the store.
		again := buildIndex(t, db)
		for _, e := range []*segment.Expr{nil, applied, open, approved, who, old} {
			if a, b := count(t, ix, e), count(t, again, e); a != b {
				t.Fatalf("%s: live index %d, rebuilt %d", describe(e), a, b)
			}
		}
		q := segment.Query{Result: "breakdown", By: []string{"community", "age_policy"}, Segment: &segment.Expr{Matter: "*", Year: 2026}}
		if a, b := mustQuery(t, ix, q), mustQuery(t, again, q); !maps.Equal(tableMap(a.Table), tableMap(b.Table)) {
			t.Fatal("the breakdown of 2026 applicants differs after a rebuild")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// testID makes a synthetic ID number with a valid check character.
func testID(region, birth string, seq int) string {
	first := region + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return first + string(onedoor.IDCheckChar(first))
}

// TestApplyWhileQuerying feeds committed events to an index while queries
// run on it (run with -race): every event is applied exactly once, in
// order, and queries never see a half-applied event.
func TestApplyWhileQuerying(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		ix := buildIndex(t, d.DB)
		st := ix.Stats()
		month := &segment.Expr{Matter: "MED-001", From: "2027-01", To: "2027-01"}
		open := &segment.Expr{Matter: "MED-001", Event: "open", From: "2027-01", To: "2027-01"}
		done := make(chan struct{})
		errs := make(chan error, 4)
		for range 3 {
			go func() {
				for {
					select {
					case <-done:
						errs <- nil
						return
					default:
					}
					// Applied only grows, so open now is at most applied later.
					o, err := ix.Query(ctx, segment.Query{Segment: open}, nil)
					if err != nil {
						errs <- err
						return
					}
					r, err := ix.Query(ctx, segment.Query{Segment: month, Result: "breakdown", By: []string{"street"}}, nil)
					if err != nil {
						errs <- err
						return
					}
					if o.Count.V > r.Table.Total.V {
						errs <- fmt.Errorf("more open (%d) than applied (%d) seen at once", o.Count.V, r.Table.Total.V)
						return
					}
				}
			}()
		}
		at := time.Date(2027, 1, 15, 10, 0, 0, 0, time.UTC)
		seq := st.Seq
		const n = 150
		for i := range n {
			caseID := int64(10_000_000 + i)
			seq++
			intake := onedoor.Event{Seq: seq, CaseID: caseID, Type: onedoor.ActionIntake, Status: onedoor.StatusInProgress, At: at,
				Command: onedoor.Command{Action: onedoor.ActionIntake, Intake: &onedoor.IntakeRecord{Matter: "MED-001", Subject: onedoor.Natural, ApplicantID: int64(1 + i*7)}}}
			seq++
			done := onedoor.Event{Seq: seq, CaseID: caseID, Type: onedoor.ActionComplete, Status: onedoor.StatusCompleted, At: at.Add(time.Hour)}
			if i%3 == 0 {
				ix.Apply([]onedoor.Event{intake})
				ix.Apply([]onedoor.Event{done})
			} else if i%3 == 1 {
				ix.Apply([]onedoor.Event{intake, done})
			} else {
				ix.Apply([]onedoor.Event{intake})
			}
			// A repeat of an applied event is skipped by its sequence number.
			ix.Apply([]onedoor.Event{intake})
		}
		close(done)
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got := count(t, ix, month); got != n {
			t.Fatalf("applied in 2027-01: %d, want %d", got, n)
		}
		if got := count(t, ix, open); got != n/3 {
			t.Fatalf("open in 2027-01: %d, want %d", got, n/3)
		}
	})
}

// TestOtherNodesCommits: two server nodes share one database. The index is
// built and fed by node 1, while cases are accepted and completed through
// node 2, whose commits node 1's OnCommit never hears of. Each change is in
// the index's very next answer — read from the store by sequence number,
// without waiting for events that will not come and without the warning —
// commits interleaved from both nodes count once each, and a rebuild (a
// restart) gives the same answers as the index that followed them.
func TestOtherNodesCommits(t *testing.T) {
	const n, seed = 500, 3
	forEachDB(t, n, seed, func(t *testing.T, d *district) {
		node1, node2 := d.DB, d.open(t)
		const maxWait = 5 * time.Second
		warns := &warnLog{}
		ix, err := newIndexWith(node1, segment.Config{MaxWait: maxWait, Logger: slog.New(warns)})
		if err != nil {
			t.Fatal(err)
		}
		// answer counts, and fails when the index warned or waited.
		answer := func(e *segment.Expr) int64 {
			t.Helper()
			start := time.Now()
			c := count(t, ix, e)
			if w := warns.all(); len(w) > 0 {
				t.Fatalf("the index warned: %v", w)
			}
			if d := time.Since(start); d >= maxWait {
				t.Fatalf("the answer took %v: it waited for events from the other node", d)
			}
			return c
		}
		m, _ := d.Catalog().Matter("MED-001")
		var materials []string
		for _, x := range m.Materials {
			materials = append(materials, x.Code)
		}
		clerk := onedoor.Actor{StaffID: 1, Name: "窗口", Role: onedoor.RoleClerk}
		intake := func(node *sqldb.DB, a onedoor.Applicant) string {
			t.Helper()
			rc, err := node.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-001", Materials: materials, Actor: clerk, Applicant: a})
			if err != nil {
				t.Fatal(err)
			}
			return rc.Cases[0].Number
		}
		applicant := func(p synth.Person) onedoor.Applicant {
			return onedoor.Applicant{Subject: onedoor.Natural, IDNumber: p.IDNumber, Name: p.Name}
		}

		month := "2026-12" // the store's clock is the morning of 2026-12-01
		applied := &segment.Expr{Matter: "MED-001", From: month, To: month}
		open := &segment.Expr{Matter: "MED-001", Event: "open", From: month, To: month}
		approved := &segment.Expr{Matter: "MED-001", Event: "approved", Year: 2026}
		ps := firstPersons(t, n, seed)
		who := &segment.Expr{And: []*segment.Expr{applied, {Attr: "street", Eq: ptr(segment.Value(ps[17].Street))}}}
		a0, o0, ap0, w0, r0 := answer(applied), answer(open), answer(approved), answer(who), answer(nil)

		// Accepted on node 2: in node 1's next answer.
		number := intake(node2, applicant(ps[17]))
		if got := answer(applied); got != a0+1 {
			t.Fatalf("applied after an intake on the other node: %d, want %d", got, a0+1)
		}
		if got, got2 := answer(open), answer(who); got != o0+1 || got2 != w0+1 {
			t.Fatalf("after an intake on the other node: open %d (want %d), in the applicant's street %d (want %d)", got, o0+1, got2, w0+1)
		}
		// Approved and completed on node 2.
		var last onedoor.Actor
		for _, s := range m.Steps {
			last = onedoor.Actor{StaffID: 2, Name: "审批", Role: s.Role, Department: s.Department}
			if _, err := node2.Act(ctx, number, onedoor.Command{Action: onedoor.ActionApprove, Actor: last}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := node2.Act(ctx, number, onedoor.Command{Action: onedoor.ActionComplete, Actor: last}); err != nil {
			t.Fatal(err)
		}
		if got, got2 := answer(open), answer(approved); got != o0 || got2 != ap0+1 {
			t.Fatalf("after completion on the other node: open %d (want %d), approved %d (want %d)", got, o0, got2, ap0+1)
		}

		// Interleaved: node 2 commits, then node 1, whose own event reaches
		// the index through OnCommit after a gap in the sequence. Neither
		// is passed over, and node 1's, read from the store as well as
		// handed over, counts once.
		intake(node2, applicant(ps[18]))
		intake(node1, applicant(ps[19]))
		intake(node2, applicant(ps[20]))
		intake(node1, applicant(ps[21]))
		if got := answer(applied); got != a0+5 {
			t.Fatalf("applied after intakes on both nodes in turn: %d, want %d", got, a0+5)
		}
		// Events handed over twice are applied once.
		evs, err := node1.EventsAfter(ctx, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		ix.Apply(evs)
		if got := answer(applied); got != a0+5 {
			t.Fatalf("applied after every event was handed over again: %d, want %d", got, a0+5)
		}

		// A first-time applicant registered by node 2: looked up in the
		// store by node 1's index and counted at once.
		newcomer := onedoor.Applicant{Subject: onedoor.Natural, IDNumber: testID("450981", "19480512", 8), Name: "新来者"}
		intake(node2, newcomer)
		if got := answer(nil); got != r0+1 {
			t.Fatalf("residents after a first-time applicant on the other node: %d, want %d", got, r0+1)
		}
		old := &segment.Expr{And: []*segment.Expr{applied, {Attr: "age", Min: ptr(78), Max: ptr(78)}, {Attr: "residency", Eq: ptr(segment.Value("non_local"))}}}
		if got := answer(old); got < 1 {
			t.Fatalf("the newcomer (78, non-local) is not counted: %d", got)
		}

		// A restart (on either node) rebuilds the same index from the store.
		again := buildIndex(t, node2)
		for _, e := range []*segment.Expr{nil, applied, open, approved, who, old} {
			if a, b := answer(e), count(t, again, e); a != b {
				t.Fatalf("%s: live index %d, rebuilt %d", describe(e), a, b)
			}
		}
		q := segment.Query{Result: "breakdown", By: []string{"community", "age_policy"}, Segment: &segment.Expr{Matter: "*", Year: 2026}}
		if a, b := mustQuery(t, ix, q), mustQuery(t, again, q); !maps.Equal(tableMap(a.Table), tableMap(b.Table)) {
			t.Fatal("the breakdown of 2026 applicants differs after a rebuild")
		}
		if a, b := ix.Stats(), again.Stats(); a.Residents != b.Residents || a.Cases != b.Cases || a.OpenCases != b.OpenCases || a.Seq != b.Seq {
			t.Fatalf("stats differ after a rebuild: %+v vs %+v", a, b)
		}
	})
}

// warnLog is a logger handler that keeps the warnings and errors.
type warnLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}

func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnLog) WithGroup(string) slog.Handler      { return w }

func (w *warnLog) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.msgs)
}

// TestGapsAreReadFromStore drives the index with a store of its own: the
// index is at event 10, the store holds 11 to 12,010 — more than one read
// takes — except 500, which is missing from it (as if deleted). The node's
// own OnCommit hands over only the last event. The next answer reads the
// rest, in several reads, and includes all of them; the missing number
// does not stall the index; events handed over again count once.
func TestGapsAreReadFromStore(t *testing.T) {
	const first, last, missing = 11, 12_010, 500
	var store []onedoor.Event
	for seq := int64(first); seq <= last; seq++ {
		if seq == missing {
			continue
		}
		store = append(store, onedoor.Event{Seq: seq, CaseID: seq, Type: onedoor.ActionIntake, Status: onedoor.StatusInProgress,
			At:      time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
			Command: onedoor.Command{Action: onedoor.ActionIntake, Intake: &onedoor.IntakeRecord{Matter: "MED-001", Subject: onedoor.Natural, ApplicantID: seq%100 + 1}}})
	}
	var reads atomic.Int64
	since := func(_ context.Context, seq int64, limit int) ([]onedoor.Event, error) {
		reads.Add(1)
		i, _ := slices.BinarySearchFunc(store, seq+1, func(e onedoor.Event, s int64) int { return cmp.Compare(e.Seq, s) })
		return slices.Clone(store[i:min(i+limit, len(store))]), nil
	}
	warns := &warnLog{}
	ix := segment.New(segment.Config{Reference: refDate, Matters: map[string]onedoor.SubjectType{"MED-001": onedoor.Natural},
		Head: func(context.Context) (int64, error) { return last, nil }, Since: since, Logger: slog.New(warns)})
	for id := range int64(100) {
		ix.AddPerson(&onedoor.Person{ID: id + 1, Sex: "F", Birth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), Street: "祖庙街道", Community: "普君社区"})
	}
	ix.Finish(first - 1)
	ix.Apply(store[len(store)-1:])
	want := int64(last - first) // one missing
	if got := count(t, ix, nil); got != 100 {
		t.Fatalf("residents: %d, want 100", got)
	}
	if st := ix.Stats(); st.Cases != want || st.Seq != last {
		t.Fatalf("after the next answer the index holds %d cases up to event %d; want %d up to %d", st.Cases, st.Seq, want, last)
	}
	if n := reads.Load(); n < 3 {
		t.Fatalf("%d reads from the store; %d events need at least 3", n, len(store))
	}
	ix.Apply(store)
	if got := count(t, ix, &segment.Expr{Matter: "MED-001", Year: 2026}); got != 100 {
		t.Fatalf("applicants: %d, want 100", got)
	}
	if st := ix.Stats(); st.Cases != want {
		t.Fatalf("after every event was handed over again the index holds %d cases; want %d", st.Cases, want)
	}
	if w := warns.all(); len(w) > 0 {
		t.Fatalf("the index warned: %v", w)
	}
}

// TestLicencesFollowEvents: the e-licences a completed case issues reach
// the index with the event, on the node that completed it and on another
// sharing the database, valid from the day of issue; a rebuild agrees,
// also after the reference date has moved past their validity.
func TestLicencesFollowEvents(t *testing.T) {
	const n, seed = 500, 3
	forEachDB(t, n, seed, func(t *testing.T, d *district) {
		node1, node2 := d.DB, d.open(t)
		day := time.Date(2026, 12, 1, 0, 0, 0, 0, calendar.Location) // the store's today
		warns := &warnLog{}
		ix, err := newIndexWith(node1, segment.Config{Reference: day, Logger: slog.New(warns)})
		if err != nil {
			t.Fatal(err)
		}
		const rule = `"health_cert" in licences`
		holders := func(ix *segment.Index) []int64 {
			t.Helper()
			res, err := ix.WhatIf(ctx, segment.WhatIf{Rule: rule, List: true, Limit: segment.MaxOutreach}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Stats.Exact {
				t.Fatalf("%s was not answered by bitmaps alone", rule)
			}
			return res.Outreach
		}
		// Two adults without a valid health certificate.
		var who []int64
		var applicants []onedoor.Applicant
		for _, p := range firstPersons(t, n, seed)[30:] {
			x, err := node1.FindPersonByIDNumber(ctx, p.IDNumber)
			if err != nil {
				t.Fatal(err)
			}
			if day.Year()-x.Birth.Year() < 20 {
				continue
			}
			ls, err := node1.FindLicences(ctx, onedoor.Natural, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			if slices.ContainsFunc(ls, func(l onedoor.Licence) bool { return l.Type == "health_cert" && l.ValidOn(day.Format(time.DateOnly)) }) {
				continue
			}
			who = append(who, x.ID)
			applicants = append(applicants, onedoor.Applicant{Subject: onedoor.Natural, IDNumber: p.IDNumber, Name: p.Name})
			if len(who) == 2 {
				break
			}
		}
		h0 := holders(ix)
		for _, id := range who {
			if slices.Contains(h0, id) {
				t.Fatalf("resident %d already counts as holding a health certificate", id)
			}
		}
		m, _ := d.Catalog().Matter("HEALTH-008")
		complete := func(node *sqldb.DB, a onedoor.Applicant) {
			t.Helper()
			rc, err := node.Intake(ctx, onedoor.IntakeRequest{Matter: m.Code, Materials: []string{"photo"},
				Actor: onedoor.Actor{StaffID: 1, Name: "窗口", Role: onedoor.RoleClerk}, Applicant: a})
			if err != nil {
				t.Fatal(err)
			}
			var last onedoor.Actor
			for _, s := range m.Steps {
				last = onedoor.Actor{StaffID: 2, Name: "审批", Role: s.Role, Department: s.Department}
				if _, err := node.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionApprove, Actor: last}); err != nil {
					t.Fatal(err)
				}
			}
			c, err := node.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionComplete, Actor: last})
			if err != nil {
				t.Fatal(err)
			}
			if c.Licence == "" {
				t.Fatal("completing HEALTH-008 issued no e-licence")
			}
		}

		complete(node2, applicants[0]) // the other node
		h1 := holders(ix)
		if len(h1) != len(h0)+1 || !slices.Contains(h1, who[0]) {
			t.Fatalf("after a certificate issued on the other node: %d holders (want %d), the holder counted: %v", len(h1), len(h0)+1, slices.Contains(h1, who[0]))
		}
		complete(node1, applicants[1]) // this node
		h2 := holders(ix)
		if len(h2) != len(h0)+2 || !slices.Contains(h2, who[1]) {
			t.Fatalf("after a certificate issued on this node: %d holders (want %d), the holder counted: %v", len(h2), len(h0)+2, slices.Contains(h2, who[1]))
		}
		if w := warns.all(); len(w) > 0 {
			t.Fatalf("the index warned: %v", w)
		}

		again, err := newIndexWith(node2, segment.Config{Reference: day})
		if err != nil {
			t.Fatal(err)
		}
		if a := holders(again); !slices.Equal(a, h2) {
			t.Fatalf("a rebuild finds %d holders, the live index %d", len(a), len(h2))
		}
		// A year on, the new certificates (valid for one year) have expired.
		later := day.AddDate(1, 0, 0)
		ix.SetReference(later)
		again.SetReference(later)
		h3 := holders(ix)
		if a := holders(again); !slices.Equal(a, h3) {
			t.Fatalf("a year on, a rebuild finds %d holders, the live index %d", len(a), len(h3))
		}
		if slices.Contains(h3, who[0]) || slices.Contains(h3, who[1]) {
			t.Fatal("a certificate counts after it expired")
		}
	})
}
