package segment

// Disclosure control: what analysts (and leaders) may see of the index.
//
// The guarantee, precisely, for answers given with a Protection p (k =
// p.Threshold, 10 by default):
//
//  1. Primary suppression. No number shown is between 1 and k-1: every
//     count, table cell, margin, trend point and matter count is 0, at
//     least k, or withheld (null).
//
//  2. Tables hold together. A breakdown is computed as a table of its base
//     population by at most three dimensions together with every margin
//     (row and column totals, street subtotals of communities, policy-band
//     subtotals of 5-year bands, the grand total). Every margin is itself
//     the cell of a coarser table, protected first by the same procedure,
//     and its decision is kept; the finer table then adds secondary
//     suppressions to its own cells until (a) no withheld number can be
//     computed from the numbers shown, by any linear combination of the
//     table's additive relations (checked exactly by Gaussian
//     elimination), (b) in every row, column or subtotal whose total is
//     shown, the withheld cells sum to 0 or at least k, and (c) no shown
//     cell and shown margin above it differ by 1 to k-1. So totals and
//     differences within a table recover no withheld cell, and no small
//     group of withheld cells. When a table would need more than
//     maxUnknowns withheld entries in one connected part, all its own
//     cells are withheld and only its (separately protected) margins show.
//
//  3. One question, one table. A count or breakdown whose segment fixes
//     streets, communities, policy age bands or 5-year bands (age limits
//     on their edges), residency or sex at its top level (eq, in, not) is
//     answered from the table of the rest of the segment by those
//     dimensions: "count of aged 70-79 in community C" is the cell of the
//     table "segment by community and age" and is withheld exactly when
//     that cell is, whatever form the question takes (a count, a
//     breakdown, a drill-down, a trend point, a matter of a top list, not
//     or in over values). A sum of cells is shown only when the table's
//     shown numbers already determine it. Suppression is a deterministic
//     function of the counts and of the release history (4), so asking
//     again gives the same answer.
//
//  4. No nested differences. Every shown number is the size of a set of
//     people, and the Guard remembers these sets (across all protected
//     users of one server, within its memory budget, oldest forgotten
//     first; restarting forgets) as recipes on their table's base, known
//     by content, and indexes them by their least members. A number is
//     withheld if its set and a remembered one are nested (one contains
//     the other) and the numbers differ by 1 to k-1 people: count(A) -
//     count(A and B) cannot reveal a small "A and not B", whichever two
//     questions A and B are. (Nested sets whose sizes differ by fewer than
//     k have the smaller's least member among the larger's k least, so
//     the index finds every such pair; the tests check it against the
//     definition.)
//
// What is not guaranteed: differences over three or more numbers from
// different tables whose sets are not nested (count(A) - count(B) -
// count(C) with B, C disjoint parts of A, asked as three unrelated
// segments); differences in time, as live counts change with every case;
// differences with numbers the guard has forgotten; and approximate
// (interval) disclosure from withheld cells. Lists of people are never
// given under protection. The tests in disclosure_test.go check rules 1
// to 4 from the analyst's side, with an independent exact (rational)
// solver and with the attacks the rules are meant to stop.

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// Protection is disclosure control for those who may see aggregates only.
type Protection struct {
	// Threshold is the smallest count shown; 0 means 10.
	Threshold int
	// Guard remembers what was shown, to refuse nested differences; share
	// one Guard among all protected users. Nil disables rule 4.
	Guard *Guard
}

func (p *Protection) k() int {
	if p.Threshold <= 0 {
		return 10
	}
	return p.Threshold
}

// MaxProtectedCells bounds the cells of one protected table (a third of
// it with three dimensions).
const MaxProtectedCells = 30000

// maxUnknowns bounds the withheld entries of one connected part of a
// table that secondary suppression reasons about exactly; beyond it the
// table's own cells are all withheld (its margins, protected as tables of
// their own, stay shown), which reveals nothing a coarser table does not.
const maxUnknowns = 1500

// Guard remembers the sets behind the numbers shown under protection. A
// set is kept as its recipe — the base population of its table (shared by
// every number of the table) and a function giving the bitmaps whose
// intersection is the set — with its size and its least members (headLen),
// and its intersection with a new number's set is counted only when their
// sizes differ by less than k and their least members say they may be
// nested.
//
// Bases are known by their content (a 64-bit hash of their members), not
// by where they sit in memory: the same question asked again computes its
// base afresh, and its numbers are the ones already remembered.
type Guard struct {
	mu     sync.Mutex
	budget uint64
	used   uint64
	seed   maphash.Seed
	byCard map[uint64][]*release
	seen   map[string]bool
	bases  map[uint64]*heldBase // bases of remembered recipes, by content
	heads  map[uint32][]headRef // remembered sets by their least members
	order  []*release
}

