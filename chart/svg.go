package chart

import (
	"html/template"
	"strings"
	"unicode/utf8"
)

// Colours. Ink and muted match the site's --ink and --muted, which meet WCAG
// AA on white; grid lines stay faint so that the data lead.
const (
	ink       = "#1b1f24"
	muted     = "#4f5661"
	gridLine  = "#e5e8ec"
	axisLine  = "#8a929c"
	bandFill  = "#f5f7fa"
	cellLine  = "#d5dae1"
	white     = "#fff"
	defaultW  = 640 // viewBox width of Bars and Lines
	pad       = 8.0 // space around the drawing
	legendGap = 8.0 // space below the legend
)

// palette is Okabe and Ito's colour-blind-safe set, ordered so that
// neighbouring series differ most; yellow, the faintest on white, comes last
// and a ninth series repeats the first colour.
var palette = [...]string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000", "#f0e442"}

// seriesColour is the colour of the i-th series.
func seriesColour(i int) string { return palette[i%len(palette)] }

// writer builds one SVG document. Every attribute value and text it is given
// is escaped, so caller text can never become markup.
type writer struct{ b strings.Builder }

// start writes an opening tag without its closing bracket; attrs are name,
// value pairs.
func (w *writer) start(name string, attrs []string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.text(attrs[i+1])
		w.b.WriteByte('"')
	}
}

// open writes an opening tag; groups start a new line.
func (w *writer) open(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteByte('>')
	if name == "g" || name == "svg" {
		w.b.WriteByte('\n')
	}
}

// void writes an element without content.
func (w *writer) void(name string, attrs ...string) {
	w.start(name, attrs)
	w.b.WriteString("/>\n")
}

// close writes a closing tag. A line break follows every element but a
// <title> or <desc>, which keeps golden files readable in a diff without
// adding white space to any text a reader sees.
func (w *writer) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
	if name != "title" && name != "desc" {
		w.b.WriteByte('\n')
	}
}

// text writes s escaped for XML text and attribute values alike. Characters
// XML does not allow become U+FFFD, so the result always parses.
func (w *writer) text(s string) {
	for _, r := range s {
		switch r {
		case '&':
			w.b.WriteString("&amp;")
		case '<':
			w.b.WriteString("&lt;")
		case '>':
			w.b.WriteString("&gt;")
		case '"':
			w.b.WriteString("&#34;")
		case '\'':
			w.b.WriteString("&#39;")
		case '\t':
			w.b.WriteString("&#x9;")
		case '\n':
			w.b.WriteString("&#xA;")
		case '\r':
			w.b.WriteString("&#xD;")
		default:
			if !xmlChar(r) {
				r = utf8.RuneError
			}
			w.b.WriteRune(r)
		}
	}
}

// xmlChar reports whether XML 1.0 allows r in a document.
func xmlChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// element writes an element holding only text.
func (w *writer) element(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.text(text)
	w.close(name)
}

// label writes a text element showing s cut to maxW at the given font size.
// A cut label keeps its full text in a <title> child, which browsers show on
// hover and screen readers can reach.
func (w *writer) label(s string, maxW, size float64, attrs ...string) {
	shown, cut := fit(s, maxW, size)
	w.open("text", attrs...)
	if cut {
		w.element("title", s)
	}
	w.text(shown)
	w.close("text")
}

// begin writes the root element with its accessible name and description.
// The class names the chart type for the site's stylesheet; width="100%"
// with the viewBox lets the chart follow its container, and browsers derive
// the height from the viewBox's aspect ratio.
func (w *writer) begin(kind, title, desc string, width, height float64) {
	w.b.Grow(4096)
	w.open("svg",
		"xmlns", "http://www.w3.org/2000/svg",
		"class", "chart chart-"+kind,
		"viewBox", "0 0 "+num(width)+" "+num(height),
		"width", "100%",
		"role", "img",
		"aria-label", title,
		"font-size", num(fontSize),
		"fill", ink)
	w.element("title", title)
	if desc != "" {
		w.element("desc", desc)
	}
	w.b.WriteByte('\n')
}

// end closes the root element and returns the document.
func (w *writer) end() template.HTML {
	w.b.WriteString("</svg>") // no line break after the chart
	// The writer escaped every piece of caller text, so the document is
	// markup we built ourselves.
	return template.HTML(w.b.String())
}

// missingMarker draws the sign for a withheld value: a white square with a
// dashed outline and diagonal hatching, unlike any bar, point or cell, so it
// never reads as zero. outline colours the square for its series; hover is
// its tooltip, if any.
func (w *writer) missingMarker(x, y, size float64, outline, hover string) {
	w.open("g", "class", "chart-missing")
	if hover != "" {
		w.element("title", hover)
	}
	w.void("rect", "x", num(x), "y", num(y), "width", num(size), "height", num(size),
		"fill", white, "stroke", outline, "stroke-width", "1", "stroke-dasharray", "2 1")
	var d strings.Builder
	for _, k := range []float64{0.5, 1, 1.5} {
		o := k * size
		d.WriteString("M" + num(x+max(0, o-size)) + " " + num(y+min(o, size)) +
			"L" + num(x+min(o, size)) + " " + num(y+max(0, o-size)))
	}
	w.void("path", "d", d.String(), "stroke", muted, "stroke-width", "1", "fill", "none")
	w.close("g")
}

