package segment_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"onedoor"
	"onedoor/catalog"
	"onedoor/segment"
)

// emptyIndex is an index of the built-in catalog's matters with no
// residents, organisations or cases: a new district, or a store the
// index has not been filled from yet.
func emptyIndex(t *testing.T) *segment.Index {
	t.Helper()
	ix := segment.New(segment.Config{Reference: refDate, Matters: matterSubjects(catalog.Builtin())})
	ix.Finish(0)
	return ix
}

// jsonOf is v as JSON read back.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// nullsIn lists the JSON paths of v that are null, and the required ones
// ("key.key") missing.
func nullsIn(t *testing.T, v any, required ...string) []string {
	t.Helper()
	doc := jsonOf(t, v)
	var out []string
	var walk func(path string, x any)
	walk = func(path string, x any) {
		switch x := x.(type) {
		case nil:
			out = append(out, path)
		case map[string]any:
			for k, v := range x {
				walk(path+"."+k, v)
			}
		case []any:
			for i, v := range x {
				walk(path+"["+strconv.Itoa(i)+"]", v)
			}
		}
	}
	walk("", doc)
	out = append(out, missing(t, v, required...)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// missing lists the keys ("key.key") of v that are missing or null.
func missing(t *testing.T, v any, keys ...string) []string {
	t.Helper()
	doc := jsonOf(t, v)
	var out []string
	for _, r := range keys {
		x := doc
		for _, k := range strings.Split(r, ".") {
			m, _ := x.(map[string]any)
			if x = m[k]; x == nil {
				out = append(out, "."+r)
				break
			}
		}
	}
	return out
}

// TestEmptyIndexAnswers asks every kind of question of an index with
// nobody in it, exactly and under disclosure control: every answer is
// well-formed — zeros and empty lists, no null, no missing list, no
// panic.
func TestEmptyIndexAnswers(t *testing.T) {
	ix := emptyIndex(t)
	table := []string{"table.dims", "table.rows", "table.cells", "table.row_totals", "table.total"}
	for _, p := range []*segment.Protection{nil, protect()} {
		name := "exact"
		if p != nil {
			name = "protected"
		}
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				q        segment.Query
				required []string
			}{
				{segment.Query{}, []string{"count"}},
				{segment.Query{Result: "breakdown", By: []string{"street"}}, table},
				{segment.Query{Result: "breakdown", By: []string{"community"}}, table},
				{segment.Query{Result: "breakdown", By: []string{"community", "age_policy"}}, append(table, "table.cols", "table.col_totals")},
				{segment.Query{Result: "breakdown", By: []string{"age_policy", "street"}}, append(table, "table.cols", "table.col_totals")},
				{segment.Query{Result: "breakdown", By: []string{"sex"}}, table},
				{segment.Query{Subject: onedoor.Legal, Result: "breakdown", By: []string{"org_size"}}, table},
				{segment.Query{Subject: onedoor.Legal, Result: "breakdown", By: []string{"street", "org_kind"}}, table},
				{segment.Query{Result: "trend", From: "2026-01", To: "2026-03"}, []string{"trend"}},
				{segment.Query{Result: "top_matters"}, []string{"top"}},
				{segment.Query{Subject: onedoor.Legal, Result: "top_matters", Year: 2025}, []string{"top"}},
			} {
				r, err := ix.Query(ctx, c.q, p)
				if err != nil {
					t.Fatalf("%s by %v: %v", c.q.Result, c.q.By, err)
				}
				if bad := nullsIn(t, r, c.required...); len(bad) > 0 {
					t.Errorf("%s %s by %v: null or missing %v", c.q.Subject, c.q.Result, c.q.By, bad)
				}
				if r.Count != nil && r.Count.V != 0 || r.Table != nil && r.Table.Total.V != 0 {
					t.Errorf("%s by %v: %+v; want zeros", c.q.Result, c.q.By, r)
				}
			}
			bd, err := ix.BedDemand(ctx, segment.BedDemand{}, p)
			if err != nil {
				t.Fatalf("bed demand: %v", err)
			}
			if bad := nullsIn(t, bd, "communities", "streets", "total.elderly", "total.demand"); len(bad) > 0 {
				t.Errorf("bed demand: null or missing %v", bad)
			}
			for _, d := range []segment.Demand{{}, {Matters: []string{"MED-001"}, Year: 2025}, {Year: 2001}} {
				dr, err := ix.Demand(ctx, d, p)
				if err != nil {
					t.Fatalf("demand %+v: %v", d, err)
				}
				if bad := nullsIn(t, dr, "matters", "periods", "population.rows", "population.cells"); len(bad) > 0 {
					t.Errorf("demand %+v: null or missing %v", d, bad)
				}
			}
			for _, w := range []segment.WhatIf{
				{Rule: "age >= 60"},
				{Rule: "age >= 60 && lives_alone", Compare: "MED-001", Year: 2025},
				{Subject: onedoor.Legal, Rule: `org_size == "small"`, Compare: "MKT-001"},
			} {
				wr, err := ix.WhatIf(ctx, w, p)
				if err != nil {
					t.Fatalf("what-if %q: %v", w.Rule, err)
				}
				if bad := nullsIn(t, wr, "eligible", "by_street.rows", "by_street.cells", "by_street.row_totals"); len(bad) > 0 {
					t.Errorf("what-if %q: null or missing %v", w.Rule, bad)
				}
				if wr.Eligible.V != 0 || wr.Eligible.Suppressed {
					t.Errorf("what-if %q: eligible %+v; want 0", w.Rule, wr.Eligible)
				}
			}
		})
	}
	for _, s := range []onedoor.SubjectType{onedoor.Natural, onedoor.Legal} {
		for _, d := range ix.Dimensions(s) {
			if bad := nullsIn(t, d, "values"); len(bad) > 0 {
				t.Errorf("%s dimension %s: null or missing %v", s, d.Name, bad)
			}
		}
	}
}

