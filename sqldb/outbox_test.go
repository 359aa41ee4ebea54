package sqldb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor"
	"onedoor/outbox"
)

// webhookReceiver is an httptest server that checks every request's HMAC
// signature and records what it accepted.
type webhookReceiver struct {
	*httptest.Server
	secret []byte

	mu       sync.Mutex
	failing  bool             // answer 503 to everything
	received map[int64][]byte // accepted bodies by message ID
	topics   map[int64]string // ditto, topics
	bad      []string         // requests refused for their signature
	attempts map[int64]int    // requests per message ID, accepted or not
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	r := &webhookReceiver{secret: []byte("test-webhook-secret"), received: map[int64][]byte{},
		topics: map[int64]string{}, attempts: map[int64]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *webhookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, _ := strconv.ParseInt(req.Header.Get(outbox.HeaderMessageID), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[id]++
	if err := outbox.VerifyWebhook(r.secret, req.Header.Get(outbox.HeaderTimestamp), req.Header.Get(outbox.HeaderSignature), body, time.Now(), 0); err != nil {
		r.bad = append(r.bad, fmt.Sprintf("message %d: %v", id, err))
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.failing {
		http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
		return
	}
	r.received[id] = body
	r.topics[id] = req.Header.Get(outbox.HeaderTopic)
	w.WriteHeader(http.StatusNoContent)
}

func (r *webhookReceiver) setFailing(f bool) {
	r.mu.Lock()
	r.failing = f
	r.mu.Unlock()
}

func (r *webhookReceiver) snapshot() (received map[int64][]byte, attempts map[int64]int, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	received, attempts = map[int64][]byte{}, map[int64]int{}
	for k, v := range r.received {
		received[k] = v
	}
	for k, v := range r.attempts {
		attempts[k] = v
	}
	return received, attempts, append([]string(nil), r.bad...)
}

// dispatcher is the real outbox dispatcher over the store, delivering every
// message through the receiver's webhook. Its clock starts an hour ahead
// of the store's and moves a minute at every reading, and retries wait at
// most a minute, so a failed message is due again at the next pass.
func dispatcher(e *env, r *webhookReceiver, maxAttempts int) *outbox.Dispatcher {
	wh := outbox.WebhookSender{URL: r.URL, Secret: r.secret, Client: &http.Client{Timeout: 5 * time.Second}}
	var mu sync.Mutex
	now := e.clock.Now().Add(time.Hour)
	return &outbox.Dispatcher{
		Store:       e.db.Outbox(),
		Senders:     map[string]outbox.Sender{"log": wh, "webhook": wh},
		MaxAttempts: maxAttempts,
		BaseDelay:   time.Second,
		MaxDelay:    time.Minute,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Minute)
			return now
		},
		Batch: 10,
	}
}

func outboxMessages(t *testing.T, e *env, status string) []outbox.Message {
	t.Helper()
	ms, err := e.db.Outbox().Messages(context.Background(), status, 500)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// outboxApplicant is a synthetic resident with a phone of their own, so
// that a body leaking it can be told apart.
func outboxApplicant(name, birth string, seq int) onedoor.Applicant {
	a := person(name, birth, seq)
	a.Phone = fmt.Sprintf("139%08d", 10000000+seq*7919)
	return a
}

var (
	digitRun = regexp.MustCompile(`[0-9]+[0-9Xx]?`)
	phoneRe  = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
)

// personalData returns what in body looks like an ID number (18 characters
// that parse as one) or a mobile phone number (11 digits), besides the
// given applicants' own numbers anywhere in it.
func personalData(body string, applicants []onedoor.Applicant) []string {
	var found []string
	for _, a := range applicants {
		if strings.Contains(body, a.IDNumber) || strings.Contains(body, a.IDNumber[:17]) {
			found = append(found, "ID number "+a.IDNumber)
		}
		if a.Phone != "" && strings.Contains(body, a.Phone) {
			found = append(found, "phone "+a.Phone)
		}
	}
	for _, run := range digitRun.FindAllString(body, -1) {
		if len(run) == 18 {
			if _, err := onedoor.ParseIDNumber("x", run); err == nil {
				found = append(found, "an ID number "+run)
			}
		}
		if phoneRe.MatchString(run) {
			found = append(found, "a phone number "+run)
		}
	}
	return found
}

// TestOutboxWrittenWithChange: an intake writes its notification in the
// same transaction; a refused intake writes none; a bundle intake writes
// one per case.
func TestOutboxWrittenWithChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if ms := outboxMessages(t, e, ""); len(ms) != 0 {
			t.Fatalf("a fresh store has %d outbox messages", len(ms))
		}
		a := outboxApplicant("周敏", "19850707", 11)
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: allMaterials(e, "MED-002"), Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		ms := outboxMessages(t, e, "")
		if len(ms) != 1 {
			t.Fatalf("intake wrote %d outbox messages, want 1", len(ms))
		}
		m := ms[0]
		p, err := e.db.FindPersonByIDNumber(ctx, a.IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != outbox.StatusPending || m.Topic != "case.intake" || m.Recipient != fmt.Sprintf("natural:%d", p.ID) || m.Attempts != 0 {
			t.Fatalf("message = %+v; want pending case.intake for natural:%d", m, p.ID)
		}
		var body map[string]any
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if body["case"] != rc.Cases[0].Number || body["status"] != string(rc.Cases[0].Status) {
			t.Fatalf("body = %s; want case %s status %s", m.Body, rc.Cases[0].Number, rc.Cases[0].Status)
		}

		// Refused: ineligible (inside the transaction, after the person was
		// registered) and invalid (before it).
		young := outboxApplicant("王小明", "20000101", 12)
		_, err = e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "HRSS-001", Applicant: young, Actor: clerk})
		wantCode(t, err, onedoor.EINVALID, "condition")
		_, err = e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: []string{"no_such_material"}, Actor: clerk})
		wantCode(t, err, onedoor.EINVALID, "material")
		if ms := outboxMessages(t, e, ""); len(ms) != 1 {
			t.Fatalf("refused intakes left %d outbox messages; want only the first one", len(ms))
		}

		// An action writes its own message with the case change.
		if _, err := e.db.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
			t.Fatal(err)
		}
		// A refused action (wrong department) writes none.
		_, err = e.db.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionComplete, Actor: officer("civil")})
		if err == nil {
			t.Fatal("an officer of another department completed the case")
		}
		ms = outboxMessages(t, e, "")
		if len(ms) != 2 || ms[0].Topic != "case.approve" {
			t.Fatalf("after approve and a refused complete: %d messages, newest %q; want 2, case.approve", len(ms), ms[0].Topic)
		}
	})
}

