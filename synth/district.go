package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"onedoor"
	"onedoor/catalog"
)

// unit is one of Chancheng's three streets (街道) and one town (镇).
type unit struct {
	name string
	// communities is the range of the number of communities it has.
	communities [2]int
	// village is the share of its communities that are villages.
	village float64
	// local and migrant are the shares of local and of non-local
	// households that live in it. Locals concentrate in old central
	// Zumiao; migrant workers in the industrial streets, Zhangcha above all
	// (knitting) and Nanzhuang (ceramics). Together they give the unit
	// shares of about 0.30/0.25/0.25/0.20 at 47% locals.
	local, migrant float64
}

var units = []unit{
	{"祖庙街道", [2]int{36, 44}, 0, 0.36, 0.245},
	{"石湾镇街道", [2]int{28, 34}, 0.05, 0.27, 0.232},
	{"张槎街道", [2]int{22, 28}, 0.4, 0.19, 0.303},
	{"南庄镇", [2]int{20, 26}, 0.8, 0.18, 0.22},
}

// community is a residents' or village committee.
type community struct {
	unit int
	name string
}

// district is the map: units and their communities, stable for a seed.
type district struct {
	communities []community
	byUnit      [][]int     // community indices of each unit
	cum         [][]float64 // cumulative sizes within each unit
	localCum    []float64   // unit choice of a local household
	migrantCum  []float64   // unit choice of a non-local household
}

func newDistrict(r *rand.Rand) *district {
	d := &district{byUnit: make([][]int, len(units)), cum: make([][]float64, len(units))}
	used := map[string]bool{}
	var lw, mw []float64
	for ui, u := range units {
		n := between(r, u.communities[0], u.communities[1])
		sizes := make([]float64, n)
		for i := range n {
			var name string
			for {
				name = string([]rune{placeFirst[r.IntN(len(placeFirst))], placeSecond[r.IntN(len(placeSecond))]})
				if name[:3] != name[3:] && !used[name] {
					break
				}
			}
			used[name] = true
			if r.Float64() < u.village {
				name += "村委会"
			} else {
				name += "社区居委会"
			}
			d.byUnit[ui] = append(d.byUnit[ui], len(d.communities))
			d.communities = append(d.communities, community{unit: ui, name: name})
			sizes[i] = math.Exp(0.5 * r.NormFloat64()) // communities differ in size
		}
		d.cum[ui] = cumulative(sizes)
		lw = append(lw, u.local)
		mw = append(mw, u.migrant)
	}
	d.localCum, d.migrantCum = cumulative(lw), cumulative(mw)
	return d
}

// place draws the community of a new household.
func (d *district) place(r *rand.Rand, local bool) int {
	cum := d.migrantCum
	if local {
		cum = d.localCum
	}
	u := pick(r, cum)
	return d.byUnit[u][pick(r, d.cum[u])]
}

// Region codes (GB/T 2260) of the ID numbers. A local's number carries
// the code of where the household was first registered: Chancheng
// (440604) for anyone born since the district was formed in 2003, its
// predecessors 440602 (城区) and 440603 (石湾区) for many older people,
// or another district of Foshan. Migrants carry the county codes of
// where they come from: other cities of Guangdong first, then Guangxi,
// Hunan and the inland provinces.
var (
	localRegions = []origin{
		{"440604", 0}, {"440602", 0}, {"440603", 0},
		{"440605", 0.05}, {"440606", 0.04}, {"440607", 0.015}, {"440608", 0.015},
	}
	migrantRegions = []origin{
		// Guangdong, other cities: 38%
		{"440802", 1}, {"440823", 2}, {"440881", 3}, {"440882", 3}, {"440902", 1.5}, {"440981", 3.5},
		{"440982", 3}, {"440983", 2.5}, {"441202", 0.8}, {"441224", 2}, {"441225", 1.2}, {"441283", 1.5},
		{"441802", 0.8}, {"441881", 1.5}, {"441823", 0.8}, {"441402", 0.5}, {"441424", 1.5}, {"441426", 0.5},
		{"445381", 1.5}, {"445322", 0.8}, {"445222", 0.8}, {"445281", 1.2}, {"440513", 0.8}, {"441621", 0.8},
		{"441702", 0.5}, {"441781", 1.2}, {"440781", 0.6}, {"440783", 0.5}, {"440105", 0.3}, {"440229", 0.5},
		// Guangxi: 20%
		{"450981", 3}, {"450921", 2.5}, {"450923", 3}, {"450924", 2}, {"450881", 2.5}, {"450821", 2},
		{"450102", 0.8}, {"450422", 1.5}, {"451121", 1}, {"450721", 1.7},
		// Hunan: 14%
		{"430421", 1.8}, {"430482", 1.5}, {"430522", 1.5}, {"430528", 1.2}, {"431121", 1.5}, {"431022", 1.5},
		{"431026", 1.2}, {"430381", 1.2}, {"431281", 1}, {"430626", 1.6},
		// Sichuan and Chongqing: 9%
		{"511321", 1.5}, {"511622", 1}, {"510923", 1}, {"511025", 1.2}, {"510722", 1},
		{"500228", 0.8}, {"500230", 0.8}, {"500236", 0.9}, {"500101", 0.8},
		// Guizhou, Jiangxi, Hubei, Henan: 16%
		{"522401", 1}, {"522422", 1}, {"522427", 1}, {"520221", 1},
		{"360721", 1}, {"360731", 1.2}, {"360734", 0.8}, {"360782", 1},
		{"420921", 1}, {"421023", 1}, {"421127", 1}, {"421181", 1},
		{"411623", 1}, {"411627", 1}, {"411525", 1}, {"411324", 1},
		// Elsewhere: 3%
		{"350583", 1}, {"530381", 1}, {"341221", 1},
	}
)

