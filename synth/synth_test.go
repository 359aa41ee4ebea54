package synth_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/rules"
	"onedoor/synth"
	"onedoor/workflow"
)

// The district most tests look at: 24,000 residents and two years of
// history over 2024 and 2025, which the official calendar covers (two
// Spring Festivals).
var districtConfig = synth.Config{
	People: 24000,
	Years:  2,
	End:    time.Date(2026, 1, 1, 0, 0, 0, 0, calendar.Location),
	Seed:   20140901, // the reform began in September 2014
	Batch:  2000,
}

// district is everything Generate emitted, in order.
type district struct {
	cfg     synth.Config
	stats   synth.Stats
	persons []synth.Person
	orgs    []synth.Org
	cases   []synth.Case
	// kinds lists the kind of each batch in emission order: 'p', 'o', 'c'.
	kinds []byte
}

var (
	districtOnce sync.Once
	shared       *district
	sharedErr    error
)

func generate(t testing.TB, cfg synth.Config) (*district, error) {
	t.Helper()
	d := &district{cfg: cfg}
	st, err := synth.Generate(cfg, func(b *synth.Batch) error {
		n := 0
		if len(b.Persons) > 0 {
			d.kinds = append(d.kinds, 'p')
			n++
		}
		if len(b.Orgs) > 0 {
			d.kinds = append(d.kinds, 'o')
			n++
		}
		if len(b.Cases) > 0 {
			d.kinds = append(d.kinds, 'c')
			n++
		}
		if n != 1 {
			return fmt.Errorf("a batch holds %d kinds of records; want exactly one", n)
		}
		d.persons = append(d.persons, b.Persons...)
		d.orgs = append(d.orgs, b.Orgs...)
		d.cases = append(d.cases, b.Cases...)
		return nil
	}, nil)
	d.stats = st
	return d, err
}

// history is the cases of the history itself, without the stock of
// earlier approvals emitted before them.
func (d *district) history() []synth.Case { return d.cases[d.stats.Stock:] }

