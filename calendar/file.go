package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"onedoor"
)

// Limits on calendar files. The years bound the table WithOverrides builds
// (a few kilobytes at most); a file of a whole century's notices is under
// 300 KiB.
const (
	minYear      = 2000
	maxYear      = 2099
	maxFileBytes = 1 << 20
	maxNameBytes = 120
	maxErrors    = 10
)

// WithOverrides returns a new calendar: c with the entries of a local file
// laid over it. A local entry replaces whatever c says about its date, so a
// district can add a local holiday, make a day a working day, or carry a new
// year's notice before the binary is rebuilt. The file has the format of the
// embedded official data, one entry a line, with "#" comments and blank
// lines:
//
//	2026-02-15 holiday 春节
//	2026-02-14 workday 春节调休
//
// Dates must fall in the years 2000–2099. name labels the file in error
// messages, which give name:line and the reason for every bad line (bad
// date, unknown kind, missing name, a date listed twice). A file with any bad
// line changes nothing: WithOverrides returns the error and no calendar, and
// c itself is never changed. Years still reports the official years.
func (c *Calendar) WithOverrides(r io.Reader, name string) (*Calendar, error) {
	if r == nil {
		return nil, onedoor.Errorf(onedoor.EINVALID, "The calendar file %s could not be read: there is no content.", name)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: read %s: %w", name, err)
	}
	if len(data) > maxFileBytes {
		return nil, onedoor.Errorf(onedoor.EINVALID, "The calendar file %s is larger than %d bytes.", name, maxFileBytes)
	}
	local, err := parse(string(data), name)
	if err != nil {
		return nil, err
	}
	// Merge two sorted lists, local entries winning on equal days.
	merged := make([]entry, 0, len(c.entries)+len(local))
	i, j := 0, 0
	for i < len(c.entries) || j < len(local) {
		switch {
		case j == len(local) || i < len(c.entries) && c.entries[i].day < local[j].day:
			merged = append(merged, c.entries[i])
			i++
		case i == len(c.entries) || local[j].day < c.entries[i].day:
			merged = append(merged, local[j])
			j++
		default:
			merged = append(merged, local[j])
			i++
			j++
		}
	}
	return build(c.first, c.last, merged), nil
}

// parse reads a calendar file and returns its entries sorted by day. Its
// error, an *onedoor.Error, lists the bad lines as name:line: reason.
func parse(data, name string) ([]entry, error) {
	var (
		entries []entry
		errs    []string
		nerr    int
		seen    = map[int64]int{} // day → line
	)
	fail := func(line int, format string, args ...any) {
		nerr++
		if nerr <= maxErrors {
			errs = append(errs, fmt.Sprintf("%s:%d: %s", name, line, fmt.Sprintf(format, args...)))
		}
	}
	data = strings.TrimPrefix(data, "\uFEFF") // as Windows editors save UTF-8
	for lineno := 1; data != ""; lineno++ {
		line, rest, _ := strings.Cut(data, "\n")
		data = rest
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if !utf8.ValidString(line) {
			fail(lineno, "the line is not valid UTF-8")
			continue
		}
		t, reason := parseDate(fields[0])
		if reason != "" {
			fail(lineno, "bad date %q: %s", fields[0], reason)
			continue
		}
		if y := t.Year(); y < minYear || y > maxYear {
			fail(lineno, "date %s is outside the years %d–%d", fields[0], minYear, maxYear)
			continue
		}
		if len(fields) < 2 {
			fail(lineno, "missing kind after the date; want holiday or workday")
			continue
		}
		var work bool
		switch fields[1] {
		case "holiday":
		case "workday":
			work = true
		default:
			fail(lineno, "unknown kind %q; want holiday or workday", fields[1])
			continue
		}
		label := strings.Join(fields[2:], " ")
		switch {
		case label == "":
			fail(lineno, "missing name after %s, such as 春节 or 春节调休", fields[1])
			continue
		case len(label) > maxNameBytes:
			fail(lineno, "name is longer than %d bytes", maxNameBytes)
			continue
		case strings.IndexFunc(label, unicode.IsControl) >= 0:
			fail(lineno, "name contains a control character")
			continue
		}
		d := civilDay(t.Date())
		if first, ok := seen[d]; ok {
			fail(lineno, "duplicate date %s, already listed on line %d", fields[0], first)
			continue
		}
		seen[d] = lineno
		entries = append(entries, entry{day: d, work: work, name: label})
	}
	if nerr > 0 {
		if nerr > maxErrors {
			errs = append(errs, fmt.Sprintf("and %d more", nerr-maxErrors))
		}
		return nil, onedoor.Errorf(onedoor.EINVALID, "The calendar file %s was not applied: %s.", name, strings.Join(errs, "; "))
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.day, b.day) })
	return entries, nil
}

// ParseDate parses a date written as YYYY-MM-DD, such as 2026-02-15, and
// returns midnight of that date in Location. Its error, an *onedoor.Error
// with code invalid, names the input and the reason.
func ParseDate(s string) (time.Time, error) {
	t, reason := parseDate(s)
	if reason != "" {
		return time.Time{}, onedoor.Errorf(onedoor.EINVALID, "The date %q is not a valid date: %s.", s, reason)
	}
	return t, nil
}

// parseDate is ParseDate with the reason for a bad input, "" for a good one.
func parseDate(s string) (time.Time, string) {
	t, err := time.ParseInLocation(time.DateOnly, s, Location)
	if err == nil {
		return t, ""
	}
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.Message != "" && !strings.HasPrefix(pe.Message, ": extra text") {
		return time.Time{}, strings.TrimPrefix(pe.Message, ": ") // "month out of range"
	}
	return time.Time{}, "it is not of the form YYYY-MM-DD, such as 2026-02-15"
}
