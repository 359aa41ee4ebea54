package sqldb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"onedoor"
	"onedoor/audit"
)

func queryEvents(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]onedoor.Event, error) {
	var out []onedoor.Event
	err := eachEvent(ctx, q, where, args, func(e *onedoor.Event) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

// eachEvent streams events to f without holding them all in memory.
func eachEvent(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args []any, f func(*onedoor.Event) error) error {
	rows, err := q.QueryContext(ctx, `SELECT seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash FROM events `+where, args...)
	if err != nil {
		return internal("query events", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := f(e); err != nil {
			return err
		}
	}
	return internal("query events", rows.Err())
}

// scanEvent reads one events row. A command that no longer parses was
// altered; it is kept as text so that its hash (and the audit) fails.
func scanEvent(rows *sql.Rows) (*onedoor.Event, error) {
	var e onedoor.Event
	var typ, status, at, cmd string
	if err := rows.Scan(&e.Seq, &e.CaseID, &e.CaseNumber, &e.Version, &typ, &status, &e.Step, &at, &cmd, &e.StateHash, &e.PrevHash, &e.Hash); err != nil {
		return nil, internal("scan event", err)
	}
	e.Type, e.Status = onedoor.Action(typ), onedoor.Status(status)
	e.At, _ = parseTS(at)
	if err := json.Unmarshal([]byte(cmd), &e.Command); err != nil {
		e.Command = onedoor.Command{Note: "unreadable: " + cmd}
	}
	return &e, nil
}

// CheckpointTopic is the outbox topic of published checkpoints. The
// message body is the checkpoint as one line of the checkpoint log
// (audit.LogEntry), so a receiver can keep the bodies as its own log and
// verify against it with `onedoor audit verify --checkpoints`.
const CheckpointTopic = "audit.checkpoint"

// CheckpointRecipient is the recipient of CheckpointTopic messages.
const CheckpointRecipient = "auditors"

// checkpointPublishing is how signed checkpoints leave the database: the
// hook after every commit that made one, and the outbox every outboxEvery.
// The writer goroutine alone uses it.
type checkpointPublishing struct {
	hook        func(audit.Checkpoint) error
	outboxEvery time.Duration // 0: never
	outboxAt    time.Time     // when the last checkpoint put in the outbox was made
}

// outboxDue reports whether a checkpoint made at now goes to the outbox.
func (p *checkpointPublishing) outboxDue(now time.Time) bool {
	return p.outboxEvery > 0 && (p.outboxAt.IsZero() || now.Sub(p.outboxAt) >= p.outboxEvery)
}

// enqueueCheckpoint writes c to the outbox in the current transaction.
func (tx *Tx) enqueueCheckpoint(c audit.Checkpoint) error {
	line, err := audit.LogLine(c, tx.db.PublicKey())
	if err != nil {
		return fmt.Errorf("sqldb: %w", err)
	}
	return tx.enqueue("log", CheckpointRecipient, CheckpointTopic, bytes.TrimSuffix(line, []byte("\n")))
}

// AuditReport is the outcome of verifying the audit trail.
type AuditReport struct {
	Events      int64
	Checkpoints int
	// Chain is the first problem of the event chain, nil when intact.
	Chain *audit.Problem
	// Cases lists case rows whose state does not match the state their
	// last event recorded (altered outside Onedoor).
	Cases []string
	// Published counts the validly signed checkpoints of the checkpoint
	// logs checked (VerifyAuditAgainst).
	Published int
	// Log lists what checking against the checkpoint logs found, by log and
	// line: lines that are not validly signed checkpoints, published
	// checkpoints the chain does not match or that the database no longer
	// holds. LogMore counts problems beyond audit.MaxLogProblems.
	Log     []*audit.Problem
	LogMore int
}

// OK reports whether nothing was found.
func (r *AuditReport) OK() bool {
	return r.Chain == nil && len(r.Cases) == 0 && len(r.Log) == 0 && r.LogMore == 0
}

// PublicKey is the key that verifies checkpoints and e-licences.
func (db *DB) PublicKey() ed25519.PublicKey { return db.sign.Public().(ed25519.PublicKey) }

// VerifyAudit walks the whole event chain against the signed checkpoints and
// checks every case row against the state hash of its last event.
//
// The checkpoints it uses are those in the database, which whoever can
// write the database can delete; VerifyAuditAgainst also holds the chain
// to the checkpoints published outside it.
func (db *DB) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	return db.VerifyAuditAgainst(ctx, nil)
}

// VerifyAuditAgainst is VerifyAudit that also checks the chain and the
// database's checkpoints against the checkpoint logs read into published
// (nil: none). Read the logs before calling, so that everything they hold
// has committed (see audit.LogChecker).
func (db *DB) VerifyAuditAgainst(ctx context.Context, published *audit.LogChecker) (*AuditReport, error) {
	rep := &AuditReport{}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, hash, at, signature FROM checkpoints ORDER BY seq`)
	if err != nil {
		return nil, internal("query checkpoints", err)
	}
	var cps []audit.Checkpoint
	for rows.Next() {
		var c audit.Checkpoint
		var at string
		if err := rows.Scan(&c.Seq, &c.Hash, &at, &c.Signature); err != nil {
			rows.Close()
			return nil, internal("scan checkpoint", err)
		}
		c.At, _ = parseTS(at)
		cps = append(cps, c)
	}
	rows.Close()
	rep.Checkpoints = len(cps)
	v := audit.NewVerifier(db.PublicKey(), cps)
	last := map[int64]string{} // case id → state hash of its latest event
	lastVersion := map[int64]int{}
	numbers := map[int64]string{}
	err = eachEvent(ctx, db.read, `ORDER BY seq`, nil, func(e *onedoor.Event) error {
		if p := v.Add(e); p != nil && rep.Chain == nil {
			rep.Chain = p
		}
		if published != nil {
			published.Add(e)
		}
		if e.Version >= lastVersion[e.CaseID] {
			last[e.CaseID], lastVersion[e.CaseID], numbers[e.CaseID] = e.StateHash, e.Version, e.CaseNumber
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p := v.Finish(); p != nil && rep.Chain == nil {
		rep.Chain = p
	}
	rep.Events = v.Count()
	if published != nil {
		rep.Log = published.Finish(cps)
		rep.LogMore = published.More()
		rep.Published = published.Checkpoints()
	}
	crows, err := db.read.QueryContext(ctx, `SELECT id, number, state, matter, matter_version, bundle, subject, applicant_id, status, step, due, step_due, version FROM cases ORDER BY id`)
	if err != nil {
		return nil, internal("query cases", err)
	}
	defer crows.Close()
	seen := map[int64]bool{}
	for crows.Next() {
		var id int64
		var number, state string
		var col caseColumns
		if err := crows.Scan(&id, &number, &state, &col.Matter, &col.MatterVersion, &col.Bundle, &col.Subject, &col.ApplicantID,
			&col.Status, &col.Step, &col.Due, &col.StepDue, &col.Version); err != nil {
			return nil, internal("scan case", err)
		}
		seen[id] = true
		var c onedoor.Case
		if err := json.Unmarshal([]byte(state), &c); err != nil {
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s was altered: its state cannot be read (%v)", number, err))
			continue
		}
		c.ID = id
		want, ok := last[id]
		switch {
		case !ok:
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s has no events", number))
		case c.Number != number:
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s was altered: its state names case %s", number, c.Number))
		case col != columnsOf(&c):
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s was altered: its lookup columns (status, step, dates…) disagree with its state", number))
		case c.StateHash() != want:
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s was altered: its row does not match the state recorded by its event version %d", number, lastVersion[id]))
		}
	}
	if err := crows.Err(); err != nil {
		return nil, internal("query cases", err)
	}
	for id := range last {
		if !seen[id] {
			rep.Cases = append(rep.Cases, fmt.Sprintf("case %s was removed: its events remain but its row is gone", numbers[id]))
		}
	}
	sort.Strings(rep.Cases)
	return rep, nil
}

// caseColumns are the lookup columns of a case row, which must agree with
// its state (inboxes and filters read them).
type caseColumns struct {
	Matter        string
	MatterVersion int
	Bundle        string
	Subject       string
	ApplicantID   int64
	Status        string
	Step          int
	Due, StepDue  string
	Version       int
}

func columnsOf(c *onedoor.Case) caseColumns {
	return caseColumns{c.Matter, c.MatterVersion, c.Bundle, string(c.Subject), c.ApplicantID, string(c.Status), c.Step, c.Due, c.StepDue, c.Version}
}
