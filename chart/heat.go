package chart

import (
	"html/template"
	"math"
)

// Heat is a heat grid, a table whose cells are shaded by value: Rows × Cols
// cells on a single-hue scale, light for small and dark for large, with the
// number printed in each cell so that the shade only guides the eye.
// Cells[r][c] belongs to Rows[r] and Cols[c]; absent cells are Missing.
type Heat struct {
	// Title is the chart's accessible name, given as its <title> and
	// aria-label; the page shows its own heading.
	Title      string
	Rows, Cols []string
	// RowGroups optionally names a group for each row, such as the street
	// of each community. Consecutive rows of one group share a label at
	// the left, alternate groups are banded and a rule separates them, so
	// rows should come sorted by group.
	RowGroups []string
	Cells     [][]Value
	Labels    Labels
}

// Layout of heat grids, in user units.
const (
	heatRow      = 24.0  // row height
	minCell      = 44.0  // narrowest cell
	maxCell      = 140.0 // widest cell when the grid is stretched to fill
	maxColLabel  = 96.0  // widest column label a cell widens for
	maxRowLabel  = 160.0 // longest row label before it is cut
	maxGroupText = 120.0 // longest group label before it is cut
)

// SVG draws the grid. With no rows, no columns or nothing above zero it draws
// only Labels.Empty.
func (h Heat) SVG() template.HTML {
	title := clean(h.Title)
	rows, cols := cleanAll(h.Rows), cleanAll(h.Cols)
	nr, nc := len(rows), len(cols)
	groups := make([]string, nr)
	hasGroups := false
	for r := range groups {
		if r < len(h.RowGroups) {
			groups[r] = clean(h.RowGroups[r])
			hasGroups = hasGroups || groups[r] != ""
		}
	}
	cell := func(r, c int) (float64, bool) {
		if r >= len(h.Cells) {
			return 0, false
		}
		return at(h.Cells[r], c)
	}
	top, missing, valueW := 0.0, false, 0.0
	for r := range nr {
		for c := range nc {
			v, ok := cell(r, c)
			if !ok {
				missing = true
				continue
			}
			top = max(top, v)
			valueW = max(valueW, textWidth(formatNumber(v), smallSize))
		}
	}
	if nr == 0 || nc == 0 || top == 0 {
		return empty("heat", title, defaultW, h.Labels, missing)
	}
	// Columns are at least wide enough for their numbers and, within
	// reason, their labels; a grid narrower than a bar chart is stretched
	// so that the charts of a dashboard share a text size.
	groupW := 0.0
	if hasGroups {
		groupW = min(maxWidth(groups, fontSize), maxGroupText) + 12
	}
	rowW := min(maxWidth(rows, fontSize), maxRowLabel) + 10
	left := pad + groupW + rowW
	colW := maxWidth(cols, fontSize)
	cw := max(minCell, valueW+10, min(colW+8, maxColLabel))
	if avail := defaultW - left - pad; cw*float64(nc) < avail {
		cw = max(cw, min(avail/float64(nc), maxCell))
	}
	rotate := colW > cw-4
	colLabel := min(colW, maxSideLabel)
	colH, right := 20.0, pad
	if rotate {
		// A turned label rises up and to the right of its column.
		colH = colLabel*cos45 + fontSize + 6
		right = max(pad, colLabel*cos45-cw/2+pad)
	}
	width := left + cw*float64(nc) + right

	// The legend shows the scale from zero to the largest cell, whose
	// shade is the darkest.
	items := []legendItem{{kind: swatchRamp, lo: "0", text: formatNumber(top)}}
	if missing {
		items = append(items, legendItem{kind: swatchMissing, text: missingText(h.Labels)})
	}
	leg := layoutLegend(items, width-2*pad)
	gridTop := pad + leg.height + legendGap + colH
	height := gridTop + heatRow*float64(nr) + pad

	var w writer
	w.begin("heat", title, describe(rows, cols, cell, h.Labels), width, height)

	// Groups: a band behind every second group and its label at the left.
	type run struct {
		name     string
		from, to int
	}
	var runs []run
	for r := 0; r < nr; {
		end := r + 1
		for end < nr && groups[end] == groups[r] {
			end++
		}
		runs = append(runs, run{groups[r], r, end})
		r = end
	}
	if hasGroups {
		w.open("g", "class", "chart-groups")
		for k, g := range runs {
			y := gridTop + float64(g.from)*heatRow
			gh := float64(g.to-g.from) * heatRow
			if k%2 == 1 {
				w.void("rect", "class", "chart-group-band", "x", num(pad), "y", num(y), "width", num(left-pad), "height", num(gh), "fill", bandFill)
			}
			if g.name != "" {
				w.label(g.name, groupW-8, fontSize, "class", "chart-group", "x", num(pad+4), "y", num(y+gh/2+4), "font-weight", "600")
			}
		}
		w.close("g")
	}

	w.open("g", "class", "chart-cols")
	for c, col := range cols {
		cx := left + (float64(c)+0.5)*cw
		y := gridTop - 6
		if rotate {
			w.label(col, maxSideLabel, fontSize, "class", "chart-col", "x", num(cx), "y", num(y),
				"transform", "rotate(-45 "+num(cx)+" "+num(y)+")")
		} else {
			w.label(col, cw-4, fontSize, "class", "chart-col", "x", num(cx), "y", num(y), "text-anchor", "middle")
		}
	}
	w.close("g")

	for r, row := range rows {
		y := gridTop + float64(r)*heatRow
		w.label(row, rowW-10, fontSize, "class", "chart-row", "x", num(left-6), "y", num(y+heatRow/2+4), "text-anchor", "end")
		for c, col := range cols {
			x := left + float64(c)*cw
			v, ok := cell(r, c)
			if !ok {
				w.void("rect", "class", "chart-cell chart-cell-missing", "x", num(x), "y", num(y), "width", num(cw), "height", num(heatRow),
					"fill", white, "stroke", cellLine)
				w.missingMarker(x+(cw-swatch)/2, y+(heatRow-swatch)/2, swatch, muted, tip(row, col, missingText(h.Labels)))
				continue
			}
			label := formatNumber(v)
			fill := heatColour(v / top)
			w.open("rect", "class", "chart-cell", "x", num(x), "y", num(y), "width", num(cw), "height", num(heatRow),
				"fill", fill, "stroke", cellLine)
			w.element("title", tip(row, col, label))
			w.close("rect")
			w.element("text", label, "class", "chart-cell-value", "x", num(x+cw/2), "y", num(y+heatRow/2+4),
				"font-size", num(smallSize), "text-anchor", "middle", "fill", textOn(fill))
		}
	}

	if len(runs) > 1 {
		w.open("g", "class", "chart-group-rules")
		for _, g := range runs[1:] {
			y := gridTop + float64(g.from)*heatRow
			w.void("line", "class", "chart-group-rule", "x1", num(pad), "y1", num(y), "x2", num(left+cw*float64(nc)), "y2", num(y),
				"stroke", muted)
		}
		w.close("g")
	}
	leg.draw(&w, pad, pad)
	return w.end()
}

