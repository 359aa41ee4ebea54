package http

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"onedoor"
	"onedoor/calendar"
	"onedoor/internal/district"
	"onedoor/segment"
	"onedoor/synth"
)

// dashEnv is a webEnv holding a generated district, whose server runs the
// analytics index like `onedoor serve` does.
func dashEnv(t *testing.T) (*webEnv, *segment.Index) {
	t.Helper()
	e := newWebEnv(t)
	ctx := context.Background()
	end := time.Date(2026, 3, 1, 18, 0, 0, 0, calendar.Location)
	if _, err := district.Generate(ctx, e.db, synth.Config{People: 1000, Years: 1, Seed: 11, End: end,
		Catalog: e.db.Catalog(), Calendar: e.db.Calendar()}, nil); err != nil {
		t.Fatal(err)
	}
	return e, e.withAnalytics(t)
}

// withAnalytics replaces the env's server with one that also runs the
// analytics index of its store, as `onedoor serve` does.
func (e *webEnv) withAnalytics(t *testing.T) *segment.Index {
	t.Helper()
	ix, err := district.BuildIndex(context.Background(), e.db, e.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	srv := NewServer(e.db, slog.New(slog.NewTextHandler(e.logs, nil)))
	srv.Analytics(ix)
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	return ix
}

// dashTableOf parses the CSV download of a dashboard table.
func (a *agent) csvTable(path string) [][]string {
	a.t.Helper()
	a.get(path).want(200)
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		a.t.Fatalf("%s: content type %q", path, ct)
	}
	body := strings.TrimPrefix(a.last, "\ufeff")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		a.t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// numCell is a Num as a CSV export writes it.
func numCell(n segment.Num) string {
	if n.Suppressed {
		return withheldMark
	}
	return strconv.FormatInt(n.V, 10)
}

// TestDashboardsRender: every dashboard answers its default question for
// an analyst (withheld cells marked) and a supervisor (exact), in Chinese
// and English, with a chart drawn on the server and no untranslated text.
func TestDashboardsRender(t *testing.T) {
	e, _ := dashEnv(t)
	var mu sync.Mutex
	var missing []string
	onMissing = func(lang, key string) { mu.Lock(); missing = append(missing, lang+":"+key); mu.Unlock() }
	t.Cleanup(func() { onMissing = nil })
	questions := map[string]string{
		"demand":      "?top=5",
		"communities": "?matter=MED-001",
		"beds":        "",
		"trends":      "?matter=HRSS-001&matter=MED-001&f_residency=local",
		"crossmatch":  "?attr1=age_policy%3D60-69&m1=HRSS-001&e1=approved&result=breakdown&by1=street&by2=residency",
		"whatif":      "?rule=" + url.QueryEscape(`age >= 70 && lives_alone`) + "&compare=CIV-011",
	}
	for _, who := range []string{"analyst", "supervisor", "leader.hrss"} {
		a := e.agent(t).login(who)
		for _, lang := range []string{"zh", "en"} {
			a.get("/lang/" + lang + "?next=/analytics")
			a.get("/analytics").want(200)
			for _, x := range dashboards {
				a.see(`href="/analytics/` + x.Name + `"`)
			}
			for _, x := range dashboards {
				a.get("/analytics/" + x.Name + questions[x.Name]).want(200)
				a.see("<svg", "<table", "format=csv", "format=xlsx")
				if who == "analyst" && !strings.Contains(a.last, `class="withheld"`) && x.Name != "whatif" {
					// A small district always has small cells somewhere.
					t.Errorf("%s %s %s: no withheld cell shown to an analyst", who, lang, x.Name)
				}
				if who != "analyst" && strings.Contains(a.last, `class="withheld"`) {
					t.Errorf("%s %s %s: exact roles must see no withheld cell", who, lang, x.Name)
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("untranslated keys: %v", missing)
	}
}

// TestDashboardDownloads: a table's CSV and Excel downloads hold the
// numbers the index answers — exact for a supervisor, with "[c]" exactly
// where an analyst's answer withholds a number.
func TestDashboardDownloads(t *testing.T) {
	e, ix := dashEnv(t)
	ctx := context.Background()
	for _, who := range []string{"supervisor", "analyst"} {
		a := e.agent(t).login(who)
		var p *segment.Protection
		if who == "analyst" {
			p = e.srvAnalytics(t).protectionFor(onedoor.RoleAnalyst)
		}
		want, err := ix.BedDemand(ctx, segment.BedDemand{}, p)
		if err != nil {
			t.Fatal(err)
		}
		recs := a.csvTable("/analytics/beds?format=csv&table=1")
		if got := len(recs); got != len(want.Communities)+2 {
			t.Fatalf("%s: %d CSV rows for %d communities", who, got, len(want.Communities))
		}
		if recs[0][0] != "街道" || recs[0][1] != "社区" {
			t.Errorf("%s: header %v", who, recs[0])
		}
		withheld := 0
		for i, c := range want.Communities {
			row := recs[i+1]
			if row[0] != c.Street || row[1] != c.Community || row[2] != numCell(c.Elderly) || row[3] != numCell(c.Demand) {
				t.Errorf("%s: row %d is %v, the index says %+v", who, i, row, c)
			}
			if row[2] == withheldMark || row[3] == withheldMark {
				withheld++
			}
		}
		last := recs[len(recs)-1]
		if last[2] != numCell(want.Total.Elderly) || last[3] != numCell(want.Total.Demand) {
			t.Errorf("%s: total row %v, the index says %+v", who, last, want.Total)
		}
		if (who == "analyst") != (withheld > 0) {
			t.Errorf("%s: %d withheld rows", who, withheld)
		}

		a.get("/analytics/beds?format=xlsx&table=1").want(200)
		f, err := excelize.OpenReader(strings.NewReader(a.last))
		if err != nil {
			t.Fatalf("%s: the Excel download does not open: %v", who, err)
		}
		rows, err := f.GetRows("data")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(recs) {
			t.Fatalf("%s: Excel has %d rows, CSV %d", who, len(rows), len(recs))
		}
		for i := range rows {
			for j := 0; j < 4; j++ {
				if rows[i][j] != recs[i][j] {
					t.Errorf("%s: Excel %d,%d = %q, CSV %q", who, i, j, rows[i][j], recs[i][j])
				}
			}
		}
		about, _ := f.GetRows("about")
		if who == "analyst" && !strings.Contains(strings.Join(about[len(about)-2], " "), withheldMark) {
			t.Errorf("analyst's workbook does not explain withheld cells: %v", about)
		}
		f.Close()
	}
}

// srvAnalytics reaches the server's analytics through the test server.
func (e *webEnv) srvAnalytics(t *testing.T) *analyticsAPI {
	t.Helper()
	s, ok := e.srv.Config.Handler.(*Server)
	if !ok || s.analytics == nil {
		t.Fatal("the test server runs no analytics")
	}
	return s.analytics
}

// TestCrossMatchBuilder: the builder's question is the JSON it shows; the
// same JSON typed into the form gives the same answer, which is the
// index's exact answer for a supervisor.
func TestCrossMatchBuilder(t *testing.T) {
	e, ix := dashEnv(t)
	a := e.agent(t).login("supervisor")
	top, err := ix.Query(context.Background(), segment.Query{Result: "top_matters", Limit: 1}, nil)
	if err != nil || len(top.Top) == 0 {
		t.Fatalf("no top matter: %v", err)
	}
	matter := top.Top[0].Matter
	form := "?attr1=age_policy%3D15-59&attr2=residency%3Dlocal&not_attr2=1&m1=" + matter + "&e1=applied&result=breakdown&by1=street"
	a.get("/analytics/crossmatch" + form).want(200)
	shown := regexp.MustCompile(`(?s)<pre>(.*?)</pre>`).FindStringSubmatch(a.last)
	if shown == nil {
		t.Fatal("the builder does not show its question")
	}
	raw := strings.NewReplacer("&#34;", `"`, "&quot;", `"`, "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(shown[1])
	var q segment.Query
	if err := json.Unmarshal([]byte(raw), &q); err != nil {
		t.Fatalf("shown question is not JSON: %v\n%s", err, raw)
	}
	adults := segment.Value("15-59")
	local := segment.Value("local")
	want := segment.Query{Subject: onedoor.Natural, Result: "breakdown", By: []string{"street"}, Segment: &segment.Expr{And: []*segment.Expr{
		{Attr: "age_policy", Eq: &adults}, {Not: &segment.Expr{Attr: "residency", Eq: &local}}, {Matter: matter, Event: "applied"}}}}
	if got, w := mustJSONString(t, q), mustJSONString(t, want); got != w {
		t.Fatalf("builder asked\n%s\nwant\n%s", got, w)
	}
	res, err := ix.Query(context.Background(), want, nil)
	if err != nil {
		t.Fatal(err)
	}
	byForm := a.csvTable("/analytics/crossmatch" + form + "&format=csv&table=0")
	byJSON := a.csvTable("/analytics/crossmatch?json=" + url.QueryEscape(raw) + "&format=csv&table=0")
	if mustJSONString(t, byForm) != mustJSONString(t, byJSON) {
		t.Errorf("form and JSON answers differ:\n%v\n%v", byForm, byJSON)
	}
	total := byForm[len(byForm)-1][1]
	if total != numCell(res.Table.Total) {
		t.Errorf("page total %s, index %d", total, res.Table.Total.V)
	}
	if res.Table.Total.V == 0 {
		t.Error("the test question selects nobody; choose one that selects someone")
	}
}

func mustJSONString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDashboardBadInput: bad questions show the form again with a 400
// naming the field, in the reader's language; hostile text comes back
// escaped; nothing is a 5xx.
func TestDashboardBadInput(t *testing.T) {
	e, _ := dashEnv(t)
	a := e.agent(t).login("analyst")
	cases := []struct{ path, field string }{
		{"/analytics/demand?year=abc", "年份"},
		{"/analytics/demand?top=0", "事项个数"},
		{"/analytics/demand?from=2026-13&to=2026-14", "起始月份"},
		{"/analytics/demand?from=2026-01", "截止月份"},
		{"/analytics/demand?year=2026&from=2026-01&to=2026-02", "年份"},
		{"/analytics/trends?from=2026-05&to=2026-01", "截止月份"},
		{"/analytics/communities?by=shoe_size", "分列"},
		{"/analytics/communities?matter=NOPE-1", ""},
		{"/analytics/beds?min_age=300", "起始年龄"},
		{"/analytics/trends?matter=A&matter=B&matter=C&matter=D&matter=E", "事项"},
		{"/analytics/crossmatch?result=breakdown&by1=street&by2=street", ""},
		{"/analytics/crossmatch?attr1=nonsense&result=count", "属性 1"},
		{"/analytics/crossmatch?json=" + url.QueryEscape(`{"segment":{"attr":"street","eq":"x"},"bogus":1}`), "JSON 问题"},
		{"/analytics/crossmatch?json=" + url.QueryEscape(`{"bed_demand":{}}`), "JSON 问题"},
		{"/analytics/whatif?rule=" + url.QueryEscape(`age >= `), "资格条件"},
		{"/analytics/whatif?rule=" + url.QueryEscape(`age >= 70`) + "&year=2025", ""},
		{"/analytics/beds?format=pdf", "格式"},
		{"/analytics/beds?format=csv&table=9", "表"},
	}
	for _, c := range cases {
		a.get(c.path)
		if a.status != 400 {
			t.Errorf("%s: status %d, want 400", c.path, a.status)
			continue
		}
		a.see(`class="alert error"`, `<form class="dashform"`)
		if c.field != "" {
			a.see(`<span class="field">` + c.field + `</span>`)
		}
	}
	hostile := `age >= 70 && street == "</textarea><script>alert(1)</script>"`
	a.get("/analytics/whatif?rule=" + url.QueryEscape(hostile)).want(200)
	a.notSee("<script>alert(1)</script>")
	a.see("&lt;/textarea&gt;&lt;script&gt;")
}

// TestDashboardAccess: the dashboards are for analysts, leaders and
// supervisors; the outreach list for leaders and supervisors, by POST
// with the form's CSRF token, and it holds exactly the eligible who have
// not applied.
func TestDashboardAccess(t *testing.T) {
	e, ix := dashEnv(t)
	for _, who := range []string{"clerk", "officer.hrss", "admin"} {
		e.agent(t).login(who).get("/analytics/demand").want(403)
	}
	e.agent(t).get("/analytics/demand").want(303)
	form := url.Values{"rule": {`age >= 60 && local`}, "compare": {"MED-001"}}
	analyst := e.agent(t).login("analyst")
	analyst.get("/analytics/whatif?" + form.Encode()).want(200)
	analyst.notSee(`action="/analytics/whatif/outreach"`)
	analyst.post("/analytics/whatif/outreach", url.Values(maps.Clone(form))).want(403)

	lead := e.agent(t).login("supervisor")
	lead.get("/analytics/whatif?" + form.Encode()).want(200)
	lead.see(`action="/analytics/whatif/outreach"`)
	lead.postRaw("/analytics/whatif/outreach", url.Values(maps.Clone(form))).want(403) // no CSRF token
	lead.get("/analytics/whatif?"+form.Encode()).post("/analytics/whatif/outreach", url.Values(maps.Clone(form))).want(200)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(lead.last)))
	if err != nil {
		t.Fatalf("outreach list does not open: %v", err)
	}
	defer f.Close()
	rows, _ := f.GetRows("outreach")
	res, err := ix.WhatIf(context.Background(), segment.WhatIf{Rule: form.Get("rule"), Compare: "MED-001"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rows)-1) != res.Compare.EligibleNotApplied.V || res.Compare.EligibleNotApplied.V == 0 {
		t.Errorf("outreach list has %d residents, the index says %d", len(rows)-1, res.Compare.EligibleNotApplied.V)
	}
	if !strings.Contains(e.logs.String(), "outreach list exported") {
		t.Error("the export is not logged")
	}
}

// TestDashboardsForEnterprises: the builder and the simulator ask about
// enterprises too, with enterprises' attributes and matters, and their
// answers are the index's.
func TestDashboardsForEnterprises(t *testing.T) {
	e, ix := dashEnv(t)
	a := e.agent(t).login("supervisor")
	a.get("/analytics/crossmatch?subject=legal").want(200)
	a.see(`value="org_size=micro"`, "企业规模").notSee(`name="age_min"`)
	a.get("/analytics/crossmatch?subject=legal&attr1=org_size%3Dmicro&result=breakdown&by1=street&format=csv&table=0")
	recs := a.csvTable("/analytics/crossmatch?subject=legal&attr1=org_size%3Dmicro&result=breakdown&by1=street&format=csv&table=0")
	micro := segment.Value("micro")
	res, err := ix.Query(context.Background(), segment.Query{Subject: onedoor.Legal, Segment: &segment.Expr{Attr: "org_size", Eq: &micro},
		Result: "breakdown", By: []string{"street"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][1] != "企业数" || recs[len(recs)-1][1] != numCell(res.Table.Total) || res.Table.Total.V == 0 {
		t.Errorf("enterprises by street: %v, the index says %d", recs, res.Table.Total.V)
	}
	rule := `org_size in ["micro", "small"] && !dishonest`
	a.get("/analytics/whatif?subject=legal&rule=" + url.QueryEscape(rule)).want(200)
	a.see("符合条件的企业", `<option value="legal" selected>`)
	w, err := ix.WhatIf(context.Background(), segment.WhatIf{Subject: onedoor.Legal, Rule: rule}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.see(dashCell{V: float64(w.Eligible.V)}.Show())
	// Residents' attributes are refused for enterprises, naming the field.
	a.get("/analytics/crossmatch?subject=legal&attr1=residency%3Dlocal&result=count").want(400)
	a.get("/analytics/whatif?subject=robots&rule=x").want(400)
	a.see(`<span class="field">申请人类型</span>`)
}
