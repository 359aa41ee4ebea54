package segment

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// protectedQuery answers a checked query under disclosure control.
func (ix *Index) protectedQuery(ctx context.Context, pq *prepared, p *Protection, res *Result) error {
	if g := p.Guard; g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	r := ix.newRequest(ctx, p)
	switch pq.kind {
	case "count":
		n, err := r.count(pq.subject, pq.pop, pq.seg)
		if err != nil {
			return err
		}
		res.Count = &n
	case "breakdown":
		c, err := r.canon(pq.subject, pq.pop, pq.seg, pq.by)
		if err != nil {
			return err
		}
		t, err := r.table(c.base, c.dims)
		if err != nil {
			return err
		}
		res.Table = r.output(c, t, pq.by)
	case "trend":
		for m := pq.w.from; m <= pq.w.to; m++ {
			ev := &node{op: opMatter, m: pq.m, any: pq.m == nil, cls: pq.cls, w: window{m, m}}
			n, err := r.count(pq.subject, pq.pop, &node{op: opAnd, kids: []*node{pq.seg, ev}})
			if err != nil {
				return err
			}
			res.Trend = append(res.Trend, Point{Month: monthLabel(m), Count: n})
		}
	case "top_matters":
		var shown, held []MatterCount
		for _, code := range pq.pop.codes() {
			m := pq.pop.matters[code]
			if m.cls[pq.cls].window(pq.w).IsEmpty() {
				continue
			}
			ev := &node{op: opMatter, m: m, cls: pq.cls, w: pq.w}
			n, err := r.count(pq.subject, pq.pop, &node{op: opAnd, kids: []*node{pq.seg, ev}})
			if err != nil {
				return err
			}
			switch {
			case n.Suppressed:
				held = append(held, MatterCount{Matter: code, Count: n})
			case n.V > 0:
				shown = append(shown, MatterCount{Matter: code, Count: n})
			}
		}
		// Withheld matters follow the shown ones in code order, so their
		// place in the list says nothing about their size.
		sortTop(shown)
		res.Top = append(append(make([]MatterCount, 0, len(shown)+len(held)), shown...), held...)
		if len(res.Top) > pq.limit {
			res.Top = res.Top[:pq.limit]
		}
	}
	return nil
}

// canonical is a protected question reduced to its table: the base set and
// the dimensions, with the values the question selects on each.
type canonical struct {
	base *roaring.Bitmap
	dims []*dimension
	sel  map[string][]int // selected value numbers; absent: all
}

// conjuncts flattens the top-level and of a segment.
func conjuncts(n *node) []*node {
	switch n.op {
	case opAll:
		return nil
	case opAnd:
		var out []*node
		for _, k := range n.kids {
			out = append(out, conjuncts(k)...)
		}
		return out
	}
	return []*node{n}
}

// canon reduces a segment, broken down by by, to its table (rule 3).
func (r *request) canon(s onedoor.SubjectType, pp *pop, seg *node, by []*dimension) (*canonical, error) {
	ix := r.ix
	sel := map[string]map[int]bool{}
	restrict := func(d *dimension, vals []int) {
		set := map[int]bool{}
		for _, v := range vals {
			if old, ok := sel[d.name]; !ok || old[v] {
				set[v] = true
			}
		}
		sel[d.name] = set
	}
	var rest []*node
	for _, c := range conjuncts(seg) {
		switch {
		case c.op == opAttr && c.dim.public:
			restrict(c.dim, c.vals)
		case c.op == opNot && c.kids[0].op == opAttr && c.kids[0].dim.public:
			d := c.kids[0].dim
			var vals []int
			for v := range len(d.labels(ix)) {
				if !containsInt(c.kids[0].vals, v) {
					vals = append(vals, v)
				}
			}
			restrict(d, vals)
		case c.op == opAge && policyEdge(c.lo) && (c.hi == maxAge || policyEdge(c.hi+1)):
			// Ages on policy-band edges select policy bands.
			var vals []int
			for b, lo := range policyLow {
				if lo >= c.lo && (c.hi == maxAge || lo <= c.hi) {
					vals = append(vals, b)
				}
			}
			restrict(findDim(s, "age_policy"), vals)
		case c.op == opAge && c.lo%5 == 0 && (c.hi == maxAge || (c.hi+1)%5 == 0 && c.hi < 100):
			hi := nAge5 - 1
			if c.hi < maxAge {
				hi = (c.hi+1)/5 - 1
			}
			var vals []int
			for b := min(c.lo/5, nAge5); b <= hi; b++ {
				vals = append(vals, b)
			}
			restrict(findDim(s, "age5"), vals)
		default:
			rest = append(rest, c)
		}
	}
	names := map[string]bool{}
	for _, d := range by {
		names[d.name] = true
	}
	for n := range sel {
		names[n] = true
	}
	// A dimension and the one it nests in make one table dimension: the
	// finer one, with the coarser selection carried down.
	for _, d := range dimsOf(s) {
		if d.parent == "" || !names[d.name] || !names[d.parent] {
			continue
		}
		delete(names, d.parent)
		if ps, ok := sel[d.parent]; ok {
			var vals []int
			for v := range len(d.labels(ix)) {
				if ps[d.up(ix, v)] {
					vals = append(vals, v)
				}
			}
			restrict(d, vals)
			delete(sel, d.parent)
		}
	}
	c := &canonical{sel: map[string][]int{}}
	for _, d := range dimsOf(s) {
		if names[d.name] {
			c.dims = append(c.dims, d)
		}
	}
	if len(c.dims) > 3 {
		return nil, onedoor.Errorf(onedoor.EINVALID, "A protected answer combines at most three of the dimensions broken down by or fixed by the segment (%s); leave one out.", dimList(c.dims))
	}
	for n, set := range sel {
		vals := make([]int, 0, len(set))
		for v := range set {
			vals = append(vals, v)
		}
		sort.Ints(vals)
		c.sel[n] = vals
	}
	switch len(rest) {
	case 0:
		c.base = pp.exists
	case 1:
		c.base = ix.eval(rest[0], pp)
	default:
		c.base = ix.eval(&node{op: opAnd, kids: rest}, pp)
	}
	return c, nil
}

