// Package synth generates a realistic synthetic district: the residents,
// households and organisations of Chancheng district (Foshan) and years of
// their case history at the one window, for demonstrations, load tests and
// analysis without a single real record.
//
// Everything is calibrated to public statistics (the brief's calibration
// section): the four streets and towns and their communities, the age
// structure, sex ratio and share of migrants of the 2020 census, elderly
// people living alone, disability and the dishonesty list, about one firm
// for every twelve residents. The history is driven by life events and by
// the catalog, not by uniform noise: births bring the birth certificate and
// the newborn bundle, birthdays the pension and old-age allowances, deaths
// the bundle of what survivors do, migrants renew residence permits, new
// firms register and then apply for what their line of business needs,
// and a heavy-tailed background covers the remaining matters. People apply
// only when a matter's condition admits them, on working days at the window
// or any day online; far fewer apply around the Spring Festival.
//
// Every case goes through the real workflow (workflow.Intake and
// workflow.Apply) with the real calendar and the matter's steps, roles,
// departments and limits, so replaying its events gives the same case.
// E-licences issued on completion are kept per holder and presented at
// later intakes, so materials are waived (免提交) as they would be.
//
// Before the history comes the stock (stock.go): approvals given once in a
// life, perhaps decades earlier, whose result people keep — the pension of
// every retiree, confirmed in the year of retiring. They are cases too,
// approved, marked as migrated records, dated so that the calendar gets
// their working days and deadlines right, and their e-licences are in the
// registry, so the elderly of the district have the pensions a cross-match
// looks for.
//
// Generation is deterministic: the same Config gives the same output, byte
// for byte, whatever the number of cores. Names are composed from
// character lists at random, ID numbers and unified social credit codes are
// structurally valid but belong to nobody.
//
// For a loader: persons are numbered 1..People and organisations 1..Orgs
// in emission order, cases 1..Cases in order of intake (the Stats.Stock
// cases of the stock first, all received before the history), and a case
// names its applicant by those IDs. Everything a case refers to has been
// emitted before it. The events of a case come with it, but a case's later
// events may be dated after the intake of cases emitted after it, so the
// store's event chain, in emission order, is not in order of time. Case
// numbers use the store's daily counters; Stats.Counters gives where each
// day's counter stands. Licences have no ID and no signature, persons no
// sealed or indexed ID numbers and phones: the store adds them.
//
// What is not modelled: e-licences issued before the history are not in
// the registry (nothing emits them) but for the stock's pension decisions,
// so a matter that needs one to apply for (the food licence renewal
// MKT-011, every five years) only follows licences issued in the history;
// the stock holds the pensions only, not the other results people keep (a
// senior citizen card, the allowance at 80, a disability certificate, a
// marriage); hukou transfers into the district (PSB-004, PSB-005) are left
// out because they would turn a non-local into a local halfway through,
// and the resident records are one snapshot as of End.
package synth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/workflow"
)

// Config says which district to generate.
type Config struct {
	// People is the number of residents; 0 means 20000. Chancheng has
	// 1,330,300.
	People int
	// Years is how many years of case history to write; 0 means 1.
	Years int
	// End is when the history ends: the "today" of the district. The
	// history starts Years before it. The zero time means now; set it to
	// get the same output on every run.
	End time.Time
	// Seed selects the district; the same seed gives the same output.
	Seed int64
	// Catalog is the matter catalog; nil means catalog.Builtin().
	Catalog *catalog.Catalog
	// Calendar decides working days; nil means calendar.Official().
	Calendar *calendar.Calendar
	// Batch is the number of cases per emitted batch (and of persons and
	// of organisations); 0 means 5000.
	Batch int
}

// Person is a resident, as of the end of the history, with the
// identifiers the store seals: the ID number and the mobile phone.
// Person.ID is dense from 1; Household (dense from 1), Street, Community
// and IDMasked are set; CreatedAt is the start of the history, or the day
// of birth or of arrival in the district when that is later.
type Person struct {
	onedoor.Person
	IDNumber string
	Phone    string
}

