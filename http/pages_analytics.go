package http

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"onedoor"
	"onedoor/chart"
	"onedoor/segment"
)

// The analytics dashboards: demand by age band and residency, a community
// heat grid, the elderly-care bed demand cross-match, monthly trends, a
// cross-match builder and the policy simulator. Every one is a GET form
// (its address is the question, so it can be bookmarked and shared), is
// answered by the live segment index under the same disclosure control as
// the API, and shows its numbers as charts, tables and downloads.

// dashboards lists the dashboards in menu order: path segment and title
// key.
var dashboards = []struct{ Name, Key string }{
	{"demand", "dash.demand.title"},
	{"communities", "dash.communities.title"},
	{"beds", "dash.beds.title"},
	{"trends", "dash.trends.title"},
	{"crossmatch", "dash.cross.title"},
	{"whatif", "dash.whatif.title"},
}

// analyticsFor is the analytics of the server, or a page error when this
// server runs without an index.
func (s *Server) analyticsFor() (*analyticsAPI, error) {
	if s.analytics == nil {
		return nil, webErr(onedoor.ENOTFOUND, "dash.err.noindex")
	}
	return s.analytics, nil
}

// analyticsHome is the dashboards' index page with the index's size.
func (s *Server) analyticsHome(w http.ResponseWriter, r *http.Request, v *view) error {
	a, err := s.analyticsFor()
	if err != nil {
		return err
	}
	v.Title, v.Nav = v.T("dash.title"), "analytics"
	data := struct {
		Stats      segment.Stats
		Dashboards any
		Protected  bool
		Threshold  int
	}{Stats: a.ix.Stats(), Dashboards: dashboards}
	if p := a.protectionFor(v.Staff.Role); p != nil {
		data.Protected, data.Threshold = true, p.Threshold
	}
	v.Data = data
	return s.show(w, "analytics", v)
}

// dashPage runs a dashboard: build answers the form into d; then the page
// is shown, or a table downloaded. A question the index refuses shows the
// form again with the reason.
func (s *Server) dashPage(name string, build dashBuilder) pageHandler {
	return func(w http.ResponseWriter, r *http.Request, v *view) error {
		a, err := s.analyticsFor()
		if err != nil {
			return err
		}
		d := &dashboard{Name: name, Form: r.URL.Query(), Reference: a.ix.Reference().Format("2006-01-02")}
		d.protect(a.protectionFor(v.Staff.Role))
		return s.runDash(w, r, v, a, d, build)
	}
}

// dashBuilder answers a dashboard's form into d.
type dashBuilder func(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error

// runDash answers d and shows it, or downloads one of its tables.
func (s *Server) runDash(w http.ResponseWriter, r *http.Request, v *view, a *analyticsAPI, d *dashboard, build dashBuilder) error {
	v.Nav, v.Data = "analytics", d
	for _, x := range dashboards {
		if x.Name == d.Name {
			v.Title = v.T(x.Key)
		}
	}
	if d.Open {
		v.Nav = "open"
	}
	refused := func(err error) error {
		if v.asPageError(err).Status >= 500 {
			return err
		}
		d.Ran, d.Charts, d.Tables, d.Summary = false, nil, nil, nil
		return s.showErr(w, "dashboard", v, err)
	}
	if err := build(r, v, a, d); err != nil {
		return refused(err)
	}
	done, err := s.tableDownload(w, r, v, d)
	switch {
	case err != nil:
		return refused(err)
	case done:
		return nil
	}
	return s.show(w, "dashboard", v)
}

// Open data. Government data is shared in three tiers: open to everyone
// (无条件开放), open on application (有条件开放) and not open (不开放). The
// first tier is these dashboards, published to anyone without signing in:
// fixed questions over the last twelve months, always under the analysts'
// disclosure control and the same guard, so what the public reads cannot
// be combined with what analysts read to recover a withheld cell. The
// form is not theirs to change: a question chosen by anyone, anonymously
// and without limit, is the conditional tier's.
func (s *Server) openDatasets() []openData {
	return []openData{{"demand", s.dashDemand}, {"communities", s.dashCommunities}, {"beds", s.dashBeds}, {"trends", s.dashTrends}}
}

// openData is a dashboard open to everyone.
type openData struct {
	Name  string
	build dashBuilder
}

// openIndex lists the tiers and the datasets open to everyone.
func (s *Server) openIndex(w http.ResponseWriter, r *http.Request, v *view) error {
	v.Title, v.Nav = v.T("open.title"), "open"
	type dataset struct{ Name, Key string }
	var ds []dataset
	for _, o := range s.openDatasets() {
		for _, x := range dashboards {
			if x.Name == o.Name {
				ds = append(ds, dataset{o.Name, x.Key})
			}
		}
	}
	data := struct {
		Datasets  []dataset
		Threshold int
		Ready     bool
	}{Datasets: ds}
	if s.analytics != nil {
		data.Ready, data.Threshold = true, s.analytics.protectionFor("").Threshold
	}
	v.Data = data
	return s.show(w, "open", v)
}

// openDataset publishes a dashboard to everyone: its default question
// over the last twelve months (the form is ignored but for a download's
// format and table), under disclosure control.
func (s *Server) openDataset(w http.ResponseWriter, r *http.Request, v *view) error {
	i := slices.IndexFunc(s.openDatasets(), func(o openData) bool { return o.Name == r.PathValue("name") })
	if i < 0 {
		return webErr(onedoor.ENOTFOUND, "open.err.nodataset")
	}
	o := s.openDatasets()[i]
	a, err := s.analyticsFor()
	if err != nil {
		return err
	}
	from, to := lastTwelveMonths(a.ix.Reference())
	d := &dashboard{Name: o.Name, Open: true, Form: url.Values{"from": {from}, "to": {to}}, Reference: a.ix.Reference().Format("2006-01-02")}
	d.protect(a.protectionFor(""))
	key := o.Name + "/" + v.Lang
	cached := func(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
		now := s.DB.Now()
		if c, ok := s.open.get(key, now); ok {
			*d = c
			return nil
		}
		if err := o.build(r, v, a, d); err != nil {
			return err
		}
		s.open.put(key, *d, now)
		return nil
	}
	return s.runDash(w, r, v, a, d, cached)
}

// openCache holds the open datasets as last answered, by name and
// language: anyone may ask for them, as often as they like, and one
// answer is a dozen protected questions to the index (bed demand alone
// takes about 0.2 s at 25 million residents). An answer is served for
// openFresh, then asked again; it is never changed once made.
type openCache struct {
	mu sync.Mutex
	m  map[string]openAnswer
}

type openAnswer struct {
	d  dashboard
	at time.Time
}

// openFresh is how long an open dataset is served as answered.
const openFresh = time.Minute

func (c *openCache) get(key string, now time.Time) (dashboard, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[key]
	if !ok || now.Sub(a.at) >= openFresh || now.Before(a.at) {
		return dashboard{}, false
	}
	return a.d, true
}

func (c *openCache) put(key string, d dashboard, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]openAnswer{}
	}
	c.m[key] = openAnswer{d, now}
}

