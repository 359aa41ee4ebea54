package synth

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"onedoor"
	"onedoor/rules"
	"onedoor/workflow"
)

// casePlan is one case as planned: the intake and every later command.
// Running it through the workflow is left to the executor, which does it
// in parallel: the plan already fixes everything, so the result does not
// depend on the order the executor runs plans in.
type casePlan struct {
	id   int64
	in   workflow.IntakeInput
	cmds []onedoor.Command
	code string
	lic  *onedoor.Licence
}

// heldLic is an e-licence the registry holds for a resident or a firm,
// in 32 bytes: a district issues hundreds of thousands a year. Its number
// is the type and the number of the case that issued it, which is the
// day and the daily sequence.
type heldLic struct {
	issued   int64
	next     int32 // the holder's next licence, as an index into planner.lics; -1 for none
	typ      int32 // index into the catalog's licence types
	caseDay  int32
	caseSeq  int32
	fromDay  int32
	untilDay int32 // noLimit when valid without limit
}

const noLimit = int32(1 << 30)

func (l *heldLic) number(g *gen) string {
	return g.cat.LicenceTypes[l.typ].Code + "-" + caseNumber(l.caseDay, int(l.caseSeq))
}

// histRec is one application of a holder, kept only when a condition asks
// what the applicant applied for or was granted.
type histRec struct {
	matter   string
	applied  int64
	approved int64 // 0 when not (yet) completed
}

// planner writes the history: it takes the day's applications in time
// order, decides each (eligibility, materials, outcome) and plans its
// case. It owns all state that changes as the history is written: the
// registry of e-licences, the case numbers of each day and the follow-ups
// it queues. It is strictly sequential, so the history is a function of
// the seed.
type planner struct {
	g        *gen
	r        *rand.Rand
	person   *rules.Attrs
	org      *rules.Attrs
	lics     []heldLic
	headP    []int32 // first licence of each person, as index+1 into lics; 0 for none
	headO    []int32
	histP    map[int32][]histRec
	histO    map[int32][]histRec
	day      int32
	seq      int
	counters map[string]int64
	nextID   int64
	batch    []casePlan
	refused  int
}

func newPlanner(g *gen) *planner {
	return &planner{
		g:        g,
		r:        g.rng(40),
		person:   rules.NewAttrs(rules.Person),
		org:      rules.NewAttrs(rules.Org),
		headP:    make([]int32, len(g.people)),
		headO:    make([]int32, len(g.orgs)),
		histP:    map[int32][]histRec{},
		histO:    map[int32][]histRec{},
		counters: map[string]int64{},
		nextID:   1,
	}
}

// head returns where the holder's list of licences starts.
func (pl *planner) head(subject onedoor.SubjectType, h int32) *int32 {
	if subject == onedoor.Legal {
		return &pl.headO[h]
	}
	return &pl.headP[h]
}

func (pl *planner) history(subject onedoor.SubjectType) map[int32][]histRec {
	if subject == onedoor.Legal {
		return pl.histO
	}
	return pl.histP
}

// validTypes lists the types of the holder's licences issued by t and
// valid on day d: what the "licences" attribute of a condition sees.
func (pl *planner) validTypes(subject onedoor.SubjectType, h int32, t int64, d int32) []string {
	var out []string
	for i := *pl.head(subject, h) - 1; i >= 0; i = pl.lics[i].next {
		l := &pl.lics[i]
		typ := pl.g.cat.LicenceTypes[l.typ].Code
		if l.issued <= t && l.fromDay <= d && d <= l.untilDay && !slices.Contains(out, typ) {
			out = append(out, typ)
		}
	}
	return out
}

// registry returns the licences the registry holds for the holder at t,
// of any validity, as the store passes them to an intake.
func (pl *planner) registry(subject onedoor.SubjectType, h int32, t int64) []onedoor.Licence {
	var out []onedoor.Licence
	for i := *pl.head(subject, h) - 1; i >= 0; i = pl.lics[i].next {
		l := &pl.lics[i]
		if l.issued > t {
			continue
		}
		typ := pl.g.cat.LicenceTypes[l.typ]
		x := onedoor.Licence{
			Number: l.number(pl.g), Type: typ.Code, Subject: subject, HolderID: int64(h) + 1, Issuer: typ.Department,
			CaseNumber: caseNumber(l.caseDay, int(l.caseSeq)), IssuedAt: utc(l.issued), ValidFrom: dateString(l.fromDay),
		}
		if l.untilDay != noLimit {
			x.ValidUntil = dateString(l.untilDay)
		}
		out = append(out, x)
	}
	return out
}