type heldBase struct {
	key uint64
	bm  *roaring.Bitmap
	n   int // recipes using it
}

type release struct {
	card uint64
	key  string
	base *heldBase
	make func(*roaring.Bitmap) []*roaring.Bitmap // the parts of the set's intersection, from base
	head []uint32                                // the least members, as shown
	size uint64
}

// parts is the remembered set as parts to intersect.
func (r *release) parts() []*roaring.Bitmap { return r.make(r.base.bm) }

// interCard is the size of the intersection of parts, made from the
// smallest part up, so a small part keeps every step small.
func interCard(parts []*roaring.Bitmap) uint64 {
	smallestFirst(parts)
	switch len(parts) {
	case 0:
		return 0
	case 1:
		return parts[0].GetCardinality()
	}
	x := parts[0]
	for _, p := range parts[1 : len(parts)-1] {
		if x = roaring.And(x, p); x.IsEmpty() {
			return 0
		}
	}
	return x.AndCardinality(parts[len(parts)-1])
}

// NewGuard returns a guard remembering released sets while their base
// populations take at most budget bytes (0: 256 MiB); the oldest are
// forgotten first.
func NewGuard(budget uint64) *Guard {
	if budget == 0 {
		budget = 256 << 20
	}
	return &Guard{budget: budget, seed: maphash.MakeSeed(), byCard: map[uint64][]*release{}, seen: map[string]bool{}, bases: map[uint64]*heldBase{}, heads: map[uint32][]headRef{}}
}

// contentKey hashes the members of b (never 0).
func (g *Guard) contentKey(b *roaring.Bitmap) uint64 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	if _, err := b.WriteTo(&h); err != nil {
		panic(err) // a hash takes every write
	}
	return h.Sum64() | 1
}

// headLen is how many of its smallest members each remembered set is
// indexed by: two sets of at least k members each, nested and differing
// by fewer than k, have the smaller's least member among the larger's k
// least. Thresholds above headLen are checked against every remembered
// set of a near size instead.
const headLen = 16

// headRef is a remembered set whose pos-th least member is the key.
type headRef struct {
	r   *release
	pos int
}

// conflicts reports whether the set of card members whose least members
// are head (headLen of them, or all), the intersection of the parts
// parts() returns, is nested with a remembered set of 1 to k-1 members
// more or fewer. Sizes are those shown (the remembered number, not what
// its set may have become since); nesting is of the sets as they are,
// found among the remembered sets of a near size through their least
// members and decided by counting the intersection of both sets' parts
// from the smallest part up. Neither set is made unless it is one part.
func (g *Guard) conflicts(card uint64, k int, head []uint32, parts func() []*roaring.Bitmap) bool {
	if g == nil || card == 0 {
		return false
	}
	lo, hi := card-min(card, uint64(k-1)), card+uint64(k-1)
	near := false
	for c := lo; c <= hi && !near; c++ {
		near = c != card && len(g.byCard[c]) > 0
	}
	if !near {
		return false
	}
	var s []*roaring.Bitmap
	nested := func(r *release) bool {
		if r.card < lo || r.card > hi || r.card == card {
			return false
		}
		if s == nil {
			s = parts()
		}
		return interCard(append(slices.Clone(s), r.parts()...)) == min(card, r.card)
	}
	if k > headLen {
		for c := lo; c <= hi; c++ {
			for _, r := range g.byCard[c] {
				if nested(r) {
					return true
				}
			}
		}
		return false
	}
	h := head[:min(k, len(head))]
	if len(h) == 0 {
		return false
	}
	// A larger remembered set holding this one has its least member among
	// its own k least.
	for _, ref := range g.heads[h[0]] {
		if ref.pos < k && ref.r.card > card && nested(ref.r) {
			return true
		}
	}
	// A smaller one held in this set has its least member among this
	// set's k least.
	for _, x := range h {
		for _, ref := range g.heads[x] {
			if ref.pos == 0 && ref.r.card < card && nested(ref.r) {
				return true
			}
		}
	}
	return false
}

