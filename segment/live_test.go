package segment_test

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"onedoor"
	"onedoor/segment"
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
	db := testStore(t, n, seed)
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
	db, _ := sharedDistrict(t)
	ix := buildIndex(t, db)
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
}
