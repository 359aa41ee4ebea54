package segment

import (
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// Age bands. The 5-year bands end in 100+; the policy bands are those of
// China's statistics and of its old-age policies (children, working age,
// young-old, old, oldest-old) and are unions of 5-year bands.
const (
	nAge5   = 21
	nPolicy = 5
	maxAge  = 150
)

var (
	age5Labels   = func() []string { return bandLabels(5, nAge5) }()
	policyLabels = []string{"0-14", "15-59", "60-69", "70-79", "80+"}
	policyLow    = []int{0, 15, 60, 70, 80}
)

func bandLabels(width, n int) []string {
	out := make([]string, n)
	for i := range n - 1 {
		out[i] = itoa(i*width) + "-" + itoa(i*width+width-1)
	}
	out[n-1] = itoa((n-1)*width) + "+"
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func age5Of(age uint8) int { return min(int(age)/5, nAge5-1) }

func policyOf(age uint8) int {
	switch {
	case age < 15:
		return 0
	case age < 60:
		return 1
	case age < 70:
		return 2
	case age < 80:
		return 3
	}
	return 4
}

// Household sizes and types. A household's type follows from its members'
// ages at the reference date.
const (
	hhUnknown = iota
	hhSingle
	hhElderlyOnly
	hhWithChildren
	hhChildrenElderly
	hhWithElderly
	hhAdultsOnly
	nHHType
)

var (
	hhTypeLabels = []string{"unknown", "single", "elderly_only", "with_children", "with_children_and_elderly", "with_elderly", "adults_only"}
	hhSizeLabels = []string{"unknown", "1", "2", "3", "4", "5+"}
)

const nHHSize = 6

// Person flags.
const (
	fLocal = 1 << iota
	fAlone
	fDisabled
	fDishonest
	fPresent
)

// people is the resident half of the index: dense arrays by ID for
// breakdowns and bitmaps by value for segments.
type people struct {
	pop
	birth  []uint16 // days since 1900-01-01
	age    []uint8  // whole years at the reference date
	sex    []uint8  // 0 F, 1 M, 2 other
	street []uint16
	comm   []uint16
	flags  []uint8
	hh     []uint32 // dense household number; 0: none known
	hhCat  []uint8  // size<<4 | type

	age5      [nAge5]*roaring.Bitmap
	policy    [nPolicy]*roaring.Bitmap
	sexBm     [3]*roaring.Bitmap
	local     *roaring.Bitmap
	alone     *roaring.Bitmap
	disabled  *roaring.Bitmap
	dishonest *roaring.Bitmap
	streetBm  []*roaring.Bitmap
	commBm    []*roaring.Bitmap
	hhSizeBm  [nHHSize]*roaring.Bitmap
	hhTypeBm  [nHHType]*roaring.Bitmap

	hhIdx  map[int64]uint32 // household ID → dense number, for sparse IDs
	hhAgg  []household      // by dense number
	direct bool             // household IDs are used as dense numbers
}

type household struct {
	size, young, old uint32
}

var sexLabels = []string{"F", "M", "other"}

func newBitmaps(bs []*roaring.Bitmap) {
	for i := range bs {
		bs[i] = roaring.New()
	}
}

func (p *people) init() {
	p.pop = pop{subject: onedoor.Natural, exists: roaring.New(), matters: map[string]*matter{}}
	newBitmaps(p.age5[:])
	newBitmaps(p.policy[:])
	newBitmaps(p.sexBm[:])
	newBitmaps(p.hhSizeBm[:])
	newBitmaps(p.hhTypeBm[:])
	p.local, p.alone, p.disabled, p.dishonest = roaring.New(), roaring.New(), roaring.New(), roaring.New()
	p.hhIdx = map[int64]uint32{}
	p.hhAgg = []household{{}}
	p.direct = true
}

// grow makes the arrays long enough for id.
func (p *people) grow(id uint32) {
	n := int(id) + 1
	if n <= len(p.age) {
		return
	}
	c := max(n, 2*len(p.age), 1024)
	p.birth = growTo(p.birth, n, c)
	p.age = growTo(p.age, n, c)
	p.sex = growTo(p.sex, n, c)
	p.street = growTo(p.street, n, c)
	p.comm = growTo(p.comm, n, c)
	p.flags = growTo(p.flags, n, c)
	p.hh = growTo(p.hh, n, c)
	p.hhCat = growTo(p.hhCat, n, c)
}

func growTo[T any](s []T, n, c int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	t := make([]T, n, c)
	copy(t, s)
	return t
}

func bitmapAt(bs *[]*roaring.Bitmap, i int) *roaring.Bitmap {
	for len(*bs) <= i {
		*bs = append(*bs, roaring.New())
	}
	return (*bs)[i]
}

const day1900 = -25567 // 1900-01-01 in days since the Unix epoch

func daysOf(t time.Time) uint16 {
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 - day1900
	return uint16(min(max(days, 0), 65535))
}

func dateOf(days uint16) (y, md int) {
	t := time.Unix((int64(days)+day1900)*86400, 0).UTC()
	yy, mm, dd := t.Date()
	return yy, int(mm)*100 + dd
}

// ageAt is IDNumber.AgeAt in whole years, from a birth date.
func (ix *Index) ageAt(by, bmd int) uint8 {
	a := ix.refY - by
	if ix.refMD < bmd {
		a--
	}
	return uint8(min(max(a, 0), maxAge))
}

// set adds resident id with p's attributes, replacing what was there.
func (p *people) set(ix *Index, id uint32, x *onedoor.Person, st, cm uint16) {
	if p.exists.Contains(id) {
		p.unset(ix, id)
	}
	p.grow(id)
	y, mo, d := x.Birth.Date()
	p.birth[id] = daysOf(x.Birth)
	p.age[id] = ix.ageAt(y, int(mo)*100+d)
	switch x.Sex {
	case "F":
		p.sex[id] = 0
	case "M":
		p.sex[id] = 1
	default:
		p.sex[id] = 2
	}
	p.street[id], p.comm[id] = st, cm
	var f uint8 = fPresent
	if x.Local {
		f |= fLocal
	}
	if x.LivesAlone {
		f |= fAlone
	}
	if x.Disabled {
		f |= fDisabled
	}
	if x.Dishonest {
		f |= fDishonest
	}
	p.flags[id] = f
	p.hh[id] = p.household(x.Household, true)
	p.exists.Add(id)
	p.age5[age5Of(p.age[id])].Add(id)
	p.policy[policyOf(p.age[id])].Add(id)
	p.sexBm[p.sex[id]].Add(id)
	flagBitmaps(p, id, f, true)
	bitmapAt(&p.streetBm, int(st)).Add(id)
	bitmapAt(&p.commBm, int(cm)).Add(id)
	if ix.built {
		// Live: the household changes for everyone in it.
		h := p.hh[id]
		if h != 0 {
			a := &p.hhAgg[h]
			a.size++
			a.young, a.old = a.young+b2u(p.age[id] < 18), a.old+b2u(p.age[id] >= 60)
			p.recat(h)
		} else {
			p.setCat(id, 0)
		}
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func flagBitmaps(p *people, id uint32, f uint8, add bool) {
	for _, x := range []struct {
		bit uint8
		bm  *roaring.Bitmap
	}{{fLocal, p.local}, {fAlone, p.alone}, {fDisabled, p.disabled}, {fDishonest, p.dishonest}} {
		if f&x.bit != 0 {
			if add {
				x.bm.Add(id)
			} else {
				x.bm.Remove(id)
			}
		}
	}
}

// unset removes a resident's attribute memberships (not its cases).
func (p *people) unset(ix *Index, id uint32) {
	p.exists.Remove(id)
	p.age5[age5Of(p.age[id])].Remove(id)
	p.policy[policyOf(p.age[id])].Remove(id)
	p.sexBm[p.sex[id]].Remove(id)
	flagBitmaps(p, id, p.flags[id], false)
	p.streetBm[p.street[id]].Remove(id)
	p.commBm[p.comm[id]].Remove(id)
	c := p.hhCat[id]
	p.hhSizeBm[c>>4].Remove(id)
	p.hhTypeBm[c&15].Remove(id)
	p.hhCat[id] = 0
	if h := p.hh[id]; h != 0 && ix.built {
		a := &p.hhAgg[h]
		a.size--
		a.young, a.old = a.young-b2u(p.age[id] < 18), a.old-b2u(p.age[id] >= 60)
		p.hh[id] = 0
		p.recat(h)
	}
	p.flags[id] = 0
}

// household returns the dense number of a household ID (0 for none).
// Dense IDs, as a generated district has, are used as they are.
func (p *people) household(h int64, create bool) uint32 {
	if h <= 0 {
		return 0
	}
	if p.direct && h < 1<<31 && (h < int64(len(p.hhAgg))+1<<20 || h <= 4*int64(len(p.age))) {
		for int64(len(p.hhAgg)) <= h {
			p.hhAgg = append(p.hhAgg, household{})
		}
		return uint32(h)
	}
	if p.direct {
		// Sparse IDs: switch to a map, keeping the numbers given so far.
		p.direct = false
		for i := 1; i < len(p.hhAgg); i++ {
			p.hhIdx[int64(i)] = uint32(i)
		}
	}
	if i, ok := p.hhIdx[h]; ok {
		return i
	}
	if !create {
		return 0
	}
	p.hhAgg = append(p.hhAgg, household{})
	i := uint32(len(p.hhAgg) - 1)
	p.hhIdx[h] = i
	return i
}

// households counts every household's members and sets everyone's
// household size and type.
func (p *people) households(ix *Index) {
	for i := range p.hhAgg {
		p.hhAgg[i] = household{}
	}
	it := p.exists.Iterator()
	for it.HasNext() {
		id := it.Next()
		if h := p.hh[id]; h != 0 {
			a := &p.hhAgg[h]
			a.size++
			if p.age[id] < 18 {
				a.young++
			}
			if p.age[id] >= 60 {
				a.old++
			}
		}
	}
	for i := range p.hhSizeBm {
		p.hhSizeBm[i] = roaring.New()
	}
	for i := range p.hhTypeBm {
		p.hhTypeBm[i] = roaring.New()
	}
	buf := make([][]uint32, 16*nHHType)
	it = p.exists.Iterator()
	for it.HasNext() {
		id := it.Next()
		c := p.catOf(p.hh[id])
		p.hhCat[id] = c
		buf[c] = append(buf[c], id)
	}
	for c, ids := range buf {
		if len(ids) > 0 {
			p.hhSizeBm[c>>4].AddMany(ids)
			p.hhTypeBm[c&15].AddMany(ids)
		}
	}
}

// catOf is the size<<4 | type of household h.
func (p *people) catOf(h uint32) uint8 {
	if h == 0 {
		return 0
	}
	a := p.hhAgg[h]
	if a.size == 0 {
		return 0
	}
	size := uint8(min(a.size, 5))
	var t uint8
	switch {
	case a.size == 1:
		t = hhSingle
	case a.old == a.size:
		t = hhElderlyOnly
	case a.young > 0 && a.old > 0:
		t = hhChildrenElderly
	case a.young > 0:
		t = hhWithChildren
	case a.old > 0:
		t = hhWithElderly
	default:
		t = hhAdultsOnly
	}
	return size<<4 | t
}

func (p *people) setCat(id uint32, c uint8) {
	old := p.hhCat[id]
	if p.hhSizeBm[old>>4].Contains(id) {
		p.hhSizeBm[old>>4].Remove(id)
		p.hhTypeBm[old&15].Remove(id)
	}
	p.hhCat[id] = c
	p.hhSizeBm[c>>4].Add(id)
	p.hhTypeBm[c&15].Add(id)
}

// recat sets the household category of every member of h: a scan, which
// only live changes to households need.
func (p *people) recat(h uint32) {
	c := p.catOf(h)
	for id, x := range p.hh {
		if x == h && p.flags[id]&fPresent != 0 {
			p.setCat(uint32(id), c)
		}
	}
}

// reage recomputes ages, age bands and household types at a new
// reference date.
func (p *people) reage(ix *Index) {
	for i := range p.age5 {
		p.age5[i] = roaring.New()
	}
	for i := range p.policy {
		p.policy[i] = roaring.New()
	}
	it := p.exists.Iterator()
	for it.HasNext() {
		id := it.Next()
		y, md := dateOf(p.birth[id])
		p.age[id] = ix.ageAt(y, md)
		p.age5[age5Of(p.age[id])].Add(id)
		p.policy[policyOf(p.age[id])].Add(id)
	}
	p.households(ix)
}

func (p *people) size() uint64 {
	n := p.pop.size()
	n += uint64(len(p.age)) * (2 + 1 + 1 + 2 + 2 + 1 + 4 + 1)
	n += bmSize(p.age5[:]...) + bmSize(p.policy[:]...) + bmSize(p.sexBm[:]...) + bmSize(p.local, p.alone, p.disabled, p.dishonest)
	n += bmSize(p.streetBm...) + bmSize(p.commBm...) + bmSize(p.hhSizeBm[:]...) + bmSize(p.hhTypeBm[:]...)
	n += uint64(len(p.hhAgg))*12 + uint64(len(p.hhIdx))*24
	return n
}

// orgs is the enterprise half of the index.
type orgs struct {
	pop
	kind      []uint8
	size_     []uint8
	reg       []uint16 // registration date, days since 1900-01-01; 0: not recorded
	street    []uint16
	dishonest []bool
	kinds     dict
	sizes     dict
	kindBm    []*roaring.Bitmap
	sizeBm    []*roaring.Bitmap
	streetBm  []*roaring.Bitmap
	dishBm    *roaring.Bitmap
}

func (o *orgs) init() {
	o.pop = pop{subject: onedoor.Legal, exists: roaring.New(), matters: map[string]*matter{}}
	o.kinds, o.sizes = newDict(), newDict()
	o.dishBm = roaring.New()
}

func (o *orgs) set(id uint32, x *onedoor.Org, st uint16) {
	if o.exists.Contains(id) {
		o.kindBm[o.kind[id]].Remove(id)
		o.sizeBm[o.size_[id]].Remove(id)
		o.streetBm[o.street[id]].Remove(id)
		o.dishBm.Remove(id)
	}
	n := int(id) + 1
	if n > len(o.kind) {
		c := max(n, 2*len(o.kind), 1024)
		o.kind = growTo(o.kind, n, c)
		o.size_ = growTo(o.size_, n, c)
		o.street = growTo(o.street, n, c)
		o.dishonest = growTo(o.dishonest, n, c)
		o.reg = growTo(o.reg, n, c)
	}
	o.reg[id] = 0
	if !x.Registered.IsZero() {
		o.reg[id] = max(daysOf(x.Registered), 1)
	}
	k, s := o.kinds.id(x.Kind), o.sizes.id(x.Size)
	o.kind[id], o.size_[id], o.street[id], o.dishonest[id] = uint8(min(k, 255)), uint8(min(s, 255)), st, x.Dishonest
	o.exists.Add(id)
	bitmapAt(&o.kindBm, int(o.kind[id])).Add(id)
	bitmapAt(&o.sizeBm, int(o.size_[id])).Add(id)
	bitmapAt(&o.streetBm, int(st)).Add(id)
	if x.Dishonest {
		o.dishBm.Add(id)
	}
}

func (o *orgs) size() uint64 {
	return o.pop.size() + uint64(len(o.kind))*7 + bmSize(o.kindBm...) + bmSize(o.sizeBm...) + bmSize(o.streetBm...) + bmSize(o.dishBm)
}