// TestListsAreNeverNull: lists the API documents are lists even when
// nothing qualifies — the top matters of a year without cases, the
// matters of its demand, and a what-if's outreach list that finds nobody
// (with its total, 0).
func TestListsAreNeverNull(t *testing.T) {
	d := sqliteDistrict(t, 500, 3)
	ix := buildIndex(t, d.DB)
	for _, p := range []*segment.Protection{nil, protect()} {
		r, err := ix.Query(ctx, segment.Query{Result: "top_matters", Year: 2001}, p)
		if err != nil {
			t.Fatal(err)
		}
		if bad := missing(t, r, "top"); len(bad) > 0 || len(r.Top) != 0 {
			t.Errorf("top matters of 2001 (protected %v): %+v, null or missing %v; want an empty list", p != nil, r.Top, bad)
		}
		dr, err := ix.Demand(ctx, segment.Demand{Year: 2001}, p)
		if err != nil {
			t.Fatal(err)
		}
		if bad := missing(t, dr, "matters"); len(bad) > 0 || len(dr.Matters) != 0 {
			t.Errorf("demand of 2001 (protected %v): %d matters, null or missing %v; want an empty list", p != nil, len(dr.Matters), bad)
		}
	}
	wr, err := ix.WhatIf(ctx, segment.WhatIf{Rule: "age > 200", List: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bad := missing(t, wr, "outreach", "outreach_total"); len(bad) > 0 || wr.OutreachTotal != 0 {
		t.Errorf("an outreach list of nobody: null or missing %v", bad)
	}
	// Without list, no list and no total.
	wr, err = ix.WhatIf(ctx, segment.WhatIf{Rule: "age > 60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(wr)
	if strings.Contains(string(b), `"outreach`) {
		t.Errorf("a what-if without list: %s; want no outreach", b)
	}
}

// fieldOf is the field an error names; it fails the test for a nil error.
func fieldOf(t *testing.T, what string, err error) string {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if onedoor.ErrorCode(err) != onedoor.EINVALID {
		t.Fatalf("%s: %v; want invalid", what, err)
	}
	return onedoor.ErrorField(err)
}

// TestRequestErrorsNameTheField: every refused request names the field
// the asker wrote — the top-level window of a query, demand or what-if,
// the matters and window of the bed demand (not the segment it builds),
// a field that belongs to another kind of result, top beside matters,
// and a segment value that is no string, boolean or number.
func TestRequestErrorsNameTheField(t *testing.T) {
	ix := emptyIndex(t)
	p := protect()
	trend := func(q segment.Query) func() error {
		return func() error {
			q.Result = "trend"
			_, err := ix.Query(ctx, q, p)
			return err
		}
	}
	top := func(q segment.Query) func() error {
		return func() error {
			q.Result = "top_matters"
			_, err := ix.Query(ctx, q, p)
			return err
		}
	}
	query := func(q segment.Query) func() error {
		return func() error { _, err := ix.Query(ctx, q, p); return err }
	}
	demand := func(q segment.Demand) func() error {
		return func() error { _, err := ix.Demand(ctx, q, p); return err }
	}
	beds := func(q segment.BedDemand) func() error {
		return func() error { _, err := ix.BedDemand(ctx, q, p); return err }
	}
	whatIf := func(q segment.WhatIf) func() error {
		return func() error { _, err := ix.WhatIf(ctx, q, p); return err }
	}
	parse := func(body string) func() error {
		return func() error { _, err := segment.ParseRequest([]byte(body)); return err }
	}
	for _, c := range []struct {
		name, field, says string
		ask               func() error
	}{
		{"trend year out of range", "year", "1999", trend(segment.Query{Year: 1999})},
		{"trend year and months", "year", "not both", trend(segment.Query{Year: 2025, From: "2025-01", To: "2025-02"})},
		{"trend from without to", "to", "both", trend(segment.Query{From: "2025-01"})},
		{"trend to without from", "from", "both", trend(segment.Query{To: "2025-01"})},
		{"trend bad from", "from", "2025-13", trend(segment.Query{From: "2025-13", To: "2026-01"})},
		{"trend bad to", "to", "2026-00", trend(segment.Query{From: "2025-01", To: "2026-00"})},
		{"trend backwards", "from", "backwards", trend(segment.Query{From: "2026-01", To: "2025-01"})},
		{"top year", "year", "1999", top(segment.Query{Year: 1999})},
		{"top from without to", "to", "both", top(segment.Query{From: "2025-01"})},
		{"demand year", "year", "1999", demand(segment.Demand{Year: 1999})},
		{"demand to without from", "from", "both", demand(segment.Demand{To: "2025-01"})},
		{"what-if year", "year", "1999", whatIf(segment.WhatIf{Rule: "age > 1", Compare: "MED-001", Year: 1999})},
		{"what-if from without to", "to", "both", whatIf(segment.WhatIf{Rule: "age > 1", Compare: "MED-001", From: "2025-01"})},
		{"segment from without to", "segment.to", "both", query(segment.Query{Segment: &segment.Expr{Matter: "MED-001", From: "2025-01"}})},
		{"segment year", "segment.and[0].year", "1999", query(segment.Query{Segment: &segment.Expr{And: []*segment.Expr{{Matter: "MED-001", Year: 1999}}}})},

		{"bed demand pension", "pension", "NOPE-1", beds(segment.BedDemand{Pension: "NOPE-1"})},
		{"bed demand pension of organisations", "pension", "MKT-001", beds(segment.BedDemand{Pension: "MKT-001"})},
		{"bed demand any pension", "pension", "applied", beds(segment.BedDemand{Pension: "*"})},
		{"bed demand illness", "illness", "MKT-001", beds(segment.BedDemand{Illness: "MKT-001"})},
		{"bed demand year", "year", "1999", beds(segment.BedDemand{Year: 1999})},
		{"bed demand from without to", "to", "both", beds(segment.BedDemand{From: "2025-01"})},
		{"bed demand bad month", "from", "2025-13", beds(segment.BedDemand{From: "2025-13", To: "2026-01"})},

		{"breakdown with year", "year", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, Year: 2001})},
		{"breakdown with matter", "matter", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, Matter: "NOPE"})},
		{"breakdown with event", "event", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, Event: "approved"})},
		{"breakdown with months", "from", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, From: "2025-01", To: "2025-02"})},
		{"breakdown with to", "to", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, To: "2025-02"})},
		{"breakdown with limit", "limit", "breakdown", query(segment.Query{Result: "breakdown", By: []string{"street"}, Limit: 3})},
		{"trend with by", "by", "trend", trend(segment.Query{By: []string{"street"}})},
		{"trend with limit", "limit", "trend", trend(segment.Query{Limit: 3})},
		{"top with by", "by", "top_matters", top(segment.Query{By: []string{"street"}})},
		{"top with matter", "matter", "top_matters", top(segment.Query{Matter: "MED-001"})},
		{"count with by", "result", "count", query(segment.Query{By: []string{"street"}})},

		{"demand matters and top", "top", "matters", demand(segment.Demand{Matters: []string{"MED-001"}, Top: 3})},

		{"value an array", "segment.eq", "a string, true/false or a number", parse(`{"segment": {"attr": "sex", "eq": [1]}}`)},
		{"value null", "segment.and.in", "a string, true/false or a number", parse(`{"segment": {"and": [{"attr": "sex", "in": [null]}]}}`)},
		{"value an object", "query.segment.in", "a string, true/false or a number", parse(`{"query": {"segment": {"attr": "sex", "in": ["F", {}]}}}`)},
		{"value in a what-if", "whatif.within.eq", "a string, true/false or a number", parse(`{"whatif": {"rule": "age > 1", "within": {"attr": "sex", "eq": {}}}}`)},
	} {
		err := c.ask()
		if got := fieldOf(t, c.name, err); got != c.field || !strings.Contains(onedoor.ErrorMessage(err), c.says) {
			t.Errorf("%s: field %q, %q; want field %q saying %q", c.name, got, onedoor.ErrorMessage(err), c.field, c.says)
		}
	}
}

