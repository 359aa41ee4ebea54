package synth

import (
	"math"
	"math/rand/v2"
)

// queueLifeEvents queues every application that follows from the people
// and firms themselves: births, birthdays that bring a pension or an
// allowance, marriages, deaths in the family, expiring residence permits,
// illness, disability, low income, school entry, new firms, and the
// background demand of everyone. Applications that follow a completed
// case (follow-ups) are queued while the history is written.
func (g *gen) queueLifeEvents() {
	g.buckets = make([][]app, g.endDay-g.startDay+1)
	r := g.rng(30)
	for i := range g.people {
		g.seedPerson(r, int32(i))
	}
	for hh := range len(g.hhFirst) - 1 {
		g.seedHousehold(r, int32(hh))
	}
	g.seedDeaths(r)
	for i := range g.orgs {
		g.seedOrg(r, int32(i))
	}
}

// exposure is the part of the history, in years, from day from on.
func (g *gen) exposure(from int32) float64 {
	return float64(g.endDay-from+1) / 365.2425
}

// rated queues poisson(rate × exposure) applications on days drawn from
// the season.
func (g *gen) rated(r *rand.Rand, rate float64, from, holder int32, code string) {
	for range poisson(r, rate*g.exposure(from)) {
		if d, ok := g.season.draw(r, from, g.endDay+1); ok {
			g.schedule(r.Float64(), d, holder, code, 0)
		}
	}
}

// once queues an application with probability p on day d, if d is in the
// history and not before from.
func (g *gen) once(r *rand.Rand, p float64, d, from, holder int32, code string, flags uint8) {
	if r.Float64() < p && d >= from && d <= g.endDay {
		g.schedule(r.Float64(), d, holder, code, flags)
	}
}

// backgroundRate is the background demand per resident and year, by age:
// the calibration that brings the district to about one case per resident
// a year.
func backgroundRate(age int, local bool) float64 {
	var x float64
	switch {
	case age < 16:
		x = 0.18
	case age < 60:
		x = 0.68
	case age < 75:
		x = 0.65
	default:
		x = 0.42
	}
	if local {
		x *= 1.15
	}
	return x
}

// illnessRate is the yearly chance of a claim under serious-illness
// insurance, rising steeply with age.
func illnessRate(age int) float64 {
	switch {
	case age < 40:
		return 0.002
	case age < 60:
		return 0.006
	case age < 70:
		return 0.02
	case age < 80:
		return 0.035
	}
	return 0.05
}