// headOf returns the n least members of the intersection of parts:
// members of the smallest part tried against the others, or, when they
// are sparse in it, the intersection made.
func headOf(parts []*roaring.Bitmap, n int) []uint32 {
	ps := slices.Clone(parts)
	smallestFirst(ps)
	out := make([]uint32, 0, n)
	it := ps[0].Iterator()
	for tried := 0; it.HasNext() && len(out) < n; tried++ {
		if tried == 1<<12 {
			m := roaring.FastAnd(ps...)
			out = out[:0]
			for it := m.Iterator(); it.HasNext() && len(out) < n; {
				out = append(out, it.Next())
			}
			return out
		}
		x := it.Next()
		in := true
		for _, p := range ps[1:] {
			if !p.Contains(x) {
				in = false
				break
			}
		}
		if in {
			out = append(out, x)
		}
	}
	return out
}

// leastOf merges the least members of two disjoint sets into the
// headLen least of their union.
func leastOf(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a)+len(b), headLen))
	for len(out) < headLen && (len(a) > 0 || len(b) > 0) {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0] < a[0]:
			out, b = append(out, b[0]), b[1:]
		default: // in both: once
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}

// remember records a shown number of card people whose least members are
// head: the set later() makes from base, whose content key is bk
// (contentKey). key names the set within its base (the same key for the
// same base content is remembered once).
func (g *Guard) remember(card uint64, base *roaring.Bitmap, bk uint64, key string, head []uint32, later func(*roaring.Bitmap) []*roaring.Bitmap) {
	if g == nil || card == 0 {
		return
	}
	key = strconv.FormatUint(bk, 36) + "/" + key
	if g.seen[key] {
		return
	}
	hb := g.bases[bk]
	if hb == nil {
		hb = &heldBase{key: bk, bm: base}
		g.bases[bk] = hb
		g.used += base.GetSizeInBytes()
	}
	hb.n++
	r := &release{card: card, key: key, base: hb, make: later, head: slices.Clone(head)}
	r.size = 160 + uint64(len(r.head))*48
	g.used += r.size
	g.seen[key] = true
	g.byCard[card] = append(g.byCard[card], r)
	for i, x := range r.head {
		g.heads[x] = append(g.heads[x], headRef{r, i})
	}
	g.order = append(g.order, r)
	for g.used > g.budget && len(g.order) > 1 {
		g.forget()
	}
}

// forget drops the oldest remembered set.
func (g *Guard) forget() {
	old := g.order[0]
	g.order = g.order[1:]
	delete(g.seen, old.key)
	g.used -= old.size
	hb := old.base
	if hb.n--; hb.n == 0 {
		delete(g.bases, hb.key)
		g.used -= hb.bm.GetSizeInBytes()
	}
	g.byCard[old.card] = slices.DeleteFunc(g.byCard[old.card], func(x *release) bool { return x == old })
	if len(g.byCard[old.card]) == 0 {
		delete(g.byCard, old.card)
	}
	for _, x := range old.head {
		g.heads[x] = slices.DeleteFunc(g.heads[x], func(h headRef) bool { return h.r == old })
		if len(g.heads[x]) == 0 {
			delete(g.heads, x)
		}
	}
}

// Remembered is how many shown numbers the guard holds.
func (g *Guard) Remembered() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.order)
}

// tdim is one dimension of a protected table.
type tdim struct {
	d      *dimension
	leaves []int       // value numbers, in display order
	at     map[int]int // value number → leaf index
	parent *dimension  // the coarser dimension the groups are values of
	groups [][]int     // leaf indices of each group
	gvals  []int       // parent value number of each group
}

func (t *tdim) nl() int    { return len(t.leaves) }
func (t *tdim) size() int  { return len(t.leaves) + len(t.groups) + 1 }
func (t *tdim) total() int { return len(t.leaves) + len(t.groups) }

