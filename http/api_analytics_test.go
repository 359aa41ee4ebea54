package http_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"onedoor"
	"onedoor/calendar"
	odhttp "onedoor/http"
	"onedoor/internal/district"
	"onedoor/segment"
	"onedoor/synth"
)

// analyticsEnv is an apiEnv holding a small generated district, whose
// server also serves the analytics API over a live index.
func analyticsEnv(t *testing.T) (*apiEnv, *segment.Index) {
	t.Helper()
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "onedoor.db"))
	ctx := context.Background()
	end := time.Date(2026, 3, 1, 18, 0, 0, 0, calendar.Location)
	if _, err := district.Generate(ctx, e.db, synth.Config{People: 400, Years: 1, Seed: 5, End: end, Batch: 500}, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := district.BuildIndex(ctx, e.db, e.clock.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := odhttp.NewServer(e.db, nil)
	srv.Analytics(ix)
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	return e, ix
}

type countResult struct {
	Protected bool         `json:"protected"`
	Count     *segment.Num `json:"count"`
}

// TestAnalyticsAPI: a case accepted through the API is in the next
// analytics answer; analysts get protected aggregates and no people;
// leaders and supervisors get exact counts and the outreach list as Excel;
// other roles are refused; bad questions get a 400 naming the field.
func TestAnalyticsAPI(t *testing.T) {
	e, _ := analyticsEnv(t)
	q := mustJSON(map[string]any{"segment": map[string]any{"matter": "MED-001", "from": "2026-03", "to": "2026-03"}})
	ask := func(who string) countResult {
		t.Helper()
		r := e.do(t, request{Method: "POST", Path: "/api/v1/analytics/query", Token: who, Body: q})
		if r.Status != 200 {
			t.Fatalf("%s: %s", who, r)
		}
		var c countResult
		r.decodeInto(t, &c)
		return c
	}
	before := ask("supervisor")
	if before.Protected {
		t.Fatal("a supervisor's answer is protected")
	}

	// Freshness: accept a case at the window, ask again at once.
	m, _ := e.db.Catalog().Matter("MED-001")
	var materials []string
	for _, x := range m.Materials {
		materials = append(materials, x.Code)
	}
	intake := mustJSON(onedoor.IntakeRequest{Matter: "MED-001", Materials: materials,
		Applicant: onedoor.Applicant{Subject: onedoor.Natural, IDNumber: idNumber("440604", "19500101", 77), Name: "测试者"}})
	if r := e.do(t, request{Method: "POST", Path: "/api/v1/intake", Token: "clerk", Body: intake}); r.Status != 201 {
		t.Fatalf("intake: %s", r)
	}
	after := ask("supervisor")
	if after.Count.V != before.Count.V+1 {
		t.Fatalf("MED-001 applicants in March: %d before the intake, %d after; want one more", before.Count.V, after.Count.V)
	}

	an := ask("analyst") // a withheld count is null
	if !an.Protected || (an.Count != nil && an.Count.V > 0 && an.Count.V < 10) {
		t.Fatalf("the analyst's answer %+v is not protected", an)
	}

	// What-if: analysts may not list people; leaders may, and export them.
	wi := mustJSON(segment.WhatIf{Rule: `age >= 60 && local`, Compare: "CIV-011", List: true})
	if r := e.do(t, request{Method: "POST", Path: "/api/v1/analytics/whatif", Token: "analyst", Body: wi}); r.Status != 403 {
		t.Fatalf("an analyst asked for a list of people: %s", r)
	}
	r := e.do(t, request{Method: "POST", Path: "/api/v1/analytics/whatif", Token: "leader/civil", Body: wi})
	if r.Status != 200 {
		t.Fatalf("leader what-if: %s", r)
	}
	var res segment.WhatIfResult
	r.decodeInto(t, &res)
	if res.OutreachTotal == 0 || int64(len(res.Outreach)) != res.OutreachTotal {
		t.Fatalf("outreach: %d listed of %d", len(res.Outreach), res.OutreachTotal)
	}
	r = e.do(t, request{Method: "POST", Path: "/api/v1/analytics/whatif/outreach.xlsx", Token: "leader/civil", Body: wi})
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("export: %s", r)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("outreach")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rows)-1) != res.OutreachTotal {
		t.Fatalf("the workbook has %d residents, the list %d", len(rows)-1, res.OutreachTotal)
	}
	for _, row := range rows[1:] {
		if len(row) != 2 || []rune(row[1])[1] != '*' {
			t.Fatalf("a row is not an ID and a masked name: %q", row)
		}
	}
	if r := e.do(t, request{Method: "POST", Path: "/api/v1/analytics/whatif/outreach.xlsx", Token: "analyst", Body: wi}); r.Status != 403 {
		t.Fatalf("an analyst exported people: %s", r)
	}

	// Roles and bad input.
	for _, c := range []struct {
		token, method, path string
		body                []byte
		status              int
	}{
		{"clerk", "POST", "/api/v1/analytics/query", q, 403},
		{"admin", "POST", "/api/v1/analytics/query", q, 403},
		{"admin", "GET", "/api/v1/analytics/stats", nil, 200},
		{"analyst", "GET", "/api/v1/analytics/dimensions", nil, 200},
		{"analyst", "POST", "/api/v1/analytics/bed-demand", []byte(`{}`), 200},
		{"analyst", "POST", "/api/v1/analytics/demand", []byte(`{"top": 3}`), 200},
		{"", "POST", "/api/v1/analytics/query", q, 401},
		{"analyst", "POST", "/api/v1/analytics/query", []byte(`{"segment": {"attr": "planet", "eq": "Mars"}}`), 400},
		{"analyst", "POST", "/api/v1/analytics/query", []byte(`{"colour": "red"}`), 400},
		{"analyst", "POST", "/api/v1/analytics/whatif", []byte(`{"rule": "age >>= 3"}`), 400},
	} {
		r := e.do(t, request{Method: c.method, Path: c.path, Token: c.token, Body: c.body})
		if r.Status != c.status {
			t.Errorf("%s %s as %q: %s; want %d", c.method, c.path, c.token, r, c.status)
		}
		if c.status == 400 {
			var ae apiError
			r.decodeInto(t, &ae)
			if ae.Error == nil || ae.Error.Field == nil || *ae.Error.Field == "" {
				t.Errorf("%s: the error names no field: %s", c.path, r)
			}
		}
	}
}

