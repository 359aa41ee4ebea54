package audit_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/audit"
)

var (
	t0        = time.Date(2025, 3, 3, 9, 0, 0, 123456789, time.UTC)
	shanghai  = time.FixedZone("CST", 8*3600)
	key       = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub       = key.Public().(ed25519.PublicKey)
	otherKey  = ed25519.NewKeyFromSeed([]byte("another key, not the office's 32"))
	actions   = []onedoor.Action{onedoor.ActionIntake, onedoor.ActionApprove, onedoor.ActionRequestSupplement, onedoor.ActionSupply, onedoor.ActionApprove}
	statusFor = map[onedoor.Action]onedoor.Status{
		onedoor.ActionIntake:            onedoor.StatusInProgress,
		onedoor.ActionApprove:           onedoor.StatusInProgress,
		onedoor.ActionRequestSupplement: onedoor.StatusSupplement,
		onedoor.ActionSupply:            onedoor.StatusInProgress,
	}
)

// chain returns n hash-chained events spread over ten cases, as the store
// would write them.
func chain(n int) []*onedoor.Event {
	events := make([]*onedoor.Event, 0, n)
	prev := ""
	for i := range n {
		caseID := int64(i%10 + 1)
		version := i/10 + 1
		action := actions[(i/10)%len(actions)]
		at := t0.Add(time.Duration(i) * time.Minute)
		c := onedoor.Case{ID: caseID, Number: fmt.Sprintf("SQ2025%06d", caseID), Status: statusFor[action], Step: version / 2, Version: version}
		e := &onedoor.Event{
			Seq:        int64(i + 1),
			CaseID:     caseID,
			CaseNumber: c.Number,
			Version:    version,
			Type:       action,
			Status:     c.Status,
			Step:       c.Step,
			At:         at,
			Command: onedoor.Command{
				Action:    action,
				Actor:     onedoor.Actor{StaffID: 7, Name: "王芳", Role: "clerk", Department: "民政科"},
				At:        at.In(shanghai),
				Reason:    "材料齐全",
				Materials: []string{"id_card", "household_register"},
			},
			StateHash: c.StateHash(),
			PrevHash:  prev,
		}
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
		events = append(events, e)
	}
	return events
}

// rehash recomputes the links and hashes of events from index i on, as an
// attacker with write access but without the signing key can.
func rehash(events []*onedoor.Event, i int) {
	prev := ""
	if i > 0 {
		prev = events[i-1].Hash
	}
	for _, e := range events[i:] {
		e.PrevHash = prev
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
	}
}

// verify feeds events to a Verifier in Seq order, as the store reads them,
// and returns the first problem.
func verify(events []*onedoor.Event, cps []audit.Checkpoint) (*audit.Problem, int64) {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b *onedoor.Event) int { return int(a.Seq - b.Seq) })
	v := audit.NewVerifier(pub, cps)
	for _, e := range sorted {
		if p := v.Add(e); p != nil {
			return p, v.Count()
		}
	}
	return v.Finish(), v.Count()
}

func checkpointAt(events []*onedoor.Event, seq int64) audit.Checkpoint {
	return audit.SignCheckpoint(key, seq, events[seq-1].Hash, events[seq-1].At.Add(time.Second))
}

func TestIntactChainVerifies(t *testing.T) {
	events := chain(50)
	cps := []audit.Checkpoint{checkpointAt(events, 50), checkpointAt(events, 10), checkpointAt(events, 30)}
	p, n := verify(events, cps)
	if p != nil {
		t.Fatalf("intact chain: %v", p)
	}
	if n != 50 {
		t.Errorf("Count = %d, want 50", n)
	}
	if p, _ := verify(nil, nil); p != nil {
		t.Errorf("empty log without checkpoints: %v", p)
	}
}