// blues is ColorBrewer's nine-class Blues scale. Every channel falls from
// one stop to the next, so mixing neighbours keeps the shade monotone: a
// larger value is never lighter.
var blues = [...][3]float64{
	{0xf7, 0xfb, 0xff}, {0xde, 0xeb, 0xf7}, {0xc6, 0xdb, 0xef},
	{0x9e, 0xca, 0xe1}, {0x6b, 0xae, 0xd6}, {0x42, 0x92, 0xc6},
	{0x21, 0x71, 0xb5}, {0x08, 0x51, 0x9c}, {0x08, 0x30, 0x6b},
}

// heatColour is the shade for t in [0, 1] as #rrggbb.
func heatColour(t float64) string {
	t = min(max(t, 0), 1)
	pos := t * float64(len(blues)-1)
	i := min(int(pos), len(blues)-2)
	f := pos - float64(i)
	const hex = "0123456789abcdef"
	out := []byte{'#'}
	for ch := range 3 {
		a, b := blues[i][ch], blues[i+1][ch]
		v := int(math.Round(a + (b-a)*f))
		out = append(out, hex[v>>4], hex[v&15])
	}
	return string(out)
}

// textOn picks ink or white for text on a #rrggbb fill, whichever contrasts
// more, so that numbers on dark cells stay readable.
func textOn(fill string) string {
	l := luminance(fill)
	if (1.05)/(l+0.05) > (l+0.05)/(luminance(ink)+0.05) {
		return white
	}
	return ink
}

// luminance is the WCAG relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	if len(hex) != 7 {
		return 1
	}
	var lum float64
	weights := [3]float64{0.2126, 0.7152, 0.0722}
	for ch := range 3 {
		var v int
		for _, d := range hex[1+2*ch : 3+2*ch] {
			v <<= 4
			switch {
			case d >= '0' && d <= '9':
				v += int(d - '0')
			case d >= 'a' && d <= 'f':
				v += int(d-'a') + 10
			}
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += weights[ch] * c
	}
	return lum
}
