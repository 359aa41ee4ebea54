package workflow_test

import (
	"testing"

	"onedoor"
	"onedoor/workflow"
)

// TestSpringFestival2026Calendar pins the calendar facts the dates below were
// worked out from, by hand, with the State Council's notice of 2025-11-04:
// Spring Festival off 15–23 February 2026, Saturdays 14 and 28 February
// worked (调休).
func TestSpringFestival2026Calendar(t *testing.T) {
	for d, work := range map[string]bool{
		"2026-02-13": true, "2026-02-14": true, // Fri; Sat worked
		"2026-02-15": false, "2026-02-16": false, "2026-02-17": false, "2026-02-18": false, "2026-02-19": false,
		"2026-02-20": false, "2026-02-21": false, "2026-02-22": false, "2026-02-23": false,
		"2026-02-24": true, "2026-02-27": true, "2026-02-28": true, // Tue; Fri; Sat worked
		"2026-03-01": false, "2026-03-02": true, "2026-03-07": false, "2026-03-08": false, // Sun; Mon; weekend
	} {
		if got := cal.IsWorkday(at(d + " 12:00")); got != work {
			t.Errorf("%s: working day %v, want %v", d, got, work)
		}
	}
}

// TestHappyPath follows a case through all three steps across the Spring
// Festival 2026: a supplement pause over the holiday, a special step (during
// which a suspension does not count twice), an extension, completion and
// delivery by post. Every date is written out as worked by hand.
//
// Working days after Tue 10 Feb: 11, 12, 13, Sat 14, 24, 25, 26, 27, Sat 28
// Feb, then 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17 Mar…
func TestHappyPath(t *testing.T) {
	m := allowance()
	type clock struct {
		status                        onedoor.Status
		step                          int
		due, stepStarted, stepDue     string
		pausedSince                   string
		pausedDays, stepPaused, extra int
	}
	check := func(t *testing.T, c onedoor.Case, want clock) {
		t.Helper()
		got := clock{c.Status, c.Step, c.Due, c.StepStarted, c.StepDue, c.PausedSince, c.PausedDays, c.StepPaused, c.ExtendedDays}
		if got != want {
			t.Errorf("\n got %+v\nwant %+v", got, want)
		}
	}

	// Accepted Tue 10 Feb: 10 working days → Mon 2 Mar; review (2) → Thu 12 Feb.
	in := complete("2026-02-10 10:00")
	in.Delivery = onedoor.ChannelPost
	c := mustIntake(t, in)
	check(t, c, clock{onedoor.StatusInProgress, 0, "2026-03-02", "2026-02-10", "2026-02-12", "", 0, 0, 0})

	// Thu 12 Feb: the reviewer asks for a signed lease; the clock stops.
	c = mustApply(t, c, withMaterials(withReason(command(onedoor.ActionRequestSupplement, civilOfficer, "2026-02-12 15:00"), "The lease is not signed."), "lease"))
	check(t, c, clock{onedoor.StatusSupplement, 0, "2026-03-02", "2026-02-10", "2026-02-12", "2026-02-12", 0, 0, 0})
	if c.Awaiting[0] != "lease" || states(c)["lease"] != onedoor.MaterialMissing {
		t.Fatalf("awaiting %q, lease %s", c.Awaiting, states(c)["lease"])
	}

	// Wed 25 Feb, after the holiday: the lease is handed in. Paused working
	// days in (12 Feb, 25 Feb]: 13, Sat 14, 24, 25 = 4. Due: 14 working days
	// after 10 Feb → Fri 6 Mar; review: 2+4 = 6 → Wed 25 Feb.
	c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, clerk, "2026-02-25 09:30"), "lease"))
	check(t, c, clock{onedoor.StatusInProgress, 0, "2026-03-06", "2026-02-10", "2026-02-25", "", 4, 4, 0})

	// Thu 26 Feb: review approved; the special expert review starts and the
	// case clock stops. Expert review (5): 27, Sat 28, 2, 3, 4 → Wed 4 Mar.
	c = mustApply(t, c, command(onedoor.ActionApprove, civilOfficer, "2026-02-26 11:00"))
	check(t, c, clock{onedoor.StatusInProgress, 1, "2026-03-06", "2026-02-26", "2026-03-04", "2026-02-26", 4, 0, 0})

	// Mon 2 Mar – Tue 3 Mar: a hearing suspends the case. The clock is
	// already stopped by the special step; nothing is counted twice.
	c = mustApply(t, c, withReason(command(onedoor.ActionSuspend, housingOfficer, "2026-03-02 09:00"), "A hearing is held."))
	check(t, c, clock{onedoor.StatusSuspended, 1, "2026-03-06", "2026-02-26", "2026-03-04", "2026-02-26", 4, 0, 0})
	c = mustApply(t, c, command(onedoor.ActionResume, housingOfficer, "2026-03-03 17:00"))
	check(t, c, clock{onedoor.StatusInProgress, 1, "2026-03-06", "2026-02-26", "2026-03-04", "2026-02-26", 4, 0, 0})

	// Wed 4 Mar: expert review approved. Paused in (26 Feb, 4 Mar]: 27,
	// Sat 28, 2, 3, 4 = 5, so 9 in all. Due: 19 working days after 10 Feb →
	// Fri 13 Mar. Decide (3): 5, 6, 9 → Mon 9 Mar.
	c = mustApply(t, c, command(onedoor.ActionApprove, housingOfficer, "2026-03-04 16:00"))
	check(t, c, clock{onedoor.StatusInProgress, 2, "2026-03-13", "2026-03-04", "2026-03-09", "", 9, 0, 0})

	// Thu 5 Mar: the civil affairs leader extends by 2 days: 21 working days
	// after 10 Feb → Tue 17 Mar. The step's own limit does not move.
	ext := withReason(command(onedoor.ActionExtend, civilLeader, "2026-03-05 10:00"), "The expert opinion needs a second reading.")
	ext.Days = 2
	c = mustApply(t, c, ext)
	check(t, c, clock{onedoor.StatusInProgress, 2, "2026-03-17", "2026-03-04", "2026-03-09", "", 9, 0, 2})

	// Mon 9 Mar: decided; issued; Tue 10 Mar: posted.
	c = mustApply(t, c, command(onedoor.ActionApprove, civilLeader, "2026-03-09 10:00"))
	check(t, c, clock{onedoor.StatusApproved, 3, "2026-03-17", "", "", "", 9, 0, 2})
	done := command(onedoor.ActionComplete, civilOfficer, "2026-03-09 15:00")
	done.Licence = "YL-2026-000123"
	c = mustApply(t, c, done)
	check(t, c, clock{onedoor.StatusCompleted, 3, "2026-03-17", "", "", "", 9, 0, 2})
	post := command(onedoor.ActionDeliver, clerk, "2026-03-10 09:00")
	post.Channel, post.TrackingNo = onedoor.ChannelPost, " SF1234567890 "
	c, ev, err := workflow.Apply(c, m, post, cal)
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, clock{onedoor.StatusDelivered, 3, "2026-03-17", "", "", "", 9, 0, 2})
	if c.Licence != "YL-2026-000123" || c.TrackingNo != "SF1234567890" || ev.Command.TrackingNo != "SF1234567890" {
		t.Errorf("licence %q tracking %q", c.Licence, c.TrackingNo)
	}
	if c.ClosedAt == nil || !c.ClosedAt.Equal(at("2026-03-10 09:00")) || c.Version != 11 {
		t.Errorf("closed %v version %d", c.ClosedAt, c.Version)
	}
	if got := workflow.Allowed(c, m, clerk); len(got) != 0 {
		t.Errorf("a delivered case allows %v", got)
	}
}

