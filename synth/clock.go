package synth

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"onedoor/calendar"
)

// The generator keeps time as Unix seconds and dates as day numbers (days
// since 1970-01-01 in China Standard Time): integer arithmetic is what lets
// it plan a million cases in seconds. China has kept UTC+8 without daylight
// saving since 1991, which covers every instant the history holds.
const (
	secPerDay = 86400
	cstOffset = 8 * 3600
)

// dayOf is the day number of Unix time t in China Standard Time.
func dayOf(t int64) int32 {
	return int32(floorDiv(t+cstOffset, secPerDay))
}

// instant is Unix time of second sec of day d in China Standard Time.
func instant(d int32, sec int) int64 {
	return int64(d)*secPerDay - cstOffset + int64(sec)
}

// secOfDay is the second of the day of Unix time t in China Standard Time.
func secOfDay(t int64) int {
	return int(t + cstOffset - floorDiv(t+cstOffset, secPerDay)*secPerDay)
}

// utc turns Unix seconds into the time value workflow commands carry.
func utc(t int64) time.Time { return time.Unix(t, 0).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil returns the calendar date of day number d (proleptic Gregorian).
func civil(d int32) (y, m, dd int) {
	z := int64(d) + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	mon := mp + 3
	if mon > 12 {
		mon -= 12
	}
	if mon <= 2 {
		yy++
	}
	return int(yy), int(mon), int(day)
}

// dayNumber is the day number of a calendar date; month and day may
// overflow as with time.Date.
func dayNumber(y, m, d int) int32 {
	return int32(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / secPerDay)
}

// dayDate is day d as midnight UTC, the form birth and registration dates
// take in the root package.
func dayDate(d int32) time.Time { return time.Unix(int64(d)*secPerDay, 0).UTC() }

// dateString is day d as YYYY-MM-DD.
func dateString(d int32) string {
	y, m, dd := civil(d)
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4], b[7] = '-', '-'
	b[5], b[6] = byte('0'+m/10), byte('0'+m%10)
	b[8], b[9] = byte('0'+dd/10), byte('0'+dd%10)
	return string(b[:])
}

// ageAt is the age in completed years on day d of a person born on day
// birth; someone born on 29 February ages on 1 March in common years, as
// onedoor.IDNumber.AgeAt has it.
func ageAt(birth, d int32) int {
	by, bm, bd := civil(birth)
	y, m, dd := civil(d)
	age := y - by
	if m < bm || (m == bm && dd < bd) {
		age--
	}
	return max(age, 0)
}

// anniversary is the day a person born on day birth turns age.
func anniversary(birth int32, age int) int32 {
	y, m, d := civil(birth)
	if m == 2 && d == 29 {
		return dayNumber(y+age, 3, 1)
	}
	return dayNumber(y+age, m, d)
}

// workdays answers "is day d a working day" from a table built once from
// the calendar, and counts working days the way calendar.AddWorkdays does.
type workdays struct {
	cal  *calendar.Calendar
	lo   int32
	work []bool
}

func newWorkdays(cal *calendar.Calendar, lo, hi int32) *workdays {
	w := &workdays{cal: cal, lo: lo, work: make([]bool, hi-lo+1)}
	for i := range w.work {
		w.work[i] = cal.IsWorkday(utc(instant(lo+int32(i), 12*3600)))
	}
	return w
}

func (w *workdays) is(d int32) bool {
	if i := d - w.lo; i >= 0 && int(i) < len(w.work) {
		return w.work[i]
	}
	return w.cal.IsWorkday(utc(instant(d, 12*3600)))
}

// add returns the k-th working day after d for k >= 1, and for k == 0 d
// itself if it is a working day, else the next one.
func (w *workdays) add(d int32, k int) int32 {
	if k <= 0 {
		for !w.is(d) {
			d++
		}
		return d
	}
	for k > 0 {
		d++
		if w.is(d) {
			k--
		}
	}
	return d
}

// Opening hours. The one window takes applications in the office hours
// of the calendar (09:00–12:00 and 13:30–17:30), from which the clock of an
// application that arrives outside them starts; officers work 08:40–12:00
// and 13:40–17:30.
const (
	counterAM0, counterAM1 = int(calendar.MorningOpen / time.Second), int(calendar.MorningClose / time.Second)
	counterPM0, counterPM1 = int(calendar.AfternoonOpen / time.Second), int(calendar.AfternoonClose / time.Second)
	officeAM0, officeAM1   = 8*3600 + 2400, 12 * 3600
	officePM0, officePM1   = 13*3600 + 2400, 17*3600 + 1800
)