// TestOutreachOfOrganisations: the outreach workbook of a what-if over
// organisations lists each organisation with its registered name —
// organisations and residents are numbered apart, so the same ID names a
// resident too — under headers that say organisations, never a resident's
// name.
func TestOutreachOfOrganisations(t *testing.T) {
	e, _ := analyticsEnv(t)
	ctx := context.Background()
	wi := mustJSON(segment.WhatIf{Subject: onedoor.Legal, Rule: `org_size in ["micro", "small"] && !dishonest`})
	r := e.do(t, request{Method: "POST", Path: "/api/v1/analytics/whatif/outreach.xlsx", Token: "leader/civil", Body: wi})
	if r.Status != 200 {
		t.Fatalf("export: %s", r)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("outreach")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 {
		t.Fatalf("the workbook lists %d organisations; the test proves little", len(rows)-1)
	}
	if h := strings.Join(rows[0], " | "); !strings.Contains(h, "Organisation ID") || strings.Contains(h, "Resident") || strings.Contains(h, "masked") {
		t.Errorf("the header %q does not speak of organisations", h)
	}
	residents, wrong, example := 0, 0, ""
	for _, row := range rows[1:] {
		id, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil || len(row) != 2 {
			t.Fatalf("a row is not an ID and a name: %q", row)
		}
		o, err := e.db.FindOrgByID(ctx, id)
		if err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		if row[1] != o.Name {
			if wrong++; wrong == 1 {
				example = fmt.Sprintf("organisation %d is listed as %q; its name is %q", id, row[1], o.Name)
			}
		}
		if p, err := e.db.FindPersonByID(ctx, id); err == nil && p.Name != o.Name {
			residents++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of the %d organisations listed under another name; %s", wrong, len(rows)-1, example)
	}
	if residents == 0 {
		t.Error("no organisation listed shares its ID with a resident; the test cannot tell the tables apart")
	}
	about, _ := f.GetRows("about")
	if s := fmt.Sprint(about); !strings.Contains(s, "Organisations") || strings.Contains(s, "Residents") || strings.Contains(s, "masked") {
		t.Errorf("the about sheet does not speak of organisations: %v", about)
	}
}

// TestSegmentValueOfWrongType: a segment value that is valid JSON but no
// string, boolean or number is refused naming its field and saying what a
// value may be — not as invalid JSON.
func TestSegmentValueOfWrongType(t *testing.T) {
	e, _ := analyticsEnv(t)
	for _, c := range []struct{ path, token, body, field string }{
		{"/api/v1/analytics/query", "analyst", `{"segment": {"attr": "sex", "eq": [1]}}`, "segment.eq"},
		{"/api/v1/analytics/query", "analyst", `{"segment": {"and": [{"attr": "sex", "in": [null]}]}}`, "segment.and.in"},
		{"/api/v1/analytics/whatif", "analyst", `{"rule": "age > 1", "within": {"attr": "sex", "eq": {}}}`, "within.eq"},
		{"/api/v1/analytics/whatif/outreach.xlsx", "leader/civil", `{"rule": "age > 1", "within": {"attr": "sex", "in": [["F"]]}}`, "within.in"},
	} {
		r := e.do(t, request{Method: "POST", Path: c.path, Token: c.token, Body: []byte(c.body)})
		var ae apiError
		r.decodeInto(t, &ae)
		if r.Status != 400 || ae.Error == nil || ae.Error.Field == nil || *ae.Error.Field != c.field ||
			!strings.Contains(ae.Error.Message, "a string, true/false or a number") || strings.Contains(ae.Error.Message, "not valid JSON") {
			t.Errorf("%s %s: %s; want 400 on field %s saying what a value may be", c.path, c.body, r, c.field)
		}
	}
}
