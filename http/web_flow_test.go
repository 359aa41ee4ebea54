package http

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"onedoor/pii"
)

// The applicant of the flows: synthetic.
var (
	flowID    = idNumber("440604", "19900315", 123)
	flowName  = "李小梅"
	flowPhone = "13812345678"
)

// TestWebFlow walks the whole path over HTTP, as the browser test does in
// Chromium: the window takes an application with a missing material, the
// resident tracks it, the right department approves it (another cannot
// see it), the resident sees the result and e-licence and who looked at
// their data.
func TestWebFlow(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		clerk := e.agent(t).login("clerk")

		// The window: identify, see masked data, take HRSS-010 without the photo.
		clerk.get("/window").want(200).see("核验身份")
		clerk.post("/window/identify", url.Values{"subject": {"natural"}, "id_number": {flowID}, "name": {flowName}, "phone": {flowPhone}}).want(303).follow().want(200)
		clerk.see(pii.MaskID(flowID), pii.MaskName(flowName), pii.MaskPhone(flowPhone), "首次办事").notSee(flowID, flowPhone, flowName)
		clerk.get("/window?q=社保卡").want(200).see("/window/apply?matter=HRSS-010")
		clerk.get("/window/apply?matter=HRSS-010").want(200).see("近期免冠彩色证件照片", "容缺受理").notSee(flowID)
		number, code := clerk.intake(flowID, flowName, flowPhone, "HRSS-010", url.Values{"delivery": {"elicence"}})
		clerk.see("一次性告知书", "近期免冠彩色证件照片", "<svg", "补齐材料后开始计算", number, code).notSee(flowID, flowPhone)
		if len(code) != 8 {
			t.Fatalf("verification code %q", code)
		}

		// The resident tracks it with number and code, and sees the notice.
		res := e.agent(t)
		res.get("/track?number=" + number + "&code=" + strings.ToLower(code)).want(200)
		res.see("请补充照片后继续办理", "一次性告知：请补齐以下材料", "近期免冠彩色证件照片", "申请已提交")
		res.get("/track?number=" + number + "&code=WRONGCOD").want(404).see("不匹配")

		// Materials are handed in at the window: an officer is told so, in
		// Chinese, with who they are.
		e.agent(t).login("officer.hrss").get("/cases/"+number).post("/cases/"+number+"/act", url.Values{"action": {"supply"}, "material": {"photo"}}).want(403).
			see("您是hrss的审批人员").notSee("you are")

		// The clerk records the photo handed in; the case is accepted.
		clerk.get("/cases/"+number).want(200).see(`value="supply"`, pii.MaskName(flowName)).notSee(`value="approve"`, `value="reject"`)
		clerk.post("/cases/"+number+"/act", url.Values{"action": {"supply"}, "material": {"photo"}}).want(303).follow().want(200).see("已执行", "办理中")

		// Another department's officer cannot see it, on the page or in the inbox.
		psb := e.agent(t).login("officer.psb")
		psb.get("/cases/" + number).want(404)
		psb.get("/inbox").want(200).notSee(number)
		psb.post("/cases/"+number+"/act", url.Values{"action": {"approve"}}).want(404)

		// The right department's officer works it from the inbox.
		off := e.agent(t).login("officer.hrss")
		off.get("/inbox").want(200).see(number, "剩余 1 个工作日")
		off.get("/cases/"+number).want(200).see("审核通过", "信息核验", "不予办理的理由").notSee(`value="supply"`, `value="extend"`, `value="complete"`)
		off.post("/cases/"+number+"/act", url.Values{"action": {"approve"}, "note": {"核验无误"}}).want(303).follow().see("已执行", "制卡", "核验无误")
		off.post("/cases/"+number+"/act", url.Values{"action": {"approve"}}).want(303).follow().see("办结出证")
		off.post("/cases/"+number+"/act", url.Values{"action": {"complete"}}).want(303).follow().see("已送达", "ss_card-"+number)
		// The workflow's refusal reads in Chinese, statuses and actions by
		// their Chinese names.
		off.post("/cases/"+number+"/act", url.Values{"action": {"approve"}}).want(409).
			see("办件 " + number + " 已是“已送达”，办理已终结，不能“审核通过”。").notSee("is not possible")

		// The resident signs in with a one-time code and sees the result.
		res.residentLogin(flowID, "", flowPhone).follow().want(200)
		res.see(number, "社会保障卡申领", "您已领取社会保障卡", "社会保障卡", "ss_card-"+number, "有效")
		res.get("/my/cases/"+number).want(200).see("已送达", "签名有效", "信息核验", "制卡")
		res.get("/my/access").want(200).see("综合窗口", "窗口受理申请", "查看办件", "人力资源和社会保障局", number)

		// The simulated text message went to the log masked: no phone or ID number.
		if log := e.logs.String(); strings.Contains(log, flowPhone) || strings.Contains(log, flowID) {
			t.Fatalf("the server log holds the full phone or ID number:\n%s", log)
		}
		if !strings.Contains(e.logs.String(), pii.MaskPhone(flowPhone)) {
			t.Fatalf("the simulated SMS names no masked phone:\n%s", e.logs.String())
		}

		// Unmasking needs a reason, shows the data once, and the resident sees why.
		clerk.get("/cases/" + number).want(200)
		clerk.post("/cases/"+number+"/unmask", url.Values{"reason": {""}}).want(400).notSee(flowID)
		clerk.post("/cases/"+number+"/unmask", url.Values{"reason": {"申请人来电核对身份"}}).want(200).see(flowID, flowPhone, flowName, "本次查看已记录")
		clerk.get("/cases/" + number).want(200).notSee(flowID)
		res.get("/my/access").want(200).see("查看完整信息", "申请人来电核对身份")
	})
}