// kids are the coordinates an aggregate coordinate sums.
func (t *tdim) kids(c int) []int {
	n := t.nl()
	if c == t.total() {
		if len(t.groups) > 0 {
			out := make([]int, len(t.groups))
			for g := range t.groups {
				out[g] = n + g
			}
			return out
		}
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return t.groups[c-n]
}

// leavesOf are the leaves under a coordinate.
func (t *tdim) leavesOf(c int) []int {
	n := t.nl()
	switch {
	case c < n:
		return []int{c}
	case c == t.total():
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return t.groups[c-n]
}

// parentOf is the coordinate above leaf l along the dimension: its group,
// or the total.
func (t *tdim) parentOf(l int) int {
	for g, ls := range t.groups {
		for _, x := range ls {
			if x == l {
				return t.nl() + g
			}
		}
	}
	return t.total()
}

func (ix *Index) tdim(d *dimension) *tdim {
	t := &tdim{d: d, leaves: ix.values(d), at: map[int]int{}}
	for i, v := range t.leaves {
		t.at[v] = i
	}
	if d.parent != "" {
		t.parent = findDim(d.subject, d.parent)
		gidx := map[int]int{}
		for _, pv := range ix.values(t.parent) {
			gidx[pv] = -1
		}
		for i, v := range t.leaves {
			pv := d.up(ix, v)
			g, ok := gidx[pv]
			if !ok || g < 0 {
				g = len(t.groups)
				gidx[pv] = g
				t.groups = append(t.groups, nil)
				t.gvals = append(t.gvals, pv)
			}
			t.groups[g] = append(t.groups[g], i)
		}
		// Groups in the parent's display order.
		order := ix.values(t.parent)
		pos := map[int]int{}
		for i, v := range order {
			pos[v] = i
		}
		idx := make([]int, len(t.groups))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return pos[t.gvals[idx[a]]] < pos[t.gvals[idx[b]]] })
		groups, gvals := make([][]int, len(idx)), make([]int, len(idx))
		for i, j := range idx {
			groups[i], gvals[i] = t.groups[j], t.gvals[j]
		}
		t.groups, t.gvals = groups, gvals
	}
	return t
}

// ptable is a protected table: a base set counted by up to three
// dimensions with all margins, and which numbers are withheld.
type ptable struct {
	ix       *Index
	base     *roaring.Bitmap
	dims     []*tdim
	stride   []int
	vals     []int64
	sup      []bool
	lin      *linsys
	heads    [][]uint32                 // entry → its least members (headLen), with a guard
	sets     map[int]*roaring.Bitmap    // entry → its people (set)
	vsets    map[[2]int]*roaring.Bitmap // dimension, coordinate → its people (valueSet)
	withheld bool                       // every cell withheld; lin is not kept
}

// request holds what one protected request has worked out.
type request struct {
	ctx    context.Context
	ix     *Index
	p      *Protection
	k      int
	tables map[string]*ptable
	bases  map[*roaring.Bitmap]int
	keys   map[*roaring.Bitmap]uint64 // content keys of bases (Guard.contentKey)
}

func (ix *Index) newRequest(ctx context.Context, p *Protection) *request {
	return &request{ctx: ctx, ix: ix, p: p, k: p.k(), tables: map[string]*ptable{}, bases: map[*roaring.Bitmap]int{}, keys: map[*roaring.Bitmap]uint64{}}
}

// tableKey names a table within a request: its base (by identity) and
// its dimensions.
func (r *request) tableKey(base *roaring.Bitmap, dims []*dimension) string {
	id, ok := r.bases[base]
	if !ok {
		id = len(r.bases)
		r.bases[base] = id
	}
	var sb strings.Builder
	sb.WriteString(itoa(id))
	for _, d := range dims {
		sb.WriteString("|" + d.name)
	}
	return sb.String()
}

func (t *ptable) coords(e int) []int {
	out := make([]int, len(t.dims))
	for i := range t.dims {
		out[i] = e / t.stride[i] % t.dims[i].size()
	}
	return out
}

func (t *ptable) index(c []int) int {
	e := 0
	for i, x := range c {
		e += x * t.stride[i]
	}
	return e
}

func (t *ptable) interior(e int) bool {
	for i, d := range t.dims {
		if e/t.stride[i]%d.size() >= d.nl() {
			return false
		}
	}
	return true
}

