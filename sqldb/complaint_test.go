package sqldb_test

import (
	"context"
	"strconv"
	"testing"

	"onedoor"
	"onedoor/sqldb"
)

// TestComplaintReopen: a resident complains about their case; it goes to
// the department holding it, due 10 working days later (across National
// Day); another resident cannot touch it; the department resolves it; the
// resident reopens it on a fresh clock; resolved again and accepted, it
// closes. A second complaint on the same matter is a re-contact; the
// scorecard reports both rates.
func TestComplaintReopen(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-09-28 09:00")
		a := person("孙立新", "19790909", 71)
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "EMERG-010", Applicant: a,
			Materials: []string{"application", "damage_proof"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.FindPersonByIDNumber(ctx, a.IDNumber)
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		_, err = db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID + 1000, CaseNumber: number, Body: "不是我的件"})
		wantCode(t, err, onedoor.EINVALID, "case")
		_, err = db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID, CaseNumber: number, Body: " "})
		wantCode(t, err, onedoor.EINVALID, "body")
		x, err := db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID, CaseNumber: number, Body: "街道审核一直没有进展"})
		if err != nil {
			t.Fatal(err)
		}
		if x.Department != "street" || x.Due != "2026-10-16" {
			t.Fatalf("complaint %+v; want street, due 2026-10-16", x)
		}
		list, _ := db.FindComplaints(ctx, "street", 0)
		if len(list) != 1 || list[0].Body != "街道审核一直没有进展" {
			t.Fatalf("street's complaints %+v", list)
		}
		_, err = db.AnswerComplaint(ctx, x.ID, p.ID, true, "")
		wantCode(t, err, onedoor.ECONFLICT, "answered")
		_, err = db.ResolveComplaint(ctx, x.ID, officer("civil"), "已处理")
		wantCode(t, err, onedoor.ENOTFOUND, "")
		if _, err = db.ResolveComplaint(ctx, x.ID, officer("street"), "已催办，明日完成审核"); err != nil {
			t.Fatal(err)
		}
		msgs, _ := db.Outbox().Messages(ctx, "", 20)
		told := false
		for _, m := range msgs {
			told = told || (m.Topic == "complaint.resolved" && m.Recipient == "natural:"+itoa(p.ID))
		}
		if !told {
			t.Error("the resident was not told of the resolution")
		}
		_, err = db.AnswerComplaint(ctx, x.ID, p.ID+1, false, "没解决")
		wantCode(t, err, onedoor.ENOTFOUND, "")
		e.clock.Set("2026-10-09 09:00")
		if x, err = db.AnswerComplaint(ctx, x.ID, p.ID, false, "还是没有审核"); err != nil || x.Status != sqldb.ComplaintOpen || x.Reopens != 1 || x.Due != "2026-10-22" {
			t.Fatalf("reopened: %+v %v", x, err)
		}
		if _, err = db.ResolveComplaint(ctx, x.ID, leader("street"), "审核已完成"); err != nil {
			t.Fatal(err)
		}
		if x, err = db.AnswerComplaint(ctx, x.ID, p.ID, true, ""); err != nil || x.Status != sqldb.ComplaintClosed {
			t.Fatalf("accepted: %+v %v", x, err)
		}
		if _, err := db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID, Matter: "EMERG-010", Body: "材料要求不清楚"}); err != nil {
			t.Fatal(err)
		}
		cards, err := db.Scorecards(ctx, "matter")
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 1 || cards[0].Complaints != 2 || cards[0].ReopenRate() != 50 || cards[0].RecontactRate() != 50 || cards[0].ComplaintsOK != 1 {
			t.Fatalf("scorecard %+v", cards)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