func TestAlteredField(t *testing.T) {
	tests := []struct {
		field  string
		change func(e *onedoor.Event)
	}{
		{"PrevHash", func(e *onedoor.Event) { e.PrevHash = strings.Repeat("0", 64) }},
		{"Hash", func(e *onedoor.Event) { e.Hash = strings.Repeat("f", 64) }},
		{"CaseID", func(e *onedoor.Event) { e.CaseID++ }},
		{"CaseNumber", func(e *onedoor.Event) { e.CaseNumber = "SQ2025999999" }},
		{"Version", func(e *onedoor.Event) { e.Version++ }},
		{"Type", func(e *onedoor.Event) { e.Type = onedoor.ActionReject }},
		{"Status", func(e *onedoor.Event) { e.Status = onedoor.StatusRejected }},
		{"Step", func(e *onedoor.Event) { e.Step++ }},
		{"At", func(e *onedoor.Event) { e.At = e.At.Add(-24 * time.Hour) }},
		{"At by one nanosecond", func(e *onedoor.Event) { e.At = e.At.Add(time.Nanosecond) }},
		{"Command.Action", func(e *onedoor.Event) { e.Command.Action = onedoor.ActionReject }},
		{"Command.Actor.StaffID", func(e *onedoor.Event) { e.Command.Actor.StaffID = 8 }},
		{"Command.Actor.Name", func(e *onedoor.Event) { e.Command.Actor.Name = "李强" }},
		{"Command.At", func(e *onedoor.Event) { e.Command.At = e.Command.At.Add(time.Hour) }},
		{"Command.Reason", func(e *onedoor.Event) { e.Command.Reason = "材料不全" }},
		{"Command.Note", func(e *onedoor.Event) { e.Command.Note = "added later" }},
		{"Command.Materials", func(e *onedoor.Event) { e.Command.Materials = e.Command.Materials[:1] }},
		{"Command.Days", func(e *onedoor.Event) { e.Command.Days = 5 }},
		{"Command.Licence", func(e *onedoor.Event) { e.Command.Licence = "L-1" }},
		{"StateHash", func(e *onedoor.Event) { e.StateHash = onedoor.Case{Number: "x"}.StateHash() }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			events := chain(50)
			tt.change(events[19])
			p, _ := verify(events, []audit.Checkpoint{checkpointAt(events, 50)})
			want(t, p, audit.KindAltered, 20)
			if !strings.Contains(p.Message, "event 20 (case SQ2025") {
				t.Errorf("message does not name the event and its case: %q", p.Message)
			}
		})
	}
}

func TestSameInstantInAnotherZoneIsNotAltered(t *testing.T) {
	events := chain(50)
	events[19].At = events[19].At.In(shanghai)
	events[19].Command.At = events[19].Command.At.UTC()
	if p, _ := verify(events, nil); p != nil {
		t.Fatalf("time zone change reported: %v", p)
	}
}

