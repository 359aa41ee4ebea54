package synth

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"onedoor"
	"onedoor/workflow"
)

// The stock: approvals given once in a life, long before the history, whose
// result people keep. A retiree drawing a pension had it confirmed once, in
// the year of retiring, perhaps decades ago; without that record a
// cross-match such as the reform's own example (R9: elderly with a
// confirmed pension × elderly who claimed serious-illness insurance) finds
// nobody. The stock holds, for every resident who by the district's
// calibration draws a pension confirmed in the district:
//
//   - the employees' pension (HRSS-001), for the insured (fInsured: 85% of
//     locals and 45% of migrants, the calibration the history already uses
//     for who retires through HRSS-001) who reached the statutory
//     retirement age (retirementDay) before the history. Migrants who live
//     with their children as the household's old parents (roleParent) came
//     to mind the grandchildren after retiring at home, so their pension
//     was confirmed where they worked, not here; neither are migrants who
//     arrived during the history.
//   - the residents' pension (HRSS-002), for locals without employees'
//     insurance who turned 60 before the history, seven in ten as in the
//     history; those already 60 when the scheme reached every county in
//     2012 (国发〔2011〕18号 set full coverage for 2012) were confirmed then.
//
// Each is one case, received and completed in the year the person became
// entitled, with the event shape of an approved case of the matter
// (intake, every step approved, completion with the e-licence, delivery),
// and the e-licence in the registry, so later cases waive it (免提交).
// They are migrated records, not cases worked in this store: their actor is
// the migration (stockActor) and every step notes where the record comes
// from.
//
// Their dates must be working days, and their deadlines right, under a
// calendar that knows the holidays of only some years (the official one:
// 2024–2027); outside them it knows only the weekly rule, which is wrong
// around every holiday and adjusted working day (调休). In a year the
// calendar covers, a stock case is dated like any other. In any other year
// its whole life, deadline included, lies in a quiet span (quietSpans):
// parts of the year in which no holiday and no adjusted working day fell in
// any year since 2000, so the weekly rule is the official calendar there and
// the recorded dates and deadlines stay right whatever holiday data is added
// later. The workflow records no time before 2000 (its minimum year), so a
// pension confirmed earlier (a woman who retired at 50 in 1990) is recorded
// as migrated in 2000, and its notes say so and name the year of retirement.

// stockApp is one approval of the stock.
type stockApp struct {
	t        int64 // intake
	holder   int32
	entitled int32 // the day the person became entitled: retirement, or 60 and the scheme
	target   int16
}

// quietSpan is a part of the year, as months and days, inclusive.
type quietSpan struct{ m0, d0, m1, d1 int }

// quietSpans are the parts of the year clear of every holiday and adjusted
// working day of the State Council's notices 2000–2027, with a margin:
//
//   - 2 March–27 March: after the Spring Festival (at the latest 19
//     February, in 2015, with 28 February worked) and before Qingming (a
//     holiday since 2008; at the earliest 31 March was worked, in 2012);
//   - 1 July–31 August: after the Dragon Boat Festival (a holiday since
//     2008; at the latest 28 June was worked, in 2020) and before the
//     Mid-Autumn Festival (since 2008; at the earliest 6 September, in 2014)
//     and the one-off days off of 3–5 September 2015;
//   - 1 November–15 December: after National Day (at the latest 12 October
//     was worked, in 2024) and before New Year (at the earliest 29 December
//     was worked, in 2001 and 2018).
//
// TestQuietSpans checks them against the years the official calendar holds.
var quietSpans = []quietSpan{{3, 2, 3, 27}, {7, 1, 8, 31}, {11, 1, 12, 15}}

// stockMargin is how many days a stock case may take from intake to
// delivery, deadline included: its steps within their limits and within
// stockSteps working days together, the same day's completion, and
// collection within 5 working days make at most 11 working days (with the
// moves to the next working day when a step takes none), which are 17
// days, and the intake may move 2 days to a Monday. The deadline (the
// pensions promise 5 working days) comes earlier.
const (
	stockMargin = 19
	stockSteps  = 5
)

// migrationYear is the first year the workflow records.
const migrationYear = 2000

// residentsPensionFrom is when the residents' pension reached everyone: by
// 2012 the urban (2011) and rural (2009) schemes covered every county.
var residentsPensionFrom = dayNumber(2012, 7, 1)

