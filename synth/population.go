package synth

import (
	"math"
	"math/rand/v2"
)

// person is what the generator keeps of a resident while it writes the
// case history: about twenty bytes, so that a district of 1.3 million
// fits in a few tens of megabytes. Names, ID numbers and phones are
// derived again when the Person is emitted.
type person struct {
	birth  int32 // day number
	since  int32 // first day the district knows the person: the start of the history, birth or arrival
	hh     int32 // household index
	region uint16
	comm   uint16
	flags  uint16
	role   uint8
}

// Person flags.
const (
	fMale      uint16 = 1 << iota
	fLocal            // local household registration (户籍)
	fAlone            // lives alone
	fDisabled         // holds a disability certificate
	fDishonest        // on the dishonesty list
	fPoor             // household income under the minimum living standard
	fCadre            // a woman who retires at 55 rather than 50
	fInsured          // pays employees' social insurance, so retires through HRSS-001
	fSevere           // severely disabled
	fArrived          // moved to the district during the history
)

// Household roles.
const (
	roleHead   uint8 = iota // carries the household's surname
	roleSpouse              // married in: a surname of her or his own
	roleChild
	roleParent // an old parent of the head or the spouse
	roleOther  // a room-mate in shared housing
)

func (p *person) has(f uint16) bool { return p.flags&f != 0 }

// member is one person of a household being built; age in years.
type member struct {
	age  float64
	male bool
	role uint8
}

// Household templates. The weights are calibrated (TestPopulationCalibration) so
// that the district has Chancheng's age structure, sex ratio and share of
// elderly people living alone.
var (
	localKinds = cumulative([]float64{
		0.05,  // 0 an elderly person living alone
		0.15,  // 1 an elderly couple
		0.22,  // 2 a couple with children
		0.10,  // 3 three generations
		0.125, // 4 a middle-aged couple with grown children
		0.065, // 5 a couple with an old parent
		0.085, // 6 a young single
		0.065, // 7 a young couple
		0.04,  // 8 a single of middle age
	})
	migrantKinds = cumulative([]float64{
		0.235, // 0 a worker living alone
		0.19,  // 1 workers sharing a rented room or dormitory
		0.27,  // 2 a couple with children
		0.19,  // 3 a couple
		0.07,  // 4 grandparents come to mind the children
		0.015, // 5 elderly migrants
	})
	// elderBands are the shares of the 5-year age bands of people aged 60
	// and over: 80+ is 16% of them, 65+ 71%, as drawn; household templates
	// that need younger old people bring 80+ to about 14% of all aged 60+.
	elderBands = cumulative([]float64{0.29, 0.25, 0.18, 0.12, 0.09, 0.05, 0.02})
)

// elderAge draws the age of a person aged 60 or over.
func elderAge(r *rand.Rand) float64 {
	b := pick(r, elderBands)
	if b == 6 {
		return uniform(r, 90, 100)
	}
	return 60 + 5*float64(b) + 5*r.Float64()
}

// tri draws from a triangular distribution on [lo, hi] with mode m.
func tri(r *rand.Rand, lo, m, hi float64) float64 {
	u := r.Float64()
	c := (m - lo) / (hi - lo)
	if u < c {
		return lo + math.Sqrt(u*(hi-lo)*(m-lo))
	}
	return hi - math.Sqrt((1-u)*(hi-lo)*(hi-m))
}

// elderMale is the chance that an elderly person living alone is a man:
// women live longer, and outlive their husbands.
func elderMale(age float64) float64 {
	switch {
	case age >= 80:
		return 0.25
	case age >= 70:
		return 0.33
	}
	return 0.4
}

// children appends the children of a mother aged mother: each born when
// she was between first and last, and none older than maxAge.
func children(r *rand.Rand, ms []member, mother float64, n int, first, last, maxAge float64) []member {
	for range n {
		for try := 0; try < 6; try++ {
			age := mother - uniform(r, first, last)
			if age < 2 && r.Float64() < 0.4 {
				continue // births have fallen: 8 per thousand a year, fewer than a decade ago
			}
			if age >= 0 && age <= maxAge {
				ms = append(ms, member{age: age, male: r.Float64() < 0.53, role: roleChild})
				break
			}
		}
	}
	return ms
}

// couple appends a husband of age a and his wife, a few years younger.
func couple(r *rand.Rand, ms []member, a float64, parentRole bool) ([]member, float64) {
	wife := max(a-tri(r, -2, 2, 7), 18)
	h, w := roleHead, roleSpouse
	if parentRole {
		h, w = roleParent, roleParent
	}
	return append(ms, member{age: a, male: true, role: h}, member{age: wife, male: false, role: w}), wife
}

func kidsCount(r *rand.Rand, one, two float64) int {
	switch x := r.Float64(); {
	case x < one:
		return 1
	case x < one+two:
		return 2
	}
	return 3
}

