package chart

import (
	"bytes"
	"encoding/xml"
	"flag"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.svg from the current output")

// zh are the words a Chinese page passes.
var zh = Labels{Missing: "已隐去（小于10）", Empty: "暂无数据"}

// hostile is caller text that would break out of the SVG if it were not
// escaped.
const hostile = `</svg><script>alert(1)</script>"&'<>`

// vals builds values; NaN stands for a missing one.
func vals(vs ...float64) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = Value{V: v, Missing: math.IsNaN(v)}
	}
	return out
}

var gap = math.NaN()

// node is any element of a parsed SVG.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *node) num(t *testing.T, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return f
}

func (n *node) hasClass(c string) bool {
	return slices.Contains(strings.Fields(n.attr("class")), c)
}

// title is the text of the element's <title> child.
func (n *node) title() string {
	for _, c := range n.Nodes {
		if c.XMLName.Local == "title" {
			return c.Text
		}
	}
	return ""
}

// all returns every element below and including n for which keep is true.
func (n *node) all(keep func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(m *node) {
		if keep(m) {
			out = append(out, m)
		}
		for i := range m.Nodes {
			walk(&m.Nodes[i])
		}
	}
	walk(n)
	return out
}

func (n *node) class(c string) []*node {
	return n.all(func(m *node) bool { return m.hasClass(c) })
}

// texts are the visible strings of all <text> elements.
func (n *node) texts() []string {
	var out []string
	for _, m := range n.all(func(m *node) bool { return m.XMLName.Local == "text" }) {
		out = append(out, m.Text)
	}
	return out
}

// parse proves that out is one well-formed SVG element of the shape every
// chart promises, and returns it.
func parse(t *testing.T, out template.HTML) *node {
	t.Helper()
	s := string(out)
	var root node
	dec := xml.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, s)
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if cd, ok := tok.(xml.CharData); err != nil || !ok || strings.TrimSpace(string(cd)) != "" {
			t.Fatalf("content after </svg>: %v %v", tok, err)
		}
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root is %v, want svg in the SVG namespace", root.XMLName)
	}
	if root.attr("role") != "img" || !root.hasClass("chart") || root.attr("width") != "100%" {
		t.Errorf("root lacks role=img, class chart or width=100%%: %v", root.Attrs)
	}
	vb := strings.Fields(root.attr("viewBox"))
	if len(vb) != 4 {
		t.Fatalf("viewBox %q", root.attr("viewBox"))
	}
	for _, f := range vb {
		if v, err := strconv.ParseFloat(f, 64); err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Errorf("viewBox %q has a bad number", root.attr("viewBox"))
		}
	}
	if len(root.Nodes) == 0 || root.Nodes[0].XMLName.Local != "title" {
		t.Errorf("the first child is not <title>")
	}
	if root.title() != root.attr("aria-label") {
		t.Errorf("<title> %q differs from aria-label %q", root.title(), root.attr("aria-label"))
	}
	// Geometry is finite: no NaN or Inf reaches the browser.
	for _, m := range root.all(func(*node) bool { return true }) {
		for _, a := range m.Attrs {
			switch a.Name.Local {
			case "x", "y", "width", "height", "x1", "x2", "y1", "y2", "cx", "cy", "r":
				if a.Value == "100%" {
					continue
				}
				if v, err := strconv.ParseFloat(a.Value, 64); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("<%s %s=%q> is not a finite number", m.XMLName.Local, a.Name.Local, a.Value)
				}
			case "d":
				if strings.Contains(a.Value, "NaN") || strings.Contains(a.Value, "Inf") {
					t.Errorf("path %q is not finite", a.Value)
				}
			case "xmlns", "aria-label":
			default:
				if strings.HasPrefix(a.Name.Local, "on") || strings.Contains(a.Value, "url(") || strings.Contains(a.Value, "//") {
					t.Errorf("<%s %s=%q> runs code or refers outside the chart", m.XMLName.Local, a.Name.Local, a.Value)
				}
			}
		}
	}
	checkCSP(t, s)
	return &root
}

