package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"onedoor"
	"onedoor/audit"
)

// job is one command queued for the writer.
type job struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// Tx is a write transaction shared by the commands of one batch. Helpers
// take it; exported service methods own it through DB.update.
type Tx struct {
	*sql.Tx
	ctx    context.Context
	db     *DB
	seq    int64  // chain head after the events appended so far
	hash   string // ditto
	events []onedoor.Event
	outbox bool // the batch wrote outbox messages
}

// update runs fn in a write transaction and returns once the change is
// durable (or refused). fn's error aborts only fn's own changes.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) (err error) {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return onedoor.Errorf(onedoor.EINTERNAL, "The store is closed.")
	}
	select {
	case db.queue <- j:
	case <-ctx.Done():
		db.closeMu.Unlock()
		return ctx.Err()
	}
	db.closeMu.Unlock()
	return <-j.done
}

// writer owns the write connection: it takes whatever commands are queued,
// runs them in one transaction and answers each after the commit.
func (db *DB) writer() {
	defer close(db.stopped)
	for j := range db.queue {
		batch := []*job{j}
	drain:
		for len(batch) < db.maxBatch {
			select {
			case j2, ok := <-db.queue:
				if !ok {
					break drain
				}
				batch = append(batch, j2)
			default:
				break drain
			}
		}
		db.runBatch(batch)
		db.stmts.preparePending(db.write)
	}
}

func (db *DB) runBatch(batch []*job) {
	errs := make([]error, len(batch))
	events, ck, err := db.runBatchTx(batch, errs)
	if err != nil {
		db.log.Error("write batch failed", "err", err, "commands", len(batch))
	}
	if ck != nil && db.ckPub.hook != nil {
		// Before the callers are answered: once a write is acknowledged,
		// the checkpoint its batch made (if any) is outside the database.
		if err := db.ckPub.hook(*ck); err != nil {
			db.log.Error("checkpoint not published outside the database", "seq", ck.Seq, "err", err)
		}
	}
	if err == nil && len(events) > 0 {
		// Listeners see the batch before any caller is answered, so what a
		// caller wrote is in the very next analytics answer.
		db.afterMu.Lock()
		fs := db.onCommit
		db.afterMu.Unlock()
		for _, f := range fs {
			f(events)
		}
	}
	for i, j := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		j.done <- errs[i]
	}
}

// runBatchTx runs the batch in one transaction and returns its events and
// the checkpoint it made, if any, once committed.
func (db *DB) runBatchTx(batch []*job, errs []error) ([]onedoor.Event, *audit.Checkpoint, error) {
	ctx := context.Background()
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("sqldb: begin: %w", err)
	}
	tx := &Tx{Tx: sqlTx, ctx: ctx, db: db}
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE" // one chain across nodes: writers take turns on the head
	}
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM chain_head WHERE id = 1`+lock).Scan(&tx.seq, &tx.hash); err != nil {
		sqlTx.Rollback()
		return nil, nil, fmt.Errorf("sqldb: read chain head: %w", err)
	}
	startSeq := tx.seq
	ok := 0
	for i, j := range batch {
		if j.ctx.Err() != nil {
			errs[i] = j.ctx.Err()
			continue
		}
		seq, hash, nev, outbox := tx.seq, tx.hash, len(tx.events), tx.outbox
		const sp = "cmd" // released before the next command: one name serves all
		if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
			sqlTx.Rollback()
			return nil, nil, fmt.Errorf("sqldb: savepoint: %w", err)
		}
		// Cancellation is honoured only before a command starts: a statement
		// interrupted mid-way would abort the transaction the whole batch shares.
		tx.ctx = context.WithoutCancel(j.ctx)
		errs[i] = safeRun(j.fn, tx)
		tx.ctx = ctx
		if errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
				sqlTx.Rollback()
				return nil, nil, fmt.Errorf("sqldb: rollback to savepoint: %w", err)
			}
			tx.seq, tx.hash, tx.events, tx.outbox = seq, hash, tx.events[:nev], outbox
		} else {
			ok++
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
			sqlTx.Rollback()
			return nil, nil, fmt.Errorf("sqldb: release savepoint: %w", err)
		}
	}
	if ok == 0 {
		sqlTx.Rollback()
		return nil, nil, nil
	}
	var ck *audit.Checkpoint
	toOutbox := false
	if tx.seq != startSeq {
		if _, err := tx.ExecContext(ctx, `UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1`, tx.seq, tx.hash); err != nil {
			sqlTx.Rollback()
			return nil, nil, fmt.Errorf("sqldb: update chain head: %w", err)
		}
		if now := db.now().UTC().Truncate(time.Microsecond); now.Sub(db.lastCk) >= db.ckEvery { // stored to the microsecond
			c := audit.SignCheckpoint(db.sign, tx.seq, tx.hash, now)
			if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4)`,
				c.Seq, c.Hash, ts(c.At), c.Signature); err != nil {
				sqlTx.Rollback()
				return nil, nil, fmt.Errorf("sqldb: write checkpoint: %w", err)
			}
			if toOutbox = db.ckPub.outboxDue(now); toOutbox {
				if err := tx.enqueueCheckpoint(c); err != nil {
					sqlTx.Rollback()
					return nil, nil, err
				}
			}
			ck = &c
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("sqldb: commit: %w", err)
	}
	if ck != nil {
		db.lastCk = ck.At
		if toOutbox {
			db.ckPub.outboxAt = ck.At
		}
	}
	return tx.events, ck, nil
}

// safeRun turns a panic in a command into an internal error for that
// command alone.
func safeRun(fn func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqldb: command panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(tx)
}

// appendEvent links e to the chain and writes it.
func (tx *Tx) appendEvent(e *onedoor.Event) error {
	e.Seq = tx.seq + 1
	e.PrevHash = tx.hash
	e.Hash = audit.Hash(e.PrevHash, e)
	cmd, err := json.Marshal(e.Command)
	if err != nil {
		return fmt.Errorf("sqldb: marshal command: %w", err)
	}
	if _, err := tx.ExecContext(tx.ctx, `INSERT INTO events (seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Seq, e.CaseID, e.CaseNumber, e.Version, string(e.Type), string(e.Status), e.Step, ts(e.At), string(cmd), e.StateHash, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("sqldb: insert event: %w", err)
	}
	tx.seq, tx.hash = e.Seq, e.Hash
	tx.events = append(tx.events, *e)
	return nil
}
