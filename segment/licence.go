package segment

import (
	"math"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
	"onedoor/calendar"
)

// Licence is an e-licence as the index needs it: whose, which type, and
// the days it is valid (YYYY-MM-DD; ValidUntil empty: without limit).
type Licence struct {
	Subject    onedoor.SubjectType
	HolderID   int64
	Type       string
	ValidFrom  string
	ValidUntil string
}

// licType holds the e-licences of one type in one population. The rules'
// licences attribute lists the types of the licences valid on the day, one
// entry per licence; valid and extra give it for the reference date.
type licType struct {
	code  string
	spans []licSpan
	valid *roaring.Bitmap   // holders of at least one licence valid on the reference date
	extra map[uint32]uint16 // holders of more than one: how many more
}

// licSpan is one licence: its holder and the days it is valid, counted
// from 1970-01-01.
type licSpan struct {
	who         uint32
	from, until int32
}

// validOn reports whether the licence is valid on day d.
func (s licSpan) validOn(d int32) bool { return s.from <= d && d <= s.until }

// licDay reads YYYY-MM-DD as days since 1970-01-01; ok is false for
// anything else.
func licDay(s string) (int32, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

// refDay is the reference date as days since 1970-01-01.
func (ix *Index) refDay() int32 {
	y, m, d := ix.ref.In(calendar.Location).Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// AddLicence adds an e-licence from the store's registry.
func (ix *Index) AddLicence(l Licence) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addLicence(l)
}

func (ix *Index) addLicence(l Licence) {
	if l.HolderID <= 0 || l.HolderID > maxID || l.Type == "" {
		ix.log.Warn("segment: e-licence holder out of range; skipped", "holder", l.HolderID, "type", l.Type)
		return
	}
	from, ok := licDay(l.ValidFrom)
	if !ok {
		ix.log.Warn("segment: e-licence without a valid first day; skipped", "holder", l.HolderID, "type", l.Type, "from", l.ValidFrom)
		return
	}
	until := int32(math.MaxInt32)
	if l.ValidUntil != "" {
		if until, ok = licDay(l.ValidUntil); !ok {
			ix.log.Warn("segment: e-licence without a valid last day; skipped", "holder", l.HolderID, "type", l.Type, "until", l.ValidUntil)
			return
		}
	}
	p := ix.popOf(l.Subject)
	if p.lics == nil {
		p.lics = map[string]*licType{}
	}
	t := p.lics[l.Type]
	if t == nil {
		t = &licType{code: l.Type, valid: roaring.New(), extra: map[uint32]uint16{}}
		p.lics[l.Type] = t
	}
	s := licSpan{who: uint32(l.HolderID), from: from, until: until}
	t.spans = append(t.spans, s)
	if s.validOn(ix.refDay()) {
		t.hold(s.who)
	}
}

// hold counts one more valid licence of the type for who.
func (t *licType) hold(who uint32) {
	if !t.valid.CheckedAdd(who) {
		t.extra[who]++
	}
}

// count is how many valid licences of the type who holds.
func (t *licType) count(who uint32) int {
	if !t.valid.Contains(who) {
		return 0
	}
	return 1 + int(t.extra[who])
}

// revalidate recomputes which licences are valid on the reference date;
// SetReference calls it.
func (ix *Index) revalidate() {
	day := ix.refDay()
	for _, p := range []*pop{&ix.people.pop, &ix.orgs.pop} {
		for _, t := range p.lics {
			t.valid, t.extra = roaring.New(), map[uint32]uint16{}
			for _, s := range t.spans {
				if s.validOn(day) {
					t.hold(s.who)
				}
			}
		}
	}
}

// licCodes returns the licence types of a population in order.
func (p *pop) licCodes() []string {
	out := make([]string, 0, len(p.lics))
	for c := range p.lics {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// licHolders is the bitmap of the holders of a valid licence of the type.
func (p *pop) licHolders(code string) *roaring.Bitmap {
	if t := p.lics[code]; t != nil {
		return t.valid
	}
	return empty
}

func (p *pop) licSize() uint64 {
	var n uint64
	for _, t := range p.lics {
		n += uint64(len(t.spans))*12 + t.valid.GetSizeInBytes() + uint64(len(t.extra))*8
	}
	return n
}