// TestOutboxDelivery: the real dispatcher delivers the store's messages to
// a webhook that checks their signatures; a receiver that keeps failing
// makes a message dead after MaxAttempts, with the error kept; a manual
// resend delivers it once the receiver is back. No body carries an ID
// number or a phone number.
func TestOutboxDelivery(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		r := newWebhookReceiver(t)
		var applicants []onedoor.Applicant
		var numbers []string
		for i := range 5 {
			a := outboxApplicant(fmt.Sprintf("测试居民%d", i), "19700101", 20+i)
			applicants = append(applicants, a)
			rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: a, Materials: allMaterials(e, "MED-002"), Actor: clerk})
			if err != nil {
				t.Fatal(err)
			}
			numbers = append(numbers, rc.Cases[0].Number)
		}
		for _, n := range numbers[:2] {
			if _, err := e.db.Act(ctx, n, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
				t.Fatal(err)
			}
		}
		pending := outboxMessages(t, e, outbox.StatusPending)
		if len(pending) != 7 {
			t.Fatalf("%d pending messages, want 7", len(pending))
		}

		// Run the dispatcher as the server does and wait for it.
		d := dispatcher(e, r, 3)
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(runCtx) }()
		d.Poke()
		deadline := time.Now().Add(10 * time.Second)
		for len(outboxMessages(t, e, outbox.StatusSent)) < 7 {
			if time.Now().After(deadline) {
				t.Fatalf("not delivered in time: %d sent", len(outboxMessages(t, e, outbox.StatusSent)))
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		received, attempts, bad := r.snapshot()
		if len(bad) > 0 {
			t.Fatalf("requests with bad signatures: %v", bad)
		}
		for _, m := range outboxMessages(t, e, "") {
			if m.Status != outbox.StatusSent {
				t.Errorf("message %d is %s", m.ID, m.Status)
			}
			body, ok := received[m.ID]
			if !ok {
				t.Errorf("message %d is marked sent but the receiver has no request for it", m.ID)
				continue
			}
			if string(body) != string(m.Body) {
				t.Errorf("message %d: received %s, stored %s", m.ID, body, m.Body)
			}
			if attempts[m.ID] != 1 {
				t.Errorf("message %d was posted %d times, want once", m.ID, attempts[m.ID])
			}
			r.mu.Lock()
			topic := r.topics[m.ID]
			r.mu.Unlock()
			if topic != m.Topic {
				t.Errorf("message %d arrived with topic %q, stored %q", m.ID, topic, m.Topic)
			}
		}

		// The receiver goes down: a new message fails MaxAttempts times and
		// is dead with the error kept.
		r.setFailing(true)
		if _, err := e.db.Act(ctx, numbers[2], onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
			t.Fatal(err)
		}
		due := outboxMessages(t, e, outbox.StatusPending)
		if len(due) != 1 {
			t.Fatalf("%d pending messages, want the new one", len(due))
		}
		id := due[0].ID
		for pass := 1; pass <= 3; pass++ {
			sent, failed, err := d.DeliverDue(ctx)
			if err != nil || sent != 0 || failed != 1 {
				t.Fatalf("pass %d: sent %d failed %d err %v; want one failure", pass, sent, failed, err)
			}
			m := findMessage(t, e, id)
			wantStatus := outbox.StatusPending
			if pass == 3 {
				wantStatus = outbox.StatusDead
			}
			if m.Status != wantStatus || m.Attempts != pass || !strings.Contains(m.LastError, "503") {
				t.Fatalf("after pass %d: status %s attempts %d last error %q; want %s, %d, a 503", pass, m.Status, m.Attempts, m.LastError, wantStatus, pass)
			}
		}
		if sent, failed, err := d.DeliverDue(ctx); sent+failed != 0 || err != nil {
			t.Fatalf("a dead message was tried again: sent %d failed %d err %v", sent, failed, err)
		}
		if dead := outboxMessages(t, e, outbox.StatusDead); len(dead) != 1 || dead[0].ID != id {
			t.Fatalf("dead letters = %+v; want message %d", dead, id)
		}

		// A pending or unknown message cannot be resent.
		wantCode(t, e.db.Outbox().Resend(ctx, id+1000), onedoor.ENOTFOUND, "")

		// Resend while still down: it gets the full round of attempts again.
		if err := e.db.Outbox().Resend(ctx, id); err != nil {
			t.Fatal(err)
		}
		if m := findMessage(t, e, id); m.Status != outbox.StatusPending || m.Attempts != 0 {
			t.Fatalf("after resend: status %s attempts %d; want pending, 0", m.Status, m.Attempts)
		}
		// A pending message needs no resend: refused as a conflict, not silently repeated.
		wantCode(t, e.db.Outbox().Resend(ctx, id), onedoor.ECONFLICT, "pending")
		if _, _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		if m := findMessage(t, e, id); m.Status != outbox.StatusPending || m.Attempts != 1 {
			t.Fatalf("resent message failing once more: status %s attempts %d; want pending, 1", m.Status, m.Attempts)
		}

		// The receiver recovers: the next pass delivers it.
		r.setFailing(false)
		sent, failed, err := d.DeliverDue(ctx)
		if err != nil || sent != 1 || failed != 0 {
			t.Fatalf("after recovery: sent %d failed %d err %v; want one sent", sent, failed, err)
		}
		m := findMessage(t, e, id)
		if m.Status != outbox.StatusSent || m.LastError != "" {
			t.Fatalf("after recovery: %+v; want sent without error", m)
		}
		received, attempts, bad = r.snapshot()
		if string(received[id]) != string(m.Body) || attempts[id] != 5 || len(bad) > 0 {
			t.Fatalf("receiver: body %s, %d requests, bad %v; want the body after 5 requests", received[id], attempts[id], bad)
		}

		// No message body carries personal data.
		all := outboxMessages(t, e, "")
		if len(all) != 8 {
			t.Fatalf("%d messages in all, want 8", len(all))
		}
		for _, m := range all {
			if leaks := personalData(string(m.Body), applicants); len(leaks) > 0 {
				t.Errorf("message %d (%s) body %s carries %v", m.ID, m.Topic, m.Body, leaks)
			}
			if leaks := personalData(m.Recipient+" "+m.Topic, applicants); len(leaks) > 0 {
				t.Errorf("message %d names %v in its recipient or topic", m.ID, leaks)
			}
		}
	})
}

// TestOutboxPersonalDataDetector makes sure the check above can fail.
func TestOutboxPersonalDataDetector(t *testing.T) {
	a := outboxApplicant("测试", "19700101", 1)
	for _, body := range []string{
		`{"id":"` + a.IDNumber + `"}`,
		`{"phone":"` + a.Phone + `"}`,
		`{"other":"` + idNumber("440104", "19991231", 7) + `"}`,
		`{"other":"13712345678"}`,
	} {
		if len(personalData(body, []onedoor.Applicant{a})) == 0 {
			t.Errorf("personal data in %s not found", body)
		}
	}
	if got := personalData(`{"case":"440604260302000001","due":"2026-03-09"}`, []onedoor.Applicant{a}); len(got) != 0 {
		t.Errorf("a case number was taken for personal data: %v", got)
	}
}

func findMessage(t *testing.T, e *env, id int64) outbox.Message {
	t.Helper()
	for _, m := range outboxMessages(t, e, "") {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no message %d", id)
	return outbox.Message{}
}
