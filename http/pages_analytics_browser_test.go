package http

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDashboards: in real headless Chromium, an analyst opens the
// dashboards, sees charts the server drew (no script draws them), writes a
// policy rule into the simulator, builds a cross-match from the form, and
// reads the same pages in English and on a phone. Screenshots go to
// testdata/screenshots.
func TestBrowserDashboards(t *testing.T) {
	b := newBrowser(t)
	e, _ := dashEnv(t)
	an := b.person("analyst", e.srv.URL, 1366, 900, false)
	an.login("analyst").click(`a[href="/analytics"]`).sees("数据分析", "按年龄和户籍看需求", "政策模拟").shot("analytics-home-zh")

	an.click(`a[href="/analytics/demand"]`).do(chromedp.WaitVisible(chromedp.CSS("figure.chart svg"))).
		sees("各事项申请人：本地与非本地户籍", "每千人申请数", "下载此表").shot("analytics-demand-zh")
	an.open("/analytics/communities?matter=MED-001").do(chromedp.WaitVisible(chromedp.CSS("figure.chart svg"))).
		sees("社区", "街道合计").shot("analytics-communities-zh")
	an.open("/analytics/beds").sees("每千名老人", "按社区").shot("analytics-beds-zh")

	// The simulator: a rule typed in, answered with where the eligible live.
	an.open("/analytics/whatif").fill("#f-rule", `age >= 70 && lives_alone`).
		do(chromedp.SetValue(chromedp.CSS("#f-compare"), "CIV-011")).
		click(`form.dashform button[type="submit"]`).
		sees("符合条件的居民", "该事项现有受益人", "符合条件的居民（按街道）").
		seesNot("导出主动服务名单").shot("analytics-whatif-zh")

	// The builder: 60 and over, not local, broken down by street.
	an.open("/analytics/crossmatch").
		do(chromedp.SetValue(chromedp.CSS("#f-attr1"), "residency=local")).
		do(chromedp.Click(chromedp.CSS("#f-not_attr1"))).
		fill("#f-age_min", "60").
		do(chromedp.SetValue(chromedp.CSS("#f-result"), "breakdown"), chromedp.SetValue(chromedp.CSS("#f-by1"), "street")).
		click(`form.dashform button[type="submit"]`).
		sees("分布", "本次查询（JSON）").shot("analytics-crossmatch-zh")

	an.lang("en").sees("Cross-match builder", "Breakdown", "The question (JSON)")
	an.open("/analytics/trends?matter=HRSS-001&matter=MED-001").sees("Monthly trends", "Residents per month").shot("analytics-trends-en")

	phone := b.person("analyst-phone", e.srv.URL, 360, 740, true)
	phone.login("analyst").open("/analytics/beds").fitsWidth().shot("analytics-beds-phone-zh")
}
