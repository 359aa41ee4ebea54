package workflow_test

import (
	"reflect"
	"testing"

	"onedoor"
	"onedoor/workflow"
)

// onTheSpot is a same-day matter (即办件): promised 0 working days, one
// step done on the spot.
func onTheSpot() *onedoor.Matter {
	m := allowance()
	m.Code, m.Version, m.PromisedLimit, m.StatutoryLimit = "440604-MZ-0102", 1, 0, 5
	m.Steps = []onedoor.Step{{Code: "review", Name: onedoor.Text{Zh: "审查", En: "Review"}, Role: onedoor.RoleOfficer, Department: "civil"}}
	return m
}

// fiveDays is a five-day matter whose first step has two.
func fiveDays() *onedoor.Matter {
	m := allowance()
	m.Code, m.Version, m.PromisedLimit = "440604-MZ-0103", 1, 5
	return m
}

// TestClockOfficeHours: an application that arrives outside office hours
// (09:00–12:00, 13:30–17:30 on working days) is received when the next
// working period opens, and its limits run from then, whatever the limit
// and whoever takes it. The case and its event keep the true arrival.
//
// March 2026: Mon 2 … Fri 6, weekend 7–8, Mon 9 … Fri 13, weekend, Mon 16.
// February 2026: Saturday 14 worked (调休), Spring Festival 15–23 off.
func TestClockOfficeHours(t *testing.T) {
	for _, tc := range []struct {
		name         string
		matter       *onedoor.Matter
		channel      string
		at           string
		due, stepDue string
	}{
		{"same-day, online in office hours", onTheSpot(), workflow.Online, "2026-03-02 10:00", "2026-03-02", "2026-03-02"},
		{"same-day, online before opening", onTheSpot(), workflow.Online, "2026-03-02 07:10", "2026-03-02", "2026-03-02"},
		{"same-day, online over lunch", onTheSpot(), workflow.Online, "2026-03-02 12:40", "2026-03-02", "2026-03-02"},
		{"same-day, online on Monday evening", onTheSpot(), workflow.Online, "2026-03-02 20:00", "2026-03-03", "2026-03-03"},
		{"same-day, online at closing time", onTheSpot(), workflow.Online, "2026-03-02 17:30", "2026-03-03", "2026-03-03"},
		{"same-day, online on Friday night", onTheSpot(), workflow.Online, "2026-03-06 22:00", "2026-03-09", "2026-03-09"},
		{"same-day, online on Saturday", onTheSpot(), workflow.Online, "2026-03-07 10:00", "2026-03-09", "2026-03-09"},
		{"same-day, a clerk working late on Friday", onTheSpot(), workflow.Counter, "2026-03-06 18:00", "2026-03-09", "2026-03-09"},
		{"same-day, worked Saturday evening before the Spring Festival", onTheSpot(), workflow.Online, "2026-02-14 20:00", "2026-02-24", "2026-02-24"},
		{"same-day, during the Spring Festival", onTheSpot(), workflow.Online, "2026-02-18 10:00", "2026-02-24", "2026-02-24"},
		{"five days, Monday in office hours", fiveDays(), workflow.Online, "2026-03-09 10:00", "2026-03-16", "2026-03-11"},
		{"five days, Saturday counts from Monday", fiveDays(), workflow.Online, "2026-03-07 10:00", "2026-03-16", "2026-03-11"},
		{"five days, Monday evening counts from Tuesday", fiveDays(), workflow.Online, "2026-03-02 18:00", "2026-03-10", "2026-03-05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := complete(tc.at)
			in.Matter, in.Channel = tc.matter, tc.channel
			if tc.channel == workflow.Online {
				in.Actor = nobody
			}
			c, ev, err := workflow.Intake(in, cal)
			if err != nil {
				t.Fatal(err)
			}
			arrival := at(tc.at).UTC()
			if c.Due != tc.due || c.StepDue != tc.stepDue {
				t.Errorf("due %s, step due %s; want %s, %s", c.Due, c.StepDue, tc.due, tc.stepDue)
			}
			if !c.ReceivedAt.Equal(arrival) || c.AcceptedAt == nil || !c.AcceptedAt.Equal(arrival) || !ev.At.Equal(arrival) || !ev.Command.At.Equal(arrival) {
				t.Errorf("received %s, accepted %v, event at %s: the true arrival %s must be kept", c.ReceivedAt, c.AcceptedAt, ev.At, arrival)
			}
			start, ok := workflow.ClockStart(c, cal)
			if !ok || start.Before(arrival) || !cal.IsOpen(start) {
				t.Errorf("clock start %s (%v) for an arrival at %s", start, ok, arrival)
			}
			c.ID = 7
			ev.CaseID = 7
			replayed, err := workflow.Replay(tc.matter, []onedoor.Event{ev}, cal)
			if err != nil || !reflect.DeepEqual(replayed, c) {
				t.Errorf("replay: %v\n got %+v\nwant %+v", err, replayed, c)
			}
		})
	}
}

