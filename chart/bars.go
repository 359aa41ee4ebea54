package chart

import (
	"html/template"
	"strconv"
	"strings"
)

// Bars is a grouped bar chart: categories along one axis and, in each
// category, one bar per series. Series[s].Values[i] belongs to Categories[i].
type Bars struct {
	// Title is the chart's accessible name, given as its <title> and
	// aria-label; the page shows its own heading.
	Title      string
	Categories []string
	Series     []Series
	// Horizontal draws bars left to right with the categories down the
	// side, which suits many or long names such as 30 communities; the
	// chart then grows in height with the number of categories.
	Horizontal bool
	Labels     Labels
	// Width is the width of the viewBox in user units, 640 when zero. Text
	// keeps its size in user units, so a narrower chart shows larger text
	// when scaled to the same container.
	Width int
}

// Layout of bar charts, in user units.
const (
	barPlotHeight = 240.0 // plot height of vertical bars
	maxBarWidth   = 48.0  // widest vertical bar
	maxSideLabel  = 120.0 // longest rotated category label
	valueRoom     = 14.0  // room above the plot for the tallest bar's number
	cos45         = 0.7071
)

// SVG draws the chart. With no categories, no series or nothing above zero it
// draws only Labels.Empty.
func (b Bars) SVG() template.HTML {
	title := clean(b.Title)
	cats := cleanAll(b.Categories)
	width := widthOr(b.Width, defaultW)
	top, missing := extent(b.Series, len(cats))
	if len(cats) == 0 || len(b.Series) == 0 || top == 0 {
		return empty("bars", title, width, b.Labels, missing)
	}
	names := seriesNames(b.Series)
	var w writer
	desc := describe(cats, names, func(i, s int) (float64, bool) { return at(b.Series[s].Values, i) }, b.Labels)
	leg := layoutLegend(seriesLegend(b.Series, swatchBox, missing, b.Labels), width-2*pad)
	ts := ticks(top, 5)
	if b.Horizontal {
		b.horizontal(&w, title, desc, cats, names, leg, ts, width)
	} else {
		b.vertical(&w, title, desc, cats, names, leg, ts, width)
	}
	return w.end()
}

// vertical draws columns rising from a horizontal axis; category labels that
// do not fit under their column are turned 45 degrees.
func (b Bars) vertical(w *writer, title, desc string, cats, names []string, leg legend, ts []float64, width float64) {
	n, ns := len(cats), len(b.Series)
	tl := tickLabels(ts)
	scaleTop := ts[len(ts)-1]

	plotTop := pad + leg.height + valueRoom
	if leg.height > 0 {
		plotTop += legendGap
	}
	left := pad + maxWidth(tl, smallSize) + 6
	band := (width - left - pad) / float64(n)
	catW := maxWidth(cats, fontSize)
	rotate := catW > band-4
	labelMax := min(catW, maxSideLabel)
	bottom := 22.0
	if rotate {
		// A turned label hangs down and to the left of its column.
		bottom = 14 + labelMax*cos45 + fontSize
		left = min(max(left, pad+labelMax*cos45-band/2), width*0.4)
		band = (width - left - pad) / float64(n)
	}
	plotBottom := plotTop + barPlotHeight
	height := plotBottom + bottom + pad

	w.begin("bars", title, desc, width, height)
	w.open("g", "class", "chart-axis-y", "font-size", num(smallSize), "fill", muted, "text-anchor", "end")
	for i, t := range ts {
		y := plotBottom - t/scaleTop*barPlotHeight
		if i > 0 {
			w.void("line", "class", "chart-grid", "x1", num(left), "y1", num(y), "x2", num(width-pad), "y2", num(y), "stroke", gridLine)
		}
		w.element("text", tl[i], "class", "chart-tick", "x", num(left-6), "y", num(y+4))
	}
	w.close("g")

	groupW := band * 0.8
	if ns == 1 {
		groupW = band * 0.7
	}
	barW := min(groupW/float64(ns), maxBarWidth)
	gap := 0.0
	if ns > 1 {
		gap = min(2, barW*0.2)
	}
	for i, cat := range cats {
		for s := range ns {
			x := left + float64(i)*band + (band-barW*float64(ns))/2 + float64(s)*barW
			cx := x + barW/2
			v, ok := at(b.Series[s].Values, i)
			if !ok {
				ms := min(swatch, max(barW-2, 4))
				w.missingMarker(cx-ms/2, plotBottom-ms-2, ms, markerOutline(s, ns), tip(cat, names[s], missingText(b.Labels)))
				continue
			}
			label := formatNumber(v)
			h := v / scaleTop * barPlotHeight
			w.open("rect", "class", "chart-bar chart-series-"+strconv.Itoa(s),
				"x", num(x+gap/2), "y", num(plotBottom-h), "width", num(barW-gap), "height", num(h), "fill", seriesColour(s))
			w.element("title", tip(cat, names[s], label))
			w.close("rect")
			room := barW
			if ns == 1 {
				room = band
			}
			if textWidth(label, smallSize) <= room-1 {
				w.element("text", label, "class", "chart-value", "x", num(cx), "y", num(plotBottom-h-3),
					"font-size", num(smallSize), "text-anchor", "middle")
			}
		}
	}
	w.void("line", "class", "chart-axis", "x1", num(left), "y1", num(plotBottom), "x2", num(width-pad), "y2", num(plotBottom), "stroke", axisLine)

	w.open("g", "class", "chart-categories")
	for i, cat := range cats {
		cx := left + (float64(i)+0.5)*band
		if rotate {
			y := plotBottom + 12
			w.label(cat, maxSideLabel, fontSize, "class", "chart-category", "x", num(cx), "y", num(y),
				"text-anchor", "end", "transform", "rotate(-45 "+num(cx)+" "+num(y)+")")
		} else {
			w.label(cat, band-4, fontSize, "class", "chart-category", "x", num(cx), "y", num(plotBottom+16), "text-anchor", "middle")
		}
	}
	w.close("g")
	leg.draw(w, pad, pad)
}