// Org is an organisation. Org.ID is dense from 1; a few have legacy codes
// (Legacy set) that fail the GB 32100 check.
type Org struct {
	onedoor.Org
}

// Case is one case with its history. Case.ID is dense from 1 in emission
// order, which is the order of intake.
type Case struct {
	// Case is the case as its last event left it.
	Case onedoor.Case
	// Events are the case's events as workflow.Intake and workflow.Apply
	// return them, oldest first, with CaseID set; Seq, PrevHash and Hash
	// are left for the store, which chains them.
	Events []onedoor.Event
	// Licence is the e-licence the case issued on completion, if its
	// matter issues one: numbered as the store numbers them, unsigned.
	Licence *onedoor.Licence
	// Code is the verification code for public tracking, shared by the
	// cases of one intake (a bundle).
	Code string
}

// Batch is one emission: persons and organisations come first, in
// batches of their own of Config.Batch each, then cases in order of intake.
// A batch of cases may run past Config.Batch by the cases of one bundle,
// which are always emitted together.
type Batch struct {
	Persons []Person
	Orgs    []Org
	Cases   []Case
}

// Stats sums up what Generate emitted.
type Stats struct {
	People, Households, Orgs, Cases, Events, Licences int
	// Communities is the number of residents' and village committees.
	Communities int
	// Start and End bound the history. The stock of once-in-a-life
	// approvals (Stock) was received before Start.
	Start, End time.Time
	// Stock counts the cases of the stock: approvals given once in a
	// life before the history whose result people keep (the pensions of
	// the retired), emitted first. Cases counts them too.
	Stock int
	// Bundles counts intakes of bundles (一件事一次办).
	Bundles int
	// Waived counts materials replaced by an e-licence at intake (免提交).
	Waived int
	// Tolerated counts cases accepted under commitment (容缺).
	Tolerated int
	// Refused counts applications not made because the applicant did not
	// meet the matter's condition.
	Refused int
	// Status counts cases by their final status; Open those not final.
	Status map[onedoor.Status]int
	Open   int
	// Matters counts cases by matter code.
	Matters map[string]int
	// Counters holds, by the store's counter name ("case-YYYYMMDD"), the
	// last daily sequence number used in case numbers, bundle numbers
	// included: the store must continue from there.
	Counters map[string]int64
	// Staff is the synthetic roster whose names and roles appear as the
	// actors of the events (with StaffID 0), for a loader that wants
	// accounts behind them. IDs are left to the store.
	Staff []onedoor.Staff
}

// gen holds the district while it is generated.
type gen struct {
	cfg              Config
	cat              *catalog.Catalog
	cal              *calendar.Calendar
	seed             uint64
	start, end       int64 // Unix seconds
	startDay, endDay int32
	work             *workdays
	season           *season
	district         *district
	regions          *regions
	staff            *staff
	people           []person
	hhFirst          []int32
	orgs             []org
	idSeq            *idSeq
	namePCG          *rand.PCG
	nameRand         *rand.Rand

	targets      []target
	targetIdx    map[string]int16
	bgNatural    []int16
	bgNaturalCum []float64
	bgLegal      []int16
	bgLegalCum   []float64
	follow       map[string][]followUp
	needHistory  bool
	buckets      [][]app
	stock        []stockApp // approvals before the history, in order of intake
}

// salt derives a 64-bit seed for stream k.
func (g *gen) salt(k uint64) uint64 {
	return mix64(g.seed ^ mix64(k+0x9e3779b97f4a7c15))
}

// rng returns the random stream k: each part of the generation draws from
// its own stream, so a change in one does not shift the others.
func (g *gen) rng(k uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.salt(k), g.salt(k+1000)))
}