func sharedDistrict(t *testing.T) *district {
	t.Helper()
	districtOnce.Do(func() { shared, sharedErr = generate(t, districtConfig) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

var cst = calendar.Location

func ageAt(p *synth.Person, at time.Time) int {
	return onedoor.IDNumber{Birth: p.Birth}.AgeAt(at.In(cst))
}

func between(t *testing.T, name string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %.4f, want within [%.3f, %.3f]", name, got, lo, hi)
	} else {
		t.Logf("%s = %.4f (tolerance %.3f–%.3f)", name, got, lo, hi)
	}
}

func TestDeterministic(t *testing.T) {
	cfg := synth.Config{People: 3000, Years: 1, End: districtConfig.End, Seed: 7, Batch: 700}
	hash := func(cfg synth.Config) string {
		h := sha256.New()
		enc := json.NewEncoder(h)
		_, err := synth.Generate(cfg, func(b *synth.Batch) error { return enc.Encode(b) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	a, b := hash(cfg), hash(cfg)
	if a != b {
		t.Errorf("the same config gave different output: %s and %s", a, b)
	}
	cfg.Seed = 8
	if c := hash(cfg); c == a {
		t.Errorf("seeds 7 and 8 gave the same output %s", a)
	}
}

func TestPopulationCalibration(t *testing.T) {
	d := sharedDistrict(t)
	end := d.cfg.End
	n := float64(len(d.persons))
	if len(d.persons) != d.cfg.People {
		t.Fatalf("%d persons, want %d", len(d.persons), d.cfg.People)
	}
	var kids, working, old, old65, old80, males, migrants, alone60, disabled, dishonest int
	var ageLocal, ageMigrant float64
	var malesLocal, malesMigrant int
	streets := map[string]int{}
	communities := map[string]bool{}
	households := map[int64][]*synth.Person{}
	for i := range d.persons {
		p := &d.persons[i]
		a := ageAt(p, end)
		switch {
		case a < 15:
			kids++
		case a < 60:
			working++
		default:
			old++
			if p.LivesAlone {
				alone60++
			}
		}
		if a >= 65 {
			old65++
		}
		if a >= 80 {
			old80++
		}
		if p.Sex == "M" {
			males++
		}
		if p.Local {
			ageLocal += float64(a)
			if p.Sex == "M" {
				malesLocal++
			}
		} else {
			migrants++
			ageMigrant += float64(a)
			if p.Sex == "M" {
				malesMigrant++
			}
		}
		if p.Disabled {
			disabled++
		}
		if p.Dishonest {
			dishonest++
		}
		streets[p.Street]++
		communities[p.Community] = true
		households[p.Household] = append(households[p.Household], p)
	}
	// Foshan 2020: 15.11% / 74.37% / 10.52% (65+ 7.35%); Chancheng is
	// older, 12–16% aged 60 and over.
	between(t, "share aged 0-14", float64(kids)/n, 0.13, 0.18)
	between(t, "share aged 15-59", float64(working)/n, 0.68, 0.76)
	between(t, "share aged 60+", float64(old)/n, 0.12, 0.16)
	between(t, "share aged 65+", float64(old65)/n, 0.07, 0.11)
	between(t, "80+ among 60+", float64(old80)/float64(old), 0.11, 0.17)
	between(t, "males per 100 females", 100*float64(males)/float64(len(d.persons)-males), 112, 126)
	between(t, "share from outside the city", float64(migrants)/n, 0.48, 0.58)
	between(t, "share of 60+ living alone", float64(alone60)/float64(old), 0.06, 0.10)
	between(t, "share disabled", float64(disabled)/n, 0.02, 0.06)
	between(t, "share dishonest", float64(dishonest)/n, 0.002, 0.01)
	locals := n - float64(migrants)
	if ml, mm := ageLocal/locals, ageMigrant/float64(migrants); mm > ml-5 {
		t.Errorf("mean age of migrants %.1f, of locals %.1f: migrants should be clearly younger", mm, ml)
	}
	if rl, rm := float64(malesLocal)/(locals-float64(malesLocal)), float64(malesMigrant)/float64(migrants-malesMigrant); rm <= rl {
		t.Errorf("sex ratio of migrants %.2f, of locals %.2f: migrants should be more male", rm, rl)
	}

	between(t, "communities", float64(len(communities)), 100, 150)
	if d.stats.Communities != len(communities) {
		t.Errorf("Stats.Communities = %d, residents live in %d", d.stats.Communities, len(communities))
	}
	for name, want := range map[string]float64{"祖庙街道": 0.30, "石湾镇街道": 0.25, "张槎街道": 0.25, "南庄镇": 0.20} {
		between(t, "share living in "+name, float64(streets[name])/n, want-0.04, want+0.04)
	}
	if len(streets) != 4 {
		t.Errorf("residents live in %d units, want the 4 of Chancheng: %v", len(streets), streets)
	}
	if len(households) != d.stats.Households {
		t.Errorf("%d households, Stats.Households = %d", len(households), d.stats.Households)
	}
	for id, ms := range households {
		if len(ms) < 1 || len(ms) > 6 {
			t.Errorf("household %d has %d members, want 1 to 6", id, len(ms))
		}
		for _, p := range ms {
			if p.Community != ms[0].Community || p.Street != ms[0].Street {
				t.Errorf("household %d lives in two places: %s %s and %s %s", id, p.Street, p.Community, ms[0].Street, ms[0].Community)
			}
			if p.LivesAlone != (len(ms) == 1) {
				t.Errorf("person %d of a household of %d has LivesAlone %v", p.ID, len(ms), p.LivesAlone)
			}
		}
	}
}

func TestOrganisations(t *testing.T) {
	d := sharedDistrict(t)
	between(t, "residents per organisation", float64(len(d.persons))/float64(len(d.orgs)), 11, 13)
	kinds, sizes := map[string]int{}, map[string]int{}
	for _, o := range d.orgs {
		kinds[o.Kind]++
		sizes[o.Size]++
	}
	for _, k := range []string{"company", "individual", "farmer_coop", "social_org"} {
		if kinds[k] == 0 {
			t.Errorf("no organisation of kind %s: %v", k, kinds)
		}
	}
	if !(sizes["micro"] > sizes["small"] && sizes["small"] > sizes["medium"] && sizes["medium"] > sizes["large"] && sizes["large"] > 0) {
		t.Errorf("sizes are not skewed small: %v", sizes)
	}
}

func TestIdentifiers(t *testing.T) {
	d := sharedDistrict(t)
	ids := map[string]bool{}
	for _, p := range d.persons {
		id, err := onedoor.ParseIDNumberAt("id_number", p.IDNumber, d.cfg.End)
		if err != nil {
			t.Fatalf("person %d: %v", p.ID, err)
		}
		if ids[id.Number] {
			t.Fatalf("ID number of person %d is used twice", p.ID)
		}
		ids[id.Number] = true
		if !id.Birth.Equal(p.Birth) || id.Region != p.Region || id.Male != (p.Sex == "M") {
			t.Fatalf("person %d: the ID number says born %s in %s, male %v; the record %s, %s, %s",
				p.ID, id.Birth.Format(time.DateOnly), id.Region, id.Male, p.Birth.Format(time.DateOnly), p.Region, p.Sex)
		}
		if p.Local != strings.HasPrefix(p.Region, "4406") {
			t.Fatalf("person %d is local=%v with region %s; locals carry Foshan codes", p.ID, p.Local, p.Region)
		}
		if !strings.HasPrefix(p.IDMasked, p.IDNumber[:4]) || !strings.HasSuffix(p.IDMasked, p.IDNumber[14:]) {
			t.Fatalf("person %d: masked ID %s does not match", p.ID, p.IDMasked)
		}
		if _, err := onedoor.ParsePhone("phone", p.Phone); err != nil {
			t.Fatalf("person %d: %v", p.ID, err)
		}
		if p.Name == "" || p.IDSealed != "" || p.IDIndex != "" {
			t.Fatalf("person %d: name %q, and the sealed fields must be left to the store", p.ID, p.Name)
		}
	}
	codes := map[string]bool{}
	legacy := 0
	for _, o := range d.orgs {
		u, err := onedoor.ParseUSCC("uscc", o.USCC, false)
		if o.Legacy {
			legacy++
			if err == nil {
				t.Errorf("org %d is legacy but %s passes the check", o.ID, o.USCC)
			}
			if u, err = onedoor.ParseUSCC("uscc", o.USCC, true); err != nil || !u.Legacy {
				t.Errorf("org %d: legacy code %s: %v (legacy %v)", o.ID, o.USCC, err, u.Legacy)
			}
		} else if err != nil {
			t.Errorf("org %d: %v", o.ID, err)
		}
		if codes[u.Code] {
			t.Errorf("USCC %s is used twice", o.USCC)
		}
		codes[u.Code] = true
	}
	if legacy == 0 || legacy > len(d.orgs)/50 {
		t.Errorf("%d legacy codes among %d organisations; want a few", legacy, len(d.orgs))
	}

	numbers := map[string]bool{}
	maxSeq := map[string]int64{}
	for _, c := range d.cases {
		day := c.Case.ReceivedAt.In(cst).Format("060102")
		nums := []string{c.Case.Number}
		if c.Case.Bundle != "" {
			if !strings.HasPrefix(c.Case.Bundle, "BD") {
				t.Fatalf("bundle number %s", c.Case.Bundle)
			}
			nums = append(nums, c.Case.Bundle[2:])
		}
		for _, n := range nums {
			if len(n) != 18 || !strings.HasPrefix(n, "440604"+day) {
				t.Fatalf("case number %s of a case received %s", n, c.Case.ReceivedAt.In(cst))
			}
			seq, _ := strconv.ParseInt(n[12:], 10, 64)
			key := "case-20" + day
			maxSeq[key] = max(maxSeq[key], seq)
		}
		if numbers[c.Case.Number] {
			t.Fatalf("case number %s is used twice", c.Case.Number)
		}
		numbers[c.Case.Number] = true
	}
	for day, n := range maxSeq {
		if d.stats.Counters[day] != n {
			t.Errorf("Stats.Counters[%s] = %d, but cases of the day are numbered up to %d", day, d.stats.Counters[day], n)
		}
	}
	if len(maxSeq) != len(d.stats.Counters) {
		t.Errorf("Stats.Counters has %d days, the cases %d", len(d.stats.Counters), len(maxSeq))
	}
}

func TestEmission(t *testing.T) {
	d := sharedDistrict(t)
	order := strings.TrimRight(strings.TrimRight(strings.TrimLeft(string(d.kinds), "p"), "c"), "o")
	if order != "" || !strings.Contains(string(d.kinds), "poc") {
		t.Errorf("batches came in the order %q; want persons, then organisations, then cases", d.kinds)
	}
	for i, p := range d.persons {
		if p.ID != int64(i)+1 {
			t.Fatalf("person %d has ID %d", i+1, p.ID)
		}
	}
	for i, o := range d.orgs {
		if o.ID != int64(i)+1 {
			t.Fatalf("org %d has ID %d", i+1, o.ID)
		}
	}
	st := d.stats
	if st.People != len(d.persons) || st.Orgs != len(d.orgs) || st.Cases != len(d.cases) {
		t.Errorf("Stats count %d/%d/%d, emitted %d/%d/%d", st.People, st.Orgs, st.Cases, len(d.persons), len(d.orgs), len(d.cases))
	}
	events, licences := 0, 0
	last := time.Time{}
	for i, c := range d.cases {
		if c.Case.ID != int64(i)+1 {
			t.Fatalf("case %d has ID %d", i+1, c.Case.ID)
		}
		if c.Case.ReceivedAt.Before(last) {
			t.Fatalf("case %s received %s after a case received %s", c.Case.Number, c.Case.ReceivedAt, last)
		}
		last = c.Case.ReceivedAt
		if stock := i < st.Stock; c.Case.ReceivedAt.Before(st.Start) != stock {
			t.Fatalf("case %s (stock: %v) received %s; the history starts %s", c.Case.Number, stock, c.Case.ReceivedAt, st.Start)
		}
		n := int64(len(d.persons))
		if c.Case.Subject == onedoor.Legal {
			n = int64(len(d.orgs))
		}
		if c.Case.ApplicantID < 1 || c.Case.ApplicantID > n {
			t.Fatalf("case %s names %s applicant %d, not emitted", c.Case.Number, c.Case.Subject, c.Case.ApplicantID)
		}
		if len(c.Code) != 8 {
			t.Fatalf("case %s has verification code %q", c.Case.Number, c.Code)
		}
		for _, e := range c.Events {
			if e.CaseID != c.Case.ID || e.CaseNumber != c.Case.Number || e.Seq != 0 || e.Hash != "" {
				t.Fatalf("case %s: event %+v", c.Case.Number, e)
			}
			if e.At.After(st.End) {
				t.Fatalf("case %s has an event at %s, after the end %s", c.Case.Number, e.At, st.End)
			}
		}
		events += len(c.Events)
		if c.Licence != nil {
			licences++
			complete := c.Events[slices.IndexFunc(c.Events, func(e onedoor.Event) bool { return e.Type == onedoor.ActionComplete })]
			l := c.Licence
			if l.Number != l.Type+"-"+c.Case.Number || l.Number != c.Case.Licence || !l.IssuedAt.Equal(complete.At) ||
				l.HolderID != c.Case.ApplicantID || l.Subject != c.Case.Subject || l.CaseNumber != c.Case.Number ||
				l.ValidFrom != complete.At.In(cst).Format(time.DateOnly) || l.Signature != "" {
				t.Fatalf("case %s issued licence %+v", c.Case.Number, l)
			}
		} else if c.Case.Licence != "" {
			t.Fatalf("case %s issued licence %s but has no Licence", c.Case.Number, c.Case.Licence)
		}
	}
	if st.Events != events || st.Licences != licences {
		t.Errorf("Stats count %d events and %d licences, emitted %d and %d", st.Events, st.Licences, events, licences)
	}
}

// TestReplay proves that every case is one the workflow can reach: its
// events replay to exactly the case emitted.
func TestReplay(t *testing.T) {
	d := sharedDistrict(t)
	cat, cal := catalog.Builtin(), calendar.Official()
	for _, c := range d.cases {
		m, ok := cat.MatterVersion(c.Case.Matter, c.Case.MatterVersion)
		if !ok {
			t.Fatalf("case %s: no matter %s v%d", c.Case.Number, c.Case.Matter, c.Case.MatterVersion)
		}
		got, err := workflow.Replay(m, c.Events, cal)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.Case) {
			t.Fatalf("case %s replays to\n%+v\nnot\n%+v", c.Case.Number, got, c.Case)
		}
	}
}

// TestDue recomputes the promised date of a sample of cases from the
// calendar.
func TestDue(t *testing.T) {
	d := sharedDistrict(t)
	cat, cal := catalog.Builtin(), calendar.Official()
	checked := 0
	for i := 0; i < len(d.cases); i += 7 {
		c := d.cases[i].Case
		if c.AcceptedAt == nil || c.PausedSince != "" {
			continue
		}
		m, _ := cat.MatterVersion(c.Matter, c.MatterVersion)
		start, _ := workflow.ClockStart(c, cal)
		want := cal.AddWorkdays(cal.NextOpen(*c.AcceptedAt), m.PromisedLimit+c.ExtendedDays+c.PausedDays).Format(time.DateOnly)
		if !start.Equal(cal.NextOpen(*c.AcceptedAt)) {
			t.Fatalf("case %s accepted %s: the clock starts at %s, not when the window next opens", c.Number, c.AcceptedAt.In(cst), start.In(cst))
		}
		if c.Due != want {
			t.Fatalf("case %s accepted %s under a limit of %d (+%d extended, +%d paused) is due %s, want %s",
				c.Number, c.AcceptedAt.In(cst), m.PromisedLimit, c.ExtendedDays, c.PausedDays, c.Due, want)
		}
		checked++
	}
	if checked < 1000 {
		t.Errorf("only %d cases checked", checked)
	}
}

func TestCaseVolume(t *testing.T) {
	d := sharedDistrict(t)
	years := float64(d.cfg.Years)
	between(t, "cases per resident per year", float64(len(d.history()))/float64(len(d.persons))/years, 0.8, 1.2)
	births := d.stats.Matters["HEALTH-001"]
	between(t, "births per resident per year", float64(births)/float64(len(d.persons))/years, 0.005, 0.012)

	// Heavy tail: the most popular tenth of the catalog carries most cases.
	byMatter := map[string]int{}
	for _, c := range d.history() {
		byMatter[c.Case.Matter]++
	}
	counts := make([]int, 0, len(byMatter))
	for _, n := range byMatter {
		counts = append(counts, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	top := 0
	for _, n := range counts[:len(catalog.Builtin().Latest())/10] {
		top += n
	}
	between(t, "share of cases in the top 10% of matters", float64(top)/float64(len(d.history())), 0.5, 0.9)
	if len(counts) < 150 {
		t.Errorf("only %d matters have cases", len(counts))
	}
}

func TestSeasonality(t *testing.T) {
	d := sharedDistrict(t)
	cal := calendar.Official()
	weekOf := func(at time.Time) string {
		y, w := at.In(cst).ISOWeek()
		return fmt.Sprintf("%d-%02d", y, w)
	}
	weeks := map[string]int{}
	for _, c := range d.history() {
		weeks[weekOf(c.Case.ReceivedAt)]++
	}
	festival := map[string]bool{}
	for day := d.stats.Start; day.Before(d.stats.End); day = day.AddDate(0, 0, 1) {
		if name, ok := cal.Holiday(day); ok && name == "春节" {
			festival[weekOf(day)] = true
		}
	}
	if len(festival) == 0 {
		t.Fatal("no Spring Festival in the history")
	}
	full := 0
	for w, n := range weeks {
		if w != weekOf(d.stats.Start) && w != weekOf(d.stats.End.Add(-time.Second)) {
			full += n
		}
	}
	mean := float64(full) / float64(len(weeks)-2)
	inFestival := 0
	for w := range festival {
		t.Logf("Spring Festival week %s: %d cases; an average week %.0f", w, weeks[w], mean)
		if float64(weeks[w]) >= mean {
			t.Errorf("Spring Festival week %s has %d cases, an average week %.0f", w, weeks[w], mean)
		}
		inFestival += weeks[w]
	}
	between(t, "cases in Spring Festival weeks against average weeks", float64(inFestival)/(mean*float64(len(festival))), 0.2, 0.75)
}

// TestWorkingHours checks that nobody works at the window or in the back
// office when the calendar says it is not a working day, and that the
// portal is used then.
func TestWorkingHours(t *testing.T) {
	d := sharedDistrict(t)
	cal := calendar.Official()
	onlineOff := 0
	for _, c := range d.cases {
		for _, e := range c.Events {
			at := e.At.In(cst)
			sec := at.Hour()*3600 + at.Minute()*60 + at.Second()
			staff := e.Command.Actor.Role == onedoor.RoleClerk || e.Command.Actor.Role == onedoor.RoleOfficer || e.Command.Actor.Role == onedoor.RoleLeader
			if !staff {
				if e.Type == onedoor.ActionIntake && !cal.IsWorkday(at) {
					onlineOff++
				}
				continue
			}
			if !cal.IsWorkday(at) || sec < 8*3600+30*60 || sec > 17*3600+30*60 {
				t.Fatalf("case %s: %s by a %s at %s, outside working hours", c.Case.Number, e.Type, e.Command.Actor.Role, at)
			}
			if e.Type == onedoor.ActionIntake && c.Case.Channel != workflow.Counter {
				t.Fatalf("case %s: intake by a clerk on channel %s", c.Case.Number, c.Case.Channel)
			}
		}
	}
	if onlineOff == 0 {
		t.Error("no online application on a day off")
	}
}

func TestOutcomes(t *testing.T) {
	d := sharedDistrict(t)
	cat, cal := catalog.Builtin(), calendar.Official()
	actions := map[onedoor.Action]int{}
	overdue, afterHours, tolerated := 0, 0, 0
	var lastWeeks, lastWeeksOpen, older, olderOpen int
	dishonest := map[int64]bool{}
	for _, p := range d.persons {
		dishonest[p.ID] = p.Dishonest
	}
	status := map[onedoor.Status]int{}
	for _, c := range d.history() {
		status[c.Case.Status]++
		for _, e := range c.Events {
			actions[e.Type]++
			switch e.Type {
			case onedoor.ActionReject, onedoor.ActionRequestSupplement, onedoor.ActionSuspend, onedoor.ActionExtend, onedoor.ActionReturn:
				if e.Command.Reason == "" {
					t.Fatalf("case %s: %s without a reason", c.Case.Number, e.Type)
				}
			}
		}
		if c.Case.Commitment != "" {
			tolerated++
			if c.Case.Subject == onedoor.Natural && dishonest[c.Case.ApplicantID] {
				t.Errorf("case %s accepted under commitment from a dishonest applicant", c.Case.Number)
			}
		}
		if c.Case.Due != "" {
			for _, e := range c.Events {
				if e.Type != onedoor.ActionComplete || e.At.In(cst).Format(time.DateOnly) <= c.Case.Due {
					continue
				}
				// A same-day matter (即办件) applied for outside office hours
				// is received, and done, when the window next opens: it is
				// late only for the reasons any case is (a pause, a slow
				// step), not for the hour it arrived at.
				m, _ := cat.MatterVersion(c.Case.Matter, c.Case.MatterVersion)
				if m.PromisedLimit == 0 && c.Case.AcceptedAt != nil && !cal.IsOpen(*c.Case.AcceptedAt) {
					afterHours++
				} else {
					overdue++
				}
			}
		}
		switch age := d.stats.End.Sub(c.Case.ReceivedAt); {
		case age < 14*24*time.Hour:
			lastWeeks++
			if !c.Case.Status.Final() {
				lastWeeksOpen++
			}
		case age > 90*24*time.Hour:
			older++
			if !c.Case.Status.Final() && c.Case.Status != onedoor.StatusCompleted {
				olderOpen++
			}
		}
	}
	t.Logf("statuses %v; actions %v; %d overdue (and %d same-day matters accepted after hours); %d under commitment", status, actions, overdue, afterHours, tolerated)
	n := float64(len(d.history()))
	between(t, "share delivered", float64(status[onedoor.StatusDelivered])/n, 0.85, 0.99)
	between(t, "share rejected", float64(status[onedoor.StatusRejected])/n, 0.005, 0.05)
	between(t, "share with a supplement request", float64(actions[onedoor.ActionRequestSupplement])/n, 0.01, 0.08)
	between(t, "share under commitment", float64(tolerated)/n, 0.005, 0.06)
	between(t, "share overdue", float64(overdue)/n, 0.001, 0.03)
	between(t, "share overdue, same-day matters accepted after hours", float64(afterHours)/n, 0, 0.003)
	for _, a := range []onedoor.Action{onedoor.ActionSuspend, onedoor.ActionResume, onedoor.ActionExtend, onedoor.ActionReturn, onedoor.ActionSupply} {
		if actions[a] == 0 {
			t.Errorf("no %s in the history", a)
		}
	}
	if tolerated != d.stats.Tolerated {
		t.Errorf("Stats.Tolerated = %d, counted %d", d.stats.Tolerated, tolerated)
	}
	// The cases of the last weeks are still open; older ones are closed
	// but for a few abandoned, and results nobody came for.
	between(t, "share open among cases of the last two weeks", float64(lastWeeksOpen)/float64(lastWeeks), 0.2, 0.8)
	between(t, "share open (not awaiting collection) among cases older than 90 days", float64(olderOpen)/float64(older), 0, 0.01)
	for _, s := range []onedoor.Status{onedoor.StatusInProgress, onedoor.StatusReceived, onedoor.StatusCompleted} {
		if status[s] == 0 {
			t.Errorf("no case ends %s", s)
		}
	}
}

// TestLicenceReuse checks that e-licences are really reused: materials
// are waived by licences that earlier cases issued to the same holder, and
// by no other.
func TestLicenceReuse(t *testing.T) {
	d := sharedDistrict(t)
	type key struct {
		subject onedoor.SubjectType
		holder  int64
	}
	issued := map[string]*onedoor.Licence{}
	waived, reused := 0, map[string]int{}
	for _, c := range d.cases {
		intake := c.Events[0]
		for _, x := range intake.Command.Intake.Materials {
			if x.State != onedoor.MaterialWaived {
				continue
			}
			waived++
			l := issued[x.Licence]
			if l == nil {
				t.Fatalf("case %s: material %s waived by licence %s, which no earlier case issued", c.Case.Number, x.Code, x.Licence)
			}
			if (key{l.Subject, l.HolderID}) != (key{c.Case.Subject, c.Case.ApplicantID}) || l.IssuedAt.After(intake.At) {
				t.Fatalf("case %s: material %s waived by licence %s of another holder or issued later", c.Case.Number, x.Code, x.Licence)
			}
			reused[l.Type]++
		}
		if c.Licence != nil {
			issued[c.Licence.Number] = c.Licence
		}
	}
	t.Logf("%d materials waived; by licence type: %v", waived, reused)
	if waived < len(d.cases)/20 || len(reused) < 8 {
		t.Errorf("%d materials waived by %d licence types in %d cases; reuse should be common", waived, len(reused), len(d.cases))
	}
	if waived != d.stats.Waived {
		t.Errorf("Stats.Waived = %d, counted %d", d.stats.Waived, waived)
	}
}

// TestEligibility re-evaluates every case's condition with the attributes
// the store would compute for the applicant at intake.
func TestEligibility(t *testing.T) {
	d := sharedDistrict(t)
	cat := catalog.Builtin()
	pa, oa := rules.NewAttrs(rules.Person), rules.NewAttrs(rules.Org)
	type key struct {
		subject onedoor.SubjectType
		holder  int64
	}
	held := map[key][]*onedoor.Licence{}
	var pending []*onedoor.Licence // issued, in order of issue
	for _, c := range d.cases {
		if c.Licence != nil {
			pending = append(pending, c.Licence)
		}
	}
	sort.SliceStable(pending, func(i, j int) bool { return pending[i].IssuedAt.Before(pending[j].IssuedAt) })
	next := 0
	for _, c := range d.cases {
		at := c.Case.ReceivedAt
		for next < len(pending) && !pending[next].IssuedAt.After(at) {
			l := pending[next]
			held[key{l.Subject, l.HolderID}] = append(held[key{l.Subject, l.HolderID}], l)
			next++
		}
		day := at.In(cst).Format(time.DateOnly)
		types := []string{}
		for _, l := range held[key{c.Case.Subject, c.Case.ApplicantID}] {
			if l.ValidOn(day) && !slices.Contains(types, l.Type) {
				types = append(types, l.Type)
			}
		}
		rule := cat.Condition(c.Case.Matter, c.Case.MatterVersion)
		if rule == nil {
			continue
		}
		var a *rules.Attrs
		if c.Case.Subject == onedoor.Natural {
			p := &d.persons[c.Case.ApplicantID-1]
			a = pa
			a.SetInt("age", int64(ageAt(p, at)))
			a.SetString("sex", p.Sex)
			a.SetBool("local", p.Local)
			a.SetString("street", p.Street)
			a.SetString("community", p.Community)
			a.SetBool("lives_alone", p.LivesAlone)
			a.SetBool("disabled", p.Disabled)
			a.SetBool("dishonest", p.Dishonest)
		} else {
			o := &d.orgs[c.Case.ApplicantID-1]
			a = oa
			a.SetString("org_kind", o.Kind)
			a.SetString("org_size", o.Size)
			a.SetInt("years_registered", int64(at.Sub(o.Registered).Hours()/24/365.25))
			a.SetString("street", o.Street)
			a.SetBool("dishonest", o.Dishonest)
		}
		a.SetStrings("licences", types)
		ok, err := rule.Eval(a)
		if err != nil || !ok {
			t.Fatalf("case %s: the applicant does not meet the condition of %s (%s): %v", c.Case.Number, c.Case.Matter, rule.Source(), err)
		}
	}
}

// TestLifeEvents checks that the history follows from the residents: who
// applies for what, and when.
func TestLifeEvents(t *testing.T) {
	d := sharedDistrict(t)
	person := func(c *synth.Case) *synth.Person { return &d.persons[c.Case.ApplicantID-1] }
	var ageIll, ageAll float64
	var nIll, nAll int
	retired, ill := map[int64]bool{}, map[int64]bool{}
	bundles := map[string]bool{}
	for i := range d.cases {
		c := &d.cases[i]
		if c.Case.BundleCode != "" {
			bundles[c.Case.BundleCode] = true
		}
		if c.Case.Subject != onedoor.Natural {
			if c.Case.Matter == "MKT-001" {
				if o := d.orgs[c.Case.ApplicantID-1]; o.Kind != "company" {
					t.Errorf("case %s registers a company for a %s", c.Case.Number, o.Kind)
				}
			}
			continue
		}
		p := person(c)
		age := ageAt(p, c.Case.ReceivedAt)
		ageAll += float64(age)
		nAll++
		switch c.Case.Matter {
		case "PSB-002", "PSB-016", "EDU-002":
			if p.Local {
				t.Errorf("case %s: %s for a local", c.Case.Number, c.Case.Matter)
			}
		case "HEALTH-001":
			if born := c.Case.ReceivedAt.Sub(p.Birth); born < 0 || born > 20*24*time.Hour {
				t.Errorf("case %s: birth certificate for someone born %s", c.Case.Number, p.Birth.Format(time.DateOnly))
			}
		case "HRSS-001":
			retired[p.ID] = true
			if (p.Sex == "M" && age < 60) || age < 50 {
				t.Errorf("case %s: pension for a %s aged %d", c.Case.Number, p.Sex, age)
			}
		case "MED-001":
			ill[p.ID] = true
			ageIll += float64(age)
			nIll++
		}
	}
	if nIll > 0 && ageIll/float64(nIll) < ageAll/float64(nAll)+10 {
		t.Errorf("serious-illness claimants are %.1f on average, all applicants %.1f: illness should rise with age", ageIll/float64(nIll), ageAll/float64(nAll))
	}
	for _, b := range []string{"BD-NEWBORN", "BD-RETIRE", "BD-BUSINESS", "BD-RESTAURANT", "BD-DEATH", "BD-ELDERLY"} {
		if !bundles[b] {
			t.Errorf("no %s in the history", b)
		}
	}
	// R9: retirees who also claimed serious-illness insurance.
	both := 0
	for id := range retired {
		if ill[id] {
			both++
		}
	}
	t.Logf("%d retirees, %d serious-illness claimants, %d both", len(retired), len(ill), both)
	if nIll == 0 {
		t.Error("no serious-illness claims")
	}
}

// TestStock checks the stock of approvals before the history: the pensions
// today's elderly draw, confirmed once in a life in the year they became
// entitled, each an approved case marked as a migrated record, so that the
// reform's own cross-match (R9: elderly with a confirmed pension × elderly
// who claimed serious-illness insurance) finds them.
func TestStock(t *testing.T) {
	d := sharedDistrict(t)
	st := d.stats
	if st.Stock < len(d.persons)/20 {
		t.Fatalf("a stock of %d cases for %d residents", st.Stock, len(d.persons))
	}
	cat := catalog.Builtin()
	pension := map[int64][]string{} // person → pension cases approved, stock and history
	ill := map[int64]bool{}         // claimed serious-illness insurance in the history
	for i, c := range d.cases {
		p := &d.persons[c.Case.ApplicantID-1]
		switch c.Case.Matter {
		case "HRSS-001", "HRSS-002":
			if c.Case.Status == onedoor.StatusCompleted || c.Case.Status == onedoor.StatusDelivered {
				pension[p.ID] = append(pension[p.ID], c.Case.Number)
			}
		case "MED-001":
			ill[p.ID] = true
		}
		if i >= st.Stock {
			continue
		}
		m, ok := cat.MatterVersion(c.Case.Matter, c.Case.MatterVersion)
		if !ok || (m.Code != "HRSS-001" && m.Code != "HRSS-002") {
			t.Fatalf("stock case %s is of matter %s", c.Case.Number, c.Case.Matter)
		}
		want := []onedoor.Action{onedoor.ActionIntake}
		for range m.Steps {
			want = append(want, onedoor.ActionApprove)
		}
		want = append(want, onedoor.ActionComplete, onedoor.ActionDeliver)
		var got []onedoor.Action
		for j, e := range c.Events {
			got = append(got, e.Type)
			if e.Command.Actor.Name != "历史数据迁移" || (j > 0 && !strings.HasPrefix(e.Command.Note, "历史数据迁移")) {
				t.Fatalf("stock case %s: %s by %+v with note %q; want a record marked as migrated", c.Case.Number, e.Type, e.Command.Actor, e.Command.Note)
			}
		}
		if !slices.Equal(got, want) || c.Case.Status != onedoor.StatusDelivered {
			t.Fatalf("stock case %s is %s after %v; want delivered after %v", c.Case.Number, c.Case.Status, got, want)
		}
		if (m.Result.Licence != "") != (c.Licence != nil) || (c.Licence != nil && c.Licence.Type != "pension_decision") {
			t.Fatalf("stock case %s of %s issued %+v", c.Case.Number, m.Code, c.Licence)
		}
		// Confirmed when entitled: at the retirement age (men 60, women 50
		// or 55), the residents' pension at 60 or when the scheme came in
		// 2012, or migrated in 2000 when that was earlier.
		at := c.Case.ReceivedAt.In(cst)
		age := ageAt(p, at)
		switch {
		case at.Year() == 2000:
		case m.Code == "HRSS-001" && p.Sex == "M" && age == 60:
		case m.Code == "HRSS-001" && p.Sex == "F" && (age == 50 || age == 55):
		case m.Code == "HRSS-002" && p.Local && (age == 60 || (at.Year() == 2012 && age > 60)):
		default:
			t.Fatalf("stock case %s: %s for a %s aged %d (local %v) on %s", c.Case.Number, m.Code, p.Sex, age, p.Local, at.Format(time.DateOnly))
		}
	}
	for id, cases := range pension {
		if len(cases) > 1 {
			t.Errorf("resident %d had a pension confirmed %d times: %v", id, len(cases), cases)
		}
	}

	// Today's elderly draw their pensions, and the cross-match finds some
	// of them ill.
	var old, oldLocal, withPension, withPensionLocal, demand int
	end := st.End.Add(-time.Second)
	for _, p := range d.persons {
		if ageAt(&p, end) < 70 {
			continue
		}
		old++
		has := len(pension[p.ID]) > 0
		if has {
			withPension++
		}
		if p.Local {
			oldLocal++
			if has {
				withPensionLocal++
			}
		}
		if has && ill[p.ID] {
			demand++
		}
	}
	between(t, "share of locals aged 70+ with a pension confirmed", float64(withPensionLocal)/float64(oldLocal), 0.85, 0.99)
	between(t, "share of residents aged 70+ with a pension confirmed", float64(withPension)/float64(old), 0.6, 0.99)
	between(t, "aged 70+ with a pension and a serious-illness claim, per thousand a year", float64(demand)*1000/float64(old)/float64(d.cfg.Years), 10, 60)
}

// TestBundleLicencePassedOn: a case of a bundle waiting for the e-licence
// another case of the same application issues (the pension decision of
// BD-RETIRE, the business licence of BD-BUSINESS) gets it from the system,
// as the store does: at the instant it is issued, waived (免提交) with
// that licence's number, never handed in by the applicant.
func TestBundleLicencePassedOn(t *testing.T) {
	d := sharedDistrict(t)
	issued := map[string]time.Time{} // licence number → when its case completed
	for i := range d.cases {
		c := &d.cases[i]
		for _, e := range c.Events {
			if e.Type == onedoor.ActionComplete && e.Command.Licence != "" {
				issued[e.Command.Licence] = e.At
			}
		}
	}
	cat := catalog.Builtin()
	passed := 0
	for i := range d.cases {
		c := &d.cases[i]
		if c.Case.Bundle == "" {
			continue
		}
		for j, e := range c.Events {
			if e.Type != onedoor.ActionSupply || e.Command.Actor.Role != onedoor.RoleSystem || e.Command.Licence == "" {
				continue
			}
			askedAgain := map[string]bool{} // an officer may ask for it again later
			for _, f := range c.Events[j+1:] {
				if f.Type == onedoor.ActionRequestSupplement {
					for _, code := range f.Command.Materials {
						askedAgain[code] = true
					}
				}
			}
			passed++
			at, ok := issued[e.Command.Licence]
			switch {
			case !ok:
				t.Fatalf("case %s: licence %s passed on was never issued", c.Case.Number, e.Command.Licence)
			case !at.Equal(e.At):
				t.Fatalf("case %s: licence %s issued at %s, passed on at %s", c.Case.Number, e.Command.Licence, at, e.At)
			}
			m, _ := cat.MatterVersion(c.Case.Matter, c.Case.MatterVersion)
			for _, code := range e.Command.Materials {
				x, _ := m.Material(code)
				if !strings.HasPrefix(e.Command.Licence, x.Licence+"-") {
					t.Fatalf("case %s: material %s (%s) waived by %s", c.Case.Number, code, x.Licence, e.Command.Licence)
				}
			}
			for _, x := range c.Case.Materials {
				if slices.Contains(e.Command.Materials, x.Code) && !askedAgain[x.Code] && (x.State != onedoor.MaterialWaived || x.Licence != e.Command.Licence) {
					t.Fatalf("case %s: material %s is %s (%s) after the licence was passed on", c.Case.Number, x.Code, x.State, x.Licence)
				}
			}
		}
	}
	if passed == 0 {
		t.Error("no bundle case got a licence from another")
	}
	t.Logf("%d licences passed on within bundles", passed)
}
