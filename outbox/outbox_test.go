package outbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onedoor/outbox"
)

// memStore is an in-memory outbox table.
type memStore struct {
	mu       sync.Mutex
	msgs     []*outbox.Message
	dueCalls int
	dueErr   error
}

func (s *memStore) add(m outbox.Message) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = int64(len(s.msgs) + 1)
	if m.Status == "" {
		m.Status = outbox.StatusPending
	}
	s.msgs = append(s.msgs, &m)
	return m.ID
}

func (s *memStore) get(id int64) outbox.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.msgs[id-1]
}

func (s *memStore) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dueCalls
}

func (s *memStore) DueMessages(ctx context.Context, now time.Time, limit int) ([]outbox.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dueCalls++
	if s.dueErr != nil {
		return nil, s.dueErr
	}
	var due []outbox.Message
	for _, m := range s.msgs {
		if m.Status == outbox.StatusPending && !m.NextAt.After(now) {
			due = append(due, *m)
		}
	}
	slices.SortStableFunc(due, func(a, b outbox.Message) int { return a.NextAt.Compare(b.NextAt) })
	return due[:min(limit, len(due))], nil
}

func (s *memStore) MarkSent(ctx context.Context, id int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs[id-1].Status = outbox.StatusSent
	return nil
}

func (s *memStore) MarkFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[id-1]
	m.Attempts, m.NextAt, m.LastError = attempts, next, lastErr
	if dead {
		m.Status = outbox.StatusDead
	}
	return nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type senderFunc func(ctx context.Context, m outbox.Message) error

func (f senderFunc) Send(ctx context.Context, m outbox.Message) error { return f(ctx, m) }

var (
	t0     = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	secret = []byte("webhook secret shared with the receiver")
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// receiver is a webhook endpoint that checks signatures and answers with
// the statuses in fail first, then 200.
type receiver struct {
	mu     sync.Mutex
	fail   []int
	hits   int
	bodies []string
	header http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits++
	r.header = req.Header.Clone()
	if err := outbox.VerifyWebhook(secret, req.Header.Get(outbox.HeaderTimestamp), req.Header.Get(outbox.HeaderSignature), body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if len(r.fail) > 0 {
		code := r.fail[0]
		r.fail = r.fail[1:]
		http.Error(w, "try later", code)
		return
	}
	r.bodies = append(r.bodies, string(body))
}

func (r *receiver) count() (hits int, bodies []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, slices.Clone(r.bodies)
}

func newDispatcher(store outbox.Store, clk *clock, senders map[string]outbox.Sender) *outbox.Dispatcher {
	return &outbox.Dispatcher{Store: store, Senders: senders, Now: clk.Now, Logger: quiet}
}

func TestWebhookSignedAndVerified(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	store := &memStore{}
	clk := &clock{t: t0}
	id := store.add(outbox.Message{Sender: "webhook", Recipient: "民政局", Topic: "case.approved", Body: json.RawMessage(`{"case":"SQ2025000001","status":"approved"}`), NextAt: t0})
	d := newDispatcher(store, clk, map[string]outbox.Sender{"webhook": outbox.WebhookSender{URL: srv.URL, Secret: secret}})

	sent, failed, err := d.DeliverDue(context.Background())
	if err != nil || sent != 1 || failed != 0 {
		t.Fatalf("DeliverDue = %d, %d, %v; want 1 sent", sent, failed, err)
	}
	hits, bodies := rcv.count()
	if hits != 1 || len(bodies) != 1 || bodies[0] != `{"case":"SQ2025000001","status":"approved"}` {
		t.Fatalf("receiver got %d requests, accepted %q", hits, bodies)
	}
	h := rcv.header
	if h.Get("Content-Type") != "application/json" || h.Get(outbox.HeaderMessageID) != fmt.Sprint(id) || h.Get(outbox.HeaderTopic) != "case.approved" {
		t.Errorf("headers: %v", h)
	}
	if m := store.get(id); m.Status != outbox.StatusSent || m.Attempts != 0 {
		t.Errorf("message after delivery: %+v", m)
	}
	if _, _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hits, _ := rcv.count(); hits != 1 {
		t.Errorf("a sent message was sent again: %d requests", hits)
	}
}

// tamperTransport changes the body of every request on its way, as a
// man in the middle would.
type tamperTransport struct{}

func (tamperTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	body = bytes.ReplaceAll(body, []byte("approved"), []byte("rejected"))
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return http.DefaultTransport.RoundTrip(req)
}

func TestWebhookRefusesTamperedBodyAndWrongSecret(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	m := outbox.Message{ID: 1, Topic: "case.approved", Body: json.RawMessage(`{"status":"approved"}`)}

	tampered := outbox.WebhookSender{URL: srv.URL, Secret: secret, Client: &http.Client{Transport: tamperTransport{}}}
	err := tampered.Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("tampered body: err = %v, want status 401", err)
	}
	wrong := outbox.WebhookSender{URL: srv.URL, Secret: []byte("not the shared secret")}
	if err := wrong.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: err = %v, want status 401", err)
	}
	if hits, bodies := rcv.count(); hits != 2 || len(bodies) != 0 {
		t.Errorf("receiver: %d requests, accepted %q; want 2 refused", hits, bodies)
	}
	if err := (outbox.WebhookSender{URL: srv.URL, Secret: secret}).Send(context.Background(), m); err != nil {
		t.Errorf("genuine request refused: %v", err)
	}
}