// TestClockOfficeHoursAtSupply: a case accepted when its last material is
// handed in on the portal on a Saturday counts from Monday.
func TestClockOfficeHoursAtSupply(t *testing.T) {
	c := mustIntake(t, without(complete("2026-03-06 10:00"), "income")) // Friday, received
	if c.Status != onedoor.StatusReceived || c.Due != "" {
		t.Fatalf("status %s, due %q", c.Status, c.Due)
	}
	c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, system, "2026-03-07 11:00"), "income"))
	// 10 working days after Monday 9 March: 10–13, 16–20, 23.
	if c.Status != onedoor.StatusInProgress || c.Due != "2026-03-23" || c.StepStarted != "2026-03-07" || c.StepDue != "2026-03-11" {
		t.Errorf("status %s, due %s, step started %s and due %s; want in progress, due 2026-03-23, step due 2026-03-11",
			c.Status, c.Due, c.StepStarted, c.StepDue)
	}
	if !c.AcceptedAt.Equal(at("2026-03-07 11:00")) {
		t.Errorf("accepted at %s, not the true instant", c.AcceptedAt)
	}
}

// TestClockOfficeHoursTolerated: a material under commitment is due by the
// promised date counted from the next working period.
func TestClockOfficeHoursTolerated(t *testing.T) {
	in := without(complete("2026-03-07 10:00"), "photo")
	in.Matter = fiveDays()
	in.Tolerate, in.Commitment = true, "I will bring the photo."
	c := mustIntake(t, in)
	if c.Due != "2026-03-16" || material(c, "photo").Due != "2026-03-16" {
		t.Errorf("due %s, photo due %s; want 2026-03-16 for both", c.Due, material(c, "photo").Due)
	}
}

// TestClockOfficeHoursPauseBeforeStart: a special first step pauses the
// clock from acceptance; a case accepted on Saturday gets the same dates as
// one accepted on Monday morning, because the working days before its clock
// started were never on it.
func TestClockOfficeHoursPauseBeforeStart(t *testing.T) {
	run := func(when string) onedoor.Case {
		t.Helper()
		in := complete(when)
		in.Matter.Steps[0].Special = true
		in.Channel, in.Actor = workflow.Online, nobody
		c, _, err := workflow.Intake(in, cal)
		if err != nil {
			t.Fatal(err)
		}
		m := allowance()
		m.Steps[0].Special = true
		n, _, err := workflow.Apply(c, m, command(onedoor.ActionApprove, civilOfficer, "2026-03-11 10:00"), cal)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sat, mon := run("2026-03-07 10:00"), run("2026-03-09 10:00")
	// Paused (Mon 9, Wed 11]: 2 days; 12 working days after Monday 9 March.
	if sat.PausedDays != 2 || sat.Due != "2026-03-25" || sat.Due != mon.Due || sat.PausedDays != mon.PausedDays {
		t.Errorf("Saturday: %d paused, due %s; Monday: %d paused, due %s; want 2 and 2026-03-25 for both",
			sat.PausedDays, sat.Due, mon.PausedDays, mon.Due)
	}
}

// TestClockRuleIsKept: a case keeps the clock rule it was accepted under.
// One recorded before office hours were kept (its intake names no rule)
// replays to the date it was promised then — the day it arrived — however
// late it arrived, so no receipt already handed out is contradicted.
func TestClockRuleIsKept(t *testing.T) {
	in := complete("2026-03-06 22:00") // Friday night
	in.Matter, in.Channel, in.Actor = onTheSpot(), workflow.Online, nobody
	c, ev, err := workflow.Intake(in, cal)
	if err != nil {
		t.Fatal(err)
	}
	if c.Clock != onedoor.ClockOffice || ev.Command.Intake.Clock != onedoor.ClockOffice || c.Due != "2026-03-09" {
		t.Fatalf("a new case: clock %q (recorded %q), due %s", c.Clock, ev.Command.Intake.Clock, c.Due)
	}
	old := ev
	rec := *ev.Command.Intake
	rec.Clock = ""
	old.Command.Intake, old.StateHash, old.CaseID = &rec, "", 7
	legacy, err := workflow.Replay(onTheSpot(), []onedoor.Event{old}, cal)
	if err != nil {
		t.Fatal(err)
	}
	if legacy.Clock != "" || legacy.Due != "2026-03-06" {
		t.Fatalf("a case of the earlier rule: clock %q, due %s; want the day it arrived", legacy.Clock, legacy.Due)
	}
	rec.Clock = "lunar"
	if _, err := workflow.Replay(onTheSpot(), []onedoor.Event{old}, cal); err == nil {
		t.Fatal("an unknown clock rule was replayed")
	}
}
