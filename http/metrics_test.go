package http_test

import (
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	odhttp "onedoor/http"
)

// TestMetrics: /metrics reports the last periodic verification to local
// scrapers, and answers 404 to anyone else.
func TestMetrics(t *testing.T) {
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "onedoor.db"))
	srv := odhttp.NewServer(e.db, nil)
	get := func(remote string) (int, string) {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		b, _ := io.ReadAll(w.Result().Body)
		return w.Code, string(b)
	}
	if code, body := get("127.0.0.1:5000"); code != 200 || !strings.Contains(body, "onedoor_verify_violations NaN") {
		t.Fatalf("before any run: %d %q", code, body)
	}
	srv.SetVerifyResult(3, time.Unix(1700000000, 0))
	code, body := get("[::1]:5000")
	if code != 200 || !strings.Contains(body, "onedoor_verify_violations 3\n") || !strings.Contains(body, "onedoor_verify_last_run_timestamp_seconds 1700000000") {
		t.Fatalf("after a run with 3 violations: %d %q", code, body)
	}
	if code, body := get("192.0.2.7:5000"); code != 404 || strings.Contains(body, "violations") {
		t.Fatalf("a remote client got %d %q", code, body)
	}
}
