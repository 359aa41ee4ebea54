// Package calendar counts working days under the official Chinese calendar.
//
// Time limits of government service matters are set in working days (工作日),
// and working days follow the State Council General Office's yearly holiday
// notice: statutory holidays are days off, and some Saturdays and Sundays are
// adjusted working days (调休上班). A calendar that knew only weekends would
// put deadlines on the wrong day around every long holiday.
//
// The official notices for 2024–2027 are embedded (official.txt). A district
// may lay a local file over them with WithOverrides, for a local holiday, a
// local working day, or a new year's notice published after the binary was
// built. Dates with no entry follow the weekly rule: Monday to Friday are
// working days, Saturday and Sunday are not. That rule is all the calendar
// knows outside the covered years, so a deadline there may be wrong by the
// days of a holiday it does not know.
//
// All dates are calendar dates in Location (China Standard Time): an instant
// counts as the day it is in Beijing, wherever the server runs.
package calendar

import (
	_ "embed"
	"math/bits"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // Location must not depend on the host's zoneinfo.
)

// Location is the time zone whose calendar dates the package counts: China
// Standard Time (Asia/Shanghai). It falls back to a fixed UTC+8 zone named
// CST if the zone database cannot be loaded, which gives the same dates for
// every instant since 1991.
var Location = loadLocation()

func loadLocation() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

//go:embed official.txt
var officialData string

// Calendar tells working days from days off. Get one from Official. A
// Calendar is immutable once built, so one value may be shared by any number
// of goroutines; derive a changed one with WithOverrides. The zero Calendar
// knows only the weekly rule.
type Calendar struct {
	first, last int // years covered by the official data

	// work holds one bit per day from day lo (days since 1970-01-01) for
	// ndays days, set when that day is a working day. It spans whole years
	// from the earliest to the latest entry; days outside it follow the
	// weekly rule. Bits past ndays are zero.
	lo, ndays int64
	work      []uint64

	// entries are the listed dates, sorted by day, one per day; they are
	// kept for Holiday and for deriving calendars with WithOverrides.
	entries []entry
}

// entry is one line of a calendar file.
type entry struct {
	day  int64 // days since 1970-01-01
	work bool  // true: an adjusted working day; false: a day off
	name string
}

var official = sync.OnceValue(func() *Calendar {
	entries, err := parse(officialData, "official.txt")
	if err != nil {
		// The file is embedded and tested, so this cannot happen in a
		// released binary.
		panic("calendar: embedded " + err.Error())
	}
	first := civilYear(entries[0].day)
	last := civilYear(entries[len(entries)-1].day)
	return build(first, last, entries)
})

// Official returns the calendar of the State Council's holiday notices for
// the years given by Years. It is built once, on first use, from the data
// embedded in the binary, and every call returns the same value.
func Official() *Calendar {
	return official()
}

// build returns a calendar over the given entries, sorted by day with at most
// one per day.
func build(first, last int, entries []entry) *Calendar {
	lo := yearStart(first)
	hi := yearStart(last + 1)
	if len(entries) > 0 {
		lo = min(lo, yearStart(civilYear(entries[0].day)))
		hi = max(hi, yearStart(civilYear(entries[len(entries)-1].day)+1))
	}
	c := &Calendar{
		first:   first,
		last:    last,
		lo:      lo,
		ndays:   hi - lo,
		work:    make([]uint64, (hi-lo+63)/64),
		entries: entries,
	}
	for i := range c.ndays {
		if weekday(lo + i) {
			c.work[i>>6] |= 1 << (i & 63)
		}
	}
	for _, e := range entries {
		i := e.day - lo
		if e.work {
			c.work[i>>6] |= 1 << (i & 63)
		} else {
			c.work[i>>6] &^= 1 << (i & 63)
		}
	}
	return c
}

// Years returns the first and the last year covered by the official data.
// Local overrides do not change it, even when they list later dates.
func (c *Calendar) Years() (first, last int) {
	return c.first, c.last
}

// IsWorkday reports whether t's calendar date in Location is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWork(dayOf(t))
}

// Holiday returns the name of the holiday, such as "春节", when t's calendar
// date in Location is listed as a day off by the official data or a local
// override. Ordinary weekends are not holidays, and neither are adjusted
// working days.
func (c *Calendar) Holiday(t time.Time) (name string, ok bool) {
	d := dayOf(t)
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].day >= d })
	if i < len(c.entries) && c.entries[i].day == d && !c.entries[i].work {
		return c.entries[i].name, true
	}
	return "", false
}

// AddWorkdays counts n working days from t's calendar date and returns
// midnight, in Location, of the day it lands on. For n >= 1 that is the n-th
// working day strictly after t's date, so a case accepted on any day with a
// limit of n working days is due on AddWorkdays(accepted, n). For n == 0 it
// is t's date if that is a working day, else the next working day. For
// n <= -1 it is the |n|-th working day strictly before t's date, the mirror
// image of a positive n.
//
// It neither allocates nor looks anything up in a map, and counts whole
// 64-day words at a time, so it is cheap enough for every intake.
func (c *Calendar) AddWorkdays(t time.Time, n int) time.Time {
	d := dayOf(t)
	switch {
	case n > 0:
		d = c.forward(d, int64(n))
	case n < 0:
		d = c.backward(d, -int64(n))
	case !c.isWork(d):
		d = c.forward(d, 1)
	}
	return dateOf(d)
}

// WorkdaysBetween returns the number of working days d with
// from's date < d <= to's date, dates taken in Location: the working days a
// case accepted at from has used by to. It is 0 when to's date is not after
// from's date.
func (c *Calendar) WorkdaysBetween(from, to time.Time) int {
	a, b := dayOf(from), dayOf(to)
	if b <= a {
		return 0
	}
	return int(c.count(a, b))
}

