package http

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"onedoor/segment"
)

// TestOpenData: anyone, signed in or not, reads the open tier: the tiers
// explained, each open dataset shown and downloadable, always with small
// numbers withheld — the bed demand table is exactly what the index
// answers under the analysts' disclosure control — and the question is
// not theirs to change.
func TestOpenData(t *testing.T) {
	e, ix := dashEnv(t)
	pub := e.agent(t)
	pub.get("/").want(200).see(`href="/open"`)
	pub.get("/open").want(200).see("无条件开放", "有条件开放", "不开放", "少于 10 人的数字不公布")
	for _, o := range e.srvServer(t).openDatasets() {
		pub.see(`href="/open/` + o.Name + `"`)
	}
	for _, o := range e.srvServer(t).openDatasets() {
		// The last twelve months before the index's reference day, 2026-03-02.
		pub.get("/open/"+o.Name).want(200).see("<svg", "<table", "表示少于 10 人", "format=csv", `href="/open"`, "2025-04").
			notSee(`class="dashform"`, `href="/analytics`, "2025-03")
	}

	// The bed demand download is the index's protected answer.
	want, err := ix.BedDemand(context.Background(), segment.BedDemand{}, e.srvAnalytics(t).protectionFor(""))
	if err != nil {
		t.Fatal(err)
	}
	recs := pub.csvTable("/open/beds?format=csv&table=1")
	if len(recs) != len(want.Communities)+2 {
		t.Fatalf("%d CSV rows for %d communities", len(recs), len(want.Communities))
	}
	withheld := 0
	for i, c := range want.Communities {
		if row := recs[i+1]; row[2] != numCell(c.Elderly) || row[3] != numCell(c.Demand) {
			t.Errorf("row %d is %v, the index says %+v", i, row, c)
		}
		for _, n := range []segment.Num{c.Elderly, c.Demand} {
			if !n.Suppressed && n.V > 0 && n.V < 10 {
				t.Errorf("community %s: %d shown", c.Community, n.V)
			}
			if n.Suppressed {
				withheld++
			}
		}
	}
	if withheld == 0 {
		t.Error("no number is withheld from the communities of a district of 1,000")
	}

	// A question of one's own is not answered here: the form is ignored.
	plain := pub.csvTable("/open/communities?format=csv&table=0")
	asked := pub.csvTable("/open/communities?format=csv&table=0&matter=MED-001&f_residency=local&by=age5")
	if !slices.EqualFunc(plain, asked, slices.Equal) {
		t.Error("the open communities dataset changed with the form")
	}
	// A signed-in leader, who sees exact numbers on the dashboards, reads
	// the open tier as everyone does.
	leader := e.agent(t).login("leader.hrss")
	if got := leader.csvTable("/open/beds?format=csv&table=1"); !slices.EqualFunc(got, recs, slices.Equal) {
		t.Error("a leader reads a different open dataset")
	}

	pub.get("/open/whatif").want(404).see("没有这个开放数据集")
	pub.get("/open/crossmatch").want(404)
	pub.get("/open/beds?format=pdf").want(400)
	pub.get("/lang/en?next=/open").want(303)
	pub.get("/open").see("Open to everyone", "Not open")
}

// srvServer reaches the Server behind the test server.
func (e *webEnv) srvServer(t *testing.T) *Server {
	t.Helper()
	s, ok := e.srv.Config.Handler.(*Server)
	if !ok {
		t.Fatal("the test server is not a Server")
	}
	return s
}

// TestOpenDataRefreshedEveryMinute: an open dataset is answered once a
// minute, whoever asks and however often: a case accepted now shows to
// analysts at once and to the public within the minute.
func TestOpenDataRefreshedEveryMinute(t *testing.T) {
	e, _ := dashEnv(t)
	pub := e.agent(t)
	thisMonth := func() string {
		for _, rec := range pub.csvTable("/open/trends?format=csv&table=0") {
			if rec[0] == "2026-03" {
				return rec[1]
			}
		}
		t.Fatal("the open trend has no row for 2026-03")
		return ""
	}
	if got := thisMonth(); got != "0" {
		t.Fatalf("2026-03 before any case this month: %q", got)
	}
	clerk := e.agent(t).login("clerk")
	clerk.intake(idNumber("440604", "19800101", 31), "丙居民", "13800000031", "HRSS-010", url.Values{"material": {"photo"}})
	// One applicant this month: under the threshold, withheld from now on
	// for analysts; the public still reads the minute's answer.
	analyst := e.agent(t).login("analyst")
	found := false
	for _, rec := range analyst.csvTable("/analytics/trends?format=csv&table=0&from=2026-03&to=2026-03") {
		if rec[0] == "2026-03" {
			found = true
			if rec[1] != withheldMark {
				t.Errorf("analysts read %q for 2026-03 after one case", rec[1])
			}
		}
	}
	if !found {
		t.Error("the analysts' trend has no row for 2026-03")
	}
	e.clock.Set("2026-03-02 09:00")
	if got := thisMonth(); got != "0" {
		t.Errorf("within the minute the public reads %q, want the minute's answer 0", got)
	}
	e.clock.Set("2026-03-02 09:01")
	if got := thisMonth(); got != withheldMark {
		t.Errorf("a minute later the public reads %q, want %s", got, withheldMark)
	}
}