func (g *gen) seedPerson(r *rand.Rand, i int32) {
	p := &g.people[i]
	from := max(g.startDay, p.since)
	if from > g.endDay {
		return
	}
	male, local := p.has(fMale), p.has(fLocal)
	age := ageAt(p.birth, (from+g.endDay)/2)

	// Born during the history: the birth certificate (the baby is the
	// applicant of its own documents); the mother may claim maternity
	// allowance.
	if p.birth < g.startDay && p.birth >= g.startDay-60 {
		g.lookBack(r, "HEALTH-001", i, p.birth+int32(between(r, 2, 11)))
	}
	if p.birth >= g.startDay && p.birth == p.since {
		g.schedule(r.Float64(), p.birth+int32(between(r, 1, 10)), i, "HEALTH-001", 0)
		if mother := g.mother(i); mother >= 0 && g.people[mother].has(fInsured) {
			g.once(r, 0.45, p.birth+int32(between(r, 40, 120)), g.people[mother].since, mother, "MED-006", 0)
		}
	}

	// Retirement at the statutory age (retirementDay): the retirement
	// bundle or the pension alone. Locals without employees' insurance
	// draw the residents' pension at 60. Those entitled before the history
	// are in the stock (queueStock), which also queues what follows a
	// pension confirmed just before it.
	if g.pensionHere(i) {
		d := retirementDay(p.birth, male, p.has(fCadre))
		if d >= from && d <= g.endDay {
			if r.Float64() < 0.6 {
				g.schedule(r.Float64(), d+int32(between(r, 0, 45)), i, "BD-RETIRE", aMust)
			} else {
				g.schedule(r.Float64(), d+int32(between(r, 0, 45)), i, "HRSS-001", 0)
			}
		}
	} else if local && !p.has(fInsured) {
		if d := anniversary(p.birth, 60); d >= from {
			g.once(r, 0.7, d+int32(between(r, 0, 60)), from, i, "HRSS-002", 0)
		}
	}

	// Old age: the senior citizen card at 60; at 80 the allowance for the
	// very old, mostly through the elderly bundle.
	g.once(r, 0.45, anniversary(p.birth, 60)+int32(between(r, 5, 120)), from, i, "CIV-015", 0)
	if local {
		d := anniversary(p.birth, 80) + int32(between(r, 3, 60))
		if x := r.Float64(); x < 0.65 {
			g.once(r, 1, d, from, i, "BD-ELDERLY", 0)
		} else if x < 0.85 {
			g.once(r, 1, d, from, i, "CIV-011", 0)
		}
	}
	if age >= 60 {
		rate := 0.012
		if p.has(fAlone) {
			rate *= 3
			g.rated(r, 0.08, from, i, "STREET-001")
		}
		if p.has(fDisabled) {
			rate *= 2.5
		}
		if p.has(fPoor) {
			rate *= 4
			if local && (p.has(fAlone) || p.has(fDisabled)) {
				g.rated(r, 0.15, from, i, "CIV-013")
			}
		}
		if age >= 80 {
			rate *= 2
		}
		g.rated(r, rate, from, i, "CIV-012")
		if age >= 75 {
			g.rated(r, 0.05, from, i, "STREET-003")
		}
	}

	// Military service registration (兵役登记): every local man in the
	// first half of the year he turns 18 (migrants register at home).
	if male && local {
		y, _, _ := civil(p.birth)
		d := dayNumber(y+18, 1, 1) + int32(r.IntN(181))
		g.once(r, 0.85, d, from, i, "STREET-005", 0)
	}

	// Illness and disability.
	g.rated(r, illnessRate(age), from, i, "MED-001")
	if age >= 40 {
		g.rated(r, 0.4*illnessRate(age)+0.006, from, i, "MED-004")
	}
	if p.has(fDisabled) {
		g.rated(r, 0.12, from, i, "DPF-001")
	}

	// Migrants: residence registration on arrival and the residence
	// permit six months on; everyone else renews the three-year permit
	// when it runs out.
	if !local && ageAt(p.birth, g.endDay) >= 16 {
		if p.has(fArrived) {
			g.once(r, 0.7, p.since+int32(between(r, 2, 30)), from, i, "PSB-016", 0)
			d := p.since + 183 + int32(between(r, 0, 90))
			if ageAt(p.birth, d) >= 16 {
				g.once(r, 0.85, d, from, i, "PSB-002", 0)
			}
		} else if r.Float64() < 0.75*arrivalRate {
			// arrived in the nine months before the history: the first permit is due in it
			d := g.startDay - int32(r.IntN(273)) + 183 + int32(between(r, 0, 90))
			g.once(r, 0.85, d, from, i, "PSB-002", 0)
		} else {
			expiry := g.startDay + int32(r.IntN(3*365))
			d := expiry - int32(between(r, 5, 40))
			if ageAt(p.birth, d) >= 16 {
				g.once(r, 0.8, d, from, i, "PSB-002", 0)
			}
		}
	}

	// Buying a home: second-hand through the home bundle, or new.
	if age >= 25 && age < 65 {
		g.rated(r, 0.004, from, i, "BD-HOME")
		g.rated(r, 0.004, from, i, "NATRES-002")
	}

	// Everything else.
	for range poisson(r, backgroundRate(age, local)*g.exposure(from)) {
		if d, ok := g.season.draw(r, from, g.endDay+1); ok {
			g.queueBackground(r, d, i, bgNatural)
		}
	}
}

