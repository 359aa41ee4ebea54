package synth

import (
	"math"
	"math/rand/v2"
	"slices"

	"onedoor"
)

// simIn is one case to plan.
type simIn struct {
	m        *onedoor.Matter
	number   string
	intakeAt int64
	online   bool
	delivery onedoor.Channel
	mats     matPlan
	// gates are the licences other cases of the bundle issue that replace
	// mats.shared, in the order they are issued; nil if one never is.
	gates   []gate
	must    bool // never refused nor abandoned
	bundled bool // delivered with its bundle
}

// gate is an e-licence another case of the bundle issues at a given time,
// and the materials of this case it replaces.
type gate struct {
	at    int64
	lic   string
	codes []string
}

// simOut is the planned life of a case. Commands may run past the end of
// the history; the caller cuts them there.
type simOut struct {
	cmds       []onedoor.Command
	completeAt int64 // when the result was issued; 0 if never
	finalAt    int64 // when it was completed or rejected; 0 if neither
	delivery   onedoor.Channel
}

// Public reasons, as the applicant reads them (rejection, supplement,
// suspension, extension and return reasons are shown in the timeline).
var (
	rejectReasons = map[onedoor.Kind][]string{
		onedoor.KindLicensing: {
			"经审查，申请人不符合该许可事项规定的条件，依法不予许可。",
			"经现场核查，经营场所实际情况与申请材料不符，不符合许可条件。",
			"申请材料存在与事实不符的内容，依法不予许可。",
		},
		onedoor.KindBenefit: {
			"经入户调查核实，申请人家庭收入或财产状况不符合给付条件，不予批准。",
			"经核查，申请人不符合该待遇的领取条件，不予批准。",
			"申请人已享受同类待遇，不得重复享受。",
		},
		onedoor.KindConfirmation: {
			"经核查，申请事项与登记信息不符，不予确认。",
			"申请人提交的证明材料不足以证明申请事项，不予确认。",
		},
		onedoor.KindService: {
			"经核查，申请人不符合办理条件，不予办理。",
			"申请人已有同一事项正在办理中，请勿重复申请。",
		},
		onedoor.KindOther: {
			"申请事项不属于本机关职责范围，已告知向有权机关申请。",
			"经审查，申报内容不符合规定，不予办理。",
		},
	}
	noSupplyReason = "申请人逾期未按一次性告知要求补正材料，视为放弃申请，不予办理。"
	suspendReasons = []string{
		"需要进行现场核查，依法中止计算办理时限。",
		"申请事项需组织专家评审，依法中止计算办理时限。",
		"需征求利害关系人意见，依法中止计算办理时限。",
		"申请事项依法需要举行听证，中止计算办理时限。",
	}
	extendReasons = []string{
		"情况复杂，需进一步调查核实，经本部门负责人批准延长办理时限。",
		"需会同相关部门联合审查，经本部门负责人批准延长办理时限。",
	}
	returnReason = "上一环节审查意见不完整，退回重新审核。"
)

// rejectRate is the share of applications refused after acceptance, by
// kind: licences and benefits are refused more often than services.
func rejectRate(k onedoor.Kind) float64 {
	switch k {
	case onedoor.KindLicensing:
		return 0.04
	case onedoor.KindBenefit:
		return 0.05
	case onedoor.KindConfirmation:
		return 0.02
	case onedoor.KindService:
		return 0.01
	}
	return 0.015
}

// sim accumulates the commands of one case.
type sim struct {
	cmds []onedoor.Command
}

func (s *sim) add(a onedoor.Action, actor onedoor.Actor, t int64) *onedoor.Command {
	s.cmds = append(s.cmds, onedoor.Command{Action: a, Actor: actor, At: utc(t)})
	return &s.cmds[len(s.cmds)-1]
}

// stepDays is how many working days a step takes: ordinary steps mostly
// well within their limit, now and then over it; special steps (expert
// review, public notice…) most of theirs.
func stepDays(r *rand.Rand, s onedoor.Step) int {
	l := s.Limit
	switch {
	case s.Special:
		lo := max(1, l/3)
		return between(r, lo, max(lo, l))
	case l == 0:
		if r.Float64() < 0.005 {
			return 1
		}
		return 0
	case r.Float64() < 0.008:
		return l + between(r, 1, max(2, l/2))
	}
	return int(float64(l+1) * math.Pow(r.Float64(), 1.5))
}