// counterSec draws a second of the day at the window: more in the morning,
// busiest mid-morning and mid-afternoon.
func counterSec(r *rand.Rand) int {
	tri := (r.Float64() + r.Float64()) / 2
	if r.Float64() < 0.58 {
		return counterAM0 + int(tri*float64(counterAM1-counterAM0))
	}
	return counterPM0 + int(tri*float64(counterPM1-counterPM0))
}

// officeSec draws a second of the officers' working day.
func officeSec(r *rand.Rand) int {
	am := officeAM1 - officeAM0
	pm := officePM1 - officePM0
	x := r.IntN(am + pm)
	if x < am {
		return officeAM0 + x
	}
	return officePM0 + x - am
}

// onlineHour weighs the hours at which people apply on the portal.
var onlineHour = cumulative([]float64{
	0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 5.5, 6, 5, 3, 3.5, 5, 5.5, 5, 4, 3, 3.5, 4.5, 4.5, 3, 1.5,
})

func onlineSec(r *rand.Rand) int {
	return pick(r, onlineHour)*3600 + r.IntN(3600)
}

// season holds, for each day of the history, how much discretionary demand
// it sees: working days more than weekends, Mondays most, and far less in
// the weeks around the Spring Festival, when most of the district's migrant
// workers go home, and around National Day.
type season struct {
	lo     int32
	weight []float64
	cum    []float64 // cum[i] = sum of weight[:i]
}

func newSeason(w *workdays, cal *calendar.Calendar, lo, hi int32) *season {
	n := int(hi - lo)
	s := &season{lo: lo, weight: make([]float64, n), cum: make([]float64, n+1)}
	kind := make([]string, n+40)
	for i := range kind {
		if name, ok := cal.Holiday(utc(instant(lo-20+int32(i), 12*3600))); ok {
			switch {
			case strings.Contains(name, "春节"):
				kind[i] = "sf"
			case strings.Contains(name, "国庆"):
				kind[i] = "nd"
			default:
				kind[i] = "h"
			}
		}
	}
	near := func(d int32, k string, before, after int) (pre, post int) {
		pre, post = -1, -1
		for j := 1; j <= before; j++ {
			if i := int(d-lo) + 20 + j; i < len(kind) && kind[i] == k {
				pre = j
				break
			}
		}
		for j := 1; j <= after; j++ {
			if i := int(d-lo) + 20 - j; i >= 0 && kind[i] == k {
				post = j
				break
			}
		}
		return pre, post
	}
	for i := range n {
		d := lo + int32(i)
		f := 1.0
		wd := (int(d) + 4) % 7 // 0 = Sunday; 1970-01-01 was a Thursday
		switch {
		case kind[i+20] != "":
			f = 0.1
		case !w.is(d):
			f = 0.18
		case wd == 0 || wd == 6:
			f = 0.85 // an adjusted working weekend day (调休)
		case wd == 1:
			f = 1.15
		case wd == 5:
			f = 0.9
		}
		if kind[i+20] != "sf" {
			if pre, post := near(d, "sf", 10, 15); pre > 0 {
				f *= 0.55
			} else if post > 0 {
				f *= 0.4 + 0.6*float64(post)/15
			}
		}
		if kind[i+20] != "nd" {
			if _, post := near(d, "nd", 0, 6); post > 0 {
				f *= 0.85
			}
		}
		s.weight[i] = f
		s.cum[i+1] = s.cum[i] + f
	}
	return s
}

// draw picks a day in [from, to) with probability proportional to its
// weight; ok is false when the range is empty.
func (s *season) draw(r *rand.Rand, from, to int32) (int32, bool) {
	from = max(from, s.lo)
	to = min(to, s.lo+int32(len(s.weight)))
	if from >= to {
		return 0, false
	}
	a, b := s.cum[from-s.lo], s.cum[to-s.lo]
	x := a + r.Float64()*(b-a)
	i, j := int(from-s.lo), int(to-s.lo)
	for i < j-1 {
		h := (i + j) / 2
		if s.cum[h] <= x {
			i = h
		} else {
			j = h
		}
	}
	return s.lo + int32(i), true
}

// cumulative turns weights into a cumulative table for pick.
func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		out[i] = sum
	}
	return out
}

// pick draws an index from a cumulative table.
func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	i, j := 0, len(cum)-1
	for i < j {
		h := (i + j) / 2
		if cum[h] > x {
			j = h
		} else {
			i = h + 1
		}
	}
	return i
}

// between draws an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// uniform draws a float in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// poisson draws from a Poisson distribution (Knuth's method; the means
// used here are small).
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(mean+r.NormFloat64()*math.Sqrt(mean)+0.5))
	}
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