func TestTamper(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(events []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint)
		kind   string
		seq    int64
		msg    string // part of the message
	}{
		{
			name: "middle event deleted",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return slices.Delete(ev, 24, 25), cps
			},
			kind: audit.KindRemoved, seq: 25, msg: "event 25 is missing: event 26 (case SQ2025000006) follows event 24",
		},
		{
			name: "three middle events deleted",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return slices.Delete(ev, 24, 27), cps
			},
			kind: audit.KindRemoved, seq: 25, msg: "events 25 to 27 are missing",
		},
		{
			name: "middle event deleted and the rest relinked",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev = slices.Delete(ev, 24, 25)
				rehash(ev, 24)
				return ev, nil
			},
			kind: audit.KindRemoved, seq: 25, msg: "event 25 is missing",
		},
		{
			name: "first event deleted",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return ev[1:], cps
			},
			kind: audit.KindRemoved, seq: 1, msg: "event 1 is missing: the log starts at event 2",
		},
		{
			name: "first event deleted and the rest renumbered",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev = ev[1:]
				for _, e := range ev {
					e.Seq--
				}
				return ev, nil
			},
			kind: audit.KindRemoved, seq: 1, msg: "links to a predecessor",
		},
		{
			name: "last events deleted after a checkpoint",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return ev[:47], cps
			},
			kind: audit.KindRemoved, seq: 48, msg: "events 48 to 50 are missing: the log ends at event 47 but a checkpoint seals event 50",
		},
		{
			name: "every event deleted",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return nil, cps
			},
			kind: audit.KindRemoved, seq: 1, msg: "the log is empty",
		},
		{
			name: "two events swapped",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev[29].Seq, ev[30].Seq = ev[30].Seq, ev[29].Seq
				return ev, cps
			},
			kind: audit.KindReordered, seq: 30, msg: "event 30 (case SQ2025000001) does not follow event 29",
		},
		{
			name: "event moved to the end",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				e := ev[9]
				ev = slices.Delete(ev, 9, 10)
				for _, x := range ev[9:] {
					x.Seq--
				}
				e.Seq = 50
				return append(ev, e), nil
			},
			kind: audit.KindReordered, seq: 10, msg: "does not follow event 9",
		},
		{
			name: "sequence number repeated",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev[30].Seq = 30
				return ev, cps
			},
			kind: audit.KindReordered, seq: 30, msg: "out of order or repeated",
		},
		{
			name: "checkpoint signature forged",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				cps[1].Hash = strings.Repeat("a", 64) // the signature no longer matches
				return ev, cps
			},
			kind: audit.KindCheckpoint, seq: 40, msg: "the checkpoint at event 40 (case SQ2025000010) has an invalid signature",
		},
		{
			name: "checkpoint signed with another key",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				cps[1] = audit.SignCheckpoint(otherKey, 40, ev[39].Hash, cps[1].At)
				return ev, cps
			},
			kind: audit.KindCheckpoint, seq: 40, msg: "invalid signature",
		},
		{
			name: "checkpoint signature not base64",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				cps[1].Signature = "not a signature!"
				return ev, cps
			},
			kind: audit.KindCheckpoint, seq: 40, msg: "invalid signature",
		},
		{
			name: "checkpoint with a forged signature past the last event",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				c := audit.SignCheckpoint(otherKey, 60, strings.Repeat("b", 64), t0)
				return ev, append(cps, c)
			},
			kind: audit.KindCheckpoint, seq: 60, msg: "the checkpoint at event 60 has an invalid signature",
		},
		{
			name: "checkpoint numbered zero",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				return ev, append(cps, audit.SignCheckpoint(key, 0, "", t0))
			},
			kind: audit.KindCheckpoint, seq: 0, msg: "names no event",
		},
		{
			name: "event altered and the chain rehashed without the key",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev[24].Status = onedoor.StatusRejected
				rehash(ev, 24)
				return ev, cps
			},
			kind: audit.KindAltered, seq: 40, msg: "event 40 (case SQ2025000010) does not match its signed checkpoint: an event between events 21 and 40 was altered",
		},
		{
			name: "event altered and the chain rehashed, checkpoint right after",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev[39].Step = 9
				rehash(ev, 39)
				return ev, cps
			},
			kind: audit.KindAltered, seq: 40, msg: "does not match its signed checkpoint",
		},
		{
			name: "event altered and the chain rehashed before the first checkpoint",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev[4].Command.Reason = "changed"
				rehash(ev, 4)
				return ev, cps
			},
			kind: audit.KindAltered, seq: 20, msg: "an event at or before it was altered",
		},
		{
			name: "middle event deleted, the rest renumbered and rehashed",
			tamper: func(ev []*onedoor.Event, cps []audit.Checkpoint) ([]*onedoor.Event, []audit.Checkpoint) {
				ev = slices.Delete(ev, 24, 25)
				for _, e := range ev[24:] {
					e.Seq--
				}
				rehash(ev, 24)
				return ev, cps[:2] // the checkpoint at 50 would also catch it, as removed
			},
			kind: audit.KindAltered, seq: 40, msg: "does not match its signed checkpoint",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := chain(50)
			cps := []audit.Checkpoint{checkpointAt(events, 20), checkpointAt(events, 40), checkpointAt(events, 50)}
			events, cps = tt.tamper(events, cps)
			p, _ := verify(events, cps)
			want(t, p, tt.kind, tt.seq)
			if p != nil && !strings.Contains(p.Message, tt.msg) {
				t.Errorf("message %q does not contain %q", p.Message, tt.msg)
			}
		})
	}
}

// Without a checkpoint past the change, a rewritten chain is consistent:
// the signed checkpoints are what make a rewrite evident.
func TestRehashedChainNeedsCheckpoint(t *testing.T) {
	events := chain(50)
	cps := []audit.Checkpoint{checkpointAt(events, 20)}
	events[24].Status = onedoor.StatusRejected
	rehash(events, 24)
	if p, _ := verify(events, cps); p != nil {
		t.Fatalf("rewrite after the last checkpoint was reported: %v", p)
	}
	cps = append(cps, checkpointAt(chain(50), 30)) // sealed before the rewrite
	p, _ := verify(events, cps)
	want(t, p, audit.KindAltered, 30)
}

