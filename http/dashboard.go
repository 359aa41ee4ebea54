package http

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"onedoor"
	"onedoor/segment"
)

// A dashboard is numbers shown three ways: charts drawn on the server as
// SVG, the same numbers as tables, and each table as a CSV or Excel
// download (format=csv|xlsx&table=N on the dashboard's own address), so
// what a chart shows can always be read exactly and taken away.
type dashboard struct {
	Name      string // the dashboard's path segment: demand, communities, …
	Form      url.Values
	Reference string // the date ages are counted at
	Protected bool   // disclosure control applied
	Open      bool   // published to everyone (open data): no form
	Threshold int
	Ran       bool // a question was answered (the form may show alone)
	Summary   []dashStat
	Charts    []dashChart
	Tables    []*dashTable
	Query     string // the question as the API takes it, JSON
	Data      any    // the dashboard's own form options

	prot *segment.Protection // nil: exact numbers, for roles that may see people
}

// protect sets the disclosure control the dashboard is answered under.
func (d *dashboard) protect(p *segment.Protection) {
	d.prot = p
	if p != nil {
		d.Protected, d.Threshold = true, p.Threshold
	}
}

// dashStat is one headline number.
type dashStat struct {
	Label string
	Cell  dashCell
}

// dashChart is one chart and what it shows.
type dashChart struct {
	Title string
	SVG   template.HTML
}

// dashTable is a table of a dashboard: an optional group column (the
// street of a community), a label column and number columns.
type dashTable struct {
	Title  string
	Group  string // header of the group column; empty for none
	Corner string // header of the label column
	Cols   []string
	Rows   []dashRow
	Foot   *dashRow
}

// dashRow is one row of a dashTable.
type dashRow struct {
	Group string
	Label string
	Cells []dashCell
}

// dashCell is a number as a dashboard shows it: a count, a rate with
// decimals, or withheld by disclosure control.
type dashCell struct {
	V        float64
	Decimals int
	Withheld bool
	Absent   bool // nothing to show (a rate over nothing)
}

// countCell is a count as the index answered it.
func countCell(n segment.Num) dashCell {
	return dashCell{V: float64(n.V), Withheld: n.Suppressed}
}

// rateCell is a/b per thousand, withheld when either is.
func rateCell(a, b segment.Num) dashCell {
	switch {
	case a.Suppressed || b.Suppressed:
		return dashCell{Withheld: true}
	case b.V == 0:
		return dashCell{Absent: true}
	}
	return dashCell{V: math.Round(float64(a.V)*10000/float64(b.V)) / 10, Decimals: 1}
}

// Show formats the number with thousands separators; a withheld or absent
// cell shows empty (the template marks withheld cells).
func (c dashCell) Show() string {
	if c.Withheld || c.Absent {
		return ""
	}
	s := strconv.FormatFloat(c.V, 'f', c.Decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// withheldMark is how exports write a withheld cell: the convention of
// official statistics for "confidential".
const withheldMark = "[c]"

// tableDownload answers format=csv|xlsx&table=N with table N of d; it
// reports false when the request asks for no download.
func (s *Server) tableDownload(w http.ResponseWriter, r *http.Request, v *view, d *dashboard) (bool, error) {
	format := r.URL.Query().Get("format")
	if format == "" {
		return false, nil
	}
	if format != "csv" && format != "xlsx" {
		return true, fieldErr("format", "dash.err.format")
	}
	n := 0
	if t := r.URL.Query().Get("table"); t != "" {
		var err error
		if n, err = strconv.Atoi(t); err != nil || n < 0 || n >= len(d.Tables) {
			return true, fieldErr("table", "dash.err.table", len(d.Tables))
		}
	} else if len(d.Tables) == 0 {
		return true, fieldErr("table", "dash.err.table", 0)
	}
	t := d.Tables[n]
	name := fmt.Sprintf("onedoor-%s-%d.%s", d.Name, n+1, format)
	var buf bytes.Buffer
	var err error
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = t.writeCSV(&buf)
	} else {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		err = t.writeXLSX(&buf, v, d)
	}
	if err != nil {
		return true, onedoor.Errorf(onedoor.EINTERNAL, "http: export table: %v", err)
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
	return true, nil
}

// header is the table's header row as exported.
func (t *dashTable) header() []string {
	var h []string
	if t.Group != "" {
		h = append(h, t.Group)
	}
	return append(append(h, t.Corner), t.Cols...)
}

// rows are the body and foot rows as exported.
func (t *dashTable) all() []dashRow {
	if t.Foot != nil {
		return append(t.Rows[:len(t.Rows):len(t.Rows)], *t.Foot)
	}
	return t.Rows
}

// about is what an export says of itself: the question, the date, and
// what withheld cells mean.
func (d *dashboard) about(v *view, t *dashTable) [][2]string {
	out := [][2]string{{v.T("dash.export.table"), t.Title}, {v.T("dash.reference"), d.Reference}}
	if d.Protected {
		out = append(out, [2]string{v.T("dash.export.withheld"), v.T("dash.withheld.note", withheldMark, d.Threshold)})
	}
	if d.Query != "" {
		out = append(out, [2]string{v.T("dash.query"), d.Query})
	}
	return out
}

// record is a row as exported: the group and label, then each number as
// a number, a withheld cell as "[c]", an absent one as nil.
func (t *dashTable) record(row dashRow) []any {
	rec := make([]any, 0, len(row.Cells)+2)
	if t.Group != "" {
		rec = append(rec, row.Group)
	}
	rec = append(rec, row.Label)
	for _, c := range row.Cells {
		switch {
		case c.Withheld:
			rec = append(rec, withheldMark)
		case c.Absent:
			rec = append(rec, nil)
		case c.Decimals == 0:
			rec = append(rec, int64(c.V))
		default:
			rec = append(rec, c.V)
		}
	}
	return rec
}

// writeCSV writes the table as CSV with a byte-order mark (so that
// spreadsheet programs read the Chinese right); withheld cells are "[c]".
func (t *dashTable) writeCSV(buf *bytes.Buffer) error {
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(buf)
	cw.Write(t.header())
	for _, row := range t.all() {
		rec := t.record(row)
		out := make([]string, len(rec))
		for i, x := range rec {
			switch x := x.(type) {
			case nil:
			case float64:
				out[i] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				out[i] = fmt.Sprint(x)
			}
		}
		cw.Write(out)
	}
	cw.Flush()
	return cw.Error()
}

// writeXLSX writes the table as a workbook: the numbers as numbers on one
// sheet, what they are on another.
func (t *dashTable) writeXLSX(buf *bytes.Buffer, v *view, d *dashboard) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet, aboutSheet = "data", "about"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head := make([]any, 0, len(t.Cols)+2)
	for _, h := range t.header() {
		head = append(head, h)
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	for i, row := range t.all() {
		rec := t.record(row)
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &rec); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(aboutSheet); err != nil {
		return err
	}
	for i, kv := range d.about(v, t) {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(aboutSheet, cell, &[]any{kv[0], kv[1]}); err != nil {
			return err
		}
	}
	_, err := f.WriteTo(buf)
	return err
}
