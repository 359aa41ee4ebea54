package segment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"onedoor"
)

// Request is any one question to the index: a query, a ready analysis or
// a what-if. Exactly one field is set.
type Request struct {
	Query     *Query     `json:"query,omitempty"`
	BedDemand *BedDemand `json:"bed_demand,omitempty"`
	Demand    *Demand    `json:"demand,omitempty"`
	WhatIf    *WhatIf    `json:"whatif,omitempty"`
}

// ParseRequest reads a Request, or a bare Query, from JSON. Unknown fields
// are errors, named.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	err := strictJSON(body, &r)
	if err == nil {
		n := 0
		for _, set := range []bool{r.Query != nil, r.BedDemand != nil, r.Demand != nil, r.WhatIf != nil} {
			if set {
				n++
			}
		}
		if n == 1 {
			return r, nil
		}
		if n > 1 {
			return r, bad("body", "Give one of query, bed_demand, demand and whatif.")
		}
	} else if isRequest(body) {
		return r, err // a Request with a bad part: its error, not a Query's
	}
	var q Query
	if err := strictJSON(body, &q); err != nil {
		return r, err
	}
	return Request{Query: &q}, nil
}

// isRequest reports whether body is an object with one of the keys of a
// Request, which a bare Query does not have.
func isRequest(body []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil {
		return false
	}
	for _, k := range []string{"query", "bed_demand", "demand", "whatif"} {
		if _, ok := keys[k]; ok {
			return true
		}
	}
	return false
}

func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return bad(f, "Unknown field %q.", f)
		}
		if ve, ok := ValueError(err); ok {
			return ve
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return bad(te.Field, "The field %q must be of JSON type %s.", te.Field, te.Type)
		}
		return bad("body", "The body is not valid JSON: %s.", msg)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("body", "The body must hold exactly one JSON object.")
	}
	return nil
}

// Do answers any Request.
func (ix *Index) Do(ctx context.Context, r Request, p *Protection) (any, error) {
	switch {
	case r.Query != nil:
		return ix.Query(ctx, *r.Query, p)
	case r.BedDemand != nil:
		return ix.BedDemand(ctx, *r.BedDemand, p)
	case r.Demand != nil:
		return ix.Demand(ctx, *r.Demand, p)
	case r.WhatIf != nil:
		return ix.WhatIf(ctx, *r.WhatIf, p)
	}
	return nil, bad("body", "Give one of query, bed_demand, demand and whatif.")
}

