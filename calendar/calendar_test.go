package calendar_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"onedoor"
	"onedoor/calendar"
)

// date parses a literal test date; test tables are written by hand.
func date(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// span returns the dates from a through b, inclusive, counted with the
// standard library rather than the code under test.
func span(t testing.TB, a, b string) []string {
	t.Helper()
	from, err := time.Parse(time.DateOnly, a)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.Parse(time.DateOnly, b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func TestLocation(t *testing.T) {
	if got := calendar.Location.String(); got != "Asia/Shanghai" {
		t.Errorf("Location = %q, want Asia/Shanghai (is time/tzdata imported?)", got)
	}
	if first, last := calendar.Official().Years(); first != 2024 || last != 2027 {
		t.Errorf("Years() = %d, %d; want 2024, 2027", first, last)
	}
	if a, b := calendar.Official(), calendar.Official(); a != b {
		t.Error("Official() built the calendar twice")
	}
}

// TestOfficialNotices checks every block of every notice: each day off is not
// a working day and carries the holiday's name, each adjusted Saturday or
// Sunday is a working day, and the first day after the block is one again.
func TestOfficialNotices(t *testing.T) {
	tests := []struct {
		name     string
		from, to string   // the days off, inclusive
		workdays []string // adjusted working weekend days (调休上班)
		after    string   // first working day after the block
	}{
		// 2024: notice of 2023-10-25.
		{"元旦", "2024-01-01", "2024-01-01", nil, "2024-01-02"},
		{"春节", "2024-02-10", "2024-02-17", []string{"2024-02-04", "2024-02-18"}, "2024-02-18"},
		{"清明节", "2024-04-04", "2024-04-06", []string{"2024-04-07"}, "2024-04-07"},
		{"劳动节", "2024-05-01", "2024-05-05", []string{"2024-04-28", "2024-05-11"}, "2024-05-06"},
		{"端午节", "2024-06-08", "2024-06-10", nil, "2024-06-11"},
		{"中秋节", "2024-09-15", "2024-09-17", []string{"2024-09-14"}, "2024-09-18"},
		{"国庆节", "2024-10-01", "2024-10-07", []string{"2024-09-29", "2024-10-12"}, "2024-10-08"},
		// 2025: notice of 2024-11-12, first year of 4-day Spring Festival
		// and 2-day Labour Day.
		{"元旦", "2025-01-01", "2025-01-01", nil, "2025-01-02"},
		{"春节", "2025-01-28", "2025-02-04", []string{"2025-01-26", "2025-02-08"}, "2025-02-05"},
		{"清明节", "2025-04-04", "2025-04-06", nil, "2025-04-07"},
		{"劳动节", "2025-05-01", "2025-05-05", []string{"2025-04-27"}, "2025-05-06"},
		{"端午节", "2025-05-31", "2025-06-02", nil, "2025-06-03"},
		{"国庆节、中秋节", "2025-10-01", "2025-10-08", []string{"2025-09-28", "2025-10-11"}, "2025-10-09"},
		// 2026: notice of 2025-11-04.
		{"元旦", "2026-01-01", "2026-01-03", []string{"2026-01-04"}, "2026-01-04"},
		{"春节", "2026-02-15", "2026-02-23", []string{"2026-02-14", "2026-02-28"}, "2026-02-24"},
		{"清明节", "2026-04-04", "2026-04-06", nil, "2026-04-07"},
		{"劳动节", "2026-05-01", "2026-05-05", []string{"2026-05-09"}, "2026-05-06"},
		{"端午节", "2026-06-19", "2026-06-21", nil, "2026-06-22"},
		{"中秋节", "2026-09-25", "2026-09-27", nil, "2026-09-28"},
		{"国庆节", "2026-10-01", "2026-10-07", []string{"2026-09-20", "2026-10-10"}, "2026-10-08"},
		// 2027: as published in lunar-go v1.4.7 (see official.txt).
		{"元旦", "2027-01-01", "2027-01-03", nil, "2027-01-04"},
		{"春节", "2027-02-05", "2027-02-13", []string{"2027-01-31", "2027-02-14"}, "2027-02-14"},
		{"清明节", "2027-04-03", "2027-04-05", nil, "2027-04-06"},
		{"劳动节", "2027-05-01", "2027-05-05", []string{"2027-05-08"}, "2027-05-06"},
		{"端午节", "2027-06-09", "2027-06-09", nil, "2027-06-10"},
		{"中秋节", "2027-09-15", "2027-09-15", nil, "2027-09-16"},
		{"国庆节", "2027-10-01", "2027-10-07", []string{"2027-09-26", "2027-10-09"}, "2027-10-08"},
	}
	c := calendar.Official()
	for _, tt := range tests {
		t.Run(tt.from[:4]+"/"+tt.name, func(t *testing.T) {
			for _, s := range span(t, tt.from, tt.to) {
				d := date(t, s)
				if c.IsWorkday(d) {
					t.Errorf("%s (%s) is a working day, want a day off", s, d.Weekday())
				}
				if name, ok := c.Holiday(d); !ok || name != tt.name {
					t.Errorf("Holiday(%s) = %q, %v; want %q, true", s, name, ok, tt.name)
				}
			}
			for _, s := range tt.workdays {
				d := date(t, s)
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					t.Errorf("test table: adjusted working day %s is a %s", s, wd)
				}
				if !c.IsWorkday(d) {
					t.Errorf("adjusted working day %s (%s) is not a working day", s, d.Weekday())
				}
				if name, ok := c.Holiday(d); ok {
					t.Errorf("Holiday(%s) = %q, true; want no holiday on an adjusted working day", s, name)
				}
			}
			if got := c.AddWorkdays(date(t, tt.to), 0); !got.Equal(date(t, tt.after)) {
				t.Errorf("first working day from %s = %s, want %s", tt.to, got.Format(time.DateOnly), tt.after)
			}
		})
	}
}

func TestWeeklyRule(t *testing.T) {
	c := calendar.Official()
	tests := []struct {
		date string
		want bool
	}{
		{"2026-03-06", true},  // Friday
		{"2026-03-07", false}, // Saturday
		{"2026-03-08", false}, // Sunday
		{"2026-03-09", true},  // Monday
		// Outside the covered years only the weekly rule applies.
		{"2023-12-29", true},  // Friday
		{"2023-12-30", false}, // Saturday
		{"2028-01-03", true},  // Monday
		{"2028-01-01", false}, // Saturday
		{"1999-12-31", true},  // Friday
		{"2150-06-01", true},  // Monday
		{"2150-06-06", false}, // Saturday
	}
	for _, tt := range tests {
		d := date(t, tt.date)
		if got := c.IsWorkday(d); got != tt.want {
			t.Errorf("IsWorkday(%s, a %s) = %v, want %v", tt.date, d.Weekday(), got, tt.want)
		}
	}
}

// TestAddWorkdays uses due dates counted by hand from the notices.
func TestAddWorkdays(t *testing.T) {
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		// National Day: accepted the Friday before, limit 5 working days.
		{"2024 National Day", "2024-09-27", 5, "2024-10-10"},                    // 9-29 Sun, 9-30, 10-08, 10-09, 10-10
		{"2025 National Day", "2025-09-26", 5, "2025-10-10"},                    // 9-28 Sun, 9-29, 9-30, 10-09, 10-10
		{"2025 National Day adjusted Saturday", "2025-10-09", 2, "2025-10-11"},  // 10-10, 10-11 Sat
		{"2026 National Day from Mid-Autumn", "2026-09-25", 5, "2026-10-09"},    // 9-28, 9-29, 9-30, 10-08, 10-09
		{"2026 National Day from Friday before", "2026-09-18", 5, "2026-09-24"}, // 9-20 Sun, 9-21 … 9-24
		{"2026 National Day adjusted Saturday", "2026-09-30", 3, "2026-10-10"},  // 10-08, 10-09, 10-10 Sat
		{"2027 National Day", "2027-09-24", 5, "2027-09-30"},                    // 9-26 Sun, 9-27 … 9-30
		{"2027 National Day across", "2027-09-30", 2, "2027-10-09"},             // 10-08, 10-09 Sat
		// Spring Festival.
		{"2024 Spring Festival", "2024-02-08", 5, "2024-02-21"}, // 2-09, 2-18 Sun, 2-19, 2-20, 2-21
		{"2024 Spring Festival adjusted Sunday", "2024-02-02", 1, "2024-02-04"},
		{"2025 Spring Festival", "2025-01-24", 5, "2025-02-07"}, // 1-26 Sun, 1-27, 2-05, 2-06, 2-07
		{"2025 Spring Festival adjusted Saturday", "2025-01-24", 6, "2025-02-08"},
		{"2026 Spring Festival", "2026-02-13", 5, "2026-02-27"}, // 2-14 Sat, 2-24, 2-25, 2-26, 2-27
		{"2026 Spring Festival adjusted Saturday", "2026-02-13", 6, "2026-02-28"},
		{"2027 Spring Festival", "2027-01-29", 5, "2027-02-04"},        // 1-31 Sun, 2-01 … 2-04
		{"2027 Spring Festival across", "2027-02-04", 2, "2027-02-15"}, // 2-14 Sun, 2-15
		// Labour Day 2026: the adjusted Saturday comes after the block.
		{"2026 Labour Day", "2026-04-30", 3, "2026-05-08"}, // 5-06, 5-07, 5-08
		{"2026 Labour Day adjusted Saturday", "2026-04-30", 4, "2026-05-09"},
		// n == 0: the date itself if a working day, else the next one.
		{"zero on a working day", "2026-02-13", 0, "2026-02-13"},
		{"zero on an adjusted Saturday", "2026-02-14", 0, "2026-02-14"},
		{"zero on a holiday", "2026-02-15", 0, "2026-02-24"},
		{"zero on a weekend", "2026-03-07", 0, "2026-03-09"},
		// n < 0: counted backwards.
		{"back over National Day", "2024-10-08", -1, "2024-09-30"},
		{"back to an adjusted Sunday", "2024-10-08", -2, "2024-09-29"},
		{"back over a weekend", "2024-10-08", -3, "2024-09-27"},
		{"back over Spring Festival", "2026-02-24", -1, "2026-02-14"},
		{"back from a holiday", "2026-02-15", -2, "2026-02-13"},
		// A promised limit of 15 working days, a common one.
		// 2-10…2-13 (4), 2-14 Sat (5), 2-24…2-27 (9), 2-28 Sat (10), 3-02…3-06 (15).
		{"15 days over Spring Festival 2026", "2026-02-09", 15, "2026-03-06"},
		// Across the edges of the covered years.
		{"into the table", "2023-12-29", 1, "2024-01-02"},
		{"out of the table", "2027-12-31", 1, "2028-01-03"},
		{"after the table", "2028-01-03", 5, "2028-01-10"},
		{"back out of the table", "2024-01-02", -1, "2023-12-29"},
		{"back into the table", "2028-01-03", -1, "2027-12-31"},
		{"far before the table", "2020-01-06", 5, "2020-01-13"},
		// 251 + 248 + 248 + 248 working days in 2024–2027, and 2028-01-03.
		{"from before to after the table", "2023-12-29", 996, "2028-01-03"},
		{"back from after to before the table", "2028-01-03", -996, "2023-12-29"},
	}
	c := calendar.Official()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkdays(date(t, tt.from), tt.n)
			if !got.Equal(date(t, tt.want)) || got.Location() != calendar.Location {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s 00:00 in %s",
					tt.from, tt.n, got.Format(time.DateTime+" MST"), tt.want, calendar.Location)
			}
		})
	}
}

