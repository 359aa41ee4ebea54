// Package outbox delivers the messages a change wrote to the outbox table.
//
// The store writes outbox messages in the same transaction as the case
// change and its event, so a message exists if and only if the change
// committed. A Dispatcher then delivers them after commit through a Sender
// chosen by the message's Sender name, retrying failures with exponential
// backoff until MaxAttempts, when the message is marked dead and waits for
// an officer to resend it (a store operation). Delivery is at least once: a
// crash between sending and marking sent sends the message again, so
// receivers should deduplicate by message ID.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"
)

// Message statuses.
const (
	StatusPending = "pending" // waiting for its first or next attempt at NextAt
	StatusSent    = "sent"    // delivered
	StatusDead    = "dead"    // given up; only a manual resend brings it back
)

// Message is one notification to deliver.
type Message struct {
	ID        int64           `json:"id"`
	Sender    string          `json:"sender"`    // key into Dispatcher.Senders: "log" or "webhook"
	Recipient string          `json:"recipient"` // who it is for, as the sender understands it
	Topic     string          `json:"topic"`     // what happened, e.g. "case.approved"
	Body      json.RawMessage `json:"body"`      // may hold personal data: never logged
	Attempts  int             `json:"attempts"`  // delivery attempts that failed so far
	NextAt    time.Time       `json:"next_at"`   // not to be sent before
	Status    string          `json:"status"`    // StatusPending, StatusSent or StatusDead
	LastError string          `json:"last_error,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// Store is the outbox table as the Dispatcher sees it.
//
// A manual resend is a store operation outside this interface: it should set
// Status to pending, NextAt to now and Attempts to 0, so that the message
// gets the full retry schedule again.
type Store interface {
	// DueMessages returns up to limit pending messages with NextAt at or
	// before now, oldest NextAt first.
	DueMessages(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// MarkSent records that message id was delivered at at.
	MarkSent(ctx context.Context, id int64, at time.Time) error
	// MarkFailed records a failed attempt: the new attempt count, the next
	// attempt time and the error; dead means give up (status dead).
	MarkFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error
}

// Sender delivers one message. A nil error means the recipient has it.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Defaults of the Dispatcher's zero fields.
const (
	DefaultMaxAttempts = 8
	DefaultBaseDelay   = 2 * time.Second
	DefaultMaxDelay    = time.Hour
	DefaultBatch       = 100

	idleWait     = time.Second     // Run's sleep when not poked
	markTimeout  = 5 * time.Second // for recording an outcome after ctx is done
	maxLastError = 1000            // bytes of an error kept in LastError
)

// Dispatcher delivers due messages from Store through Senders. Zero fields
// take the defaults above; Now defaults to time.Now and Logger to
// slog.Default(). Set the fields before calling Run; do not change them
// while it runs. Poke may be called from any goroutine.
//
// Messages are delivered one at a time, in the order DueMessages returns
// them, so a pass takes as long as its slowest deliveries (a webhook times
// out after 10 s by default).
type Dispatcher struct {
	Store       Store
	Senders     map[string]Sender
	MaxAttempts int           // attempts before a message is dead; default 8
	BaseDelay   time.Duration // wait after the first failure; default 2 s
	MaxDelay    time.Duration // longest wait between attempts; default 1 h
	Now         func() time.Time
	Logger      *slog.Logger
	Batch       int // messages fetched per pass; default 100

	wakeOnce sync.Once
	wake     chan struct{}
}

// Poke wakes Run at once, without waiting for its next poll. The store (or
// the service owning the transaction) calls it after a commit that wrote
// messages. It never blocks.
func (d *Dispatcher) Poke() {
	select {
	case d.wakeChan() <- struct{}{}:
	default: // a wake-up is already pending
	}
}

func (d *Dispatcher) wakeChan() chan struct{} {
	d.wakeOnce.Do(func() { d.wake = make(chan struct{}, 1) })
	return d.wake
}

// Run delivers due messages until ctx is done, then returns nil. Between
// passes it sleeps until poked or for one second; when a pass fetched a full
// batch it goes on at once. Store errors are logged and retried on the next
// pass; only a Dispatcher without a Store is an error.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.Store == nil {
		return errors.New("outbox: dispatcher has no store")
	}
	wake := d.wakeChan()
	timer := time.NewTimer(idleWait)
	defer timer.Stop()
	for {
		sent, failed, err := d.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.logger().Error("outbox: delivery pass failed", "err", err)
		}
		if err == nil && sent+failed >= d.batch() {
			continue // more may be due
		}
		timer.Reset(idleWait)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-timer.C:
		}
	}
}

// DeliverDue makes one pass: it fetches up to Batch due messages and tries
// each once. A message whose Sender is not configured goes dead at once;
// a failed delivery is retried after Backoff, or goes dead after
// MaxAttempts attempts. It returns how many were sent and how many failed,
// and stops at the first store error (a message it could not mark is sent
// again later).
func (d *Dispatcher) DeliverDue(ctx context.Context) (sent, failed int, err error) {
	msgs, err := d.Store.DueMessages(ctx, d.now(), d.batch())
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: due messages: %w", err)
	}
	log := d.logger()
	for _, m := range msgs {
		if err := ctx.Err(); err != nil {
			return sent, failed, err
		}
		sender, ok := d.Senders[m.Sender]
		if !ok || sender == nil {
			failed++
			msg := fmt.Sprintf("outbox: no sender %q is configured", m.Sender)
			log.Error("outbox: message dead", "id", m.ID, "topic", m.Topic, "sender", m.Sender, "err", msg)
			if err := d.markFailed(ctx, m.ID, m.Attempts, d.now(), msg, true); err != nil {
				return sent, failed, fmt.Errorf("outbox: mark message %d failed: %w", m.ID, err)
			}
			continue
		}
		if sendErr := send(ctx, sender, m); sendErr != nil {
			if err := ctx.Err(); err != nil {
				// Shutting down cut the attempt short; it does not count.
				return sent, failed, err
			}
			failed++
			attempts := m.Attempts + 1
			dead := attempts >= d.maxAttempts()
			now := d.now()
			next := now.Add(Backoff(attempts, d.baseDelay(), d.maxDelay()))
			if dead {
				next = now
				log.Error("outbox: message dead", "id", m.ID, "topic", m.Topic, "sender", m.Sender, "attempts", attempts, "err", sendErr)
			} else {
				log.Warn("outbox: delivery failed", "id", m.ID, "topic", m.Topic, "sender", m.Sender, "attempts", attempts, "next", next, "err", sendErr)
			}
			if err := d.markFailed(ctx, m.ID, attempts, next, truncate(sendErr.Error(), maxLastError), dead); err != nil {
				return sent, failed, fmt.Errorf("outbox: mark message %d failed: %w", m.ID, err)
			}
			continue
		}
		sent++
		if err := d.markSent(ctx, m.ID, d.now()); err != nil {
			return sent, failed, fmt.Errorf("outbox: mark message %d sent: %w", m.ID, err)
		}
	}
	return sent, failed, nil
}

// markSent and markFailed record an outcome even when ctx ended during the
// send: a delivered message left pending would be delivered again.
func (d *Dispatcher) markSent(ctx context.Context, id int64, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	return d.Store.MarkSent(ctx, id, at)
}

func (d *Dispatcher) markFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	return d.Store.MarkFailed(ctx, id, attempts, next, lastErr, dead)
}

// send calls s.Send, turning a panic into an error so that one bad message
// cannot stop the dispatcher.
func send(ctx context.Context, s Sender, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("outbox: sender panicked: %v", r)
		}
	}()
	return s.Send(ctx, m)
}

// Backoff returns the wait after the attempt-th failed attempt (counting
// from 1): base, 2·base, 4·base… capped at max. It has no jitter: the
// schedule is deterministic, so tests and officers can predict the next
// attempt ("next try at 10:42"), and messages spread out anyway because
// they fail at different times. An attempt below 1 counts as 1; a
// non-positive base gives 0; a non-positive max means no cap.
func Backoff(attempt int, base, max time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	if attempt < 1 {
		attempt = 1
	}
	limit := max
	if limit <= 0 {
		limit = time.Duration(1<<63 - 1)
	}
	d := base
	for range attempt - 1 {
		if d > limit/2 { // doubling would pass the cap (or overflow)
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}

func (d *Dispatcher) maxAttempts() int {
	if d.MaxAttempts > 0 {
		return d.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (d *Dispatcher) baseDelay() time.Duration {
	if d.BaseDelay > 0 {
		return d.BaseDelay
	}
	return DefaultBaseDelay
}

func (d *Dispatcher) maxDelay() time.Duration {
	if d.MaxDelay > 0 {
		return d.MaxDelay
	}
	return DefaultMaxDelay
}

func (d *Dispatcher) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return DefaultBatch
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
