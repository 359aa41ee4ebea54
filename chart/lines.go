package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Lines is a trend chart: one line per series over labelled points in time,
// such as months written "2025-01". Series[s].Values[i] belongs to X[i]. A
// missing value breaks its line, so the chart never suggests a number that
// was withheld, and is marked in a strip under the axis.
type Lines struct {
	// Title is the chart's accessible name, given as its <title> and
	// aria-label; the page shows its own heading.
	Title  string
	X      []string
	Series []Series
	Labels Labels
	// Width is the width of the viewBox in user units, 640 when zero.
	Width int
}

// Layout of line charts, in user units.
const (
	linePlotHeight = 220.0 // plot height
	missingRow     = 12.0  // height of one series' row of missing markers
	missingSize    = 8.0   // size of a missing marker under the axis
)

// SVG draws the chart. With no points, no series or nothing above zero it
// draws only Labels.Empty.
func (l Lines) SVG() template.HTML {
	title := clean(l.Title)
	xs := cleanAll(l.X)
	width := widthOr(l.Width, defaultW)
	n, ns := len(xs), len(l.Series)
	top, missing := extent(l.Series, n)
	if n == 0 || ns == 0 || top == 0 {
		return empty("lines", title, width, l.Labels, missing)
	}
	names := seriesNames(l.Series)
	desc := describe(xs, names, func(i, s int) (float64, bool) { return at(l.Series[s].Values, i) }, l.Labels)
	leg := layoutLegend(seriesLegend(l.Series, swatchLine, missing, l.Labels), width-2*pad)
	ts := ticks(top, 5)
	tl := tickLabels(ts)
	scaleTop := ts[len(ts)-1]

	// Horizontal layout: the first and last x labels are centred on the ends
	// of the plot, so half of one must fit in each margin.
	xW := min(maxWidth(xs, smallSize), maxSideLabel)
	left := max(pad+maxWidth(tl, smallSize)+6, pad+xW/2)
	plotW := width - left - pad - xW/2
	pitch := 0.0
	if n > 1 {
		pitch = plotW / float64(n-1)
	}
	xAt := func(i int) float64 {
		if n == 1 {
			return left + plotW/2
		}
		return left + float64(i)*pitch
	}
	// Label every point when the labels fit, else every second, third, …
	every := 1
	if n > 1 {
		every = max(1, int(math.Ceil((xW+6)/pitch)))
	}
	// Numbers above points only for a single series, whose labels cannot
	// collide with another line's, and only when they fit side by side.
	valueW := 0.0
	for i := range n {
		if v, ok := at(l.Series[0].Values, i); ok {
			valueW = max(valueW, textWidth(formatNumber(v), smallSize))
		}
	}
	showValues := ns == 1 && (n == 1 || pitch >= valueW+4)

	// Vertical layout: legend, plot, one row of missing markers per series
	// that has any, x labels.
	rowOf := make([]int, ns)
	rows := 0
	for s := range ns {
		rowOf[s] = -1
		for i := range n {
			if _, ok := at(l.Series[s].Values, i); !ok {
				rowOf[s] = rows
				rows++
				break
			}
		}
	}
	plotTop := pad + leg.height + 6
	if leg.height > 0 {
		plotTop += legendGap
	}
	if showValues {
		plotTop += valueRoom - 6
	}
	plotBottom := plotTop + linePlotHeight
	strip := 0.0
	if rows > 0 {
		strip = float64(rows)*missingRow + 2
	}
	labelY := plotBottom + strip + 16
	height := labelY + pad
	yAt := func(v float64) float64 { return plotBottom - v/scaleTop*linePlotHeight }

	var w writer
	w.begin("lines", title, desc, width, height)
	w.open("g", "class", "chart-axis-y", "font-size", num(smallSize), "fill", muted, "text-anchor", "end")
	for i, t := range ts {
		y := yAt(t)
		if i > 0 {
			w.void("line", "class", "chart-grid", "x1", num(left), "y1", num(y), "x2", num(left+plotW), "y2", num(y), "stroke", gridLine)
		}
		w.element("text", tl[i], "class", "chart-tick", "x", num(left-6), "y", num(y+4))
	}
	w.close("g")
	w.void("line", "class", "chart-axis", "x1", num(left), "y1", num(plotBottom), "x2", num(left+plotW), "y2", num(plotBottom), "stroke", axisLine)

	for s := range ns {
		// One subpath per run of present values: a gap stays a gap.
		var d strings.Builder
		run := 0
		for i := range n {
			v, ok := at(l.Series[s].Values, i)
			if !ok {
				run = 0
				continue
			}
			if run == 0 {
				d.WriteByte('M')
			} else {
				d.WriteByte('L')
			}
			d.WriteString(num(xAt(i)) + " " + num(yAt(v)))
			run++
		}
		if d.Len() > 0 && strings.ContainsRune(d.String(), 'L') {
			w.void("path", "class", "chart-line chart-series-"+strconv.Itoa(s), "d", d.String(),
				"fill", "none", "stroke", seriesColour(s), "stroke-width", "2", "stroke-linejoin", "round")
		}
	}
	for s := range ns {
		for i, x := range xs {
			v, ok := at(l.Series[s].Values, i)
			cx := xAt(i)
			if !ok {
				w.missingMarker(cx-missingSize/2, plotBottom+3+float64(rowOf[s])*missingRow, missingSize,
					markerOutline(s, ns), tip(x, names[s], missingText(l.Labels)))
				continue
			}
			label := formatNumber(v)
			w.open("circle", "class", "chart-point chart-series-"+strconv.Itoa(s), "cx", num(cx), "cy", num(yAt(v)),
				"r", "3", "fill", seriesColour(s), "stroke", white, "stroke-width", "1")
			w.element("title", tip(x, names[s], label))
			w.close("circle")
			if showValues {
				w.element("text", label, "class", "chart-value", "x", num(cx), "y", num(yAt(v)-7),
					"font-size", num(smallSize), "text-anchor", "middle")
			}
		}
	}

	w.open("g", "class", "chart-categories", "font-size", num(smallSize), "fill", muted, "text-anchor", "middle")
	for i, x := range xs {
		cx := xAt(i)
		w.void("line", "class", "chart-xtick", "x1", num(cx), "y1", num(plotBottom), "x2", num(cx), "y2", num(plotBottom+3), "stroke", axisLine)
		if i%every == 0 {
			room := maxSideLabel
			if n > 1 {
				room = min(float64(every)*pitch-6, maxSideLabel)
			}
			w.label(x, room, smallSize, "class", "chart-category", "x", num(cx), "y", num(labelY))
		}
	}
	w.close("g")
	leg.draw(&w, pad, pad)
	return w.end()
}
