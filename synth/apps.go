package synth

import (
	"math"
	"regexp"
	"slices"

	"onedoor"
	"onedoor/rules"
)

// target is what an application is for: one matter, or a bundle of them
// (一件事一次办) taken in one intake.
type target struct {
	code    string
	bundle  *onedoor.Bundle
	matters []*onedoor.Matter
	rules   []*rules.Rule // condition of each matter; nil means anyone
	subject onedoor.SubjectType
	// online is the chance an applicant applies on the portal rather than
	// at the window.
	online float64
	// ages bounds the applicants of a background application: nobody of
	// five applies for unemployment benefit.
	ages [2]int
	// tags restricts background applications of organisations to some
	// lines of business; empty means any.
	tags []string
}

// app is a pending application: who applies for what, on which day (the
// bucket it sits in).
type app struct {
	holder int32 // index of the person or organisation
	target int16 // index into gen.targets, or bgNatural/bgLegal
	flags  uint8
}

const (
	bgNatural int16 = -1 // a background application of a resident
	bgLegal   int16 = -2 // of an organisation
)

// Application flags.
const (
	aOnline uint8 = 1 << iota // on the portal
	aMust                     // must not be refused or abandoned: a registration whose date the records already show
)

// onlineShare is how often each matter is applied for online; the rest
// 30%. Some need the applicant in person: marriage, identity documents,
// medical examinations, property transfers.
var onlineShare = map[string]float64{
	"CIV-001": 0, "CIV-002": 0, "PSB-007": 0, "PSB-008": 0, "PSB-011": 0, "PSB-012": 0, "HEALTH-001": 0,
	"HEALTH-007": 0, "HEALTH-008": 0, "DPF-001": 0, "CIV-017": 0, "BD-HOME": 0, "NATRES-001": 0, "NATRES-002": 0,
	"PSB-013": 0.5, "PSB-002": 0.45, "PSB-016": 0.5, "HRSS-005": 0.65, "MED-003": 0.7, "HPF-003": 0.6, "HPF-007": 0.7,
	"TAX-014": 0.75, "TAX-013": 0.6, "TAX-002": 0.6, "MED-002": 0.4, "BD-NEWBORN": 0.4, "HRSS-010": 0.4,
	"EDU-001": 0.7, "EDU-002": 0.7, "HRSS-008": 0.5, "HRSS-009": 0.4, "HRSS-007": 0.5, "MED-005": 0.35,
	"TAX-001": 0.6, "HRSS-020": 0.6, "MED-030": 0.6, "HPF-020": 0.6, "MKT-002": 0.55, "STATS-001": 0.8,
	"TAX-006": 0.7, "CIV-033": 0.8, "DPF-020": 0.7, "STREET-001": 0, "STREET-002": 0, "STREET-003": 0,
	"STREET-004": 0, "STREET-005": 0, "STREET-006": 0, "BD-ELDERLY": 0, "BD-DEATH": 0.2,
}

