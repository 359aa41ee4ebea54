package synth

import (
	"math/rand/v2"
	"strconv"

	"onedoor"
	"onedoor/pii"
)

// idSeq hands out the three-digit sequence numbers of ID numbers (GB
// 11643: odd for men, even for women), so that no two residents born on
// the same day in the same region share one. The sequence starts at an
// offset that depends on region and day, as real ones look arbitrary.
type idSeq struct {
	lo    int32
	span  int32
	count []uint8 // per region, day and sex
}

func newIDSeq(nRegions int, lo, hi int32) *idSeq {
	span := hi - lo + 1
	return &idSeq{lo: lo, span: span, count: make([]uint8, 2*nRegions*int(span))}
}

// next returns the sequence number, or false when the day is full or out
// of range.
func (s *idSeq) next(region uint16, day int32, male bool) (int, bool) {
	if day < s.lo || day >= s.lo+s.span {
		return 0, false
	}
	key := int(region)*int(s.span) + int(day-s.lo)
	i := 2 * key
	if male {
		i++
	}
	k := int(s.count[i])
	if k >= 250 {
		return 0, false
	}
	s.count[i]++
	h := int(mix64(uint64(key)) % 997)
	if male {
		return 1 + 2*((h+k)%500), true
	}
	return 2 + 2*((h+k)%499), true
}

// mix64 is the SplitMix64 finaliser: a fixed scramble of an integer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// idNumber composes an ID number: region, birth date, sequence, check.
func idNumber(region string, birth int32, seq int) string {
	y, m, d := civil(birth)
	b := make([]byte, 0, 18)
	b = append(b, region...)
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, byte('0'+m/10), byte('0'+m%10), byte('0'+d/10), byte('0'+d%10))
	b = append(b, byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10))
	return string(append(b, onedoor.IDCheckChar(string(b))))
}

// mobilePrefixes are the first three digits of mainland mobile numbers.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"166", "176", "177", "178", "180", "181", "182", "183", "184", "185",
	"186", "187", "188", "189", "191", "198", "199",
}

func phone(r *rand.Rand) string {
	b := make([]byte, 0, 11)
	b = append(b, mobilePrefixes[r.IntN(len(mobilePrefixes))]...)
	for range 8 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b)
}

// personRecord builds the emitted record of resident i. Its name, phone
// and ID number come from generators seeded by the household and the
// person, so they are the same for a seed whatever else changes.
func (g *gen) personRecord(i int) Person {
	p := &g.people[i]
	g.namePCG.Seed(g.salt(7), uint64(p.hh))
	family := surname(g.nameRand, p.has(fLocal))
	g.namePCG.Seed(g.salt(8), uint64(i))
	r := g.nameRand
	male := p.has(fMale)
	sn := family
	if p.role == roleSpouse || p.role == roleOther || (p.role == roleParent && r.Float64() < 0.6) {
		sn = surname(r, p.has(fLocal))
	}
	by, _, _ := civil(p.birth)
	name := personName(r, sn, male, by)
	if p.birth < g.idSeq.lo { // older than the sequence table reaches: the oldest it holds
		p.birth = g.idSeq.lo
	}
	seq, ok := g.idSeq.next(p.region, p.birth, male)
	for back := int32(1); !ok; back++ { // 250 people of one sex born on one day in one county: move one a day
		if p.birth-back < g.idSeq.lo {
			panic("synth: no free ID sequence number") // cannot happen: 250 a day per region and sex
		}
		if seq, ok = g.idSeq.next(p.region, p.birth-back, male); ok {
			p.birth -= back
		}
	}
	p.since = max(p.since, p.birth)
	region := g.regions.codes[p.region]
	id := idNumber(region, p.birth, seq)
	sex := "F"
	if male {
		sex = "M"
	}
	created := g.start
	if p.since > g.startDay {
		created = instant(p.since, 0)
	}
	c := g.district.communities[p.comm]
	return Person{
		Person: onedoor.Person{
			ID:         int64(i) + 1,
			IDMasked:   pii.MaskID(id),
			Name:       name,
			Sex:        sex,
			Birth:      dayDate(p.birth),
			Region:     region,
			Local:      p.has(fLocal),
			Street:     units[c.unit].name,
			Community:  c.name,
			Household:  int64(p.hh) + 1,
			LivesAlone: p.has(fAlone),
			Disabled:   p.has(fDisabled),
			Dishonest:  p.has(fDishonest),
			CreatedAt:  utc(created),
		},
		IDNumber: id,
		Phone:    phone(r),
	}
}

// usccAlphabet is GB 32100's: digits and capitals without I, O, S, V, Z.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// uscc composes the unified social credit code of organisation i. Codes
// issued since the standard took effect (October 2015) carry an
// organisation code starting MA; older companies kept their numeric
// organisation code and older individual businesses got one starting L.
// The body is a fixed permutation of i, so codes never collide. A legacy
// organisation's code has a wrong check character, as some early codes do.
func (g *gen) uscc(i int, o *org, r *rand.Rand) string {
	head := "91"
	switch o.kind {
	case kindIndividual:
		head = "92"
	case kindCoop:
		head = "93"
	case kindSocial:
		head = "51"
		if o.has(oServiceOrg) {
			head = "52"
		}
	}
	// perm is a bijection of [0, n) (48271 is prime to every n used).
	perm := func(n uint64) uint64 { return (uint64(i)*48271%n + g.salt(9)%n) % n }
	var body []byte
	switch {
	case o.registered >= dayNumber(2015, 10, 1):
		body = append([]byte("MA"), base31(perm(887503681), 6)...) // 31^6
	case o.kind == kindIndividual:
		body = append([]byte("L"), base31(perm(27512614111), 7)...) // 31^7
	default:
		body = strconv.AppendUint(nil, 10000000+perm(90000000), 10)
	}
	b := append([]byte(head+"440604"), body...)
	b = append(b, onedoor.OrgCodeCheckChar(string(body)))
	check := onedoor.USCCCheckChar(string(b))
	if o.has(oLegacy) {
		j := (indexByte(usccAlphabet, check) + 1 + r.IntN(30)) % 31
		check = usccAlphabet[j]
	}
	return string(append(b, check))
}

// base31 writes n in the USCC alphabet with width digits.
func base31(n uint64, width int) []byte {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = usccAlphabet[n%31]
		n /= 31
	}
	return b
}

func indexByte(s string, c byte) int {
	for i := range len(s) {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// orgRecord builds the emitted record of organisation i.
func (g *gen) orgRecord(i int) Org {
	o := &g.orgs[i]
	g.namePCG.Seed(g.salt(10), uint64(i))
	r := g.nameRand
	name := g.orgName(r, o)
	code := g.uscc(i, o, r)
	created := g.start
	if o.since > g.startDay {
		created = instant(o.since, 0)
	}
	return Org{onedoor.Org{
		ID:         int64(i) + 1,
		USCC:       code,
		Legacy:     o.has(oLegacy),
		Name:       name,
		Kind:       kindNames[o.kind],
		Size:       sizeNames[o.size],
		Registered: dayDate(o.registered),
		Street:     units[g.district.communities[o.comm].unit].name,
		Dishonest:  o.has(oDishonest),
		CreatedAt:  utc(created),
	}}
}