// table returns the protected table of base by dims (in canonical order),
// protecting its coarser tables first.
func (r *request) table(base *roaring.Bitmap, dims []*dimension) (*ptable, error) {
	key := r.tableKey(base, dims)
	if t, ok := r.tables[key]; ok {
		return t, nil
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	ix := r.ix
	t := &ptable{ix: ix, base: base, sets: map[int]*roaring.Bitmap{}, vsets: map[[2]int]*roaring.Bitmap{}}
	cells := 1
	for _, d := range dims {
		td := ix.tdim(d)
		t.dims = append(t.dims, td)
		cells *= max(td.nl(), 1)
	}
	if cells > MaxProtectedCells || len(dims) == 3 && cells > MaxProtectedCells/2 {
		return nil, onedoor.Errorf(onedoor.EINVALID, "A protected table of %s has %d cells; analysts are shown at most %d (%d with three dimensions). Use coarser dimensions (street, age_policy) or fewer.",
			dimList(dims), cells, MaxProtectedCells, MaxProtectedCells/2)
	}
	size := 1
	t.stride = make([]int, len(dims))
	for i := len(dims) - 1; i >= 0; i-- {
		t.stride[i] = size
		size *= t.dims[i].size()
	}
	t.vals = make([]int64, size)
	t.sup = make([]bool, size)
	t.heads = make([][]uint32, size)
	// Interior counts, and the least members of each entry for the guard.
	if len(dims) == 0 {
		t.vals[0] = int64(base.GetCardinality())
		t.heads[0] = headOf([]*roaring.Bitmap{base}, headLen)
	} else {
		cnt, ns, hd := ix.tableCounts(base, dims, r.p.Guard != nil)
		for e := range size {
			if !t.interior(e) {
				continue
			}
			k := 0
			for i, c := range t.coords(e) {
				k = k*ns[i] + t.dims[i].leaves[c]
			}
			t.vals[e] = cnt[k]
			if hd != nil {
				t.heads[e] = hd[k]
			}
		}
		// Margins, one dimension at a time.
		for i, d := range t.dims {
			aggs := make([]int, 0, len(d.groups)+1)
			for g := range d.groups {
				aggs = append(aggs, d.nl()+g)
			}
			aggs = append(aggs, d.total())
			for _, a := range aggs {
				kids := d.kids(a)
				for e := range size {
					if e/t.stride[i]%d.size() != a {
						continue
					}
					var s int64
					var h []uint32
					for _, kc := range kids {
						s += t.vals[e+(kc-a)*t.stride[i]]
						h = leastOf(h, t.heads[e+(kc-a)*t.stride[i]])
					}
					t.vals[e], t.heads[e] = s, h
				}
			}
		}
	}
	// Margins take the decisions of the coarser tables.
	if len(dims) > 0 {
		for e := range size {
			if t.interior(e) {
				continue
			}
			c := t.coords(e)
			var sub []*dimension
			var sc []int
			for i, d := range t.dims {
				switch {
				case c[i] < d.nl():
					sub = append(sub, d.d)
					sc = append(sc, c[i])
				case c[i] < d.total():
					sub = append(sub, d.parent)
					sc = append(sc, -1-d.gvals[c[i]-d.nl()]) // a parent value, resolved below
				}
			}
			st, err := r.table(base, sub)
			if err != nil {
				return nil, err
			}
			for j := range sc {
				if sc[j] < 0 {
					sc[j] = st.dims[j].at[-1-sc[j]]
				}
			}
			t.sup[e] = st.sup[st.index(sc)]
		}
	}
	// Primary suppression of the cells, and the guard.
	for e := range size {
		if !t.interior(e) {
			continue
		}
		v := t.vals[e]
		if v > 0 && v < int64(r.k) {
			t.sup[e] = true
		} else if v > 0 && r.p.Guard.conflicts(uint64(v), r.k, t.heads[e], func() []*roaring.Bitmap { return t.parts(e) }) {
			t.sup[e] = true
		}
	}
	r.secondary(t)
	r.tables[key] = t
	return t, nil
}

// tableCounts is countsHeads, from the cache for the whole population
// (the base of every question that only fixes attributes: "aged 70 and
// over, by community"), which changes only with the people.
func (ix *Index) tableCounts(base *roaring.Bitmap, dims []*dimension, heads bool) ([]int64, []int, [][]uint32) {
	type counted struct {
		cnt []int64
		ns  []int
		hd  [][]uint32
	}
	count := func() counted {
		cnt, ns, hd := ix.countsHeads(base, dims, heads)
		return counted{cnt, ns, hd}
	}
	var c counted
	switch base {
	case ix.people.exists, ix.orgs.exists:
		key := fmt.Sprintf("counts:%p:%s:%t", base, dimList(dims), heads)
		c = cachedAs(ix, key, count)
	default:
		c = count()
	}
	return c.cnt, c.ns, c.hd
}

func dimList(dims []*dimension) string {
	var names []string
	for _, d := range dims {
		names = append(names, d.name)
	}
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, " × ")
}

// equations are the table's additive relations: each aggregate entry is
// the sum of its children along one dimension.
type equation struct {
	agg  int
	kids []int
	dim  int
}

