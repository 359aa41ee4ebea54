package sqldb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onedoor"
	"onedoor/sqldb"
)

// commitLog records the events of every committed batch, as OnCommit
// listeners (the analytics index, the dispatcher) see them.
type commitLog struct {
	mu      sync.Mutex
	batches [][]onedoor.Event
}

func listen(db *sqldb.DB) *commitLog {
	l := &commitLog{}
	db.OnCommit(func(evs []onedoor.Event) {
		l.mu.Lock()
		l.batches = append(l.batches, slices.Clone(evs))
		l.mu.Unlock()
	})
	return l
}

func (l *commitLog) sizes() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for _, b := range l.batches {
		out = append(out, len(b))
	}
	return out
}

func (l *commitLog) seqs() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int64
	for _, b := range l.batches {
		for _, e := range b {
			out = append(out, e.Seq)
		}
	}
	return out
}

// holdWriter stops the store's writer at the start of its next batch until
// release is called, so that the commands sent meanwhile queue up and share
// one batch. On SQLite it holds the write pool's only connection in an
// IMMEDIATE transaction; on PostgreSQL it locks the chain head row, which
// the writer locks first.
func holdWriter(t testing.TB, db *sqldb.DB) (release func()) {
	t.Helper()
	tx, err := db.RawWrite().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect() == sqldb.Postgres {
		var seq int64
		if err := tx.QueryRow(`SELECT seq FROM chain_head WHERE id = 1 FOR UPDATE`).Scan(&seq); err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// applicantFor is a distinct synthetic resident for each (group, i): born
// group days after 1 January of birthYear, with sequence number i.
func applicantFor(birthYear, group, i int) onedoor.Applicant {
	birth := time.Date(birthYear, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, group).Format("20060102")
	return person(fmt.Sprintf("居民%d-%d", group, i), birth, i)
}

// eventSeqs lists the stored event sequence numbers in order.
func eventSeqs(t testing.TB, db *sqldb.DB) []int64 {
	t.Helper()
	rows, err := db.RawRead().Query(`SELECT seq FROM events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// wantSeqs fails unless seqs is exactly 1..n.
func wantSeqs(t testing.TB, what string, seqs []int64, n int) {
	t.Helper()
	if len(seqs) != n {
		t.Fatalf("%s: %d events, want %d", what, len(seqs), n)
	}
	for i, s := range seqs {
		if s != int64(i+1) {
			t.Fatalf("%s: position %d holds event %d; want 1..%d without gaps", what, i, s, n)
		}
	}
}

// TestWriterManyCallers: 64 callers sending 20 intakes each all succeed;
// their commands were grouped; numbers are unique, the events numbered
// 1..N without gaps, the OnCommit listeners saw them all in order, and the
// chain verifies.
func TestWriterManyCallers(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const callers, each = 64, 20
		log := listen(e.db)
		mats := allMaterials(e, "MED-002")
		numbers := make([][]string, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for g := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1960, g, i), Materials: mats, Actor: clerk})
					if err != nil {
						errs[g] = fmt.Errorf("intake %d: %w", i, err)
						return
					}
					numbers[g] = append(numbers[g], rc.Cases[0].Number)
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for g := range callers {
			if errs[g] != nil {
				t.Fatalf("caller %d: %v", g, errs[g])
			}
			for _, n := range numbers[g] {
				if seen[n] {
					t.Fatalf("case number %s given twice", n)
				}
				seen[n] = true
			}
		}
		const total = callers * each
		if len(seen) != total {
			t.Fatalf("%d case numbers, want %d", len(seen), total)
		}
		wantSeqs(t, "stored", eventSeqs(t, e.db), total)
		wantSeqs(t, "OnCommit", log.seqs(), total)
		sizes := log.sizes()
		if slices.Max(sizes) < 2 {
			t.Errorf("no two of %d concurrent commands shared a transaction: batch sizes %v", total, sizes)
		}
		t.Logf("%d intakes in %d batches, largest %d", total, len(sizes), slices.Max(sizes))
		if n := countRows(t, e.db, "cases", ""); n != total {
			t.Fatalf("%d case rows, want %d", n, total)
		}
		if n := countRows(t, e.db, "outbox", ""); n != total {
			t.Fatalf("%d outbox messages, want %d", n, total)
		}
		rep, err := e.db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events != total {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

// TestWriterFailingCommandInBatch: refused commands queued together with
// good ones in one batch do not undo the good ones and leave nothing of
// themselves: no person, case, event, outbox message or case number. Some
// fail before writing (an ineligible applicant); a bundle intake fails
// after its first case, event and message were written (the applicant
// meets the first matter's condition but not the second's).
func TestWriterFailingCommandInBatch(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		log := listen(e.db)
		mats := allMaterials(e, "MED-002")
		release := holdWriter(t, e.db)

		// The plug: the writer takes it and waits for the held connection.
		plug := make(chan error, 1)
		go func() {
			_, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1970, 0, 0), Materials: mats, Actor: clerk})
			plug <- err
		}()
		time.Sleep(50 * time.Millisecond)

		type call struct {
			req  onedoor.IntakeRequest
			good bool
			err  error
		}
		var calls []*call
		for i := range 40 {
			var req onedoor.IntakeRequest
			good := false
			switch i % 4 {
			case 1: // 18 years old, asks for a pension: refused before writing
				req = onedoor.IntakeRequest{Matter: "HRSS-001", Applicant: applicantFor(2008, 1, i), Actor: clerk}
			case 3: // 70 years old: CIV-015 (60+) is written, CIV-011 (80+) refuses
				req = onedoor.IntakeRequest{Bundle: "BD-ELDERLY", Applicant: applicantFor(1956, 3, i), Delivery: onedoor.ChannelCounter, Actor: clerk}
			default:
				req = onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1970, 2, i), Materials: mats, Actor: clerk}
				good = true
			}
			calls = append(calls, &call{req: req, good: good})
		}
		var wg sync.WaitGroup
		for _, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, c.err = e.db.Intake(ctx, c.req)
			}()
		}
		time.Sleep(300 * time.Millisecond) // let them all queue behind the plug
		release()
		wg.Wait()
		if err := <-plug; err != nil {
			t.Fatalf("plug: %v", err)
		}
		good := 1
		for i, c := range calls {
			if c.good {
				good++
				if c.err != nil {
					t.Errorf("good intake %d failed: %v", i, c.err)
				}
				continue
			}
			wantCode(t, c.err, onedoor.EINVALID, "condition")
			if p, err := e.db.FindPersonByIDNumber(ctx, c.req.Applicant.IDNumber); onedoor.ErrorCode(err) != onedoor.ENOTFOUND {
				t.Errorf("refused intake %d left a person behind: %+v %v", i, p, err)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		// The writer may take the plug alone or, if it was still busy after
		// the catalog import when the plug came, with the others; either way
		// the refused commands shared a transaction with good ones.
		sizes := log.sizes()
		t.Logf("batches: %v", sizes)
		if len(sizes) > 2 || sizes[len(sizes)-1] < good-1 {
			t.Errorf("batches %v; want all the queued commands in one batch", sizes)
		}
		wantSeqs(t, "stored", eventSeqs(t, e.db), good)
		wantSeqs(t, "OnCommit", log.seqs(), good)
		for table, want := range map[string]int{"cases": good, "outbox": good, "persons": good} {
			if n := countRows(t, e.db, table, ""); n != want {
				t.Errorf("%s: %d rows, want %d", table, n, want)
			}
		}
		if n := countRows(t, e.db, "cases", "WHERE matter <> 'MED-002' OR bundle <> ''"); n != 0 {
			t.Errorf("%d cases of the refused intakes were kept", n)
		}
		// The refused bundle intakes drew case numbers before failing; the
		// counter went back with them, so the good cases are numbered 1..good.
		var maxNumber string
		if err := e.db.RawRead().QueryRow(`SELECT MAX(number) FROM cases`).Scan(&maxNumber); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%06d", good); maxNumber[len(maxNumber)-6:] != want {
			t.Errorf("highest case number %s; want it to end in %s", maxNumber, want)
		}
		rep, err := e.db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events != int64(good) {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

// TestWriterCancelledBeforeRun: a command whose caller gave up before the
// writer reached it is not applied, and the caller hears why; the commands
// around it in the same batch are applied.
func TestWriterCancelledBeforeRun(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mats := allMaterials(e, "MED-002")

		// Cancelled before the call.
		for i := range 10 {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			a := applicantFor(1980, 1, i)
			_, err := e.db.Intake(cctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: mats, Actor: clerk})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("intake with a cancelled context: %v; want context.Canceled", err)
			}
			if _, err := e.db.FindPersonByIDNumber(ctx, a.IDNumber); onedoor.ErrorCode(err) != onedoor.ENOTFOUND {
				t.Fatalf("a cancelled intake registered its applicant: %v", err)
			}
		}

		// Cancelled while waiting in the queue behind a busy writer.
		release := holdWriter(t, e.db)
		cctx, cancel := context.WithCancel(ctx)
		type result struct {
			a   onedoor.Applicant
			err error
		}
		results := make([]chan result, 3)
		for i := range results {
			results[i] = make(chan result, 1)
			c := ctx
			if i == 1 {
				c = cctx
			}
			go func() {
				a := applicantFor(1980, 2, i)
				_, err := e.db.Intake(c, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: mats, Actor: clerk})
				results[i] <- result{a, err}
			}()
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
		release()
		for i, ch := range results {
			r := <-ch
			if i == 1 {
				if !errors.Is(r.err, context.Canceled) {
					t.Fatalf("queued intake cancelled before its turn: %v; want context.Canceled", r.err)
				}
				if _, err := e.db.FindPersonByIDNumber(ctx, r.a.IDNumber); onedoor.ErrorCode(err) != onedoor.ENOTFOUND {
					t.Fatalf("the cancelled intake was applied: %v", err)
				}
				continue
			}
			if r.err != nil {
				t.Fatalf("intake %d next to the cancelled one: %v", i, r.err)
			}
		}
		if n := countRows(t, e.db, "cases", ""); n != 2 {
			t.Fatalf("%d cases, want 2", n)
		}
		rep, err := e.db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events != 2 {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

// TestWriterCancelledWhileRunning: callers that give up at any moment —
// before, while or after their command runs — must not take the commands
// of other callers in the same batch down with them. Every caller that
// kept waiting is applied, and whatever a cancelled caller was told
// matches the store.
func TestWriterCancelledWhileRunning(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mats := allMaterials(e, "MED-002")
		const rounds, patient, impatient = 100, 8, 8
		var failedPatient, impatientOK, impatientFailed atomic.Int64
		var firstErr atomic.Value
		for r := range rounds {
			var wg sync.WaitGroup
			for i := range patient + impatient {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := ctx
					if i >= patient {
						var cancel context.CancelFunc
						c, cancel = context.WithTimeout(ctx, time.Duration(i-patient)*300*time.Microsecond)
						defer cancel()
					}
					a := applicantFor(1975, r, i)
					rc, err := e.db.Intake(c, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: mats, Actor: clerk})
					switch {
					case i < patient && err != nil:
						failedPatient.Add(1)
						firstErr.CompareAndSwap(nil, err)
					case i >= patient && err != nil:
						impatientFailed.Add(1)
					case i >= patient:
						impatientOK.Add(1)
					}
					if err == nil {
						if _, ferr := e.db.FindCase(ctx, rc.Cases[0].Number); ferr != nil {
							t.Errorf("intake answered OK but its case is missing: %v", ferr)
						}
					} else if _, ferr := e.db.FindPersonByIDNumber(ctx, a.IDNumber); onedoor.ErrorCode(ferr) != onedoor.ENOTFOUND {
						t.Errorf("intake answered %v but its applicant was registered: %v", err, ferr)
					}
				}()
			}
			wg.Wait()
		}
		t.Logf("callers who gave up: %d applied, %d not", impatientOK.Load(), impatientFailed.Load())
		if n := failedPatient.Load(); n > 0 {
			t.Fatalf("%d of %d intakes whose callers waited failed because others gave up; first: %v", n, rounds*patient, firstErr.Load())
		}
		rep, err := e.db.VerifyAudit(ctx)
		if err != nil || !rep.OK() {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

// TestWriterClose: Close answers the commands already sent, and every
// update after it returns an error at once instead of hanging; what was
// answered as done is in the store after reopening.
func TestWriterClose(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mats := allMaterials(e, "MED-002")
		var (
			mu   sync.Mutex
			done []string
			wg   sync.WaitGroup
		)
		stopAt := make(chan struct{})
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1985, g, i), Materials: mats, Actor: clerk})
					if err != nil {
						return // closed
					}
					mu.Lock()
					done = append(done, rc.Cases[0].Number)
					mu.Unlock()
					select {
					case <-stopAt:
						return
					default:
					}
				}
			}()
		}
		time.Sleep(100 * time.Millisecond)
		if err := e.db.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(10 * time.Second):
			close(stopAt)
			t.Fatal("callers still waiting 10 s after Close")
		}

		calls := map[string]func() error{
			"intake": func() error {
				_, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: applicantFor(1985, 99, 1), Materials: mats, Actor: clerk})
				return err
			},
			"act": func() error {
				_, err := e.db.Act(ctx, "440604260302000001", onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")})
				return err
			},
			"import catalog": func() error {
				_, err := e.db.ImportCatalog(ctx, e.db.Catalog())
				return err
			},
			"mark sent": func() error { return e.db.Outbox().MarkSent(ctx, 1, e.clock.Now()) },
			"resend":    func() error { return e.db.Outbox().Resend(ctx, 1) },
		}
		for name, call := range calls {
			res := make(chan error, 1)
			go func() { res <- call() }()
			select {
			case err := <-res:
				if err == nil {
					t.Errorf("%s after Close succeeded", name)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s after Close hangs", name)
			}
		}

		if err := e.db.Close(); err != nil {
			t.Errorf("closing twice: %v", err)
		}
		mu.Lock()
		answered := slices.Clone(done)
		mu.Unlock()
		if len(answered) == 0 {
			t.Fatal("no intake was answered before Close")
		}
		db := e.open(t)
		for _, n := range answered {
			if _, err := db.FindCase(ctx, n); err != nil {
				t.Fatalf("case %s was answered as done before Close but is not in the store: %v", n, err)
			}
		}
		rep, err := db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events < int64(len(answered)) {
			t.Fatalf("audit after reopening: %+v %v (answered %d)", rep, err, len(answered))
		}
	})
}

// benchApplicant is the n-th distinct synthetic resident.
func benchApplicant(n int) onedoor.Applicant {
	return applicantFor(1950, n/1000, n%1000)
}

// BenchmarkIntakeParallel measures intakes through the group-commit writer
// with 32 callers per CPU, durable SQLite (WAL, synchronous=FULL).
func BenchmarkIntakeParallel(b *testing.B) {
	e := openEnv(b, filepath.Join(b.TempDir(), "onedoor.db"))
	mats := allMaterials(e, "MED-002")
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a := benchApplicant(int(n.Add(1)))
			if _, err := e.db.Intake(context.Background(), onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: mats, Actor: clerk}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "intakes/s")
}

// plainRows is an intake's case row and event row, taken from a real
// intake, to be inserted again under new numbers by plain SQL.
type plainRows struct {
	caseCols  []any // verify_hash … state, after number
	eventCols []any // version … hash, after seq, case_id, case_number
}

func plainTemplate(b *testing.B, e *env) plainRows {
	b.Helper()
	_, err := e.db.Intake(context.Background(), onedoor.IntakeRequest{Matter: "MED-002", Applicant: benchApplicant(0), Materials: allMaterials(e, "MED-002"), Actor: clerk})
	if err != nil {
		b.Fatal(err)
	}
	var p plainRows
	var (
		verify, matter, bundle, subject, status, dept, due, stepDue, received, accepted, closed, state string
		mv, step, version                                                                              int
		applicant                                                                                      int64
	)
	if err := e.db.RawRead().QueryRow(`SELECT verify_hash, matter, matter_version, bundle, subject, applicant_id, status, step, department, due, step_due, received_at, accepted_at, closed_at, version, state FROM cases`).
		Scan(&verify, &matter, &mv, &bundle, &subject, &applicant, &status, &step, &dept, &due, &stepDue, &received, &accepted, &closed, &version, &state); err != nil {
		b.Fatal(err)
	}
	p.caseCols = []any{verify, matter, mv, bundle, subject, applicant, status, step, dept, due, stepDue, received, accepted, closed, version, state}
	var (
		typ, estatus, at, cmd, stateHash, prev, hash string
		ev, estep                                    int
	)
	if err := e.db.RawRead().QueryRow(`SELECT version, type, status, step, at, command, state_hash, prev_hash, hash FROM events`).
		Scan(&ev, &typ, &estatus, &estep, &at, &cmd, &stateHash, &prev, &hash); err != nil {
		b.Fatal(err)
	}
	p.eventCols = []any{ev, typ, estatus, estep, at, cmd, stateHash, prev, hash}
	return p
}

// benchPlainInsert inserts a case row and an event row per iteration with
// plain SQL on the store's own durable write connection, committing every
// perTx iterations, in one goroutine.
func benchPlainInsert(b *testing.B, perTx int) {
	e := openEnv(b, filepath.Join(b.TempDir(), "onedoor.db"))
	p := plainTemplate(b, e)
	w := e.db.RawWrite() // the writer is idle: the connection is free
	insCase, err := w.Prepare(`INSERT INTO cases (number, verify_hash, matter, matter_version, bundle, subject, applicant_id, status, step, department, due, step_due, received_at, accepted_at, closed_at, version, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`)
	if err != nil {
		b.Fatal(err)
	}
	defer insCase.Close()
	insEvent, err := w.Prepare(`INSERT INTO events (seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`)
	if err != nil {
		b.Fatal(err)
	}
	defer insEvent.Close()
	var tx *sql.Tx
	inTx := 0
	seq := int64(1000)
	b.ResetTimer()
	for b.Loop() {
		if tx == nil {
			if tx, err = w.Begin(); err != nil {
				b.Fatal(err)
			}
		}
		seq++
		number := fmt.Sprintf("P%017d", seq)
		res, err := tx.Stmt(insCase).Exec(append([]any{number}, p.caseCols...)...)
		if err != nil {
			b.Fatal(err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(insEvent).Exec(append([]any{seq, id, number}, p.eventCols...)...); err != nil {
			b.Fatal(err)
		}
		if inTx++; inTx == perTx {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			tx, inTx = nil, 0
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "intakes/s")
}

// BenchmarkPlainInsert writes an intake's rows (one case row, one event
// row) in one durable transaction each: the fsync-bound baseline.
func BenchmarkPlainInsert(b *testing.B) { benchPlainInsert(b, 1) }

// BenchmarkPlainInsertBatched writes the same rows 256 intakes per
// transaction: the ceiling plain SQL reaches with batching.
func BenchmarkPlainInsertBatched(b *testing.B) { benchPlainInsert(b, 256) }