func TestWebhookErrors(t *testing.T) {
	redirect := httptest.NewServer(http.RedirectHandler("https://elsewhere.example/", http.StatusFound))
	defer redirect.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release) // before Close, which waits for the handler
	tests := []struct {
		name   string
		sender outbox.WebhookSender
		want   string
	}{
		{"redirect not followed", outbox.WebhookSender{URL: redirect.URL + "?token=s3cr3t"}, "status 302 Found"},
		{"not found", outbox.WebhookSender{URL: closed.URL + "?token=s3cr3t"}, "outbox: webhook:"},
		{"timeout", outbox.WebhookSender{URL: slow.URL + "?token=s3cr3t", Client: &http.Client{Timeout: 50 * time.Millisecond}}, "Timeout"},
		{"bad URL", outbox.WebhookSender{URL: "http://[::1]:namedport/?token=s3cr3t"}, "invalid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sender.Send(context.Background(), outbox.Message{ID: 1, Body: json.RawMessage(`{}`)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error repeats the URL with its token: %v", err)
			}
		})
	}
}

func TestVerifyWebhook(t *testing.T) {
	now := time.Unix(1_740_000_000, 0)
	body := []byte(`{"case":"SQ2025000001"}`)
	ts := fmt.Sprint(now.Unix())
	sig := outbox.Sign(secret, ts, body)
	tests := []struct {
		name      string
		secret    []byte
		timestamp string
		signature string
		body      []byte
		tolerance time.Duration
		want      error
	}{
		{"genuine", secret, ts, sig, body, time.Minute, nil},
		{"upper-case hex", secret, ts, "sha256=" + strings.ToUpper(strings.TrimPrefix(sig, "sha256=")), body, time.Minute, nil},
		{"tampered body", secret, ts, sig, []byte(`{"case":"SQ2025000002"}`), time.Minute, outbox.ErrBadSignature},
		{"wrong secret", []byte("other"), ts, sig, body, time.Minute, outbox.ErrBadSignature},
		{"timestamp changed", secret, fmt.Sprint(now.Unix() - 1), sig, body, time.Minute, outbox.ErrBadSignature},
		{"no prefix", secret, ts, strings.TrimPrefix(sig, "sha256="), body, time.Minute, outbox.ErrBadSignature},
		{"not hex", secret, ts, "sha256=zz", body, time.Minute, outbox.ErrBadSignature},
		{"empty signature", secret, ts, "", body, time.Minute, outbox.ErrBadSignature},
		{"too old", secret, fmt.Sprint(now.Unix() - 61), outbox.Sign(secret, fmt.Sprint(now.Unix()-61), body), body, time.Minute, outbox.ErrBadTimestamp},
		{"from the future", secret, fmt.Sprint(now.Unix() + 61), outbox.Sign(secret, fmt.Sprint(now.Unix()+61), body), body, time.Minute, outbox.ErrBadTimestamp},
		{"default tolerance accepts 4 minutes", secret, fmt.Sprint(now.Unix() - 240), outbox.Sign(secret, fmt.Sprint(now.Unix()-240), body), body, 0, nil},
		{"default tolerance refuses 6 minutes", secret, fmt.Sprint(now.Unix() - 360), outbox.Sign(secret, fmt.Sprint(now.Unix()-360), body), body, 0, outbox.ErrBadTimestamp},
		{"timestamp not a number", secret, "yesterday", outbox.Sign(secret, "yesterday", body), body, time.Minute, outbox.ErrBadTimestamp},
		{"timestamp missing", secret, "", outbox.Sign(secret, "", body), body, time.Minute, outbox.ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outbox.VerifyWebhook(tt.secret, tt.timestamp, tt.signature, tt.body, now, tt.tolerance)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRetriedWithBackoffThenSent(t *testing.T) {
	rcv := &receiver{fail: []int{http.StatusServiceUnavailable, http.StatusInternalServerError}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	store := &memStore{}
	clk := &clock{t: t0}
	id := store.add(outbox.Message{Sender: "webhook", Topic: "case.approved", Body: json.RawMessage(`{}`), NextAt: t0})
	d := newDispatcher(store, clk, map[string]outbox.Sender{"webhook": outbox.WebhookSender{URL: srv.URL, Secret: secret}})
	ctx := context.Background()

	steps := []struct {
		advance      time.Duration
		sent, failed int
		attempts     int
		nextAt       time.Time
		status       string
		lastError    string
	}{
		{0, 0, 1, 1, t0.Add(2 * time.Second), outbox.StatusPending, "status 503 Service Unavailable"},
		{time.Second, 0, 0, 1, t0.Add(2 * time.Second), outbox.StatusPending, "503"}, // not due yet
		{time.Second, 0, 1, 2, t0.Add(6 * time.Second), outbox.StatusPending, "status 500 Internal Server Error"},
		{3 * time.Second, 0, 0, 2, t0.Add(6 * time.Second), outbox.StatusPending, "500"}, // not due yet
		{time.Second, 1, 0, 2, t0.Add(6 * time.Second), outbox.StatusSent, "500"},
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		sent, failed, err := d.DeliverDue(ctx)
		if err != nil || sent != st.sent || failed != st.failed {
			t.Fatalf("pass %d at +%v: DeliverDue = %d, %d, %v; want %d, %d", i+1, clk.Now().Sub(t0), sent, failed, err, st.sent, st.failed)
		}
		m := store.get(id)
		if m.Attempts != st.attempts || !m.NextAt.Equal(st.nextAt) || m.Status != st.status || !strings.Contains(m.LastError, st.lastError) {
			t.Fatalf("pass %d at +%v: attempts %d, next +%v, %s, %q; want %d, +%v, %s, %q", i+1, clk.Now().Sub(t0),
				m.Attempts, m.NextAt.Sub(t0), m.Status, m.LastError, st.attempts, st.nextAt.Sub(t0), st.status, st.lastError)
		}
	}
	if hits, bodies := rcv.count(); hits != 3 || len(bodies) != 1 {
		t.Errorf("receiver: %d requests, %d accepted; want 3 and 1", hits, len(bodies))
	}
}

func TestAlwaysFailingGoesDead(t *testing.T) {
	for _, maxAttempts := range []int{0, 3} {
		t.Run(fmt.Sprintf("MaxAttempts=%d", maxAttempts), func(t *testing.T) {
			want := maxAttempts
			if want == 0 {
				want = outbox.DefaultMaxAttempts
			}
			var calls atomic.Int32
			failing := senderFunc(func(ctx context.Context, m outbox.Message) error {
				calls.Add(1)
				return errors.New("receiver is down")
			})
			store := &memStore{}
			clk := &clock{t: t0}
			id := store.add(outbox.Message{Sender: "webhook", Topic: "t", NextAt: t0})
			d := newDispatcher(store, clk, map[string]outbox.Sender{"webhook": failing})
			d.MaxAttempts = maxAttempts

			var waits []time.Duration
			for range 20 {
				if _, _, err := d.DeliverDue(context.Background()); err != nil {
					t.Fatal(err)
				}
				m := store.get(id)
				if m.Status == outbox.StatusDead {
					break
				}
				waits = append(waits, m.NextAt.Sub(clk.Now()))
				clk.Advance(m.NextAt.Sub(clk.Now()))
			}
			m := store.get(id)
			if m.Status != outbox.StatusDead || m.Attempts != want || int(calls.Load()) != want || m.LastError != "receiver is down" {
				t.Fatalf("after %d calls: %+v; want dead after %d attempts", calls.Load(), m, want)
			}
			for i, w := range waits {
				if b := outbox.Backoff(i+1, outbox.DefaultBaseDelay, outbox.DefaultMaxDelay); w != b {
					t.Errorf("wait after attempt %d = %v, want %v", i+1, w, b)
				}
			}
			clk.Advance(24 * time.Hour)
			if sent, failed, _ := d.DeliverDue(context.Background()); sent+failed != 0 || int(calls.Load()) != want {
				t.Errorf("a dead message was tried again")
			}
		})
	}
}

func TestUnknownSenderGoesDeadAtOnce(t *testing.T) {
	store := &memStore{}
	clk := &clock{t: t0}
	id := store.add(outbox.Message{Sender: "sms", Topic: "t", NextAt: t0})
	d := newDispatcher(store, clk, map[string]outbox.Sender{"log": outbox.LogSender{Logger: quiet}})
	sent, failed, err := d.DeliverDue(context.Background())
	if err != nil || sent != 0 || failed != 1 {
		t.Fatalf("DeliverDue = %d, %d, %v", sent, failed, err)
	}
	m := store.get(id)
	if m.Status != outbox.StatusDead || m.Attempts != 0 || m.LastError != `outbox: no sender "sms" is configured` {
		t.Errorf("message: %+v", m)
	}
}

func TestPanickingSenderFailsTheMessage(t *testing.T) {
	store := &memStore{}
	clk := &clock{t: t0}
	id := store.add(outbox.Message{Sender: "bad", NextAt: t0})
	ok := store.add(outbox.Message{Sender: "log", NextAt: t0})
	d := newDispatcher(store, clk, map[string]outbox.Sender{
		"bad": senderFunc(func(context.Context, outbox.Message) error { panic("nil map") }),
		"log": outbox.LogSender{Logger: quiet},
	})
	sent, failed, err := d.DeliverDue(context.Background())
	if err != nil || sent != 1 || failed != 1 {
		t.Fatalf("DeliverDue = %d, %d, %v", sent, failed, err)
	}
	if m := store.get(id); m.Status != outbox.StatusPending || m.Attempts != 1 || !strings.Contains(m.LastError, "sender panicked: nil map") {
		t.Errorf("message: %+v", m)
	}
	if m := store.get(ok); m.Status != outbox.StatusSent {
		t.Errorf("the next message was not sent: %+v", m)
	}
}

func TestBatchAndStoreErrors(t *testing.T) {
	store := &memStore{}
	clk := &clock{t: t0}
	for range 5 {
		store.add(outbox.Message{Sender: "log", NextAt: t0})
	}
	d := newDispatcher(store, clk, map[string]outbox.Sender{"log": outbox.LogSender{Logger: quiet}})
	d.Batch = 2
	for _, want := range []int{2, 2, 1, 0} {
		if sent, _, err := d.DeliverDue(context.Background()); err != nil || sent != want {
			t.Fatalf("DeliverDue sent %d (%v), want %d", sent, err, want)
		}
	}
	store.dueErr = errors.New("database is locked")
	if _, _, err := d.DeliverDue(context.Background()); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("store error: %v", err)
	}
}

func TestShutdownDuringSendDoesNotCountAnAttempt(t *testing.T) {
	store := &memStore{}
	clk := &clock{t: t0}
	id := store.add(outbox.Message{Sender: "slow", NextAt: t0})
	ctx, cancel := context.WithCancel(context.Background())
	d := newDispatcher(store, clk, map[string]outbox.Sender{"slow": senderFunc(func(ctx context.Context, m outbox.Message) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	})})
	if _, _, err := d.DeliverDue(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if m := store.get(id); m.Status != outbox.StatusPending || m.Attempts != 0 || m.LastError != "" {
		t.Errorf("message: %+v", m)
	}
}

func TestBackoff(t *testing.T) {
	const maxDur = time.Duration(1<<63 - 1)
	tests := []struct {
		attempt   int
		base, max time.Duration
		want      time.Duration
	}{
		{1, 2 * time.Second, time.Hour, 2 * time.Second},
		{2, 2 * time.Second, time.Hour, 4 * time.Second},
		{3, 2 * time.Second, time.Hour, 8 * time.Second},
		{7, 2 * time.Second, time.Hour, 128 * time.Second},
		{11, 2 * time.Second, time.Hour, 2048 * time.Second},
		{12, 2 * time.Second, time.Hour, time.Hour}, // 4096 s capped
		{1000, 2 * time.Second, time.Hour, time.Hour},
		{0, 2 * time.Second, time.Hour, 2 * time.Second},
		{-5, 2 * time.Second, time.Hour, 2 * time.Second},
		{1, 2 * time.Hour, time.Hour, time.Hour}, // base above the cap
		{3, time.Nanosecond, 5 * time.Nanosecond, 4 * time.Nanosecond},
		{4, time.Nanosecond, 5 * time.Nanosecond, 5 * time.Nanosecond},
		{10, time.Second, 0, 512 * time.Second}, // no cap
		{200, time.Second, 0, maxDur},           // no overflow
		{200, time.Second, -1, maxDur},
		{3, 0, time.Hour, 0},
		{3, -time.Second, time.Hour, 0},
	}
	for _, tt := range tests {
		if got := outbox.Backoff(tt.attempt, tt.base, tt.max); got != tt.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tt.attempt, tt.base, tt.max, got, tt.want)
		}
	}
}

func TestLogSenderNeverLogsTheBody(t *testing.T) {
	var buf bytes.Buffer
	s := outbox.LogSender{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := outbox.Message{ID: 4711, Recipient: "applicant:42", Topic: "case.supplement_requested",
		Body: json.RawMessage(`{"id_number":"110101199003071234","phone":"13800138000"}`)}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"id":4711`, `"topic":"case.supplement_requested"`, `"recipient":"applicant:42"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %s", out, want)
		}
	}
	for _, secret := range []string{"110101199003071234", "13800138000", "id_number"} {
		if strings.Contains(out, secret) {
			t.Errorf("log %q holds the body (%s)", out, secret)
		}
	}
}

