// Package chart draws the analytics dashboards' charts as inline SVG on the
// server, so that a page shows its figures without JavaScript and under a
// strict Content-Security-Policy.
//
// Each chart type (Bars, Lines, Heat) is a plain value whose SVG method
// returns one <svg> element. The element scales to the width of its
// container through its viewBox, carries an accessible name and a text
// description of its data, uses presentation attributes and chart-* classes
// instead of inline styles, and never refers to anything outside itself. The
// same input always gives byte-identical output, which keeps pages cacheable
// and golden files stable.
//
// Numbers withheld by disclosure control are Missing: they are never drawn as
// zero but as a small hatched marker explained in the legend, because a reader
// who saw an empty bar would take it for "none".
//
// Charts need no stylesheet: colours and sizes are presentation attributes,
// which any CSS rule overrides. Text inherits the page's font family. Sizes
// are in viewBox units (text 12, small numbers 11, Bars and Lines 640 wide),
// so a chart shown at about 640 CSS pixels shows 12 px text; a page can keep
// charts from growing past that with
//
//	svg.chart { display: block; max-width: 960px; height: auto; }
//
// Classes for the site's stylesheet: chart plus chart-bars (with
// chart-horizontal), chart-lines, chart-heat or chart-empty on the root;
// chart-bar, chart-line and chart-point with chart-series-N; chart-value for
// numbers by bars and points; chart-tick, chart-grid, chart-axis;
// chart-category, chart-row, chart-col, chart-group, chart-group-band and
// chart-group-rule for labels and bands; chart-cell, chart-cell-missing and
// chart-cell-value in heat grids; chart-missing for withheld-value markers;
// chart-legend and chart-legend-item; chart-empty-text.
package chart

import (
	"math"
	"strings"
)

// Value is one number of a chart. Missing means the number is withheld by
// disclosure control or unknown; it is drawn as a hatched marker, never as
// zero. Negative numbers are clamped to zero, NaN and infinities count as
// Missing, and numbers above 10^15 are clamped there.
type Value struct {
	V       float64
	Missing bool
}

// Series is one named row of values, drawn in one colour; Values[i] belongs
// to the i-th category or month of the chart, and a Values slice shorter than
// the categories leaves the rest Missing.
type Series struct {
	Name   string
	Values []Value
}

// Labels are the words a chart prints besides the caller's own names, in the
// page's language: the caller passes Chinese or English text.
type Labels struct {
	// Missing is the legend text for withheld values, for example
	// "已隐去（小于10）" or "Withheld (fewer than 10)".
	Missing string
	// Empty is shown instead of a chart when there is nothing to draw, for
	// example "暂无数据" or "No data".
	Empty string
}

// maxValue bounds the numbers a chart draws so that scales and ticks stay
// finite; no count this system keeps comes near it.
const maxValue = 1e15

// at returns the i-th value of vs as drawn and whether there is one to draw:
// absent, Missing and non-finite values are missing.
func at(vs []Value, i int) (float64, bool) {
	if i < 0 || i >= len(vs) {
		return 0, false
	}
	v := vs[i]
	if v.Missing || math.IsNaN(v.V) || math.IsInf(v.V, 0) {
		return 0, false
	}
	return min(max(v.V, 0), maxValue), true
}

// extent scans the first n values of each series and reports the largest
// value drawn and whether any value is missing.
func extent(series []Series, n int) (top float64, missing bool) {
	for _, s := range series {
		for i := range n {
			v, ok := at(s.Values, i)
			if !ok {
				missing = true
				continue
			}
			top = max(top, v)
		}
	}
	return top, missing
}

// clean makes caller text fit for one line of a chart: invalid UTF-8 becomes
// U+FFFD and runs of white space, including line breaks, become one space.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Join(strings.Fields(s), " ")
}

// cleanAll applies clean to every string of ss.
func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// tip is the hover text of one drawn number: its category, its series when
// there is more than one or it is named, and the number or the missing label.
func tip(category, series, value string) string {
	if series == "" {
		return category + ": " + value
	}
	return category + " · " + series + ": " + value
}

// widthOr returns w, or def when w is zero, kept within bounds in which the
// layout still has room for a plot.
func widthOr(w, def int) float64 {
	if w == 0 {
		return float64(def)
	}
	return float64(min(max(w, 240), 4000))
}