// outcome is what will happen to a case after acceptance: at which
// ordinary step (index, -1 for none) it is refused, asked for materials,
// suspended, extended or returned.
type outcome struct {
	reject, supplement, suspend, extend, ret int
	noSupply                                 bool
}

func (pl *planner) outcome(in *simIn) outcome {
	r, m := pl.r, in.m
	var ordinary []int
	for i, s := range m.Steps {
		if !s.Special {
			ordinary = append(ordinary, i)
		}
	}
	step := func(from int) int {
		var c []int
		for _, i := range ordinary {
			if i >= from {
				c = append(c, i)
			}
		}
		if len(c) == 0 {
			return -1
		}
		return c[r.IntN(len(c))]
	}
	o := outcome{-1, -1, -1, -1, -1, false}
	if !in.must && r.Float64() < rejectRate(m.Kind) {
		o.reject = step(0)
	}
	if len(m.Materials) > 0 && r.Float64() < 0.04 {
		o.supplement = step(0)
		o.noSupply = !in.must && r.Float64() < 0.06
	}
	if r.Float64() < 0.015 {
		o.suspend = step(0)
	}
	if m.StatutoryLimit-m.PromisedLimit >= 1 && r.Float64() < 0.012 {
		o.extend = step(0)
	}
	if len(m.Steps) >= 2 && r.Float64() < 0.01 {
		o.ret = step(1)
	}
	return o
}