// Background demand: what residents and firms apply for beyond the life
// events modelled one by one. Its popularity is heavy-tailed (Zipf,
// s = 1.2): these lists give the head, most popular first; every other
// matter of the subject follows in an order fixed by the seed.
var (
	naturalHead = []string{
		"PSB-007", "HRSS-005", "TAX-014", "MED-003", "PSB-011", "HPF-003", "HPF-007", "MED-005", "HRSS-010",
		"HEALTH-008", "PSB-014", "HRSS-008", "PSB-012", "HOUS-012", "TAX-010", "HRSS-009", "HRSS-007",
		"HPF-004", "MED-007", "HRSS-003", "PSB-015", "STREET-006", "HRSS-006", "TAX-013", "HPF-008",
		"TAX-011", "HRSS-012", "NATRES-004", "HEALTH-002", "PSB-008", "CIV-014", "JUS-002", "HRSS-015",
	}
	legalHead = []string{
		"DPF-020", "TAX-006", "HRSS-025", "FIRE-002", "EMERG-003", "STATS-001", "MKT-017", "ENV-003",
		"HPF-021", "URBAN-003", "HOUS-006", "MKT-009", "HRSS-023", "MED-031", "COM-003", "URBAN-002",
		"TRANS-004", "ENV-002", "PSB-022",
	}
	// notBackground are matters that only life events, follow-ups or
	// the lifecycle of a firm bring: deaths, births, marriages and
	// registrations are modelled as such. Hukou transfers into the
	// district (PSB-004, PSB-005) are left out: they would make a
	// non-local a local halfway through the history, and the resident
	// records are one snapshot.
	notBackground = []string{
		"HEALTH-001", "HEALTH-007", "CIV-017", "PSB-006", "HRSS-004", "CIV-016", "HPF-005", "NATRES-006",
		"PSB-001", "CIV-001", "HRSS-001", "MED-020", "HPF-001", "CIV-011", "CIV-015", "CIV-012",
		"STREET-001", "STREET-003", "CIV-013", "MED-001", "MED-004", "PSB-002", "PSB-016", "DPF-001",
		"CIV-010", "EDU-001", "EDU-002", "HEALTH-006", "MED-006", "HRSS-002", "PSB-004", "PSB-005",
		"NATRES-001", "NATRES-002", "HOUS-013", "TAX-012", "MED-002", "HEALTH-003", "STREET-002",
		"MKT-001", "MKT-005", "MKT-007", "CIV-031", "CIV-032", "PSB-021", "TAX-001", "HRSS-020", "MED-030",
		"HPF-020", "MKT-010", "MKT-014", "URBAN-001", "FIRE-001", "ENV-001", "MKT-015", "PSB-020",
		"HEALTH-020", "CULT-001", "CULT-002", "TRANS-001", "TRANS-003", "CIV-030", "EDU-020", "HEALTH-021",
		"HRSS-024", "HRSS-022", "EMERG-001", "COM-002", "NATRES-021", "NATRES-020", "HOUS-001", "MKT-013",
		"AGRI-001", "HRSS-021", "HOUS-004", "STREET-005",
	}
	// ageRange bounds who applies for a background matter; the default
	// is 18 to 75.
	ageRange = map[string][2]int{
		"PSB-007": {0, 100}, "PSB-011": {0, 90}, "PSB-012": {0, 85}, "MED-005": {0, 100}, "MED-003": {0, 100},
		"HRSS-010": {0, 100}, "HEALTH-002": {0, 60}, "TAX-014": {18, 100}, "JUS-003": {0, 100},
		"EDU-005": {6, 25}, "CULT-010": {5, 90}, "DPF-006": {0, 17}, "EDU-004": {6, 18}, "CIV-018": {0, 17},
		"HRSS-005": {18, 90}, "TAX-010": {18, 100}, "NATRES-004": {18, 90}, "JUS-002": {18, 90},
		"HRSS-008": {16, 60}, "HRSS-009": {16, 60}, "HRSS-007": {18, 60}, "HPF-004": {18, 60},
		"HPF-008": {18, 55}, "HRSS-006": {16, 58}, "TAX-013": {16, 58}, "HEALTH-008": {16, 58},
		"HRSS-012": {18, 55}, "EDU-003": {20, 45}, "HEALTH-010": {20, 40}, "TRANS-011": {20, 58},
		"TRANS-010": {21, 58}, "HRSS-013": {18, 60}, "HRSS-014": {18, 60}, "HRSS-015": {18, 60},
		"HRSS-016": {18, 60}, "HRSS-017": {18, 40}, "STREET-005": {18, 22}, "VET-001": {20, 35},
		"CIV-004": {30, 55}, "HEALTH-004": {49, 90}, "HEALTH-005": {50, 90}, "ARCH-002": {45, 70},
		"HPF-006": {22, 55}, "HOUS-010": {20, 70}, "CULT-011": {18, 65}, "HPF-003": {18, 55},
		"HPF-002": {22, 60}, "PSB-015": {18, 80}, "MED-007": {18, 60}, "HRSS-003": {18, 60},
	}
	// rarity scales the popularity of matters that concern few people
	// whatever their rank: veterans, martyrs' families, adoption, orphans,
	// families who lost their only child, fire investigations, rural
	// building plots in an urban district.
	rarity = map[string]float64{
		"VET-001": 0.3, "VET-002": 0.3, "VET-003": 0.3, "VET-004": 0.05, "VET-005": 0.05, "CIV-004": 0.05,
		"CIV-018": 0.1, "HEALTH-004": 0.1, "FIRE-003": 0.1, "AGRI-010": 0.2, "HRSS-014": 0.4, "HRSS-013": 0.6,
		"CIV-013": 0.2, "EMERG-010": 0.3, "HEALTH-010": 0.5, "EDU-003": 0.6,
	}
	// orgTags restricts background matters of organisations to the lines
	// of business that need them.
	orgTags = map[string][]string{
		"HOUS-005": {"ceramics", "textile", "chemicals"}, "ENV-002": {"ceramics", "textile", "hardware", "chemicals", "realestate"},
		"DRC-002": {"ceramics", "textile", "hardware", "chemicals"}, "TRANS-004": {"construction", "realestate"},
		"URBAN-002": {"construction", "realestate"}, "URBAN-004": {"construction", "realestate"},
		"HOUS-006": {"construction", "realestate"}, "CIV-034": {"realestate"}, "NATRES-022": {"realestate", "ceramics", "trade"},
		"EDU-020": {"education"}, "HEALTH-021": {"clinic"}, "AGRI-001": {"agri"}, "AGRI-002": {"agri"}, "AGRI-003": {"agri"},
		"CULT-003": {"entertainment", "association", "education"}, "CULT-004": {"entertainment"},
		"PSB-022": {"association", "entertainment", "services"}, "MKT-017": {"ceramics", "textile", "hardware", "logistics", "hotel", "realestate"},
		"EMERG-002": {"retail", "grocery"}, "COM-001": {"retail", "grocery", "beauty", "restaurant"},
		"STATS-001": {"ceramics", "textile", "hardware", "trade", "tech", "logistics", "construction"},
		"HRSS-023":  {"ceramics", "textile", "hardware", "logistics", "hotel"},
	}
)