// TestReturnAndReject: a return restarts the previous step today; a
// rejection during a pause closes the pause and the case.
func TestReturnAndReject(t *testing.T) {
	// Mon 2 Feb accepted; Tue 3 Feb to the special step (paused from 3 Feb).
	c := atExpert(t)
	if c.PausedSince != "2026-02-03" || c.StepDue != "2026-02-10" {
		t.Fatalf("paused since %q, step due %s", c.PausedSince, c.StepDue)
	}
	// Thu 5 Feb: returned to review. Pause (3 Feb, 5 Feb] = 2 days; review
	// restarts: 2 working days → Mon 9 Feb. Due: 12 working days after 2
	// Feb: 3–6, 9–13, Sat 14, then past the holiday 24, 25 → Wed 25 Feb.
	c = mustApply(t, c, withReason(command(onedoor.ActionReturn, housingOfficer, "2026-02-05 10:00"), "The review missed the income test."))
	if c.Step != 0 || c.StepStarted != "2026-02-05" || c.StepDue != "2026-02-09" || c.PausedSince != "" || c.PausedDays != 2 || c.StepPaused != 0 || c.Due != "2026-02-25" {
		t.Fatalf("after return: step %d started %s due %s, paused %q/%d/%d, case due %s",
			c.Step, c.StepStarted, c.StepDue, c.PausedSince, c.PausedDays, c.StepPaused, c.Due)
	}
	// Fri 6 Feb supplement; Tue 10 Feb rejected: (6, 10] = 9, 10 = 2 days,
	// counted for the case and for the review step that was going on.
	c = mustApply(t, c, withMaterials(withReason(command(onedoor.ActionRequestSupplement, civilOfficer, "2026-02-06 10:00"), "Income proof unreadable."), "income"))
	c = mustApply(t, c, withReason(command(onedoor.ActionReject, civilOfficer, "2026-02-10 10:00"), "No income proof was handed in."))
	if c.Status != onedoor.StatusRejected || c.ClosedAt == nil || c.PausedSince != "" || c.PausedDays != 4 || c.StepPaused != 2 || c.StepDue != "2026-02-11" {
		t.Errorf("after reject: %s closed %v paused %q/%d/%d step due %s", c.Status, c.ClosedAt, c.PausedSince, c.PausedDays, c.StepPaused, c.StepDue)
	}
}

// TestRejectDuringSpecialStep: the pause of a special step ends with the
// case, counted for the case only; the special step's own limit ran all
// along.
func TestRejectDuringSpecialStep(t *testing.T) {
	c := atExpert(t) // special step from Tue 3 Feb, due Tue 10 Feb
	c = mustApply(t, c, withReason(command(onedoor.ActionSuspend, housingOfficer, "2026-02-04 10:00"), "A hearing is held."))
	c = mustApply(t, c, withReason(command(onedoor.ActionReject, housingOfficer, "2026-02-06 10:00"), "The hearing found the applicant ineligible."))
	// Paused in (3 Feb, 6 Feb]: 4, 5, 6 = 3 working days; due 13 after 2 Feb.
	if c.PausedSince != "" || c.PausedDays != 3 || c.StepPaused != 0 || c.StepDue != "2026-02-10" || c.Due != "2026-02-26" {
		t.Errorf("paused %q/%d/%d, step due %s, due %s", c.PausedSince, c.PausedDays, c.StepPaused, c.StepDue, c.Due)
	}
}
