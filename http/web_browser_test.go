package http

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onedoor/pii"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// screenshotDir keeps full-page screenshots of the main pages as CI
// artifacts; it is not committed.
const screenshotDir = "testdata/screenshots"

// browser is one headless Chromium for a test; each person in the test
// gets a browser context of their own (own cookies), like separate
// devices.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("browser tests skipped: %s not found (install Debian's chromium and fonts-wqy-microhei)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx}
}

// person is one browser context: a window of its own size and cookies.
type person struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string
}

func (b *browser) person(name, base string, width, height int64, mobile bool) *person {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	p := &person{t: b.t, name: name, ctx: ctx, base: base}
	var vp chromedp.Action[chromedp.Void]
	if mobile {
		vp = chromedp.EmulateViewport(width, height, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	} else {
		vp = chromedp.EmulateViewport(width, height)
	}
	// The first run makes the tab; it must not run under a timeout, which
	// would close the tab with it.
	if err := chromedp.Do(ctx, vp); err != nil {
		b.t.Fatalf("%s: open a tab: %v", name, err)
	}
	return p
}

// do runs actions with a time limit, failing the test on error.
func (p *person) do(actions ...chromedp.Action[chromedp.Void]) *person {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\npage: %s", p.name, err, truncateText(p.text(), 2000))
	}
	return p
}

// open navigates to a path of the server.
func (p *person) open(path string) *person {
	p.t.Helper()
	return p.do(chromedp.Navigate(p.base+path), chromedp.WaitReady(chromedp.CSS("footer")))
}

// fill types into the (empty) fields by CSS selector, in order.
func (p *person) fill(pairs ...string) *person {
	p.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		p.do(chromedp.SendKeys(chromedp.CSS(pairs[i]), pairs[i+1]))
	}
	return p
}

// click clicks and waits for the next page to be ready.
func (p *person) click(sel string) *person {
	p.t.Helper()
	return p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.Sleep(150*time.Millisecond), chromedp.WaitReady(chromedp.CSS("footer")))
}

// text is what the page shows.
func (p *person) text() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	return s
}

// sees asserts that the page shows every text.
func (p *person) sees(texts ...string) *person {
	p.t.Helper()
	got := p.text()
	for _, s := range texts {
		if !strings.Contains(got, s) {
			p.t.Fatalf("%s does not see %q on:\n%s", p.name, s, truncateText(got, 3000))
		}
	}
	return p
}

// seesNot asserts that the page shows none of the texts.
func (p *person) seesNot(texts ...string) *person {
	p.t.Helper()
	got := p.text()
	for _, s := range texts {
		if strings.Contains(got, s) {
			p.t.Fatalf("%s sees %q, which must not be shown:\n%s", p.name, s, truncateText(got, 3000))
		}
	}
	return p
}

// value reads the text of one element.
func (p *person) value(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("%s: read %s: %v", p.name, sel, err)
	}
	return strings.TrimSpace(s)
}

// shot keeps a full-page screenshot.
func (p *person) shot(name string) *person {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return p
}

// fitsWidth asserts that nothing sticks out sideways (usable at 360 px).
func (p *person) fitsWidth() *person {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		p.t.Fatal(err)
	}
	if over {
		p.t.Fatalf("%s: the page is wider than the %s window", p.name, p.name)
	}
	return p
}

// lang switches the language with the switch in the header.
func (p *person) lang(l string) *person {
	p.t.Helper()
	return p.click(`.langs a[hreflang="` + map[string]string{"en": "en", "zh": "zh-CN"}[l] + `"]`)
}

func (p *person) login(username string) *person {
	p.t.Helper()
	p.open("/login").fill("#username", username, "#password", testPassword)
	return p.click(`form[action="/login"] button[type="submit"]`)
}