// retirementDay is the day a person retires under the statutory ages: men
// at 60, women at 50 (workers) or 55 (cadres, fCadre), and, since 1 January
// 2025, later for those born from 1965, 1970 and 1975 on, by the NPC
// Standing Committee's decision of 13 September 2024 on gradually raising
// the retirement age: a month for every four months of birth (every two for
// women retiring at 50), up to 63, 58 and 55 (so a man born in January 1965
// retires in February 2025, at 60 and one month). Early retirement (special
// jobs, illness) and the flexible choice the decision allows are left out.
func retirementDay(birth int32, male, cadre bool) int32 {
	base, from, step, most := 60, 1965, 4, 36
	switch {
	case !male && cadre:
		base, from = 55, 1970
	case !male:
		base, from, step, most = 50, 1975, 2, 60
	}
	y, m, d := civil(birth)
	months := (y-from)*12 + m - 1
	if months < 0 {
		return anniversary(birth, base)
	}
	mm := m - 1 + min(months/step+1, most)
	ry, rm := y+base+mm/12, mm%12+1
	last := int(dayNumber(ry, rm+1, 1) - dayNumber(ry, rm, 1))
	return dayNumber(ry, rm, min(d, last))
}

// pensionHere reports whether a person retires through HRSS-001 in the
// district: insured here, and not a migrant who came in old age to mind the
// grandchildren.
func (g *gen) pensionHere(i int32) bool {
	p := &g.people[i]
	return p.has(fInsured) && (p.has(fLocal) || p.role != roleParent)
}

// queueStock decides the stock, from a random stream of its own (31), so
// that deciding it does not shift the draws of the life events.
func (g *gen) queueStock() {
	r := g.rng(31)
	pension, okP := g.targetIdx["HRSS-001"]
	residents, okR := g.targetIdx["HRSS-002"]
	for i := range g.people {
		p := &g.people[i]
		u, v := r.Float64(), r.Float64()
		if p.has(fArrived) {
			continue // retired where they lived before
		}
		switch {
		case g.pensionHere(int32(i)):
			if d := retirementDay(p.birth, p.has(fMale), p.has(fCadre)); okP && d < g.startDay {
				g.addStock(r, int32(i), pension, d, v)
			}
		case p.has(fLocal) && u < 0.7:
			if d := anniversary(p.birth, 60); okR && d < g.startDay {
				g.addStock(r, int32(i), residents, max(d, residentsPensionFrom), v)
			}
		}
	}
	slices.SortStableFunc(g.stock, func(a, b stockApp) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return 0
	})
}

// addStock dates the approval of a person entitled on day d: applied for
// within six weeks at the window, as in the history, or, in a year the
// calendar does not cover, in the next quiet span; a day the history
// reaches goes to the history as an ordinary application (u decides its
// channel).
func (g *gen) addStock(r *rand.Rand, h int32, ti int16, d int32, u float64) {
	entitled := d
	day, ok := g.stockDay(r, d)
	if !ok {
		return
	}
	if day >= g.startDay {
		g.scheduleTarget(u, day, h, ti, 0)
		return
	}
	g.stock = append(g.stock, stockApp{t: instant(day, counterSec(r)), holder: h, entitled: entitled, target: ti})
}

// stockDay is the intake day of an approval due from day d; ok is false
// if there is none before the end of the history.
func (g *gen) stockDay(r *rand.Rand, d int32) (int32, bool) {
	first, last := g.cal.Years()
	if y, _, _ := civil(d); y < migrationYear {
		// Migrated in the year the workflow records first, spread over it.
		d = dayNumber(migrationYear, 1, 1) + int32(r.IntN(330))
	}
	x := d + int32(between(r, 0, 45))
	y0, _, _ := civil(x)
	y1, _, _ := civil(x + stockMargin)
	if y0 >= first && y1 <= last {
		return g.work.add(x, 0), true
	}
	yd, _, _ := civil(d)
	for y := yd; ; y++ {
		for _, s := range quietSpans {
			lo, hi := dayNumber(y, s.m0, s.d0), dayNumber(y, s.m1, s.d1)-stockMargin
			if hi < d {
				continue
			}
			if lo > g.endDay {
				return 0, false
			}
			day := max(lo, d) + int32(r.IntN(int(hi-max(lo, d))+1))
			return g.work.add(day, 0), true
		}
	}
}

