package http

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"onedoor/sqldb"
	"onedoor/supervise"
)

// TestSupervisionCardsPages: a social-security-card case (HRSS-010: verify
// 1 day, produce 4, 5 promised) accepted on Monday 28 September 2026 runs
// over across National Day. The supervisor's console shows nothing before;
// on Monday 12 October the evaluator issues cards; the hrss officer sees
// them on the department's card page and explains one; the psb officer
// cannot; the supervisor sees the explanation and closes the card; the
// console counts it by department and officer and leads to the case.
func TestSupervisionCardsPages(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		ctx := context.Background()
		e.clock.Set("2026-09-28 09:00")
		clerk := e.agent(t).login("clerk")
		number, _ := clerk.intake(idNumber("440604", "19880808", 41), "林小红", "13800000041", "HRSS-010", url.Values{"material": {"photo"}})
		off := e.agent(t).login("officer.hrss")
		off.get("/cases/" + number).want(200)
		off.post("/cases/"+number+"/act", url.Values{"action": {"approve"}}).want(303)

		sup := e.agent(t).login("supervisor")
		sup.get("/supervision/cards").want(200).see("监察亮牌", "没有监察亮牌。")

		e.clock.Set("2026-10-09 09:00") // 4 of 5 promised days, 4 of the step's 4: warnings
		cards, err := e.db.Supervise(ctx, supervise.Default())
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 2 || cards[0].Level != supervise.Warning || cards[1].Level != supervise.Warning {
			t.Fatalf("on 9 October: %d cards; want a case and a step warning", len(cards))
		}
		e.clock.Set("2026-10-12 09:00") // one working day over: yellow for the case and the step
		cards, err = e.db.Supervise(ctx, supervise.Default())
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 2 {
			t.Fatalf("on 12 October: %d cards; want a case and a step yellow card", len(cards))
		}
		id := strconv.FormatInt(cards[0].ID, 10)
		// Sessions expire over a fortnight: everyone signs in again.
		off, sup = e.agent(t).login("officer.hrss"), e.agent(t).login("supervisor")

		off.get("/cards").want(200).see("黄牌", "预警", number, "人社经办", "超期 1 个工作日", "超期 2 个工作日", `action="/cards/`+id+`/explain"`)
		e.agent(t).login("officer.psb").get("/cards").want(200).see("没有监察亮牌。").notSee(number)
		psb := e.agent(t).login("officer.psb")
		psb.get("/cards").want(200)
		psb.post("/cards/"+id+"/explain", url.Values{"explanation": {"不是我们"}}).want(404)
		off.get("/cards").want(200)
		off.post("/cards/"+id+"/explain", url.Values{"explanation": {"   "}}).want(400)
		off.get("/cards").want(200)
		off.post("/cards/"+id+"/explain", url.Values{"explanation": {"制卡系统故障两天，已恢复"}}).want(303)
		off.get("/cards").want(200).see("制卡系统故障两天，已恢复", "已说明，待监察核销")

		sup.get("/supervision/cards").want(200).
			see("区人力资源和社会保障局", "人社经办", "制卡系统故障两天，已恢复", `href="/cases/`+number+`"`, `action="/supervision/cards/`+id+`/close"`)
		sup.post("/supervision/cards/"+id+"/close", url.Values{"note": {"情况属实，已督促"}}).want(303)
		sup.get("/supervision/cards").want(200).notSee(`action="/supervision/cards/` + id + `/close"`)
		sup.get("/cases/" + number).want(200).see(number)
		closed, err := e.db.FindCard(ctx, cards[0].ID)
		if err != nil || closed.Status != sqldb.CardClosed || closed.ClosedBy != "监察员" {
			t.Fatalf("card after closing: %+v %v", closed, err)
		}

		// The case is finished late: the console's on-time rate and days.
		e.clock.Set("2026-10-13 09:00")
		off, sup, clerk = e.agent(t).login("officer.hrss"), e.agent(t).login("supervisor"), e.agent(t).login("clerk")
		off.get("/cases/" + number).want(200)
		off.post("/cases/"+number+"/act", url.Values{"action": {"approve"}}).want(303)
		off.get("/cases/" + number).want(200)
		off.post("/cases/"+number+"/act", url.Values{"action": {"complete"}}).want(303)
		clerk.get("/cases/" + number).want(200)
		clerk.post("/cases/"+number+"/act", url.Values{"action": {"deliver"}}).want(303)
		// Accepted 28 Sep, delivered 13 Oct: 29, 30 Sep, 8, 9, 10, 12, 13 Oct.
		sup.get("/supervision/cards").want(200).see("社会保障卡", "0.0%", "7.0")

		// The same pages in English, with nothing left unworded.
		sup.get("/lang/en?next=/supervision/cards").want(303)
		sup.get("/supervision/cards").want(200).see("Supervision cards", "By officer", "Yellow card", "Application for a social security card", "7.0").notSee("%!", "cards.", "card.level")
		off.get("/lang/en?next=/cards").want(303)
		off.get("/cards").want(200).see("Supervision cards of", "Closed", "is 1 working day(s) over its limit").notSee("%!", "cards.")
	})
}
