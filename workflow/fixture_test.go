package workflow_test

import (
	"errors"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/workflow"
)

var cal = calendar.Official()

// allowance is a three-step matter: an ordinary review by civil affairs, a
// special expert review by housing (the case clock stops during it) and a
// decision by a civil affairs leader. Promised 10 working days, statutory 20.
func allowance() *onedoor.Matter {
	return &onedoor.Matter{
		Code:       "440604-MZ-0101",
		Version:    2,
		Name:       onedoor.Text{Zh: "养老服务补贴申领", En: "Elderly care allowance"},
		Department: "civil",
		Subject:    onedoor.Natural,
		Kind:       onedoor.KindBenefit,
		Materials: []onedoor.Material{
			{Code: "form", Name: onedoor.Text{Zh: "申请表", En: "Application form"}, Required: true},
			{Code: "id", Name: onedoor.Text{Zh: "居民身份证", En: "Resident ID card"}, Required: true, Licence: "resident_id"},
			{Code: "photo", Name: onedoor.Text{Zh: "近期照片", En: "Recent photo"}, Required: true, Tolerable: true},
			{Code: "lease", Name: onedoor.Text{Zh: "租赁合同", En: "Tenancy contract"}, Required: true, Tolerable: true},
			{Code: "income", Name: onedoor.Text{Zh: "收入证明", En: "Income certificate"}, Required: true},
			{Code: "proxy", Name: onedoor.Text{Zh: "委托书", En: "Power of attorney"}},
		},
		Steps: []onedoor.Step{
			{Code: "review", Name: onedoor.Text{Zh: "审查", En: "Review"}, Role: onedoor.RoleOfficer, Department: "civil", Limit: 2},
			{Code: "expert", Name: onedoor.Text{Zh: "专家评审", En: "Expert review"}, Role: onedoor.RoleOfficer, Department: "housing", Limit: 5, Special: true},
			{Code: "decide", Name: onedoor.Text{Zh: "决定", En: "Decide"}, Role: onedoor.RoleLeader, Department: "civil", Limit: 3},
		},
		StatutoryLimit: 20,
		PromisedLimit:  10,
		Result:         onedoor.Result{Name: onedoor.Text{Zh: "补贴决定书", En: "Allowance decision"}, Licence: "care_allowance"},
		Delivery:       []onedoor.Channel{onedoor.ChannelCounter, onedoor.ChannelPost, onedoor.ChannelELicence},
	}
}

var (
	clerk          = onedoor.Actor{StaffID: 1, Name: "李娜", Role: onedoor.RoleClerk}
	system         = onedoor.Actor{Name: "Onedoor", Role: onedoor.RoleSystem}
	civilOfficer   = onedoor.Actor{StaffID: 2, Name: "王芳", Role: onedoor.RoleOfficer, Department: "civil"}
	civilLeader    = onedoor.Actor{StaffID: 3, Name: "陈杰", Role: onedoor.RoleLeader, Department: "civil"}
	housingOfficer = onedoor.Actor{StaffID: 4, Name: "赵磊", Role: onedoor.RoleOfficer, Department: "housing"}
	housingLeader  = onedoor.Actor{StaffID: 5, Name: "周敏", Role: onedoor.RoleLeader, Department: "housing"}
	hrssOfficer    = onedoor.Actor{StaffID: 6, Name: "孙强", Role: onedoor.RoleOfficer, Department: "hrss"}
	supervisor     = onedoor.Actor{StaffID: 7, Name: "吴静", Role: onedoor.RoleSupervisor}
	nobody         = onedoor.Actor{}
)

// actors is every kind of actor the tests try.
var actors = []onedoor.Actor{clerk, system, civilOfficer, civilLeader, housingOfficer, housingLeader, hrssOfficer, supervisor, nobody}

// at is a time in Beijing, "2006-01-02 15:04".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
	if err != nil {
		panic(err)
	}
	return t
}

// complete is an intake with every required material handed in.
func complete(when string) workflow.IntakeInput {
	return workflow.IntakeInput{
		Matter:      allowance(),
		Number:      "440604260210000001",
		Subject:     onedoor.Natural,
		ApplicantID: 42,
		Provided:    []string{"form", "id", "photo", "lease", "income"},
		Channel:     workflow.Counter,
		Actor:       clerk,
		At:          at(when),
	}
}

// without is the input with the given materials not handed in.
func without(in workflow.IntakeInput, codes ...string) workflow.IntakeInput {
	var kept []string
	for _, p := range in.Provided {
		drop := false
		for _, c := range codes {
			drop = drop || p == c
		}
		if !drop {
			kept = append(kept, p)
		}
	}
	in.Provided = kept
	return in
}

func mustIntake(t testing.TB, in workflow.IntakeInput) onedoor.Case {
	t.Helper()
	c, _, err := workflow.Intake(in, cal)
	if err != nil {
		t.Fatalf("intake: %v", err)
	}
	c.ID = 7 // as the store would
	return c
}

func mustApply(t testing.TB, c onedoor.Case, cmd onedoor.Command) onedoor.Case {
	t.Helper()
	n, _, err := workflow.Apply(c, allowance(), cmd, cal)
	if err != nil {
		t.Fatalf("%s by %s/%s: %v", cmd.Action, cmd.Actor.Role, cmd.Actor.Department, err)
	}
	return n
}

