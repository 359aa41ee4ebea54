package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"onedoor"
)

// The checkpoint log publishes every checkpoint outside the database it
// seals. Checkpoints kept only in that database protect it from anyone who
// can edit events but not checkpoints; an attacker who can write the whole
// database deletes the checkpoints after the event they change and rehashes
// the chain. A copy of each checkpoint written elsewhere the moment it is
// made (a file shipped off the machine, a webhook to another system) is out
// of their reach, and a LogChecker holds the chain to it.

// LogEntry is one line of the checkpoint log: the checkpoint as JSON with
// the id of the key that signed it, for example
//
//	{"seq":1234,"hash":"9f…","at":"2026-03-02T01:00:00.123456Z","signature":"q8…","key":"5d1c0a7e9b2f4c13"}
//
// Key is not signed: it only tells a reader which public key to verify the
// signature with (see KeyID).
type LogEntry struct {
	Checkpoint
	Key string `json:"key,omitempty"`
}

// KeyID names a public key in the checkpoint log: the hex of the first 8
// bytes of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// LogLine returns c, signed by the private key of pub, as one line of the
// checkpoint log, newline included.
func LogLine(c Checkpoint, pub ed25519.PublicKey) ([]byte, error) {
	b, err := json.Marshal(LogEntry{Checkpoint: c, Key: KeyID(pub)})
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint log line: %w", err)
	}
	return append(b, '\n'), nil
}

// maxLogLine is the longest line Read takes for a checkpoint; a genuine
// line is about 250 bytes.
const maxLogLine = 4096

// MaxLogProblems bounds the problems a LogChecker keeps; it counts the rest
// (a rewrite of a long chain fails every checkpoint published after it).
const MaxLogProblems = 1000

// published is a validly signed checkpoint of the log and where it was read.
type published struct {
	seq  int64
	hash string
	log  string
	line int
}

func (p published) where() string { return fmt.Sprintf("line %d of %s", p.line, p.log) }

// LogChecker checks an event chain against checkpoints published outside
// the store (checkpoint logs): every line must carry a checkpoint signed by
// the store's key; the chain must have, at every published checkpoint's
// Seq, an event with the published hash; and the store's own checkpoints
// must still hold every published one.
//
// Read the logs first, then feed every stored event in Seq order to Add
// (as to a Verifier), then call Finish with the stored checkpoints. Read
// the logs before reading the store: a checkpoint is published only after
// the transaction holding it committed, so whatever a log holds by then is
// in the store, and a store that is being written does not raise false
// alarms. A LogChecker keeps one small record per published checkpoint;
// it is not safe for concurrent use.
type LogChecker struct {
	pub      ed25519.PublicKey
	entries  []published
	lines    int
	sorted   bool
	next     int
	started  bool
	lastSeq  int64
	sealed   int64 // Seq of the last published checkpoint the chain matched
	problems []*Problem
	more     int
}

// NewLogChecker returns a LogChecker that verifies published checkpoints
// with pub.
func NewLogChecker(pub ed25519.PublicKey) *LogChecker {
	return &LogChecker{pub: pub}
}

// Read takes the checkpoint log r, named name in problems (a file name).
// A line that is not a checkpoint, or whose signature does not verify, is
// a problem naming the line (lines are counted from 1); blank lines are
// skipped. Only an error reading r is returned.
func (lc *LogChecker) Read(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, maxLogLine)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		long := errors.Is(err, bufio.ErrBufferFull)
		for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of an overlong line
			_, err = br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("audit: read %s: %w", name, err)
		}
		if long {
			lc.lines++
			lc.fail(&Problem{Kind: KindCheckpoint, Log: name, Line: n,
				Message: fmt.Sprintf("line %d of %s is not a checkpoint: it is longer than %d bytes", n, name, maxLogLine)})
		} else if line = bytes.TrimSpace(line); len(line) > 0 {
			lc.lines++
			lc.readLine(line, name, n)
		}
		if err == io.EOF {
			return nil
		}
	}
}

func (lc *LogChecker) readLine(line []byte, name string, n int) {
	var e LogEntry
	if err := json.Unmarshal(line, &e); err != nil {
		lc.fail(&Problem{Kind: KindCheckpoint, Log: name, Line: n,
			Message: fmt.Sprintf("line %d of %s is not a checkpoint: %v", n, name, err)})
		return
	}
	if !e.Verify(lc.pub) {
		msg := fmt.Sprintf("line %d of %s: the checkpoint at event %d has an invalid signature", n, name, e.Seq)
		if id := KeyID(lc.pub); e.Key != "" && e.Key != id {
			msg += fmt.Sprintf(" (it names key %s; this store's key is %s)", e.Key, id)
		}
		lc.fail(&Problem{Seq: e.Seq, Kind: KindCheckpoint, Log: name, Line: n, Message: msg})
		return
	}
	lc.entries = append(lc.entries, published{seq: e.Seq, hash: e.Hash, log: name, line: n})
	lc.sorted = false
}

// Lines returns the number of non-blank lines read.
func (lc *LogChecker) Lines() int { return lc.lines }

