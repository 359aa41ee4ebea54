package http

import (
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestBadRatingRectification: a resident rates a delivered social security
// card case 非常不满意 from the public tracking page; the hrss officer sees
// the rectification with what was said but not who said it or which case;
// closing it before the call-back is refused; with the call-back it
// closes; the supervisor's scorecard shows the bad rating and the on-time
// rectification, and exports it.
func TestBadRatingRectification(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		e.clock.Set("2026-09-28 09:00")
		clerk := e.agent(t).login("clerk")
		id := idNumber("440604", "19900909", 61)
		number, code := clerk.intake(id, "邓丽华", "13800000061", "HRSS-010", url.Values{"material": {"photo"}})
		off := e.agent(t).login("officer.hrss")
		for _, action := range []string{"approve", "approve", "complete"} {
			off.get("/cases/" + number).want(200)
			off.post("/cases/"+number+"/act", url.Values{"action": {action}}).want(303)
		}
		resident := e.agent(t)
		rateURL := "/track/rate?number=" + number + "&code=" + code
		resident.get(rateURL).want(200).see("办件送达后才能评价。").notSee(`name="score"`)
		clerk.get("/cases/" + number).want(200)
		clerk.post("/cases/"+number+"/act", url.Values{"action": {"deliver"}}).want(303)

		resident.get("/track?number=" + number + "&code=" + code).want(200).see(`href="/track/rate?number=` + number + `&amp;code=` + code + `"`)
		resident.get("/track/rate?number=" + number + "&code=WRONG9").want(404)
		resident.get(rateURL).want(200).see("非常满意", "满意", "基本满意", "不满意", "非常不满意", "办理时间", "服务态度", "承办人员看不到您的身份。")
		resident.post("/track/rate", url.Values{"number": {number}, "code": {code}}).want(400).see("请选择一个评价等级。")
		resident.get(rateURL).want(200)
		resident.post("/track/rate", url.Values{"number": {number}, "code": {code}, "score": {"1"}, "indicator": {"time", "attitude"},
			"comment": {"窗口让我跑了三趟"}}).want(200).see("感谢您的评价！", "交承办部门整改")
		resident.get(rateURL).want(200).see("已经评价过（非常不满意）").notSee(`name="score"`)

		off = e.agent(t).login("officer.hrss")
		page := off.get("/rectifications").want(200).see("窗口让我跑了三趟", "办理时间", "服务态度", "非常不满意", "整改中")
		for _, secret := range []string{number, "邓丽华", id, "13800000061", code} {
			if strings.Contains(page.last, secret) {
				t.Errorf("the department's rectification page shows %q", secret)
			}
		}
		rect := off.match(`action="/rectifications/(\d+)/close"`)
		e.agent(t).login("officer.psb").get("/rectifications").want(200).see("没有需要整改的差评。")
		off.post("/rectifications/"+rect+"/close", url.Values{"action": {"已约谈窗口人员"}}).want(400).see("请先记录对群众的回访情况")
		off.get("/rectifications").want(200)
		off.post("/rectifications/"+rect+"/callback", url.Values{"callback": {"经中心转接回访，群众表示认可"}}).want(303)
		off.get("/rectifications").want(200).see("经中心转接回访，群众表示认可")
		off.post("/rectifications/"+rect+"/close", url.Values{"action": {"已约谈窗口人员，一次告知全部材料"}}).want(303)
		off.get("/rectifications").want(200).see("已整改", "已约谈窗口人员，一次告知全部材料").notSee(`action="/rectifications/` + rect + `/close"`)

		sup := e.agent(t).login("supervisor")
		sup.get("/supervision/scorecard").want(200).see("区人力资源和社会保障局", "0.0%", "100.0%")
		sup.get("/supervision/scorecard?by=matter").want(200).see("社会保障卡")
		csv := sup.get("/supervision/scorecard?by=department&format=csv").want(200)
		if !strings.Contains(csv.last, "hrss,区人力资源和社会保障局,1,0.0,1.00,1,1,100.0,0,0,0.0") {
			t.Errorf("CSV export:\n%s", csv.last)
		}
		xlsx := sup.get("/supervision/scorecard?by=department&format=xlsx").want(200)
		book, err := excelize.OpenReader(strings.NewReader(xlsx.last))
		if err != nil {
			t.Fatalf("the Excel export does not open: %v", err)
		}
		rows, _ := book.GetRows(book.GetSheetName(0))
		if len(rows) != 2 || rows[1][0] != "hrss" || rows[1][5] != "1" || rows[1][7] != "100" {
			t.Errorf("Excel rows %q", rows)
		}
		e.agent(t).login("analyst").get("/supervision/scorecard").want(200)
		e.agent(t).login("officer.hrss").get("/supervision/scorecard").want(403)
	})
}

