package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the write connection's prepared statements: parsing SQL
// was a quarter of an intake's cost before it (BenchmarkIntakeParallel).
type stmtCache struct {
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
}

// maxCached bounds the cache; generated statements (bulk inserts) of other
// shapes are run unprepared.
const maxCached = 256

// get returns the prepared statement for q, or nil on a miss. A miss is
// remembered and prepared by preparePending after the batch: preparing
// during a transaction would wait for the write pool's only connection,
// which the transaction holds.
func (c *stmtCache) get(q string) *sql.Stmt {
	if len(q) > 64<<10 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[q]; ok {
		return s
	}
	if len(c.m)+len(c.pending) < maxCached {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[q] = true
	}
	return nil
}

// preparePending prepares the statements that missed; the writer calls it
// between batches, when no transaction holds the connection.
func (c *stmtCache) preparePending(db *sql.DB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.pending {
		if s, err := db.Prepare(q); err == nil {
			if c.m == nil {
				c.m = map[string]*sql.Stmt{}
			}
			c.m[q] = s
		}
	}
	c.pending = nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}

// ExecContext runs q in the transaction through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := tx.db.stmts.get(q); s != nil {
		return tx.Tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

// QueryContext runs q in the transaction through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := tx.db.stmts.get(q); s != nil {
		return tx.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q in the transaction through the statement cache.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := tx.db.stmts.get(q); s != nil {
		return tx.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}