func (t *ptable) equations() []equation {
	var out []equation
	for e := range t.vals {
		c := t.coords(e)
		for i, d := range t.dims {
			if c[i] < d.nl() {
				continue
			}
			eq := equation{agg: e, dim: i}
			for _, kc := range d.kids(c[i]) {
				eq.kids = append(eq.kids, e+(kc-c[i])*t.stride[i])
			}
			out = append(out, eq)
		}
	}
	return out
}

// secondary adds suppressions to the table's own cells until no withheld
// number is determined by the shown ones and every line whose total is
// shown withholds 0 or at least k in all.
func (r *request) secondary(t *ptable) {
	eqs := t.equations()
	for {
		lin := newLinsys(t, eqs)
		if lin.tooBig {
			for e := range t.vals {
				if t.interior(e) {
					t.sup[e] = true
				}
			}
			t.withheld = true
			return
		}
		var add []int
		for _, u := range lin.determined() {
			if c := t.candidate(u); c >= 0 {
				add = append(add, c)
			} else if t.interior(u) || !t.allSuppressed() {
				add = append(add, t.anyCell()...)
			}
		}
		for _, eq := range eqs {
			// A dimension without values has margins over no cells.
			if t.sup[eq.agg] || len(eq.kids) == 0 || !t.interior(eq.kids[0]) {
				continue
			}
			var s int64
			for _, x := range eq.kids {
				if t.sup[x] {
					s += t.vals[x]
				}
			}
			if s > 0 && s < int64(r.k) {
				if c := t.smallest(eq.kids); c >= 0 {
					add = append(add, c)
				}
			}
		}
		if len(add) == 0 {
			add = t.nested(r.k)
		}
		changed := false
		for _, c := range add {
			if !t.sup[c] {
				t.sup[c], changed = true, true
			}
		}
		if !changed {
			t.lin = lin
			return
		}
	}
}

// nested lists shown cells that a shown entry above them (a margin they
// are part of) exceeds by 1 to k-1: the two would reveal the small rest.
func (t *ptable) nested(k int) []int {
	var out []int
	for b := range t.vals {
		if t.sup[b] || !t.interior(b) {
			continue
		}
		c := t.coords(b)
		anc := []int{0}
		for i, d := range t.dims {
			up := []int{c[i]}
			if p := d.parentOf(c[i]); p != d.total() {
				up = append(up, p)
			}
			up = append(up, d.total())
			next := make([]int, 0, len(anc)*len(up))
			for _, a := range anc {
				for _, u := range up {
					next = append(next, a+u*t.stride[i])
				}
			}
			anc = next
		}
		for _, a := range anc {
			if a != b && !t.sup[a] {
				if d := t.vals[a] - t.vals[b]; d > 0 && d < int64(k) {
					out = append(out, b)
					break
				}
			}
		}
	}
	return out
}

func (t *ptable) allSuppressed() bool {
	for e := range t.vals {
		if t.interior(e) && !t.sup[e] {
			return false
		}
	}
	return true
}

// anyCell returns every shown cell: the last resort, withholding the
// table's interior entirely.
func (t *ptable) anyCell() []int {
	var out []int
	for e := range t.vals {
		if t.interior(e) && !t.sup[e] {
			out = append(out, e)
		}
	}
	return out
}

// candidate picks the cell to withhold so that the withheld entry u is no
// longer determined: the smallest shown cell in a line through u (u a
// cell), or under u (u a margin).
func (t *ptable) candidate(u int) int {
	if t.interior(u) {
		c := t.coords(u)
		var line []int
		for i, d := range t.dims {
			for _, l := range d.leavesOf(d.parentOf(c[i])) {
				if l != c[i] {
					line = append(line, u+(l-c[i])*t.stride[i])
				}
			}
		}
		return t.smallest(line)
	}
	return t.smallest(t.under(u))
}

// under lists the cells below an entry.
func (t *ptable) under(e int) []int {
	c := t.coords(e)
	out := []int{0}
	for i, d := range t.dims {
		ls := d.leavesOf(c[i])
		next := make([]int, 0, len(out)*len(ls))
		for _, x := range out {
			for _, l := range ls {
				next = append(next, x+l*t.stride[i])
			}
		}
		out = next
	}
	return out
}

// smallest is the shown cell of least positive count among es (a zero
// cell only if there is no other), or -1.
func (t *ptable) smallest(es []int) int {
	best, zero := -1, -1
	for _, e := range es {
		if t.sup[e] || !t.interior(e) {
			continue
		}
		if t.vals[e] == 0 {
			if zero < 0 {
				zero = e
			}
			continue
		}
		if best < 0 || t.vals[e] < t.vals[best] || (t.vals[e] == t.vals[best] && e < best) {
			best = e
		}
	}
	if best >= 0 {
		return best
	}
	return zero
}