// DownloadURL is the current dashboard's address asking for table n in a
// format.
func (v *view) DownloadURL(format string, n int) string {
	q := v.r.URL.Query()
	q.Set("format", format)
	q.Set("table", strconv.Itoa(n))
	return v.r.URL.Path + "?" + q.Encode()
}

// formInt reads an optional whole number of the form.
func formInt(q url.Values, field string, lo, hi, def int) (int, error) {
	n, err := intParam(strings.TrimSpace(q.Get(field)), field, def, lo, hi)
	if err != nil {
		return 0, fieldErr(field, "dash.err.range", lo, hi)
	}
	return n, nil
}

// window is the time window of a dashboard form: a year, or months from
// and to (YYYY-MM); the index checks them.
type formWindow struct {
	Year     int
	From, To string
}

func windowOf(q url.Values) (formWindow, error) {
	y, err := formInt(q, "year", 2000, 2100, 0)
	if err != nil {
		return formWindow{}, err
	}
	w := formWindow{Year: y, From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	// The index checks the window too; checking here words the usual
	// mistakes in the reader's language.
	var months [2]time.Time
	for i, f := range []string{"from", "to"} {
		v := []string{w.From, w.To}[i]
		if v == "" {
			continue
		}
		if months[i], err = time.Parse("2006-01", v); err != nil || months[i].Year() < 2000 || months[i].Year() > 2100 {
			return w, fieldErr(f, "dash.err.month")
		}
	}
	switch {
	case y != 0 && (w.From != "" || w.To != ""):
		return w, fieldErr("year", "dash.err.yearormonths")
	case (w.From == "") != (w.To == ""):
		return w, fieldErr(map[bool]string{true: "from", false: "to"}[w.From == ""], "dash.err.bothmonths")
	case w.From != "" && months[0].After(months[1]):
		return w, fieldErr("to", "dash.err.backwards")
	}
	return w, nil
}

// lastYearByDefault makes an empty window the twelve months up to the
// reference date, and shows them in the form: "what do people need" is
// about now, not about every record since 2000.
func (w *formWindow) lastYearByDefault(d *dashboard, ref time.Time) {
	if w.Year != 0 || w.From != "" || w.To != "" {
		return
	}
	w.From, w.To = lastTwelveMonths(ref)
	d.Form.Set("from", w.From)
	d.Form.Set("to", w.To)
}

// lastTwelveMonths are the months up to ref's, as YYYY-MM from and to.
func lastTwelveMonths(ref time.Time) (from, to string) {
	return ref.AddDate(0, -11, 1-ref.Day()).Format("2006-01"), ref.Format("2006-01")
}

// matterOpt is a matter in a form's list.
type matterOpt struct{ Code, Name string }

// matterOpts lists the matters for persons, by code.
func (v *view) matterOpts() []matterOpt { return v.matterOptsFor(onedoor.Natural) }

// matterOptsFor lists the matters a kind of applicant applies for, by
// code.
func (v *view) matterOptsFor(subject onedoor.SubjectType) []matterOpt {
	var out []matterOpt
	for _, m := range v.s.DB.Catalog().Latest() {
		if m.Subject == subject {
			out = append(out, matterOpt{m.Code, v.Tx(m.Name)})
		}
	}
	slices.SortFunc(out, func(a, b matterOpt) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// countWord heads a column of counts: residents, or enterprises when the
// page asks about them.
func (v *view) countWord() string {
	if v.subject == onedoor.Legal {
		return v.T("dash.count.legal")
	}
	return v.T("dash.count")
}

// subjectKey is key, or its variant for enterprises.
func (v *view) subjectKey(key string) string {
	if v.subject == onedoor.Legal {
		return key + ".legal"
	}
	return key
}

// DimName words a dimension of the index.
func (v *view) DimName(dim string) string { return v.T("dim." + dim) }

// DimValue words a value of a dimension: fixed values are translated,
// names of places are shown as they are.
func (v *view) DimValue(dim, val string) string {
	if msg, ok := messages()[v.Lang]["dimv."+dim+"."+val]; ok {
		return msg
	}
	return val
}

// EventName words an event class of the index.
func (v *view) EventName(ev string) string {
	if ev == "" {
		ev = "applied"
	}
	return v.T("dim.event." + ev)
}

// queryJSON is a question as the API takes it.
func queryJSON(q any) string {
	b, _ := json.MarshalIndent(q, "", "  ")
	return string(b)
}

// --- tables and charts from the index's answers ---

// dimLabels words the values of a dimension.
func (v *view) dimLabels(dim string, vals []string) []string {
	out := make([]string, len(vals))
	for i, x := range vals {
		out[i] = v.DimValue(dim, x)
	}
	return out
}

// breakdownTable is a breakdown as a dashboard table: one row per value of
// the first dimension (with its street for communities), one column per
// value of the second and a total column.
func (v *view) breakdownTable(title string, t *segment.Table) *dashTable {
	dt := &dashTable{Title: title, Corner: v.DimName(t.Dims[0])}
	if len(t.RowGroups) > 0 {
		dt.Group = v.DimName("street")
	}
	two := len(t.Dims) == 2
	if two {
		dt.Cols = append(v.dimLabels(t.Dims[1], t.Cols), v.T("dash.total"))
	} else {
		dt.Cols = []string{v.countWord()}
	}
	for i, label := range t.Rows {
		row := dashRow{Label: v.DimValue(t.Dims[0], label)}
		if len(t.RowGroups) > 0 {
			row.Group = t.RowGroups[i]
		}
		if two {
			for _, n := range t.Cells[i] {
				row.Cells = append(row.Cells, countCell(n))
			}
		}
		row.Cells = append(row.Cells, countCell(t.RowTotals[i]))
		dt.Rows = append(dt.Rows, row)
	}
	foot := dashRow{Label: v.T("dash.total")}
	if two {
		for _, n := range t.ColTotals {
			foot.Cells = append(foot.Cells, countCell(n))
		}
	}
	foot.Cells = append(foot.Cells, countCell(t.Total))
	dt.Foot = &foot
	return dt
}

// chartValue is a cell as a chart draws it.
func chartValue(c dashCell) chart.Value {
	return chart.Value{V: c.V, Missing: c.Withheld || c.Absent}
}

// chartLabels are the words charts print.
func (v *view) chartLabels() chart.Labels {
	return chart.Labels{Missing: v.T("dash.chart.withheld"), Empty: v.T("dash.chart.empty")}
}

// breakdownChart draws a breakdown: bars for one dimension or a small
// second one (series are the rows), a heat grid for big two-dimensional
// tables.
func (v *view) breakdownChart(title string, t *segment.Table) dashChart {
	if len(t.Dims) == 1 {
		b := chart.Bars{Title: title, Horizontal: len(t.Rows) > 6, Labels: v.chartLabels()}
		b.Categories = v.dimLabels(t.Dims[0], t.Rows)
		s := chart.Series{Name: v.countWord()}
		for _, n := range t.RowTotals {
			s.Values = append(s.Values, chartValue(countCell(n)))
		}
		b.Series = []chart.Series{s}
		return dashChart{Title: title, SVG: b.SVG()}
	}
	if len(t.Rows) <= 6 {
		b := chart.Bars{Title: title, Categories: v.dimLabels(t.Dims[1], t.Cols), Labels: v.chartLabels()}
		for i, row := range t.Rows {
			s := chart.Series{Name: v.DimValue(t.Dims[0], row)}
			for _, n := range t.Cells[i] {
				s.Values = append(s.Values, chartValue(countCell(n)))
			}
			b.Series = append(b.Series, s)
		}
		return dashChart{Title: title, SVG: b.SVG()}
	}
	h := chart.Heat{Title: title, Rows: v.dimLabels(t.Dims[0], t.Rows), Cols: v.dimLabels(t.Dims[1], t.Cols),
		RowGroups: t.RowGroups, Labels: v.chartLabels()}
	for _, cells := range t.Cells {
		row := make([]chart.Value, len(cells))
		for j, n := range cells {
			row[j] = chartValue(countCell(n))
		}
		h.Cells = append(h.Cells, row)
	}
	return dashChart{Title: title, SVG: h.SVG()}
}

// showResult adds an answer of the index to d: a headline for a count,
// a chart and a table for the rest.
func (v *view) showResult(d *dashboard, title string, res *segment.Result) {
	switch res.Result {
	case "count":
		d.Summary = append(d.Summary, dashStat{Label: title, Cell: countCell(*res.Count)})
	case "breakdown":
		d.Charts = append(d.Charts, v.breakdownChart(title, res.Table))
		d.Tables = append(d.Tables, v.breakdownTable(title, res.Table))
	case "trend":
		months := make([]string, len(res.Trend))
		s := chart.Series{Name: title}
		dt := &dashTable{Title: title, Corner: v.T("dash.month"), Cols: []string{v.countWord()}}
		for i, p := range res.Trend {
			months[i] = p.Month
			s.Values = append(s.Values, chartValue(countCell(p.Count)))
			dt.Rows = append(dt.Rows, dashRow{Label: p.Month, Cells: []dashCell{countCell(p.Count)}})
		}
		l := chart.Lines{Title: title, X: months, Series: []chart.Series{s}, Labels: v.chartLabels()}
		d.Charts = append(d.Charts, dashChart{Title: title, SVG: l.SVG()})
		d.Tables = append(d.Tables, dt)
	case "top_matters":
		b := chart.Bars{Title: title, Horizontal: true, Labels: v.chartLabels()}
		s := chart.Series{Name: v.countWord()}
		dt := &dashTable{Title: title, Group: v.T("dash.code"), Corner: v.T("dash.matter"), Cols: []string{v.countWord()}}
		for _, m := range res.Top {
			b.Categories = append(b.Categories, v.MatterName(m.Matter))
			s.Values = append(s.Values, chartValue(countCell(m.Count)))
			dt.Rows = append(dt.Rows, dashRow{Group: m.Matter, Label: v.MatterName(m.Matter), Cells: []dashCell{countCell(m.Count)}})
		}
		b.Series = []chart.Series{s}
		d.Charts = append(d.Charts, dashChart{Title: title, SVG: b.SVG()})
		d.Tables = append(d.Tables, dt)
	}
}

// --- the dashboards ---

// demandForm is what the demand dashboard's form offers.
type demandForm struct{ Events []string }

var events = []string{"applied", "approved", "rejected", "open"}

// dashDemand: which matters locals and non-locals, and each policy age
// band, apply for (BRIEF R8): the top matters of the window, each by
// residency and age band, and per thousand residents of each band.
func (s *Server) dashDemand(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	d.Data = demandForm{events}
	win, err := windowOf(q)
	if err != nil {
		return err
	}
	win.lastYearByDefault(d, a.ix.Reference())
	top, err := formInt(q, "top", 1, 30, 8)
	if err != nil {
		return err
	}
	event := q.Get("event")
	p := d.prot
	ctx := r.Context()
	tq := segment.Query{Result: "top_matters", Event: event, Year: win.Year, From: win.From, To: win.To, Limit: top}
	topRes, err := a.ix.Query(ctx, tq, p)
	if err != nil {
		return err
	}
	by := []string{"residency", "age_policy"}
	pop, err := a.ix.Query(ctx, segment.Query{Result: "breakdown", By: by}, p)
	if err != nil {
		return err
	}
	bands := pop.Table.Cols
	byMatter := &dashTable{Title: v.T("dash.demand.table", v.EventName(event)), Group: v.T("dash.code"), Corner: v.T("dash.matter"),
		Cols: append(append([]string{v.DimValue("residency", "local"), v.DimValue("residency", "non_local")}, v.dimLabels("age_policy", bands)...), v.T("dash.total"))}
	rates := &dashTable{Title: v.T("dash.demand.rates"), Group: v.T("dash.code"), Corner: v.T("dash.matter"), Cols: v.dimLabels("age_policy", bands)}
	res := chart.Bars{Title: v.T("dash.demand.chart.residency"), Horizontal: true, Labels: v.chartLabels(),
		Series: []chart.Series{{Name: v.DimValue("residency", "local")}, {Name: v.DimValue("residency", "non_local")}}}
	age := chart.Bars{Title: v.T("dash.demand.chart.age"), Categories: v.dimLabels("age_policy", bands), Labels: v.chartLabels()}
	for i, m := range topRes.Top {
		seg := &segment.Expr{Matter: m.Matter, Event: event, Year: win.Year, From: win.From, To: win.To}
		bq := segment.Query{Segment: seg, Result: "breakdown", By: by}
		if i == 0 {
			d.Query = queryJSON(bq)
		}
		br, err := a.ix.Query(ctx, bq, p)
		if err != nil {
			return err
		}
		t := br.Table
		name := v.MatterName(m.Matter)
		row := dashRow{Group: m.Matter, Label: name}
		rate := dashRow{Group: m.Matter, Label: name}
		for _, n := range t.RowTotals {
			row.Cells = append(row.Cells, countCell(n))
		}
		series := chart.Series{Name: name}
		for j, n := range t.ColTotals {
			row.Cells = append(row.Cells, countCell(n))
			c := rateCell(n, pop.Table.ColTotals[j])
			rate.Cells = append(rate.Cells, c)
			series.Values = append(series.Values, chartValue(c))
		}
		row.Cells = append(row.Cells, countCell(t.Total))
		byMatter.Rows = append(byMatter.Rows, row)
		rates.Rows = append(rates.Rows, rate)
		res.Categories = append(res.Categories, name)
		for k := range res.Series {
			res.Series[k].Values = append(res.Series[k].Values, chartValue(countCell(t.RowTotals[k])))
		}
		if i < 5 {
			age.Series = append(age.Series, series)
		}
	}
	// Over time: applicants for anything, month by month, locals against
	// non-locals.
	var lines []trendLine
	for _, res := range []string{"local", "non_local"} {
		x := segment.Value(res)
		lines = append(lines, trendLine{Name: v.DimValue("residency", res), Query: segment.Query{Result: "trend",
			Segment: &segment.Expr{Attr: "residency", Eq: &x}, Matter: "*", Year: win.Year, From: win.From, To: win.To}})
	}
	over, overTable, err := v.trends(r, a, d.prot, v.T("dash.demand.chart.months"), lines)
	if err != nil {
		return err
	}
	d.Ran = true
	d.Charts = append(d.Charts, dashChart{res.Title, res.SVG()}, dashChart{age.Title, age.SVG()}, over)
	d.Tables = append(d.Tables, byMatter, rates, overTable, v.breakdownTable(v.T("dash.demand.population"), pop.Table))
	return nil
}

// communitiesForm is what the community dashboard's form offers.
type communitiesForm struct {
	Matters []matterOpt
	Events  []string
	By      []string
}

// dashCommunities: a heat grid of communities (grouped by street) against
// age band, residency or sex, for applicants of one matter or of any.
func (s *Server) dashCommunities(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	d.Data = communitiesForm{v.matterOpts(), events, []string{"age_policy", "residency", "sex", "age5"}}
	win, err := windowOf(q)
	if err != nil {
		return err
	}
	win.lastYearByDefault(d, a.ix.Reference())
	matter := cmp.Or(q.Get("matter"), "*")
	by := cmp.Or(q.Get("by"), "age_policy")
	if !slices.Contains(d.Data.(communitiesForm).By, by) {
		return fieldErr("by", "dash.err.by")
	}
	bq := segment.Query{Segment: &segment.Expr{Matter: matter, Event: q.Get("event"), Year: win.Year, From: win.From, To: win.To},
		Result: "breakdown", By: []string{"community", by}}
	d.Query = queryJSON(bq)
	res, err := a.ix.Query(r.Context(), bq, d.prot)
	if err != nil {
		return err
	}
	what := v.T("dash.anymatter")
	if matter != "*" {
		what = v.MatterName(matter)
	}
	title := v.T("dash.communities.chart", what, v.EventName(q.Get("event")), v.DimName(by))
	d.Ran = true
	v.showResult(d, title, res)
	// Street totals, for reading the grid by street.
	t := res.Table
	st := &dashTable{Title: v.T("dash.communities.streets"), Corner: v.DimName("street"), Cols: append(v.dimLabels(by, t.Cols), v.T("dash.total"))}
	for i, g := range t.Groups {
		row := dashRow{Label: g}
		if i < len(t.GroupCells) {
			for _, n := range t.GroupCells[i] {
				row.Cells = append(row.Cells, countCell(n))
			}
		}
		row.Cells = append(row.Cells, countCell(t.GroupTotals[i]))
		st.Rows = append(st.Rows, row)
	}
	if len(st.Rows) > 0 && len(st.Rows[0].Cells) == len(st.Cols) {
		d.Tables = append(d.Tables, st)
	}
	return nil
}

// bedsForm is what the bed demand dashboard's form offers.
type bedsForm struct{ Matters []matterOpt }

// dashBeds: the article's cross-match — residents of 70 and over with a
// retirement pension who applied for serious-illness insurance, per
// community, against the community's elderly: elderly-care bed demand.
func (s *Server) dashBeds(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	d.Data = bedsForm{v.matterOpts()}
	win, err := windowOf(q)
	if err != nil {
		return err
	}
	minAge, err := formInt(q, "min_age", 0, 120, 70)
	if err != nil {
		return err
	}
	bq := segment.BedDemand{Pension: q.Get("pension"), Illness: q.Get("illness"), MinAge: minAge, Year: win.Year, From: win.From, To: win.To}
	d.Query = queryJSON(bq)
	res, err := a.ix.BedDemand(r.Context(), bq, d.prot)
	if err != nil {
		return err
	}
	d.Ran = true
	cols := []string{v.T("dash.beds.elderly", res.MinAge), v.T("dash.beds.demand"), v.T("dash.beds.rate")}
	row := func(x segment.BedDemandRow, label, group string) dashRow {
		return dashRow{Group: group, Label: label, Cells: []dashCell{countCell(x.Elderly), countCell(x.Demand), rateCell(x.Demand, x.Elderly)}}
	}
	total := row(res.Total, v.T("dash.total"), "")
	d.Summary = []dashStat{{v.T("dash.beds.elderly", res.MinAge), total.Cells[0]}, {v.T("dash.beds.demand"), total.Cells[1]}, {v.T("dash.beds.rate"), total.Cells[2]}}
	comms := &dashTable{Title: v.T("dash.beds.bycommunity"), Group: v.DimName("street"), Corner: v.DimName("community"), Cols: cols, Foot: &total}
	heat := chart.Heat{Title: v.T("dash.beds.heat"), Cols: []string{v.T("dash.beds.rate")}, Labels: v.chartLabels()}
	for _, c := range res.Communities {
		rw := row(c, c.Community, c.Street)
		comms.Rows = append(comms.Rows, rw)
		heat.Rows, heat.RowGroups = append(heat.Rows, c.Community), append(heat.RowGroups, c.Street)
		heat.Cells = append(heat.Cells, []chart.Value{chartValue(rw.Cells[2])})
	}
	streets := &dashTable{Title: v.T("dash.beds.bystreet"), Corner: v.DimName("street"), Cols: cols, Foot: &total}
	bars := chart.Bars{Title: v.T("dash.beds.chart"), Horizontal: true, Labels: v.chartLabels(), Series: []chart.Series{{Name: v.T("dash.beds.rate")}}}
	for _, x := range res.Streets {
		rw := row(x, x.Street, "")
		streets.Rows = append(streets.Rows, rw)
		bars.Categories = append(bars.Categories, x.Street)
		bars.Series[0].Values = append(bars.Series[0].Values, chartValue(rw.Cells[2]))
	}
	d.Charts = []dashChart{{bars.Title, bars.SVG()}, {heat.Title, heat.SVG()}}
	d.Tables = []*dashTable{streets, comms}
	return nil
}

// trendsForm is what the trends dashboard's form offers.
type trendsForm struct {
	Matters []matterOpt
	Events  []string
	Chosen  []string // the matters asked for, four places
	Dims    []segment.Dimension
}

// filterDims are the attributes a dashboard form may narrow the
// population by.
var filterDims = []string{"residency", "age_policy", "sex", "street"}

// filterOf is the segment a form's filter selects (f_DIM=value), nil for
// everyone.
func filterOf(q url.Values) *segment.Expr {
	var and []*segment.Expr
	for _, dim := range filterDims {
		if val := q.Get("f_" + dim); val != "" {
			x := segment.Value(val)
			and = append(and, &segment.Expr{Attr: dim, Eq: &x})
		}
	}
	switch len(and) {
	case 0:
		return nil
	case 1:
		return and[0]
	}
	return &segment.Expr{And: and}
}

// publicDims are the dimensions a form lists, with their values.
func publicDims(a *analyticsAPI, subject onedoor.SubjectType, names []string) []segment.Dimension {
	var out []segment.Dimension
	for _, d := range a.ix.Dimensions(subject) {
		if slices.Contains(names, d.Name) {
			out = append(out, d)
		}
	}
	return out
}

// dashTrends: monthly trends of up to four matters (or of any matter),
// for everyone or a chosen group.
func (s *Server) dashTrends(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	chosen := slices.DeleteFunc(slices.Clone(q["matter"]), func(m string) bool { return m == "" })
	if len(chosen) > 4 {
		return fieldErr("matter", "dash.err.matters", 4)
	}
	form := trendsForm{Matters: v.matterOpts(), Events: events, Dims: publicDims(a, onedoor.Natural, filterDims)}
	form.Chosen = append(slices.Clone(chosen), make([]string, 4-len(chosen))...)
	d.Data = form
	if len(chosen) == 0 {
		chosen = []string{"*"}
	}
	win, err := windowOf(q)
	if err != nil {
		return err
	}
	var lines []trendLine
	for _, m := range chosen {
		name := v.T("dash.anymatter")
		if m != "*" {
			name = v.MatterName(m)
		}
		lines = append(lines, trendLine{Name: name, Query: segment.Query{Segment: filterOf(q), Result: "trend", Matter: m,
			Event: q.Get("event"), Year: win.Year, From: win.From, To: win.To}})
	}
	d.Query = queryJSON(lines[0].Query)
	c, t, err := v.trends(r, a, d.prot, v.T("dash.trends.chart", v.EventName(q.Get("event"))), lines)
	if err != nil {
		return err
	}
	d.Ran = true
	d.Charts = []dashChart{c}
	d.Tables = []*dashTable{t}
	return nil
}

// trendLine is one line of a trend chart: its name and its question.
type trendLine struct {
	Name  string
	Query segment.Query
}

// trends asks the index for each line's monthly trend, under disclosure
// control p, and draws them in one chart, with the same numbers as a table
// of months.
func (v *view) trends(r *http.Request, a *analyticsAPI, p *segment.Protection, title string, lines []trendLine) (dashChart, *dashTable, error) {
	ch := chart.Lines{Title: title, Labels: v.chartLabels()}
	t := &dashTable{Title: title, Corner: v.T("dash.month")}
	for i, l := range lines {
		res, err := a.ix.Query(r.Context(), l.Query, p)
		if err != nil {
			return dashChart{}, nil, err
		}
		series := chart.Series{Name: l.Name}
		t.Cols = append(t.Cols, l.Name)
		for j, pt := range res.Trend {
			if i == 0 {
				ch.X = append(ch.X, pt.Month)
				t.Rows = append(t.Rows, dashRow{Label: pt.Month})
			}
			series.Values = append(series.Values, chartValue(countCell(pt.Count)))
			t.Rows[j].Cells = append(t.Rows[j].Cells, countCell(pt.Count))
		}
		ch.Series = append(ch.Series, series)
	}
	return dashChart{Title: title, SVG: ch.SVG()}, t, nil
}

// crossForm is what the cross-match builder offers.
type crossForm struct {
	Subject onedoor.SubjectType
	Matters []matterOpt
	Events  []string
	Dims    []segment.Dimension
	ByDims  []string
	Results []string
	Rows    []int // the numbers of the condition rows
}

// crossRows is how many attribute and matter conditions the builder has.
const crossRows = 3

// dashCross is the cross-match builder: up to three attribute conditions,
// an age range and up to three matter conditions, each may be negated,
// combined with and or or; the answer a count, a breakdown, a trend or
// the top matters of the segment. The same question may be written as
// JSON (the API's form), which then wins.
func (s *Server) dashCross(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	subject, err := subjectOf(q)
	if err != nil {
		return err
	}
	v.subject = subject
	dims := a.ix.Dimensions(subject)
	var byDims []string
	for _, x := range dims {
		byDims = append(byDims, x.Name)
	}
	d.Data = crossForm{Subject: subject, Matters: v.matterOptsFor(subject), Events: events, Dims: dims, ByDims: byDims,
		Results: []string{"count", "breakdown", "trend", "top_matters"}, Rows: []int{1, 2, 3}}
	var query segment.Query
	if raw := strings.TrimSpace(q.Get("json")); raw != "" {
		req, err := segment.ParseRequest([]byte(raw))
		if err != nil {
			return onedoor.OnField(err, "json")
		}
		if req.Query == nil {
			return fieldErr("json", "dash.err.json")
		}
		query = *req.Query
	} else {
		if query, err = crossQuery(q); err != nil {
			return err
		}
		query.Subject = subject
		if query.Result == "" {
			return nil // the empty builder
		}
	}
	d.Query = queryJSON(query)
	res, err := a.ix.Query(r.Context(), query, d.prot)
	if err != nil {
		if q.Get("json") != "" {
			return onedoor.OnField(err, "json")
		}
		return err
	}
	d.Ran = true
	v.showResult(d, v.T("dash.cross.result."+res.Result), res)
	return nil
}

// crossQuery builds the builder's question from its fields.
func crossQuery(q url.Values) (segment.Query, error) {
	var parts []*segment.Expr
	neg := func(name string, e *segment.Expr) *segment.Expr {
		if q.Get(name) != "" {
			return &segment.Expr{Not: e}
		}
		return e
	}
	for i := 1; i <= crossRows; i++ {
		n := strconv.Itoa(i)
		if av := q.Get("attr" + n); av != "" {
			dim, val, ok := strings.Cut(av, "=")
			if !ok || dim == "" {
				return segment.Query{}, fieldErr("attr"+n, "dash.err.attr")
			}
			x := segment.Value(val)
			parts = append(parts, neg("not_attr"+n, &segment.Expr{Attr: dim, Eq: &x}))
		}
	}
	lo, err := formInt(q, "age_min", 0, 150, -1)
	if err != nil {
		return segment.Query{}, err
	}
	hi, err := formInt(q, "age_max", 0, 150, -1)
	if err != nil {
		return segment.Query{}, err
	}
	if lo >= 0 || hi >= 0 {
		e := &segment.Expr{Attr: "age"}
		if lo >= 0 {
			e.Min = &lo
		}
		if hi >= 0 {
			e.Max = &hi
		}
		parts = append(parts, e)
	}
	for i := 1; i <= crossRows; i++ {
		n := strconv.Itoa(i)
		if m := q.Get("m" + n); m != "" {
			y, err := formInt(q, "y"+n, 2000, 2100, 0)
			if err != nil {
				return segment.Query{}, err
			}
			parts = append(parts, neg("not_m"+n, &segment.Expr{Matter: m, Event: q.Get("e" + n), Year: y}))
		}
	}
	query := segment.Query{Result: q.Get("result")}
	switch len(parts) {
	case 0:
	case 1:
		query.Segment = parts[0]
	default:
		switch q.Get("op") {
		case "", "and":
			query.Segment = &segment.Expr{And: parts}
		case "or":
			query.Segment = &segment.Expr{Or: parts}
		default:
			return segment.Query{}, fieldErr("op", "dash.err.op")
		}
	}
	switch query.Result {
	case "breakdown":
		for _, f := range []string{"by1", "by2"} {
			if b := q.Get(f); b != "" {
				query.By = append(query.By, b)
			}
		}
	case "trend", "top_matters":
		query.Matter, query.Event = q.Get("tmatter"), q.Get("tevent")
		win, err := windowOf(q)
		if err != nil {
			return segment.Query{}, err
		}
		query.From, query.To = win.From, win.To
		if query.Result == "top_matters" {
			query.Matter = ""
		}
	}
	return query, nil
}

// subjectOf is the kind of applicant a form asks about: residents by
// default, or enterprises (legal).
func subjectOf(q url.Values) (onedoor.SubjectType, error) {
	switch s := onedoor.SubjectType(q.Get("subject")); s {
	case "", onedoor.Natural:
		return onedoor.Natural, nil
	case onedoor.Legal:
		return s, nil
	}
	return "", fieldErr("subject", "dash.err.subject")
}

// whatIfForm is what the policy simulator offers.
type whatIfForm struct {
	Subject  onedoor.SubjectType
	Matters  []matterOpt
	Streets  []string
	Example  string
	CanList  bool // the signed-in role may export the outreach list
	Stats    *segment.WhatIfStats
	Compared bool
}

// exampleRules are the rules the simulator suggests.
var exampleRules = map[onedoor.SubjectType]string{
	onedoor.Natural: `age >= 70 && lives_alone`,
	onedoor.Legal:   `org_size in ["micro", "small"] && !dishonest`,
}

// whatIfOf reads the simulator's question from a form.
func whatIfOf(q url.Values) (segment.WhatIf, error) {
	y, err := formInt(q, "year", 2000, 2100, 0)
	if err != nil {
		return segment.WhatIf{}, err
	}
	subject, err := subjectOf(q)
	if err != nil {
		return segment.WhatIf{}, err
	}
	w := segment.WhatIf{Subject: subject, Rule: strings.TrimSpace(q.Get("rule")), Compare: q.Get("compare"), Year: y}
	if st := q.Get("street"); st != "" {
		x := segment.Value(st)
		w.Within = &segment.Expr{Attr: "street", Eq: &x}
	}
	return w, nil
}

// dashWhatIf is the policy simulator: how many residents an eligibility
// rule reaches, where, and against today's beneficiaries of a matter.
func (s *Server) dashWhatIf(r *http.Request, v *view, a *analyticsAPI, d *dashboard) error {
	q := d.Form
	subject, err := subjectOf(q)
	if err != nil {
		return err
	}
	v.subject = subject
	form := whatIfForm{Subject: subject, Matters: v.matterOptsFor(subject), Example: exampleRules[subject], CanList: d.prot == nil}
	for _, x := range publicDims(a, subject, []string{"street"}) {
		form.Streets = x.Values
	}
	d.Data = &form
	if q.Get("rule") == "" {
		return nil
	}
	wq, err := whatIfOf(q)
	if err != nil {
		return err
	}
	d.Query = queryJSON(wq)
	res, err := a.ix.WhatIf(r.Context(), wq, d.prot)
	if err != nil {
		return err
	}
	d.Ran = true
	form.Stats = res.Stats
	d.Summary = []dashStat{{v.T(v.subjectKey("dash.whatif.eligible")), countCell(res.Eligible)}}
	if c := res.Compare; c != nil {
		form.Compared = true
		d.Summary = append(d.Summary,
			dashStat{v.T("dash.whatif.beneficiaries"), countCell(c.Beneficiaries)},
			dashStat{v.T("dash.whatif.both"), countCell(c.EligibleBeneficiaries)},
			dashStat{v.T("dash.whatif.notapplied"), countCell(c.EligibleNotApplied)},
			dashStat{v.T("dash.whatif.leftout"), countCell(c.BeneficiariesNotEligible)})
	}
	if res.ByStreet != nil {
		title := v.T(v.subjectKey("dash.whatif.bystreet"))
		d.Charts = append(d.Charts, v.breakdownChart(title, res.ByStreet))
		d.Tables = append(d.Tables, v.breakdownTable(title, res.ByStreet))
	}
	if res.ByCommunity != nil {
		d.Tables = append(d.Tables, v.breakdownTable(v.T("dash.whatif.bycommunity"), res.ByCommunity))
	}
	return nil
}

// whatIfOutreach exports the simulator's outreach list (eligible residents
// who have not applied for the compared matter) as Excel, for roles that
// may see people.
func (s *Server) whatIfOutreach(w http.ResponseWriter, r *http.Request, v *view) error {
	a, err := s.analyticsFor()
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return fieldErr("body", "err.form")
	}
	wq, err := whatIfOf(r.PostForm)
	if err != nil {
		return err
	}
	return a.writeOutreach(w, r, wq, v.Staff)
}
