package sqldb_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/audit"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/pii"
	"onedoor/sqldb"
)

// openEnvWith is openEnv with the store's config adjusted (a checkpoint
// every batch, a ticking clock…).
func openEnvWith(t testing.TB, dsn string, adjust func(*env, *sqldb.Config)) *env {
	t.Helper()
	keys, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{clock: newClock("2026-03-02 09:00"), dsn: dsn, keys: keys, sign: sign}
	e.db = e.openWith(t, adjust)
	return e
}

// openWith opens (again) the store at e.dsn with e's keys and the config
// adjusted by adjust (nil: as openEnv).
func (e *env) openWith(t testing.TB, adjust func(*env, *sqldb.Config)) *sqldb.DB {
	t.Helper()
	cfg := sqldb.Config{DSN: e.dsn, Keys: e.keys, Sign: e.sign,
		Calendar: calendar.Official(), Catalog: catalog.Builtin(), Now: e.clock.Now}
	if adjust != nil {
		adjust(e, &cfg)
	}
	db, err := sqldb.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ImportCatalog(context.Background(), catalog.Builtin()); err != nil {
		t.Fatal(err)
	}
	return db
}

// freshDSN names a new, empty database on the engine e runs on.
func freshDSN(t testing.TB, e *env) string {
	t.Helper()
	if e.db.Dialect() == sqldb.Postgres {
		return freshPostgres(t, os.Getenv("ONEDOOR_TEST_POSTGRES"))
	}
	return filepath.Join(t.TempDir(), "onedoor.db")
}

// checkpointEveryBatch makes the store sign the chain head after every
// batch: a checkpoint needs CheckpointEvery to have passed on the store's
// clock, so the clock ticks one millisecond at every reading.
func checkpointEveryBatch(e *env, cfg *sqldb.Config) {
	cfg.CheckpointEvery = time.Nanosecond
	cfg.Now = func() time.Time {
		for {
			old := e.clock.t.Load()
			next := old.Add(time.Millisecond)
			if e.clock.t.CompareAndSwap(old, &next) {
				return next
			}
		}
	}
}

// auditScenario holds the store of the tamper tests and what was recorded.
type auditScenario struct {
	e       *env
	raw     *sql.DB
	a, b, c string // case numbers
	reason  string // the reason of event 3
	events  []onedoor.Event
}

const supplementReason = "户口簿复印件字迹不清，请重新提交"

// newAuditScenario records seven events on three cases, one command per
// batch, each batch sealed by a checkpoint:
//
//	1 intake A   2 intake B (received)   3 request_supplement A (with a reason)
//	4 supply A   5 approve A             6 intake C   7 supply B
func newAuditScenario(t *testing.T, like *env, adjust func(*env, *sqldb.Config)) *auditScenario {
	t.Helper()
	ctx := context.Background()
	e := openEnvWith(t, freshDSN(t, like), adjust)
	s := &auditScenario{e: e, raw: e.db.RawWrite(), reason: supplementReason}
	intake := func(matter string, a onedoor.Applicant, materials []string) string {
		t.Helper()
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: matter, Applicant: a, Materials: materials, Actor: clerk})
		if err != nil {
			t.Fatalf("intake %s: %v", matter, err)
		}
		return rc.Cases[0].Number
	}
	act := func(number string, cmd onedoor.Command) {
		t.Helper()
		if _, err := e.db.Act(ctx, number, cmd); err != nil {
			t.Fatalf("%s %s: %v", cmd.Action, number, err)
		}
	}
	s.a = intake("MED-002", person("张伟", "19800101", 1), allMaterials(e, "MED-002"))
	s.b = intake("CIV-010", person("李秀英", "19500315", 2), []string{"application", "income_declaration", "hukou_book"})
	act(s.a, onedoor.Command{Action: onedoor.ActionRequestSupplement, Actor: officer("medsec"), Reason: supplementReason, Materials: []string{"hukou_book"}})
	act(s.a, onedoor.Command{Action: onedoor.ActionSupply, Actor: clerk, Materials: []string{"hukou_book"}})
	act(s.a, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")})
	s.c = intake("MED-002", person("王芳", "19900202", 3), allMaterials(e, "MED-002"))
	act(s.b, onedoor.Command{Action: onedoor.ActionSupply, Actor: clerk, Materials: []string{"authorisation"}})
	s.events = rawEvents(t, s.raw)
	if len(s.events) != 7 {
		t.Fatalf("scenario recorded %d events, want 7", len(s.events))
	}
	if ev := s.events[2]; ev.Type != onedoor.ActionRequestSupplement || ev.Command.Reason != supplementReason {
		t.Fatalf("event 3 is %s with reason %q; want the supplement request", ev.Type, ev.Command.Reason)
	}
	return s
}