// BedDemand is the cross-match of the reform's own example (R9): residents
// aged MinAge or more who have an approved retirement pension (Pension,
// default HRSS-001) and applied for serious-illness insurance (Illness,
// default MED-001, in the optional window), per community, against the
// community's population of that age — the demand for beds in elderly
// care institutions.
type BedDemand struct {
	Pension string `json:"pension,omitempty"`
	Illness string `json:"illness,omitempty"`
	MinAge  int    `json:"min_age,omitempty"`
	Year    int    `json:"year,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
}

// BedDemandResult gives, per community (with its street) and per street,
// the elderly population, those in demand, and the rate per thousand.
type BedDemandResult struct {
	Pension     string         `json:"pension"`
	Illness     string         `json:"illness"`
	MinAge      int            `json:"min_age"`
	Reference   string         `json:"reference"`
	Protected   bool           `json:"protected"`
	Threshold   int            `json:"threshold,omitempty"`
	Communities []BedDemandRow `json:"communities"`
	Streets     []BedDemandRow `json:"streets"`
	Total       BedDemandRow   `json:"total"`
}

// BedDemandRow is one community, street or the district. PerThousand is
// demand per thousand elderly, absent when either count is withheld.
type BedDemandRow struct {
	Street      string   `json:"street,omitempty"`
	Community   string   `json:"community,omitempty"`
	Elderly     Num      `json:"elderly"`
	Demand      Num      `json:"demand"`
	PerThousand *float64 `json:"per_thousand,omitempty"`
}

func rate(d, e Num) *float64 {
	if d.Suppressed || e.Suppressed || e.V == 0 {
		return nil
	}
	r := float64(d.V) * 1000 / float64(e.V)
	r = float64(int64(r*10+0.5)) / 10
	return &r
}

// BedDemand runs the elderly-care bed demand cross-match.
func (ix *Index) BedDemand(ctx context.Context, q BedDemand, p *Protection) (*BedDemandResult, error) {
	if q.Pension == "" {
		q.Pension = "HRSS-001"
	}
	if q.Illness == "" {
		q.Illness = "MED-001"
	}
	if q.MinAge == 0 {
		q.MinAge = 70
	}
	if q.MinAge < 0 || q.MinAge > maxAge {
		return nil, bad("min_age", "The age must be from 0 to %d.", maxAge)
	}
	if _, err := parseWindow("", q.Year, q.From, q.To); err != nil {
		return nil, err
	}
	elderly := &Expr{Attr: "age", Min: &q.MinAge}
	demand := &Expr{And: []*Expr{elderly,
		{Matter: q.Pension, Event: "approved"},
		{Matter: q.Illness, Event: "applied", Year: q.Year, From: q.From, To: q.To}}}
	by := []string{"community"}
	// Checked before anything is counted (and, under protection, shown).
	if err := ix.check(ctx, Query{Segment: demand, Result: "breakdown", By: by}); err != nil {
		// The asker wrote pension and illness, not the segment made of them.
		switch f := onedoor.ErrorField(err); {
		case f == "segment.and[1]" || strings.HasPrefix(f, "segment.and[1]."):
			return nil, onedoor.OnField(err, "pension")
		case f == "segment.and[2]" || strings.HasPrefix(f, "segment.and[2]."):
			return nil, onedoor.OnField(err, "illness")
		}
		return nil, err
	}
	e, err := ix.Query(ctx, Query{Segment: elderly, Result: "breakdown", By: by}, p)
	if err != nil {
		return nil, err
	}
	d, err := ix.Query(ctx, Query{Segment: demand, Result: "breakdown", By: by}, p)
	if err != nil {
		return nil, err
	}
	res := &BedDemandResult{Pension: q.Pension, Illness: q.Illness, MinAge: q.MinAge, Reference: e.Reference,
		Protected: e.Protected, Threshold: e.Threshold, Communities: []BedDemandRow{}, Streets: []BedDemandRow{}}
	et, dt := e.Table, d.Table
	drow := map[string]int{}
	for i := range dt.Rows {
		drow[dt.RowGroups[i]+"\x00"+dt.Rows[i]] = i
	}
	for i := range et.Rows {
		row := BedDemandRow{Street: et.RowGroups[i], Community: et.Rows[i], Elderly: et.RowTotals[i]}
		if j, ok := drow[et.RowGroups[i]+"\x00"+et.Rows[i]]; ok {
			row.Demand = dt.RowTotals[j]
		}
		row.PerThousand = rate(row.Demand, row.Elderly)
		res.Communities = append(res.Communities, row)
	}
	dg := map[string]Num{}
	for i, g := range dt.Groups {
		dg[g] = dt.GroupTotals[i]
	}
	for i, g := range et.Groups {
		row := BedDemandRow{Street: g, Elderly: et.GroupTotals[i], Demand: dg[g]}
		row.PerThousand = rate(row.Demand, row.Elderly)
		res.Streets = append(res.Streets, row)
	}
	res.Total = BedDemandRow{Elderly: et.Total, Demand: dt.Total}
	res.Total.PerThousand = rate(dt.Total, et.Total)
	return res, nil
}

// Demand asks which matters locals and non-locals, and each policy age
// band, apply for (R8), per year or month: for each matter, the number of
// applicants of each residency × age band group, against the group's
// population. Without Matters, the Top (default 10) matters of the window
// by applicants are shown.
type Demand struct {
	Matters []string `json:"matters,omitempty"`
	Top     int      `json:"top,omitempty"`
	Event   string   `json:"event,omitempty"`
	Period  string   `json:"period,omitempty"` // year (default) or month
	Year    int      `json:"year,omitempty"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
}