// simulate plans the life of one case from its intake.
func (pl *planner) simulate(in *simIn) simOut {
	g, r, m := pl.g, pl.r, in.m
	s := &sim{cmds: make([]onedoor.Command, 0, len(m.Steps)+3)}
	out := simOut{delivery: in.delivery}
	t := in.intakeAt
	// The applicant's side: at the window through a clerk, or uploaded on
	// the portal (the system).
	back := func(days int) (int64, onedoor.Actor) {
		if in.online {
			return g.anytime(r, t, days), g.staff.system
		}
		return g.counter(r, t, days), g.staff.actor(r, onedoor.RoleClerk, "")
	}

	// Not accepted at intake: a licence another case of the bundle issues,
	// which the store passes on from the registry (免提交) in the
	// transaction that issues it; or materials the notice listed.
	if len(in.mats.shared) > 0 {
		if in.gates == nil {
			return out
		}
		for _, x := range in.gates {
			t = max(t, x.at)
			c := s.add(onedoor.ActionSupply, g.staff.system, t)
			c.Materials, c.Licence = x.codes, x.lic
		}
	}
	if len(in.mats.missing) > 0 {
		if !in.must && r.Float64() < 0.03 {
			return simOut{cmds: s.cmds} // the applicant never came back
		}
		var who onedoor.Actor
		t, who = back(between(r, 1, 8))
		s.add(onedoor.ActionSupply, who, t).Materials = in.mats.missing
	}

	o := pl.outcome(in)
	tolerated := in.mats.tolerated
	spentBefore := 0
	for i, st := range m.Steps {
		actor := g.staff.actor(r, st.Role, st.Department)
		if len(tolerated) > 0 && (i == len(m.Steps)-1 || r.Float64() < 0.4) {
			// The applicant brings what was promised while the step runs.
			var who onedoor.Actor
			var k int
			if !st.Special {
				k = between(r, 0, min(2, st.Limit))
			}
			t, who = back(k)
			spentBefore = k
			s.add(onedoor.ActionSupply, who, t).Materials = tolerated
			tolerated = nil
		}
		// spent is the working days of the step used before a pause, an
		// extension or a return; they count toward its time.
		extra, spent := 0, spentBefore
		spentBefore = 0
		if !st.Special {
			var mats []string
			if i == o.supplement {
				mats = pl.supplementMaterials(m, in.mats.tolerated, tolerated, in.mats.provided)
			}
			if len(mats) > 0 {
				k := between(r, 0, st.Limit/2)
				t, spent = g.office(r, t, k), spent+k
				c := s.add(onedoor.ActionRequestSupplement, actor, t)
				c.Materials = mats
				name, _ := m.Material(mats[0])
				c.Reason = "《" + name.Name.Zh + "》内容不完整或不清晰，请按一次性告知要求补正后提交。"
				if o.noSupply {
					t = g.office(r, t, between(r, 20, 40))
					s.add(onedoor.ActionReject, actor, t).Reason = noSupplyReason
					out.cmds, out.finalAt = s.cmds, t
					return out
				}
				var who onedoor.Actor
				t, who = back(between(r, 1, 10))
				s.add(onedoor.ActionSupply, who, t).Materials = mats
			}
			if i == o.suspend {
				k := between(r, 0, min(2, st.Limit))
				t, spent = g.office(r, t, k), spent+k
				s.add(onedoor.ActionSuspend, actor, t).Reason = suspendReasons[r.IntN(len(suspendReasons))]
				t = g.office(r, t, between(r, 3, 15))
				s.add(onedoor.ActionResume, actor, t)
			}
			if i == o.extend {
				days := between(r, 1, min(m.StatutoryLimit-m.PromisedLimit, 10))
				k := between(r, 0, min(2, st.Limit))
				t, spent = g.office(r, t, k), spent+k
				c := s.add(onedoor.ActionExtend, g.staff.actor(r, onedoor.RoleLeader, st.Department), t)
				c.Reason, c.Days = extendReasons[r.IntN(len(extendReasons))], days
				extra = days / 2
			}
			if i == o.ret && i > 0 {
				k := between(r, 0, st.Limit/2)
				t, spent = g.office(r, t, k), spent+k
				s.add(onedoor.ActionReturn, actor, t).Reason = returnReason
				prev := m.Steps[i-1]
				t = g.office(r, t, between(r, 0, max(1, prev.Limit/2)))
				s.add(onedoor.ActionApprove, g.staff.actor(r, prev.Role, prev.Department), t)
			}
			if i == o.reject {
				t = g.office(r, t, between(r, 0, st.Limit))
				reasons := rejectReasons[m.Kind]
				if len(reasons) == 0 {
					reasons = rejectReasons[onedoor.KindOther]
				}
				s.add(onedoor.ActionReject, actor, t).Reason = reasons[r.IntN(len(reasons))]
				out.cmds, out.finalAt = s.cmds, t
				return out
			}
		}
		if k := max(0, stepDays(r, st)+extra-spent); k == 0 && st.Limit == 0 {
			t = g.soon(r, t) // done on the spot (即办)
		} else {
			t = g.office(r, t, k)
		}
		s.add(onedoor.ActionApprove, actor, t)
	}

	// Issue the result: an officer or leader of the last step's department.
	last := m.Steps[len(m.Steps)-1]
	role := last.Role
	if role != onedoor.RoleOfficer && role != onedoor.RoleLeader {
		role = onedoor.RoleOfficer
	}
	if m.PromisedLimit == 0 {
		t = g.soon(r, t)
	} else {
		t = g.office(r, t, 0)
	}
	c := s.add(onedoor.ActionComplete, g.staff.actor(r, role, last.Department), t)
	if m.Result.Licence != "" {
		c.Licence = m.Result.Licence + "-" + in.number
	}
	out.completeAt, out.finalAt = t, t

	// Hand it over; a bundle's results go out together (deliverBundle).
	if !in.bundled {
		switch in.delivery {
		case onedoor.ChannelELicence:
			s.add(onedoor.ActionDeliver, g.staff.system, t+int64(between(r, 1, 5))).Channel = onedoor.ChannelELicence
		case onedoor.ChannelPost:
			t = g.office(r, t, between(r, 0, 1))
			c := s.add(onedoor.ActionDeliver, g.staff.actor(r, onedoor.RoleClerk, ""), t)
			c.Channel, c.TrackingNo = onedoor.ChannelPost, trackingNo(r)
		default:
			if r.Float64() >= 0.008 { // a few never come for it
				t = g.counter(r, t, pickupDays(r))
				s.add(onedoor.ActionDeliver, g.staff.actor(r, onedoor.RoleClerk, ""), t).Channel = onedoor.ChannelCounter
			}
		}
	}
	out.cmds = s.cmds
	return out
}

// pickupDays is how many working days after completion an applicant comes
// for a result at the window.
func pickupDays(r *rand.Rand) int {
	if r.Float64() < 0.35 {
		return 0
	}
	return between(r, 1, 10)
}

