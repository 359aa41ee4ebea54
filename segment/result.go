package segment

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// Num is a count as shown: a number, or null when disclosure control
// withholds it.
type Num struct {
	V          int64
	Suppressed bool
}

// MarshalJSON writes the number, or null when it is suppressed.
func (n Num) MarshalJSON() ([]byte, error) {
	if n.Suppressed {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.V, 10), nil
}

// UnmarshalJSON reads a number or null.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num{Suppressed: true}
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	*n = Num{V: v}
	return err
}

// Result is the answer to a Query. Exactly one of Count, Table, Trend and
// Top is set, by the kind of query; Top is a list (maybe empty) for every
// top_matters answer.
type Result struct {
	Result    string              `json:"result"`
	Subject   onedoor.SubjectType `json:"subject"`
	Reference string              `json:"reference"` // the date ages are counted at
	Protected bool                `json:"protected"` // disclosure control applied
	Threshold int                 `json:"threshold,omitempty"`
	Count     *Num                `json:"count,omitempty"`
	Table     *Table              `json:"table,omitempty"`
	Trend     []Point             `json:"trend,omitempty"`
	Top       []MatterCount       `json:"top,omitzero"`
}

// Table is a breakdown by one or two dimensions: Cells[i][j] is the count
// of row i and column j; a one-dimensional table has one column and no
// Cols. For communities, RowGroups names the street of each row and
// GroupTotals the street totals. The lists a table of its dimensions has
// are never nil, so that a table of nobody shows them empty (see newTable).
type Table struct {
	Dims        []string `json:"dims"`
	Rows        []string `json:"rows"`
	Cols        []string `json:"cols,omitzero"`
	RowGroups   []string `json:"row_groups,omitzero"`
	Cells       [][]Num  `json:"cells"`
	RowTotals   []Num    `json:"row_totals"`
	ColTotals   []Num    `json:"col_totals,omitzero"`
	Groups      []string `json:"groups,omitzero"`
	GroupTotals []Num    `json:"group_totals,omitzero"`
	GroupCells  [][]Num  `json:"group_cells,omitzero"` // street × column, for two-dimensional community tables
	Total       Num      `json:"total"`
	rowVals     []int    // value numbers of the rows
	colVals     []int    // value numbers of the columns
	groupVals   []int    // value numbers of the groups
}

// Point is one month of a trend.
type Point struct {
	Month string `json:"month"`
	Count Num    `json:"count"`
}

// MatterCount is one matter of a top list.
type MatterCount struct {
	Matter string `json:"matter"`
	Count  Num    `json:"count"`
}

// Query answers q. With p nil the answer is exact, for staff who may see
// cases; with p set, disclosure control applies (see Protection).
func (ix *Index) Query(ctx context.Context, q Query, p *Protection) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ix.fresh(ctx)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	pq, err := ix.prepare(q)
	if err != nil {
		return nil, err
	}
	res := &Result{Result: pq.kind, Subject: pq.subject, Reference: ix.ref.Format(time.DateOnly)}
	if p != nil {
		res.Protected, res.Threshold = true, p.k()
		return res, ix.protectedQuery(ctx, pq, p, res)
	}
	set := ix.eval(pq.seg, pq.pop)
	switch pq.kind {
	case "count":
		res.Count = &Num{V: int64(set.GetCardinality())}
	case "breakdown":
		res.Table = ix.table(set, pq.by)
	case "trend":
		for m := pq.w.from; m <= pq.w.to; m++ {
			res.Trend = append(res.Trend, Point{Month: monthLabel(m), Count: Num{V: int64(set.AndCardinality(pq.monthSet(m)))}})
		}
	case "top_matters":
		res.Top = ix.top(set, pq)
	}
	return res, nil
}

// check reports what is wrong with q, without answering it.
func (ix *Index) check(ctx context.Context, q Query) error {
	ix.fresh(ctx)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, err := ix.prepare(q)
	return err
}

// prepared is a checked query.
type prepared struct {
	kind    string
	subject onedoor.SubjectType
	pop     *pop
	seg     *node
	expr    *Expr
	by      []*dimension
	m       *matter // trend: nil for any matter
	cls     int
	w       window
	limit   int
}

func (pq *prepared) monthSet(m int32) *roaring.Bitmap {
	var s *mset
	if pq.m == nil {
		s = pq.pop.any.months[m]
	} else {
		s = pq.m.cls[pq.cls].months[m]
	}
	return s.set()
}

