package workflow_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/workflow"
)

// matters are the definitions the random tests run: the three-step
// allowance; a matter finished the day it is accepted (即办件) with one step
// and no room to extend, delivered as an e-licence; and one whose first step
// is special with one day of room to extend.
func matters() []*onedoor.Matter {
	instant := allowance()
	instant.Code, instant.PromisedLimit, instant.StatutoryLimit = "440604-MZ-0102", 0, 0
	instant.Steps = []onedoor.Step{{Code: "handle", Name: onedoor.Text{En: "Handle"}, Role: onedoor.RoleOfficer, Department: "civil", Limit: 0}}
	instant.Result.Licence = ""
	instant.Delivery = []onedoor.Channel{onedoor.ChannelELicence, onedoor.ChannelCounter}
	special := allowance()
	special.Code, special.StatutoryLimit = "440604-MZ-0103", 11
	special.Steps[0].Special = true
	return []*onedoor.Matter{allowance(), instant, special}
}

var reasons = []string{"Checked.", "  材料不齐，请补正。  ", "第一条\r\n第二条\t附注", "The applicant asked for more time."}

// randomIntake returns an intake input, not necessarily one that succeeds.
func randomIntake(r *rand.Rand, m *onedoor.Matter) workflow.IntakeInput {
	in := workflow.IntakeInput{
		Matter: m, Number: "4406042602" + strings.Repeat("0", 7) + string(rune('1'+r.IntN(9))),
		Subject: onedoor.Natural, ApplicantID: 1 + r.Int64N(1000),
		At: at("2026-01-05 08:00").Add(time.Duration(r.IntN(120*24*60)) * time.Minute),
	}
	for _, x := range m.Materials {
		if r.IntN(10) < 7 {
			in.Provided = append(in.Provided, x.Code)
		}
	}
	if r.IntN(2) == 0 {
		until := []string{"", "2026-01-01", "2036-01-01"}[r.IntN(3)]
		in.Licences = []onedoor.Licence{{Number: "SFZ-9", Type: "resident_id", ValidFrom: "2016-01-01", ValidUntil: until}}
	}
	in.Tolerate = r.IntN(2) == 0
	in.Dishonest = r.IntN(5) == 0
	in.Commitment = []string{"", "本人承诺补交。"}[r.IntN(2)]
	in.Delivery = append([]onedoor.Channel{""}, m.Delivery...)[r.IntN(len(m.Delivery)+1)]
	if r.IntN(2) == 0 {
		in.Channel, in.Actor = workflow.Counter, clerk
	} else {
		in.Channel, in.Actor = workflow.Online, []onedoor.Actor{nobody, system, clerk}[r.IntN(3)]
	}
	return in
}

// randomCommand returns a command with random valid inputs for the action
// on the case.
func randomCommand(r *rand.Rand, c onedoor.Case, m *onedoor.Matter, action onedoor.Action, a onedoor.Actor, when time.Time) onedoor.Command {
	cmd := onedoor.Command{Action: action, Actor: a, At: when, Reason: reasons[r.IntN(len(reasons))]}
	if r.IntN(3) == 0 {
		cmd.Note = "内部备注 " + reasons[r.IntN(len(reasons))]
	}
	switch action {
	case onedoor.ActionSupply:
		owed := slices.Clone(c.Awaiting)
		for _, x := range c.Materials {
			if x.State == onedoor.MaterialTolerated {
				owed = append(owed, x.Code)
			}
		}
		r.Shuffle(len(owed), func(i, j int) { owed[i], owed[j] = owed[j], owed[i] })
		cmd.Materials = owed[:1+r.IntN(len(owed))]
	case onedoor.ActionRequestSupplement:
		for len(cmd.Materials) == 0 || r.IntN(3) == 0 {
			cmd.Materials = append(cmd.Materials, m.Materials[r.IntN(len(m.Materials))].Code)
		}
	case onedoor.ActionExtend:
		cmd.Days = 1 + r.IntN(m.StatutoryLimit-m.PromisedLimit-c.ExtendedDays)
		if r.IntN(2) == 0 {
			cmd.Approver = "分管副区长"
		}
	case onedoor.ActionComplete:
		if m.Result.Licence != "" {
			cmd.Licence = "LIC-" + c.Number
		}
	case onedoor.ActionDeliver:
		if r.IntN(2) == 0 {
			cmd.Channel = c.Delivery
		}
		if c.Delivery == onedoor.ChannelPost {
			cmd.TrackingNo = " SF" + c.Number + " "
		}
	}
	return cmd
}