// licenceInRE finds the licence types a condition asks the applicant to hold.
var licenceInRE = regexp.MustCompile(`"([a-z0-9_]+)" in licences`)

// buildTargets indexes every matter and bundle of the catalog as a target
// and orders the background lists.
func (g *gen) buildTargets() {
	g.targetIdx = map[string]int16{}
	add := func(t target) {
		g.targetIdx[t.code] = int16(len(g.targets))
		g.targets = append(g.targets, t)
	}
	for _, m := range g.cat.Latest() {
		t := target{code: m.Code, matters: []*onedoor.Matter{m}, subject: m.Subject, online: 0.3, ages: [2]int{18, 75}}
		t.rules = []*rules.Rule{g.cat.Condition(m.Code, m.Version)}
		if v, ok := onlineShare[m.Code]; ok {
			t.online = v
		}
		if a, ok := ageRange[m.Code]; ok {
			t.ages = a
		}
		t.tags = orgTags[m.Code]
		add(t)
	}
	for _, b := range g.cat.LatestBundles() {
		t := target{code: b.Code, bundle: b, subject: b.Subject, online: 0.3}
		ok := true
		for _, code := range b.Matters {
			m, found := g.cat.Matter(code)
			if !found {
				ok = false
				break
			}
			t.matters = append(t.matters, m)
			t.rules = append(t.rules, g.cat.Condition(m.Code, m.Version))
		}
		if v, found := onlineShare[b.Code]; found {
			t.online = v
		}
		if ok && len(t.matters) > 0 {
			add(t)
		}
	}
	for _, t := range g.targets {
		for _, r := range t.rules {
			if r != nil && (slices.Contains(r.Vars(), "applied") || slices.Contains(r.Vars(), "approved")) {
				g.needHistory = true
			}
		}
	}

	// Background: the head lists, then every other matter of the subject
	// that needs no licence to apply for, in seeded order.
	r := g.rng(20)
	for _, subject := range []onedoor.SubjectType{onedoor.Natural, onedoor.Legal} {
		head := naturalHead
		if subject == onedoor.Legal {
			head = legalHead
		}
		var list, rest []int16
		seen := map[string]bool{}
		for _, code := range head {
			if i, ok := g.targetIdx[code]; ok && g.targets[i].bundle == nil && g.targets[i].subject == subject {
				list = append(list, i)
				seen[code] = true
			}
		}
		for i, t := range g.targets {
			if t.bundle != nil || t.subject != subject || seen[t.code] || slices.Contains(notBackground, t.code) {
				continue
			}
			if r := t.rules[0]; r != nil && licenceInRE.MatchString(r.Source()) {
				continue // comes as a follow-up of the licence
			}
			rest = append(rest, int16(i))
		}
		r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		list = append(list, rest...)
		w := make([]float64, len(list))
		for i, ti := range list {
			w[i] = 1 / math.Pow(float64(i+1), 1.2)
			if f, ok := rarity[g.targets[ti].code]; ok {
				w[i] *= f
			}
		}
		if subject == onedoor.Natural {
			g.bgNatural, g.bgNaturalCum = list, cumulative(w)
		} else {
			g.bgLegal, g.bgLegalCum = list, cumulative(w)
		}
	}
	g.buildFollowUps()
}