// Checkpoints returns the number of validly signed checkpoints read.
func (lc *LogChecker) Checkpoints() int { return len(lc.entries) }

func (lc *LogChecker) sort() {
	if lc.sorted {
		return
	}
	slices.SortStableFunc(lc.entries, func(a, b published) int { return cmp.Compare(a.seq, b.seq) })
	lc.sorted = true
}

// Add checks the next stored event, in Seq order, against the published
// checkpoints that seal it. An event whose hash differs from a published
// checkpoint's is "altered" (the chain was rewritten at or before it); a
// published Seq the chain skips is "removed".
func (lc *LogChecker) Add(e *onedoor.Event) {
	lc.sort()
	for lc.next < len(lc.entries) && lc.entries[lc.next].seq <= e.Seq {
		p := lc.entries[lc.next]
		lc.next++
		switch {
		case p.seq < 1:
			lc.noEvent(p)
		case p.seq < e.Seq:
			lc.fail(&Problem{Seq: p.seq, Kind: KindRemoved, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: event %d, which the checkpoint published there seals, is missing from the chain (event %d, case %s, comes after event %d)",
					p.where(), p.seq, e.Seq, e.CaseNumber, lc.lastSeq)})
		case p.hash != e.Hash:
			lc.fail(&Problem{Seq: e.Seq, Kind: KindAltered, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: event %d (case %s) does not match the checkpoint published there: %s",
					p.where(), e.Seq, e.CaseNumber, lc.rewritten(e.Seq))})
		default:
			lc.sealed = e.Seq
		}
	}
	lc.started, lc.lastSeq = true, e.Seq
}

// rewritten says where a rewrite found at the published checkpoint for
// event seq happened: after the last published checkpoint that matched.
func (lc *LogChecker) rewritten(seq int64) string {
	if lc.sealed == 0 {
		return "an event at or before it was altered and the chain rehashed"
	}
	if lc.sealed >= seq-1 {
		return "it was altered and rehashed"
	}
	return fmt.Sprintf("an event between events %d and %d was altered and the chain rehashed", lc.sealed+1, seq)
}

func (lc *LogChecker) noEvent(p published) {
	lc.fail(&Problem{Seq: p.seq, Kind: KindCheckpoint, Log: p.log, Line: p.line,
		Message: fmt.Sprintf("%s: the checkpoint numbered %d names no event", p.where(), p.seq)})
}

// Finish ends the check at the end of the chain and returns every problem
// found, ordered by log and line (at most MaxLogProblems; More counts the
// rest). stored are the checkpoints the store holds, in Seq order:
// a published checkpoint past the last event means events were removed
// from the tail ("removed"); one the store no longer holds, or holds with
// another hash, means the store's checkpoints were deleted or changed
// ("checkpoint").
func (lc *LogChecker) Finish(stored []Checkpoint) []*Problem {
	lc.sort()
	for _, p := range lc.entries[lc.next:] {
		switch {
		case p.seq < 1:
			lc.noEvent(p)
		case !lc.started:
			lc.fail(&Problem{Seq: 1, Kind: KindRemoved, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: the checkpoint published there seals event %d, but the chain is empty: %s missing", p.where(), p.seq, span(1, p.seq))})
		default:
			lc.fail(&Problem{Seq: lc.lastSeq + 1, Kind: KindRemoved, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: the checkpoint published there seals event %d, but the chain ends at event %d: %s missing", p.where(), p.seq, lc.lastSeq, span(lc.lastSeq+1, p.seq))})
		}
	}
	lc.next = len(lc.entries)

	byseq := func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) }
	if !slices.IsSortedFunc(stored, byseq) {
		stored = slices.Clone(stored)
		slices.SortStableFunc(stored, byseq)
	}
	j := 0
	for _, p := range lc.entries {
		if p.seq < 1 {
			continue // reported above
		}
		for j < len(stored) && stored[j].Seq < p.seq {
			j++
		}
		switch {
		case j == len(stored) || stored[j].Seq != p.seq:
			lc.fail(&Problem{Seq: p.seq, Kind: KindCheckpoint, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: the checkpoint at event %d published there is missing from the database: the database's checkpoints were deleted", p.where(), p.seq)})
		case stored[j].Hash != p.hash:
			lc.fail(&Problem{Seq: p.seq, Kind: KindCheckpoint, Log: p.log, Line: p.line,
				Message: fmt.Sprintf("%s: the database's checkpoint at event %d differs from the one published there", p.where(), p.seq)})
		}
	}
	slices.SortStableFunc(lc.problems, func(a, b *Problem) int {
		return cmp.Or(cmp.Compare(a.Log, b.Log), cmp.Compare(a.Line, b.Line))
	})
	return lc.problems
}

// More returns how many problems were found beyond the MaxLogProblems kept.
func (lc *LogChecker) More() int { return lc.more }

func (lc *LogChecker) fail(p *Problem) {
	if len(lc.problems) >= MaxLogProblems {
		lc.more++
		return
	}
	lc.problems = append(lc.problems, p)
}