// TestComplaintPagesAndPortalRating: a resident signed in to the portal
// rates their delivered case (good: no rectification), complains about
// it; the department answers; the resident reopens; answered again, the
// resident accepts; the scorecard reports the reopen rate.
func TestComplaintPagesAndPortalRating(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		e.clock.Set("2026-09-28 09:00")
		clerk := e.agent(t).login("clerk")
		id := idNumber("440604", "19850505", 62)
		number, _ := clerk.intake(id, "高文静", "13800000062", "HRSS-010", url.Values{"material": {"photo"}})
		off := e.agent(t).login("officer.hrss")
		for _, action := range []string{"approve", "approve", "complete"} {
			off.get("/cases/" + number).want(200)
			off.post("/cases/"+number+"/act", url.Values{"action": {action}}).want(303)
		}
		clerk.get("/cases/" + number).want(200)
		clerk.post("/cases/"+number+"/act", url.Values{"action": {"deliver"}}).want(303)

		res := e.agent(t).residentLogin(id, "高文静", "13800000062")
		res.get("/my/cases/" + number).want(200).see(`href="/my/cases/` + number + `/rate"`)
		res.get("/my/cases/" + number + "/rate").want(200).see("非常满意")
		res.post("/my/cases/"+number+"/rate", url.Values{"score": {"4"}, "indicator": {"process"}}).want(200).see("感谢您的评价！").notSee("交承办部门整改")
		e.agent(t).login("officer.hrss").get("/rectifications").want(200).see("没有需要整改的差评。")

		res.get("/my/complaints?case=" + number).want(200).see(`<option value="` + number + `" selected>`)
		res.post("/my/complaints", url.Values{"case": {number}, "body": {"  "}}).want(400)
		res.get("/my/complaints").want(200)
		res.post("/my/complaints", url.Values{"case": {number}, "body": {"社保卡上的照片印错了"}}).want(303)
		res.get("/my/complaints?filed=1").want(200).see("已转承办部门", "社保卡上的照片印错了", "处理中")

		off = e.agent(t).login("officer.hrss")
		off.get("/complaints").want(200).see("社保卡上的照片印错了", number)
		cid := off.match(`action="/complaints/(\d+)/resolve"`)
		e.agent(t).login("officer.psb").get("/complaints").want(200).notSee("社保卡上的照片印错了")
		off.post("/complaints/"+cid+"/resolve", url.Values{"resolution": {"已安排重新制卡"}}).want(303)

		res.get("/my/complaints").want(200).see("已安排重新制卡", "已答复，待群众确认")
		res.post("/my/complaints/"+cid+"/answer", url.Values{"answer": {"reopen"}, "note": {"新卡还没收到"}}).want(303)
		res.get("/my/complaints?answered=reopened").want(200).see("投诉已重新打开")
		off.get("/complaints").want(200).see("群众已重开 1 次", "新卡还没收到")
		off.post("/complaints/"+cid+"/resolve", url.Values{"resolution": {"新卡已寄出"}}).want(303)
		res.get("/my/complaints").want(200)
		res.post("/my/complaints/"+cid+"/answer", url.Values{"answer": {"accept"}}).want(303)
		res.get("/my/complaints").want(200).see("已解决")
		res.get("/lang/en?next=/my/complaints").want(303)
		res.get("/my/complaints").want(200).see("My complaints", "Resolved and closed", "HRSS").notSee("%!", "complaint.")
		res.get("/my/cases/"+number+"/rate").want(200).see("has already been rated (Satisfied)").notSee("%!", "rating.")

		e.agent(t).login("supervisor").get("/supervision/scorecard").want(200).see("区人力资源和社会保障局", "100.0%", "4.00")
		csv := e.agent(t).login("supervisor").get("/supervision/scorecard?format=csv").want(200)
		if !strings.Contains(csv.last, "hrss,区人力资源和社会保障局,1,100.0,4.00,0,0,0.0,0,1,100.0,0.0") {
			t.Errorf("CSV export:\n%s", csv.last)
		}
	})
}
