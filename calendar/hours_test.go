package calendar_test

import (
	"testing"
	"time"

	"onedoor/calendar"
)

// TestNextOpen walks arrivals around the working periods and across the
// Spring Festival 2026 (off 15–23 February; Saturday 14 February worked).
func TestNextOpen(t *testing.T) {
	cal := calendar.Official()
	cst := func(s string) time.Time {
		t.Helper()
		x, err := time.ParseInLocation("2006-01-02 15:04:05", s, calendar.Location)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		name, at, want string
	}{
		{"morning", "2026-02-10 10:00:00", "2026-02-10 10:00:00"},
		{"opening instant", "2026-02-10 09:00:00", "2026-02-10 09:00:00"},
		{"before opening", "2026-02-10 08:59:59", "2026-02-10 09:00:00"},
		{"early morning", "2026-02-10 00:00:00", "2026-02-10 09:00:00"},
		{"noon closes the morning", "2026-02-10 12:00:00", "2026-02-10 13:30:00"},
		{"lunch", "2026-02-10 13:29:59", "2026-02-10 13:30:00"},
		{"afternoon", "2026-02-10 13:30:00", "2026-02-10 13:30:00"},
		{"last second", "2026-02-10 17:29:59", "2026-02-10 17:29:59"},
		{"closing instant", "2026-02-10 17:30:00", "2026-02-11 09:00:00"},
		{"evening", "2026-02-10 22:15:00", "2026-02-11 09:00:00"},
		{"Friday evening before a worked Saturday (调休)", "2026-02-13 20:00:00", "2026-02-14 09:00:00"},
		{"worked Saturday", "2026-02-14 11:00:00", "2026-02-14 11:00:00"},
		{"worked Saturday evening, before the Spring Festival", "2026-02-14 18:00:00", "2026-02-24 09:00:00"},
		{"during the Spring Festival", "2026-02-17 10:00:00", "2026-02-24 09:00:00"},
		{"ordinary Sunday", "2026-03-01 10:00:00", "2026-03-02 09:00:00"},
		{"ordinary Saturday", "2026-03-07 16:00:00", "2026-03-09 09:00:00"},
	} {
		at, want := cst(tc.at), cst(tc.want)
		if got := cal.NextOpen(at); !got.Equal(want) {
			t.Errorf("%s: NextOpen(%s) = %s, want %s", tc.name, tc.at, got.In(calendar.Location), tc.want)
		}
		if got := cal.NextOpen(at.UTC()); !got.Equal(want) {
			t.Errorf("%s: NextOpen of %s given in UTC = %s, want %s", tc.name, tc.at, got.In(calendar.Location), tc.want)
		}
		if open := cal.IsOpen(at); open != at.Equal(want) {
			t.Errorf("%s: IsOpen(%s) = %v", tc.name, tc.at, open)
		}
	}
}

// TestNextOpenProperties checks, minute by minute over a year, that the
// result is never before the arrival, falls in office hours of a working
// day, and is more than a long weekend away only across a holiday.
func TestNextOpenProperties(t *testing.T) {
	cal := calendar.Official()
	start := time.Date(2025, time.January, 1, 0, 0, 0, 0, calendar.Location)
	for at := start; at.Year() == 2025; at = at.Add(37 * time.Minute) {
		got := cal.NextOpen(at)
		if got.Before(at) {
			t.Fatalf("NextOpen(%s) = %s, before the arrival", at, got)
		}
		if !cal.IsWorkday(got) {
			t.Fatalf("NextOpen(%s) = %s, not a working day", at, got)
		}
		l := got.In(calendar.Location)
		since := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second
		if (since < calendar.MorningOpen || since >= calendar.MorningClose) && (since < calendar.AfternoonOpen || since >= calendar.AfternoonClose) {
			t.Fatalf("NextOpen(%s) = %s, outside office hours", at, got)
		}
		if !got.Equal(at) && got.Sub(at) > 4*24*time.Hour && !longBreak(cal, at, got) {
			t.Fatalf("NextOpen(%s) = %s, days later without a holiday in between", at, got)
		}
	}
}

// longBreak reports whether a holiday lies between a and b.
func longBreak(cal *calendar.Calendar, a, b time.Time) bool {
	for d := a; d.Before(b); d = d.Add(24 * time.Hour) {
		if _, ok := cal.Holiday(d); ok {
			return true
		}
	}
	return false
}