// walk takes a random case through random allowed commands, as the store
// would record it, and returns its events, the case after each, and the
// time of the last command.
func walk(t testing.TB, seed uint64) (*onedoor.Matter, []onedoor.Event, []onedoor.Case, time.Time) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2026))
	ms := matters()
	m := ms[r.IntN(len(ms))]
	var (
		c   onedoor.Case
		ev  onedoor.Event
		err error
		in  workflow.IntakeInput
	)
	for {
		in = randomIntake(r, m)
		if c, ev, err = workflow.Intake(in, cal); err == nil {
			break
		}
	}
	c.ID, ev.CaseID, ev.Seq = int64(seed)+1, int64(seed)+1, 1
	events, cases := []onedoor.Event{ev}, []onedoor.Case{c}
	now := in.At
	for range 5 + r.IntN(30) {
		type move struct {
			action onedoor.Action
			actor  onedoor.Actor
		}
		var moves []move
		for _, a := range actors {
			for _, action := range workflow.Allowed(c, m, a) {
				moves = append(moves, move{action, a})
			}
		}
		if len(moves) == 0 {
			break
		}
		mv := moves[r.IntN(len(moves))]
		now = now.Add(time.Duration(r.IntN(3*24*60)) * time.Minute)
		cmd := randomCommand(r, c, m, mv.action, mv.actor, now)
		n, ev, err := workflow.Apply(c, m, cmd, cal)
		if err != nil {
			t.Fatalf("seed %d: Allowed offers %s to %s/%s on %s case, but: %v", seed, mv.action, mv.actor.Role, mv.actor.Department, c.Status, err)
		}
		ev.Seq = int64(len(events) + 1)
		events, cases, c = append(events, ev), append(cases, n), n
	}
	return m, events, cases, now
}

// TestReplay: replaying the events of random cases rebuilds every state
// exactly, also from events that went through JSON as the store keeps them.
func TestReplay(t *testing.T) {
	for seed := range uint64(300) {
		m, events, cases, _ := walk(t, seed)
		for k := 1; k <= len(events); k++ {
			got, err := workflow.Replay(m, events[:k], cal)
			if err != nil {
				t.Fatalf("seed %d, %d events: %v", seed, k, err)
			}
			if !reflect.DeepEqual(got, cases[k-1]) || got.StateHash() != cases[k-1].StateHash() {
				t.Fatalf("seed %d, %d events:\n got %+v\nwant %+v", seed, k, got, cases[k-1])
			}
		}
		b, err := json.Marshal(events)
		if err != nil {
			t.Fatal(err)
		}
		var stored []onedoor.Event
		if err := json.Unmarshal(b, &stored); err != nil {
			t.Fatal(err)
		}
		got, err := workflow.Replay(m, stored, cal)
		if err != nil {
			t.Fatalf("seed %d, stored events: %v", seed, err)
		}
		if want := cases[len(cases)-1]; !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d, stored events:\n got %+v\nwant %+v", seed, got, want)
		}
	}
}

// TestReplayDetects: a replay that does not give what the events recorded
// fails, naming the event.
func TestReplayDetects(t *testing.T) {
	c := mustIntake(t, complete("2026-02-10 10:00"))
	_, ev0, _ := workflow.Intake(complete("2026-02-10 10:00"), cal)
	ev0.CaseID, ev0.Seq = c.ID, 11
	c1, ev1, _ := workflow.Apply(c, allowance(), command(onedoor.ActionApprove, civilOfficer, "2026-02-11 10:00"), cal)
	ev1.Seq = 12
	ext := withReason(command(onedoor.ActionExtend, housingLeader, "2026-02-12 10:00"), "Panel postponed.")
	ext.Days = 2
	_, ev2, err := workflow.Apply(c1, allowance(), ext, cal)
	if err != nil {
		t.Fatal(err)
	}
	ev2.Seq = 13
	good := []onedoor.Event{ev0, ev1, ev2}
	if _, err := workflow.Replay(allowance(), good, cal); err != nil {
		t.Fatalf("untouched events: %v", err)
	}
	tests := []struct {
		name string
		edit func([]onedoor.Event) []onedoor.Event
		says string
	}{
		{"no events", func([]onedoor.Event) []onedoor.Event { return nil }, "no events"},
		{"no intake first", func(e []onedoor.Event) []onedoor.Event { return e[1:] }, "event 1 (seq 12, approve"},
		{"intake without its decision", func(e []onedoor.Event) []onedoor.Event { e[0].Command.Intake = nil; return e }, "event 1 (seq 11"},
		{"decision altered", func(e []onedoor.Event) []onedoor.Event {
			rec := *e[0].Command.Intake
			rec.Materials = slices.Clone(rec.Materials)
			rec.Materials[4].State = onedoor.MaterialTolerated // income is not tolerable
			e[0].Command.Intake = &rec
			return e
		}, "event 1 (seq 11"},
		{"applicant altered", func(e []onedoor.Event) []onedoor.Event {
			rec := *e[0].Command.Intake
			rec.ApplicantID = 43
			e[0].Command.Intake = &rec
			return e
		}, "hash"},
		{"status altered", func(e []onedoor.Event) []onedoor.Event { e[1].Status = onedoor.StatusApproved; return e }, "event 2 (seq 12, approve"},
		{"version skipped", func(e []onedoor.Event) []onedoor.Event { e[2].Version = 4; return e }, "event 3 (seq 13, extend, version 4)"},
		{"event dropped", func(e []onedoor.Event) []onedoor.Event { return []onedoor.Event{e[0], e[2]} }, "event 2 (seq 13, extend"},
		{"days altered", func(e []onedoor.Event) []onedoor.Event { e[2].Command.Days = 5; return e }, "event 3 (seq 13, extend, version 3): the rebuilt state"},
		{"actor altered", func(e []onedoor.Event) []onedoor.Event { e[1].Command.Actor = hrssOfficer; return e }, "you are an officer of hrss"},
		{"type altered", func(e []onedoor.Event) []onedoor.Event { e[1].Type = onedoor.ActionReturn; return e }, "event 2"},
		{"other case", func(e []onedoor.Event) []onedoor.Event { e[2].CaseNumber = "X"; return e }, "event 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := tt.edit(slices.Clone(good))
			_, err := workflow.Replay(allowance(), events, cal)
			if err == nil || !strings.Contains(onedoor.ErrorMessage(err), tt.says) {
				t.Fatalf("got %v, want an error saying %q", err, tt.says)
			}
		})
	}
}