func policyEdge(a int) bool { return slices.Contains(policyLow, a) }

// count is a protected count of a segment.
func (r *request) count(s onedoor.SubjectType, pp *pop, seg *node) (Num, error) {
	c, err := r.canon(s, pp, seg, nil)
	if err != nil {
		return Num{}, err
	}
	t, err := r.table(c.base, c.dims)
	if err != nil {
		return Num{}, err
	}
	return r.value(t, c.coords(t, nil)), nil
}

// coords are the coordinates, per table dimension, of a number: the
// question's selections, with some dimensions fixed to one value of
// themselves or of their parent (a breakdown cell). nil means the number
// is outside the segment: exactly 0.
func (c *canonical) coords(t *ptable, fixed map[string]int) [][]int {
	out := make([][]int, len(t.dims))
	for i, td := range t.dims {
		name := td.d.name
		if v, ok := fixed[name]; ok {
			// One value: in the table and in the selection, or nothing
			// (without listing every leaf for every cell of a breakdown).
			l, known := td.at[v]
			vs, selected := c.sel[name]
			if _, in := slices.BinarySearch(vs, v); !known || selected && !in {
				return nil
			}
			out[i] = compact(td, []int{l})
			continue
		}
		var allowed []int
		if vs, ok := c.sel[name]; ok {
			for _, v := range vs {
				if l, ok := td.at[v]; ok {
					allowed = append(allowed, l)
				}
			}
		} else {
			allowed = td.leavesOf(td.total())
		}
		if td.parent != nil {
			if pv, ok := fixed[td.parent.name]; ok {
				var in []int
				for g, gv := range td.gvals {
					if gv == pv {
						in = td.groups[g]
					}
				}
				var both []int
				for _, l := range allowed {
					if slices.Contains(in, l) {
						both = append(both, l)
					}
				}
				allowed = both
			}
		}
		if len(allowed) == 0 {
			return nil
		}
		sort.Ints(allowed)
		out[i] = compact(td, allowed)
	}
	return out
}

// compact writes a set of leaves as the total or a group when it is one.
func compact(td *tdim, leaves []int) []int {
	if len(leaves) == td.nl() {
		return []int{td.total()}
	}
	for g, ls := range td.groups {
		if slices.Equal(ls, leaves) {
			return []int{td.nl() + g}
		}
	}
	return leaves
}

// value is the protected value of the sum of the entries at coords.
func (r *request) value(t *ptable, coords [][]int) Num {
	if coords == nil {
		return Num{}
	}
	es := []int{0}
	for i, cs := range coords {
		next := make([]int, 0, len(es)*len(cs))
		for _, e := range es {
			for _, c := range cs {
				next = append(next, e+c*t.stride[i])
			}
		}
		es = next
	}
	var v int64
	var unknown []int
	for _, e := range es {
		v += t.vals[e]
		if t.sup[e] {
			unknown = append(unknown, e)
		}
	}
	if len(es) == 1 {
		if len(unknown) > 0 {
			return Num{Suppressed: true}
		}
		r.release(t, es, uint64(v))
		return Num{V: v}
	}
	if len(unknown) > 0 && (t.lin == nil || t.lin.tooBig || !t.lin.derivable(unknown)) {
		return Num{Suppressed: true}
	}
	if v == 0 {
		return Num{}
	}
	if v < int64(r.k) {
		return Num{Suppressed: true}
	}
	if r.p.Guard.conflicts(uint64(v), r.k, t.headOf(es), func() []*roaring.Bitmap { return []*roaring.Bitmap{t.unionSet(es)} }) {
		return Num{Suppressed: true}
	}
	r.release(t, es, uint64(v))
	return Num{V: v}
}