// horizontal draws bars growing right from a vertical axis, one band of
// bars per category, with each number right of its bar.
func (b Bars) horizontal(w *writer, title, desc string, cats, names []string, leg legend, ts []float64, width float64) {
	n, ns := len(cats), len(b.Series)
	tl := tickLabels(ts)
	scaleTop := ts[len(ts)-1]

	barH := 18.0
	switch {
	case ns > 3:
		barH = 9
	case ns > 1:
		barH = 12
	}
	bandH := barH*float64(ns) + 8
	catW := min(maxWidth(cats, fontSize), width*0.35)
	left := pad + catW + 8
	valueW := 0.0
	for _, s := range b.Series {
		for i := range n {
			if v, ok := at(s.Values, i); ok {
				valueW = max(valueW, textWidth(formatNumber(v), smallSize))
			}
		}
	}
	right := pad + max(valueW+4, textWidth(tl[len(tl)-1], smallSize)/2)
	plotW := width - left - right
	plotTop := pad + leg.height
	if leg.height > 0 {
		plotTop += legendGap
	}
	plotBottom := plotTop + bandH*float64(n)
	height := plotBottom + 18 + pad

	w.begin("bars chart-horizontal", title, desc, width, height)
	w.open("g", "class", "chart-axis-x", "font-size", num(smallSize), "fill", muted, "text-anchor", "middle")
	for i, t := range ts {
		x := left + t/scaleTop*plotW
		if i > 0 {
			w.void("line", "class", "chart-grid", "x1", num(x), "y1", num(plotTop), "x2", num(x), "y2", num(plotBottom), "stroke", gridLine)
		}
		w.element("text", tl[i], "class", "chart-tick", "x", num(x), "y", num(plotBottom+14))
	}
	w.close("g")

	for i, cat := range cats {
		bandTop := plotTop + float64(i)*bandH
		w.label(cat, catW, fontSize, "class", "chart-category", "x", num(left-8), "y", num(bandTop+bandH/2+4), "text-anchor", "end")
		for s := range ns {
			y := bandTop + 4 + float64(s)*barH
			v, ok := at(b.Series[s].Values, i)
			if !ok {
				ms := min(swatch, barH-2)
				w.missingMarker(left+3, y+(barH-ms)/2, ms, markerOutline(s, ns), tip(cat, names[s], missingText(b.Labels)))
				continue
			}
			label := formatNumber(v)
			bw := v / scaleTop * plotW
			h := barH
			if ns > 1 {
				h--
			}
			w.open("rect", "class", "chart-bar chart-series-"+strconv.Itoa(s),
				"x", num(left), "y", num(y), "width", num(bw), "height", num(h), "fill", seriesColour(s))
			w.element("title", tip(cat, names[s], label))
			w.close("rect")
			w.element("text", label, "class", "chart-value", "x", num(left+bw+4), "y", num(y+h/2+4),
				"font-size", num(smallSize))
		}
	}
	w.void("line", "class", "chart-axis", "x1", num(left), "y1", num(plotTop), "x2", num(left), "y2", num(plotBottom), "stroke", axisLine)
	leg.draw(w, pad, pad)
}

// markerOutline colours a missing marker's outline by its series when the
// chart has several, so the reader can tell whose value is withheld.
func markerOutline(s, ns int) string {
	if ns > 1 {
		return seriesColour(s)
	}
	return muted
}

// seriesNames are the cleaned names of the series as hover text shows them;
// a single unnamed series gets none.
func seriesNames(series []Series) []string {
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = clean(s.Name)
	}
	return names
}

// describe writes a chart's data as text for its <desc>, which screen readers
// offer as the chart's description: "row: col 12, col 3; row: …", leaving out
// column names when there is only one column.
func describe(rows, cols []string, value func(row, col int) (float64, bool), l Labels) string {
	var d strings.Builder
	for r, row := range rows {
		if r > 0 {
			d.WriteString("; ")
		}
		d.WriteString(row)
		d.WriteString(":")
		for c, col := range cols {
			if c > 0 {
				d.WriteString(",")
			}
			d.WriteString(" ")
			if len(cols) > 1 && col != "" {
				d.WriteString(col)
				d.WriteString(" ")
			}
			if v, ok := value(r, c); ok {
				d.WriteString(formatNumber(v))
			} else {
				d.WriteString(missingText(l))
			}
		}
	}
	return d.String()
}
