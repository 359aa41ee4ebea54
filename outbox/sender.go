package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LogSender "delivers" a message by logging that it was sent: its topic,
// recipient and ID, never its body, which may hold personal data. It is the
// sender for development and for notices nobody subscribes to yet.
type LogSender struct {
	Logger *slog.Logger // default slog.Default()
}

// Send implements Sender.
func (s LogSender) Send(ctx context.Context, m Message) error {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "outbox: message", "id", m.ID, "topic", m.Topic, "recipient", m.Recipient)
	return nil
}

// Webhook headers.
const (
	HeaderTimestamp = "X-Onedoor-Timestamp" // unix seconds when the request was signed
	HeaderSignature = "X-Onedoor-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	HeaderMessageID = "X-Onedoor-Message-Id"
	HeaderTopic     = "X-Onedoor-Topic"
)

// DefaultWebhookTimeout bounds one webhook request when the client sets no
// timeout of its own.
const DefaultWebhookTimeout = 10 * time.Second

// WebhookSender POSTs the message body as JSON to URL. The request carries
// the message ID (for deduplication: delivery is at least once), the topic,
// the signing time and an HMAC-SHA256 signature over the time and the body
// (see VerifyWebhook). Any 2xx answer means delivered; anything else,
// including a redirect, is an error naming the status.
type WebhookSender struct {
	URL    string
	Secret []byte
	Client *http.Client // default: 10 s timeout, redirects not followed
}

var defaultWebhookClient = &http.Client{
	Timeout: DefaultWebhookTimeout,
	// A redirected webhook would send a signed body somewhere else, and a
	// 301/302 turns the POST into a GET; neither is a delivery.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Send implements Sender.
func (s WebhookSender) Send(ctx context.Context, m Message) error {
	client := s.Client
	if client == nil {
		client = defaultWebhookClient
	}
	if client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWebhookTimeout)
		defer cancel()
	}
	body := []byte(m.Body)
	if len(body) == 0 {
		body = []byte("null")
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		// The URL may carry a token: do not repeat it.
		return errors.New("outbox: webhook: invalid URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Onedoor-Webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(s.Secret, ts, body))
	req.Header.Set(HeaderMessageID, strconv.FormatInt(m.ID, 10))
	req.Header.Set(HeaderTopic, m.Topic)
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // *url.Error repeats the URL
		}
		return fmt.Errorf("outbox: webhook: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("outbox: webhook: status %s", resp.Status)
	}
	return nil
}

// Sign returns the signature header value for body signed at timestamp
// (unix seconds, in decimal): "sha256=" + hex(HMAC-SHA256(secret,
// timestamp + "." + body)).
func Sign(secret []byte, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Webhook verification errors.
var (
	ErrBadSignature = errors.New("outbox: webhook signature does not match")
	ErrBadTimestamp = errors.New("outbox: webhook timestamp missing or outside tolerance")
)

// DefaultWebhookTolerance is the clock difference VerifyWebhook accepts when
// given no tolerance.
const DefaultWebhookTolerance = 5 * time.Minute

// VerifyWebhook checks a received webhook: the signature must be
// Sign(secret, timestamp, body), and the timestamp within tolerance of now,
// so that a captured request cannot be replayed later. A non-positive
// tolerance means DefaultWebhookTolerance. It returns ErrBadTimestamp or
// ErrBadSignature.
func VerifyWebhook(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrBadTimestamp
	}
	got, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return ErrBadSignature
	}
	sum, err := hex.DecodeString(got)
	if err != nil || !hmac.Equal(sum, mac(secret, timestamp, body)) {
		return ErrBadSignature
	}
	return nil
}