// isWork reports whether day d is a working day.
func (c *Calendar) isWork(d int64) bool {
	if i := d - c.lo; i >= 0 && i < c.ndays {
		return c.work[i>>6]&(1<<(i&63)) != 0
	}
	return weekday(d)
}

// count returns the number of working days in (a, b], for a <= b: the
// weekdays of the whole span, corrected by the bits where it overlaps the
// table.
func (c *Calendar) count(a, b int64) int64 {
	n := weekdays(a, b)
	oa, ob := max(a, c.lo-1), min(b, c.lo+c.ndays-1) // overlap (oa, ob]
	if oa < ob {
		n += c.ones(oa+1-c.lo, ob+1-c.lo) - weekdays(oa, ob)
	}
	return n
}

// ones returns the number of set bits with index in [i, j).
func (c *Calendar) ones(i, j int64) int64 {
	var n int
	for i < j {
		w := c.work[i>>6] &^ (1<<(i&63) - 1) // drop bits below i
		next := (i | 63) + 1                 // first index of the next word
		if j < next {
			w &= 1<<(j&63) - 1 // drop bits from j
		}
		n += bits.OnesCount64(w)
		i = next
	}
	return int64(n)
}

// forward returns the n-th working day strictly after day d, n >= 1.
func (c *Calendar) forward(d, n int64) int64 {
	end := c.lo + c.ndays // first day after the table
	if d+1 < c.lo {
		// Before the table: weekly rule up to its first day.
		if w := weekdays(d, c.lo-1); w < n {
			n -= w
			d = c.lo - 1
		} else {
			return nthWeekdayAfter(d, n)
		}
	}
	if d+1 >= end {
		return nthWeekdayAfter(d, n)
	}
	for i := d + 1 - c.lo; i < c.ndays; i = (i | 63) + 1 {
		w := c.work[i>>6] &^ (1<<(i&63) - 1)
		k := int64(bits.OnesCount64(w))
		if k < n {
			n -= k
			continue
		}
		for ; n > 1; n-- {
			w &= w - 1 // clear the lowest set bit
		}
		return c.lo + i&^63 + int64(bits.TrailingZeros64(w))
	}
	return nthWeekdayAfter(end-1, n)
}

// backward returns the n-th working day strictly before day d, n >= 1.
func (c *Calendar) backward(d, n int64) int64 {
	end := c.lo + c.ndays
	if d-1 >= end {
		// After the table: weekly rule down to its last day.
		if w := weekdays(end-1, d-1); w < n {
			n -= w
			d = end
		} else {
			return nthWeekdayBefore(d, n)
		}
	}
	if d-1 < c.lo {
		return nthWeekdayBefore(d, n)
	}
	for i := d - 1 - c.lo; i >= 0; i = i&^63 - 1 {
		w := c.work[i>>6] & (1<<(i&63)<<1 - 1) // keep bits up to i
		k := int64(bits.OnesCount64(w))
		if k < n {
			n -= k
			continue
		}
		for ; n > 1; n-- {
			w &^= 1 << (63 - bits.LeadingZeros64(w)) // clear the highest set bit
		}
		return c.lo + i&^63 + int64(63-bits.LeadingZeros64(w))
	}
	return nthWeekdayBefore(c.lo, n)
}

// Days are numbered from 1970-01-01, a Thursday; day -3 is a Monday.

// dayOf returns the number of t's calendar date in Location.
func dayOf(t time.Time) int64 {
	_, off := t.In(Location).Zone()
	return floorDiv(t.Unix()+int64(off), 86400)
}

// dateOf returns midnight of day d in Location.
func dateOf(d int64) time.Time {
	return time.Date(1970, time.January, 1+int(d), 0, 0, 0, 0, Location)
}

// civilDay returns the number of the date y-m-d.
func civilDay(y int, m time.Month, d int) int64 {
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// civilYear returns the year of day d.
func civilYear(d int64) int {
	return time.Unix(d*86400, 0).UTC().Year()
}

// yearStart returns the number of January 1 of year y.
func yearStart(y int) int64 {
	return civilDay(y, time.January, 1)
}

// weekday reports whether day d is Monday to Friday.
func weekday(d int64) bool {
	return floorMod(d+3, 7) < 5
}

// weekdaysThrough returns the number of Mondays to Fridays from day -3 (a
// Monday) through day d, negative for days before it; only differences of it
// mean anything.
func weekdaysThrough(d int64) int64 {
	q, r := floorDiv(d+3, 7), floorMod(d+3, 7)
	return 5*q + min(r+1, 5)
}

// weekdays returns the number of Mondays to Fridays in (a, b].
func weekdays(a, b int64) int64 {
	return weekdaysThrough(b) - weekdaysThrough(a)
}

// nthWeekdayAfter returns the n-th Monday-to-Friday strictly after day d,
// n >= 1.
func nthWeekdayAfter(d, n int64) int64 {
	r := floorMod(d+3, 7) // 0 Monday … 6 Sunday
	if r > 4 {
		// The weekdays after a Saturday or Sunday are those after Friday.
		d -= r - 4
		r = 4
	}
	k := r + n
	return d - r + 7*(k/5) + k%5
}

// nthWeekdayBefore returns the n-th Monday-to-Friday strictly before day d,
// n >= 1.
func nthWeekdayBefore(d, n int64) int64 {
	r := floorMod(d+3, 7)
	if r > 4 {
		// The weekdays before a Saturday or Sunday are those before the
		// next Monday.
		d += 7 - r
		r = 0
	}
	k := 4 - r + n // counted back from this week's Friday
	return d + 4 - r - 7*(k/5) - k%5
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	return a - b*floorDiv(a, b)
}