func TestVerifierKeepsFirstProblem(t *testing.T) {
	events := chain(50)
	events[9].Command.Note = "x"
	events[29].Command.Note = "y"
	v := audit.NewVerifier(pub, nil)
	var first *audit.Problem
	for _, e := range events {
		if p := v.Add(e); p != nil && first == nil {
			first = p
		}
	}
	want(t, first, audit.KindAltered, 10)
	if p := v.Finish(); p != first {
		t.Errorf("Finish = %v, want the first problem %v", p, first)
	}
	if v.Count() != 50 {
		t.Errorf("Count = %d, want 50", v.Count())
	}
	var err error = first
	var target *audit.Problem
	if !errors.As(err, &target) || !strings.HasPrefix(err.Error(), "audit: altered: event 10 (case SQ2025000010)") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestCheckpointVerify(t *testing.T) {
	c := audit.SignCheckpoint(key, 7, "abc", t0.In(shanghai))
	if !c.Verify(pub) {
		t.Fatal("valid checkpoint rejected")
	}
	if !c.At.Equal(t0) || c.At.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", c.At, t0)
	}
	changed := []struct {
		name string
		c    audit.Checkpoint
	}{
		{"Seq", audit.Checkpoint{Seq: 8, Hash: c.Hash, At: c.At, Signature: c.Signature}},
		{"Hash", audit.Checkpoint{Seq: 7, Hash: "abd", At: c.At, Signature: c.Signature}},
		{"At", audit.Checkpoint{Seq: 7, Hash: c.Hash, At: c.At.Add(time.Nanosecond), Signature: c.Signature}},
		{"Signature empty", audit.Checkpoint{Seq: 7, Hash: c.Hash, At: c.At}},
		{"Signature truncated", audit.Checkpoint{Seq: 7, Hash: c.Hash, At: c.At, Signature: c.Signature[:20]}},
	}
	for _, tt := range changed {
		if tt.c.Verify(pub) {
			t.Errorf("checkpoint with changed %s verified", tt.name)
		}
	}
	if c.Verify(otherKey.Public().(ed25519.PublicKey)) {
		t.Error("verified with another key")
	}
	if c.Verify(pub[:10]) || c.Verify(nil) {
		t.Error("verified with a malformed key")
	}
}

// TestHashGolden pins the encoding: if it fails, stored events no longer
// verify. Change EventEncoding instead of the expected value.
func TestHashGolden(t *testing.T) {
	e := &onedoor.Event{
		Seq: 99, CaseID: 3, CaseNumber: "SQ2025000003", Version: 2,
		Type: onedoor.ActionApprove, Status: onedoor.StatusInProgress, Step: 1,
		At: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC),
		Command: onedoor.Command{
			Action: onedoor.ActionApprove,
			Actor:  onedoor.Actor{StaffID: 4, Name: "王芳", Role: "approver"},
			At:     time.Date(2025, 1, 2, 11, 4, 5, 6, shanghai),
			Reason: "ok",
		},
		StateHash: "5e",
	}
	const golden = "69d7e55a17162e4a8e219c99e67df68792ef967333ade4bc2c503a18d3e3e363"
	got := audit.Hash("", e)
	if got != golden {
		t.Errorf("Hash = %s, want %s", got, golden)
	}
	e.Seq, e.PrevHash, e.Hash = 1, "x", "y"
	if audit.Hash("", e) != got {
		t.Error("Hash depends on Seq, PrevHash or Hash of the event")
	}
	if audit.Hash("p", e) == got {
		t.Error("Hash ignores prevHash")
	}
}

func TestHashFieldsDoNotCollide(t *testing.T) {
	a := &onedoor.Event{CaseNumber: "ab", Type: "c"}
	b := &onedoor.Event{CaseNumber: "a", Type: "bc"}
	if audit.Hash("", a) == audit.Hash("", b) {
		t.Error("moving a byte between fields keeps the hash")
	}
	c := &onedoor.Event{StateHash: "x"}
	if audit.Hash("x", &onedoor.Event{}) == audit.Hash("", c) {
		t.Error("prevHash and StateHash collide")
	}
}

func want(t *testing.T, p *audit.Problem, kind string, seq int64) {
	t.Helper()
	if p == nil {
		t.Fatalf("no problem found, want %s at %d", kind, seq)
	}
	if p.Kind != kind || p.Seq != seq {
		t.Fatalf("got %s at %d (%s), want %s at %d", p.Kind, p.Seq, p.Message, kind, seq)
	}
}

func BenchmarkHash(b *testing.B) {
	e := chain(2)[1]
	for b.Loop() {
		audit.Hash(e.PrevHash, e)
	}
}
