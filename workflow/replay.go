package workflow

import (
	"fmt"
	"slices"
	"strings"

	"onedoor"
	"onedoor/calendar"
)

// Replay rebuilds a case from its events, oldest first: the first must be
// the intake, whose Command.Intake is the decision it made; every later
// event's command is applied in turn. After each event the rebuilt case must
// have the event's version and status, and its state hash when the event
// carries one; otherwise the error names the event. The case ID is the first
// event's CaseID. A nil calendar means calendar.Official().
//
// The audit uses it to prove that the recorded case is what its commands
// produce, and that the events were not edited afterwards.
func Replay(m *onedoor.Matter, events []onedoor.Event, cal *calendar.Calendar) (onedoor.Case, error) {
	if cal == nil {
		cal = calendar.Official()
	}
	if len(events) == 0 {
		return onedoor.Case{}, onedoor.FieldErrorf("events", "There are no events to replay.")
	}
	first := events[0]
	if first.Type != onedoor.ActionIntake || first.Command.Action != onedoor.ActionIntake || first.Command.Intake == nil {
		return onedoor.Case{}, replayError(1, first, "the first event must be an intake carrying its decision, not %q", first.Type)
	}
	rec := *first.Command.Intake
	at, err := instant(first.Command.At)
	if err != nil {
		return onedoor.Case{}, replayError(1, first, "%s", onedoor.ErrorMessage(err))
	}
	if rec.Number != first.CaseNumber {
		return onedoor.Case{}, replayError(1, first, "the intake is for case %q, the event for case %q", rec.Number, first.CaseNumber)
	}
	c, err := open(rec, m, first.Command.Actor, at, cal)
	if err != nil {
		return onedoor.Case{}, replayError(1, first, "%s", onedoor.ErrorMessage(err))
	}
	if !slices.Equal(c.Materials, rec.Materials) {
		return onedoor.Case{}, replayError(1, first, "the recorded materials are not those the intake decision gives")
	}
	c.ID = first.CaseID
	if err := matches(c, first); err != nil {
		return onedoor.Case{}, replayError(1, first, "%s", err)
	}
	for i, e := range events[1:] {
		if e.Type != e.Command.Action {
			return onedoor.Case{}, replayError(i+2, e, "the event is of type %q but its command is %q", e.Type, e.Command.Action)
		}
		if e.CaseNumber != c.Number {
			return onedoor.Case{}, replayError(i+2, e, "the event belongs to case %q, not %q", e.CaseNumber, c.Number)
		}
		n, _, err := Apply(c, m, e.Command, cal)
		if err != nil {
			return onedoor.Case{}, replayError(i+2, e, "%s", onedoor.ErrorMessage(err))
		}
		if err := matches(n, e); err != nil {
			return onedoor.Case{}, replayError(i+2, e, "%s", err)
		}
		c = n
	}
	return c, nil
}

// matches checks the rebuilt case against what the event recorded.
func matches(c onedoor.Case, e onedoor.Event) error {
	switch {
	case c.Version != e.Version:
		return fmt.Errorf("it gives version %d, the event records %d", c.Version, e.Version)
	case c.Status != e.Status:
		return fmt.Errorf("it gives status %q, the event records %q", c.Status, e.Status)
	case e.StateHash != "" && c.StateHash() != e.StateHash:
		return fmt.Errorf("the rebuilt state does not have the hash the event records")
	}
	return nil
}

// replayError names the event (its position, sequence number and type) that
// did not replay, and why.
func replayError(pos int, e onedoor.Event, format string, args ...any) error {
	why := strings.TrimSuffix(fmt.Sprintf(format, args...), ".")
	return onedoor.Errorf(onedoor.ECONFLICT, "Case %s does not replay at event %d (seq %d, %s, version %d): %s.",
		e.CaseNumber, pos, e.Seq, e.Type, e.Version, why)
}