// followUp is an application that may follow the completion of a case:
// the newborn's household registration after the birth certificate, the
// food licence after the business licence. The holder is the same.
type followUp struct {
	target string
	p      float64
	lo, hi int // delay in days
	// bundled: 0 whether the case was part of a bundle or not, 1 only if
	// it was not, 2 only if it was.
	bundled uint8
	when    func(g *gen, holder int32) bool
}

func (g *gen) isLocal(h int32) bool  { return g.people[h].has(fLocal) }
func (g *gen) isPoor(h int32) bool   { return g.people[h].has(fPoor) }
func (g *gen) isSevere(h int32) bool { return g.people[h].has(fSevere) }
func (g *gen) isChild(h int32) bool  { return ageAt(g.people[h].birth, g.endDay) < 18 }
func (g *gen) isOld(h int32) bool    { return ageAt(g.people[h].birth, g.endDay) >= 61 }

// industryIs returns a filter for organisations in the given lines.
func industryIs(tags ...string) func(g *gen, h int32) bool {
	return func(g *gen, h int32) bool {
		return slices.Contains(tags, industries[g.orgs[h].industry].tag)
	}
}

func kindIs(kinds ...uint8) func(g *gen, h int32) bool {
	return func(g *gen, h int32) bool { return slices.Contains(kinds, g.orgs[h].kind) }
}

func both(a, b func(g *gen, h int32) bool) func(g *gen, h int32) bool {
	return func(g *gen, h int32) bool { return a(g, h) && b(g, h) }
}

func not(f func(g *gen, h int32) bool) func(g *gen, h int32) bool {
	return func(g *gen, h int32) bool { return !f(g, h) }
}