// queueBackground queues a background application on day d: online on a
// day the window is closed, else at the window seven times out of ten.
func (g *gen) queueBackground(r *rand.Rand, d int32, holder int32, kind int16) {
	var flags uint8
	if !g.work.is(d) || r.Float64() < 0.3 {
		flags = aOnline
	}
	g.buckets[d-g.startDay] = append(g.buckets[d-g.startDay], app{holder: holder, target: kind, flags: flags})
}

// mother returns the mother of child i in its household, or -1.
func (g *gen) mother(i int32) int32 {
	if g.people[i].role != roleChild {
		return -1
	}
	first, end := g.members(g.people[i].hh)
	for j := first; j < end; j++ {
		q := &g.people[j]
		if !q.has(fMale) && (q.role == roleSpouse || q.role == roleHead) && q.birth < g.people[i].birth-16*365 {
			return j
		}
	}
	return -1
}

func (g *gen) seedHousehold(r *rand.Rand, hh int32) {
	first, end := g.members(hh)
	husband, wife := int32(-1), int32(-1)
	var kids []int32
	for j := first; j < end; j++ {
		switch q := &g.people[j]; q.role {
		case roleHead, roleSpouse:
			if q.has(fMale) {
				husband = j
			} else {
				wife = j
			}
		case roleChild:
			kids = append(kids, j)
		}
	}
	local := g.people[first].has(fLocal)

	// A marriage during the history: the couple registers before their
	// first child is born; the spouse who will move the household
	// registration applies. Couples favour 20 May (520, "I love you").
	if husband >= 0 && wife >= 0 {
		w, h := &g.people[wife], &g.people[husband]
		if a := ageAt(w.birth, g.endDay); a >= 21 && a <= 38 && r.Float64() < 1-math.Exp(-0.12*float64(g.cfg.Years)) {
			latest := g.endDay
			for _, k := range kids {
				latest = min(latest, g.people[k].birth-60)
			}
			earliest := max(g.startDay, w.since, h.since, anniversary(h.birth, 22), anniversary(w.birth, 20))
			if earliest <= latest {
				d := earliest + int32(r.IntN(int(latest-earliest)+1))
				if y, _, _ := civil(d); r.Float64() < 0.08 {
					if d520 := dayNumber(y, 5, 20); d520 >= earliest && d520 <= latest && g.work.is(d520) {
						d = d520
					}
				}
				applicant := wife
				if r.Float64() < 0.4 {
					applicant = husband
				}
				g.schedule(r.Float64(), d, applicant, "CIV-001", 0)
			}
		}
	}

	// School entry: a parent applies in April and May for a child who
	// turns 6 (primary) or 12 (junior secondary) by 31 August; locals by
	// household registration, migrants by points with the residence
	// permit.
	parent := wife
	if parent < 0 || r.Float64() < 0.3 {
		parent = husband
	}
	if parent >= 0 {
		code := "EDU-001"
		if !local {
			code = "EDU-002"
		}
		y0, _, _ := civil(g.startDay)
		y1, _, _ := civil(g.endDay)
		for _, k := range kids {
			by, bm, _ := civil(g.people[k].birth)
			for y := y0; y <= y1; y++ {
				a := y - by // age on 31 August of year y
				if bm > 8 {
					a--
				}
				if a == 6 || a == 12 {
					d := dayNumber(y, 4, 1) + int32(r.IntN(61))
					g.once(r, 0.8, d, max(g.startDay, g.people[parent].since), parent, code, 0)
				}
			}
		}
	}

	// Low income: the head applies for the minimum living allowance,
	// reviewed every year after.
	if local && g.people[first].has(fPoor) {
		g.once(r, 0.85, g.startDay+int32(r.IntN(365)), g.startDay, first, "CIV-010", 0)
	}
}