// MaxMonths bounds a trend.
const MaxMonths = 240

func (ix *Index) prepare(q Query) (*prepared, error) {
	pq := &prepared{kind: q.Result, subject: q.Subject, expr: q.Segment}
	if pq.kind == "" {
		pq.kind = "count"
	}
	switch pq.subject {
	case "":
		pq.subject = onedoor.Natural
	case onedoor.Natural, onedoor.Legal:
	default:
		return nil, bad("subject", "The subject must be natural or legal.")
	}
	pq.pop = ix.popOf(pq.subject)
	var count int
	seg, err := ix.compile(q.Segment, pq.subject, "segment", &count)
	if err != nil {
		return nil, err
	}
	pq.seg = seg
	switch pq.kind {
	case "count":
		if q.given("by", "matter", "event", "year", "from", "to", "limit") != "" {
			return nil, bad("result", "A count takes only a segment.")
		}
	case "breakdown":
		if f := q.given("matter", "event", "year", "from", "to", "limit"); f != "" {
			return nil, bad(f, "A breakdown takes segment and by only; %s belongs to %s.", f, belongsTo[f])
		}
		if len(q.By) < 1 || len(q.By) > 2 {
			return nil, bad("by", "A breakdown is by one or two dimensions.")
		}
		for i, name := range q.By {
			d := findDim(pq.subject, name)
			if d == nil {
				return nil, bad("by", "There is no dimension %q for %s persons; known dimensions are %s.", name, pq.subject, dimNames(pq.subject))
			}
			if i == 1 && d.name == pq.by[0].name {
				return nil, bad("by", "The two dimensions are the same.")
			}
			pq.by = append(pq.by, d)
		}
		if len(pq.by) == 2 && pq.by[1].name == "community" {
			pq.by[0], pq.by[1] = pq.by[1], pq.by[0] // communities are rows
		}
	case "trend":
		if f := q.given("by", "limit"); f != "" {
			return nil, bad(f, "A trend takes segment, matter, event and a window (year, or from and to) only; %s belongs to %s.", f, belongsTo[f])
		}
		if q.Matter != "" && q.Matter != "*" {
			m := pq.pop.matters[q.Matter]
			if m == nil {
				return nil, bad("matter", "There is no matter %q for %s persons.", q.Matter, pq.subject)
			}
			pq.m = m
		}
		if pq.cls, err = eventClass("event", q.Event); err != nil {
			return nil, err
		}
		if pq.m == nil && pq.cls != clsApplied {
			return nil, bad("event", "For any matter only the event applied is indexed.")
		}
		if pq.w, err = parseWindow("", q.Year, q.From, q.To); err != nil {
			return nil, err
		}
		if pq.w.all() {
			last := monthKey(ix.ref)
			pq.w = window{last - 23, last}
		}
		if pq.w.to-pq.w.from+1 > MaxMonths {
			return nil, bad("from", "A trend covers at most %d months.", MaxMonths)
		}
	case "top_matters":
		if f := q.given("by", "matter"); f != "" {
			return nil, bad(f, "A top_matters answer takes segment, event, a window (year, or from and to) and limit only; %s belongs to %s.", f, belongsTo[f])
		}
		if pq.cls, err = eventClass("event", q.Event); err != nil {
			return nil, err
		}
		if pq.w, err = parseWindow("", q.Year, q.From, q.To); err != nil {
			return nil, err
		}
		pq.limit = q.Limit
		if pq.limit == 0 {
			pq.limit = 10
		}
		if pq.limit < 1 || pq.limit > 500 {
			return nil, bad("limit", "The limit must be from 1 to 500.")
		}
	default:
		return nil, bad("result", "The result must be count, breakdown, trend or top_matters, not %q.", q.Result)
	}
	return pq, nil
}

// given returns the first of the named fields that q sets, or "".
func (q *Query) given(fields ...string) string {
	for _, f := range fields {
		var set bool
		switch f {
		case "by":
			set = q.By != nil
		case "matter":
			set = q.Matter != ""
		case "event":
			set = q.Event != ""
		case "year":
			set = q.Year != 0
		case "from":
			set = q.From != ""
		case "to":
			set = q.To != ""
		case "limit":
			set = q.Limit != 0
		}
		if set {
			return f
		}
	}
	return ""
}

// belongsTo names the results a field of a Query is for.
var belongsTo = map[string]string{"by": "breakdown", "matter": "trend", "event": "trend or top_matters",
	"year": "trend or top_matters", "from": "trend or top_matters", "to": "trend or top_matters", "limit": "top_matters"}