// followUps lists, by the matter whose completion triggers them, the
// applications that follow. Matters that need a licence to apply for and
// are not listed here follow its issue at a low rate (buildFollowUps).
var followUps = map[string][]followUp{
	// A birth: the hospital's birth certificate, then the household
	// registration bundle for a local baby; a migrant's baby is
	// registered in the hometown but gets its vaccination record here.
	"HEALTH-001": {
		{target: "BD-NEWBORN", p: 0.85, lo: 3, hi: 30, when: (*gen).isLocal},
		{target: "PSB-001", p: 1, lo: 5, hi: 40, when: (*gen).isLocal},
		{target: "HEALTH-006", p: 0.7, lo: 7, hi: 40},
		{target: "MED-002", p: 0.35, lo: 10, hi: 60, when: not((*gen).isLocal)},
		{target: "HRSS-010", p: 0.25, lo: 20, hi: 90, when: not((*gen).isLocal)},
	},
	"PSB-001": {
		{target: "MED-002", p: 0.8, lo: 1, hi: 20, bundled: 1},
		{target: "HRSS-010", p: 0.7, lo: 3, hi: 40, bundled: 1},
	},
	"CIV-001": {
		{target: "PSB-003", p: 0.35, lo: 20, hi: 180, when: (*gen).isLocal},
		{target: "HEALTH-003", p: 0.3, lo: 30, hi: 360},
		{target: "MED-008", p: 0.15, lo: 20, hi: 200},
		{target: "STREET-006", p: 0.1, lo: 10, hi: 200},
	},
	"HRSS-001": {
		{target: "MED-020", p: 0.8, lo: 3, hi: 30, bundled: 1},
		{target: "HPF-001", p: 0.6, lo: 5, hi: 60, bundled: 1},
		{target: "STREET-004", p: 0.45, lo: 10, hi: 120},
		{target: "HEALTH-005", p: 0.12, lo: 20, hi: 200, when: (*gen).isLocal},
	},
	"CIV-015": {{target: "STREET-002", p: 0.25, lo: 3, hi: 60, bundled: 1}},
	"DPF-001": {
		{target: "BD-DISABLED", p: 0.6, lo: 5, hi: 60, when: (*gen).isPoor},
		{target: "DPF-003", p: 0.45, lo: 5, hi: 60, when: both(not((*gen).isPoor), (*gen).isSevere)},
		{target: "DPF-005", p: 0.15, lo: 10, hi: 200},
		{target: "DPF-006", p: 0.5, lo: 5, hi: 60, when: (*gen).isChild},
		{target: "MED-009", p: 0.12, lo: 10, hi: 200, when: (*gen).isLocal},
	},
	"CIV-010": {
		{target: "CIV-010", p: 0.85, lo: 335, hi: 365}, // the allowance is reviewed every year
		{target: "MED-009", p: 0.25, lo: 10, hi: 200},
		{target: "HOUS-011", p: 0.1, lo: 10, hi: 200},
		{target: "CIV-012", p: 0.3, lo: 10, hi: 120, when: (*gen).isOld},
		{target: "JUS-001", p: 0.05, lo: 10, hi: 300},
		{target: "UNION-001", p: 0.05, lo: 10, hi: 300, when: not((*gen).isChild)},
	},
	"HEALTH-007": { // a death in the family
		{target: "CIV-017", p: 0.9, lo: 1, hi: 3},
		{target: "BD-DEATH", p: 0.55, lo: 7, hi: 45},
		{target: "PSB-006", p: 0.7, lo: 7, hi: 60},
		{target: "NATRES-006", p: 0.12, lo: 60, hi: 300},
	},
	"PSB-002": {{target: "PSB-002", p: 0.8, lo: 3*365 - 60, hi: 3*365 - 5}},
	"PSB-011": {{target: "PSB-013", p: 0.55, lo: 20, hi: 240}},
	"NATRES-001": {
		{target: "NATRES-003", p: 0.5, lo: 1, hi: 20},
		{target: "HPF-002", p: 0.4, lo: 10, hi: 90},
	},
	"NATRES-002": {
		{target: "NATRES-003", p: 0.6, lo: 1, hi: 20},
		{target: "HPF-002", p: 0.45, lo: 10, hi: 90},
		{target: "HOUS-012", p: 0.05, lo: 30, hi: 300},
	},
	"PSB-014": {{target: "TRANS-010", p: 0.05, lo: 5, hi: 90}},

	// A firm's life: registration, then everything its line of business
	// needs; the business licence issued is reused in every one of them.
	"MKT-001": {
		{target: "TAX-001", p: 0.9, lo: 1, hi: 15, bundled: 1},
		{target: "PSB-021", p: 0.8, lo: 1, hi: 20, bundled: 1},
		{target: "HRSS-020", p: 0.7, lo: 3, hi: 30, bundled: 1},
		{target: "MED-030", p: 0.7, lo: 3, hi: 30, bundled: 1},
		{target: "HPF-020", p: 0.5, lo: 5, hi: 60, bundled: 1},
	},
	"MKT-005": {
		{target: "TAX-001", p: 0.3, lo: 1, hi: 30},
	},
	"TAX-001": {
		{target: "TAX-002", p: 0.6, lo: 2, hi: 40},
		{target: "TAX-003", p: 0.2, lo: 10, hi: 120, when: kindIs(kindCompany)},
	},
	"MKT-002": {{target: "MKT-002", p: 0.1, lo: 60, hi: 330}},
	"MKT-010": {
		{target: "MKT-011", p: 0.8, lo: 5*365 - 120, hi: 5*365 - 30},
		{target: "MKT-012", p: 0.06, lo: 60, hi: 330},
	},
	"MKT-011": {{target: "MKT-011", p: 0.8, lo: 5*365 - 120, hi: 5*365 - 30}},
	"FIRE-001": {
		{target: "PSB-020", p: 0.8, lo: 5, hi: 40, when: industryIs("hotel")},
		{target: "CULT-001", p: 0.8, lo: 5, hi: 40, when: industryIs("entertainment")},
		{target: "CULT-002", p: 0.8, lo: 5, hi: 40, when: industryIs("netcafe")},
	},
	"TRANS-001":  {{target: "TRANS-002", p: 0.8, lo: 2, hi: 30}},
	"NATRES-021": {{target: "NATRES-020", p: 0.7, lo: 30, hi: 180}},
	"NATRES-020": {{target: "HOUS-001", p: 0.8, lo: 20, hi: 120}},
	"HOUS-001":   {{target: "ENV-004", p: 0.4, lo: 20, hi: 200}, {target: "HOUS-003", p: 0.4, lo: 90, hi: 300}, {target: "HOUS-002", p: 0.3, lo: 200, hi: 400}},
	"HEALTH-021": {{target: "HEALTH-022", p: 0.2, lo: 20, hi: 200}, {target: "MED-031", p: 0.3, lo: 30, hi: 300}},
	"CIV-031":    {{target: "CIV-033", p: 0.7, lo: 300, hi: 400}},
	"CIV-032":    {{target: "CIV-033", p: 0.7, lo: 300, hi: 400}},
}