// DemandResult holds one table per matter and period: rows are residency
// (local, non_local), columns the policy age bands.
type DemandResult struct {
	Reference  string         `json:"reference"`
	Protected  bool           `json:"protected"`
	Threshold  int            `json:"threshold,omitempty"`
	Event      string         `json:"event"`
	Periods    []string       `json:"periods"`
	Population *Table         `json:"population"`
	Matters    []DemandMatter `json:"matters"`
}

// DemandMatter is one matter: Tables[i] is the period Periods[i].
type DemandMatter struct {
	Matter string   `json:"matter"`
	Tables []*Table `json:"tables"`
}

// MaxDemandTables bounds the tables of one Demand.
const MaxDemandTables = 2000

// Demand runs the demand-by-residency-and-age analysis.
func (ix *Index) Demand(ctx context.Context, q Demand, p *Protection) (*DemandResult, error) {
	cls, err := eventClass("event", q.Event)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow("", q.Year, q.From, q.To)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	ref := ix.ref
	if w.all() {
		last := monthKey(ref)
		w = window{last - 11, last}
	}
	ix.mu.RUnlock()
	var periods []window
	var labels []string
	switch q.Period {
	case "", "year":
		for y := w.from / 12; y <= w.to/12; y++ {
			periods = append(periods, window{max(y*12, w.from), min(y*12+11, w.to)})
			labels = append(labels, itoa(int(y)))
		}
	case "month":
		for m := w.from; m <= w.to; m++ {
			periods = append(periods, window{m, m})
			labels = append(labels, monthLabel(m))
		}
	default:
		return nil, bad("period", "The period must be year or month.")
	}
	matters := q.Matters
	if len(matters) > 0 && q.Top != 0 {
		return nil, bad("top", "Give matters or top, not both: top picks the matters when none are named.")
	}
	if len(matters) == 0 {
		top := q.Top
		if top == 0 {
			top = 10
		}
		if top < 1 || top > 100 {
			return nil, bad("top", "Top must be from 1 to 100.")
		}
		// The asker's own top list: under protection, the protected one, so
		// that the choice and order of matters reveal no withheld count.
		r, err := ix.Query(ctx, Query{Result: "top_matters", Event: classNames[cls], From: monthLabel(w.from), To: monthLabel(w.to), Limit: top}, p)
		if err != nil {
			return nil, err
		}
		for _, m := range r.Top {
			matters = append(matters, m.Matter)
		}
	}
	if len(matters)*len(periods) > MaxDemandTables {
		return nil, bad("period", "That is %d tables; at most %d are made at once. Shorten the window or name fewer matters.", len(matters)*len(periods), MaxDemandTables)
	}
	by := []string{"residency", "age_policy"}
	pop, err := ix.Query(ctx, Query{Result: "breakdown", By: by}, p)
	if err != nil {
		return nil, err
	}
	res := &DemandResult{Reference: ref.Format(time.DateOnly), Protected: p != nil, Event: classNames[cls], Periods: labels,
		Population: pop.Table, Matters: []DemandMatter{}}
	if p != nil {
		res.Threshold = p.k()
	}
	for _, code := range matters {
		dm := DemandMatter{Matter: code}
		for _, pw := range periods {
			seg := &Expr{Matter: code, Event: classNames[cls], From: monthLabel(pw.from), To: monthLabel(pw.to)}
			r, err := ix.Query(ctx, Query{Segment: seg, Result: "breakdown", By: by}, p)
			if err != nil {
				return nil, onedoor.OnField(err, "matters")
			}
			dm.Tables = append(dm.Tables, r.Table)
		}
		res.Matters = append(res.Matters, dm)
	}
	return res, nil
}
