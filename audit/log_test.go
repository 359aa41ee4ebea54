package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"onedoor"
	"onedoor/audit"
)

// logOf returns the checkpoint log publishing cps, one line each.
func logOf(t *testing.T, cps ...audit.Checkpoint) []string {
	t.Helper()
	var lines []string
	for _, c := range cps {
		b, err := audit.LogLine(c, pub)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
			t.Fatalf("LogLine = %q; want one line", b)
		}
		lines = append(lines, strings.TrimSuffix(string(b), "\n"))
	}
	return lines
}

// checkLog checks events (in Seq order) against the log lines and the
// stored checkpoints, as the store does.
func checkLog(t *testing.T, events []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*audit.Problem, *audit.LogChecker) {
	t.Helper()
	lc := audit.NewLogChecker(pub)
	if err := lc.Read(strings.NewReader(strings.Join(lines, "\n")+"\n"), "ck.jsonl"); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		lc.Add(e)
	}
	return lc.Finish(stored), lc
}

func TestLogLineRoundTrip(t *testing.T) {
	events := chain(5)
	c := checkpointAt(events, 3)
	line := logOf(t, c)[0]
	var e audit.LogEntry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	if e.Seq != 3 || e.Hash != c.Hash || !e.At.Equal(c.At) || e.Signature != c.Signature || e.Key != audit.KeyID(pub) {
		t.Fatalf("line %s reads back as %+v", line, e)
	}
	if !e.Verify(pub) {
		t.Fatal("the checkpoint read back does not verify")
	}
	for _, field := range []string{`"seq":3`, `"hash":"`, `"at":"`, `"signature":"`, `"key":"` + audit.KeyID(pub) + `"`} {
		if !strings.Contains(line, field) {
			t.Errorf("line %s lacks %s", line, field)
		}
	}
	if audit.KeyID(pub) == audit.KeyID(otherKey.Public().(ed25519.PublicKey)) || len(audit.KeyID(pub)) != 16 {
		t.Errorf("KeyID = %q", audit.KeyID(pub))
	}
}

func TestLogCheckerIntact(t *testing.T) {
	events := chain(50)
	cps := []audit.Checkpoint{checkpointAt(events, 10), checkpointAt(events, 20), checkpointAt(events, 50)}
	lines := logOf(t, cps...)
	lines = append(lines[:1], append([]string{"", "   "}, lines[1:]...)...) // blank lines are skipped
	ps, lc := checkLog(t, events, lines, cps)
	if len(ps) != 0 {
		t.Fatalf("intact: %v", ps)
	}
	if lc.Checkpoints() != 3 || lc.Lines() != 3 || lc.More() != 0 {
		t.Errorf("Checkpoints = %d, Lines = %d, More = %d; want 3, 3, 0", lc.Checkpoints(), lc.Lines(), lc.More())
	}
	// The store may hold more checkpoints than were published (a crash
	// between commit and append, another node's log).
	extra := append([]audit.Checkpoint{checkpointAt(events, 5)}, cps...)
	if ps, _ := checkLog(t, events, logOf(t, cps[1]), extra); len(ps) != 0 {
		t.Fatalf("a store with more checkpoints than the log: %v", ps)
	}
	// Out of order lines and a repeated line are fine.
	if ps, _ := checkLog(t, events, logOf(t, cps[2], cps[0], cps[1], cps[0]), cps); len(ps) != 0 {
		t.Fatalf("lines out of order: %v", ps)
	}
}

type logProblem struct {
	kind string
	seq  int64
	line int
	msg  string
}

