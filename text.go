package onedoor

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxText is the longest free text (reasons, notes, commitments) accepted, in characters.
const MaxText = 2000

// CleanText checks free text typed by a person: it trims it and refuses text
// that is too long, not UTF-8, or carries control characters other than
// newline and tab. Markup is not refused here; pages escape it.
func CleanText(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", FieldErrorf(field, "The text is not valid UTF-8.")
	}
	if n := utf8.RuneCountInString(s); n > MaxText {
		return "", FieldErrorf(field, "The text has %d characters; at most %d are allowed.", n, MaxText)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) >= 0 {
		return "", FieldErrorf(field, "The text contains control characters.")
	}
	return s, nil
}