// supplementMaterials picks what an officer asks for again: preferably
// something handed in, never a material under commitment; nil if there is
// nothing else to ask for.
func (pl *planner) supplementMaterials(m *onedoor.Matter, tolerated, pending, provided []string) []string {
	r := pl.r
	var pool []string
	for _, c := range provided {
		if !slices.Contains(tolerated, c) && !slices.Contains(pending, c) {
			pool = append(pool, c)
		}
	}
	if len(pool) == 0 {
		for _, x := range m.Materials {
			if !slices.Contains(tolerated, x.Code) && !slices.Contains(pending, x.Code) {
				pool = append(pool, x.Code)
			}
		}
	}
	if len(pool) == 0 {
		return nil
	}
	out := []string{pool[r.IntN(len(pool))]}
	if len(pool) > 1 && r.Float64() < 0.25 {
		if c := pool[r.IntN(len(pool))]; c != out[0] {
			out = append(out, c)
		}
	}
	return out
}

// deliverBundle hands over the results of a bundle together, once every
// case of it is completed or refused, as the store's DeliverBundle does.
func (pl *planner) deliverBundle(outs []simOut, ch onedoor.Channel) {
	g, r := pl.g, pl.r
	last := int64(0)
	for _, o := range outs {
		if o.finalAt == 0 {
			return
		}
		last = max(last, o.finalAt)
	}
	var t int64
	tracking := ""
	if ch == onedoor.ChannelPost {
		t, tracking = g.office(r, last, between(r, 0, 1)), trackingNo(r)
	} else {
		t = g.counter(r, last, pickupDays(r))
	}
	clerk := g.staff.actor(r, onedoor.RoleClerk, "")
	for j := range outs {
		if outs[j].completeAt > 0 {
			outs[j].cmds = append(outs[j].cmds, onedoor.Command{
				Action: onedoor.ActionDeliver, Actor: clerk, At: utc(t), Channel: ch, TrackingNo: tracking,
			})
		}
	}
}

// trackingNo is a postal (EMS) tracking number.
func trackingNo(r *rand.Rand) string {
	b := []byte("11")
	for range 11 {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b)
}

// office returns a time when officers are at work, k working days after
// t's day; for k = 0, later the same working day when there is time left,
// else the next working day. It is always after t.
func (g *gen) office(r *rand.Rand, t int64, k int) int64 {
	d := dayOf(t)
	if k <= 0 {
		if g.work.is(d) {
			sec := secOfDay(t)
			switch {
			case sec < officeAM0:
				return instant(d, officeAM0+r.IntN(3600))
			case sec < officeAM1-600:
				return instant(d, min(sec+120+r.IntN(5400), officeAM1-60))
			case sec < officePM0:
				return instant(d, officePM0+r.IntN(3600))
			case sec < officePM1-600:
				return instant(d, min(sec+120+r.IntN(5400), officePM1-60))
			}
		}
		k = 1
	}
	return instant(g.work.add(d, k), officeSec(r))
}

// soon returns a time a few minutes after t, for what is done on the
// spot; outside working hours, the start of the next working period.
func (g *gen) soon(r *rand.Rand, t int64) int64 {
	d := dayOf(t)
	if g.work.is(d) {
		sec := secOfDay(t)
		next := sec + 60 + r.IntN(900)
		switch {
		case sec < officeAM0:
			return instant(d, officeAM0+r.IntN(1800))
		case next < officeAM1+1200 && sec < officeAM1:
			return instant(d, next) // the morning's work is finished before lunch
		case sec < officePM0:
			return instant(d, officePM0+r.IntN(1800))
		case next < officePM1:
			return instant(d, next)
		}
	}
	return instant(g.work.add(d, 1), officeAM0+r.IntN(3600))
}

// counter returns a time at the window, k working days after t's day; for
// k = 0 later the same day when the window is still open. After t.
func (g *gen) counter(r *rand.Rand, t int64, k int) int64 {
	d := dayOf(t)
	if k <= 0 {
		if g.work.is(d) {
			sec := secOfDay(t)
			switch {
			case sec < counterAM0:
				return instant(d, counterSec(r))
			case sec < counterAM1-900:
				return instant(d, min(sec+300+r.IntN(5400), counterAM1-60))
			case sec < counterPM0:
				return instant(d, counterPM0+r.IntN(7200))
			case sec < counterPM1-900:
				return instant(d, min(sec+300+r.IntN(5400), counterPM1-60))
			}
		}
		k = 1
	}
	return instant(g.work.add(d, k), counterSec(r))
}

// anytime returns a time days calendar days after t (any hour, as on the
// portal); for days = 0 within the hour. After t.
func (g *gen) anytime(r *rand.Rand, t int64, days int) int64 {
	if days <= 0 {
		return t + int64(between(r, 60, 3600))
	}
	return instant(dayOf(t)+int32(days), onlineSec(r))
}
