// Package http serves Onedoor over HTTP: the JSON API under /api/v1 (and,
// later, the pages). Handlers never touch SQL; every change goes through
// the store's services.
package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"onedoor"
	"onedoor/sqldb"
)

// MaxBody is the largest request body accepted, in bytes.
const MaxBody = 1 << 20

// Server is the HTTP face of Onedoor.
type Server struct {
	DB      *sqldb.DB
	Log     *slog.Logger
	mux     *http.ServeMux
	track   *limiter // failed tracking lookups per client address
	trackBy *limiter // failed tracking lookups per case number
	srv     *http.Server
	ln      net.Listener
	verify  verifyState
	// analytics answers the analytics API and dashboards; nil until
	// Analytics is called.
	analytics *analyticsAPI
	open      openCache // open datasets as last answered
}

// NewServer wires the routes.
func NewServer(db *sqldb.DB, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The throttles run on the store's clock: the wall clock in service,
	// the test's clock in tests.
	s := &Server{DB: db, Log: log, mux: http.NewServeMux(),
		track: newLimiter(10, time.Minute, db.Now), trackBy: newLimiter(10, time.Minute, db.Now)}
	s.routes()
	s.mux.HandleFunc("GET /metrics", s.metrics) // operations, not part of the API
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.Log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeError(w, onedoor.Errorf(onedoor.EINTERNAL, "internal"))
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	api := !isPagePath(r.URL.Path)
	if err := checkURL(r, api); err != nil {
		if api {
			writeError(w, err)
		} else {
			setPageHeaders(w)
			s.pageError(w, r, &view{s: s, r: r, Lang: langOf(r)}, err)
		}
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Listen binds addr; Addr then reports the bound address (useful with port 0).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context) error {
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.srv.Shutdown(sctx)
}

// handler is a route whose errors are turned into responses in one place.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) wrap(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if onedoor.ErrorCode(err) == onedoor.EINTERNAL {
				s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
		}
	}
}

// statusOf maps error codes to HTTP statuses: the one table.
var statusOf = map[string]int{
	onedoor.EINVALID:      http.StatusBadRequest,
	onedoor.ENOTFOUND:     http.StatusNotFound,
	onedoor.ECONFLICT:     http.StatusConflict,
	onedoor.EUNAUTHORIZED: http.StatusUnauthorized,
	onedoor.EFORBIDDEN:    http.StatusForbidden,
	onedoor.ETOOMANY:      http.StatusTooManyRequests,
	onedoor.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	onedoor.EMETHOD:       http.StatusMethodNotAllowed,
	onedoor.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON shape of every error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	var b errorBody
	b.Error.Code = onedoor.ErrorCode(err)
	b.Error.Field = onedoor.ErrorField(err)
	b.Error.Message = onedoor.ErrorMessage(err)
	status, ok := statusOf[b.Error.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="onedoor"`)
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// hasNULEscape reports whether JSON text holds the escape \u0000: a
// backslash that is not itself escaped, then u0000 (so the text `\\u0000`,
// an escaped backslash and "u0000", is fine).
func hasNULEscape(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		at := i + j
		n := 0
		for k := at - 1; k >= 0 && body[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = at + 1
	}
}

// decode reads one JSON object into v: size-limited, valid UTF-8 without
// NUL characters (PostgreSQL refuses them in text), no unknown fields, no
// trailing data, with errors that name the field and the reason.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return onedoor.FieldErrorf("Content-Type", "The body must be JSON (Content-Type: application/json), not %q.", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		return onedoor.FieldErrorf("body", "The body is not valid UTF-8.")
	}
	if hasNULEscape(body) {
		return onedoor.FieldErrorf("body", "The body contains a NUL control character (\\u0000), which no field accepts.")
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] != '{' && json.Valid(body) {
		return onedoor.FieldErrorf("body", "The body must be a JSON object ({…}).")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return onedoor.FieldErrorf("body", "The body must hold exactly one JSON object.")
	}
	return nil
}

// isPagePath tells pages (HTML, answered with error pages) from the API
// and the operations endpoints (JSON).
func isPagePath(p string) bool {
	return !strings.HasPrefix(p, "/api/") && p != "/healthz" && p != "/metrics"
}

// checkURL refuses paths and query values that are not valid UTF-8 or hold
// NUL or other control characters, before any of them reach a query.
func checkURL(r *http.Request, api bool) error {
	bad := func(s string) bool {
		return !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0
	}
	maxValue, badValue := 200, bad
	if !api {
		// Pages' GET forms carry text areas (a rule, a question in JSON):
		// longer values, with line breaks and tabs.
		maxValue = 8 << 10
		badValue = func(s string) bool {
			return !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool {
				return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
			}) >= 0
		}
	}
	if bad(r.URL.Path) {
		return onedoor.FieldErrorf("path", "The path holds invalid UTF-8 or control characters.")
	}
	for k, vs := range r.URL.Query() {
		if bad(k) {
			return onedoor.FieldErrorf("query", "A query parameter name holds invalid UTF-8 or control characters.")
		}
		for _, v := range vs {
			if badValue(v) || len(v) > maxValue {
				return onedoor.FieldErrorf(k, "The value is longer than %d bytes or holds invalid UTF-8 or control characters.", maxValue)
			}
		}
	}
	return nil
}

// jsonKind names a Go type the way JSON does, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		e := onedoor.Errorf(onedoor.ETOOLARGE, "The body is larger than %d bytes.", big.Limit)
		e.Field = "body"
		return e
	case errors.As(err, &syn):
		return onedoor.FieldErrorf("body", "The body is not valid JSON: %s at byte %d.", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		return onedoor.FieldErrorf(typ.Field, "The field %q must be a JSON %s, not %s.", typ.Field, jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.EOF):
		return onedoor.FieldErrorf("body", "The body is empty; a JSON object is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return onedoor.FieldErrorf("body", "The body is not valid JSON: it ends too early.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return onedoor.FieldErrorf(f, "Unknown field %q.", f)
	}
	return onedoor.FieldErrorf("body", "The body is not valid JSON: %s.", err.Error())
}

// clientIP is the remote address without port (no proxy headers are
// trusted; put Onedoor behind a proxy that sets RemoteAddr properly).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
