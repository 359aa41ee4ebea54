package calendar

import "time"

// Office hours: the two working periods of every working day in which the
// one window receives applications, 09:00–12:00 and 13:30–17:30 in
// Location, as Guangdong's government service centres keep them. They are
// durations since midnight; each period includes its opening instant and
// excludes its closing one.
//
// An application that arrives outside them — in the evening, over lunch, on
// a weekend or a holiday, as online ones often do — is received when the
// next working period opens, and its time limit runs from then (NextOpen).
// This is the one place the hours are written down: the workflow's clock,
// the synthetic district and the supervision rules all read them here.
const (
	MorningOpen    = 9 * time.Hour
	MorningClose   = 12 * time.Hour
	AfternoonOpen  = 13*time.Hour + 30*time.Minute
	AfternoonClose = 17*time.Hour + 30*time.Minute
)

// periods are the working periods of a working day, in order.
var periods = [...]struct{ open, close time.Duration }{
	{MorningOpen, MorningClose},
	{AfternoonOpen, AfternoonClose},
}

// IsOpen reports whether t falls in a working period of a working day: the
// window is open and an application arriving at t is received at once.
func (c *Calendar) IsOpen(t time.Time) bool {
	return c.NextOpen(t).Equal(t)
}

// NextOpen returns when an application arriving at t is received: t itself
// when it falls in a working period of a working day; else the opening of
// the next working period — 13:30 the same day when it arrives over lunch,
// 09:00 of the next working day when it arrives after 17:30 or on a day off
// (with adjusted working days, 调休, counted as working days). The result is
// never before t.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	d := dayOf(t)
	if c.isWork(d) {
		midnight := dateOf(d)
		since := t.Sub(midnight)
		for _, p := range periods {
			if since < p.open {
				return midnight.Add(p.open)
			}
			if since < p.close {
				return t
			}
		}
	}
	return dateOf(c.forward(d, 1)).Add(periods[0].open)
}