// inQuietSpan reports whether day d lies in a quiet span of its year.
func inQuietSpan(d int32) bool {
	y, _, _ := civil(d)
	for _, s := range quietSpans {
		if d >= dayNumber(y, s.m0, s.d0) && d <= dayNumber(y, s.m1, s.d1) {
			return true
		}
	}
	return false
}

// stockActor is who acts on a migrated record: the migration, in the role
// and department the step needs.
func stockActor(role onedoor.Role, dept string) onedoor.Actor {
	return onedoor.Actor{Name: "历史数据迁移", Role: role, Department: dept}
}

// stockNote is the internal note on every step of a migrated record.
func stockNote(s stockApp) string {
	y, _, _ := civil(s.entitled)
	if y < migrationYear {
		return fmt.Sprintf("历史数据迁移：原经办系统记录，%d年核定；本系统不记载%d年以前的日期，按%d年迁移日期记载。", y, migrationYear, migrationYear)
	}
	return "历史数据迁移：原经办系统记录，按原核定日期记载。"
}

// planStock plans the case of one approval of the stock: accepted with
// every required material, each step approved within its limit, the
// result issued and handed over at the window or by post.
func (pl *planner) planStock(s stockApp) {
	g, r := pl.g, pl.r
	m := g.targets[s.target].matters[0]
	t := s.t
	number := pl.number(dayOf(t))
	var provided []string
	for _, x := range m.Materials {
		if x.Required {
			provided = append(provided, x.Code)
		}
	}
	delivery := onedoor.ChannelCounter
	if m.Delivers(onedoor.ChannelPost) && r.Float64() < 0.2 {
		delivery = onedoor.ChannelPost
	}
	in := workflow.IntakeInput{
		Matter: m, Number: number, Subject: onedoor.Natural, ApplicantID: int64(s.holder) + 1, Provided: provided,
		Licences: pl.registry(onedoor.Natural, s.holder, t), Channel: workflow.Counter, Delivery: delivery,
		Actor: stockActor(onedoor.RoleClerk, ""), At: utc(t),
	}
	note := stockNote(s)
	sm := &sim{cmds: make([]onedoor.Command, 0, len(m.Steps)+2)}
	budget := stockSteps // keeps the case inside its quiet span whatever the catalog's limits
	for _, st := range m.Steps {
		k := min(stepDays(r, st), st.Limit, budget)
		budget -= k
		if k == 0 && st.Limit == 0 {
			t = g.soon(r, t)
		} else {
			t = g.office(r, t, k)
		}
		sm.add(onedoor.ActionApprove, stockActor(st.Role, st.Department), t).Note = note
	}
	last := m.Steps[len(m.Steps)-1]
	role := last.Role
	if role != onedoor.RoleOfficer && role != onedoor.RoleLeader {
		role = onedoor.RoleOfficer
	}
	t = g.office(r, t, 0)
	c := sm.add(onedoor.ActionComplete, stockActor(role, last.Department), t)
	c.Note = note
	if m.Result.Licence != "" {
		c.Licence = m.Result.Licence + "-" + number
	}
	completeAt := t
	if delivery == onedoor.ChannelPost {
		t = g.office(r, t, between(r, 0, 1))
		c := sm.add(onedoor.ActionDeliver, stockActor(onedoor.RoleClerk, ""), t)
		c.Channel, c.TrackingNo, c.Note = onedoor.ChannelPost, trackingNo(r), note
	} else {
		t = g.counter(r, t, between(r, 0, 5))
		c := sm.add(onedoor.ActionDeliver, stockActor(onedoor.RoleClerk, ""), t)
		c.Channel, c.Note = onedoor.ChannelCounter, note
	}
	cmds := sm.cmds
	if cut := slices.IndexFunc(cmds, func(c onedoor.Command) bool { return c.At.Unix() > g.end }); cut >= 0 {
		cmds = cmds[:cut]
	}
	p := casePlan{id: pl.nextID, in: in, cmds: cmds, code: pl.code()}
	pl.nextID++
	completed := completeAt <= g.end
	if completed && m.Result.Licence != "" {
		p.lic = pl.issue(onedoor.Natural, s.holder, m, number, completeAt)
	}
	if g.needHistory {
		rec := histRec{matter: m.Code, applied: s.t}
		if completed {
			rec.approved = completeAt
		}
		hist := pl.history(onedoor.Natural)
		hist[s.holder] = append(hist[s.holder], rec)
	}
	if completed {
		pl.followUps(m.Code, false, s.holder, completeAt)
	}
	pl.batch = append(pl.batch, p)
}
