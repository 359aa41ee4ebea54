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

// recompute derives the due dates of n from its accepted date, limits and
// paused days. Negative limits in a broken matter count as zero, so a due
// date is never before the date it counts from.
func recompute(n *onedoor.Case, m *onedoor.Matter, cal *calendar.Calendar) error {
	if n.AcceptedAt == nil {
		return nil
	}
	n.Due = day(cal.AddWorkdays(*n.AcceptedAt, max(0, m.PromisedLimit+n.ExtendedDays+n.PausedDays)))
	if n.Step >= 0 && n.Step < len(m.Steps) && n.StepStarted != "" {
		started, err := date(n, "step_started", n.StepStarted)
		if err != nil {
			return err
		}
		n.StepDue = day(cal.AddWorkdays(started, max(0, m.Steps[n.Step].Limit+n.StepPaused)))
	}
	return nil
}