func TestWorkdaysBetween(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{"National Day 2024", "2024-09-27", "2024-10-10", 5},
		{"Spring Festival 2026 with both adjusted Saturdays", "2026-02-13", "2026-02-28", 6},
		{"same day", "2026-02-13", "2026-02-13", 0},
		{"to before from", "2026-02-28", "2026-02-13", 0},
		{"inside a holiday", "2026-02-15", "2026-02-23", 0},
		// Working days a year: 251 in 2024 as published; from 2025 two more
		// statutory holidays make it 248.
		{"year 2024", "2023-12-31", "2024-12-31", 251},
		{"year 2025", "2024-12-31", "2025-12-31", 248},
		{"year 2026", "2025-12-31", "2026-12-31", 248},
		{"year 2027", "2026-12-31", "2027-12-31", 248},
		{"year 2028, weekly rule", "2027-12-31", "2028-12-31", 260},
		{"across the whole table", "2023-12-29", "2028-01-03", 996},
	}
	c := calendar.Official()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkdaysBetween(date(t, tt.from), date(t, tt.to)); got != tt.want {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// TestAgainstDayByDay checks AddWorkdays and WorkdaysBetween against a plain
// day-by-day walk over IsWorkday, from every day of 2023–2028 and for limits
// up to a year, both ways.
func TestAgainstDayByDay(t *testing.T) {
	c := calendar.Official()
	start := date(t, "2022-12-01")
	var days []time.Time
	var work []bool
	for d := start; d.Year() < 2031; d = d.AddDate(0, 0, 1) {
		days = append(days, d)
		work = append(work, c.IsWorkday(d))
	}
	index := func(t0 time.Time) int { return int(t0.Sub(start).Round(24*time.Hour) / (24 * time.Hour)) }
	for i := 31; days[i].Year() <= 2028; i++ {
		seen := 0
		for j := i + 1; seen < 300; j++ {
			if work[j] {
				seen++
				if got := c.AddWorkdays(days[i], seen); index(got) != j {
					t.Fatalf("AddWorkdays(%s, %d) = %s, want %s",
						days[i].Format(time.DateOnly), seen, got.Format(time.DateOnly), days[j].Format(time.DateOnly))
				}
				if got := c.WorkdaysBetween(days[i], days[j]); got != seen {
					t.Fatalf("WorkdaysBetween(%s, %s) = %d, want %d",
						days[i].Format(time.DateOnly), days[j].Format(time.DateOnly), got, seen)
				}
			}
		}
		seen = 0
		for j := i - 1; j >= 0 && seen < 20; j-- {
			if work[j] {
				seen++
				if got := c.AddWorkdays(days[i], -seen); index(got) != j {
					t.Fatalf("AddWorkdays(%s, %d) = %s, want %s",
						days[i].Format(time.DateOnly), -seen, got.Format(time.DateOnly), days[j].Format(time.DateOnly))
				}
			}
		}
		want0 := i
		for !work[want0] {
			want0++
		}
		if got := c.AddWorkdays(days[i], 0); index(got) != want0 {
			t.Fatalf("AddWorkdays(%s, 0) = %s, want %s",
				days[i].Format(time.DateOnly), got.Format(time.DateOnly), days[want0].Format(time.DateOnly))
		}
	}
}

// TestDatesInBeijing checks that an instant counts as its date in Beijing,
// whatever zone it carries.
func TestDatesInBeijing(t *testing.T) {
	c := calendar.Official()
	// 2026-02-14 17:00 UTC is 2026-02-15 01:00 in Beijing: the first day of
	// Spring Festival, although in UTC it is still the adjusted Saturday.
	utc := time.Date(2026, 2, 14, 17, 0, 0, 0, time.UTC)
	if c.IsWorkday(utc) {
		t.Errorf("IsWorkday(%s) = true; it is 2026-02-15, 春节, in Beijing", utc)
	}
	if name, ok := c.Holiday(utc); !ok || name != "春节" {
		t.Errorf("Holiday(%s) = %q, %v; want 春节", utc, name, ok)
	}
	// 2026-02-14 15:59:59 UTC is still the 14th in Beijing.
	if !c.IsWorkday(time.Date(2026, 2, 14, 15, 59, 59, 0, time.UTC)) {
		t.Error("2026-02-14 23:59:59 in Beijing is not a working day")
	}
	ny := time.FixedZone("EST", -5*3600)
	accepted := time.Date(2026, 2, 13, 12, 0, 0, 0, ny) // 2026-02-14 01:00 in Beijing
	got := c.AddWorkdays(accepted, 1)
	want := time.Date(2026, 2, 24, 0, 0, 0, 0, calendar.Location)
	if !got.Equal(want) {
		t.Errorf("AddWorkdays(%s, 1) = %s, want %s", accepted, got, want)
	}
	if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Location() != calendar.Location {
		t.Errorf("AddWorkdays returned %s, want midnight in %s", got, calendar.Location)
	}
}

func TestHoliday(t *testing.T) {
	c := calendar.Official()
	tests := []struct {
		date   string
		name   string
		wantOK bool
	}{
		{"2026-02-17", "春节", true},
		{"2025-10-06", "国庆节、中秋节", true},
		{"2024-06-10", "端午节", true},
		{"2026-02-14", "", false}, // adjusted working Saturday
		{"2026-03-07", "", false}, // ordinary Saturday
		{"2026-03-09", "", false}, // ordinary Monday
		{"2028-10-02", "", false}, // outside the covered years
	}
	for _, tt := range tests {
		name, ok := c.Holiday(date(t, tt.date))
		if name != tt.name || ok != tt.wantOK {
			t.Errorf("Holiday(%s) = %q, %v; want %q, %v", tt.date, name, ok, tt.name, tt.wantOK)
		}
	}
}

// lunarNames maps lunar-go's holiday names to the notices' wording.
var lunarNames = map[string]string{
	"元旦节":  "元旦",
	"国庆中秋": "国庆节、中秋节",
}

// TestAgreesWithLunarGo compares every date of every covered year with the
// independent holiday table of github.com/6tail/lunar-go: the same days off
// with the same names, the same adjusted working days, and nothing else.
func TestAgreesWithLunarGo(t *testing.T) {
	c := calendar.Official()
	first, last := c.Years()
	for y := first; y <= last; y++ {
		if HolidayUtil.GetHolidaysByYear(y).Len() == 0 {
			t.Logf("lunar-go has no data for %d; not compared", y)
			continue
		}
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, calendar.Location); d.Year() == y; d = d.AddDate(0, 0, 1) {
			h := HolidayUtil.GetHolidayByYmd(d.Year(), int(d.Month()), d.Day())
			work := c.IsWorkday(d)
			name, ok := c.Holiday(d)
			ymd := d.Format(time.DateOnly)
			switch {
			case h == nil:
				wantWork := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
				if work != wantWork || ok {
					t.Errorf("%s: IsWorkday %v, Holiday %q %v; lunar-go lists nothing, so a plain %s",
						ymd, work, name, ok, d.Weekday())
				}
			case h.IsWork():
				if !work || ok {
					t.Errorf("%s: IsWorkday %v, Holiday %q %v; lunar-go says adjusted working day (%s)",
						ymd, work, name, ok, h.GetName())
				}
			default:
				want := h.GetName()
				if n, found := lunarNames[want]; found {
					want = n
				}
				if work || !ok || name != want {
					t.Errorf("%s: IsWorkday %v, Holiday %q %v; lunar-go says day off %q", ymd, work, name, ok, want)
				}
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	got, err := calendar.ParseDate("2026-02-15")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 2, 15, 0, 0, 0, 0, calendar.Location); !got.Equal(want) || got.Location() != calendar.Location {
		t.Errorf("ParseDate = %s, want %s", got, want)
	}
	for _, tt := range []struct{ in, reason string }{
		{"2026-13-01", "month out of range"},
		{"2026-02-30", "day out of range"},
		{"2026-2-15", "YYYY-MM-DD"},
		{"15/02/2026", "YYYY-MM-DD"},
		{"2026-02-15 ", "YYYY-MM-DD"},
		{"", "YYYY-MM-DD"},
	} {
		_, err := calendar.ParseDate(tt.in)
		if err == nil {
			t.Errorf("ParseDate(%q) succeeded", tt.in)
			continue
		}
		msg := onedoor.ErrorMessage(err)
		if onedoor.ErrorCode(err) != onedoor.EINVALID || !strings.Contains(msg, fmt.Sprintf("%q", tt.in)) ||
			!strings.Contains(msg, tt.reason) {
			t.Errorf("ParseDate(%q) error = %v; want code invalid naming the input and %q", tt.in, err, tt.reason)
		}
	}
}

func TestWithOverrides(t *testing.T) {
	base := calendar.Official()
	local := "\uFEFF# 禅城区本地安排\r\n" +
		"2026-03-02 holiday 区庆日\r\n" + // a Monday off
		"2026-03-07\tworkday  区集中办公日 # a Saturday at work\r\n" +
		"2026-02-28 holiday 本地补休\r\n" + // replaces an official adjusted Saturday
		"\r\n" +
		"2028-01-03 holiday 2028年元旦\r\n" // a year the binary does not know
	c, err := base.WithOverrides(strings.NewReader(local), "local.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date               string
		baseWork, work     bool
		baseName, wantName string
	}{
		{"2026-03-02", true, false, "", "区庆日"},
		{"2026-03-07", false, true, "", ""},
		{"2026-02-28", true, false, "", "本地补休"},
		{"2028-01-03", true, false, "", "2028年元旦"},
		{"2026-02-17", false, false, "春节", "春节"}, // official entries stay
		{"2026-02-14", true, true, "", ""},
	}
	for _, tt := range tests {
		d := date(t, tt.date)
		if got := c.IsWorkday(d); got != tt.work {
			t.Errorf("with overrides: IsWorkday(%s) = %v, want %v", tt.date, got, tt.work)
		}
		if got, _ := c.Holiday(d); got != tt.wantName {
			t.Errorf("with overrides: Holiday(%s) = %q, want %q", tt.date, got, tt.wantName)
		}
		if got := base.IsWorkday(d); got != tt.baseWork {
			t.Errorf("official calendar changed: IsWorkday(%s) = %v, want %v", tt.date, got, tt.baseWork)
		}
		if got, _ := base.Holiday(d); got != tt.baseName {
			t.Errorf("official calendar changed: Holiday(%s) = %q, want %q", tt.date, got, tt.baseName)
		}
	}
	// Accepted on Friday 2026-02-27 with a limit of 1 working day: officially
	// due on the adjusted Saturday; locally 2-28 is off, 3-01 is a Sunday and
	// 3-02 a local holiday, so due on 3-03.
	if got := base.AddWorkdays(date(t, "2026-02-27"), 1); !got.Equal(date(t, "2026-02-28")) {
		t.Errorf("official AddWorkdays(2026-02-27, 1) = %s, want 2026-02-28", got.Format(time.DateOnly))
	}
	if got := c.AddWorkdays(date(t, "2026-02-27"), 1); !got.Equal(date(t, "2026-03-03")) {
		t.Errorf("local AddWorkdays(2026-02-27, 1) = %s, want 2026-03-03", got.Format(time.DateOnly))
	}
	if got := c.WorkdaysBetween(date(t, "2026-02-27"), date(t, "2026-03-09")); got != 6 {
		t.Errorf("local WorkdaysBetween(2026-02-27, 2026-03-09) = %d, want 6", got) // 3-03…3-06, 3-07, 3-09
	}
	if first, last := c.Years(); first != 2024 || last != 2027 {
		t.Errorf("Years() with overrides = %d, %d; want the official 2024, 2027", first, last)
	}
	// Overrides stack: a second file wins over the first.
	c2, err := c.WithOverrides(strings.NewReader("2026-03-02 workday 取消区庆日\n"), "second.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !c2.IsWorkday(date(t, "2026-03-02")) || c.IsWorkday(date(t, "2026-03-02")) {
		t.Error("a second override file did not win over the first, or changed it")
	}
	if c2.IsWorkday(date(t, "2028-01-03")) {
		t.Error("a second override file dropped the first one's entry")
	}
}

func TestWithOverridesErrors(t *testing.T) {
	good := "2026-03-02 holiday 区庆日\n"
	tests := []struct {
		name, file string
		want       []string // substrings of the message
	}{
		{"bad date", good + "2026-02-30 holiday 某日\n", []string{"bad.txt:2:", "bad date", `"2026-02-30"`, "day out of range"}},
		{"bad date form", "# c\n\n2026/03/04 holiday 某日\n", []string{"bad.txt:3:", "YYYY-MM-DD"}},
		{"unknown kind", good + "2026-03-04 holliday 某日\n", []string{"bad.txt:2:", `unknown kind "holliday"`, "holiday or workday"}},
		{"missing kind", "2026-03-04\n", []string{"bad.txt:1:", "missing kind"}},
		{"missing name", "2026-03-04 holiday   # only a comment\n", []string{"bad.txt:1:", "missing name"}},
		{"duplicate date", good + "\n2026-03-02 workday 又一行\n", []string{"bad.txt:3:", "duplicate date 2026-03-02", "line 1"}},
		{"year out of range", "2150-01-01 holiday 远期\n", []string{"bad.txt:1:", "outside the years 2000–2099"}},
		{"control character", "2026-03-04 holiday 某\x00日\n", []string{"bad.txt:1:", "control character"}},
		{"invalid UTF-8", "2026-03-04 holiday \xff\n", []string{"bad.txt:1:", "UTF-8"}},
		{"every bad line", "x\ny\n" + good, []string{"bad.txt:1:", "bad.txt:2:"}},
		{"many bad lines", strings.Repeat("x\n", 25), []string{"bad.txt:10:", "and 15 more"}},
		{"too large", strings.Repeat("# padding\n", 110000), []string{"bad.txt", "larger than"}},
	}
	base := calendar.Official()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := base.WithOverrides(strings.NewReader(tt.file), "bad.txt")
			if err == nil {
				t.Fatal("no error")
			}
			if c != nil {
				t.Error("returned a calendar along with the error")
			}
			if code := onedoor.ErrorCode(err); code != onedoor.EINVALID {
				t.Errorf("error code %q, want %q", code, onedoor.EINVALID)
			}
			msg := onedoor.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			// The good line of the bad file took no effect anywhere.
			if !base.IsWorkday(date(t, "2026-03-02")) {
				t.Error("a rejected file changed the official calendar")
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestWithOverridesReadError(t *testing.T) {
	c, err := calendar.Official().WithOverrides(io.MultiReader(strings.NewReader("2026-03-02 holiday x\n"), failingReader{}), "local.txt")
	if err == nil || c != nil || !strings.Contains(err.Error(), "local.txt") || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("WithOverrides on a failing reader = %v, %v; want an error naming the file and the cause", c, err)
	}
	if _, err := calendar.Official().WithOverrides(nil, "none.txt"); err == nil {
		t.Error("WithOverrides(nil) succeeded")
	}
}

func FuzzWithOverrides(f *testing.F) {
	f.Add("2026-02-15 holiday 春节\n2026-02-14 workday 春节调休\n")
	f.Add("# comment\n\n2026-03-02 holiday 区庆日 # trailing\n")
	f.Add("2026-03-02 holiday a\n2026-03-02 workday b\n")
	f.Add("\uFEFF2000-01-01 workday x\r\n2099-12-31 holiday y")
	f.Add("2026-02-30 holliday\n\xff\x00")
	base := calendar.Official()
	probe := date(f, "2026-03-02")
	f.Fuzz(func(t *testing.T, file string) {
		c, err := base.WithOverrides(strings.NewReader(file), "fuzz.txt")
		if err != nil {
			if c != nil {
				t.Fatal("calendar returned with an error")
			}
			if !strings.Contains(err.Error(), "fuzz.txt") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		// Whatever the file said, the result answers without panicking and
		// agrees with itself.
		n := c.WorkdaysBetween(probe, c.AddWorkdays(probe, 10))
		if n != 10 {
			t.Fatalf("WorkdaysBetween(d, AddWorkdays(d, 10)) = %d", n)
		}
		if got := c.AddWorkdays(c.AddWorkdays(probe, 7), -7); got.After(probe) {
			t.Fatalf("AddWorkdays(AddWorkdays(d, 7), -7) = %s, after %s", got, probe)
		}
		if !base.IsWorkday(probe) {
			t.Fatal("the official calendar changed")
		}
	})
}

// TestConcurrentUse is for the race detector: the calendar is shared by every
// request.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := calendar.Official()
			d := date(t, "2026-02-13")
			for n := range 200 {
				c.AddWorkdays(d, n-100+i)
				c.IsWorkday(d.AddDate(0, 0, n))
				c.Holiday(d.AddDate(0, 0, n))
			}
		})
	}
	wg.Wait()
}

func TestNoAllocations(t *testing.T) {
	c := calendar.Official()
	d := date(t, "2026-02-13")
	if n := testing.AllocsPerRun(100, func() { c.AddWorkdays(d, 15) }); n != 0 {
		t.Errorf("AddWorkdays allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { c.IsWorkday(d) }); n != 0 {
		t.Errorf("IsWorkday allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { c.WorkdaysBetween(d, d.AddDate(0, 2, 0)) }); n != 0 {
		t.Errorf("WorkdaysBetween allocates %v times", n)
	}
}

func BenchmarkAddWorkdays(b *testing.B) {
	c := calendar.Official()
	d := date(b, "2026-02-09") // 15 working days cross Spring Festival
	for b.Loop() {
		c.AddWorkdays(d, 15)
	}
}

func BenchmarkIsWorkday(b *testing.B) {
	c := calendar.Official()
	d := date(b, "2026-02-14")
	for b.Loop() {
		c.IsWorkday(d)
	}
}