// TestValueJSON: a segment value is a string, a boolean or a number;
// anything else is a JSON type error on the value, which a decoder
// reports with the field it was in.
func TestValueJSON(t *testing.T) {
	for _, c := range []struct {
		json string
		want segment.Value
	}{{`"F"`, "F"}, {`true`, "true"}, {`false`, "false"}, {`70`, "70"}, {`2.5`, "2.5"}} {
		var v segment.Value
		if err := json.Unmarshal([]byte(c.json), &v); err != nil || v != c.want {
			t.Errorf("%s: %q, %v; want %q", c.json, v, err, c.want)
		}
	}
	for _, bad := range []string{`[1]`, `{}`, `null`} {
		var e segment.Expr
		err := json.Unmarshal([]byte(`{"in": [`+bad+`]}`), &e)
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || te.Field != "in" {
			t.Errorf("in: [%s]: %v; want a type error on in", bad, err)
		}
	}
}

// TestAnalystsDemandRanksAsProtected: an analyst's demand without named
// matters takes the matters of the analyst's own (protected) top list, in
// its order — not the exact ranking, which would tell the order of
// withheld counts, and that each matter listed had an applicant.
func TestAnalystsDemandRanksAsProtected(t *testing.T) {
	d := sqliteDistrict(t, districtPeople, districtSeed)
	ix := buildIndex(t, d.DB)
	p := &segment.Protection{Threshold: k}
	const month, top = "2026-06", 40
	want := protQuery(t, ix, p, segment.Query{Result: "top_matters", From: month, To: month, Limit: top})
	exact := mustQuery(t, ix, segment.Query{Result: "top_matters", From: month, To: month, Limit: top})
	names := func(ms []segment.MatterCount) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Matter)
		}
		return out
	}
	if slices.Equal(names(want.Top), names(exact.Top)) {
		t.Fatalf("the protected top list of %s is the exact one (%v); the test proves nothing", month, names(exact.Top))
	}
	dr, err := ix.Demand(ctx, segment.Demand{Top: top, Period: "month", From: month, To: month}, p)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range dr.Matters {
		got = append(got, m.Matter)
	}
	if !slices.Equal(got, names(want.Top)) {
		t.Errorf("an analyst's demand lists %v; want the protected top list %v (exact: %v)", got, names(want.Top), names(exact.Top))
	}
}