func command(action onedoor.Action, a onedoor.Actor, when string) onedoor.Command {
	return onedoor.Command{Action: action, Actor: a, At: at(when)}
}

func withReason(cmd onedoor.Command, reason string) onedoor.Command {
	cmd.Reason = reason
	return cmd
}

func withMaterials(cmd onedoor.Command, codes ...string) onedoor.Command {
	cmd.Materials = codes
	return cmd
}

// errorOf returns the *onedoor.Error of err, failing the test for any other
// error.
func errorOf(t testing.TB, err error) *onedoor.Error {
	t.Helper()
	var e *onedoor.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *onedoor.Error", err, err)
	}
	return e
}

// The fixture states, all dated before 2026-02-20.

// accepted is a clean case at step 0 (review), received 2026-02-02.
func accepted(t testing.TB, delivery onedoor.Channel) onedoor.Case {
	in := complete("2026-02-02 09:00")
	in.Delivery = delivery
	return mustIntake(t, in)
}

// atExpert is a case accepted under commitment (photo tolerated) at step 1,
// the special expert review by housing.
func atExpert(t testing.TB) onedoor.Case {
	in := without(complete("2026-02-02 09:00"), "photo")
	in.Tolerate, in.Commitment = true, "I will hand in the photo before the decision."
	c := mustIntake(t, in)
	return mustApply(t, c, command(onedoor.ActionApprove, civilOfficer, "2026-02-03 10:00"))
}

// atDecide is a clean case at step 2, decided by a civil leader.
func atDecide(t testing.TB, delivery onedoor.Channel) onedoor.Case {
	c := accepted(t, delivery)
	c = mustApply(t, c, command(onedoor.ActionApprove, civilOfficer, "2026-02-03 10:00"))
	return mustApply(t, c, command(onedoor.ActionApprove, housingOfficer, "2026-02-05 10:00"))
}

func approved(t testing.TB, delivery onedoor.Channel) onedoor.Case {
	return mustApply(t, atDecide(t, delivery), command(onedoor.ActionApprove, civilLeader, "2026-02-06 10:00"))
}

func completed(t testing.TB, delivery onedoor.Channel) onedoor.Case {
	cmd := command(onedoor.ActionComplete, civilOfficer, "2026-02-09 10:00")
	cmd.Licence = "YL-2026-000001"
	return mustApply(t, approved(t, delivery), cmd)
}

// fixtures returns a case in each status.
func fixtures(t testing.TB) map[onedoor.Status]onedoor.Case {
	received := mustIntake(t, without(complete("2026-02-02 09:00"), "photo"))
	expert := atExpert(t)
	done := completed(t, onedoor.ChannelCounter)
	return map[onedoor.Status]onedoor.Case{
		onedoor.StatusReceived:   received,
		onedoor.StatusInProgress: expert,
		onedoor.StatusSupplement: mustApply(t, expert, withMaterials(withReason(command(onedoor.ActionRequestSupplement, housingOfficer, "2026-02-04 10:00"), "The lease is unsigned."), "lease")),
		onedoor.StatusSuspended:  mustApply(t, expert, withReason(command(onedoor.ActionSuspend, housingOfficer, "2026-02-04 10:00"), "A hearing is held.")),
		onedoor.StatusApproved:   approved(t, onedoor.ChannelCounter),
		onedoor.StatusCompleted:  done,
		onedoor.StatusDelivered:  mustApply(t, done, command(onedoor.ActionDeliver, clerk, "2026-02-10 10:00")),
		onedoor.StatusRejected:   mustApply(t, expert, withReason(command(onedoor.ActionReject, housingOfficer, "2026-02-04 10:00"), "The applicant is not eligible.")),
	}
}

// validCommand is the command with the fewest valid inputs for the action
// on the case, by an actor entitled to it by the rules.
func validCommand(c onedoor.Case, m *onedoor.Matter, action onedoor.Action, when time.Time) onedoor.Command {
	cmd := onedoor.Command{Action: action, At: when, Reason: "Checked."}
	last := m.Steps[len(m.Steps)-1]
	step := last
	if c.Step < len(m.Steps) {
		step = m.Steps[c.Step]
	}
	cmd.Actor = onedoor.Actor{Name: "Staff", Role: step.Role, Department: step.Department}
	switch action {
	case onedoor.ActionSupply:
		cmd.Actor = clerk
		cmd.Materials = []string{"photo"}
		if len(c.Awaiting) > 0 {
			cmd.Materials = []string{c.Awaiting[0]}
		}
		for _, x := range c.Materials {
			if len(c.Awaiting) == 0 && x.State == onedoor.MaterialTolerated {
				cmd.Materials = []string{x.Code}
			}
		}
	case onedoor.ActionRequestSupplement:
		cmd.Materials = []string{m.Materials[0].Code}
	case onedoor.ActionExtend:
		cmd.Actor.Role = onedoor.RoleLeader
		cmd.Days = 1
	case onedoor.ActionComplete:
		cmd.Actor = onedoor.Actor{Name: "Staff", Role: onedoor.RoleOfficer, Department: last.Department}
		if m.Result.Licence != "" {
			cmd.Licence = "LIC-1"
		}
	case onedoor.ActionDeliver:
		cmd.Actor = clerk
		if c.Delivery == onedoor.ChannelPost {
			cmd.TrackingNo = "SF0001"
		}
	}
	return cmd
}