// rawEvents reads the events table as stored, the way a verifier would.
func rawEvents(t testing.TB, q *sql.DB) []onedoor.Event {
	t.Helper()
	rows, err := q.Query(`SELECT seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []onedoor.Event
	for rows.Next() {
		var e onedoor.Event
		var typ, status, at, cmd string
		if err := rows.Scan(&e.Seq, &e.CaseID, &e.CaseNumber, &e.Version, &typ, &status, &e.Step, &at, &cmd, &e.StateHash, &e.PrevHash, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.Type, e.Status = onedoor.Action(typ), onedoor.Status(status)
		if e.At, err = time.Parse("2006-01-02T15:04:05.000000Z", at); err != nil {
			t.Fatalf("event %d: at %q: %v", e.Seq, at, err)
		}
		if err := json.Unmarshal([]byte(cmd), &e.Command); err != nil {
			t.Fatalf("event %d: command: %v", e.Seq, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustExec(t testing.TB, q interface {
	Exec(string, ...any) (sql.Result, error)
}, query string, args ...any) int64 {
	t.Helper()
	res, err := q.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// swapSeq exchanges the sequence numbers of two events (seq is the primary
// key, so through a free number).
func swapSeq(t testing.TB, db *sql.DB, a, b int64) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	mustExec(t, tx, `UPDATE events SET seq = -1 WHERE seq = $1`, a)
	mustExec(t, tx, `UPDATE events SET seq = $1 WHERE seq = $2`, a, b)
	mustExec(t, tx, `UPDATE events SET seq = $1 WHERE seq = -1`, b)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func auditReport(t testing.TB, db *sqldb.DB) *sqldb.AuditReport {
	t.Helper()
	rep, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return rep
}

// TestAuditIntact: a store written only through Onedoor verifies, with
// every event and checkpoint counted.
func TestAuditIntact(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		s := newAuditScenario(t, e, checkpointEveryBatch)
		rep := auditReport(t, s.e.db)
		if !rep.OK() || rep.Events != 7 || rep.Checkpoints != 7 {
			t.Fatalf("intact store: OK=%v events=%d checkpoints=%d chain=%v cases=%v; want OK, 7 events, 7 checkpoints",
				rep.OK(), rep.Events, rep.Checkpoints, rep.Chain, rep.Cases)
		}
		// The default config signs at most once a second of the store's
		// clock: with a clock that stands still, only the first batch.
		d := newAuditScenario(t, e, nil)
		rep = auditReport(t, d.e.db)
		if !rep.OK() || rep.Events != 7 || rep.Checkpoints != 1 {
			t.Fatalf("intact store (default checkpoints): OK=%v events=%d checkpoints=%d chain=%v cases=%v",
				rep.OK(), rep.Events, rep.Checkpoints, rep.Chain, rep.Cases)
		}
	})
}

// TestAuditTamperEvents changes the stored log directly, one way per
// subtest on a fresh store, and checks that verification names the kind of
// change and the event, as the audit package promises: the first event
// whose content no longer matches its hash is "altered"; a gap is "removed"
// naming the first missing event; an event linking to another predecessor
// is "reordered" at the place it was found; a bad checkpoint signature is
// "checkpoint"; a rehashed chain is "altered" at the first event a signed
// checkpoint seals.
func TestAuditTamperEvents(t *testing.T) {
	type tamper struct {
		name string
		do   func(t *testing.T, s *auditScenario)
		kind string
		seq  int64
	}
	col := func(column string, value func(s *auditScenario) any) tamper {
		return tamper{name: "alter " + column, kind: audit.KindAltered, seq: 3, do: func(t *testing.T, s *auditScenario) {
			if n := mustExec(t, s.raw, `UPDATE events SET `+column+` = $1 WHERE seq = 3`, value(s)); n != 1 {
				t.Fatalf("updated %d rows", n)
			}
		}}
	}
	otherKey := func() ed25519.PrivateKey {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		return k
	}
	tampers := []tamper{
		col("type", func(*auditScenario) any { return string(onedoor.ActionApprove) }),
		col("status", func(*auditScenario) any { return string(onedoor.StatusInProgress) }),
		col("at", func(s *auditScenario) any {
			return s.events[2].At.Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000000Z")
		}),
		{name: "alter command reason", kind: audit.KindAltered, seq: 3, do: func(t *testing.T, s *auditScenario) {
			n := mustExec(t, s.raw, `UPDATE events SET command = replace(command, $1, $2) WHERE seq = 3`, s.reason, "申请人未按时补正")
			if n != 1 {
				t.Fatalf("updated %d rows", n)
			}
			var cmd string
			if err := s.raw.QueryRow(`SELECT command FROM events WHERE seq = 3`).Scan(&cmd); err != nil || !strings.Contains(cmd, "申请人未按时补正") {
				t.Fatalf("the reason was not replaced: %q %v", cmd, err)
			}
		}},
		col("state_hash", func(s *auditScenario) any { return s.events[3].StateHash }),
		col("prev_hash", func(s *auditScenario) any { return s.events[0].Hash }),
		col("hash", func(s *auditScenario) any { return s.events[3].Hash }),
		col("case_number", func(s *auditScenario) any { return s.b }),
		col("case_id", func(s *auditScenario) any { return s.events[1].CaseID }),
		col("version", func(s *auditScenario) any { return s.events[2].Version + 1 }),
		col("step", func(s *auditScenario) any { return s.events[2].Step + 1 }),

		{name: "delete a middle event", kind: audit.KindRemoved, seq: 4, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `DELETE FROM events WHERE seq = 4`)
		}},
		{name: "delete events 3 to 5", kind: audit.KindRemoved, seq: 3, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `DELETE FROM events WHERE seq BETWEEN 3 AND 5`)
		}},
		{name: "delete the first event", kind: audit.KindRemoved, seq: 1, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `DELETE FROM events WHERE seq = 1`)
		}},
		{name: "delete the last event a checkpoint seals", kind: audit.KindRemoved, seq: 7, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `DELETE FROM events WHERE seq = 7`)
		}},
		{name: "delete the last two events", kind: audit.KindRemoved, seq: 6, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `DELETE FROM events WHERE seq >= 6`)
		}},

		{name: "swap events 3 and 5", kind: audit.KindReordered, seq: 3, do: func(t *testing.T, s *auditScenario) {
			swapSeq(t, s.raw, 3, 5)
		}},
		{name: "swap adjacent events 5 and 6", kind: audit.KindReordered, seq: 5, do: func(t *testing.T, s *auditScenario) {
			swapSeq(t, s.raw, 5, 6)
		}},
		// Event 1 must link to nothing; the event moved there links to a
		// predecessor, which the package reports as events removed before it.
		{name: "swap events 1 and 2", kind: audit.KindRemoved, seq: 1, do: func(t *testing.T, s *auditScenario) {
			swapSeq(t, s.raw, 1, 2)
		}},

		{name: "forge a checkpoint signature", kind: audit.KindCheckpoint, seq: 4, do: func(t *testing.T, s *auditScenario) {
			sig := base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize))
			if n := mustExec(t, s.raw, `UPDATE checkpoints SET signature = $1 WHERE seq = 4`, sig); n != 1 {
				t.Fatalf("updated %d checkpoints", n)
			}
		}},
		{name: "sign a checkpoint with another key", kind: audit.KindCheckpoint, seq: 4, do: func(t *testing.T, s *auditScenario) {
			ck := audit.SignCheckpoint(otherKey(), 4, s.events[3].Hash, s.events[3].At)
			mustExec(t, s.raw, `UPDATE checkpoints SET signature = $1 WHERE seq = 4`, ck.Signature)
		}},
		{name: "change a checkpoint's hash", kind: audit.KindCheckpoint, seq: 4, do: func(t *testing.T, s *auditScenario) {
			mustExec(t, s.raw, `UPDATE checkpoints SET hash = $1 WHERE seq = 4`, s.events[4].Hash)
		}},
		{name: "add a checkpoint past the end", kind: audit.KindCheckpoint, seq: 99, do: func(t *testing.T, s *auditScenario) {
			ck := audit.SignCheckpoint(otherKey(), 99, s.events[6].Hash, s.events[6].At)
			mustExec(t, s.raw, `INSERT INTO checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)`,
				ck.Seq, ck.Hash, ck.At.Format("2006-01-02T15:04:05.000000Z"), ck.Signature)
		}},
		{name: "add a checkpoint naming no event", kind: audit.KindCheckpoint, seq: 0, do: func(t *testing.T, s *auditScenario) {
			ck := audit.SignCheckpoint(s.e.sign, 0, "", s.events[0].At)
			mustExec(t, s.raw, `INSERT INTO checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)`,
				ck.Seq, ck.Hash, ck.At.Format("2006-01-02T15:04:05.000000Z"), ck.Signature)
		}},

		// An attacker without the signing key changes event 4 and rehashes
		// everything after event 3 with audit.Hash, the chain head too: every
		// link holds, but the checkpoint sealing event 4 does not match.
		{name: "rewrite the chain after event 3", kind: audit.KindAltered, seq: 4, do: func(t *testing.T, s *auditScenario) {
			rehashFrom(t, s, 3, func(e *onedoor.Event) { e.Command.Note = "材料齐全，无需补正" })
		}},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tc := range tampers {
			t.Run(tc.name, func(t *testing.T) {
				s := newAuditScenario(t, e, checkpointEveryBatch)
				tc.do(t, s)
				rep := auditReport(t, s.e.db)
				if rep.OK() || rep.Chain == nil {
					t.Fatalf("tampering went unnoticed: %+v", rep)
				}
				if rep.Chain.Kind != tc.kind || rep.Chain.Seq != tc.seq {
					t.Fatalf("problem = %s at %d (%s); want %s at %d", rep.Chain.Kind, rep.Chain.Seq, rep.Chain.Message, tc.kind, tc.seq)
				}
				if !strings.Contains(rep.Chain.Message, "event") && !strings.Contains(rep.Chain.Message, "checkpoint") {
					t.Errorf("message %q names neither an event nor a checkpoint", rep.Chain.Message)
				}
			})
		}
	})
}

// rehashFrom changes the event after event k with change and recomputes
// the links and hashes of every event after k, and the chain head, as an
// attacker who can write the database (but has not the signing key) would.
func rehashFrom(t *testing.T, s *auditScenario, k int, change func(*onedoor.Event)) {
	t.Helper()
	evs := rawEvents(t, s.raw)
	change(&evs[k])
	prev := evs[k-1].Hash
	tx, err := s.raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := k; i < len(evs); i++ {
		ev := &evs[i]
		ev.PrevHash = prev
		ev.Hash = audit.Hash(prev, ev)
		prev = ev.Hash
		cmd, err := json.Marshal(ev.Command)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, tx, `UPDATE events SET command = $1, prev_hash = $2, hash = $3 WHERE seq = $4`, string(cmd), ev.PrevHash, ev.Hash, ev.Seq)
	}
	mustExec(t, tx, `UPDATE chain_head SET hash = $1 WHERE id = 1`, prev)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestAuditRewriteWithoutCheckpoints: a rehashed chain that no checkpoint
// in the database seals holds together link by link; only the signed
// checkpoints give the rewrite away. This is the control for "rewrite the
// chain after event 3", and the attack the checkpoint log exists for: the
// attacker can delete the database's checkpoints, not those published
// outside it.
func TestAuditRewriteWithoutCheckpoints(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		log := &checkpointLog{}
		s := newAuditScenario(t, e, publishTo(log, checkpointEveryBatch))
		rehashFrom(t, s, 3, func(e *onedoor.Event) { e.Command.Note = "材料齐全，无需补正" })
		mustExec(t, s.raw, `DELETE FROM checkpoints WHERE seq > 3`)
		rep := auditReport(t, s.e.db)
		if rep.Chain != nil {
			t.Fatalf("the rehashed links do not hold: %v", rep.Chain)
		}
		// With the checkpoints in place the same rewrite is caught (see
		// TestAuditTamperEvents); here the events after the last checkpoint
		// are not sealed, which is why checkpoints must leave the database.
		if rep.Checkpoints != 3 || !rep.OK() {
			t.Fatalf("checkpoints = %d, OK = %v; want 3 and a rewrite the database alone cannot show", rep.Checkpoints, rep.OK())
		}

		// Against the checkpoint log the rewrite shows at the first
		// published checkpoint after it, and the deleted checkpoints are
		// named line by line.
		rep = auditAgainst(t, s.e.db, log.text())
		if rep.OK() || rep.Chain != nil || rep.Published != 7 {
			t.Fatalf("against the log: OK=%v chain=%v published=%d; want log problems only, 7 published", rep.OK(), rep.Chain, rep.Published)
		}
		first := rep.Log[0]
		if first.Kind != audit.KindAltered || first.Seq != 4 || first.Line != 4 ||
			!strings.Contains(first.Message, "line 4 of checkpoints.jsonl: event 4 (case "+s.a+") does not match the checkpoint published there: it was altered and rehashed") {
			t.Fatalf("first problem = %s at %d, line %d: %s", first.Kind, first.Seq, first.Line, first.Message)
		}
		missing := 0
		for _, p := range rep.Log {
			if p.Kind == audit.KindCheckpoint && strings.Contains(p.Message, "missing from the database") {
				missing++
			}
		}
		if missing != 4 || len(rep.Log) != 8 {
			t.Fatalf("%d problems, %d checkpoints missing from the database; want 8 and 4 (events 4 to 7):\n%s", len(rep.Log), missing, logProblems(rep))
		}
	})
}

// TestAuditTailRemoved: events after the last checkpoint are not sealed,
// but removing them leaves case rows that no longer match their last
// event, and verification names those cases. Removing a sealed last event
// together with its checkpoint is caught the same way.
func TestAuditTailRemoved(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		t.Run("unsealed tail", func(t *testing.T) {
			s := newAuditScenario(t, e, nil) // default config: only the first batch is sealed
			var last int64
			if err := s.raw.QueryRow(`SELECT MAX(seq) FROM checkpoints`).Scan(&last); err != nil {
				t.Fatal(err)
			}
			if last != 1 {
				t.Fatalf("last checkpoint seals event %d; the test expects only event 1 sealed", last)
			}
			mustExec(t, s.raw, `DELETE FROM events WHERE seq > 5`)
			rep := auditReport(t, s.e.db)
			if rep.OK() {
				t.Fatalf("removing events 6 and 7 went unnoticed: %+v", rep)
			}
			cases := strings.Join(rep.Cases, "\n")
			for _, n := range []string{s.b, s.c} { // C lost its only event, B its latest
				if !strings.Contains(cases, n) {
					t.Errorf("cases report does not name %s:\n%s", n, cases)
				}
			}
			if strings.Contains(cases, s.a) {
				t.Errorf("cases report names the untouched case %s:\n%s", s.a, cases)
			}
		})
		t.Run("sealed last event and its checkpoint", func(t *testing.T) {
			s := newAuditScenario(t, e, checkpointEveryBatch)
			mustExec(t, s.raw, `DELETE FROM events WHERE seq = 7`)
			mustExec(t, s.raw, `DELETE FROM checkpoints WHERE seq = 7`)
			rep := auditReport(t, s.e.db)
			if rep.OK() {
				t.Fatalf("removing event 7 and its checkpoint went unnoticed: %+v", rep)
			}
			if !strings.Contains(strings.Join(rep.Cases, "\n"), s.b) {
				t.Fatalf("cases report does not name %s: %v", s.b, rep.Cases)
			}
		})
	})
}

// TestAuditTamperCases changes case rows outside Onedoor; verification
// names the case.
func TestAuditTamperCases(t *testing.T) {
	tampers := []struct {
		name string
		do   func(t *testing.T, s *auditScenario) string // returns the case number it changed
	}{
		{"state status and status column", func(t *testing.T, s *auditScenario) string {
			n := mustExec(t, s.raw, `UPDATE cases SET status = $1, state = replace(state, $2, $3) WHERE number = $4`,
				string(onedoor.StatusRejected), `"status":"approved"`, `"status":"rejected"`, s.a)
			if n != 1 {
				t.Fatalf("updated %d rows", n)
			}
			c, err := s.e.db.FindCase(context.Background(), s.a)
			if err != nil || c.Status != onedoor.StatusRejected {
				t.Fatalf("the state was not changed: %v %v", c, err)
			}
			return s.a
		}},
		{"state due date", func(t *testing.T, s *auditScenario) string {
			c, err := s.e.db.FindCase(context.Background(), s.c)
			if err != nil || c.Due == "" {
				t.Fatalf("case C has no due date: %v %v", c, err)
			}
			mustExec(t, s.raw, `UPDATE cases SET state = replace(state, $1, $2) WHERE number = $3`,
				`"due":"`+c.Due+`"`, `"due":"2099-12-31"`, s.c)
			return s.c
		}},
		// The lookup columns drive the officers' inboxes (FindCases filters
		// on status, department and step_due): a case marked rejected there
		// drops out of every open inbox.
		{"status column only", func(t *testing.T, s *auditScenario) string {
			mustExec(t, s.raw, `UPDATE cases SET status = $1 WHERE number = $2`, string(onedoor.StatusRejected), s.c)
			open, err := s.e.db.FindCases(context.Background(), onedoor.CaseFilter{Open: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range open {
				if c.Number == s.c {
					t.Fatalf("case %s is still listed as open", s.c)
				}
			}
			return s.c
		}},
		{"unreadable state", func(t *testing.T, s *auditScenario) string {
			mustExec(t, s.raw, `UPDATE cases SET state = $1 WHERE number = $2`, `{"status":`, s.c)
			return s.c
		}},
		{"case row deleted", func(t *testing.T, s *auditScenario) string {
			mustExec(t, s.raw, `DELETE FROM cases WHERE number = $1`, s.c)
			return s.c
		}},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		for _, tc := range tampers {
			t.Run(tc.name, func(t *testing.T) {
				s := newAuditScenario(t, e, checkpointEveryBatch)
				number := tc.do(t, s)
				rep := auditReport(t, s.e.db)
				if rep.Chain != nil {
					t.Errorf("the event chain was not touched, yet: %v", rep.Chain)
				}
				if rep.OK() {
					t.Fatalf("changing case %s went unnoticed", number)
				}
				if len(rep.Cases) != 1 || !strings.Contains(rep.Cases[0], number) {
					t.Fatalf("cases report = %q; want one entry naming %s", rep.Cases, number)
				}
			})
		}
	})
}