// counts counts set by the value numbers of dims: out[v1*n2+v2], with n
// the number of labels of each dimension.
func (ix *Index) counts(set *roaring.Bitmap, dims []*dimension) ([]int64, []int) {
	out, ns, _ := ix.countsHeads(set, dims, false)
	return out, ns
}

// countsHeads is counts, and with heads the headLen least members of each
// cell as well (what the disclosure guard indexes sets by), gathered in
// the same pass: members come in ascending order.
func (ix *Index) countsHeads(set *roaring.Bitmap, dims []*dimension, heads bool) ([]int64, []int, [][]uint32) {
	ns := make([]int, len(dims))
	total := 1
	for i, d := range dims {
		ns[i] = len(d.labels(ix))
		total *= ns[i]
	}
	out := make([]int64, total)
	var hd [][]uint32
	if heads {
		hd = make([][]uint32, total)
	}
	if len(dims) > 0 && len(dims) <= 2 && ix.byBitmaps(set, dims, ns) && ix.countsByBitmaps(set, dims, ns, out, hd) {
		return out, ns, hd
	}
	buf := make([]uint32, 4096)
	codes := make([][]int32, len(dims))
	for i := range codes {
		codes[i] = make([]int32, len(buf))
	}
	it := set.ManyIterator()
	for {
		n := it.NextMany(buf)
		if n == 0 {
			break
		}
		for i, d := range dims {
			d.codes(ix, buf[:n], codes[i][:n])
		}
		switch len(dims) {
		case 1:
			for j, c := range codes[0][:n] {
				out[c]++
				if hd != nil && len(hd[c]) < headLen {
					hd[c] = append(hd[c], buf[j])
				}
			}
		case 2:
			n2 := int32(ns[1])
			c2 := codes[1][:n]
			for j, c := range codes[0][:n] {
				k := c*n2 + c2[j]
				out[k]++
				if hd != nil && len(hd[k]) < headLen {
					hd[k] = append(hd[k], buf[j])
				}
			}
		default:
			for j := range n {
				k := 0
				for i := range dims {
					k = k*ns[i] + int(codes[i][j])
				}
				out[k]++
				if hd != nil && len(hd[k]) < headLen {
					hd[k] = append(hd[k], buf[j])
				}
			}
		}
	}
	return out, ns, hd
}

// byBitmaps tells whether set is counted by dims faster by intersecting
// it with the bitmaps of the values (countsByBitmaps) than by looking up
// each member's values: when the values' bitmaps are dense (a container
// of 65,536 possible members is intersected 64 at a time) and the set is
// big. Estimated in nanoseconds, as measured here: looking a member up
// about 15; intersecting about 2.5 a byte of sorted arrays, 0.1 a byte of
// dense containers and 1 of runs; each value of the first dimension is
// intersected with the set once, and each cell once more. Bitmaps made
// for the caller are not worth it.
func (ix *Index) byBitmaps(set *roaring.Bitmap, dims []*dimension, ns []int) bool {
	if forceBitmaps {
		return true
	}
	var cost float64
	for v := range ns[0] {
		b, owned := dims[0].bitmap(ix, v)
		if owned {
			return false
		}
		st := b.Stats()
		cost += 2.5*float64(st.ArrayContainerBytes) + 0.1*float64(st.BitmapContainerBytes) + float64(st.RunContainerBytes)
	}
	if len(dims) == 2 {
		if _, owned := dims[1].bitmap(ix, 0); owned {
			return false
		}
		cost *= float64(1 + ns[1])
	}
	return cost < 15*float64(set.GetCardinality())
}

// forceBitmaps makes every count of up to two dimensions go through the
// bitmaps, for tests comparing the two ways.
var forceBitmaps = false

// countsByBitmaps counts set into out (and its least members into hd, if
// given) by intersecting it with the bitmaps of the values of one or two
// dimensions. It reports false, leaving out to be counted again, if the
// values' bitmaps do not cover the set exactly once.
func (ix *Index) countsByBitmaps(set *roaring.Bitmap, dims []*dimension, ns []int, out []int64, hd [][]uint32) bool {
	cell := func(k int, parts ...*roaring.Bitmap) {
		out[k] = int64(interCard(slices.Clone(parts)))
		if hd != nil && out[k] > 0 {
			hd[k] = headOf(parts, headLen)
		}
	}
	var sum int64
	for v0 := range ns[0] {
		b0, _ := dims[0].bitmap(ix, v0)
		if len(dims) == 1 {
			cell(v0, set, b0)
			sum += out[v0]
			continue
		}
		x := roaring.And(set, b0)
		if x.IsEmpty() {
			continue
		}
		for v1 := range ns[1] {
			b1, _ := dims[1].bitmap(ix, v1)
			k := v0*ns[1] + v1
			cell(k, x, b1)
			sum += out[k]
		}
	}
	if uint64(sum) != set.GetCardinality() {
		clear(out)
		clear(hd)
		return false
	}
	return true
}

