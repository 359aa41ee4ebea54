package segment

import (
	"github.com/RoaringBitmap/roaring/v2"
)

// mset is a bitmap that counts: a member added twice must be removed twice
// before it leaves. Almost everyone is in a set once, so the bitmap holds
// membership and a small map only the members counted more than once. It
// is how "applied for matter M in month T" stays exact when one person has
// two cases of M in T and only one of them is closed.
type mset struct {
	bm    *roaring.Bitmap
	extra map[uint32]uint32 // count - 1, for members counted more than once
}

func (m *mset) add(x uint32) {
	if m.bm == nil {
		m.bm = roaring.New()
	}
	if m.bm.CheckedAdd(x) {
		return
	}
	if m.extra == nil {
		m.extra = map[uint32]uint32{}
	}
	m.extra[x]++
}

// remove takes one count of x away; removing what is not there is a no-op.
func (m *mset) remove(x uint32) {
	if n, ok := m.extra[x]; ok {
		if n <= 1 {
			delete(m.extra, x)
		} else {
			m.extra[x] = n - 1
		}
		return
	}
	if m.bm != nil {
		m.bm.Remove(x)
	}
}

// count is how many times x is in the set.
func (m *mset) count(x uint32) uint32 {
	if m.bm == nil || !m.bm.Contains(x) {
		return 0
	}
	return 1 + m.extra[x]
}

// set is the membership bitmap; it must not be changed by the caller.
func (m *mset) set() *roaring.Bitmap {
	if m == nil || m.bm == nil {
		return empty
	}
	return m.bm
}

func (m *mset) size() uint64 {
	if m.bm == nil {
		return 0
	}
	return m.bm.GetSizeInBytes() + uint64(len(m.extra))*16
}

// empty is the shared empty bitmap. Nothing may add to it.
var empty = roaring.New()

// periods is one matter's set of people for one event class, overall, by
// year and by month (of the case's receipt, in China Standard Time).
type periods struct {
	all    mset
	years  map[int32]*mset
	months map[int32]*mset // key: year*12 + month - 1
}

func (p *periods) add(x uint32, month int32) {
	p.all.add(x)
	get(&p.years, month/12).add(x)
	get(&p.months, month).add(x)
}

func (p *periods) remove(x uint32, month int32) {
	p.all.remove(x)
	if s := p.years[month/12]; s != nil {
		s.remove(x)
	}
	if s := p.months[month]; s != nil {
		s.remove(x)
	}
}

func get(m *map[int32]*mset, k int32) *mset {
	if *m == nil {
		*m = map[int32]*mset{}
	}
	s := (*m)[k]
	if s == nil {
		s = &mset{}
		(*m)[k] = s
	}
	return s
}

// window returns the people of the class in the months [from, to]
// (inclusive month keys); w.all means every month. Whole years in the
// range are read from the year sets. The result must not be changed: it
// may be one of the index's own bitmaps.
func (p *periods) window(w window) *roaring.Bitmap {
	if w.all() {
		return p.all.set()
	}
	var parts []*roaring.Bitmap
	for m := w.from; m <= w.to; {
		if m%12 == 0 && m+11 <= w.to {
			if s := p.years[m/12]; s != nil && s.bm != nil {
				parts = append(parts, s.bm)
			}
			m += 12
			continue
		}
		if s := p.months[m]; s != nil && s.bm != nil {
			parts = append(parts, s.bm)
		}
		m++
	}
	switch len(parts) {
	case 0:
		return empty
	case 1:
		return parts[0]
	}
	return roaring.FastOr(parts...)
}

func (p *periods) size() uint64 {
	n := p.all.size()
	for _, s := range p.years {
		n += s.size()
	}
	for _, s := range p.months {
		n += s.size()
	}
	return n
}

// window is a range of months, as keys year*12 + month - 1. The zero
// window (from > to is impossible; from = to = 0 means January of year 0)
// is never used; allMonths marks "no time limit".
type window struct{ from, to int32 }

var allMonths = window{from: -1, to: -1}

func (w window) all() bool { return w.from < 0 }