type origin struct {
	code   string
	weight float64
}

// regions indexes every region code: locals first, then migrants.
type regions struct {
	codes      []string
	migrantCum []float64
	nLocal     int
}

func newRegions() *regions {
	rg := &regions{nLocal: len(localRegions)}
	for _, o := range localRegions {
		rg.codes = append(rg.codes, o.code)
	}
	w := make([]float64, len(migrantRegions))
	for i, o := range migrantRegions {
		rg.codes = append(rg.codes, o.code)
		w[i] = o.weight
	}
	rg.migrantCum = cumulative(w)
	return rg
}

// local draws the region of a local born in birthYear.
func (rg *regions) local(r *rand.Rand, birthYear int) uint16 {
	x := r.Float64()
	if x < 0.12 { // other districts of Foshan
		return uint16(3 + pick(r, cumulative([]float64{0.05, 0.04, 0.015, 0.015})))
	}
	if birthYear >= 2003 {
		return 0
	}
	switch x = r.Float64(); {
	case x < 0.4:
		return 0
	case x < 0.72:
		return 1
	default:
		return 2
	}
}

// migrant draws the region of a migrant.
func (rg *regions) migrant(r *rand.Rand) uint16 {
	return uint16(rg.nLocal + pick(r, rg.migrantCum))
}

// staff is the roster whose names appear on the events: officers and
// leaders of every department, and the clerks of the one window.
type staff struct {
	officers map[string][]onedoor.Actor
	leaders  map[string][]onedoor.Actor
	clerks   []onedoor.Actor
	system   onedoor.Actor
	roster   []onedoor.Staff
}

func newStaff(r *rand.Rand, cat *catalog.Catalog) *staff {
	s := &staff{
		officers: map[string][]onedoor.Actor{},
		leaders:  map[string][]onedoor.Actor{},
		system:   onedoor.Actor{Role: onedoor.RoleSystem, Name: "Onedoor"},
	}
	n := 0
	name := func() string {
		n++
		male := r.Float64() < 0.5
		return personName(r, surname(r, r.Float64() < 0.6), male, between(r, 1966, 1999))
	}
	add := func(role onedoor.Role, dept string) onedoor.Actor {
		a := onedoor.Actor{Name: name(), Role: role, Department: dept}
		user := fmt.Sprintf("%s-%03d", role, n)
		if dept != "" {
			user = fmt.Sprintf("%s-%s-%03d", dept, role, n)
		}
		s.roster = append(s.roster, onedoor.Staff{Username: user, Name: a.Name, Role: role, Department: dept})
		return a
	}
	for _, d := range cat.Departments {
		for range between(r, 3, 8) {
			s.officers[d.Code] = append(s.officers[d.Code], add(onedoor.RoleOfficer, d.Code))
		}
		for range between(r, 1, 3) {
			s.leaders[d.Code] = append(s.leaders[d.Code], add(onedoor.RoleLeader, d.Code))
		}
	}
	for range 28 {
		s.clerks = append(s.clerks, add(onedoor.RoleClerk, ""))
	}
	return s
}

// actor draws a member of staff of the role and department.
func (s *staff) actor(r *rand.Rand, role onedoor.Role, dept string) onedoor.Actor {
	var pool []onedoor.Actor
	switch role {
	case onedoor.RoleOfficer:
		pool = s.officers[dept]
	case onedoor.RoleLeader:
		pool = s.leaders[dept]
	case onedoor.RoleClerk:
		pool = s.clerks
	case onedoor.RoleSystem:
		return s.system
	}
	if len(pool) == 0 {
		return onedoor.Actor{Role: role, Department: dept}
	}
	return pool[r.IntN(len(pool))]
}
