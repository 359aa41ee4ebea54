package sqldb_test

import (
	"context"
	"testing"

	"onedoor"
	"onedoor/sqldb"
	"onedoor/supervise"
)

// TestOfficeHoursClock: a same-day matter (即办件, CULT-010) applied for on
// the portal on Friday night is received on Monday morning: the receipt
// promises Monday, supervision issues nothing on Monday, and the case is
// on time when done then. One taken by a clerk working late on Friday and
// a five-day one (EMERG-010) applied for on Saturday count from Monday too. The case and its
// event keep the true arrival, and verify agrees with the stored dates.
func TestOfficeHoursClock(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		applicant := onedoor.Actor{Name: "申请人"}

		e.clock.Set("2026-03-06 18:10") // Friday: a clerk working late
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "CULT-010", Applicant: person("林晓", "19900312", 31), Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		if late := rc.Cases[0]; late.Due != "2026-03-09" {
			t.Errorf("at the window after closing: due %s; want 2026-03-09", late.Due)
		}

		e.clock.Set("2026-03-06 22:00") // Friday night, on the portal
		friday := e.clock.Now()
		rc, err = e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "CULT-010", Applicant: person("林晓", "19900312", 31),
			Channel: "online", Actor: applicant})
		if err != nil {
			t.Fatal(err)
		}
		online := rc.Cases[0]
		if online.Status != onedoor.StatusInProgress || online.Due != "2026-03-09" {
			t.Fatalf("online on Friday night: %s, due %s; want in progress, due Monday 2026-03-09", online.Status, online.Due)
		}

		e.clock.Set("2026-03-07 10:00") // Saturday: EMERG-010 promises 5 working days
		rc, err = e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("周大勇", "19700405", 21),
			Materials: []string{"application", "damage_proof"}, Channel: "online", Actor: applicant})
		if err != nil {
			t.Fatal(err)
		}
		if sat := rc.Cases[0]; sat.Due != "2026-03-16" {
			t.Errorf("five days on Saturday: due %s; want 2026-03-16, five working days after Monday", sat.Due)
		}

		c, err := e.db.FindCase(ctx, online.Number)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := e.db.Events(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.ReceivedAt.Equal(friday) || !c.AcceptedAt.Equal(friday) || len(evs) != 1 || !evs[0].At.Equal(friday) {
			t.Errorf("received %s, accepted %s, intake event at %v: the true arrival %s must be kept", c.ReceivedAt, c.AcceptedAt, evs, friday)
		}

		// Monday afternoon, not done yet: no card for any of them.
		e.clock.Set("2026-03-09 16:00")
		cards, err := e.db.Supervise(ctx, supervise.Default())
		if err != nil {
			t.Fatal(err)
		}
		for _, card := range cards {
			t.Errorf("Monday: card %s/%s on %s (%s)", card.Rule, card.Level, card.CaseNumber, card.Detail.En)
		}

		// Done on Monday: on time.
		e.clock.Set("2026-03-09 16:10")
		finish(t, e, online.Number)
		done, err := e.db.FindCase(ctx, online.Number)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != onedoor.StatusCompleted || done.Due != "2026-03-09" {
			t.Errorf("completed on Monday: %s, due %s", done.Status, done.Due)
		}

		var vs []sqldb.Violation
		if _, err := e.db.Verify(ctx, func(v sqldb.Violation) { vs = append(vs, v) }); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Errorf("verify: %s", v)
		}
	})
}
