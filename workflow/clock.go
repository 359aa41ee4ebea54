package workflow

import (
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Years outside this range are refused as command times: they are typing or
// clock errors, and the working-day arithmetic would be meaningless there.
const (
	minYear = 2000
	maxYear = 2099
)

// instant normalises the time of a command as it is stored: UTC, to the
// microsecond (what both databases keep), so that a case read back from the
// store equals the case computed.
func instant(t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, onedoor.FieldErrorf("at", "The command has no time.")
	}
	if y := t.In(calendar.Location).Year(); y < minYear || y > maxYear {
		return time.Time{}, onedoor.FieldErrorf("at", "The time %s is outside the years %d–%d.", t.Format(time.RFC3339), minYear, maxYear)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// day is the calendar date of t in China Standard Time, as YYYY-MM-DD.
func day(t time.Time) string {
	return t.In(calendar.Location).Format(time.DateOnly)
}

// date parses a date the case records.
func date(c *onedoor.Case, field, s string) (time.Time, error) {
	t, err := calendar.ParseDate(s)
	if err != nil {
		return time.Time{}, internal("case %s has a bad %s %q", c.Number, field, s)
	}
	return t, nil
}

// pauseWanted reports whether the case clock should stand still: while
// materials are awaited, while suspended, and while the current step is
// special. A case not yet accepted has no clock to pause.
func pauseWanted(n *onedoor.Case, m *onedoor.Matter) bool {
	if n.AcceptedAt == nil {
		return false
	}
	switch n.Status {
	case onedoor.StatusSupplement, onedoor.StatusSuspended:
		return true
	case onedoor.StatusInProgress:
		return n.Step >= 0 && n.Step < len(m.Steps) && m.Steps[n.Step].Special
	}
	return false
}

// settle brings the clock of n in line with its new state on date today: it
// ends a pause that no longer holds (or whose step has changed), starts one
// that now holds, and recomputes the due dates. There is one pause at a
// time, so a supplement during a special step is not counted twice.
func settle(n *onedoor.Case, m *onedoor.Matter, today string, stepChanged bool, cal *calendar.Calendar) error {
	now, err := date(n, "date", today)
	if err != nil {
		return err
	}
	if n.PausedSince != "" && (stepChanged || !pauseWanted(n, m)) {
		since, err := date(n, "paused_since", n.PausedSince)
		if err != nil {
			return err
		}
		// Working days before the clock started were never on it, so a
		// pause that began earlier (a special first step of a case accepted
		// on a Saturday) counts only from the clock's start.
		if start, ok := clockDay(n, cal); ok && start.After(since) {
			since = start
		}
		days := cal.WorkdaysBetween(since, now)
		n.PausedDays += days
		// The step's own clock stops only for an ordinary step that goes
		// on; a special step's limit is that of the procedure itself.
		if !stepChanged && n.Step >= 0 && n.Step < len(m.Steps) && !m.Steps[n.Step].Special {
			n.StepPaused += days
		}
		n.PausedSince = ""
	}
	if n.PausedSince == "" && pauseWanted(n, m) {
		n.PausedSince = today
	}
	return recompute(n, m, cal)
}

// ClockStart returns when the clock of an accepted case started: the
// instant it was accepted, or, when that was outside office hours (an
// online application in the evening, on a weekend or a holiday; a clerk
// working late; a material passed on after closing), the opening of the
// next working period (calendar.NextOpen). Its limit counts working days
// after that instant's date, so a same-day matter (即办件) applied for on
// Friday evening is due on Monday, and a five-day one applied for on
// Saturday is due five working days after Monday. ok is false for a case
// not accepted yet. The events keep the true instants; this is derived from
// them, and the workflow (hence replay and verify) and the supervision
// rules all ask it.
func ClockStart(c onedoor.Case, cal *calendar.Calendar) (start time.Time, ok bool) {
	if c.AcceptedAt == nil {
		return time.Time{}, false
	}
	if c.Clock != onedoor.ClockOffice {
		return *c.AcceptedAt, true // accepted under the earlier rule
	}
	if cal == nil {
		cal = calendar.Official()
	}
	return cal.NextOpen(*c.AcceptedAt), true
}

// clockDay is midnight of the date the clock of n started, in Location.
func clockDay(n *onedoor.Case, cal *calendar.Calendar) (time.Time, bool) {
	start, ok := ClockStart(*n, cal)
	if !ok {
		return time.Time{}, false
	}
	y, mo, d := start.In(calendar.Location).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, calendar.Location), true
}

// recompute derives the due dates of n from the date its clock started,
// limits and paused days. A step's clock starts with the step, but never
// before the case's. Negative limits in a broken matter count as zero, so
// a due date is never before the date it counts from.
func recompute(n *onedoor.Case, m *onedoor.Matter, cal *calendar.Calendar) error {
	start, ok := clockDay(n, cal)
	if !ok {
		return nil
	}
	n.Due = day(cal.AddWorkdays(start, max(0, m.PromisedLimit+n.ExtendedDays+n.PausedDays)))
	if n.Step >= 0 && n.Step < len(m.Steps) && n.StepStarted != "" {
		started, err := date(n, "step_started", n.StepStarted)
		if err != nil {
			return err
		}
		if start.After(started) {
			started = start
		}
		n.StepDue = day(cal.AddWorkdays(started, max(0, m.Steps[n.Step].Limit+n.StepPaused)))
	}
	return nil
}
