package sqldb_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor"
	"onedoor/audit"
	"onedoor/outbox"
	"onedoor/sqldb"
)

// checkpointLog is what the store published through Config.OnCheckpoint,
// as cmd/onedoor writes it to the checkpoint log file.
type checkpointLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *checkpointLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

func (l *checkpointLog) setLine(t *testing.T, n int, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > len(l.lines) {
		t.Fatalf("the log has %d lines, no line %d", len(l.lines), n)
	}
	l.lines[n-1] = line + "\n"
}

// publishTo adds a checkpoint log to the store's config.
func publishTo(l *checkpointLog, adjust func(*env, *sqldb.Config)) func(*env, *sqldb.Config) {
	return func(e *env, cfg *sqldb.Config) {
		if adjust != nil {
			adjust(e, cfg)
		}
		pub := e.sign.Public().(ed25519.PublicKey)
		cfg.OnCheckpoint = func(c audit.Checkpoint) error {
			b, err := audit.LogLine(c, pub)
			if err != nil {
				return err
			}
			l.mu.Lock()
			l.lines = append(l.lines, string(b))
			l.mu.Unlock()
			return nil
		}
	}
}

// auditAgainst verifies the store against the checkpoint log text.
func auditAgainst(t testing.TB, db *sqldb.DB, log string) *sqldb.AuditReport {
	t.Helper()
	lc := audit.NewLogChecker(db.PublicKey())
	if err := lc.Read(strings.NewReader(log), "checkpoints.jsonl"); err != nil {
		t.Fatal(err)
	}
	rep, err := db.VerifyAuditAgainst(context.Background(), lc)
	if err != nil {
		t.Fatalf("VerifyAuditAgainst: %v", err)
	}
	return rep
}

func logProblems(rep *sqldb.AuditReport) string {
	var sb strings.Builder
	for _, p := range rep.Log {
		fmt.Fprintf(&sb, "  %s at %d, line %d: %s\n", p.Kind, p.Seq, p.Line, p.Message)
	}
	return sb.String()
}

// TestCheckpointLogIntact: every checkpoint the store signs is published
// once, in order, before the write that made it is answered, and the store
// verifies against the log.
func TestCheckpointLogIntact(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		log := &checkpointLog{}
		s := newAuditScenario(t, e, publishTo(log, checkpointEveryBatch))
		if len(log.lines) != 7 {
			t.Fatalf("the log has %d lines, want one per batch (7):\n%s", len(log.lines), log.text())
		}
		for i, line := range log.lines {
			var c audit.LogEntry
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			if c.Seq != int64(i+1) || c.Hash != s.events[i].Hash || !c.Verify(s.e.db.PublicKey()) || c.Key != audit.KeyID(s.e.db.PublicKey()) {
				t.Errorf("line %d = %s; want the signed checkpoint of event %d", i+1, line, i+1)
			}
		}
		rep := auditAgainst(t, s.e.db, log.text())
		if !rep.OK() || rep.Published != 7 || rep.Checkpoints != 7 || rep.Events != 7 {
			t.Fatalf("intact store against its log: OK=%v published=%d checkpoints=%d events=%d\n%s", rep.OK(), rep.Published, rep.Checkpoints, rep.Events, logProblems(rep))
		}

		// With the default config only the first batch is sealed; the log
		// holds that one checkpoint.
		one := &checkpointLog{}
		d := newAuditScenario(t, e, publishTo(one, nil))
		if len(one.lines) != 1 {
			t.Fatalf("default config: %d lines, want 1", len(one.lines))
		}
		if rep := auditAgainst(t, d.e.db, one.text()); !rep.OK() || rep.Published != 1 {
			t.Fatalf("default config against its log: OK=%v published=%d\n%s", rep.OK(), rep.Published, logProblems(rep))
		}
	})
}

// TestCheckpointLogTamperedLine: a line of the log that was changed is
// reported with its line number; the other lines still count.
func TestCheckpointLogTamperedLine(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		log := &checkpointLog{}
		s := newAuditScenario(t, e, publishTo(log, checkpointEveryBatch))
		log.setLine(t, 5, strings.Replace(strings.TrimSpace(log.lines[4]), s.events[4].Hash, s.events[5].Hash, 1))
		log.setLine(t, 6, `{"seq":6,"hash":"truncated`)
		rep := auditAgainst(t, s.e.db, log.text())
		if rep.OK() || rep.Chain != nil || len(rep.Cases) != 0 {
			t.Fatalf("OK=%v chain=%v cases=%v; want only log problems", rep.OK(), rep.Chain, rep.Cases)
		}
		if len(rep.Log) != 2 || rep.Published != 5 {
			t.Fatalf("%d problems, %d published; want 2 and 5:\n%s", len(rep.Log), rep.Published, logProblems(rep))
		}
		for i, want := range []struct {
			line int
			msg  string
		}{
			{5, "line 5 of checkpoints.jsonl: the checkpoint at event 5 has an invalid signature"},
			{6, "line 6 of checkpoints.jsonl is not a checkpoint"},
		} {
			if p := rep.Log[i]; p.Line != want.line || p.Kind != audit.KindCheckpoint || !strings.Contains(p.Message, want.msg) {
				t.Errorf("problem %d = %s, line %d: %s; want line %d: %s", i, p.Kind, p.Line, p.Message, want.line, want.msg)
			}
		}
	})
}

