package http_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/xuri/excelize/v2"

	"onedoor/segment"
)

// analyticsPrefix is the path prefix of the analytics API, whose operations
// TestAnalyticsMatchOpenAPI exercises (the servers of the other OpenAPI
// scenarios have no analytics index).
const analyticsPrefix = "/api/v1/analytics/"

// xlsxType is the content type of the outreach workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func init() {
	// The workbook is checked as openapi.json documents it: a binary
	// string of that content type, with its headers.
	openapi3filter.RegisterBodyDecoder(xlsxType, openapi3filter.FileBodyDecoder)
}

// TestAnalyticsMatchOpenAPI asks the analytics API every kind of question,
// as the roles that may ask it, and validates every request and response
// against openapi.json: the dimensions and the index's size; counts,
// breakdowns (an analyst's with withheld cells, null), trends and top
// matters over recursive segments, for residents and organisations; the
// bed-demand cross-match, demand by residency and age, what-ifs with their
// outreach list and its workbook; and the refusals on the way (bad
// segments, fields, enums, months, limits, rules; roles; a missing token,
// body or JSON content type; a body over 1 MiB), including those the
// document itself refuses. Every analytics operation is called with
// success.
func TestAnalyticsMatchOpenAPI(t *testing.T) {
	e, _ := analyticsEnv(t)
	c := newSpecCheck(t, e)
	const (
		dimensions = analyticsPrefix + "dimensions"
		query      = analyticsPrefix + "query"
		beds       = analyticsPrefix + "bed-demand"
		demand     = analyticsPrefix + "demand"
		whatif     = analyticsPrefix + "whatif"
		outreach   = analyticsPrefix + "whatif/outreach.xlsx"
		stats      = analyticsPrefix + "stats"
	)
	type obj = map[string]any

	// The dimensions, for residents (the default) and organisations.
	var dl struct {
		Subject    string              `json:"subject"`
		Dimensions []segment.Dimension `json:"dimensions"`
	}
	dim := func(name string) *segment.Dimension {
		for i := range dl.Dimensions {
			if dl.Dimensions[i].Name == name {
				return &dl.Dimensions[i]
			}
		}
		t.Fatalf("%s dimensions %+v: no %s", dl.Subject, dl.Dimensions, name)
		return nil
	}
	c.call(get(dimensions, "analyst"), 200).decodeInto(t, &dl)
	if cm := dim("community"); dl.Subject != "natural" || cm.Parent != "street" || len(cm.Parents) != len(cm.Values) || len(cm.Values) == 0 {
		t.Fatalf("resident dimensions: %+v", dl)
	}
	streets := dim("street").Values
	c.call(get(dimensions+"?subject=legal", "leader/civil"), 200).decodeInto(t, &dl)
	if dl.Subject != "legal" || len(dim("org_size").Values) == 0 {
		t.Fatalf("organisation dimensions: %+v", dl)
	}
	c.refusedCall(get(dimensions+"?subject=people", "analyst"), 400, "invalid", "subject")
	c.errCall(get(dimensions, "clerk"), 403, "forbidden", "clerk")

	// The index's size: supervisors and administrators only.
	var st segment.Stats
	c.call(get(stats, "admin"), 200).decodeInto(t, &st)
	if st.Residents < 400 || st.Orgs == 0 || st.Cases == 0 || st.Streets != len(streets) {
		t.Fatalf("stats %+v: want the 400 residents, organisations and cases generated, %d streets", st, len(streets))
	}
	c.call(get(stats, "supervisor"), 200)
	c.errCall(get(stats, "analyst"), 403, "forbidden", "analyst")
	c.refusedCall(get(stats, ""), 401, "unauthorized", "token")

	// Queries. Leaders and supervisors get exact numbers.
	ask := func(who string, q obj) *segment.Result {
		t.Helper()
		var res segment.Result
		c.call(post(query, who, q), 200).decodeInto(t, &res)
		return &res
	}
	older := obj{"attr": "age", "min": 60}
	exact := ask("supervisor", obj{"segment": older})
	if exact.Result != "count" || exact.Protected || exact.Threshold != 0 || exact.Count == nil || exact.Count.V == 0 {
		t.Fatalf("a supervisor's count: %+v; want an exact count of residents aged 60 or more", exact)
	}
	bd := ask("leader/street", obj{"segment": older, "result": "breakdown", "by": []string{"street", "sex"}})
	if bd.Protected || bd.Table == nil || bd.Table.Total.V != exact.Count.V || len(bd.Table.Rows) != len(streets) || len(bd.Table.ColTotals) != len(bd.Table.Cols) {
		t.Fatalf("a leader's breakdown by street and sex: %+v; want the %d of the count, by %d streets", bd.Table, exact.Count.V, len(streets))
	}
	// Analysts get numbers under disclosure control: 0, at least 10, or null.
	seg := obj{"and": []any{
		obj{"or": []any{obj{"attr": "age_policy", "in": []any{"70-79", "80+"}}, obj{"attr": "disabled", "eq": true}}},
		obj{"not": obj{"attr": "residency", "eq": "non_local"}},
		obj{"matter": "*", "event": "applied", "from": "2025-03", "to": "2026-03"},
	}}
	prot := ask("analyst", obj{"subject": "natural", "segment": seg, "result": "count"})
	if !prot.Protected || prot.Threshold != 10 || prot.Count != nil && prot.Count.V > 0 && prot.Count.V < 10 {
		t.Fatalf("an analyst's count: %+v; want it protected", prot)
	}
	bd = ask("analyst", obj{"result": "breakdown", "by": []string{"community", "age_policy"}})
	withheld := 0
	for _, row := range append(slices.Clone(bd.Table.Cells), bd.Table.RowTotals, bd.Table.ColTotals, bd.Table.GroupTotals) {
		for _, n := range row {
			if n.Suppressed {
				withheld++
			} else if n.V > 0 && n.V < 10 {
				t.Errorf("an analyst's table shows %d", n.V)
			}
		}
	}
	if !bd.Protected || withheld == 0 || len(bd.Table.RowGroups) != len(bd.Table.Rows) || len(bd.Table.Groups) != len(streets) {
		t.Fatalf("an analyst's breakdown of 400 residents by community and age band: protected %v, %d numbers withheld, %d streets; want small cells withheld (null) and street subtotals",
			bd.Protected, withheld, len(bd.Table.Groups))
	}
	tr := ask("analyst", obj{"result": "trend", "matter": "MED-001", "event": "applied", "from": "2025-04", "to": "2026-03"})
	if len(tr.Trend) != 12 || tr.Trend[0].Month != "2025-04" || tr.Trend[11].Month != "2026-03" {
		t.Fatalf("a trend from 2025-04 to 2026-03: %+v", tr.Trend)
	}
	if tr = ask("supervisor", obj{"result": "trend", "segment": obj{"attr": "street", "eq": streets[0]}}); len(tr.Trend) != 24 {
		t.Fatalf("a trend without a window has %d months; want the last 24", len(tr.Trend))
	}
	top := ask("leader/civil", obj{"result": "top_matters", "limit": 5})
	if len(top.Top) != 5 || !slices.IsSortedFunc(top.Top, func(a, b segment.MatterCount) int { return int(b.Count.V - a.Count.V) }) {
		t.Fatalf("the top five matters: %+v", top.Top)
	}
	ask("analyst", obj{"result": "top_matters", "segment": obj{"attr": "age_policy", "eq": "15-59"}, "event": "approved", "year": 2025, "limit": 3})
	if org := ask("analyst", obj{"subject": "legal", "result": "breakdown", "by": []string{"org_size"},
		"segment": obj{"not": obj{"attr": "dishonest", "eq": true}}}); org.Subject != "legal" || !org.Protected {
		t.Fatalf("an analyst's breakdown of organisations: %+v", org)
	}
	// Bad questions: a 400 naming the field, and what the document refuses, refused.
	c.errCall(post(query, "analyst", obj{"segment": obj{"attr": "planet", "eq": "Mars"}}), 400, "invalid", "segment.attr")
	c.errCall(post(query, "analyst", obj{"segment": obj{"and": []any{older, obj{"matter": "NOPE-1"}}}}), 400, "invalid", "segment.and[1].matter")
	c.errCall(post(query, "analyst", obj{"segment": obj{"attr": "age", "eq": 70}}), 400, "invalid", "segment.attr")
	c.errCall(post(query, "analyst", obj{"by": []string{"street"}}), 400, "invalid", "result")
	c.errCall(post(query, "analyst", obj{"result": "breakdown", "by": []string{"street", "planet"}}), 400, "invalid", "by")
	many := make([]any, segment.MaxNodes)
	for i := range many {
		many[i] = obj{"attr": "sex", "eq": "F"}
	}
	c.errCall(post(query, "analyst", obj{"segment": obj{"or": many}}), 400, "invalid", strconv.Itoa(segment.MaxNodes))
	c.refusedCall(post(query, "analyst", obj{"result": "histogram"}), 400, "invalid", "result")
	c.refusedCall(post(query, "analyst", obj{"colour": "red"}), 400, "invalid", "colour")
	c.refusedCall(post(query, "analyst", obj{"segment": obj{}}), 400, "invalid", "segment")
	c.refusedCall(post(query, "analyst", obj{"segment": obj{"attr": "sex", "eq": []int{1}}}), 400, "invalid", "segment.eq")
	c.refusedCall(post(query, "analyst", obj{"segment": obj{"matter": "MED-001", "from": "2025-13", "to": "2026-01"}}), 400, "invalid", "segment.from")
	c.refusedCall(post(query, "analyst", obj{"result": "breakdown", "by": []string{"street", "sex", "residency"}}), 400, "invalid", "by")
	c.refusedCall(post(query, "analyst", obj{"result": "top_matters", "limit": 501}), 400, "invalid", "limit")
	// Empty answers are empty lists, as documented.
	var empty segment.Result
	c.call(post(query, "analyst", obj{"result": "top_matters", "year": 2001}), 200).decodeInto(t, &empty)
	if empty.Top == nil || len(empty.Top) != 0 {
		t.Fatalf("top matters of 2001: %+v", empty.Top)
	}
	c.call(post("/api/v1/analytics/whatif", "supervisor", obj{"rule": "age > 150", "list": true}), 200)
	c.refusedCall(request{Method: "POST", Path: query, Token: "analyst"}, 400, "invalid", "body")
	c.refusedCall(request{Method: "POST", Path: query, Token: "analyst", Body: []byte(`{}`), Header: map[string]string{"Content-Type": "text/plain"}}, 400, "invalid", "Content-Type")
	c.errCall(post(query, "analyst", obj{"segment": obj{"attr": "street", "eq": strings.Repeat("街", 1<<19)}}), 413, "too_large", "body")
	c.errCall(post(query, "clerk", obj{}), 403, "forbidden", "clerk")
	c.errCall(post(query, "admin", obj{}), 403, "forbidden", "admin")
	c.refusedCall(request{Method: "POST", Path: query, Token: "raw:Basic YWRtaW46YWRtaW4=", Body: []byte(`{}`)}, 401, "unauthorized", "token")

	// Bed demand: an empty body takes the defaults; a rate only where both numbers show.
	var bdr segment.BedDemandResult
	c.call(request{Method: "POST", Path: beds, Token: "analyst"}, 200).decodeInto(t, &bdr)
	if !bdr.Protected || bdr.MinAge != 70 || bdr.Pension != "HRSS-001" || bdr.Illness != "MED-001" || len(bdr.Streets) != len(streets) || len(bdr.Communities) < len(streets) {
		t.Fatalf("an analyst's bed demand with the defaults: %+v", bdr)
	}
	for _, row := range append(slices.Clone(bdr.Communities), bdr.Streets...) {
		if (row.Elderly.Suppressed || row.Demand.Suppressed) && row.PerThousand != nil {
			t.Fatalf("%s %s: a rate over a withheld number: %+v", row.Street, row.Community, row)
		}
	}
	c.call(post(beds, "analyst", obj{}), 200)
	c.call(post(beds, "supervisor", obj{"min_age": 60, "from": "2025-01", "to": "2026-03"}), 200).decodeInto(t, &bdr)
	var elderly int64
	for _, row := range bdr.Streets {
		elderly += row.Elderly.V
	}
	if bdr.Protected || bdr.MinAge != 60 || elderly != bdr.Total.Elderly.V || elderly != exact.Count.V {
		t.Fatalf("a supervisor's bed demand from 60: %d elderly in the streets, total %+v; want the %d residents aged 60 or more", elderly, bdr.Total, exact.Count.V)
	}
	c.refusedCall(post(beds, "analyst", obj{"min_age": 151}), 400, "invalid", "min_age")
	c.refusedCall(post(beds, "analyst", obj{"min_age": 70, "year": 2025, "colour": "red"}), 400, "invalid", "colour")
	c.errCall(post(beds, "analyst", obj{"pension": "NOPE-1"}), 400, "invalid", "NOPE-1")

	// Demand by residency and age band.
	var dr segment.DemandResult
	c.call(post(demand, "analyst", obj{"top": 3}), 200).decodeInto(t, &dr)
	if !dr.Protected || len(dr.Matters) == 0 || len(dr.Matters) > 3 || len(dr.Periods) != 2 || len(dr.Matters[0].Tables) != 2 {
		t.Fatalf("an analyst's demand for the top three matters of the last twelve months: %d matters, periods %v", len(dr.Matters), dr.Periods)
	}
	c.call(post(demand, "leader/street", obj{"matters": []string{"MED-001", "HRSS-001"}, "event": "approved", "period": "month", "from": "2025-10", "to": "2026-02"}), 200).decodeInto(t, &dr)
	if dr.Protected || dr.Event != "approved" || len(dr.Periods) != 5 || len(dr.Matters) != 2 || dr.Matters[1].Matter != "HRSS-001" || len(dr.Matters[1].Tables) != 5 {
		t.Fatalf("a leader's monthly demand for two matters: %+v", dr)
	}
	c.call(request{Method: "POST", Path: demand, Token: "supervisor"}, 200)
	c.refusedCall(post(demand, "analyst", obj{"period": "week"}), 400, "invalid", "period")
	c.refusedCall(post(demand, "analyst", obj{"top": 101}), 400, "invalid", "top")
	c.refusedCall(post(demand, "analyst", obj{"event": "filed"}), 400, "invalid", "event")
	c.errCall(post(demand, "analyst", obj{"matters": []string{"NOPE-1"}}), 400, "invalid", "matters")
	c.errCall(post(demand, "analyst", obj{"period": "month", "from": "2001-01", "to": "2100-12"}), 400, "invalid", "period")

	// What-ifs: analysts get protected aggregates and no people.
	rule := obj{"rule": "age >= 60 && local", "compare": "CIV-011"}
	var wr segment.WhatIfResult
	c.call(post(whatif, "analyst", rule), 200).decodeInto(t, &wr)
	if !wr.Protected || wr.Stats != nil || wr.Outreach != nil || wr.Compare == nil || wr.ByCommunity == nil {
		t.Fatalf("an analyst's what-if: %+v", wr)
	}
	list := obj{"rule": rule["rule"], "compare": rule["compare"], "list": true, "limit": 5}
	c.errCall(post(whatif, "analyst", list), 403, "forbidden", "people")
	c.call(post(whatif, "leader/civil", list), 200).decodeInto(t, &wr)
	if wr.Protected || wr.Stats == nil || wr.OutreachTotal == 0 || len(wr.Outreach) != int(min(wr.OutreachTotal, 5)) || wr.Compare.EligibleNotApplied.V != wr.OutreachTotal {
		t.Fatalf("a leader's what-if with a list of at most 5: %d listed of %d, compare %+v", len(wr.Outreach), wr.OutreachTotal, wr.Compare)
	}
	var wl segment.WhatIfResult
	c.call(post(whatif, "supervisor", obj{"subject": "legal", "rule": `org_size in ["micro", "small"] && !dishonest`,
		"within": obj{"attr": "org_kind", "in": []string{"company", "individual"}}}), 200).decodeInto(t, &wl)
	if wl.Subject != "legal" || wl.ByCommunity != nil || wl.ByStreet == nil {
		t.Fatalf("a what-if over organisations: %+v", wl)
	}
	c.errCall(post(whatif, "analyst", obj{"rule": "age >>= 3"}), 400, "invalid", "rule")
	var lr segment.WhatIfResult // rules over the e-licences held
	c.call(post(whatif, "supervisor", obj{"rule": `"pension_decision" in licences && age >= 60`}), 200).decodeInto(t, &lr)
	if lr.Eligible.V == 0 {
		t.Fatalf("nobody of 60 and over holds a pension decision: %+v", lr)
	}
	c.errCall(post(whatif, "analyst", obj{"rule": "age > 1", "year": 2025}), 400, "invalid", "compare")
	c.errCall(post(whatif, "analyst", obj{"rule": "age > 1", "within": obj{"attr": "age", "eq": 3}}), 400, "invalid", "within.attr")
	c.refusedCall(post(whatif, "analyst", obj{"compare": "CIV-011"}), 400, "invalid", "rule")
	c.refusedCall(post(whatif, "leader/civil", obj{"rule": "age > 1", "list": true, "limit": segment.MaxOutreach + 1}), 400, "invalid", "limit")
	c.refusedCall(post(whatif, "analyst", obj{"rule": strings.Repeat("a", 1<<20)}), 413, "too_large", "body")

	// The whole outreach list as Excel (list and limit ignored): leaders and supervisors.
	r := c.call(post(outreach, "leader/civil", list), 200)
	if n, err := strconv.ParseInt(r.Header.Get("X-Outreach-Count"), 10, 64); err != nil || n != wr.OutreachTotal || r.Header.Get("Content-Type") != xlsxType {
		t.Fatalf("the workbook: %s residents, %s; want the %d of the list", r.Header.Get("X-Outreach-Count"), r.Header.Get("Content-Type"), wr.OutreachTotal)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if rows, err := f.GetRows("outreach"); err != nil || int64(len(rows)-1) != wr.OutreachTotal {
		t.Fatalf("the workbook has %d rows (%v); want a header and the %d residents", len(rows), err, wr.OutreachTotal)
	}
	c.call(post(outreach, "supervisor", rule), 200)
	c.errCall(post(outreach, "analyst", rule), 403, "forbidden", "analyst")
	c.errCall(post(outreach, "leader/civil", obj{"rule": "age >"}), 400, "invalid", "rule")
	c.refusedCall(request{Method: "POST", Path: outreach, Token: "leader/civil"}, 400, "invalid", "body")

	// Every analytics operation was called with success.
	for path, item := range c.doc.Paths.Map() {
		if !strings.HasPrefix(path, analyticsPrefix) {
			continue
		}
		for method, op := range item.Operations() {
			ok := false
			for status := range c.seen[method+" "+path] {
				ok = ok || status < 300
			}
			if !ok {
				t.Errorf("%s %s (%s) was never called with success", method, path, op.OperationID)
			}
		}
	}
}