// checkCSP asserts that a chart needs nothing the site's policy forbids
// and fetches nothing.
func checkCSP(t *testing.T, s string) {
	t.Helper()
	for _, bad := range []string{"<style", "<script", "<image", "<foreignObject", "<use", " style=", "href="} {
		if strings.Contains(s, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
}

// length is how long a bar is along the value axis.
func length(t *testing.T, bar *node, horizontal bool) float64 {
	if horizontal {
		return bar.num(t, "width")
	}
	return bar.num(t, "height")
}

func TestBarsReader(t *testing.T) {
	for _, horizontal := range []bool{false, true} {
		t.Run(map[bool]string{false: "vertical", true: "horizontal"}[horizontal], func(t *testing.T) {
			b := Bars{
				Title:      "各社区办件量",
				Categories: []string{"城关社区", "东城社区", "西城社区", "南城社区", "北城社区"},
				Series:     []Series{{Name: "办件", Values: vals(120, 45, gap, 300, 0)}},
				Horizontal: horizontal,
				Labels:     zh,
			}
			svg := parse(t, b.SVG())
			bars := svg.class("chart-bar")
			if len(bars) != 4 {
				t.Fatalf("%d bars, want 4 (one per value that is not missing)", len(bars))
			}
			tallest := slices.MaxFunc(bars, func(a, b *node) int {
				return int(length(t, a, horizontal) - length(t, b, horizontal))
			})
			if !strings.Contains(tallest.title(), "南城社区") || !strings.Contains(tallest.title(), "300") {
				t.Errorf("the longest bar is %q, want 南城社区 with 300", tallest.title())
			}
			// Lengths are proportional to values: 120 is 0.4 of 300.
			ratio := length(t, bars[0], horizontal) / length(t, bars[2], horizontal)
			if math.Abs(ratio-0.4) > 0.002 {
				t.Errorf("bar for 120 is %.4f of the bar for 300, want 0.4", ratio)
			}
			if l := length(t, bars[3], horizontal); l != 0 {
				t.Errorf("bar for 0 has length %v", l)
			}
			for _, b := range bars {
				if strings.Contains(b.title(), "西城社区") {
					t.Errorf("the withheld value has a bar: %q", b.title())
				}
			}
			markers := svg.class("chart-missing")
			// One marker on the plot, one in the legend.
			if len(markers) != 2 || !strings.Contains(markers[0].title(), "西城社区") {
				t.Errorf("want a marker for 西城社区 and one in the legend, got %d", len(markers))
			}
			legend := svg.class("chart-legend")
			if len(legend) != 1 || !slices.Contains(legend[0].texts(), zh.Missing) {
				t.Errorf("the legend does not explain withheld values")
			}
			values := []string{}
			for _, v := range svg.class("chart-value") {
				values = append(values, v.Text)
			}
			if want := []string{"120", "45", "300", "0"}; !slices.Equal(values, want) {
				t.Errorf("numbers on bars %q, want %q", values, want)
			}
			if len(legend[0].class("chart-legend-item")) != 1 {
				t.Errorf("a single series is listed in the legend")
			}
		})
	}
}

func TestBarsGrouped(t *testing.T) {
	b := Bars{
		Title:      "两年对比",
		Categories: []string{"户籍", "社保", "医保"},
		Series: []Series{
			{Name: "2024年", Values: vals(10, 20, 30)},
			{Name: "2025年", Values: vals(15, gap, 35)},
		},
		Labels: zh,
	}
	svg := parse(t, b.SVG())
	bars := svg.class("chart-bar")
	if len(bars) != 5 {
		t.Fatalf("%d bars, want 5", len(bars))
	}
	fills := map[string]string{}
	for _, bar := range bars {
		name := strings.Fields(strings.SplitN(bar.title(), "·", 2)[1])[0]
		name = strings.TrimSuffix(name, ":")
		if f, ok := fills[name]; ok && f != bar.attr("fill") {
			t.Errorf("series %s has two colours", name)
		}
		fills[name] = bar.attr("fill")
	}
	if len(fills) != 2 || fills["2024年"] == fills["2025年"] {
		t.Errorf("series colours %v, want two different", fills)
	}
	texts := svg.class("chart-legend")[0].texts()
	if want := []string{"2024年", "2025年", zh.Missing}; !slices.Equal(texts, want) {
		t.Errorf("legend %q, want %q", texts, want)
	}
	// Within a category the bars stand side by side, in series order.
	if bars[0].num(t, "x") >= bars[1].num(t, "x") {
		t.Errorf("2025年's bar is not right of 2024年's")
	}
}

func TestTicks(t *testing.T) {
	for _, top := range []float64{0.3, 1, 3, 7, 10, 11, 45, 99, 100, 101, 999, 12345, 25_000_000, 1e15} {
		ts := ticks(top, 5)
		step := ts[1] - ts[0]
		mag := math.Pow10(int(math.Floor(math.Log10(step))))
		if m := step / mag; ts[0] != 0 || (m != 1 && m != 2 && m != 5) || step < 1 {
			t.Errorf("ticks(%v) = %v: step %v is not 1, 2 or 5 × 10^k", top, ts, step)
		}
		last := ts[len(ts)-1]
		if last < top || last-step >= top && top >= 1 {
			t.Errorf("ticks(%v) = %v do not cover the maximum tightly", top, ts)
		}
		if len(ts) > 6 {
			t.Errorf("ticks(%v) = %v: too many", top, ts)
		}
	}
}

func TestAxisLabels(t *testing.T) {
	b := Bars{Title: "大数", Categories: []string{"全市"}, Series: []Series{{Values: vals(25_000_000)}}, Labels: zh}
	svg := parse(t, b.SVG())
	var got []string
	for _, tk := range svg.class("chart-tick") {
		got = append(got, tk.Text)
	}
	want := []string{"0", "5,000,000", "10,000,000", "15,000,000", "20,000,000", "25,000,000"}
	if !slices.Equal(got, want) {
		t.Errorf("tick labels %q, want %q", got, want)
	}
	if v := svg.class("chart-value"); len(v) != 1 || v[0].Text != "25,000,000" {
		t.Errorf("the bar is not labelled 25,000,000")
	}
	// The tick labels fit in the left margin.
	bar := svg.class("chart-bar")[0]
	if bar.num(t, "height") != barPlotHeight {
		t.Errorf("the single bar is %v high, want the full plot", bar.num(t, "height"))
	}
	if width := textWidth("25,000,000", smallSize); svg.class("chart-tick")[5].num(t, "x")-width < 0 {
		t.Errorf("tick labels run off the left edge")
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{25_000_000, "25,000,000"}, {3.5, "3.5"}, {999.96, "1,000"}, {1234567.25, "1,234,567.3"},
	} {
		if got := formatNumber(tc.v); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestTextWidth(t *testing.T) {
	for _, tc := range []struct {
		s  string
		em float64
	}{
		{"abc", 1.8}, {"社区", 2}, {"２０２５", 4}, {"2025年", 3.4}, {"e\u0301", 0.6}, {"", 0},
	} {
		if got := textWidth(tc.s, 1); math.Abs(got-tc.em) > 1e-9 {
			t.Errorf("textWidth(%q) = %v em, want %v", tc.s, got, tc.em)
		}
	}
	long := "经济技术开发区管理委员会第一社区居民委员会"
	shown, cut := fit(long, 100, 12)
	if !cut || !strings.HasSuffix(shown, "…") || textWidth(shown, 12) > 100 || !strings.HasPrefix(long, strings.TrimSuffix(shown, "…")) {
		t.Errorf("fit(%q, 100) = %q, %v", long, shown, cut)
	}
	if shown, cut := fit("城关社区", 100, 12); cut || shown != "城关社区" {
		t.Errorf("a label that fits was cut: %q", shown)
	}
}

func TestLongLabelsCut(t *testing.T) {
	long := "经济技术开发区管理委员会第一社区居民委员会便民服务中心"
	b := Bars{Title: "t", Categories: []string{long, "短"}, Series: []Series{{Values: vals(3, 4)}}, Horizontal: true, Labels: zh}
	svg := parse(t, b.SVG())
	cats := svg.class("chart-category")
	if len(cats) != 2 {
		t.Fatalf("%d category labels", len(cats))
	}
	if !strings.HasSuffix(cats[0].Text, "…") || cats[0].title() != long {
		t.Errorf("long label shown as %q with title %q", cats[0].Text, cats[0].title())
	}
	if cats[1].Text != "短" || cats[1].title() != "" {
		t.Errorf("short label changed: %q", cats[1].Text)
	}
	// The label ends left of the bars.
	bar := svg.class("chart-bar")[0]
	if cats[0].num(t, "x") > bar.num(t, "x") {
		t.Errorf("labels overlap the bars")
	}
	if textWidth(cats[0].Text, fontSize) > cats[0].num(t, "x")-pad+0.01 {
		t.Errorf("the cut label still runs off the left edge")
	}

	// Many long labels under vertical bars are turned and still cut.
	var names []string
	var values []Value
	for i := range 30 {
		names = append(names, long[:3*(5+i%10)])
		values = append(values, Value{V: float64(i * 37)})
	}
	v := Bars{Title: "t", Categories: names, Series: []Series{{Values: values}}, Labels: zh}
	svg = parse(t, v.SVG())
	for _, c := range svg.class("chart-category") {
		if !strings.HasPrefix(c.attr("transform"), "rotate(-45") {
			t.Fatalf("crowded labels are not turned")
		}
		if textWidth(c.Text, fontSize) > maxSideLabel {
			t.Errorf("turned label %q is longer than %v", c.Text, maxSideLabel)
		}
	}
}

// sample returns one chart of each kind with the given caller text in every
// place that takes caller text.
func sample(s string) map[string]interface{ SVG() template.HTML } {
	l := Labels{Missing: s, Empty: s}
	return map[string]interface{ SVG() template.HTML }{
		"bars": Bars{Title: s, Categories: []string{s, "b"}, Series: []Series{{Name: s, Values: vals(1, gap)}, {Name: s, Values: vals(2, 3)}}, Labels: l},
		"hbars": Bars{Title: s, Categories: []string{s, "b"}, Series: []Series{{Name: s, Values: vals(1, gap)}, {Name: s, Values: vals(2, 3)}},
			Labels: l, Horizontal: true},
		"lines": Lines{Title: s, X: []string{s, "b", "c"}, Series: []Series{{Name: s, Values: vals(1, gap, 3)}, {Name: "x", Values: vals(2)}}, Labels: l},
		"heat": Heat{Title: s, Rows: []string{s, "b"}, Cols: []string{s, "c"}, RowGroups: []string{s, "g"},
			Cells: [][]Value{vals(1, gap), vals(3, 4)}, Labels: l},
		"empty": Bars{Title: s, Labels: l},
	}
}

func TestHostileTextEscaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{hostile, hostile},
		{`"&'<>`, `"&'<>`},
		{"]]><!-- x -->", "]]><!-- x -->"},
		{"a\x00b\x1bc\uFFFEd", "a\uFFFDb\uFFFDc\uFFFDd"}, // not allowed in XML
		{"line\nbreak\ttab ", "line break tab"},          // one line
		{"\xff\xfe社区", "\uFFFD社区"},                       // invalid UTF-8
	} {
		for name, c := range sample(tc.in) {
			t.Run(name, func(t *testing.T) {
				out := string(c.SVG())
				svg := parse(t, template.HTML(out))
				if strings.Count(out, "<svg") != 1 || strings.Count(out, "</svg>") != 1 {
					t.Fatalf("caller text opened or closed an <svg>:\n%s", out)
				}
				if strings.Contains(out, "<script") || strings.Contains(out, "<!--") {
					t.Fatalf("caller text became markup:\n%s", out)
				}
				if got := svg.attr("aria-label"); got != tc.want {
					t.Errorf("aria-label %q, want %q", got, tc.want)
				}
				// The caller text reaches the reader as text, whole or cut.
				shown := 0
				for _, txt := range svg.texts() {
					if txt == tc.want || strings.HasSuffix(txt, "…") && strings.HasPrefix(tc.want, strings.TrimSuffix(txt, "…")) {
						shown++
					}
				}
				if shown == 0 {
					t.Errorf("%q is not shown as text; texts %q", tc.want, svg.texts())
				}
			})
		}
	}
}

func TestEmbedsInTemplate(t *testing.T) {
	tmpl := template.Must(template.New("page").Parse(`<figure>{{.}}</figure>`))
	var buf bytes.Buffer
	out := sample(hostile)["bars"].SVG()
	if err := tmpl.Execute(&buf, out); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "<figure>"+string(out)+"</figure>" {
		t.Errorf("html/template changed the chart")
	}
}

func TestEmpty(t *testing.T) {
	for _, tc := range []struct {
		name    string
		chart   interface{ SVG() template.HTML }
		missing bool
	}{
		{"no categories", Bars{Title: "t", Series: []Series{{Values: vals(1)}}, Labels: zh}, false},
		{"no series", Bars{Title: "t", Categories: []string{"a"}, Labels: zh}, false},
		{"all zero", Bars{Title: "t", Categories: []string{"a", "b"}, Series: []Series{{Values: vals(0, 0)}}, Labels: zh}, false},
		{"negative only", Bars{Title: "t", Categories: []string{"a"}, Series: []Series{{Values: vals(-4)}}, Labels: zh}, false},
		{"all missing", Bars{Title: "t", Categories: []string{"a", "b"}, Series: []Series{{Values: vals(gap)}}, Labels: zh}, true},
		{"not finite", Bars{Title: "t", Categories: []string{"a", "b"}, Series: []Series{{Values: vals(math.Inf(1), math.Inf(-1))}}, Labels: zh}, true},
		{"lines no x", Lines{Title: "t", Series: []Series{{Values: vals(1)}}, Labels: zh}, false},
		{"lines all missing", Lines{Title: "t", X: []string{"2025-01"}, Series: []Series{{Values: vals(gap)}}, Labels: zh}, true},
		{"lines all zero", Lines{Title: "t", X: []string{"2025-01"}, Series: []Series{{Values: vals(0)}}, Labels: zh}, false},
		{"heat no cols", Heat{Title: "t", Rows: []string{"a"}, Cells: [][]Value{vals(1)}, Labels: zh}, false},
		{"heat no cells", Heat{Title: "t", Rows: []string{"a"}, Cols: []string{"b"}, Labels: zh}, true},
		{"heat all zero", Heat{Title: "t", Rows: []string{"a"}, Cols: []string{"b"}, Cells: [][]Value{vals(0)}, Labels: zh}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := parse(t, tc.chart.SVG())
			if !svg.hasClass("chart-empty") || !slices.Contains(svg.texts(), zh.Empty) {
				t.Errorf("no %q placeholder: %q", zh.Empty, svg.texts())
			}
			if n := len(svg.class("chart-bar")) + len(svg.class("chart-cell")) + len(svg.class("chart-point")); n != 0 {
				t.Errorf("%d marks drawn for no data", n)
			}
			if h, _ := strconv.ParseFloat(strings.Fields(svg.attr("viewBox"))[3], 64); h > 80 {
				t.Errorf("placeholder is %v high", h)
			}
			if got := slices.Contains(svg.texts(), zh.Missing); got != tc.missing {
				t.Errorf("missing legend shown = %v, want %v", got, tc.missing)
			}
		})
	}
	// No words given: a dash rather than nothing.
	if !slices.Contains(parse(t, Bars{}.SVG()).texts(), "—") {
		t.Errorf("an empty chart without Labels shows no text")
	}
}

func TestSingleValue(t *testing.T) {
	for name, c := range map[string]interface{ SVG() template.HTML }{
		"bars":  Bars{Title: "t", Categories: []string{"城关"}, Series: []Series{{Values: vals(1)}}},
		"hbars": Bars{Title: "t", Categories: []string{"城关"}, Series: []Series{{Values: vals(1)}}, Horizontal: true},
		"lines": Lines{Title: "t", X: []string{"2025-01"}, Series: []Series{{Values: vals(1)}}},
		"heat":  Heat{Title: "t", Rows: []string{"城关"}, Cols: []string{"户籍"}, Cells: [][]Value{vals(1)}},
	} {
		t.Run(name, func(t *testing.T) {
			svg := parse(t, c.SVG())
			marks := len(svg.class("chart-bar")) + len(svg.class("chart-point")) + len(svg.class("chart-cell"))
			if marks != 1 {
				t.Errorf("%d marks, want 1", marks)
			}
			if !slices.Contains(svg.texts(), "1") {
				t.Errorf("the value 1 is not printed: %q", svg.texts())
			}
		})
	}
}

func TestMismatchedLengths(t *testing.T) {
	b := Bars{Title: "t", Categories: []string{"a", "b", "c", "d"}, Labels: zh,
		Series: []Series{{Name: "x", Values: vals(5, 6)}, {Name: "y", Values: vals(1, 2, 3, 4, 5, 6, 7)}, {Name: "z"}}}
	svg := parse(t, b.SVG())
	if n := len(svg.class("chart-bar")); n != 6 {
		t.Errorf("%d bars, want 6 (2 + 4, extra values ignored)", n)
	}
	if n := len(svg.class("chart-missing")); n != 2+4+1 {
		t.Errorf("%d missing markers, want 6 on the plot and 1 in the legend", n)
	}

	l := Lines{Title: "t", X: []string{"1", "2", "3"}, Labels: zh, Series: []Series{{Values: vals(1)}, {Values: vals(1, 2, 3, 4)}}}
	svg = parse(t, l.SVG())
	if n := len(svg.class("chart-point")); n != 4 {
		t.Errorf("%d points, want 4", n)
	}

	h := Heat{Title: "t", Rows: []string{"a", "b", "c"}, Cols: []string{"x", "y"}, RowGroups: []string{"g"}, Labels: zh,
		Cells: [][]Value{vals(1), vals(1, 2, 3)}}
	svg = parse(t, h.SVG())
	if n := len(svg.class("chart-cell")); n != 6 {
		t.Errorf("%d cells, want 6", n)
	}
	if n := len(svg.class("chart-cell-value")); n != 3 {
		t.Errorf("%d printed values, want 3", n)
	}
}

func TestNegativeClampedToZero(t *testing.T) {
	b := Bars{Title: "t", Categories: []string{"a", "b"}, Series: []Series{{Values: vals(-5, 10)}}}
	svg := parse(t, b.SVG())
	bars := svg.class("chart-bar")
	if len(bars) != 2 || bars[0].num(t, "height") != 0 || !strings.HasSuffix(bars[0].title(), ": 0") {
		t.Errorf("negative value not drawn as a zero bar")
	}
	// Zero-height bars sit on the axis, not below it.
	axis := svg.class("chart-axis")[0]
	if bars[0].num(t, "y") != axis.num(t, "y1") {
		t.Errorf("bar at y=%v, axis at %v", bars[0].num(t, "y"), axis.num(t, "y1"))
	}
}

func TestLines(t *testing.T) {
	months := []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"}
	l := Lines{Title: "月度趋势", X: months, Labels: zh, Series: []Series{
		{Name: "受理", Values: vals(10, 20, gap, 40, 50, 60)},
		{Name: "办结", Values: vals(5, 15, 25, 35, 45, 55)},
	}}
	svg := parse(t, l.SVG())
	lines := svg.class("chart-line")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	// The gap breaks the first line in two; the second is one stroke.
	if m := strings.Count(lines[0].attr("d"), "M"); m != 2 {
		t.Errorf("line with a missing month has %d runs, want 2: %s", m, lines[0].attr("d"))
	}
	if m := strings.Count(lines[1].attr("d"), "M"); m != 1 {
		t.Errorf("complete line has %d runs", m)
	}
	points := svg.class("chart-point")
	if len(points) != 11 {
		t.Errorf("%d points, want 11", len(points))
	}
	// Higher values are higher on the page, proportionally.
	axis := svg.class("chart-axis")[0].num(t, "y1")
	h10, h60 := axis-points[0].num(t, "cy"), axis-points[4].num(t, "cy")
	if math.Abs(h60/h10-6) > 0.05 {
		t.Errorf("60 is drawn %.3f times as high as 10", h60/h10)
	}
	// Months run left to right.
	for i := 1; i < 5; i++ {
		if points[i].num(t, "cx") <= points[i-1].num(t, "cx") {
			t.Errorf("points out of order")
		}
	}
	markers := svg.class("chart-missing")
	if len(markers) != 2 || !strings.Contains(markers[0].title(), "2025-03") {
		t.Errorf("want a marker for 2025-03 and one in the legend; got %d", len(markers))
	}
	// The marker sits below the axis, where no value is drawn.
	if y := markers[0].Nodes[1].num(t, "y"); y <= axis {
		t.Errorf("missing marker at y=%v is inside the plot (axis at %v)", y, axis)
	}
	if texts := svg.class("chart-legend")[0].texts(); !slices.Equal(texts, []string{"受理", "办结", zh.Missing}) {
		t.Errorf("legend %q", texts)
	}

	// 36 months: labels thin out instead of overlapping.
	var x []string
	var v []Value
	for i := range 36 {
		x = append(x, "202"+strconv.Itoa(3+i/12)+"-"+strconv.Itoa(10+i%12))
		v = append(v, Value{V: float64(i)})
	}
	svg = parse(t, Lines{Title: "t", X: x, Series: []Series{{Values: v}}}.SVG())
	cats := svg.class("chart-category")
	if len(cats) >= 36 || len(cats) < 6 {
		t.Errorf("%d of 36 month labels shown", len(cats))
	}
	for i := 1; i < len(cats); i++ {
		if cats[i].num(t, "x")-cats[i-1].num(t, "x") < textWidth("2025-01", smallSize) {
			t.Errorf("month labels overlap")
		}
	}
}

func TestHeat(t *testing.T) {
	h := Heat{
		Title:     "社区 × 事项",
		Rows:      []string{"城关社区", "东城社区", "西城社区", "南城社区"},
		Cols:      []string{"户籍", "社保", "医保"},
		RowGroups: []string{"城关街道", "城关街道", "西城街道", "西城街道"},
		Cells:     [][]Value{vals(0, 1, 2), vals(5, 10, 20), vals(50, gap, 100), vals(200, 400, 1000)},
		Labels:    zh,
	}
	svg := parse(t, h.SVG())
	cells := svg.class("chart-cell")
	if len(cells) != 12 {
		t.Fatalf("%d cells, want 12", len(cells))
	}
	type shade struct {
		v          float64
		lum        float64
		fill, text string
	}
	var shades []shade
	values := svg.class("chart-cell-value")
	for i, c := range cells {
		if c.hasClass("chart-cell-missing") {
			if i != 7 {
				t.Errorf("cell %d drawn as missing", i)
			}
			continue
		}
		_, num, _ := strings.Cut(c.title(), ": ")
		v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
		if err != nil {
			t.Fatalf("cell title %q", c.title())
		}
		shades = append(shades, shade{v, luminance(c.attr("fill")), c.attr("fill"), values[len(shades)].attr("fill")})
	}
	if len(values) != 11 {
		t.Errorf("%d printed values, want 11", len(values))
	}
	slices.SortFunc(shades, func(a, b shade) int { return int(a.v - b.v) })
	for i := 1; i < len(shades); i++ {
		if shades[i].lum > shades[i-1].lum {
			t.Errorf("%v is lighter than %v", shades[i].v, shades[i-1].v)
		}
	}
	first, last := shades[0], shades[len(shades)-1]
	if first.lum-last.lum < 0.5 {
		t.Errorf("the scale spans too little: %v to %v", first.lum, last.lum)
	}
	if first.text != ink || last.text != white {
		t.Errorf("text is %s on the lightest and %s on the darkest cell, want ink and white", first.text, last.text)
	}
	if m := svg.class("chart-missing"); len(m) != 2 || !strings.Contains(m[0].title(), "西城社区 · 社保") {
		t.Errorf("the withheld cell has no marker")
	}
	var groups []string
	for _, g := range svg.class("chart-group") {
		groups = append(groups, g.Text)
	}
	if !slices.Equal(groups, []string{"城关街道", "西城街道"}) {
		t.Errorf("group labels %q, want each street once", groups)
	}
	if n := len(svg.class("chart-group-rule")); n != 1 {
		t.Errorf("%d rules between groups, want 1", n)
	}
	// The legend runs from 0 to the largest cell, light to dark.
	legend := svg.class("chart-legend")[0]
	if texts := legend.texts(); !slices.Equal(texts, []string{"0", "1,000", zh.Missing}) {
		t.Errorf("legend %q", texts)
	}
	ramp := legend.all(func(m *node) bool { return m.XMLName.Local == "rect" && m.attr("stroke") == cellLine })
	if len(ramp) != rampSteps || ramp[0].attr("fill") != first.fill || ramp[len(ramp)-1].attr("fill") != last.fill {
		t.Errorf("legend ramp does not span the cells' shades")
	}
	for i := 1; i < len(ramp); i++ {
		if luminance(ramp[i].attr("fill")) >= luminance(ramp[i-1].attr("fill")) {
			t.Errorf("legend ramp is not light to dark")
		}
	}
}

func TestWidth(t *testing.T) {
	b := Bars{Title: "t", Categories: []string{"a"}, Series: []Series{{Values: vals(1)}}}
	for _, tc := range []struct {
		width int
		want  string
	}{{0, "640"}, {400, "400"}, {10, "240"}, {-5, "240"}} {
		b.Width = tc.width
		if got := strings.Fields(parse(t, b.SVG()).attr("viewBox"))[2]; got != tc.want {
			t.Errorf("Width %d gives a viewBox %s wide, want %s", tc.width, got, tc.want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for name, c := range golden() {
		if a, b := c.SVG(), c.SVG(); a != b {
			t.Errorf("%s: two renderings differ", name)
		}
	}
}

// golden are representative dashboard charts with Chinese labels.
func golden() map[string]interface{ SVG() template.HTML } {
	communities := []string{"城关社区", "东城社区", "西城社区", "南城社区", "北城社区", "滨江社区", "新华社区",
		"经济技术开发区管理委员会第一社区", "长安社区", "和平社区", "光明社区", "幸福社区"}
	return map[string]interface{ SVG() template.HTML }{
		"bars_horizontal": Bars{
			Title:      "2025年各社区办件量",
			Categories: communities,
			Series: []Series{
				{Name: "2024年", Values: vals(1520, 830, 9, 2410, 660, 1290, 12345, 402, 77, gap, 980, 1130)},
				{Name: "2025年", Values: vals(1710, 910, 14, 2630, 720, 1410, 13020, 455, gap, gap, 1040, 1302)},
			},
			Horizontal: true,
			Labels:     zh,
		},
		"bars_vertical": Bars{
			Title:      "按事项分类的办件量",
			Categories: []string{"户籍办理", "社会保障", "医疗保险", "不动产登记", "公积金", "其他"},
			Series:     []Series{{Name: "办件", Values: vals(4210, 3380, 2950, gap, 1202, 640)}},
			Labels:     zh,
		},
		"lines": Lines{
			Title: "月度受理与办结",
			X: []string{"2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
				"2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12"},
			Series: []Series{
				{Name: "受理", Values: vals(820, 640, 910, 1040, 990, 1120, 1210, gap, 1180, 1090, 1250, 1330)},
				{Name: "办结", Values: vals(790, 610, 880, 1010, 960, 1090, 1170, 1150, 1160, 1060, 1210)},
			},
			Labels: zh,
		},
		"heat": Heat{
			Title:     "各社区 × 事项办件量",
			Rows:      []string{"城关社区", "东城社区", "西城社区", "南城社区", "滨江社区", "新华社区"},
			RowGroups: []string{"城关街道", "城关街道", "城关街道", "江南街道", "江南街道", "新华街道"},
			Cols:      []string{"户籍办理", "社会保障", "医疗保险", "不动产登记", "公积金"},
			Cells: [][]Value{
				vals(420, 310, 280, 95, 60),
				vals(380, 290, gap, 120, 44),
				vals(150, 88, 73, gap, 12),
				vals(610, 540, 470, 230, 180),
				vals(90, 40, 35, 0, gap),
				vals(1020, 870, 760, 410, 333),
			},
			Labels: zh,
		},
	}
}

func TestGolden(t *testing.T) {
	for name, c := range golden() {
		t.Run(name, func(t *testing.T) {
			out := []byte(c.SVG() + "\n")
			parse(t, template.HTML(out))
			path := filepath.Join("testdata", name+".golden.svg")
			if *update {
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./chart -run TestGolden -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s differs from %s; inspect it and rerun with -update if the change is intended", name, path)
			}
		})
	}
}

// FuzzBars feeds arbitrary text and numbers to every chart: each must return
// one well-formed SVG and never panic.
func FuzzBars(f *testing.F) {
	f.Add(hostile, "城关社区", 3.0, 25e6, false)
	f.Add("", "", -1.0, math.NaN(), true)
	f.Add("\xff", "]]>", math.Inf(1), 1e300, true)
	f.Fuzz(func(t *testing.T, title, cat string, a, b float64, horizontal bool) {
		vs := []Value{{V: a}, {V: b}, {Missing: true}}
		for _, c := range []interface{ SVG() template.HTML }{
			Bars{Title: title, Categories: []string{cat, title, "x"}, Series: []Series{{Name: cat, Values: vs}, {Name: title, Values: vs[1:]}}, Horizontal: horizontal, Labels: Labels{Missing: cat, Empty: title}},
			Lines{Title: title, X: []string{cat, title, "x"}, Series: []Series{{Name: cat, Values: vs}}, Labels: Labels{Missing: cat}},
			Heat{Title: title, Rows: []string{cat, title}, Cols: []string{title, cat}, RowGroups: []string{cat}, Cells: [][]Value{vs, vs[1:]}},
		} {
			parse(t, c.SVG())
		}
	})
}

func BenchmarkBars30(b *testing.B) {
	var cats []string
	s := []Series{{Name: "2024年"}, {Name: "2025年"}}
	for i := range 30 {
		cats = append(cats, "第"+strconv.Itoa(i+1)+"社区居民委员会")
		s[0].Values = append(s[0].Values, Value{V: float64(i * 131 % 997)})
		s[1].Values = append(s[1].Values, Value{V: float64(i * 71 % 991), Missing: i%7 == 3})
	}
	c := Bars{Title: "各社区办件量", Categories: cats, Series: s, Horizontal: true, Labels: zh}
	for b.Loop() {
		_ = c.SVG()
	}
}
