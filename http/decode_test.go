package http

import "testing"

// TestHasNULEscape: the NUL guard refuses the JSON escape \u0000 however
// many escaped backslashes come before it, and lets through text that
// only looks like it: an escaped backslash followed by u0000.
func TestHasNULEscape(t *testing.T) {
	for body, want := range map[string]bool{
		`{"a":"\u0000"}`:          true,
		`{"a":"x\\\u0000"}`:       true, // an escaped backslash, then the escape
		`{"a\u0000":1}`:           true,
		`{"a":"\\u0000"}`:         false, // the text \u0000
		`{"a":"\\\\u0000"}`:       false, // two backslashes, then u0000
		`{"a":"u0000"}`:           false,
		`{"a":"\u00001"}`:         true,
		`{"a":"ok","b":"\u0001"}`: false,
		``:                        false,
	} {
		if got := hasNULEscape([]byte(body)); got != want {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
}
