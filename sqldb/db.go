// Package sqldb stores Onedoor in SQLite (embedded default) or PostgreSQL.
//
// Every state change runs in a write transaction that holds the new state,
// its hash-chained event and its outbox messages together. On SQLite one
// writer goroutine owns the write connection and groups the commands that
// queue up while a commit is in flight into one transaction (group commit);
// each command runs inside its own savepoint, so one failing command does not
// undo the others, and every caller is answered only after its batch is
// durable. PostgreSQL runs the same code; the chain head row lock keeps the
// audit chain one sequence across several Onedoor nodes.
package sqldb

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // the "sqlite" driver, and its errors
	sqlite3 "modernc.org/sqlite/lib"

	"onedoor"
	"onedoor/audit"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/pii"
)

// Dialect names the database engine.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config is what Open needs.
type Config struct {
	// DSN is a PostgreSQL URL (postgres://…) or a SQLite file path.
	DSN      string
	Keys     pii.Keys
	Sign     ed25519.PrivateKey // signs audit checkpoints and e-licences
	Calendar *calendar.Calendar
	Catalog  *catalog.Catalog
	Logger   *slog.Logger
	Now      func() time.Time // injectable clock; time.Now when nil
	// MaxBatch bounds how many queued commands share one transaction.
	MaxBatch int
	// CheckpointEvery is how often the chain head is signed at most.
	CheckpointEvery time.Duration
	// OnCheckpoint, when set, publishes every checkpoint outside the
	// database (cmd/onedoor appends it to the checkpoint log). It runs on
	// the writer goroutine after the transaction holding the checkpoint
	// committed and before the batch's callers are answered, so it must be
	// quick; its error is logged, the checkpoint stays in the database.
	OnCheckpoint func(audit.Checkpoint) error
	// CheckpointOutboxEvery is how often at most a checkpoint is also
	// written to the outbox (topic CheckpointTopic), in the transaction
	// that makes it, for delivery to another system; 0 never.
	CheckpointOutboxEvery time.Duration
}

// DB is an open store.
type DB struct {
	dialect   Dialect
	write     *sql.DB
	read      *sql.DB
	box       *pii.Box
	keys      pii.Keys
	sign      ed25519.PrivateKey
	cal       *calendar.Calendar
	cat       atomic.Pointer[catalog.Catalog] // the running catalog; see UseCatalog
	catMu     sync.Mutex                      // orders adoptions
	catSource int64                           // the catalog_sources row running (0: configured)
	log       *slog.Logger
	now       func() time.Time

	queue    chan *job
	maxBatch int
	ckEvery  time.Duration
	lastCk   time.Time
	ckPub    checkpointPublishing
	stopped  chan struct{}
	closeMu  sync.Mutex
	closed   bool
	afterMu  sync.Mutex
	onCommit []func([]onedoor.Event)

	stmts stmtCache

	mattersMu sync.RWMutex
	matters   map[matterKey]*onedoor.Matter
}

type matterKey struct {
	code    string
	version int
}

// Open opens (and migrates) the database named by cfg.DSN and starts the writer.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{
		keys: cfg.Keys, sign: cfg.Sign, cal: cfg.Calendar,
		log: cfg.Logger, now: cfg.Now, maxBatch: cfg.MaxBatch, ckEvery: cfg.CheckpointEvery,
		queue: make(chan *job, 4096), stopped: make(chan struct{}),
		matters: map[matterKey]*onedoor.Matter{},
		ckPub:   checkpointPublishing{hook: cfg.OnCheckpoint, outboxEvery: cfg.CheckpointOutboxEvery},
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.cal == nil {
		db.cal = calendar.Official()
	}
	db.cat.Store(cfg.Catalog)
	if db.maxBatch <= 0 {
		db.maxBatch = 256
	}
	if db.ckEvery <= 0 {
		db.ckEvery = time.Second
	}
	if len(db.sign) != ed25519.PrivateKeySize {
		return nil, errors.New("sqldb: a signing key is required")
	}
	box, err := pii.NewBox(cfg.Keys)
	if err != nil {
		return nil, fmt.Errorf("sqldb: %w", err)
	}
	db.box = box
	if err := db.open(ctx, cfg.DSN); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.write.Close()
		db.read.Close()
		return nil, err
	}
	go db.writer()
	return db, nil
}

