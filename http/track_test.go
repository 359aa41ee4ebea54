package http_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTrackThrottleResets: after ten failed lookups within a minute, from
// one address or for one case number, tracking answers 429 even to the
// right code; a second before the oldest failure is a minute old it still
// does, and once it is a minute old it answers again. The throttle runs on
// the store's clock, which the test moves.
func TestTrackThrottleResets(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "onedoor.db"))
	var a, b receipt
	e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(idNumber("440604", "19800101", 5), "刘洋")}), 201).decodeInto(t, &a)
	e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(idNumber("440604", "19810202", 6), "周敏")}), 201).decodeInto(t, &b)
	track := func(addr, number, code string) *response {
		return e.do(t, request{Method: "POST", Path: "/api/v1/track", Body: mustJSON(map[string]any{"number": number, "code": code}), Address: addr})
	}
	retryAfter := func(r *response) int {
		t.Helper()
		s, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if r.Status != 429 || err != nil || s < 1 || s > 60 {
			t.Fatalf("want 429 with Retry-After of 1 to 60 seconds: %s (Retry-After %q)", r, r.Header.Get("Retry-After"))
		}
		return s
	}

	// One address guessing at many numbers.
	const guesser = "127.0.5.1"
	for i := range 10 {
		if r := track(guesser, fmt.Sprintf("4406042603025%05d", i), "AAAAAAAA"); r.Status != 404 {
			t.Fatalf("failure %d: %s", i+1, r)
		}
	}
	waitAddr := retryAfter(track(guesser, a.Cases[0].Number, a.Code))
	// Many addresses guessing at one number.
	for i := range 10 {
		if r := track(fmt.Sprintf("127.0.6.%d", i+1), b.Cases[0].Number, "AAAAAAAA"); r.Status != 404 {
			t.Fatalf("failure %d: %s", i+1, r)
		}
	}
	waitNumber := retryAfter(track("127.0.6.200", b.Cases[0].Number, b.Code))
	if waitAddr < 55 || waitNumber < 55 {
		t.Fatalf("Retry-After %d and %d seconds just after the tenth failure; want about 60", waitAddr, waitNumber)
	}
	// Other addresses and numbers are not held up meanwhile.
	if r := track("127.0.5.2", a.Cases[0].Number, a.Code); r.Status != 200 {
		t.Fatalf("another address: %s", r)
	}

	e.clock.Add(59 * time.Second)
	if r := track(guesser, a.Cases[0].Number, a.Code); r.Status != 429 {
		t.Fatalf("the address is free a second before the window ends: %s", r)
	}
	e.clock.Add(time.Second)
	if r := track(guesser, a.Cases[0].Number, a.Code); r.Status != 200 {
		t.Fatalf("the address is still throttled after the window: %s", r)
	}
	if r := track("127.0.6.201", b.Cases[0].Number, b.Code); r.Status != 200 {
		t.Fatalf("the case number is still throttled after the window: %s", r)
	}
}

// TestTrackNumberKey: the tracking throttle counts a case number as it is
// looked up, trimmed of surrounding white space, so that " N", "N\t" and
// "N" share one budget of ten failures; a number longer than 40
// characters, which no case has, is the same 404 as an unknown one and
// counts against the address only, never as a number of its own.
func TestTrackNumberKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		var a receipt
		e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(idNumber("440604", "19800101", 5), "刘洋")}), 201).decodeInto(t, &a)
		number, code := a.Cases[0].Number, a.Code
		next := 0
		track := func(addr, number, code string) *response {
			t.Helper()
			if addr == "" { // a fresh address
				next++
				addr = fmt.Sprintf("127.0.7.%d", next)
			}
			return e.do(t, request{Method: "POST", Path: "/api/v1/track", Body: mustJSON(map[string]any{"number": number, "code": code}), Address: addr})
		}
		var notFound string
		want404 := func(r *response, what string) {
			t.Helper()
			var ae apiError
			if r.Status != 404 || json.Unmarshal(r.Body, &ae) != nil || ae.Error == nil {
				t.Fatalf("%s: %s; want 404", what, r)
			}
			if notFound == "" {
				notFound = ae.Error.Message
			} else if ae.Error.Message != notFound {
				t.Fatalf("%s: %q; want the one not-found message %q", what, ae.Error.Message, notFound)
			}
		}
		want429 := func(r *response, what, frag string) {
			t.Helper()
			if r.Status != 429 || !strings.Contains(string(r.Body), frag) || r.Header.Get("Retry-After") == "" {
				t.Fatalf("%s: %s; want 429 for %s with Retry-After", what, r, frag)
			}
		}

		// The right code finds the case however the number is padded.
		for _, n := range []string{" " + number, number + "\t", "\n" + number + " ", "\u3000" + number} {
			if r := track("", n, code); r.Status != 200 {
				t.Fatalf("tracking %q: %s", n, r)
			}
		}

		// Ten wrong codes for the case, each with the number padded in
		// another way and from another address: the case number is then
		// throttled, even to the right code and the plain number.
		variants := []string{number, " " + number, number + " ", "\t" + number, number + "\n", "\u3000" + number + "\u3000", "  " + number, number + "\r\n", "\u00a0" + number, " \t" + number + "\t "}
		for i, n := range variants {
			want404(track("", n, "AAAAAAAA"), fmt.Sprintf("failure %d (%q)", i+1, n))
		}
		want429(track("", number, code), "the right code after ten failures for the number", "this case number")
		want429(track("", " "+number+" ", code), "a padded number after ten failures for the number", "this case number")

		// 40 characters is still a number that can be counted: ten failures
		// from ten addresses throttle it.
		forty := strings.Repeat("4", 40)
		for i := range 10 {
			want404(track("", forty, "AAAAAAAA"), fmt.Sprintf("40 characters, failure %d", i+1))
		}
		want429(track("", forty, "AAAAAAAA"), "40 characters after ten failures", "this case number")

		// 41 characters (after trimming) is not: any number of failures
		// from many addresses is still the plain 404…
		long := strings.Repeat("5", 41)
		for i := range 12 {
			want404(track("", " "+long+" ", "AAAAAAAA"), fmt.Sprintf("41 characters, failure %d", i+1))
		}
		// …but ten of them from one address throttle the address.
		const guesser = "127.0.8.1"
		for i := range 10 {
			want404(track(guesser, long+strings.Repeat("5", i), "AAAAAAAA"), fmt.Sprintf("overlong number from one address, failure %d", i+1))
		}
		var b receipt
		e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(idNumber("440604", "19810202", 6), "周敏")}), 201).decodeInto(t, &b)
		want429(track(guesser, b.Cases[0].Number, b.Code), "the right code from the address after ten overlong numbers", "this address")
		if r := track("", b.Cases[0].Number, b.Code); r.Status != 200 {
			t.Fatalf("another address tracking the same case: %s", r)
		}
	})
}