// TestCheckpointLogDeletedCheckpoint: a checkpoint deleted from the
// database, with its event and every later one, is still published.
func TestCheckpointLogDeletedCheckpoint(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		log := &checkpointLog{}
		s := newAuditScenario(t, e, publishTo(log, checkpointEveryBatch))
		mustExec(t, s.raw, `DELETE FROM checkpoints WHERE seq = 7`)
		mustExec(t, s.raw, `DELETE FROM events WHERE seq = 7`)
		mustExec(t, s.raw, `UPDATE chain_head SET seq = 6, hash = $1 WHERE id = 1`, s.events[5].Hash)
		if rep := auditReport(t, s.e.db); rep.Chain != nil {
			t.Fatalf("the database's own checkpoints should not see the cut tail: %v", rep.Chain)
		}
		rep := auditAgainst(t, s.e.db, log.text())
		if len(rep.Log) != 2 {
			t.Fatalf("%d problems, want 2:\n%s", len(rep.Log), logProblems(rep))
		}
		if p := rep.Log[0]; p.Kind != audit.KindRemoved || p.Seq != 7 || p.Line != 7 || !strings.Contains(p.Message, "the chain ends at event 6: event 7 is missing") {
			t.Errorf("first problem = %s at %d, line %d: %s", p.Kind, p.Seq, p.Line, p.Message)
		}
		if p := rep.Log[1]; p.Kind != audit.KindCheckpoint || p.Line != 7 || !strings.Contains(p.Message, "missing from the database") {
			t.Errorf("second problem = %s at %d, line %d: %s", p.Kind, p.Seq, p.Line, p.Message)
		}
	})
}

// TestCheckpointLogHookFails: a log that cannot be written does not fail
// the write (the checkpoint is in the database); the failure is logged.
func TestCheckpointLogHookFails(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		var logged bytes.Buffer
		var mu sync.Mutex
		f := openEnvWith(t, freshDSN(t, e), func(e *env, cfg *sqldb.Config) {
			cfg.OnCheckpoint = func(audit.Checkpoint) error { return errors.New("disk full") }
			cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: &logged}, nil))
		})
		if _, err := f.db.Intake(context.Background(), onedoor.IntakeRequest{Matter: "MED-002", Applicant: person("张伟", "19800101", 1),
			Materials: allMaterials(f, "MED-002"), Actor: clerk}); err != nil {
			t.Fatalf("intake with a failing checkpoint log: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(logged.String(), "checkpoint not published") || !strings.Contains(logged.String(), "disk full") {
			t.Fatalf("the failure is not logged:\n%s", logged.String())
		}
		if rep := auditReport(t, f.db); !rep.OK() || rep.Checkpoints != 1 {
			t.Fatalf("OK=%v checkpoints=%d; want the checkpoint kept in the database", rep.OK(), rep.Checkpoints)
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestCheckpointOutbox: a checkpoint goes to the outbox (topic
// audit.checkpoint) in its transaction at most once per
// CheckpointOutboxEvery of the store's clock; its body is a checkpoint log
// line, which the webhook delivers and the receiver can verify the store
// against. Without CheckpointOutboxEvery none is written.
func TestCheckpointOutbox(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		log := &checkpointLog{}
		s := newAuditScenario(t, e, publishTo(log, func(e *env, cfg *sqldb.Config) {
			checkpointEveryBatch(e, cfg) // the clock moves a millisecond per reading
			cfg.CheckpointOutboxEvery = time.Minute
		}))
		checkpointMessages := func() []outbox.Message {
			var out []outbox.Message
			for _, m := range outboxMessages(t, s.e, "") {
				if m.Topic == sqldb.CheckpointTopic {
					out = append(out, m)
				}
			}
			return out
		}
		ms := checkpointMessages()
		if len(ms) != 1 {
			t.Fatalf("7 checkpoints within a minute put %d in the outbox, want the first one", len(ms))
		}
		if m := ms[0]; m.Recipient != sqldb.CheckpointRecipient || m.Sender != "log" || m.Status != outbox.StatusPending ||
			string(m.Body) != strings.TrimSpace(log.lines[0]) {
			t.Fatalf("message = %+v\nwant body %s", m, log.lines[0])
		}

		// A minute later the next checkpoint goes out too.
		s.e.clock.t.Store(new(s.e.clock.Now().Add(time.Minute)))
		if _, err := s.e.db.Act(ctx, s.c, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
			t.Fatal(err)
		}
		ms = checkpointMessages()
		if len(ms) != 2 || string(ms[0].Body) != strings.TrimSpace(log.lines[7]) {
			t.Fatalf("after a minute: %d checkpoint messages, newest %s; want 2, the checkpoint of event 8", len(ms), ms[0].Body)
		}

		// Delivered over the webhook; the bodies received make a log the
		// store verifies against.
		r := newWebhookReceiver(t)
		d := dispatcher(s.e, r, 3)
		for range 3 {
			if _, _, err := d.DeliverDue(ctx); err != nil {
				t.Fatal(err)
			}
		}
		received, _, bad := r.snapshot()
		var got []string
		for _, m := range ms {
			body, ok := received[m.ID]
			r.mu.Lock()
			topic := r.topics[m.ID]
			r.mu.Unlock()
			if !ok || topic != sqldb.CheckpointTopic {
				t.Fatalf("message %d was not delivered as %s (topic %q); bad: %v", m.ID, sqldb.CheckpointTopic, topic, bad)
			}
			got = append(got, string(body)+"\n")
		}
		rep := auditAgainst(t, s.e.db, strings.Join(got, ""))
		if !rep.OK() || rep.Published != 2 {
			t.Fatalf("against the delivered checkpoints: OK=%v published=%d\n%s", rep.OK(), rep.Published, logProblems(rep))
		}

		// The default config writes no checkpoint to the outbox.
		plain := newAuditScenario(t, e, checkpointEveryBatch)
		for _, m := range outboxMessages(t, plain.e, "") {
			if m.Topic == sqldb.CheckpointTopic {
				t.Fatalf("a store without CheckpointOutboxEvery wrote %+v", m)
			}
		}
	})
}
