package sqldb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/outbox"
	"onedoor/sqldb"
	"onedoor/supervise"
)

// TestSupervisionAcrossNationalDay accepts a case of EMERG-010 (a 3-day
// street review, 5 working days promised) on Monday 2026-09-28, walks the
// clock day by day across the National Day holiday (1–7 October off,
// Saturday 10 October a working day) and checks that each warning, yellow
// and red card appears on exactly its working day, once, with the officer's
// and the leaders' notifications in the outbox.
func TestSupervisionAcrossNationalDay(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("周大勇", "19700405", 21),
			Materials: []string{"application", "damage_proof"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		c, err := db.FindCase(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if c.Due != "2026-10-10" || c.StepDue != "2026-10-08" {
			t.Fatalf("due %s / step due %s; want 2026-10-10 (the working Saturday) / 2026-10-08", c.Due, c.StepDue)
		}
		rules := supervise.Default()
		// Each day: the cards that must be new that day, as rule/level.
		days := []struct {
			day  string
			want []string
		}{
			{"2026-09-29", nil},
			{"2026-09-30", nil},
			{"2026-10-01", nil}, // holiday: no clock moves
			{"2026-10-04", nil},
			{"2026-10-07", nil},
			{"2026-10-08", []string{"step_limit/warning"}}, // 3 of 3 step days used
			{"2026-10-09", []string{"case_limit/warning", "step_limit/yellow"}},
			{"2026-10-10", nil}, // working Saturday: the case is due today, not over
			{"2026-10-11", nil}, // Sunday
			{"2026-10-12", []string{"case_limit/yellow", "step_limit/red"}},
			{"2026-10-13", nil},
			{"2026-10-14", []string{"case_limit/red"}},
			{"2026-10-15", nil},
		}
		for _, d := range days {
			e.clock.Set(d.day + " 08:30")
			cards, err := db.Supervise(ctx, rules)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cards {
				got = append(got, c.Rule+"/"+string(c.Level))
				if c.IssuedOn != d.day || c.Department != "street" && c.Rule == supervise.RuleStepLimit {
					t.Errorf("%s: card %+v", d.day, c)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, d.want) {
				t.Errorf("%s: new cards %v; want %v", d.day, got, d.want)
			}
		}
		all, err := db.FindCards(ctx, sqldb.CardFilter{CaseNumber: number})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 6 {
			t.Fatalf("%d cards in all; want 6", len(all))
		}
		// The case-level cards go to the department of the current step:
		// the street office still holds it.
		for _, c := range all {
			if c.Department != "street" {
				t.Errorf("card %s/%s is for %s; want street", c.Rule, c.Level, c.Department)
			}
		}
		msgs, err := db.Outbox().Messages(ctx, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		var toOfficers, toLeaders int
		for _, m := range msgs {
			if m.Topic != "card.issued" {
				continue
			}
			var body map[string]any
			json.Unmarshal(m.Body, &body)
			if body["case"] != number {
				t.Errorf("notification names %v, not the case", body["case"])
			}
			switch m.Recipient {
			case "officers:street":
				toOfficers++
			case "leaders:street":
				toLeaders++
			default:
				t.Errorf("card notification to %q", m.Recipient)
			}
		}
		if toOfficers != 6 || toLeaders != 6 {
			t.Errorf("notifications: %d to officers, %d to leaders; want 6 each", toOfficers, toLeaders)
		}
		if err := db.VerifySupervisionLog(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSupervisionPauseAndOfficer: a case paused for materials earns no card
// while paused; once an officer has acted, the card names that officer and
// the notification goes to them.
func TestSupervisionPauseAndOfficer(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("吴桂芳", "19620811", 22),
			Materials: []string{"application", "damage_proof"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		e.clock.Set("2026-09-29 10:00")
		if _, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionRequestSupplement, Actor: officer("street"),
			Reason: "受灾证明不清晰", Materials: []string{"damage_proof"}}); err != nil {
			t.Fatal(err)
		}
		// Two weeks of waiting for the applicant: no card.
		for _, d := range []string{"2026-10-09", "2026-10-12", "2026-10-16"} {
			e.clock.Set(d + " 09:00")
			cards, err := db.Supervise(ctx, supervise.Default())
			if err != nil {
				t.Fatal(err)
			}
			if len(cards) != 0 {
				t.Fatalf("%s: paused case got cards %+v", d, cards)
			}
		}
		// Materials in on Monday 19 October: 13 working days paused
		// (30 Sep, 8–16 Oct, 19 Oct…); the step has 1 of 3 days used.
		e.clock.Set("2026-10-19 09:00")
		c, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionSupply, Actor: clerk, Materials: []string{"damage_proof"}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set("2026-10-20 09:00")
		if cards, _ := db.Supervise(ctx, supervise.Default()); len(cards) != 0 {
			t.Fatalf("the day after the supply (step due %s): cards %+v", c.StepDue, cards)
		}
		e.clock.Set("2026-10-21 09:00") // 3 of 3 step days
		cards, err := db.Supervise(ctx, supervise.Default())
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 1 || cards[0].Level != supervise.Warning || cards[0].OfficerID != 2 {
			t.Fatalf("cards %+v; want one step warning for officer 2", cards)
		}
		msgs, _ := db.Outbox().Messages(ctx, "", 20)
		if !slices.ContainsFunc(msgs, func(m outboxMsg) bool { return m.Topic == "card.issued" && m.Recipient == "staff:2" }) {
			t.Fatalf("no card notification to staff:2 in %v", recipients(msgs))
		}
	})
}

// TestCardLifecycle: a card is explained by its department, not another;
// closed only by a supervisor and only after the explanation; each change
// logged and notified; the log detects tampering.
func TestCardLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("郑秀兰", "19580101", 23),
			Materials: []string{"application", "damage_proof"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Set("2026-10-12 09:00")
		cards, err := db.Supervise(ctx, supervise.Default())
		if err != nil || len(cards) != 2 {
			t.Fatalf("cards %v, %v; want a step red and a case yellow", cards, err)
		}
		id := cards[0].ID
		sup := onedoor.Actor{StaffID: 9, Name: "监察员", Role: onedoor.RoleSupervisor}
		_, err = db.CloseCard(ctx, id, sup, "已核实")
		wantCode(t, err, onedoor.ECONFLICT, "not been explained")
		_, err = db.ExplainCard(ctx, id, officer("civil"), "不是我们")
		wantCode(t, err, onedoor.EFORBIDDEN, "street")
		_, err = db.ExplainCard(ctx, id, officer("street"), "  ")
		wantCode(t, err, onedoor.EINVALID, "explanation")
		c, err := db.ExplainCard(ctx, id, officer("street"), "现场核查受灾情况耗时较长")
		if err != nil || c.Status != sqldb.CardExplained {
			t.Fatalf("explain: %+v %v", c, err)
		}
		_, err = db.CloseCard(ctx, id, officer("street"), "自己关闭")
		wantCode(t, err, onedoor.EFORBIDDEN, "supervisor")
		if c, err = db.CloseCard(ctx, id, sup, "情况属实，督促加快办理"); err != nil || c.Status != sqldb.CardClosed || c.ClosedBy != "监察员" {
			t.Fatalf("close: %+v %v", c, err)
		}
		log, err := db.SupervisionLog(ctx, "card", id)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, l := range log {
			actions = append(actions, l.Action)
		}
		if strings.Join(actions, ",") != "issued,explained,closed" {
			t.Fatalf("log %v", actions)
		}
		msgs, _ := db.Outbox().Messages(ctx, "", 50)
		var topics []string
		for _, m := range msgs {
			if strings.HasPrefix(m.Topic, "card.") && m.Recipient == "leaders:street" {
				topics = append(topics, m.Topic)
			}
		}
		if !slices.Contains(topics, "card.explained") || !slices.Contains(topics, "card.closed") {
			t.Fatalf("leaders were told %v", topics)
		}
		if err := db.VerifySupervisionLog(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RawWrite().Exec(`UPDATE supervision_log SET body = '{}' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		if err := db.VerifySupervisionLog(ctx); err == nil || !strings.Contains(err.Error(), "entry 2") {
			t.Fatalf("tampered log: %v", err)
		}
		_ = rc
	})
}

// TestConductCards: a refusal whose reason says nothing and a fee the
// catalog does not list each earn a card at once.
func TestConductCards(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("冯国强", "19750505", 24),
			Materials: []string{"application", "damage_proof"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		if _, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionReject, Actor: officer("street"), Reason: "不符"}); err != nil {
			t.Fatal(err)
		}
		cards, err := db.Supervise(ctx, supervise.Default())
		if err != nil || len(cards) != 1 || cards[0].Rule != supervise.RuleRejectReason || cards[0].Level != supervise.Yellow || cards[0].OfficerID != 2 {
			t.Fatalf("cards %+v %v; want one reject_reason yellow card for officer 2", cards, err)
		}
		if again, _ := db.Supervise(ctx, supervise.Default()); len(again) != 0 {
			t.Fatalf("issued again: %+v", again)
		}
		card, err := db.IssueFeeCard(ctx, supervise.Default(), number, "cert_fee", 2000, officer("street"))
		if err != nil || card == nil || card.Level != supervise.Red || card.Rule != supervise.RuleUnlistedFee {
			t.Fatalf("fee card %+v %v", card, err)
		}
		// ARCH-002 requires age 45 or more; intake checked it. Refusing a
		// 56-year-old as "not eligible" is refusing an eligible applicant.
		rc, err = db.Intake(ctx, onedoor.IntakeRequest{Matter: "ARCH-002", Applicant: person("冯国强", "19700505", 25),
			Materials: []string{"request"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionReject, Actor: officer("archives"), Reason: "经审查，申请人不符合条件"}); err != nil {
			t.Fatal(err)
		}
		cards, err = db.Supervise(ctx, supervise.Default())
		if err != nil || len(cards) != 1 || cards[0].Rule != supervise.RuleRefusedEligible || cards[0].Level != supervise.Red || cards[0].Department != "archives" {
			t.Fatalf("cards %+v %v; want one refused_eligible red card for archives", cards, err)
		}
		if !strings.Contains(cards[0].Detail.Zh, "通过事项条件核验") {
			t.Errorf("detail %q", cards[0].Detail.Zh)
		}
	})
}

type outboxMsg = outbox.Message

func recipients(ms []outboxMsg) string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s→%s", m.Topic, m.Recipient))
	}
	return strings.Join(out, " ")
}

// finishEmerg takes an EMERG-010 case from intake on 2026-09-28 to delivery
// on the given day.
func finishEmerg(t *testing.T, e *env, name string, seq int, done string) string {
	t.Helper()
	return finishEmergFrom(t, e, name, seq, "2026-09-28 09:00", done)
}

// finishEmergFrom is finishEmerg with the time of intake.
func finishEmergFrom(t *testing.T, e *env, name string, seq int, from, done string) string {
	t.Helper()
	ctx := context.Background()
	e.clock.Set(from)
	rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person(name, "19700101", seq),
		Materials: []string{"application", "damage_proof"}, Delivery: onedoor.ChannelCounter, Actor: clerk})
	if err != nil {
		t.Fatal(err)
	}
	number := rc.Cases[0].Number
	e.clock.Set(done + " 10:00")
	for _, cmd := range []onedoor.Command{
		{Action: onedoor.ActionApprove, Actor: officer("street")},
		{Action: onedoor.ActionApprove, Actor: leader("emergency")},
		{Action: onedoor.ActionComplete, Actor: leader("emergency")},
		{Action: onedoor.ActionDeliver, Actor: clerk},
	} {
		if _, err := e.db.Act(ctx, number, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Action, err)
		}
	}
	return number
}

// TestPerformanceAfterHours: a case taken on a Friday evening is counted
// from Monday morning, when its clock started, not from Friday.
func TestPerformanceAfterHours(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		finishEmergFrom(t, e, "丁", 34, "2026-09-25 19:00", "2026-09-30") // Monday 28 to Wednesday 30
		_, byMatter, err := e.db.Performances(context.Background(), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if len(byMatter) != 1 || byMatter[0].AvgDays != 2 {
			t.Fatalf("by matter %+v; want 2 working days (Monday to Wednesday), not 3 from Friday evening", byMatter)
		}
	})
}

// TestSupervisionConsoleFigures: cards counted by department and officer;
// on-time rate and working days per matter from the delivered cases, the
// holiday not counted.
func TestSupervisionConsoleFigures(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		finishEmerg(t, e, "甲", 31, "2026-09-30") // 2 working days, on time
		finishEmerg(t, e, "乙", 32, "2026-10-12") // 6 working days, 1 over
		byDept, byMatter, err := e.db.Performances(ctx, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if len(byMatter) != 1 || byMatter[0].Key != "EMERG-010" || byMatter[0].Finished != 2 || byMatter[0].AvgDays != 4 || byMatter[0].OnTimeRt != 0.5 {
			t.Fatalf("by matter %+v; want EMERG-010: 2 finished, 4 working days on average, 50%% on time", byMatter)
		}
		if len(byDept) != 1 || byDept[0].Key != "emergency" || byDept[0].OnTime != 1 {
			t.Fatalf("by department %+v", byDept)
		}
		// A running case of the street office earns cards.
		e.clock.Set("2026-09-28 09:00")
		if _, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("丙", "19700101", 33),
			Materials: []string{"application", "damage_proof"}, Actor: clerk}); err != nil {
			t.Fatal(err)
		}
		e.clock.Set("2026-10-14 09:00")
		if _, err := e.db.Supervise(ctx, supervise.Default()); err != nil {
			t.Fatal(err)
		}
		depts, officers, err := e.db.CardTallies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(depts) != 1 || depts[0].Department != "street" || depts[0].Red != 2 || depts[0].Open != 2 {
			t.Fatalf("by department %+v; want street with 2 red (step and case)", depts)
		}
		if len(officers) != 1 || officers[0].OfficerID != 0 {
			t.Fatalf("by officer %+v; want the street office as a whole (nobody acted yet)", officers)
		}
		// Issued all at once on Wednesday 14 October: the week of Monday 12th.
		trend, err := e.db.CardTrend(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(trend) != 3 || trend[0].Start != "2026-09-28" || trend[2].Start != "2026-10-12" || trend[2].Red != 2 || trend[1].Red+trend[0].Red != 0 {
			t.Fatalf("trend %+v", trend)
		}
	})
}
