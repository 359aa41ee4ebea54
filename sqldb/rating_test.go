package sqldb_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"onedoor"
	"onedoor/sqldb"
)

// TestRatingAndRectification: a delivered case is rated once from the
// tracking page with its verification code; a bad rating opens a
// rectification for the department, due 15 working days later (across
// National Day), which names neither the case nor the resident and
// cannot be closed before the call-back; the scorecard follows.
func TestRatingAndRectification(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: person("何美玲", "19820303", 51),
			Materials: []string{"application", "damage_proof"}, Delivery: onedoor.ChannelCounter, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number, code := rc.Cases[0].Number, rc.Code
		in := sqldb.RatingInput{CaseNumber: number, Code: code, Score: sqldb.RatingVeryDissatisfied, Indicators: []string{"time", "attitude"}, Comment: "等了很久，态度冷淡"}
		_, _, err = db.Rate(ctx, in)
		wantCode(t, err, onedoor.ECONFLICT, "delivered")
		for _, cmd := range []onedoor.Command{
			{Action: onedoor.ActionApprove, Actor: officer("street")},
			{Action: onedoor.ActionApprove, Actor: leader("emergency")},
			{Action: onedoor.ActionComplete, Actor: leader("emergency")},
			{Action: onedoor.ActionDeliver, Actor: clerk},
		} {
			if _, err := db.Act(ctx, number, cmd); err != nil {
				t.Fatalf("%s: %v", cmd.Action, err)
			}
		}
		bad := in
		bad.Code = "WRONG1"
		_, _, err = db.Rate(ctx, bad)
		wantCode(t, err, onedoor.ENOTFOUND, "")
		bad = in
		bad.Score = 6
		_, _, err = db.Rate(ctx, bad)
		wantCode(t, err, onedoor.EINVALID, "score")
		bad = in
		bad.PersonID = 999999 // another resident on the portal
		_, _, err = db.Rate(ctx, bad)
		wantCode(t, err, onedoor.ENOTFOUND, "")

		rating, rect, err := db.Rate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if rating.Department != "emergency" || rect == nil {
			t.Fatalf("rating %+v, rectification %+v", rating, rect)
		}
		// Opened Monday 28 September: 15 working days skip 1–7 October
		// and count Saturday 10 October.
		if rect.Due != "2026-10-23" {
			t.Errorf("rectification due %s; want 2026-10-23", rect.Due)
		}
		_, _, err = db.Rate(ctx, sqldb.RatingInput{CaseNumber: number, Code: code, Score: 5})
		wantCode(t, err, onedoor.ECONFLICT, "already been rated")

		msgs, _ := db.Outbox().Messages(ctx, "", 50)
		var seen int
		for _, m := range msgs {
			if m.Topic != "rectification.opened" {
				continue
			}
			seen++
			if strings.Contains(string(m.Body), number) || strings.Contains(string(m.Body), "何美玲") {
				t.Errorf("the department's notice names the case or the resident: %s", m.Body)
			}
			var b map[string]any
			json.Unmarshal(m.Body, &b)
			if b["due"] != "2026-10-23" {
				t.Errorf("notice %s", m.Body)
			}
		}
		if seen != 2 {
			t.Errorf("%d rectification notices; want the officers and the leaders", seen)
		}

		list, err := db.FindRectifications(ctx, "emergency")
		if err != nil || len(list) != 1 || list[0].Comment != "等了很久，态度冷淡" || list[0].Score != 1 {
			t.Fatalf("rectifications %+v %v", list, err)
		}
		_, err = db.CloseRectification(ctx, rect.ID, officer("emergency"), "已约谈窗口人员")
		wantCode(t, err, onedoor.EINVALID, "call-back")
		_, err = db.RecordCallback(ctx, rect.ID, officer("street"), "回访")
		wantCode(t, err, onedoor.ENOTFOUND, "")

		e.clock.Set("2026-10-19 10:00")
		if _, err := db.RecordCallback(ctx, rect.ID, officer("emergency"), "经中心转接回访，群众认可整改"); err != nil {
			t.Fatal(err)
		}
		x, err := db.CloseRectification(ctx, rect.ID, officer("emergency"), "已约谈窗口人员并优化流程")
		if err != nil || x.Status != sqldb.RectificationClosed || !x.OnTime {
			t.Fatalf("close: %+v %v", x, err)
		}
		cards, err := db.Scorecards(ctx, "department")
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 1 || cards[0].Key != "emergency" || cards[0].Ratings != 1 || cards[0].Bad != 1 || cards[0].SatisfactionRate() != 0 ||
			cards[0].Rectified != 1 || cards[0].RectOnTimeRate() != 100 {
			t.Fatalf("scorecard %+v", cards)
		}
		if err := db.VerifySupervisionLog(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