func TestLogChecker(t *testing.T) {
	tests := []struct {
		name string
		// tamper changes the events, the published lines or the stored
		// checkpoints (all at 20, 40, 50 to begin with).
		tamper func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint)
		want   []logProblem
	}{
		{
			// The attack the log exists for: rewrite after event 24, delete
			// the store's checkpoints after it.
			name: "chain rewritten and the store's checkpoints deleted",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				ev[24].Command.Note = "rewritten"
				rehash(ev, 24)
				return ev, lines, stored[:1]
			},
			want: []logProblem{
				{audit.KindAltered, 40, 2, "line 2 of ck.jsonl: event 40 (case SQ2025000010) does not match the checkpoint published there: an event between events 21 and 40 was altered"},
				{audit.KindCheckpoint, 40, 2, "line 2 of ck.jsonl: the checkpoint at event 40 published there is missing from the database"},
				{audit.KindAltered, 50, 3, "does not match the checkpoint published there"},
				{audit.KindCheckpoint, 50, 3, "missing from the database"},
			},
		},
		{
			name: "line with a changed hash",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				lines[1] = strings.Replace(lines[1], ev[39].Hash, ev[38].Hash, 1)
				return ev, lines, stored
			},
			want: []logProblem{{audit.KindCheckpoint, 40, 2, "line 2 of ck.jsonl: the checkpoint at event 40 has an invalid signature"}},
		},
		{
			name: "line with a changed seq",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				lines[0] = strings.Replace(lines[0], `"seq":20`, `"seq":21`, 1)
				return ev, lines, stored
			},
			want: []logProblem{{audit.KindCheckpoint, 21, 1, "line 1 of ck.jsonl: the checkpoint at event 21 has an invalid signature"}},
		},
		{
			name: "line signed with another key",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				c := audit.SignCheckpoint(otherKey, 40, ev[39].Hash, t0)
				b, _ := audit.LogLine(c, otherKey.Public().(ed25519.PublicKey))
				lines[1] = strings.TrimSpace(string(b))
				return ev, lines, stored
			},
			want: []logProblem{{audit.KindCheckpoint, 40, 2, "invalid signature (it names key " + audit.KeyID(otherKey.Public().(ed25519.PublicKey)) + "; this store's key is " + audit.KeyID(pub) + ")"}},
		},
		{
			name: "line that is not JSON",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return ev, append(lines, `{"seq":51,"hash":"ab`), stored
			},
			want: []logProblem{{audit.KindCheckpoint, 0, 4, "line 4 of ck.jsonl is not a checkpoint: unexpected end of JSON input"}},
		},
		{
			name: "line longer than a checkpoint can be",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return ev, append([]string{strings.Repeat("x", 10000)}, lines...), stored
			},
			want: []logProblem{{audit.KindCheckpoint, 0, 1, "line 1 of ck.jsonl is not a checkpoint: it is longer than"}},
		},
		{
			name: "line numbered zero",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return ev, append(lines, logOf(t, audit.SignCheckpoint(key, 0, "", t0))...), stored
			},
			want: []logProblem{{audit.KindCheckpoint, 0, 4, "names no event"}},
		},
		{
			name: "published event removed from the middle",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return append(ev[:39:39], ev[40:]...), lines, stored
			},
			want: []logProblem{{audit.KindRemoved, 40, 2, "line 2 of ck.jsonl: event 40, which the checkpoint published there seals, is missing from the chain (event 41, case SQ2025000001, comes after event 39)"}},
		},
		{
			name: "tail removed with the store's checkpoints",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return ev[:45], lines, stored[:2]
			},
			want: []logProblem{
				{audit.KindRemoved, 46, 3, "line 3 of ck.jsonl: the checkpoint published there seals event 50, but the chain ends at event 45: events 46 to 50 are missing"},
				{audit.KindCheckpoint, 50, 3, "missing from the database"},
			},
		},
		{
			name: "every event removed",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				return nil, lines[:1], nil
			},
			want: []logProblem{
				{audit.KindRemoved, 1, 1, "the checkpoint published there seals event 20, but the chain is empty: events 1 to 20 are missing"},
				{audit.KindCheckpoint, 20, 1, "missing from the database"},
			},
		},
		{
			name: "the store's checkpoint replaced",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				stored[1].Hash = ev[38].Hash
				return ev, lines, stored
			},
			want: []logProblem{{audit.KindCheckpoint, 40, 2, "line 2 of ck.jsonl: the database's checkpoint at event 40 differs from the one published there"}},
		},
		{
			name: "event right after the last match rewritten",
			tamper: func(ev []*onedoor.Event, lines []string, stored []audit.Checkpoint) ([]*onedoor.Event, []string, []audit.Checkpoint) {
				ev[39].Step = 9
				rehash(ev, 39)
				return ev, lines[1:], stored
			},
			want: []logProblem{
				{audit.KindAltered, 40, 1, "an event at or before it was altered and the chain rehashed"},
				{audit.KindAltered, 50, 2, "an event at or before it was altered"}, // nothing matched since
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := chain(50)
			stored := []audit.Checkpoint{checkpointAt(events, 20), checkpointAt(events, 40), checkpointAt(events, 50)}
			lines := logOf(t, stored...)
			events, lines, stored = tt.tamper(events, lines, stored)
			ps, _ := checkLog(t, events, lines, stored)
			if len(ps) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(ps), len(tt.want), describe(ps))
			}
			for i, w := range tt.want {
				p := ps[i]
				if p.Kind != w.kind || p.Seq != w.seq || p.Line != w.line || p.Log != "ck.jsonl" || !strings.Contains(p.Message, w.msg) {
					t.Errorf("problem %d = %s at event %d, line %d of %s: %q\nwant %s at event %d, line %d: …%s…", i, p.Kind, p.Seq, p.Line, p.Log, p.Message, w.kind, w.seq, w.line, w.msg)
				}
			}
		})
	}
}

// A rewrite of a long chain fails every checkpoint published after it: the
// checker keeps MaxLogProblems and counts the rest.
func TestLogCheckerBoundsProblems(t *testing.T) {
	events := chain(50)
	var lines []string
	for range audit.MaxLogProblems + 5 {
		lines = append(lines, "not json")
	}
	ps, lc := checkLog(t, events, lines, nil)
	if len(ps) != audit.MaxLogProblems || lc.More() != 5 {
		t.Fatalf("%d problems kept, %d more; want %d and 5", len(ps), lc.More(), audit.MaxLogProblems)
	}
}

func describe(ps []*audit.Problem) string {
	var sb strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&sb, "  %s at %d, line %d: %s\n", p.Kind, p.Seq, p.Line, p.Message)
	}
	return sb.String()
}
