package sqldb

import (
	"context"
	"encoding/json"
	"time"

	"onedoor"
	"onedoor/outbox"
)

// enqueue writes an outbox message in the current transaction; it leaves
// only after the commit.
func (tx *Tx) enqueue(sender, recipient, topic string, body []byte) error {
	now := ts(tx.db.now())
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO outbox (sender, recipient, topic, body, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		sender, recipient, topic, string(body), now, now)
	tx.outbox = true
	return internal("enqueue", err)
}

// Outbox is the store side of the outbox dispatcher.
type Outbox struct{ db *DB }

// Outbox returns the outbox.Store of this database.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

// DueMessages lists pending messages whose time has come.
func (o *Outbox) DueMessages(ctx context.Context, now time.Time, limit int) ([]outbox.Message, error) {
	return o.list(ctx, `WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, ts(now), limit)
}

// Messages lists messages by status ("" for all), newest first.
func (o *Outbox) Messages(ctx context.Context, status string, limit int) ([]outbox.Message, error) {
	if status == "" {
		return o.list(ctx, `ORDER BY id DESC LIMIT $1`, limit)
	}
	return o.list(ctx, `WHERE status = $1 ORDER BY id DESC LIMIT $2`, status, limit)
}

func (o *Outbox) list(ctx context.Context, where string, args ...any) ([]outbox.Message, error) {
	rows, err := o.db.read.QueryContext(ctx, `SELECT id, sender, recipient, topic, body, attempts, next_at, status, last_error, created_at FROM outbox `+where, args...)
	if err != nil {
		return nil, internal("outbox", err)
	}
	defer rows.Close()
	var out []outbox.Message
	for rows.Next() {
		var m outbox.Message
		var body, next, created string
		if err := rows.Scan(&m.ID, &m.Sender, &m.Recipient, &m.Topic, &body, &m.Attempts, &next, &m.Status, &m.LastError, &created); err != nil {
			return nil, internal("outbox", err)
		}
		m.Body = json.RawMessage(body)
		m.NextAt, _ = parseTS(next)
		m.CreatedAt, _ = parseTS(created)
		out = append(out, m)
	}
	return out, internal("outbox", rows.Err())
}

// MarkSent records a delivery.
func (o *Outbox) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return o.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(tx.ctx, `UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2`, ts(at), id)
		return internal("mark sent", err)
	})
}

// MarkFailed records a failed attempt and when to try again, or the dead letter.
func (o *Outbox) MarkFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error {
	status := "pending"
	if dead {
		status = "dead"
	}
	return o.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(tx.ctx, `UPDATE outbox SET status = $1, attempts = $2, next_at = $3, last_error = $4 WHERE id = $5`, status, attempts, ts(next), lastErr, id)
		return internal("mark failed", err)
	})
}

// Resend puts a dead (or sent) message back in the queue for one more round
// of attempts; it is the manual resend of the dead-letter queue.
func (o *Outbox) Resend(ctx context.Context, id int64) error {
	return o.db.update(ctx, func(tx *Tx) error {
		var status string
		err := tx.QueryRowContext(tx.ctx, `SELECT status FROM outbox WHERE id = $1`, id).Scan(&status)
		if isNoRows(err) {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No message with id %d exists.", id)
		}
		if err != nil {
			return internal("resend", err)
		}
		if status == "pending" {
			return onedoor.Errorf(onedoor.ECONFLICT, "Message %d is still pending; it will be sent without a resend.", id)
		}
		_, err = tx.ExecContext(tx.ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_at = $1 WHERE id = $2`, ts(o.db.now()), id)
		return internal("resend", err)
	})
}

var _ outbox.Store = (*Outbox)(nil)