// attrs sets the condition attributes of the holder at t, as the store
// computes them at intake.
func (pl *planner) attrs(subject onedoor.SubjectType, h int32, t int64, types []string) *rules.Attrs {
	g := pl.g
	d := dayOf(t)
	var a *rules.Attrs
	if subject == onedoor.Legal {
		o := &g.orgs[h]
		a = pl.org
		a.SetString("org_kind", kindNames[o.kind])
		a.SetString("org_size", sizeNames[o.size])
		a.SetInt("years_registered", int64(float64(t-int64(o.registered)*secPerDay)/secPerDay/365.25))
		a.SetString("street", units[g.district.communities[o.comm].unit].name)
		a.SetBool("dishonest", o.has(oDishonest))
	} else {
		p := &g.people[h]
		a = pl.person
		a.SetInt("age", int64(ageAt(p.birth, d)))
		if p.has(fMale) {
			a.SetString("sex", "M")
		} else {
			a.SetString("sex", "F")
		}
		c := g.district.communities[p.comm]
		a.SetBool("local", p.has(fLocal))
		a.SetString("street", units[c.unit].name)
		a.SetString("community", c.name)
		a.SetBool("lives_alone", p.has(fAlone))
		a.SetBool("disabled", p.has(fDisabled))
		a.SetBool("dishonest", p.has(fDishonest))
	}
	a.SetStrings("licences", types)
	if g.needHistory {
		applied, approved := []string{}, []string{}
		for _, x := range pl.history(subject)[h] {
			applied = append(applied, x.matter)
			if x.approved != 0 && x.approved <= t {
				approved = append(approved, x.matter)
			}
		}
		a.SetStrings("applied", applied)
		a.SetStrings("approved", approved)
	}
	return a
}