// localHousehold builds a household of locals.
func localHousehold(r *rand.Rand, ms []member) ([]member, int) {
	kind := pick(r, localKinds)
	switch kind {
	case 0:
		a := elderAge(r)
		ms = append(ms, member{age: a, male: r.Float64() < elderMale(a), role: roleHead})
	case 1:
		ms, _ = couple(r, ms, max(elderAge(r), 61), false)
	case 2:
		var mother float64
		ms, mother = couple(r, ms, tri(r, 25, 36, 55), false)
		ms = children(r, ms, mother, kidsCount(r, 0.6, 0.35), 22, 39, 24)
	case 3:
		gp := tri(r, 56, 68, 92)
		if r.Float64() < 0.5 {
			ms = append(ms, member{age: gp, male: r.Float64() < 0.4, role: roleParent})
		} else {
			ms, _ = couple(r, ms, gp, true)
		}
		var mother float64
		ms, mother = couple(r, ms, gp-uniform(r, 24, 33), false)
		ms = children(r, ms, mother, kidsCount(r, 0.55, 0.45), 22, 37, 20)
	case 4:
		var mother float64
		ms, mother = couple(r, ms, uniform(r, 45, 66), false)
		ms = children(r, ms, mother, kidsCount(r, 0.7, 0.3), 22, 34, 36)
		for i := range ms {
			if ms[i].role == roleChild && ms[i].age < 16 {
				ms[i].age = 16 + r.Float64()*4
			}
		}
	case 5:
		var husband float64
		husband = uniform(r, 38, 60)
		ms, _ = couple(r, ms, husband, false)
		ms = append(ms, member{age: min(husband+uniform(r, 24, 33), 99), male: r.Float64() < 0.35, role: roleParent})
	case 6:
		ms = append(ms, member{age: tri(r, 20, 27, 42), male: r.Float64() < 0.55, role: roleHead})
	case 7:
		ms, _ = couple(r, ms, tri(r, 23, 28, 38), false)
	case 8:
		ms = append(ms, member{age: uniform(r, 40, 60), male: r.Float64() < 0.5, role: roleHead})
	}
	return ms, kind
}

// migrantHousehold builds a household of non-locals.
func migrantHousehold(r *rand.Rand, ms []member) ([]member, int) {
	kind := pick(r, migrantKinds)
	switch kind {
	case 0:
		ms = append(ms, member{age: tri(r, 18, 26, 52), male: r.Float64() < 0.7, role: roleHead})
	case 1:
		male := r.Float64() < 0.72
		for i := range between(r, 2, 6) {
			role := roleOther
			if i == 0 {
				role = roleHead
			}
			ms = append(ms, member{age: tri(r, 18, 24, 46), male: male, role: role})
		}
	case 2:
		var mother float64
		ms, mother = couple(r, ms, tri(r, 24, 33, 48), false)
		ms = children(r, ms, mother, kidsCount(r, 0.6, 0.37), 20, 35, 16)
	case 3:
		ms, _ = couple(r, ms, tri(r, 20, 27, 48), false)
	case 4:
		gp := uniform(r, 50, 72)
		ms = append(ms, member{age: gp, male: r.Float64() < 0.3, role: roleParent})
		var mother float64
		ms, mother = couple(r, ms, gp-uniform(r, 23, 30), false)
		ms = children(r, ms, mother, kidsCount(r, 0.6, 0.4), 20, 32, 9)
	case 5:
		a := uniform(r, 60, 82)
		if r.Float64() < 0.5 {
			ms = append(ms, member{age: a, male: r.Float64() < 0.4, role: roleHead})
		} else {
			ms, _ = couple(r, ms, a, false)
		}
	}
	return ms, kind
}

// arrivalRate is the yearly rate at which migrant households move in.
const arrivalRate = 0.07

// disabledRate is the share of people of an age holding a disability
// certificate; 2–6% overall.
func disabledRate(age float64) float64 {
	switch {
	case age < 15:
		return 0.01
	case age < 60:
		return 0.025
	case age < 80:
		return 0.08
	}
	return 0.18
}

