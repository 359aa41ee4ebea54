package workflow

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"onedoor"
)

// maxName bounds short free-text inputs: licence numbers and names.
const maxName = 200

// cleanText checks free text typed by a person (a reason, a note, a tracking
// number): it normalises line ends to "\n" (browsers send "\r\n" from a text
// area), trims it, and refuses text that is not UTF-8, longer than limit
// characters, or holding control characters other than newline and tab.
func cleanText(field, label, s string, limit int) (string, error) {
	if !utf8.ValidString(s) {
		return "", onedoor.FieldErrorf(field, "The %s is not valid UTF-8 text.", label)
	}
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > limit {
		return "", onedoor.FieldErrorf(field, "The %s has %d characters; at most %d are allowed.", label, n, limit)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", onedoor.FieldErrorf(field, "The %s contains the control character U+%04X; only line breaks and tabs are allowed.", label, r)
	}
	return s, nil
}

func needReason(what string) error {
	return onedoor.FieldErrorf("reason", "A reason is required to %s.", what)
}

// conflict refuses an action the case's status does not allow.
func conflict(c onedoor.Case, action onedoor.Action) error {
	if c.Status.Final() {
		return onedoor.Errorf(onedoor.ECONFLICT, "Action %q is not possible: case %s is %s, which is final.", action, c.Number, c.Status)
	}
	return onedoor.Errorf(onedoor.ECONFLICT, "Action %q is not possible while case %s is %q.", action, c.Number, c.Status)
}

func forbidden(format string, args ...any) error {
	return onedoor.Errorf(onedoor.EFORBIDDEN, format, args...)
}

// stepForbidden refuses an actor who is not the role and department of a
// step: "Step 'Review' (review) is worked by an officer of civil; you are an
// officer of hrss."
func stepForbidden(s onedoor.Step, a onedoor.Actor) error {
	return forbidden("Step %s is worked by %s; %s.", stepLabel(s), roleOf(s.Role, s.Department), you(a))
}

// you describes the actor to themselves.
func you(a onedoor.Actor) string {
	if a.Role == "" {
		return "you act without a staff role"
	}
	return "you are " + roleOf(a.Role, a.Department)
}

// roleOf is "an officer of civil", "a clerk".
func roleOf(r onedoor.Role, dept string) string {
	s := string(r)
	if r == onedoor.RoleSystem {
		return "the system"
	}
	if s == "" {
		s = "staff member with no role"
	}
	art := "a "
	if strings.ContainsRune("aeiou", rune(s[0])) {
		art = "an "
	}
	if dept != "" {
		return art + s + " of " + dept
	}
	return art + s
}

// stepLabel is "'Review' (review)".
func stepLabel(s onedoor.Step) string {
	name := s.Name.En
	if name == "" {
		name = s.Name.Zh
	}
	if name == "" {
		return fmt.Sprintf("%q", s.Code)
	}
	return fmt.Sprintf("'%s' (%s)", name, s.Code)
}

// materialList names materials by code and English name: "photo (Photo),
// lease (Tenancy contract)".
func materialList(m *onedoor.Matter, codes []string) string {
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = code
		if x, ok := m.Material(code); ok {
			name := x.Name.En
			if name == "" {
				name = x.Name.Zh
			}
			if name != "" {
				parts[i] += " (" + name + ")"
			}
		}
	}
	return strings.Join(parts, ", ")
}

func channelPhrase(ch onedoor.Channel) string {
	switch ch {
	case onedoor.ChannelCounter:
		return "at the counter"
	case onedoor.ChannelPost:
		return "by post"
	case onedoor.ChannelELicence:
		return "into the e-licence registry"
	}
	return fmt.Sprintf("by %q", ch)
}

func actionList() string {
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = string(a)
	}
	return strings.Join(parts, ", ")
}

// internal reports a case or matter that breaks the package's own
// invariants: a corrupted row or a wrong definition, never user input.
func internal(format string, args ...any) error {
	return onedoor.Errorf(onedoor.EINTERNAL, "workflow: "+format, args...)
}
