package http

import (
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"onedoor"
)

// verifyState is the outcome of the last periodic verification.
type verifyState struct {
	violations atomic.Int64
	at         atomic.Int64 // unix seconds of the last run; 0: none yet
}

// SetVerifyResult records the outcome of a periodic `verify` run for /metrics.
func (s *Server) SetVerifyResult(violations int, at time.Time) {
	s.verify.violations.Store(int64(violations))
	s.verify.at.Store(at.Unix())
}

// metrics serves Prometheus text to local scrapers only: the count of
// violations the last periodic verification found (zero errors, proven).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		writeError(w, onedoor.Errorf(onedoor.ENOTFOUND, "No route %s %s.", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintln(w, "# HELP onedoor_verify_violations Invariant violations found by the last periodic verification.")
	fmt.Fprintln(w, "# TYPE onedoor_verify_violations gauge")
	if s.verify.at.Load() == 0 {
		fmt.Fprintln(w, "onedoor_verify_violations NaN")
	} else {
		fmt.Fprintf(w, "onedoor_verify_violations %d\n", s.verify.violations.Load())
	}
	fmt.Fprintln(w, "# HELP onedoor_verify_last_run_timestamp_seconds When the last periodic verification finished.")
	fmt.Fprintln(w, "# TYPE onedoor_verify_last_run_timestamp_seconds gauge")
	fmt.Fprintf(w, "onedoor_verify_last_run_timestamp_seconds %d\n", s.verify.at.Load())
}
