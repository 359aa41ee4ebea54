package http

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBadRating, in headless Chromium: a resident tracks a
// delivered case on a phone and rates it 非常不满意; the department's
// officer sees the rectification without the resident's identity or the
// case; closing it before the call-back is refused; with the call-back it
// closes; the supervisor's scorecard, empty before, shows the bad rating
// and the rectification on time.
func TestBrowserBadRating(t *testing.T) {
	b := newBrowser(t)
	e := newWebEnv(t)
	base := e.srv.URL
	id, name, phone := idNumber("440604", "19890303", 77), "罗海燕", "13712340077"
	clerk := e.agent(t).login("clerk")
	number, code := clerk.intake(id, name, phone, "HRSS-010", url.Values{"material": {"photo"}})
	off := e.agent(t).login("officer.hrss")
	for _, action := range []string{"approve", "approve", "complete"} {
		off.get("/cases/" + number).want(200)
		off.post("/cases/"+number+"/act", url.Values{"action": {action}}).want(303)
	}
	clerk.get("/cases/" + number).want(200)
	clerk.post("/cases/"+number+"/act", url.Values{"action": {"deliver"}}).want(303)

	sup := b.person("supervisor", base, 1366, 900, false)
	sup.login("supervisor").open("/supervision/scorecard").sees("好差评评价表", "还没有评价。")

	res := b.person("resident", base, 360, 740, true)
	res.open("/track?number=" + number + "&code=" + code).sees("已送达")
	res.click(`a[href^="/track/rate"]`).sees("非常满意", "非常不满意", "承办人员看不到您的身份。").fitsWidth().shot("rating-phone-zh")
	res.do(chromedp.Click(chromedp.CSS(`input[name="score"][value="1"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`input[name="indicator"][value="visits"]`), chromedp.NodeVisible))
	res.fill(`textarea[name="comment"]`, "照片要求没说清楚，跑了两趟")
	res.click(`form.rating button[type="submit"]`).sees("感谢您的评价！", "交承办部门整改").fitsWidth()

	o := b.person("officer.hrss", base, 1366, 900, false)
	o.login("officer.hrss").open("/inbox").click(`a[href="/rectifications"]`)
	o.sees("照片要求没说清楚，跑了两趟", "跑动次数", "非常不满意", "整改中").seesNot(number, name, phone, id, code).shot("rectifications-zh")
	o.fill(`form[action$="/close"] textarea[name="action"]`, "已在办事指南中写明照片要求")
	o.click(`form[action$="/close"] button`).sees("请先记录对群众的回访情况，再办结整改。", "整改中")
	o.fill(`form[action$="/callback"] textarea[name="callback"]`, "经中心转接回访，群众认可")
	o.click(`form[action$="/callback"] button`).sees("经中心转接回访，群众认可")
	o.fill(`form[action$="/close"] textarea[name="action"]`, "已在办事指南中写明照片要求")
	o.click(`form[action$="/close"] button`).sees("已整改", "已在办事指南中写明照片要求")

	sup.open("/supervision/scorecard").sees("区人力资源和社会保障局", "0.0%", "1.00", "100.0%").shot("scorecard-zh")
	if log := e.logs.String(); strings.Contains(log, phone) || strings.Contains(log, id) {
		t.Fatal("the server log holds the full phone or ID number")
	}
}