// Generate builds the district of cfg and passes it to emit batch by
// batch: all persons, then all organisations, then the cases in order of
// intake, each with all its events. It stops at the first error emit
// returns. progress, if not nil, is called after each batch with the
// records emitted so far and an estimate of the total, and finally with
// done equal to total.
func Generate(cfg Config, emit func(*Batch) error, progress func(done, total int)) (Stats, error) {
	if cfg.People < 0 || cfg.Years < 0 || cfg.Batch < 0 {
		return Stats{}, errors.New("synth: People, Years and Batch must not be negative")
	}
	if cfg.People == 0 {
		cfg.People = 20000
	}
	if cfg.Years == 0 {
		cfg.Years = 1
	}
	if cfg.End.IsZero() {
		cfg.End = time.Now()
	}
	if cfg.Batch == 0 {
		cfg.Batch = 5000
	}
	if cfg.Catalog == nil {
		cfg.Catalog = catalog.Builtin()
	}
	if cfg.Calendar == nil {
		cfg.Calendar = calendar.Official()
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	start := cfg.End.In(calendar.Location).AddDate(-cfg.Years, 0, 0)
	if start.Year() < 2001 || cfg.End.Year() > 2099 {
		return Stats{}, fmt.Errorf("synth: the history %s to %s is outside the years 2001–2099 the workflow accepts",
			start.Format(time.DateOnly), cfg.End.Format(time.DateOnly))
	}
	g := &gen{cfg: cfg, cat: cfg.Catalog, cal: cfg.Calendar, seed: uint64(cfg.Seed)}
	g.end, g.start = cfg.End.Unix(), start.Unix()
	g.startDay, g.endDay = dayOf(g.start), dayOf(g.end)
	g.work = newWorkdays(g.cal, g.startDay-30, g.endDay+900)
	g.season = newSeason(g.work, g.cal, g.startDay, g.endDay+1)
	g.district = newDistrict(g.rng(1))
	g.regions = newRegions()
	g.staff = newStaff(g.rng(2), g.cat)
	g.population(g.rng(3))
	g.organisations(g.rng(4))
	g.namePCG = rand.NewPCG(0, 0)
	g.nameRand = rand.New(g.namePCG)
	g.idSeq = newIDSeq(len(g.regions.codes), g.endDay-101*366, g.endDay)

	st := Stats{
		People: len(g.people), Households: len(g.hhFirst) - 1, Orgs: len(g.orgs),
		Communities: len(g.district.communities), Start: utc(g.start), End: utc(g.end),
		Status: map[onedoor.Status]int{}, Matters: map[string]int{}, Staff: slices.Clone(g.staff.roster),
	}
	total := len(g.people) + len(g.orgs) + len(g.people)*cfg.Years
	done := 0
	for i := 0; i < len(g.people); i += cfg.Batch {
		b := &Batch{Persons: make([]Person, 0, min(cfg.Batch, len(g.people)-i))}
		for j := i; j < min(i+cfg.Batch, len(g.people)); j++ {
			b.Persons = append(b.Persons, g.personRecord(j))
		}
		if err := emit(b); err != nil {
			return st, err
		}
		done += len(b.Persons)
		progress(done, total)
	}
	for i := 0; i < len(g.orgs); i += cfg.Batch {
		b := &Batch{Orgs: make([]Org, 0, min(cfg.Batch, len(g.orgs)-i))}
		for j := i; j < min(i+cfg.Batch, len(g.orgs)); j++ {
			b.Orgs = append(b.Orgs, g.orgRecord(j))
		}
		if err := emit(b); err != nil {
			return st, err
		}
		done += len(b.Orgs)
		progress(done, total)
	}

	g.buildTargets()
	g.queueLifeEvents()
	g.queueStock()
	total += len(g.stock)
	err := g.history(&st, func(b *Batch) error {
		if err := emit(b); err != nil {
			return err
		}
		done += len(b.Cases)
		total = max(total, done+1)
		progress(done, total)
		return nil
	})
	if err != nil {
		return st, err
	}
	progress(done, done)
	return st, nil
}

// stamped is an application of the day with its time.
type stamped struct {
	t int64
	a app
}

// history writes the case history: a planner goroutine decides the
// applications day by day and plans their cases in batches; the calling
// goroutine runs each batch through the workflow on every core and emits
// it, in order.
func (g *gen) history(st *Stats, emit func(*Batch) error) error {
	pl := newPlanner(g)
	st.Stock = len(g.stock)
	plans := make(chan []casePlan, 2)
	stop := make(chan struct{})
	var planErr error
	go func() {
		defer close(plans)
		send := func() bool {
			select {
			case plans <- pl.batch:
				pl.batch = nil
				return true
			case <-stop:
				return false
			}
		}
		for _, s := range g.stock {
			pl.planStock(s)
			if len(pl.batch) >= g.cfg.Batch && !send() {
				return
			}
		}
		g.stock = nil
		var day []stamped
		for i := range g.buckets {
			d := g.startDay + int32(i)
			day = day[:0]
			for _, a := range g.buckets[i] {
				var sec int
				if a.flags&aOnline != 0 {
					sec = onlineSec(pl.r)
				} else {
					sec = counterSec(pl.r)
				}
				day = append(day, stamped{instant(d, sec), a})
			}
			g.buckets[i] = nil
			slices.SortStableFunc(day, func(x, y stamped) int {
				switch {
				case x.t < y.t:
					return -1
				case x.t > y.t:
					return 1
				}
				return 0
			})
			for _, s := range day {
				if s.t > g.end {
					continue
				}
				if err := pl.plan(s.a, s.t); err != nil {
					planErr = err
					return
				}
				if len(pl.batch) >= g.cfg.Batch && !send() {
					return
				}
			}
		}
		if len(pl.batch) > 0 {
			send()
		}
	}()

	var err error
	for batch := range plans {
		if err != nil {
			continue // drain, so the planner ends
		}
		var b *Batch
		if b, err = g.execute(batch, st); err == nil {
			err = emit(b)
		}
		if err != nil {
			close(stop)
		}
	}
	if err == nil {
		err = planErr
	}
	pl.closeDay()
	st.Refused = pl.refused
	st.Counters = pl.counters
	return err
}

// execute runs planned cases through the workflow, split over the cores.
func (g *gen) execute(plans []casePlan, st *Stats) (*Batch, error) {
	b := &Batch{Cases: make([]Case, len(plans))}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(plans)/64))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(plans); i += workers {
				c, err := run(&plans[i], g.cal)
				if err != nil {
					errs[w] = err
					return
				}
				b.Cases[i] = c
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	bundles := map[string]bool{}
	for i := range b.Cases {
		c := &b.Cases[i]
		st.Cases++
		st.Events += len(c.Events)
		st.Matters[c.Case.Matter]++
		st.Status[c.Case.Status]++
		if !c.Case.Status.Final() {
			st.Open++
		}
		if c.Licence != nil {
			st.Licences++
		}
		if c.Case.Commitment != "" {
			st.Tolerated++
		}
		for _, x := range c.Events[0].Command.Intake.Materials {
			if x.State == onedoor.MaterialWaived {
				st.Waived++
			}
		}
		if c.Case.Bundle != "" && !bundles[c.Case.Bundle] {
			bundles[c.Case.Bundle] = true
			st.Bundles++
		}
	}
	return b, nil
}

// run performs one planned case: the intake, then each command.
func run(p *casePlan, cal *calendar.Calendar) (Case, error) {
	c, ev, err := workflow.Intake(p.in, cal)
	if err != nil {
		return Case{}, fmt.Errorf("synth: intake of case %s (%s): %w", p.in.Number, p.in.Matter.Code, err)
	}
	c.ID, ev.CaseID = p.id, p.id
	events := make([]onedoor.Event, 1, 1+len(p.cmds))
	events[0] = ev
	for _, cmd := range p.cmds {
		if c, ev, err = workflow.Apply(c, p.in.Matter, cmd, cal); err != nil {
			return Case{}, fmt.Errorf("synth: %s of case %s (%s) at %s: %w", cmd.Action, p.in.Number, p.in.Matter.Code,
				cmd.At.In(calendar.Location).Format(time.DateTime), err)
		}
		events = append(events, ev)
	}
	return Case{Case: c, Events: events, Licence: p.lic, Code: p.code}, nil
}