func (db *DB) open(ctx context.Context, dsn string) error {
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db.dialect = Postgres
		if db.write, err = sql.Open("pgx", dsn); err != nil {
			return fmt.Errorf("sqldb: open postgres: %w", err)
		}
		db.write.SetMaxOpenConns(4)
		db.read = db.write
		return nil
	}
	db.dialect = SQLite
	path := strings.TrimPrefix(dsn, "sqlite:")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("sqldb: %w", err)
		}
	}
	// The database holds sealed personal data: readable by its owner only.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
	// The writer gets a 128 MiB page cache: index inserts into large tables
	// (a district's cases) otherwise go to the disk for every page.
	if db.write, err = sql.Open("sqlite", "file:"+path+"?_txlock=immediate&"+pragmas+"&_pragma=cache_size(-131072)"); err != nil {
		return fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	db.write.SetConnMaxLifetime(0)
	if db.read, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)"); err != nil {
		return fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	db.read.SetMaxOpenConns(8)
	// A new database file turns to WAL when its first connection opens.
	// Nodes opening the same new file at that moment are told it is busy:
	// SQLite's busy timeout does not cover a change of journal mode. The
	// file stays WAL once it is, so only the first connections wait here.
	for _, pool := range []*sql.DB{db.write, db.read} {
		if err := whileBusy(ctx, func() error { return pool.PingContext(ctx) }); err != nil {
			db.write.Close()
			db.read.Close()
			return fmt.Errorf("sqldb: open sqlite: %w", err)
		}
	}
	return nil
}

// whileBusy runs f until SQLite stops answering SQLITE_BUSY, for up to
// ten seconds (the busy timeout of the connections).
func whileBusy(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := f()
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Dialect reports which engine the store runs on.
func (db *DB) Dialect() Dialect { return db.dialect }

// Calendar is the working-day calendar deadlines are computed with.
func (db *DB) Calendar() *calendar.Calendar { return db.cal }

// Catalog is the running catalog: the one the store was opened with, or
// the one adopted since (UseCatalog). Callers that need several answers
// from one catalog keep the pointer.
func (db *DB) Catalog() *catalog.Catalog { return db.cat.Load() }

// Close stops the writer after the queued commands and closes the database.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	close(db.queue)
	db.closeMu.Unlock()
	<-db.stopped
	db.stmts.close()
	err := db.write.Close()
	if db.read != db.write {
		if e := db.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// OnCommit registers f to receive the events of every committed batch, in
// order, after they are durable (the analytics index and the outbox
// dispatcher listen here). f runs on the writer goroutine before the next
// batch starts, so what it records is visible to the next query; it must
// not block or call back into the store's writes.
func (db *DB) OnCommit(f func([]onedoor.Event)) {
	db.afterMu.Lock()
	db.onCommit = append(db.onCommit, f)
	db.afterMu.Unlock()
}

// RawWrite and RawRead expose the pools for tests and benchmarks that
// compare with plain SQL; services never use them.
func (db *DB) RawWrite() *sql.DB { return db.write }

// RawRead exposes the read pool; see RawWrite.
func (db *DB) RawRead() *sql.DB { return db.read }

// ts formats a time the one way it is stored: UTC, microseconds, sortable.
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func parseTS(s string) (time.Time, error) {
	return time.Parse("2006-01-02T15:04:05.000000Z", s)
}

// internal wraps an unexpected database error so that it is logged, not shown.
// querier is a database or a transaction, to read from.
type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *onedoor.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("sqldb: %s: %w", op, err)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