// TestBrowserFlow walks the whole path in real headless Chromium: a clerk
// takes an application with a missing material; the resident tracks it on
// a phone; the clerk records the material; another department's officer
// cannot see the case, the right one approves it; the resident signs in
// with a one-time code and sees the result, the e-licence and the clerk's
// access to their data. Screenshots of the main pages in Chinese and
// English go to testdata/screenshots.
func TestBrowserFlow(t *testing.T) {
	b := newBrowser(t)
	e := newWebEnv(t)
	base := e.srv.URL
	id, name, phone := idNumber("440604", "19870412", 518), "陈晓红", "13712345678"
	// Two older cases, so that the workbench and supervision have urgency to show.
	late := e.seedLate(t, "2026-02-02", "HRSS-010", idNumber("440604", "19600101", 71))
	e.seedLate(t, "2026-02-26", "HRSS-010", idNumber("440604", "19600101", 72))

	// The window, on a counter PC.
	clerk := b.person("clerk", base, 1366, 900, false)
	clerk.login("clerk").sees("综合窗口受理", "核验身份").shot("window-identify-zh")
	clerk.fill("#id_number", id, "#name", name, "#phone", phone).click(`form[action="/window/identify"] button`)
	clerk.sees(pii.MaskID(id), pii.MaskName(name), pii.MaskPhone(phone), "首次办事").seesNot(id, phone, name)
	clerk.fill("#wq", "社保卡").click(`form[action="/window"] button`)
	clerk.click(`a[href="/window/apply?matter=HRSS-010"]`).sees("材料清单", "近期免冠彩色证件照片", "容缺受理").shot("window-checklist-zh")
	clerk.do(chromedp.SetValue(chromedp.CSS("#delivery"), "elicence"))
	clerk.click(`form[action="/window/intake"] button[type="submit"]`)
	clerk.sees("受理回执", "一次性告知书", "近期免冠彩色证件照片", "补齐材料后开始计算", "扫码查询进度").seesNot(id, phone)
	number, code := clerk.value(".rcase .caseno"), clerk.value(".vcode")
	if len(number) != 18 || len(code) != 8 {
		t.Fatalf("receipt: case %q, code %q", number, code)
	}
	clerk.do(chromedp.WaitVisible(chromedp.CSS(".rcase-qr svg"))).shot("window-receipt-zh")

	// The resident tracks it on a phone-sized window.
	res := b.person("resident", base, 360, 740, true)
	res.open("/").fitsWidth().shot("home-phone-zh")
	res.click(`a.tile[href="/track"]`).fill("#number", number, "#code", code).click(`form[action="/track"] button`)
	res.sees("社会保障卡申领", "请补充照片后继续办理", "一次性告知：请补齐以下材料", "近期免冠彩色证件照片", "申请已提交").fitsWidth().shot("track-received-phone-zh")

	// The clerk records the photo; the case is accepted and its clock runs.
	clerk.open("/cases/" + number).click(`label[for="sup-0"]`)
	clerk.click(`input[value="supply"] ~ button`).sees("已执行：补交材料", "办理中", "2026年3月9日")

	// Another department's officer does not see it.
	psb := b.person("officer.psb", base, 1366, 900, false)
	psb.login("officer.psb").sees("审批工作台").seesNot(number)
	psb.open("/cases/" + number).sees("未找到").seesNot(pii.MaskName(name))

	// Supervision sees every department's open cases and the overdue one.
	sup := b.person("supervisor", base, 1366, 900, false)
	sup.login("supervisor").sees("电子监察", "区人力资源和社会保障局", "▲ 1").shot("supervision-zh")
	sup.click(`a[href="/supervision/hrss"]`).sees(late, "已超期", number).shot("supervision-hrss-zh")
	sup.lang("en").sees("Overdue by").shot("supervision-hrss-en")

	// The right department's officer works it from the inbox.
	off := b.person("officer.hrss", base, 1366, 900, false)
	off.login("officer.hrss").sees(number, late, "剩余 1 个工作日", "已超期", "信息核验").shot("inbox-zh")
	off.click(`a[href="/cases/`+number+`"]`).sees("审核通过", "不予办理", pii.MaskName(name)).seesNot("延长时限").shot("case-officer-zh")
	off.fill("#approve-note", "照片合格，信息核验无误").click(`input[value="approve"] ~ button`).sees("已执行：审核通过", "制卡")
	off.click(`input[value="approve"] ~ button`).sees("办结出证")
	off.click(`input[value="complete"] ~ button`).sees("已送达", "ss_card-"+number)
	off.lang("en").sees("Delivered", "Approve this step", "Finished").seesNot("%!").shot("case-officer-en")

	// The resident signs in with a one-time code and sees the result.
	res.open("/my").sees("办事群众登录").fill("#id_number", id, "#phone", phone).click(`form[action="/my/login"] button`)
	res.sees(pii.MaskPhone(phone)).fill("#code", e.logs.lastCode(t)).click(`form[action="/my/verify"] button`)
	res.sees("我的办件和证照", number, "您已领取社会保障卡", "我的电子证照", "ss_card-"+number, "有效").fitsWidth().shot("my-phone-zh")
	res.click(`a[href="/my/cases/`+number+`"]`).sees("已送达", "签名有效", "信息核验环节已完成", "制卡环节已完成").fitsWidth().shot("my-case-phone-zh")
	res.open("/my/access").sees("谁查看了我的信息", "综合窗口", "窗口受理申请", "查看办件", "区人力资源和社会保障局").fitsWidth().shot("access-phone-zh")
	res.lang("en").sees("Who looked at my data", "Window clerk", "Application taken at the window").fitsWidth().shot("access-phone-en")
	res.open("/my").sees("My cases and licences", "Social security card").shot("my-phone-en")
	res.open("/track?number="+number+"&code="+code).sees("Delivered", "Card production completed").fitsWidth().shot("track-delivered-phone-en")
	if log := e.logs.String(); strings.Contains(log, phone) || strings.Contains(log, id) {
		t.Fatal("the server log holds the full phone or ID number")
	}

	// The public guide and the supervisor's and administrator's views, in
	// both languages, for the record.
	pub := b.person("public", base, 1366, 900, false)
	pub.open("/matters/HRSS-010").sees("办事指南", "申请材料", "可免提交", "承诺办结（工作日）").shot("guide-zh")
	pub.lang("en").sees("Materials", "May be waived").shot("guide-en")
	pub.open("/").shot("home-en")
	adm := b.person("admin", base, 1366, 900, false)
	adm.login("admin").open("/admin/calendar?year=2026").sees("2026 年工作日历", "春节", "调休上班").shot("calendar-zh")
	clerk.lang("en").open("/window").sees("Window intake").shot("window-en")
}