// parts are the bitmaps whose intersection is the set of people of entry
// e: the base and, per dimension not at its total, the value's bitmap (or
// the union of the group's values).
func (t *ptable) parts(e int) []*roaring.Bitmap {
	c := t.coords(e)
	parts := []*roaring.Bitmap{t.base}
	for i, d := range t.dims {
		if c[i] == d.total() {
			continue
		}
		parts = append(parts, t.valueSet(i, c[i]))
	}
	return parts
}

// valueSet is the people of coordinate c of dimension i (a leaf or a
// group of leaves), from the index.
func (t *ptable) valueSet(i, c int) *roaring.Bitmap {
	d := t.dims[i]
	if s, ok := t.vsets[[2]int{i, c}]; ok {
		return s
	}
	var vs []*roaring.Bitmap
	for _, l := range d.leavesOf(c) {
		bm, _ := d.d.bitmap(t.ix, d.leaves[l])
		vs = append(vs, bm)
	}
	s := vs[0]
	if len(vs) > 1 {
		s = roaring.FastOr(vs...)
	}
	t.vsets[[2]int{i, c}] = s
	return s
}

// set is the set of people of entry e, made.
func (t *ptable) set(e int) *roaring.Bitmap {
	if s, ok := t.sets[e]; ok {
		return s
	}
	parts := t.parts(e)
	s := parts[0]
	if len(parts) > 1 {
		smallestFirst(parts)
		s = roaring.FastAnd(parts...)
	}
	t.sets[e] = s
	return s
}

// recipe returns a function giving the set of people of the sum of
// entries es again later, from the base, holding only value numbers (not
// the table): the parts to intersect for one entry, the union made for
// several.
func (t *ptable) recipe(es []int) func(base *roaring.Bitmap) []*roaring.Bitmap {
	ix := t.ix
	type part struct {
		d    *dimension
		vals []int
	}
	var entries [][]part
	for _, e := range es {
		c := t.coords(e)
		var ps []part
		for i, d := range t.dims {
			if c[i] == d.total() {
				continue
			}
			var vs []int
			for _, l := range d.leavesOf(c[i]) {
				vs = append(vs, d.leaves[l])
			}
			ps = append(ps, part{d.d, vs})
		}
		entries = append(entries, ps)
	}
	return func(base *roaring.Bitmap) []*roaring.Bitmap {
		var sets []*roaring.Bitmap
		for _, ps := range entries {
			and := []*roaring.Bitmap{base}
			for _, p := range ps {
				var or []*roaring.Bitmap
				for _, v := range p.vals {
					bm, _ := p.d.bitmap(ix, v)
					or = append(or, bm)
				}
				if len(or) == 1 {
					and = append(and, or[0])
				} else {
					and = append(and, roaring.FastOr(or...))
				}
			}
			if len(entries) == 1 {
				return and
			}
			smallestFirst(and)
			sets = append(sets, roaring.FastAnd(and...))
		}
		return []*roaring.Bitmap{roaring.FastOr(sets...)}
	}
}

// headOf is the least members of the sum of entries es (disjoint).
func (t *ptable) headOf(es []int) []uint32 {
	var h []uint32
	for _, e := range es {
		h = leastOf(h, t.heads[e])
	}
	return h
}

// unionSet is the set of people of a sum of entries.
func (t *ptable) unionSet(es []int) *roaring.Bitmap {
	if len(es) == 1 {
		return t.set(es[0])
	}
	parts := make([]*roaring.Bitmap, len(es))
	for i, e := range es {
		parts[i] = t.set(e)
	}
	return roaring.FastOr(parts...)
}

// linsys is the table's relations over its withheld entries, reduced.
type linsys struct {
	tooBig  bool        // a component has more than maxUnknowns columns; not reduced
	entries []int       // column → entry
	col     map[int]int // entry → column
	comps   []*component
	of      []int // column → component
}

type component struct {
	cols   []int // columns of the component
	local  map[int]int
	rows   [][]float64
	pivots []int // pivot local column of each row
}

const eps = 1e-9