// mayAct is the rule book written out a second time, independently of the
// package: whether actor a may take the action on the case now.
func mayAct(c onedoor.Case, m *onedoor.Matter, a onedoor.Actor, action onedoor.Action) bool {
	st := c.Status
	last := m.Steps[len(m.Steps)-1]
	var step onedoor.Step
	if c.Step < len(m.Steps) {
		step = m.Steps[c.Step]
	}
	works := a.Role == step.Role && a.Department == step.Department
	tolerated := false
	for _, x := range c.Materials {
		tolerated = tolerated || x.State == onedoor.MaterialTolerated
	}
	open := st == onedoor.StatusInProgress || st == onedoor.StatusSupplement || st == onedoor.StatusSuspended
	switch action {
	case onedoor.ActionSupply:
		return (open || st == onedoor.StatusReceived) && (a.Role == onedoor.RoleClerk || a.Role == onedoor.RoleSystem) &&
			(len(c.Awaiting) > 0 || tolerated)
	case onedoor.ActionApprove:
		return st == onedoor.StatusInProgress && works && !(c.Step == len(m.Steps)-1 && tolerated)
	case onedoor.ActionReturn:
		return st == onedoor.StatusInProgress && works && c.Step > 0
	case onedoor.ActionRequestSupplement, onedoor.ActionSuspend:
		return st == onedoor.StatusInProgress && works
	case onedoor.ActionResume:
		return st == onedoor.StatusSuspended && works
	case onedoor.ActionExtend:
		return open && a.Role == onedoor.RoleLeader && a.Department == step.Department &&
			m.PromisedLimit+c.ExtendedDays+1 <= m.StatutoryLimit
	case onedoor.ActionReject:
		return open && works || st == onedoor.StatusApproved && a.Role == last.Role && a.Department == last.Department
	case onedoor.ActionComplete:
		return st == onedoor.StatusApproved && (a.Role == onedoor.RoleOfficer || a.Role == onedoor.RoleLeader) && a.Department == last.Department
	case onedoor.ActionDeliver:
		return st == onedoor.StatusCompleted && (a.Role == onedoor.RoleClerk || a.Role == onedoor.RoleSystem && c.Delivery == onedoor.ChannelELicence)
	}
	return false
}

// TestAllowedAgreesWithApply: over random states and every actor, an action
// is in Allowed exactly when Apply with minimal valid inputs performs it,
// and exactly when the rule book says so.
func TestAllowedAgreesWithApply(t *testing.T) {
	seen := map[onedoor.Action]int{}
	for seed := range uint64(200) {
		m, _, cases, last := walk(t, seed)
		when := last.Add(time.Hour)
		for _, c := range cases {
			for _, a := range actors {
				allowed := workflow.Allowed(c, m, a)
				for _, action := range workflow.Actions() {
					_, _, err := workflow.Apply(c, m, validCommandBy(c, m, action, a, when), cal)
					listed := slices.Contains(allowed, action)
					if listed != (err == nil) {
						t.Fatalf("seed %d, %s case at step %d, %s by %s/%s: Allowed %v, Apply: %v", seed, c.Status, c.Step, action, a.Role, a.Department, listed, err)
					}
					if rule := mayAct(c, m, a, action); rule != listed {
						t.Fatalf("seed %d, %s case at step %d, %s by %s/%s: Allowed %v, the rules say %v", seed, c.Status, c.Step, action, a.Role, a.Department, listed, rule)
					}
					if listed {
						seen[action]++
					}
				}
			}
		}
	}
	for _, action := range workflow.Actions() {
		if seen[action] == 0 {
			t.Errorf("no random state allowed %s; the test does not cover it", action)
		}
	}
}

func validCommandBy(c onedoor.Case, m *onedoor.Matter, action onedoor.Action, a onedoor.Actor, when time.Time) onedoor.Command {
	cmd := validCommand(c, m, action, when)
	cmd.Actor = a
	return cmd
}