// population builds the residents household by household until there are
// n of them. The share of non-locals is held at 53% by choosing, for each
// new household, the group that is short.
func (g *gen) population(r *rand.Rand) {
	n := g.cfg.People
	g.people = make([]person, 0, n)
	g.hhFirst = make([]int32, 0, n/2)
	migrants := 0
	var ms []member
	for len(g.people) < n {
		local := float64(migrants) >= 0.53*float64(len(g.people))
		ms = ms[:0]
		var kind int
		if local {
			ms, kind = localHousehold(r, ms)
		} else {
			ms, kind = migrantHousehold(r, ms)
		}
		if len(ms) == 0 {
			continue
		}
		if len(ms) > n-len(g.people) {
			ms = ms[:n-len(g.people)]
		}
		hh := int32(len(g.hhFirst))
		g.hhFirst = append(g.hhFirst, int32(len(g.people)))
		comm := uint16(g.district.place(r, local))
		since := g.startDay
		if !local && r.Float64() < 1-math.Exp(-arrivalRate*float64(g.cfg.Years)) {
			if d, ok := g.season.draw(r, g.startDay, g.endDay); ok {
				since = d
			}
		}
		poorRate := 0.012
		if kind == 0 || kind == 8 { // old or middle-aged people on their own
			poorRate = 0.045
		}
		poor := local && r.Float64() < poorRate
		var fatherRegion uint16
		for _, m := range ms {
			p := person{
				birth: g.endDay - int32(m.age*365.2425),
				hh:    hh,
				comm:  comm,
				role:  m.role,
			}
			p.birth = min(p.birth, g.endDay)
			by, _, _ := civil(p.birth)
			switch {
			case local:
				p.flags |= fLocal
				p.region = g.regions.local(r, by)
			case m.role == roleChild:
				p.region = fatherRegion
			case m.role == roleSpouse && r.Float64() < 0.7:
				p.region = fatherRegion
			default:
				p.region = g.regions.migrant(r)
			}
			if m.male {
				p.flags |= fMale
				if m.role == roleHead {
					fatherRegion = p.region
				}
			}
			if len(ms) == 1 {
				p.flags |= fAlone
			}
			if r.Float64() < disabledRate(m.age) {
				p.flags |= fDisabled
				if r.Float64() < 0.4 {
					p.flags |= fSevere
				}
			}
			if m.age >= 18 && m.age < 70 && r.Float64() < 0.007 {
				p.flags |= fDishonest
			}
			if poor {
				p.flags |= fPoor
			}
			if !m.male && r.Float64() < 0.3 {
				p.flags |= fCadre
			}
			if (local && r.Float64() < 0.85) || (!local && r.Float64() < 0.45) {
				p.flags |= fInsured
			}
			p.since = max(since, p.birth)
			if since > g.startDay {
				p.flags |= fArrived
			}
			g.people = append(g.people, p)
		}
		if !local {
			migrants += len(ms)
		}
	}
	g.hhFirst = append(g.hhFirst, int32(len(g.people)))
}

// members returns the index range of household hh.
func (g *gen) members(hh int32) (int32, int32) {
	return g.hhFirst[hh], g.hhFirst[hh+1]
}

// org is what the generator keeps of an organisation.
type org struct {
	registered int32 // day of registration
	since      int32
	comm       uint16
	kind       uint8
	size       uint8
	industry   uint8
	flags      uint8
}

// Organisation kinds, sizes and flags.
const (
	kindCompany uint8 = iota
	kindIndividual
	kindCoop
	kindSocial
)

var (
	kindNames = []string{"company", "individual", "farmer_coop", "social_org"}
	sizeNames = []string{"micro", "small", "medium", "large"}
	kindCum   = cumulative([]float64{0.35, 0.62, 0.008, 0.022})
	// registration age in years, mean by kind: individual businesses come
	// and go faster than companies.
	kindAge = []float64{9, 5, 8, 10}
)

const (
	oDishonest  uint8 = 1 << iota
	oLegacy           // its code predates GB 32100 and fails the check
	oNew              // registered during the history
	oOnline           // registered online
	oServiceOrg       // a social service organisation (民办非企业单位), not an association
)

func (o *org) has(f uint8) bool { return o.flags&f != 0 }

// organisations builds about one organisation for every twelve residents.
func (g *gen) organisations(r *rand.Rand) {
	m := max(1, int(math.Round(float64(g.cfg.People)/12)))
	g.orgs = make([]org, m)
	gbStandard := dayNumber(2015, 10, 1)
	earliest := dayNumber(1984, 1, 1)
	for i := range g.orgs {
		o := &g.orgs[i]
		o.kind = uint8(pick(r, kindCum))
		switch o.kind {
		case kindCompany:
			o.size = uint8(pick(r, cumulative([]float64{0.6, 0.28, 0.09, 0.03})))
		case kindCoop, kindSocial:
			o.size = uint8(pick(r, cumulative([]float64{0.65, 0.35})))
		}
		o.industry = uint8(pickIndustry(r, o.kind))
		o.comm = uint16(g.district.place(r, r.Float64() < 0.5))
		age := r.ExpFloat64() * kindAge[o.kind]
		o.registered = max(g.endDay-int32(age*365.2425), earliest)
		o.since = g.startDay
		if o.registered >= g.startDay {
			o.flags |= oNew
			online := r.Float64() < 0.5
			if online {
				o.flags |= oOnline
			} else {
				o.registered = g.work.add(o.registered, 0)
			}
			if o.registered > g.endDay {
				o.registered = g.endDay
				o.flags |= oOnline
			}
			o.since = o.registered
		}
		if o.kind == kindSocial && r.Float64() < 0.4 {
			o.flags |= oServiceOrg
		}
		if r.Float64() < 0.012 {
			o.flags |= oDishonest
		}
		if o.registered < gbStandard && r.Float64() < 0.012 {
			o.flags |= oLegacy
		}
	}
}
