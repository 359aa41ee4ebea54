package sqldb_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"onedoor"
	"onedoor/pii"
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

// TestOutreachNames: outreach lists name residents by their masked names
// and organisations by their registered names, each from its own table —
// persons and organisations are numbered apart, so the same ID is a
// resident and an organisation — and leave out IDs not found.
func TestOutreachNames(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		loadDistrict(t, e, 300)
		read := func(table string) map[int64]string {
			rows, err := e.db.RawRead().Query(`SELECT id, name FROM ` + table + ` ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[int64]string{}
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					t.Fatal(err)
				}
				out[id] = name
			}
			return out
		}
		persons, orgs := read("persons"), read("orgs")
		var ids []int64
		shared := 0
		for id, name := range orgs {
			ids = append(ids, id)
			if p, ok := persons[id]; ok && p != name {
				shared++
			}
		}
		if len(orgs) == 0 || shared == 0 {
			t.Fatalf("%d organisations, %d of their IDs also residents'; the test proves little", len(orgs), shared)
		}
		missing := int64(1 << 40)
		got, err := e.db.OrgNames(ctx, append(ids, missing))
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, orgs) {
			t.Fatalf("organisation names: %d of %d, e.g. %v; want the registered names", len(got), len(orgs), firstDiff(got, orgs))
		}
		ids = ids[:0]
		for id := range persons {
			ids = append(ids, id)
		}
		masked, err := e.db.MaskedNames(ctx, append(ids, missing))
		if err != nil {
			t.Fatal(err)
		}
		for id, name := range persons {
			if masked[id] != pii.MaskName(name) || masked[id] == name {
				t.Fatalf("resident %d: %q; want the masked name of %q", id, masked[id], name)
			}
		}
		if len(masked) != len(persons) {
			t.Fatalf("%d masked names for %d residents", len(masked), len(persons))
		}
	})
}

func firstDiff(got, want map[int64]string) string {
	for id, w := range want {
		if got[id] != w {
			return fmt.Sprintf("%d: %q, want %q", id, got[id], w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			return fmt.Sprintf("%d: %q, want nothing", id, g)
		}
	}
	return ""
}
