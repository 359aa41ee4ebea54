package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"onedoor"
)

// TestEventsAfter: two handles on one database act as two nodes and take
// turns committing. Each node's OnCommit hears only its own events, while
// EventsAfter on either handle returns all of them in sequence order,
// without gaps, as they were committed (same hash, intake record and all),
// cut at the limit, and nothing after the head.
func TestEventsAfter(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		node1, node2 := e.db, e.open(t)
		log1, log2 := listen(node1), listen(node2)
		mats := allMaterials(e, "MED-002")
		for i := range 6 {
			db := node1
			if i%2 == 1 {
				db = node2
			}
			rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1970, i, i), Materials: mats, Actor: clerk})
			if err != nil {
				t.Fatal(err)
			}
			if i == 2 {
				if _, err := node2.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		seen := append(slices.Clone(flatten(log1)), flatten(log2)...)
		slices.SortFunc(seen, func(a, b onedoor.Event) int { return int(a.Seq - b.Seq) })
		if len(flatten(log1)) == 0 || len(flatten(log2)) == 0 {
			t.Fatal("a node committed nothing; the test proves little")
		}
		head, err := node1.ChainHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, db := range []struct {
			name string
			evs  func(seq int64, limit int) ([]onedoor.Event, error)
		}{
			{"node 1", func(s int64, l int) ([]onedoor.Event, error) { return node1.EventsAfter(ctx, s, l) }},
			{"node 2", func(s int64, l int) ([]onedoor.Event, error) { return node2.EventsAfter(ctx, s, l) }},
		} {
			all, err := db.evs(0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(seen) || int64(len(all)) != head {
				t.Fatalf("%s: %d events after 0, OnCommit saw %d, head %d", db.name, len(all), len(seen), head)
			}
			for i, ev := range all {
				want := seen[i]
				if ev.Seq != int64(i+1) || ev.Seq != want.Seq || ev.Hash != want.Hash || ev.Type != want.Type ||
					ev.Status != want.Status || ev.CaseID != want.CaseID {
					t.Fatalf("%s: event %d is %d %s %s of case %d, committed as %d %s %s of case %d",
						db.name, i, ev.Seq, ev.Type, ev.Status, ev.CaseID, want.Seq, want.Type, want.Status, want.CaseID)
				}
				if (ev.Command.Intake == nil) != (want.Command.Intake == nil) {
					t.Fatalf("%s: event %d has intake record %v, committed with %v", db.name, ev.Seq, ev.Command.Intake, want.Command.Intake)
				}
				if r, w := ev.Command.Intake, want.Command.Intake; r != nil &&
					(r.ApplicantID != w.ApplicantID || r.Subject != w.Subject || r.Matter != w.Matter || r.ApplicantID == 0) {
					t.Fatalf("%s: intake record of event %d is %+v, committed as %+v", db.name, ev.Seq, r, w)
				}
				if !ev.At.Equal(want.At.Truncate(time.Microsecond)) {
					t.Fatalf("%s: event %d at %v, committed at %v", db.name, ev.Seq, ev.At, want.At)
				}
			}
			part, err := db.evs(2, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqsOf(part); !slices.Equal(got, []int64{3, 4, 5}) {
				t.Fatalf("%s: 3 events after 2: %v", db.name, got)
			}
			if rest, err := db.evs(head, 1000); err != nil || len(rest) != 0 {
				t.Fatalf("%s: events after the head: %v, %v", db.name, seqsOf(rest), err)
			}
		}
	})
}

func flatten(l *commitLog) []onedoor.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []onedoor.Event
	for _, b := range l.batches {
		out = append(out, b...)
	}
	return out
}

func seqsOf(evs []onedoor.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}