// TestWebTolerateAndBundle: 容缺 with a commitment at the window, a
// bundle, and an online application with a waived material.
func TestWebTolerateAndBundle(t *testing.T) {
	e := newWebEnv(t)
	clerk := e.agent(t).login("clerk")
	id := idNumber("440604", "19850101", 7)
	number, _ := clerk.intake(id, "王大明", "13900001111", "HRSS-010", url.Values{"tolerate": {"on"}, "commitment": {"本人承诺三日内补交照片"}})
	clerk.see("容缺材料", "2026年3月9日", "办理中", number)

	// Without a commitment, 容缺 is refused and the form comes back as filled.
	clerk.get("/window/apply?matter=HRSS-010").want(200)
	clerk.post("/window/intake", url.Values{"matter": {"HRSS-010"}, "tolerate": {"on"}}).want(400).see("申请容缺受理", `name="tolerate" checked`)

	// A bundle for the same person: one receipt, several cases.
	clerk.get("/window?q=出生").want(200).see("/window/apply?bundle=BD-NEWBORN")
	clerk.get("/window/apply?bundle=BD-NEWBORN").want(200).see("一件事")

	// The resident applies online; the e-licence the registry holds now
	// (none yet: the card is not issued) is not claimed.
	res := e.agent(t).residentLogin(id, "", "13900001111").follow().want(200).see(number)
	res.get("/my/apply?matter=CULT-010").want(200).see("提交申请")
	res.post("/my/apply", url.Values{"matter": {"CULT-010"}}).want(200).see("受理回执", "网上申请")
	res.get("/my").want(200).see("公共图书馆")
}

// TestWebBundleMaterialIssuedWithin: in 退休一件事 (BD-RETIRE) the pension
// decision that medical insurance and the provident fund ask for is issued
// by the pension confirmation of the same application. The guide, the form
// and the receipt say so instead of asking the resident to bring it, and
// the tracking page names the case that will issue it.
func TestWebBundleMaterialIssuedWithin(t *testing.T) {
	e := newWebEnv(t)
	issued := "由本次申请的“退休养老待遇确认”出具后自动共享"
	e.agent(t).get("/bundles/BD-RETIRE").want(200).see(issued)

	clerk := e.agent(t).login("clerk")
	clerk.get("/window").want(200)
	clerk.post("/window/identify", url.Values{"subject": {"natural"}, "id_number": {idNumber("440604", "19650601", 5)},
		"name": {"陈建国"}, "phone": {"13900002222"}}).want(303).follow().want(200)
	clerk.get("/window/apply?bundle=BD-RETIRE").want(200).see(issued)
	clerk.post("/window/intake", url.Values{"bundle": {"BD-RETIRE"}, "delivery": {"counter"},
		"material": {"application_form", "personnel_file", "ss_card", "bank_card"}}).want(200).
		see("受理回执", "本次申请内出具，无需提交", "待本次申请的其他事项出具所需证照后开始计算").
		notSee("一次性告知书")
	hrss := clerk.match(`退休养老待遇核定表——由“退休养老待遇确认”（办件 (\d+)）出具`)
	code := clerk.match(`class="vcode">([A-Z0-9]+)<`)
	numbers := regexp.MustCompile(`class="caseno">(\d+)<`).FindAllStringSubmatch(clerk.last, -1)
	if len(numbers) != 3 || numbers[0][1] != hrss {
		t.Fatalf("receipt case numbers %v; want three, the first (%s) the pension confirmation", numbers, hrss)
	}

	// The resident tracks the medical insurance case: nothing to bring,
	// the decision is coming from the pension confirmation.
	med := numbers[1][1]
	e.agent(t).get("/track?"+url.Values{"number": {med}, "code": {code}}.Encode()).want(200).
		see("本次申请内出具，无需提交", "办件 "+hrss).notSee("一次性告知：请补齐以下材料")
}