// seedDeaths queues the deaths of the history, 5.5 per thousand a year.
// The dead are not residents any more, so they are not in the records; the
// applicant is a survivor: often a widow or widower now living alone, else
// a grown child.
func (g *gen) seedDeaths(r *rand.Rand) {
	const back = 50 // days before the history whose deaths still bring applications in it
	n := poisson(r, 0.0055*float64(len(g.people))*(float64(g.cfg.Years)+back/365.0))
	for range n {
		d := g.startDay - back + int32(r.IntN(int(g.endDay-g.startDay)+back+1))
		widowed := r.Float64() < 0.4
		for try := 0; try < 40; try++ {
			i := int32(r.IntN(len(g.people)))
			p := &g.people[i]
			a := ageAt(p.birth, d)
			ok := a >= 60 && p.has(fAlone)
			if !widowed {
				ok = a >= 30 && a <= 75 && (p.has(fLocal) || r.Float64() < 0.25)
			}
			if ok && p.since <= max(d, g.startDay) {
				if d < g.startDay {
					g.lookBack(r, "HEALTH-007", i, d+int32(between(r, 0, 2)))
				} else {
					g.schedule(r.Float64(), d+int32(between(r, 0, 2)), i, "HEALTH-007", 0)
				}
				break
			}
		}
	}
}

// registration is the matter that registers an organisation of each
// kind; social organisations are registered by civil affairs
// (CIV-031/CIV-032), which issue no business licence.
var registration = [...]string{kindCompany: "MKT-001", kindIndividual: "MKT-005", kindCoop: "MKT-007", kindSocial: ""}

// orgRate is the background demand of organisations per year, by size.
var orgRate = []float64{0.45, 1.2, 2.6, 5.0}

func (g *gen) seedOrg(r *rand.Rand, i int32) {
	o := &g.orgs[i]
	from := max(g.startDay, o.since)
	if from > g.endDay {
		return
	}
	if o.has(oNew) {
		code := "MKT-001"
		switch o.kind {
		case kindCompany:
			if r.Float64() < 0.75 {
				code = "BD-BUSINESS"
			}
		case kindIndividual:
			code = "MKT-005"
		case kindCoop:
			code = "MKT-007"
		case kindSocial:
			code = "CIV-031"
			if o.has(oServiceOrg) {
				code = "CIV-032"
			}
		}
		flags := aMust
		if o.has(oOnline) {
			flags |= aOnline
		}
		if ti, ok := g.targetIdx[code]; ok && o.registered <= g.endDay {
			g.buckets[o.registered-g.startDay] = append(g.buckets[o.registered-g.startDay], app{holder: i, target: ti, flags: flags})
		}
		from = o.registered + 20
	}
	if o.registered < g.startDay && o.registered >= g.startDay-90 {
		g.lookBack(r, registration[o.kind], i, o.registered+1)
	}
	rate := orgRate[o.size]
	if o.kind == kindIndividual {
		rate = 0.25
	}
	for range poisson(r, rate*g.exposure(from)) {
		if d, ok := g.season.draw(r, from, g.endDay+1); ok {
			g.queueBackground(r, d, i, bgLegal)
		}
	}
}

// lookBack queues the follow-ups of an event of day d that happened
// before the history began: a baby born a month earlier still has its
// household registered in the first weeks. Without it every history would
// start with a dip that real ones do not have. Nothing of the event itself
// is in the records, so no e-licence of it waives anything.
func (g *gen) lookBack(r *rand.Rand, code string, h int32, d int32) {
	for _, f := range g.follow[code] {
		if f.bundled == 2 || r.Float64() >= f.p || (f.when != nil && !f.when(g, h)) {
			continue
		}
		if day := d + int32(between(r, f.lo, f.hi)); day >= g.startDay {
			g.schedule(r.Float64(), day, h, f.target, 0)
		}
	}
}
