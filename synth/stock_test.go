package synth

import (
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
)

func TestRetirementDay(t *testing.T) {
	tests := []struct {
		name         string
		birth        string
		male, cadre  bool
		wantRetiring string
	}{
		{"man before the reform", "1964-12-31", true, false, "2024-12-31"},
		{"man, first month of the reform: 60 and 1 month", "1965-01-15", true, false, "2025-02-15"},
		{"man born in April 1965: still 1 month", "1965-04-30", true, false, "2025-05-30"},
		{"man born in May 1965: 2 months", "1965-05-01", true, false, "2025-07-01"},
		{"man born August 1976: 62 and 11 months", "1976-08-20", true, false, "2039-07-20"},
		{"man born September 1976: 63", "1976-09-10", true, false, "2039-09-10"},
		{"man born later: still 63", "1990-03-03", true, false, "2053-03-03"},
		{"woman worker before the reform: 50", "1974-12-01", false, false, "2024-12-01"},
		{"woman worker, January 1975: 1 month, day clamped to February", "1975-01-31", false, false, "2025-02-28"},
		{"woman worker, March 1975: 2 months", "1975-03-05", false, false, "2025-05-05"},
		{"woman worker, November 1984: 55", "1984-11-11", false, false, "2039-11-11"},
		{"woman cadre before the reform: 55", "1969-06-30", false, true, "2024-06-30"},
		{"woman cadre, April 1970: 55 and 1 month", "1970-04-30", false, true, "2025-05-30"},
		{"woman cadre, September 1981: 58", "1981-09-01", false, true, "2039-09-01"},
		{"man born on 29 February retires on 1 March", "1960-02-29", true, false, "2020-03-01"},
		{"retired long ago", "1935-07-07", true, false, "1995-07-07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := time.Parse(time.DateOnly, tt.birth)
			if err != nil {
				t.Fatal(err)
			}
			got := dateString(retirementDay(int32(b.Unix()/secPerDay), tt.male, tt.cadre))
			if got != tt.wantRetiring {
				t.Errorf("retirementDay(%s, male %v, cadre %v) = %s, want %s", tt.birth, tt.male, tt.cadre, got, tt.wantRetiring)
			}
		})
	}
}

// TestQuietSpans checks the quiet spans against every year the official
// calendar holds: no holiday and no adjusted working day in them, so the
// weekly rule the calendar applies to other years is right there.
func TestQuietSpans(t *testing.T) {
	cal := calendar.Official()
	first, last := cal.Years()
	checked := 0
	for y := first; y <= last; y++ {
		for _, s := range quietSpans {
			for d := dayNumber(y, s.m0, s.d0); d <= dayNumber(y, s.m1, s.d1); d++ {
				at := utc(instant(d, 12*3600))
				weekday := at.In(calendar.Location).Weekday()
				weekly := weekday != time.Saturday && weekday != time.Sunday
				name, holiday := cal.Holiday(at)
				if cal.IsWorkday(at) != weekly || holiday {
					t.Errorf("%s (%s) is in a quiet span but the official calendar has it as a working day: %v (holiday %q)",
						dateString(d), weekday, cal.IsWorkday(at), name)
				}
				if !inQuietSpan(d) {
					t.Errorf("inQuietSpan(%s) = false", dateString(d))
				}
				checked++
			}
		}
	}
	if checked < 4*130 {
		t.Errorf("only %d days checked", checked)
	}
	for _, d := range []string{"2015-02-28", "2012-03-31", "2020-06-28", "2014-09-06", "2015-09-03", "2024-10-12", "2018-12-29", "2026-02-17"} {
		x, _ := time.Parse(time.DateOnly, d)
		if inQuietSpan(int32(x.Unix() / secPerDay)) {
			t.Errorf("%s, a holiday or an adjusted working day in its year, is in a quiet span", d)
		}
	}
}

// TestStockCalendar checks the dates of the stock: every event of a stock
// case on a working day in office hours, and in a year the calendar does
// not cover, the whole case, deadline included, inside a quiet span. The
// history starts mid-2025, so part of the stock is in years the calendar
// covers.
func TestStockCalendar(t *testing.T) {
	cal := calendar.Official()
	first, last := cal.Years()
	cfg := Config{People: 4000, Years: 1, End: time.Date(2026, 6, 1, 0, 0, 0, 0, calendar.Location), Seed: 3}
	var stock []Case
	st, err := Generate(cfg, func(b *Batch) error {
		for _, c := range b.Cases {
			if c.Case.ReceivedAt.Before(cfg.End.AddDate(-1, 0, 0)) {
				stock = append(stock, c)
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Stock != len(stock) || st.Stock < 200 {
		t.Fatalf("Stats.Stock = %d, %d cases received before the history", st.Stock, len(stock))
	}
	covered, quiet := 0, 0
	for _, c := range stock {
		days := []string{c.Case.Due}
		for _, e := range c.Events {
			at := e.At.In(calendar.Location)
			if !cal.IsWorkday(at) || at.Hour() < 8 || at.Hour() >= 18 {
				t.Fatalf("case %s: %s at %s, outside working hours", c.Case.Number, e.Type, at)
			}
			days = append(days, at.Format(time.DateOnly))
		}
		if y := c.Case.ReceivedAt.In(calendar.Location).Year(); y >= first && y <= last {
			covered++
			continue
		}
		quiet++
		for _, d := range days {
			x, _ := time.Parse(time.DateOnly, d)
			if !inQuietSpan(int32(x.Unix() / secPerDay)) {
				t.Fatalf("case %s of %s has a date %s outside the quiet spans (due %s)", c.Case.Number, c.Case.ReceivedAt.In(calendar.Location).Format(time.DateOnly), d, c.Case.Due)
			}
		}
	}
	if covered == 0 || quiet == 0 {
		t.Errorf("%d stock cases in the calendar's years, %d outside; want both", covered, quiet)
	}
	if c := stock[0]; c.Case.Status != onedoor.StatusDelivered || c.Case.ReceivedAt.In(calendar.Location).Year() != migrationYear {
		t.Errorf("the first stock case is %s, received %s; want a delivered record migrated in %d", c.Case.Status, c.Case.ReceivedAt, migrationYear)
	}
}