// release remembers a shown number: the sum of the entries es of t.
func (r *request) release(t *ptable, es []int, card uint64) {
	if r.p.Guard == nil || card == 0 {
		return
	}
	key := dimList(dimsOf2(t)) + fmt.Sprint(es)
	bk, ok := r.keys[t.base]
	if !ok {
		bk = r.p.Guard.contentKey(t.base)
		r.keys[t.base] = bk
	}
	r.p.Guard.remember(card, t.base, bk, key, t.headOf(es), t.recipe(es))
}

func dimsOf2(t *ptable) []*dimension {
	out := make([]*dimension, len(t.dims))
	for i, d := range t.dims {
		out[i] = d.d
	}
	return out
}

// output lays a protected table out as the breakdown by asked for.
func (r *request) output(c *canonical, t *ptable, by []*dimension) *Table {
	ix := r.ix
	out := newTable(by)
	out.rowVals = ix.values(by[0])
	rl := by[0].labels(ix)
	for _, v := range out.rowVals {
		out.Rows = append(out.Rows, rl[v])
	}
	out.colVals = []int{-1}
	if len(by) == 2 {
		out.colVals = ix.values(by[1])
		cl := by[1].labels(ix)
		for _, v := range out.colVals {
			out.Cols = append(out.Cols, cl[v])
		}
	}
	num := func(fixed map[string]int) Num { return r.value(t, c.coords(t, fixed)) }
	for _, rv := range out.rowVals {
		row := make([]Num, len(out.colVals))
		for j, cv := range out.colVals {
			f := map[string]int{by[0].name: rv}
			if cv >= 0 {
				f[by[1].name] = cv
			}
			row[j] = num(f)
		}
		out.Cells = append(out.Cells, row)
		if len(by) == 2 {
			out.RowTotals = append(out.RowTotals, num(map[string]int{by[0].name: rv}))
		} else {
			out.RowTotals = append(out.RowTotals, row[0])
		}
	}
	if len(by) == 2 {
		for _, cv := range out.colVals {
			out.ColTotals = append(out.ColTotals, num(map[string]int{by[1].name: cv}))
		}
	}
	out.Total = num(map[string]int{})
	if by[0].name == "community" {
		seen := map[int]bool{}
		for _, v := range out.rowVals {
			g := by[0].up(ix, v)
			out.RowGroups = append(out.RowGroups, ix.streets.names[g])
			if seen[g] {
				continue
			}
			seen[g] = true
			out.groupVals = append(out.groupVals, g)
			out.Groups = append(out.Groups, ix.streets.names[g])
			out.GroupTotals = append(out.GroupTotals, num(map[string]int{"street": g}))
			if len(by) == 2 {
				row := make([]Num, len(out.colVals))
				for j, cv := range out.colVals {
					row[j] = num(map[string]int{"street": g, by[1].name: cv})
				}
				out.GroupCells = append(out.GroupCells, row)
			}
		}
	}
	return out
}

// protectWhatIf fills a what-if result under disclosure control: the
// eligible by street and community from one family of tables, and each
// comparison number as a count of its own.
func (ix *Index) protectWhatIf(ctx context.Context, p *Protection, res *WhatIfResult, elig *roaring.Bitmap, cmp *matter, w window, within *node) error {
	if g := p.Guard; g != nil {
		g.mu.Lock()
		defer g.mu.Unlock()
	}
	r := ix.newRequest(ctx, p)
	s := res.Subject
	c := &canonical{base: elig, sel: map[string][]int{}}
	st := findDim(s, "street")
	c.dims = []*dimension{st}
	t, err := r.table(elig, c.dims)
	if err != nil {
		return err
	}
	res.ByStreet = r.output(c, t, c.dims)
	res.Eligible = res.ByStreet.Total
	if s == onedoor.Natural {
		cm := findDim(s, "community")
		c.dims = []*dimension{cm}
		t, err := r.table(elig, c.dims)
		if err != nil {
			return err
		}
		res.ByCommunity = r.output(c, t, c.dims)
	}
	if cmp != nil {
		base := ix.eval(within, ix.popOf(s))
		ben := roaring.And(cmp.cls[clsApproved].window(w), base)
		applied := cmp.cls[clsApplied].window(w)
		one := func(set *roaring.Bitmap) (Num, error) {
			t, err := r.table(set, nil)
			if err != nil {
				return Num{}, err
			}
			return r.value(t, [][]int{}), nil
		}
		cm := &Comparison{Matter: cmp.code}
		for _, x := range []struct {
			n   *Num
			set *roaring.Bitmap
		}{
			{&cm.Beneficiaries, ben},
			{&cm.EligibleBeneficiaries, roaring.And(elig, ben)},
			{&cm.EligibleNotApplied, roaring.AndNot(elig, applied)},
			{&cm.BeneficiariesNotEligible, roaring.AndNot(ben, elig)},
		} {
			if *x.n, err = one(x.set); err != nil {
				return err
			}
		}
		res.Compare = cm
	}
	res.outreach = nil
	return nil
}