// Kinds of legend swatch.
const (
	swatchBox     = iota // a filled square, for bars
	swatchLine           // a line with a point, for lines
	swatchRamp           // a heat grid's shades from lo to text
	swatchMissing        // the missing marker
)

// legendItem is one entry of a legend: a swatch and its text.
type legendItem struct {
	kind   int
	colour string
	text   string
	lo     string // text before a ramp
}

// width is how wide the item is drawn.
func (it legendItem) width() float64 {
	w := swatch + 4 + min(textWidth(it.text, fontSize), legendText)
	if it.kind == swatchRamp {
		w += textWidth(it.lo, fontSize) + 4 + rampSteps*rampCell - swatch
	}
	return w
}

// legend is a laid-out legend: entries flow left to right and wrap to new
// rows within the chart's width.
type legend struct {
	items  []legendItem
	x, y   []float64 // position of each item relative to the legend's origin
	height float64
}

// Legend sizes.
const (
	legendRow   = 18.0  // height of one row of entries
	legendText  = 200.0 // longest legend text before it is cut
	legendSpace = 16.0  // space between entries
	swatch      = 10.0  // size of a swatch
	rampSteps   = 5     // shades in a heat grid's legend
	rampCell    = 14.0  // width of one shade
)

// layoutLegend places items in rows no wider than width.
func layoutLegend(items []legendItem, width float64) legend {
	l := legend{items: items}
	x, y := 0.0, 0.0
	for _, it := range items {
		w := it.width()
		if x > 0 && x+w > width {
			x, y = 0, y+legendRow
		}
		l.x = append(l.x, x)
		l.y = append(l.y, y)
		x += w + legendSpace
	}
	if len(items) > 0 {
		l.height = y + legendRow
	}
	return l
}

// draw writes the legend with its origin at (x0, y0).
func (l legend) draw(w *writer, x0, y0 float64) {
	if len(l.items) == 0 {
		return
	}
	w.open("g", "class", "chart-legend")
	for i, it := range l.items {
		x, y := x0+l.x[i], y0+l.y[i]
		sy := y + (legendRow-swatch)/2 - 2
		textX := x + swatch + 4
		w.open("g", "class", "chart-legend-item")
		switch it.kind {
		case swatchLine:
			w.void("line", "x1", num(x), "y1", num(sy+swatch/2), "x2", num(x+swatch), "y2", num(sy+swatch/2),
				"stroke", it.colour, "stroke-width", "2")
			w.void("circle", "cx", num(x+swatch/2), "cy", num(sy+swatch/2), "r", "2.5", "fill", it.colour)
		case swatchMissing:
			w.missingMarker(x, sy, swatch, muted, "")
		case swatchRamp:
			w.element("text", it.lo, "x", num(x), "y", num(sy+swatch-0.5))
			rx := x + textWidth(it.lo, fontSize) + 4
			for k := range rampSteps {
				w.void("rect", "x", num(rx+float64(k)*rampCell), "y", num(sy), "width", num(rampCell), "height", num(swatch),
					"fill", heatColour(float64(k)/(rampSteps-1)), "stroke", cellLine)
			}
			textX = rx + rampSteps*rampCell + 4
		default:
			w.void("rect", "x", num(x), "y", num(sy), "width", num(swatch), "height", num(swatch), "fill", it.colour)
		}
		w.label(it.text, legendText, fontSize, "x", num(textX), "y", num(sy+swatch-0.5))
		w.close("g")
	}
	w.close("g")
}

// seriesLegend lists the series when there are two or more, and the missing
// sign when some value is missing.
func seriesLegend(series []Series, kind int, missing bool, l Labels) []legendItem {
	var items []legendItem
	if len(series) > 1 {
		for i, s := range series {
			items = append(items, legendItem{kind: kind, colour: seriesColour(i), text: clean(s.Name)})
		}
	}
	if missing {
		items = append(items, legendItem{kind: swatchMissing, text: missingText(l)})
	}
	return items
}

// missingText is the legend text for withheld values; a dash stands in when
// the caller gave none, so the entry is never blank.
func missingText(l Labels) string {
	if s := clean(l.Missing); s != "" {
		return s
	}
	return "—"
}

// empty draws the placeholder for a chart with nothing to show: the Empty
// label, and the missing sign's legend entry when the reason is that values
// were withheld, so that "none" and "withheld" are not confused.
func empty(kind, title string, width float64, l Labels, missing bool) template.HTML {
	text := clean(l.Empty)
	if text == "" {
		text = "—"
	}
	height := 40.0
	var leg legend
	if missing {
		leg = layoutLegend([]legendItem{{kind: swatchMissing, text: missingText(l)}}, width-2*pad)
		height += leg.height
	}
	var w writer
	w.begin(kind+" chart-empty", title, text, width, height)
	w.label(text, width-2*pad, fontSize, "class", "chart-empty-text", "x", num(width/2), "y", "24",
		"text-anchor", "middle", "fill", muted)
	if missing {
		leg.draw(&w, (width-leg.items[0].width())/2, 34)
	}
	return w.end()
}