func TestRunDeliversWhenPokedAndStops(t *testing.T) {
	store := &memStore{}
	var delivered = make(chan time.Time, 1)
	d := &outbox.Dispatcher{Store: store, Logger: quiet, Senders: map[string]outbox.Sender{
		"log": senderFunc(func(context.Context, outbox.Message) error { delivered <- time.Now(); return nil }),
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	deadline := time.Now().Add(5 * time.Second)
	for store.calls() == 0 { // the first pass found nothing; Run sleeps now
		if time.Now().After(deadline) {
			t.Fatal("Run made no pass")
		}
		time.Sleep(time.Millisecond)
	}
	id := store.add(outbox.Message{Sender: "log", NextAt: time.Now()})
	poked := time.Now()
	d.Poke()
	d.Poke() // a second poke before the pass must not block
	select {
	case at := <-delivered:
		// Without the poke, the message would wait for the one-second poll.
		if lag := at.Sub(poked); lag > 700*time.Millisecond {
			t.Errorf("delivered %v after the poke", lag)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not delivered")
	}
	for store.get(id).Status != outbox.StatusSent {
		if time.Now().After(deadline) {
			t.Fatal("not marked sent")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRunWithoutStore(t *testing.T) {
	if err := (&outbox.Dispatcher{}).Run(context.Background()); err == nil {
		t.Error("Run without a store returned nil")
	}
	(&outbox.Dispatcher{}).Poke() // a zero Dispatcher can be poked
}