// businessFollowUps follow any business licence, by line of business.
var businessFollowUps = []followUp{
	{target: "BD-RESTAURANT", p: 0.65, lo: 7, hi: 60, when: both(industryIs("restaurant"), kindIs(kindCompany))},
	{target: "BD-RESTAURANT", p: 0.3, lo: 7, hi: 60, when: both(industryIs("restaurant"), kindIs(kindIndividual))},
	{target: "MKT-014", p: 0.55, lo: 7, hi: 60, when: both(industryIs("restaurant"), kindIs(kindIndividual))},
	{target: "MKT-013", p: 0.4, lo: 5, hi: 60, when: industryIs("grocery", "retail")},
	{target: "MKT-015", p: 0.8, lo: 7, hi: 60, when: industryIs("pharmacy")},
	{target: "FIRE-001", p: 0.85, lo: 5, hi: 40, when: industryIs("hotel", "entertainment", "netcafe")},
	{target: "HEALTH-020", p: 0.55, lo: 10, hi: 80, when: industryIs("hotel", "beauty")},
	{target: "ENV-001", p: 0.5, lo: 10, hi: 120, when: industryIs("ceramics", "textile", "hardware", "chemicals", "autorepair")},
	{target: "HOUS-004", p: 0.2, lo: 10, hi: 150, when: industryIs("ceramics", "textile", "chemicals", "restaurant")},
	{target: "TRANS-001", p: 0.7, lo: 7, hi: 60, when: industryIs("logistics")},
	{target: "TRANS-003", p: 0.8, lo: 7, hi: 60, when: industryIs("autorepair")},
	{target: "CIV-030", p: 0.8, lo: 10, hi: 90, when: industryIs("eldercare")},
	{target: "EDU-020", p: 0.5, lo: 10, hi: 120, when: industryIs("education")},
	{target: "HEALTH-021", p: 0.6, lo: 10, hi: 90, when: industryIs("clinic")},
	{target: "HRSS-024", p: 0.6, lo: 10, hi: 90, when: industryIs("hr")},
	{target: "HRSS-022", p: 0.3, lo: 20, hi: 150, when: industryIs("hr")},
	{target: "EMERG-001", p: 0.6, lo: 10, hi: 90, when: industryIs("chemicals")},
	{target: "COM-002", p: 0.7, lo: 10, hi: 90, when: industryIs("recycling")},
	{target: "NATRES-021", p: 0.35, lo: 30, hi: 200, when: industryIs("realestate")},
	{target: "URBAN-001", p: 0.15, lo: 10, hi: 120, when: industryIs("retail", "grocery", "services", "beauty", "pharmacy")},
	{target: "MKT-002", p: 0.1, lo: 30, hi: 330, when: kindIs(kindCompany)},
	{target: "HRSS-021", p: 0.12, lo: 30, hi: 300},
	{target: "AGRI-001", p: 0.3, lo: 20, hi: 200, when: industryIs("agri")},
}