// newTable is a table by dims with no rows yet: its lists are empty, not
// nil — rows, cells and row totals; columns and column totals with two
// dimensions; the streets of community rows.
func newTable(dims []*dimension) *Table {
	t := &Table{Rows: []string{}, Cells: [][]Num{}, RowTotals: []Num{}}
	for _, d := range dims {
		t.Dims = append(t.Dims, d.name)
	}
	if len(dims) == 2 {
		t.Cols, t.ColTotals = []string{}, []Num{}
	}
	if dims[0].name == "community" {
		t.RowGroups, t.Groups, t.GroupTotals = []string{}, []string{}, []Num{}
		if len(dims) == 2 {
			t.GroupCells = [][]Num{}
		}
	}
	return t
}

// table is the exact breakdown of set.
func (ix *Index) table(set *roaring.Bitmap, dims []*dimension) *Table {
	cnt, ns := ix.counts(set, dims)
	t := newTable(dims)
	t.rowVals = ix.values(dims[0])
	rl := dims[0].labels(ix)
	for _, v := range t.rowVals {
		t.Rows = append(t.Rows, rl[v])
	}
	t.colVals = []int{0}
	n2 := 1
	if len(dims) == 2 {
		t.colVals = ix.values(dims[1])
		cl := dims[1].labels(ix)
		for _, v := range t.colVals {
			t.Cols = append(t.Cols, cl[v])
		}
		n2 = ns[1]
	}
	colTot := make([]int64, len(t.colVals))
	var total int64
	for _, r := range t.rowVals {
		row := make([]Num, len(t.colVals))
		var rt int64
		for j, c := range t.colVals {
			v := cnt[r*n2+c]
			row[j] = Num{V: v}
			rt += v
			colTot[j] += v
		}
		t.Cells = append(t.Cells, row)
		t.RowTotals = append(t.RowTotals, Num{V: rt})
		total += rt
	}
	if len(dims) == 2 {
		for _, v := range colTot {
			t.ColTotals = append(t.ColTotals, Num{V: v})
		}
	}
	t.Total = Num{V: total}
	if dims[0].up != nil && dims[0].name == "community" {
		ix.groupTotals(t, dims[0])
	}
	return t
}

// groupTotals adds the street of each community row and the street totals.
func (ix *Index) groupTotals(t *Table, d *dimension) {
	idx := map[int]int{}
	for i, v := range t.rowVals {
		g := d.up(ix, v)
		t.RowGroups = append(t.RowGroups, ix.streets.names[g])
		k, ok := idx[g]
		if !ok {
			k = len(t.groupVals)
			idx[g] = k
			t.groupVals = append(t.groupVals, g)
			t.Groups = append(t.Groups, ix.streets.names[g])
			t.GroupTotals = append(t.GroupTotals, Num{})
			if len(t.Cols) > 0 {
				t.GroupCells = append(t.GroupCells, make([]Num, len(t.Cols)))
			}
		}
		t.GroupTotals[k].V += t.RowTotals[i].V
		if len(t.Cols) > 0 {
			for j := range t.Cols {
				t.GroupCells[k][j].V += t.Cells[i][j].V
			}
		}
	}
}

// top counts set against every matter's event set in the window.
func (ix *Index) top(set *roaring.Bitmap, pq *prepared) []MatterCount {
	out := []MatterCount{}
	for _, code := range pq.pop.codes() {
		m := pq.pop.matters[code]
		n := set.AndCardinality(m.cls[pq.cls].window(pq.w))
		if n > 0 {
			out = append(out, MatterCount{Matter: code, Count: Num{V: int64(n)}})
		}
	}
	sortTop(out)
	if len(out) > pq.limit {
		out = out[:pq.limit]
	}
	return out
}

func sortTop(out []MatterCount) {
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count.V != out[j].Count.V {
			return out[i].Count.V > out[j].Count.V
		}
		return out[i].Matter < out[j].Matter
	})
}