// eligible evaluates every condition of the target for the holder at t.
func (pl *planner) eligible(tg *target, h int32, t int64, types []string) (bool, error) {
	var a *rules.Attrs
	for _, rule := range tg.rules {
		if rule == nil {
			continue
		}
		if a == nil {
			a = pl.attrs(tg.subject, h, t, types)
		}
		ok, err := rule.Eval(a)
		if err != nil {
			return false, fmt.Errorf("synth: condition of %s: %w", tg.code, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// background draws the matter of a background application from the
// heavy-tailed popularity, trying again a few times when the applicant is
// not of the matter's age, line of business or condition. A target of -1
// means the application is not made.
func (pl *planner) background(a app, t int64, types []string) (int16, error) {
	g := pl.g
	list, cum := g.bgNatural, g.bgNaturalCum
	if a.target == bgLegal {
		list, cum = g.bgLegal, g.bgLegalCum
	}
	if len(list) == 0 {
		return -1, nil
	}
	for range 6 {
		ti := list[pick(pl.r, cum)]
		tg := &g.targets[ti]
		if a.flags&aOnline != 0 && tg.online == 0 {
			continue
		}
		if a.target == bgNatural {
			if age := ageAt(g.people[a.holder].birth, dayOf(t)); age < tg.ages[0] || age > tg.ages[1] {
				continue
			}
		} else if len(tg.tags) > 0 && !slices.Contains(tg.tags, industries[g.orgs[a.holder].industry].tag) {
			continue
		}
		ok, err := pl.eligible(tg, a.holder, t, types)
		if err != nil || ok {
			return ti, err
		}
	}
	return -1, nil
}

// number gives the next case number of day d, as the store does:
// district code, date, daily sequence.
func (pl *planner) number(d int32) string {
	if d != pl.day {
		pl.closeDay()
		pl.day, pl.seq = d, 0
	}
	pl.seq++
	return caseNumber(d, pl.seq)
}

// closeDay records the last sequence number of the day being numbered
// under the store's counter name.
func (pl *planner) closeDay() {
	if pl.seq > 0 {
		y, m, dd := civil(pl.day)
		pl.counters[fmt.Sprintf("case-%04d%02d%02d", y, m, dd)] = int64(pl.seq)
	}
}

// caseNumber is the number of the seq-th case of day d.
func caseNumber(d int32, seq int) string {
	y, m, dd := civil(d)
	b := []byte("440604yymmddssssss")
	for i, v := range [...]int{y % 100, m, dd} {
		b[6+2*i], b[7+2*i] = byte('0'+v/10), byte('0'+v%10)
	}
	for i := 17; i >= 12; i-- {
		b[i] = byte('0' + seq%10)
		seq /= 10
	}
	return string(b)
}

// codeAlphabet is the store's alphabet of verification codes.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func (pl *planner) code() string {
	var b [8]byte
	for i := range b {
		b[i] = codeAlphabet[pl.r.IntN(len(codeAlphabet))]
	}
	return string(b[:])
}

// matPlan is how one case's materials stand at intake.
type matPlan struct {
	provided  []string
	missing   []string // required and not handed in: the one-time notice
	tolerated []string // missing under commitment (容缺)
	shared    []string // issued by another case of the same bundle, passed on when it completes
}

// materials decides what the applicant hands in. Whatever an e-licence
// the registry holds covers is not handed in (免提交). Most applicants
// bring everything required; some miss a minor material and sign a
// commitment (never those on the dishonesty list); some miss something
// and get the one-time notice.
func (pl *planner) materials(tg *target, valid []string, dishonest bool) ([]matPlan, bool) {
	r := pl.r
	issued := map[string]int{} // licence type → first member issuing it
	if tg.bundle != nil {
		for j, m := range tg.matters {
			if _, ok := issued[m.Result.Licence]; m.Result.Licence != "" && !ok {
				issued[m.Result.Licence] = j
			}
		}
	}
	plans := make([]matPlan, len(tg.matters))
	type req struct {
		tolerable, required bool
	}
	// A commitment runs to the promised date, so a matter done on the day
	// (即办件) takes none.
	need := map[string][]req{} // code → how each member that lists it needs it
	var codes []string         // every code to decide, in first-seen order
	anyShared := false
	for j, m := range tg.matters {
		for _, x := range m.Materials {
			if x.Licence != "" && slices.Contains(valid, x.Licence) {
				continue // waived
			}
			// A bundle lists its matters in the order of the process: a
			// licence an earlier one issues is passed on to a later one
			// (the pension decision to medical insurance); a later one's
			// result is not what an earlier one asks for (the buyer's
			// new title is not the seller's title a contract needs).
			if k, ok := issued[x.Licence]; ok && x.Licence != "" && k < j {
				if x.Required {
					plans[j].shared = append(plans[j].shared, x.Code)
					anyShared = true
				}
				continue
			}
			if _, ok := need[x.Code]; !ok {
				codes = append(codes, x.Code)
			}
			need[x.Code] = append(need[x.Code], req{x.Tolerable && m.PromisedLimit > 0, x.Required})
		}
	}
	// Which codes may be left out: tolerable wherever they are required.
	var tolerable, required []string
	for _, c := range codes {
		isReq, allTol := false, true
		for _, q := range need[c] {
			if q.required {
				isReq = true
				allTol = allTol && q.tolerable
			}
		}
		if isReq {
			required = append(required, c)
			if allTol {
				tolerable = append(tolerable, c)
			}
		}
	}
	var omit []string
	tolerate := false
	u := r.Float64()
	switch {
	case len(tolerable) > 0 && !dishonest && !anyShared && u < 0.07:
		tolerate = true
		omit = append(omit, tolerable[r.IntN(len(tolerable))])
		if len(tolerable) > 1 && r.Float64() < 0.25 {
			if c := tolerable[r.IntN(len(tolerable))]; c != omit[0] {
				omit = append(omit, c)
			}
		}
	case len(required) > 0 && tg.bundle == nil && u < 0.115:
		omit = append(omit, required[r.IntN(len(required))])
	}
	var given []string
	for _, c := range codes {
		isReq := slices.Contains(required, c)
		if slices.Contains(omit, c) || (!isReq && r.Float64() >= 0.55) {
			continue
		}
		given = append(given, c)
	}
	for j, m := range tg.matters {
		for _, x := range m.Materials {
			switch {
			case slices.Contains(given, x.Code):
				plans[j].provided = append(plans[j].provided, x.Code)
			case x.Required && slices.Contains(omit, x.Code):
				if tolerate {
					plans[j].tolerated = append(plans[j].tolerated, x.Code)
				} else {
					plans[j].missing = append(plans[j].missing, x.Code)
				}
			}
		}
	}
	return plans, tolerate
}

// commitment is the 容缺 commitment applicants sign.
const commitment = "本人承诺在承诺办结时限内补齐所缺材料，所提交材料真实有效，逾期未补齐的，愿意承担由此产生的法律责任。"

// applicant is the actor of an online application: the applicant, who
// has no staff role.
var applicant = onedoor.Actor{Name: "申请人"}

// plan decides one application made at time t and plans its cases.
func (pl *planner) plan(a app, t int64) error {
	g := pl.g
	d := dayOf(t)
	subject := onedoor.Natural
	if a.target == bgLegal || (a.target >= 0 && g.targets[a.target].subject == onedoor.Legal) {
		subject = onedoor.Legal
	}
	types := pl.validTypes(subject, a.holder, t, d)
	ti := a.target
	if ti < 0 {
		var err error
		if ti, err = pl.background(a, t, types); err != nil {
			return err
		}
		if ti < 0 {
			pl.refused++
			return nil
		}
	} else {
		ok, err := pl.eligible(&g.targets[ti], a.holder, t, types)
		if err != nil {
			return err
		}
		if !ok {
			pl.refused++
			return nil
		}
	}
	tg := &g.targets[ti]
	must := a.flags&aMust != 0
	online := a.flags&aOnline != 0
	dishonest := false
	if subject == onedoor.Legal {
		dishonest = g.orgs[a.holder].has(oDishonest)
	} else {
		dishonest = g.people[a.holder].has(fDishonest)
	}

	bundleNo := ""
	if tg.bundle != nil {
		bundleNo = "BD" + pl.number(d)
	}
	numbers := make([]string, len(tg.matters))
	for j := range numbers {
		numbers[j] = pl.number(d)
	}
	code := pl.code()
	channel, actor := workflow.Counter, g.staff.actor(pl.r, onedoor.RoleClerk, "")
	if online {
		channel, actor = workflow.Online, applicant
	}
	delivery := pl.delivery(tg)
	mats, tolerate := pl.materials(tg, types, dishonest)
	reg := pl.registry(subject, a.holder, t)

	// Simulate the cases: those that wait for another's licence after it.
	outs := make([]simOut, len(tg.matters))
	issuedAt := map[string]int64{}  // licence type → when a case of the bundle issued it
	issuedNo := map[string]string{} // licence type → its number
	order := make([]int, 0, len(tg.matters))
	for j := range tg.matters {
		if len(mats[j].shared) == 0 {
			order = append(order, j)
		}
	}
	for j := range tg.matters {
		if len(mats[j].shared) > 0 {
			order = append(order, j)
		}
	}
	for _, j := range order {
		m := tg.matters[j]
		var gates []gate
		for _, c := range mats[j].shared {
			x, _ := m.Material(c)
			at, ok := issuedAt[x.Licence]
			if !ok {
				gates = nil
				break
			}
			k := slices.IndexFunc(gates, func(y gate) bool { return y.lic == issuedNo[x.Licence] })
			if k < 0 {
				gates = append(gates, gate{at: at, lic: issuedNo[x.Licence]})
				k = len(gates) - 1
			}
			gates[k].codes = append(gates[k].codes, c)
		}
		slices.SortStableFunc(gates, func(a, b gate) int { return cmp.Compare(a.at, b.at) })
		gating := false // does another case of the bundle wait for this one?
		for k := range tg.matters {
			for _, c := range mats[k].shared {
				if x, _ := tg.matters[k].Material(c); x.Licence == m.Result.Licence {
					gating = true
				}
			}
		}
		outs[j] = pl.simulate(&simIn{
			m: m, number: numbers[j], intakeAt: t, online: online, delivery: delivery,
			mats: mats[j], gates: gates, must: must || gating, bundled: tg.bundle != nil,
		})
		if outs[j].completeAt > 0 && m.Result.Licence != "" {
			issuedAt[m.Result.Licence] = outs[j].completeAt
			issuedNo[m.Result.Licence] = m.Result.Licence + "-" + numbers[j] // as issue numbers it
		}
	}
	if tg.bundle != nil {
		pl.deliverBundle(outs, delivery)
	}

	for j, m := range tg.matters {
		out := &outs[j]
		cut := slices.IndexFunc(out.cmds, func(c onedoor.Command) bool { return c.At.Unix() > g.end })
		if cut >= 0 {
			out.cmds = out.cmds[:cut]
		}
		completed := out.completeAt > 0 && out.completeAt <= g.end
		in := workflow.IntakeInput{
			Matter: m, Number: numbers[j], Bundle: bundleNo, Subject: subject, ApplicantID: int64(a.holder) + 1,
			Provided: mats[j].provided, Licences: reg, Tolerate: tolerate, Dishonest: dishonest,
			Channel: channel, Delivery: delivery, Actor: actor, At: utc(t),
		}
		if tolerate {
			in.Commitment = commitment
		}
		if tg.bundle != nil {
			in.BundleCode = tg.bundle.Code
		}
		p := casePlan{id: pl.nextID, in: in, cmds: out.cmds, code: code}
		pl.nextID++
		if completed && m.Result.Licence != "" {
			p.lic = pl.issue(subject, a.holder, m, numbers[j], out.completeAt)
		}
		if g.needHistory {
			rec := histRec{matter: m.Code, applied: t}
			if completed {
				rec.approved = out.completeAt
			}
			hist := pl.history(subject)
			hist[a.holder] = append(hist[a.holder], rec)
		}
		if completed {
			pl.followUps(m.Code, tg.bundle != nil, a.holder, out.completeAt)
		}
		pl.batch = append(pl.batch, p)
	}
	return nil
}

// delivery chooses how the result is to reach the applicant.
func (pl *planner) delivery(tg *target) onedoor.Channel {
	r := pl.r
	chs := tg.matters[0].Delivery
	if tg.bundle != nil {
		chs = tg.bundle.Delivery
	} else if m := tg.matters[0]; m.Result.Licence != "" && m.Delivers(onedoor.ChannelELicence) && r.Float64() < 0.45 {
		return onedoor.ChannelELicence
	}
	counter, post := slices.Contains(chs, onedoor.ChannelCounter), slices.Contains(chs, onedoor.ChannelPost)
	switch {
	case counter && post:
		if r.Float64() < 0.65 {
			return onedoor.ChannelCounter
		}
		return onedoor.ChannelPost
	case counter:
		return onedoor.ChannelCounter
	case post:
		return onedoor.ChannelPost
	}
	return chs[0]
}

// issue records the e-licence a completed case issues, numbered and dated
// as the store does it.
func (pl *planner) issue(subject onedoor.SubjectType, h int32, m *onedoor.Matter, number string, at int64) *onedoor.Licence {
	typ := m.Result.Licence
	d := dayOf(at)
	l := &onedoor.Licence{
		Number: typ + "-" + number, Type: typ, Subject: subject, HolderID: int64(h) + 1,
		Issuer: m.Department, CaseNumber: number, IssuedAt: utc(at), ValidFrom: dateString(d),
	}
	until := noLimit
	ti := slices.IndexFunc(pl.g.cat.LicenceTypes, func(x onedoor.LicenceType) bool { return x.Code == typ })
	if ti >= 0 && pl.g.cat.LicenceTypes[ti].ValidYears > 0 {
		y, mo, dd := civil(d)
		until = dayNumber(y+pl.g.cat.LicenceTypes[ti].ValidYears, mo, dd-1)
		l.ValidUntil = dateString(until)
	}
	if ti < 0 {
		return l // a type the catalog does not list: issued, but not reusable
	}
	head := pl.head(subject, h)
	pl.lics = append(pl.lics, heldLic{
		issued: at, next: *head - 1, typ: int32(ti), caseDay: pl.day, caseSeq: int32(seqOf(number)), fromDay: d, untilDay: until,
	})
	*head = int32(len(pl.lics))
	return l
}

// followUps queues what may follow the completion of a case.
func (pl *planner) followUps(code string, bundled bool, h int32, at int64) {
	g, r := pl.g, pl.r
	for _, f := range g.follow[code] {
		if (f.bundled == 1 && bundled) || (f.bundled == 2 && !bundled) {
			continue
		}
		if r.Float64() >= f.p || (f.when != nil && !f.when(g, h)) {
			continue
		}
		g.schedule(r.Float64(), dayOf(at)+int32(between(r, f.lo, f.hi)), h, f.target, 0)
	}
}

// seqOf is the daily sequence of a case number.
func seqOf(number string) int {
	n := 0
	for _, c := range number[len(number)-6:] {
		n = n*10 + int(c-'0')
	}
	return n
}
