package audit

import (
	"crypto/ed25519"
	"fmt"
	"slices"

	"onedoor"
)

// Problem kinds.
const (
	KindAltered    = "altered"    // an event's content or hash was changed
	KindRemoved    = "removed"    // one or more events are missing
	KindReordered  = "reordered"  // an event does not follow its predecessor
	KindCheckpoint = "checkpoint" // a checkpoint's signature is invalid, or it names no event
)

// Problem is the first defect verification found. Seq is the event it is
// about: the changed or misplaced event, or the first missing one.
type Problem struct {
	Seq     int64
	Kind    string // KindAltered, KindRemoved, KindReordered or KindCheckpoint
	Message string // a sentence for people naming the event by Seq and case number
	// Log and Line name the line of a checkpoint log the problem is about
	// (see LogChecker); empty and 0 for problems of the stored log alone.
	Log  string
	Line int
}

// Error implements the error interface.
func (p *Problem) Error() string {
	return "audit: " + p.Kind + ": " + p.Message
}

// Verifier checks a stored event log and its checkpoints. Feed it every
// event in Seq order with Add, then call Finish. It keeps only the previous
// event's sequence number and hash, so memory does not grow with the log.
// A Verifier is not safe for concurrent use.
type Verifier struct {
	pub         ed25519.PublicKey
	checkpoints []Checkpoint // sorted by Seq
	next        int          // index of the first checkpoint not yet matched

	count    int64
	started  bool
	lastSeq  int64
	lastHash string
	sealed   int64 // Seq of the last checkpoint matched, 0 if none

	problem *Problem
}

// NewVerifier returns a Verifier that checks checkpoints against pub.
func NewVerifier(pub ed25519.PublicKey, checkpoints []Checkpoint) *Verifier {
	cps := slices.Clone(checkpoints)
	slices.SortStableFunc(cps, func(a, b Checkpoint) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return &Verifier{pub: pub, checkpoints: cps}
}

// Count returns the number of events passed to Add so far.
func (v *Verifier) Count() int64 { return v.count }

// Add checks the next event of the log, which must not be nil. It returns
// the first problem found in the log so far, and keeps returning it: once
// the chain is broken, later events cannot be judged against it.
//
// An event whose hash does not match its content is "altered". Otherwise
// its link and sequence number are checked against the previous event: a gap
// in Seq is "removed" (Seq names the first missing event); a link to another
// predecessor, or a Seq that does not increase, is "reordered". The first
// event must be Seq 1 and link to nothing, else earlier events were
// "removed". An event sealed by a checkpoint must have the signed hash
// ("altered" if not: the chain was rewritten at or before it) and the
// checkpoint a valid signature ("checkpoint" if not).
func (v *Verifier) Add(e *onedoor.Event) *Problem {
	v.count++
	if v.problem != nil {
		return v.problem
	}
	if Hash(e.PrevHash, e) != e.Hash {
		return v.fail(e.Seq, KindAltered, "event %d (case %s) was altered: its content does not match its hash", e.Seq, e.CaseNumber)
	}
	switch {
	case !v.started && e.Seq != 1:
		if e.Seq > 1 {
			return v.fail(1, KindRemoved, "%s missing: the log starts at event %d (case %s)", span(1, e.Seq-1), e.Seq, e.CaseNumber)
		}
		return v.fail(1, KindRemoved, "the log does not start at event 1: its first event is numbered %d (case %s)", e.Seq, e.CaseNumber)
	case !v.started && e.PrevHash != "":
		return v.fail(1, KindRemoved, "event 1 (case %s) links to a predecessor: events before it were removed and the log renumbered", e.CaseNumber)
	case v.started && e.Seq > v.lastSeq+1:
		return v.fail(v.lastSeq+1, KindRemoved, "%s missing: event %d (case %s) follows event %d", span(v.lastSeq+1, e.Seq-1), e.Seq, e.CaseNumber, v.lastSeq)
	case v.started && e.Seq <= v.lastSeq:
		return v.fail(e.Seq, KindReordered, "event %d (case %s) comes after event %d: sequence numbers are out of order or repeated", e.Seq, e.CaseNumber, v.lastSeq)
	case v.started && e.PrevHash != v.lastHash:
		return v.fail(e.Seq, KindReordered, "event %d (case %s) does not follow event %d: it links to another predecessor (events were reordered, or removed and renumbered)", e.Seq, e.CaseNumber, v.lastSeq)
	}
	v.started, v.lastSeq, v.lastHash = true, e.Seq, e.Hash

	for v.next < len(v.checkpoints) && v.checkpoints[v.next].Seq <= e.Seq {
		c := v.checkpoints[v.next]
		v.next++
		if c.Seq < e.Seq { // only a checkpoint numbered below 1 can be passed over
			return v.fail(c.Seq, KindCheckpoint, "the checkpoint numbered %d names no event", c.Seq)
		}
		if !c.Verify(v.pub) {
			return v.fail(c.Seq, KindCheckpoint, "the checkpoint at event %d (case %s) has an invalid signature", c.Seq, e.CaseNumber)
		}
		if c.Hash != e.Hash {
			return v.fail(e.Seq, KindAltered, "event %d (case %s) does not match its signed checkpoint: %s", e.Seq, e.CaseNumber, v.rewritten(e.Seq))
		}
		v.sealed = e.Seq
	}
	return nil
}

// Finish ends verification at the end of the log and returns the first
// problem, if any. Every checkpoint must have been matched by an event; a
// validly signed checkpoint past the last event means events were removed
// from the tail.
func (v *Verifier) Finish() *Problem {
	if v.problem != nil {
		return v.problem
	}
	if v.next >= len(v.checkpoints) {
		return nil
	}
	// A checkpoint no event reached: the first of them tells.
	c := v.checkpoints[v.next]
	if !c.Verify(v.pub) {
		return v.fail(c.Seq, KindCheckpoint, "the checkpoint at event %d has an invalid signature", c.Seq)
	}
	if !v.started {
		return v.fail(1, KindRemoved, "%s missing: the log is empty but a checkpoint seals event %d", span(1, c.Seq), c.Seq)
	}
	return v.fail(v.lastSeq+1, KindRemoved, "%s missing: the log ends at event %d but a checkpoint seals event %d", span(v.lastSeq+1, c.Seq), v.lastSeq, c.Seq)
}

func (v *Verifier) fail(seq int64, kind, format string, args ...any) *Problem {
	v.problem = &Problem{Seq: seq, Kind: kind, Message: fmt.Sprintf(format, args...)}
	return v.problem
}

// rewritten says where a rewrite detected at the checkpoint for event seq
// happened: after the last checkpoint that matched, at or before seq.
func (v *Verifier) rewritten(seq int64) string {
	switch v.sealed {
	case 0:
		return "an event at or before it was altered and the chain rehashed"
	case seq - 1:
		return "it was altered and rehashed"
	}
	return fmt.Sprintf("an event between events %d and %d was altered and the chain rehashed", v.sealed+1, seq)
}

// span names the missing events from..to.
func span(from, to int64) string {
	if from == to {
		return fmt.Sprintf("event %d is", from)
	}
	return fmt.Sprintf("events %d to %d are", from, to)
}