func newLinsys(t *ptable, eqs []equation) *linsys {
	l := &linsys{col: map[int]int{}}
	var unknown []int
	for e := range t.vals {
		if t.sup[e] {
			l.col[e] = len(unknown)
			unknown = append(unknown, e)
		}
	}
	// Components: columns joined by a shared equation.
	parent := make([]int, len(unknown))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	type row struct{ cols, coef []int }
	var rows []row
	for _, eq := range eqs {
		var rw row
		if c, ok := l.col[eq.agg]; ok {
			rw.cols, rw.coef = append(rw.cols, c), append(rw.coef, 1)
		}
		for _, k := range eq.kids {
			if c, ok := l.col[k]; ok {
				rw.cols, rw.coef = append(rw.cols, c), append(rw.coef, -1)
			}
		}
		if len(rw.cols) == 0 {
			continue
		}
		for _, c := range rw.cols[1:] {
			a, b := find(rw.cols[0]), find(c)
			if a != b {
				parent[a] = b
			}
		}
		rows = append(rows, rw)
	}
	l.of = make([]int, len(unknown))
	byRoot := map[int]int{}
	for c := range unknown {
		root := find(c)
		ci, ok := byRoot[root]
		if !ok {
			ci = len(l.comps)
			byRoot[root] = ci
			l.comps = append(l.comps, &component{local: map[int]int{}})
		}
		comp := l.comps[ci]
		comp.local[c] = len(comp.cols)
		comp.cols = append(comp.cols, c)
		l.of[c] = ci
	}
	l.entries = unknown
	for _, comp := range l.comps {
		if len(comp.cols) > maxUnknowns {
			l.tooBig = true
			return l
		}
	}
	for _, rw := range rows {
		comp := l.comps[l.of[rw.cols[0]]]
		r := make([]float64, len(comp.cols))
		for i, c := range rw.cols {
			r[comp.local[c]] += float64(rw.coef[i])
		}
		comp.rows = append(comp.rows, r)
	}
	for _, comp := range l.comps {
		comp.reduce()
	}
	return l
}

func (c *component) reduce() {
	rows := c.rows
	r := 0
	for col := 0; col < len(c.cols) && r < len(rows); col++ {
		p, best := -1, eps
		for i := r; i < len(rows); i++ {
			a := rows[i][col]
			if a < 0 {
				a = -a
			}
			if a > best {
				p, best = i, a
			}
		}
		if p < 0 {
			continue
		}
		rows[r], rows[p] = rows[p], rows[r]
		pr := rows[r]
		inv := 1 / pr[col]
		// The pivot row's nonzero columns, to skip zeros below.
		nz := make([]int, 0, 16)
		for j := col; j < len(pr); j++ {
			if pr[j] != 0 {
				pr[j] *= inv
				nz = append(nz, j)
			}
		}
		for i := range rows {
			if i == r {
				continue
			}
			ri := rows[i]
			f := ri[col]
			if f <= eps && f >= -eps {
				ri[col] = 0
				continue
			}
			for _, j := range nz {
				ri[j] -= f * pr[j]
			}
			ri[col] = 0
		}
		c.pivots = append(c.pivots, col)
		r++
	}
	c.rows = rows[:r]
}

// determined lists the withheld entries whose value follows from the rest.
func (l *linsys) determined() []int {
	var out []int
	for _, comp := range l.comps {
		for i, row := range comp.rows {
			nz := 0
			for _, x := range row {
				if math.Abs(x) > eps {
					nz++
				}
			}
			if nz == 1 {
				out = append(out, l.entries[comp.cols[comp.pivots[i]]])
			}
		}
	}
	sort.Ints(out)
	return out
}

// derivable reports whether the sum of the withheld entries es (each once)
// follows from the table's shown numbers.
func (l *linsys) derivable(es []int) bool {
	if len(es) == 0 {
		return true
	}
	vecs := map[int][]float64{}
	for _, e := range es {
		c, ok := l.col[e]
		if !ok {
			continue
		}
		ci := l.of[c]
		comp := l.comps[ci]
		if vecs[ci] == nil {
			vecs[ci] = make([]float64, len(comp.cols))
		}
		vecs[ci][comp.local[c]]++
	}
	for ci, v := range vecs {
		comp := l.comps[ci]
		for i, row := range comp.rows {
			f := v[comp.pivots[i]]
			if math.Abs(f) <= eps {
				continue
			}
			for j := range v {
				v[j] -= f * row[j]
			}
		}
		for _, x := range v {
			if math.Abs(x) > 1e-6 {
				return false
			}
		}
	}
	return true
}