// buildFollowUps completes the follow-up table: the business licence
// rules after every registration, and for every matter that needs a
// licence to apply for and has no rule yet, a low-rate follow-up of the
// matters that issue that licence.
func (g *gen) buildFollowUps() {
	g.follow = map[string][]followUp{}
	for k, v := range followUps {
		g.follow[k] = slices.Clone(v)
	}
	for _, code := range []string{"MKT-001", "MKT-005", "MKT-007"} {
		g.follow[code] = append(g.follow[code], businessFollowUps...)
	}
	listed := map[string]bool{}
	for _, rs := range g.follow {
		for _, f := range rs {
			listed[f.target] = true
		}
	}
	issuers := map[string][]string{} // licence type → matters issuing it
	for _, t := range g.targets {
		if t.bundle == nil && t.matters[0].Result.Licence != "" {
			issuers[t.matters[0].Result.Licence] = append(issuers[t.matters[0].Result.Licence], t.code)
		}
	}
	for _, t := range g.targets {
		if t.bundle != nil || listed[t.code] || slices.Contains(notBackground, t.code) || t.rules[0] == nil {
			continue
		}
		for _, sm := range licenceInRE.FindAllStringSubmatch(t.rules[0].Source(), -1) {
			for _, issuer := range issuers[sm[1]] {
				if g.targets[g.targetIdx[issuer]].subject == t.subject {
					g.follow[issuer] = append(g.follow[issuer], followUp{target: t.code, p: 0.04, lo: 20, hi: 300})
				}
			}
		}
	}
	for code, rs := range g.follow {
		g.follow[code] = slices.DeleteFunc(rs, func(f followUp) bool { _, ok := g.targetIdx[f.target]; return !ok })
	}
}

// schedule queues an application for day d, moving it to the next working
// day when it is taken at the window.
func (g *gen) schedule(u float64, d int32, holder int32, code string, flags uint8) {
	ti, ok := g.targetIdx[code]
	if !ok {
		return
	}
	g.scheduleTarget(u, d, holder, ti, flags)
}

// scheduleTarget is schedule by target index; u is a uniform draw that
// decides the channel.
func (g *gen) scheduleTarget(u float64, d int32, holder int32, ti int16, flags uint8) {
	online := 0.3
	if ti >= 0 {
		online = g.targets[ti].online
	}
	if u < online {
		flags |= aOnline
	}
	if flags&aOnline == 0 {
		d = g.work.add(d, 0)
	}
	if d < g.startDay || d > g.endDay {
		return
	}
	g.buckets[d-g.startDay] = append(g.buckets[d-g.startDay], app{holder: holder, target: ti, flags: flags})
}
