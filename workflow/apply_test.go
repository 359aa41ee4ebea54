package workflow_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/workflow"
)

var statuses = []onedoor.Status{
	onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended,
	onedoor.StatusApproved, onedoor.StatusCompleted, onedoor.StatusDelivered, onedoor.StatusRejected,
}

// TestActionByStatus tries every action in every status with an entitled
// actor and valid inputs: where the rules allow it, it must give the status
// listed; everywhere else it must be refused as a conflict.
func TestActionByStatus(t *testing.T) {
	S := func(s onedoor.Status) onedoor.Status { return s }
	want := map[onedoor.Status]map[onedoor.Action]onedoor.Status{
		onedoor.StatusReceived: {
			onedoor.ActionSupply: S(onedoor.StatusInProgress),
		},
		onedoor.StatusInProgress: { // at the special step, photo tolerated
			onedoor.ActionSupply:            S(onedoor.StatusInProgress),
			onedoor.ActionApprove:           S(onedoor.StatusInProgress),
			onedoor.ActionReturn:            S(onedoor.StatusInProgress),
			onedoor.ActionRequestSupplement: S(onedoor.StatusSupplement),
			onedoor.ActionSuspend:           S(onedoor.StatusSuspended),
			onedoor.ActionExtend:            S(onedoor.StatusInProgress),
			onedoor.ActionReject:            S(onedoor.StatusRejected),
		},
		onedoor.StatusSupplement: {
			onedoor.ActionSupply: S(onedoor.StatusInProgress),
			onedoor.ActionExtend: S(onedoor.StatusSupplement),
			onedoor.ActionReject: S(onedoor.StatusRejected),
		},
		onedoor.StatusSuspended: {
			onedoor.ActionSupply: S(onedoor.StatusSuspended), // the tolerated photo
			onedoor.ActionResume: S(onedoor.StatusInProgress),
			onedoor.ActionExtend: S(onedoor.StatusSuspended),
			onedoor.ActionReject: S(onedoor.StatusRejected),
		},
		onedoor.StatusApproved: {
			onedoor.ActionReject:   S(onedoor.StatusRejected),
			onedoor.ActionComplete: S(onedoor.StatusCompleted),
		},
		onedoor.StatusCompleted: {
			onedoor.ActionDeliver: S(onedoor.StatusDelivered),
		},
	}
	fx := fixtures(t)
	m := allowance()
	when := at("2026-03-02 10:00")
	for _, st := range statuses {
		for _, action := range workflow.Actions() {
			t.Run(fmt.Sprintf("%s/%s", action, st), func(t *testing.T) {
				c := fx[st]
				cmd := validCommand(c, m, action, when)
				n, ev, err := workflow.Apply(c, m, cmd, cal)
				to, ok := want[st][action]
				if !ok {
					if e := errorOf(t, err); e.Code != onedoor.ECONFLICT || e.Field != "" {
						t.Fatalf("got %v, want a conflict", err)
					} else if !strings.Contains(e.Message, string(action)) || !strings.Contains(e.Message, string(st)) {
						t.Errorf("message %q does not name the action and the status", e.Message)
					}
					return
				}
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if n.Status != to || ev.Status != to {
					t.Errorf("status %s (event %s), want %s", n.Status, ev.Status, to)
				}
				if n.Version != c.Version+1 || ev.Version != n.Version {
					t.Errorf("version %d (event %d), want %d", n.Version, ev.Version, c.Version+1)
				}
			})
		}
	}
}

// TestRefusedInput covers the inputs each action checks.
func TestRefusedInput(t *testing.T) {
	fx := fixtures(t)
	m := allowance()
	when := at("2026-03-02 10:00")
	tests := []struct {
		name   string
		status onedoor.Status
		case_  func(t *testing.T) onedoor.Case // instead of a fixture
		action onedoor.Action
		edit   func(*onedoor.Command)
		code   string
		field  string
		says   string
	}{
		{name: "reject without reason", status: onedoor.StatusInProgress, action: onedoor.ActionReject,
			edit: func(c *onedoor.Command) { c.Reason = " \n\t " }, code: onedoor.EINVALID, field: "reason"},
		{name: "return without reason", status: onedoor.StatusInProgress, action: onedoor.ActionReturn,
			edit: func(c *onedoor.Command) { c.Reason = "" }, code: onedoor.EINVALID, field: "reason"},
		{name: "suspend without reason", status: onedoor.StatusInProgress, action: onedoor.ActionSuspend,
			edit: func(c *onedoor.Command) { c.Reason = "" }, code: onedoor.EINVALID, field: "reason"},
		{name: "extend without reason", status: onedoor.StatusInProgress, action: onedoor.ActionExtend,
			edit: func(c *onedoor.Command) { c.Reason = "" }, code: onedoor.EINVALID, field: "reason"},
		{name: "request supplement without reason", status: onedoor.StatusInProgress, action: onedoor.ActionRequestSupplement,
			edit: func(c *onedoor.Command) { c.Reason = "" }, code: onedoor.EINVALID, field: "reason"},
		{name: "request supplement without materials", status: onedoor.StatusInProgress, action: onedoor.ActionRequestSupplement,
			edit: func(c *onedoor.Command) { c.Materials = nil }, code: onedoor.EINVALID, field: "materials"},
		{name: "request supplement of an unknown material", status: onedoor.StatusInProgress, action: onedoor.ActionRequestSupplement,
			edit: func(c *onedoor.Command) { c.Materials = []string{"lease", "birth_cert"} }, code: onedoor.EINVALID, field: "materials", says: "birth_cert"},
		{name: "supply nothing", status: onedoor.StatusReceived, action: onedoor.ActionSupply,
			edit: func(c *onedoor.Command) { c.Materials = nil }, code: onedoor.EINVALID, field: "materials"},
		{name: "supply a material not awaited", status: onedoor.StatusSupplement, action: onedoor.ActionSupply,
			edit: func(c *onedoor.Command) { c.Materials = []string{"lease", "form"} }, code: onedoor.EINVALID, field: "materials", says: "form"},
		{name: "supply in progress with nothing owed", action: onedoor.ActionSupply,
			case_: func(t *testing.T) onedoor.Case { return accepted(t, onedoor.ChannelCounter) },
			code:  onedoor.ECONFLICT, says: "Nothing is awaited"},
		{name: "extend by zero days", status: onedoor.StatusInProgress, action: onedoor.ActionExtend,
			edit: func(c *onedoor.Command) { c.Days = 0 }, code: onedoor.EINVALID, field: "days"},
		{name: "extend by negative days", status: onedoor.StatusSuspended, action: onedoor.ActionExtend,
			edit: func(c *onedoor.Command) { c.Days = -3 }, code: onedoor.EINVALID, field: "days"},
		{name: "extend past the statutory limit", status: onedoor.StatusInProgress, action: onedoor.ActionExtend,
			edit: func(c *onedoor.Command) { c.Days = 11 }, code: onedoor.EINVALID, field: "days", says: "statutory limit of 20 working days"},
		{name: "return from the first step", action: onedoor.ActionReturn,
			case_: func(t *testing.T) onedoor.Case { return accepted(t, onedoor.ChannelCounter) },
			code:  onedoor.ECONFLICT, says: "first step"},
		{name: "complete without the licence number", status: onedoor.StatusApproved, action: onedoor.ActionComplete,
			edit: func(c *onedoor.Command) { c.Licence = "" }, code: onedoor.EINVALID, field: "licence"},
		{name: "deliver through another channel", status: onedoor.StatusCompleted, action: onedoor.ActionDeliver,
			edit: func(c *onedoor.Command) { c.Channel = onedoor.ChannelPost; c.TrackingNo = "SF1" }, code: onedoor.EINVALID, field: "channel"},
		{name: "deliver by post without tracking number", action: onedoor.ActionDeliver,
			case_: func(t *testing.T) onedoor.Case { return completed(t, onedoor.ChannelPost) },
			edit:  func(c *onedoor.Command) { c.TrackingNo = "  " }, code: onedoor.EINVALID, field: "tracking_no"},
		{name: "tracking number for the counter", status: onedoor.StatusCompleted, action: onedoor.ActionDeliver,
			edit: func(c *onedoor.Command) { c.TrackingNo = "SF1" }, code: onedoor.EINVALID, field: "tracking_no"},
		{name: "tracking number too long", action: onedoor.ActionDeliver,
			case_: func(t *testing.T) onedoor.Case { return completed(t, onedoor.ChannelPost) },
			edit:  func(c *onedoor.Command) { c.TrackingNo = strings.Repeat("9", 2001) }, code: onedoor.EINVALID, field: "tracking_no"},
		{name: "reason too long", status: onedoor.StatusInProgress, action: onedoor.ActionReject,
			edit: func(c *onedoor.Command) { c.Reason = strings.Repeat("不", 2001) }, code: onedoor.EINVALID, field: "reason", says: "2001 characters"},
		{name: "reason with a control character", status: onedoor.StatusInProgress, action: onedoor.ActionReject,
			edit: func(c *onedoor.Command) { c.Reason = "not eligible\x1b[31m" }, code: onedoor.EINVALID, field: "reason", says: "U+001B"},
		{name: "reason not UTF-8", status: onedoor.StatusInProgress, action: onedoor.ActionReject,
			edit: func(c *onedoor.Command) { c.Reason = "bad \xff" }, code: onedoor.EINVALID, field: "reason"},
		{name: "note with a NUL", status: onedoor.StatusInProgress, action: onedoor.ActionApprove,
			edit: func(c *onedoor.Command) { c.Note = "a\x00b" }, code: onedoor.EINVALID, field: "note"},
		{name: "dated before the case's last change", status: onedoor.StatusInProgress, action: onedoor.ActionApprove,
			edit: func(c *onedoor.Command) { c.At = at("2026-02-02 10:00") }, code: onedoor.EINVALID, field: "at", says: "2026-02-03"},
		{name: "no time", status: onedoor.StatusInProgress, action: onedoor.ActionApprove,
			edit: func(c *onedoor.Command) { c.At = time.Time{} }, code: onedoor.EINVALID, field: "at"},
		{name: "unknown action", status: onedoor.StatusInProgress, action: onedoor.ActionApprove,
			edit: func(c *onedoor.Command) { c.Action = "escalate" }, code: onedoor.EINVALID, field: "action"},
		{name: "intake on an existing case", status: onedoor.StatusInProgress, action: onedoor.ActionApprove,
			edit: func(c *onedoor.Command) { c.Action = onedoor.ActionIntake }, code: onedoor.ECONFLICT},
		{name: "last step with a tolerated material", action: onedoor.ActionApprove,
			case_: func(t *testing.T) onedoor.Case {
				return mustApply(t, atExpert(t), command(onedoor.ActionApprove, housingOfficer, "2026-02-05 10:00"))
			},
			code: onedoor.ECONFLICT, says: "photo (Recent photo)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fx[tt.status]
			if tt.case_ != nil {
				c = tt.case_(t)
			}
			cmd := validCommand(c, m, tt.action, when)
			if tt.edit != nil {
				tt.edit(&cmd)
			}
			_, _, err := workflow.Apply(c, m, cmd, cal)
			e := errorOf(t, err)
			if e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("got %s/%q (%v), want %s/%q", e.Code, e.Field, err, tt.code, tt.field)
			}
			if !strings.Contains(e.Message, tt.says) || !strings.HasSuffix(e.Message, ".") {
				t.Errorf("message %q should be a sentence containing %q", e.Message, tt.says)
			}
		})
	}
}

// TestWrongMatter: the service must pass the matter version the case was
// accepted under.
func TestWrongMatter(t *testing.T) {
	c := accepted(t, onedoor.ChannelCounter)
	m := allowance()
	m.Version = 3
	for name, m := range map[string]*onedoor.Matter{"other version": m, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			_, _, err := workflow.Apply(c, m, command(onedoor.ActionApprove, civilOfficer, "2026-02-03 10:00"), cal)
			if e := errorOf(t, err); e.Code != onedoor.EINVALID || e.Field != "matter" {
				t.Fatalf("got %v, want invalid matter", err)
			}
			if got := workflow.Allowed(c, m, civilOfficer); len(got) != 0 {
				t.Errorf("Allowed = %v, want nothing", got)
			}
		})
	}
}

// TestForbidden checks role and department refusals and that the message
// tells the actor what the step needs and who they are.
func TestForbidden(t *testing.T) {
	post := func(t *testing.T) onedoor.Case { return completed(t, onedoor.ChannelPost) }
	tests := []struct {
		name   string
		case_  func(t *testing.T) onedoor.Case
		action onedoor.Action
		actor  onedoor.Actor
		says   string
	}{
		{"approve review by another department", func(t *testing.T) onedoor.Case { return accepted(t, onedoor.ChannelCounter) },
			onedoor.ActionApprove, hrssOfficer,
			"Step 'Review' (review) is worked by an officer of civil; you are an officer of hrss."},
		{"approve review by the department's leader", func(t *testing.T) onedoor.Case { return accepted(t, onedoor.ChannelCounter) },
			onedoor.ActionApprove, civilLeader,
			"Step 'Review' (review) is worked by an officer of civil; you are a leader of civil."},
		{"department compared exactly", func(t *testing.T) onedoor.Case { return accepted(t, onedoor.ChannelCounter) },
			onedoor.ActionApprove, onedoor.Actor{Role: onedoor.RoleOfficer, Department: "Civil"},
			"Step 'Review' (review) is worked by an officer of civil; you are an officer of Civil."},
		{"approve expert review by civil affairs", atExpertT, onedoor.ActionApprove, civilOfficer,
			"Step 'Expert review' (expert) is worked by an officer of housing; you are an officer of civil."},
		{"suspend by a supervisor", atExpertT, onedoor.ActionSuspend, supervisor,
			"Step 'Expert review' (expert) is worked by an officer of housing; you are a supervisor."},
		{"return without a role", atExpertT, onedoor.ActionReturn, nobody,
			"Step 'Expert review' (expert) is worked by an officer of housing; you act without a staff role."},
		{"request supplement by a clerk", atExpertT, onedoor.ActionRequestSupplement, clerk,
			"Step 'Expert review' (expert) is worked by an officer of housing; you are a clerk."},
		{"decide by an officer", func(t *testing.T) onedoor.Case { return atDecide(t, onedoor.ChannelCounter) },
			onedoor.ActionApprove, civilOfficer,
			"Step 'Decide' (decide) is worked by a leader of civil; you are an officer of civil."},
		{"extend by an officer", atExpertT, onedoor.ActionExtend, housingOfficer,
			"Extending the time limit needs a leader of housing, the department of step 'Expert review' (expert); you are an officer of housing."},
		{"extend by a leader of another department", atExpertT, onedoor.ActionExtend, civilLeader,
			"Extending the time limit needs a leader of housing, the department of step 'Expert review' (expert); you are a leader of civil."},
		{"supply by an officer", atExpertT, onedoor.ActionSupply, housingOfficer,
			"Materials are handed in through a clerk or the system; you are an officer of housing."},
		{"reject after approval by another step's officer", func(t *testing.T) onedoor.Case { return approved(t, onedoor.ChannelCounter) },
			onedoor.ActionReject, housingOfficer,
			"Step 'Decide' (decide) is worked by a leader of civil; you are an officer of housing."},
		{"complete by a clerk", func(t *testing.T) onedoor.Case { return approved(t, onedoor.ChannelCounter) },
			onedoor.ActionComplete, clerk,
			"Issuing the result needs an officer or a leader of civil, the department of the last step 'Decide' (decide); you are a clerk."},
		{"complete by another department", func(t *testing.T) onedoor.Case { return approved(t, onedoor.ChannelCounter) },
			onedoor.ActionComplete, housingOfficer,
			"Issuing the result needs an officer or a leader of civil, the department of the last step 'Decide' (decide); you are an officer of housing."},
		{"deliver at the counter by an officer", func(t *testing.T) onedoor.Case { return completed(t, onedoor.ChannelCounter) },
			onedoor.ActionDeliver, civilOfficer,
			"Delivery at the counter is done by a clerk; you are an officer of civil."},
		{"deliver by post by the system", post, onedoor.ActionDeliver, system,
			"Delivery by post is done by a clerk; you are the system."},
		{"deliver an e-licence by a leader", func(t *testing.T) onedoor.Case { return completed(t, onedoor.ChannelELicence) },
			onedoor.ActionDeliver, civilLeader,
			"Delivery into the e-licence registry is done by a clerk or the system; you are a leader of civil."},
	}
	m := allowance()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.case_(t)
			cmd := validCommand(c, m, tt.action, at("2026-03-02 10:00"))
			cmd.Actor = tt.actor
			_, _, err := workflow.Apply(c, m, cmd, cal)
			e := errorOf(t, err)
			if e.Code != onedoor.EFORBIDDEN || e.Message != tt.says {
				t.Fatalf("got %s %q\nwant forbidden %q", e.Code, e.Message, tt.says)
			}
		})
	}
}

func atExpertT(t *testing.T) onedoor.Case { return atExpert(t) }

// TestSystemDeliversELicence: the e-licence registry is filled by Onedoor
// itself, without a clerk.
func TestSystemDeliversELicence(t *testing.T) {
	c := completed(t, onedoor.ChannelELicence)
	n, ev, err := workflow.Apply(c, allowance(), onedoor.Command{Action: onedoor.ActionDeliver, Actor: system, At: at("2026-02-09 10:01")}, cal)
	if err != nil {
		t.Fatal(err)
	}
	if n.Status != onedoor.StatusDelivered || n.ClosedAt == nil || ev.Command.Channel != onedoor.ChannelELicence {
		t.Errorf("status %s, closed %v, channel %q", n.Status, n.ClosedAt, ev.Command.Channel)
	}
	if n.Licence != "YL-2026-000001" {
		t.Errorf("licence %q", n.Licence)
	}
}

// TestEvent checks what the event of a change records, and that the input
// case is left alone.
func TestEvent(t *testing.T) {
	c := atExpert(t)
	before := deepCopy(c)
	cmd := command(onedoor.ActionRequestSupplement, housingOfficer, "2026-02-04 10:00")
	cmd.At = cmd.At.Add(123456789 * time.Nanosecond) // in +08:00, with nanoseconds
	cmd.Reason = "  The lease is unsigned.\r\nPlease sign page 2.\t "
	cmd.Materials = []string{"lease", "form", "lease"}
	n, ev, err := workflow.Apply(c, allowance(), cmd, cal)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, before) {
		t.Fatal("Apply changed its input case")
	}
	wantAt := time.Date(2026, 2, 4, 2, 0, 0, 123456000, time.UTC)
	switch {
	case ev.Type != onedoor.ActionRequestSupplement || ev.Command.Action != ev.Type:
		t.Errorf("type %s, command %s", ev.Type, ev.Command.Action)
	case ev.CaseID != 7 || ev.CaseNumber != c.Number:
		t.Errorf("case %d %s", ev.CaseID, ev.CaseNumber)
	case ev.Version != c.Version+1 || n.Version != ev.Version:
		t.Errorf("version %d, case %d", ev.Version, n.Version)
	case ev.Status != onedoor.StatusSupplement || ev.Step != 1:
		t.Errorf("status %s step %d", ev.Status, ev.Step)
	case !ev.At.Equal(wantAt) || ev.At.Location() != time.UTC || ev.Command.At != ev.At:
		t.Errorf("at %v, command at %v, want %v UTC", ev.At, ev.Command.At, wantAt)
	case ev.Command.Reason != "The lease is unsigned.\nPlease sign page 2.":
		t.Errorf("reason %q", ev.Command.Reason)
	case !reflect.DeepEqual(ev.Command.Materials, []string{"lease", "form"}):
		t.Errorf("materials %q", ev.Command.Materials)
	case ev.StateHash != n.StateHash():
		t.Error("state hash is not the new case's")
	case ev.Seq != 0 || ev.PrevHash != "" || ev.Hash != "":
		t.Error("the chain fields are the store's")
	}
	if !reflect.DeepEqual(n.Awaiting, []string{"lease", "form"}) {
		t.Errorf("awaiting %q", n.Awaiting)
	}
	// Changing the event's slices must not reach the case or the command.
	ev.Command.Materials[0] = "x"
	if n.Awaiting[0] != "lease" || cmd.Materials[0] != "lease" {
		t.Error("the event shares its materials with the case or the command")
	}
}

// TestFreeText: limits are in characters, not bytes; line breaks and tabs
// are kept inside the text.
func TestFreeText(t *testing.T) {
	c := atExpert(t)
	for _, tt := range []struct {
		name, reason, want string
	}{
		{"2000 Chinese characters", strings.Repeat("驳", 2000), strings.Repeat("驳", 2000)},
		{"trimmed", "\n  不符合条件  \t", "不符合条件"},
		{"inner line breaks and tabs", "第一条\n\t第二条", "第一条\n\t第二条"},
		{"CRLF from a text area", "line one\r\nline two\r", "line one\nline two"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, ev, err := workflow.Apply(c, allowance(), withReason(command(onedoor.ActionReject, housingOfficer, "2026-02-04 10:00"), tt.reason), cal)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Command.Reason != tt.want || n.Status != onedoor.StatusRejected {
				t.Errorf("reason %q, want %q", ev.Command.Reason, tt.want)
			}
		})
	}
}

func TestExtendApprover(t *testing.T) {
	c := atExpert(t)
	cmd := withReason(command(onedoor.ActionExtend, housingLeader, "2026-02-04 10:00"), "Expert panel postponed.")
	cmd.Days = 10 // exactly up to the statutory limit
	n, ev, err := workflow.Apply(c, allowance(), cmd, cal)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Command.Approver != housingLeader.Name || n.ExtendedDays != 10 {
		t.Errorf("approver %q, extended %d", ev.Command.Approver, n.ExtendedDays)
	}
	cmd.Days = 1
	if _, _, err := workflow.Apply(n, allowance(), cmd, cal); workflowField(err) != "days" {
		t.Errorf("extension past the statutory limit: %v", err)
	}
	if got := workflow.Allowed(n, allowance(), housingLeader); contains(got, onedoor.ActionExtend) {
		t.Errorf("Allowed offers an extension with no room left: %v", got)
	}
	cmd = withReason(command(onedoor.ActionExtend, housingLeader, "2026-02-04 10:00"), "Expert panel postponed.")
	cmd.Days, cmd.Approver = 2, "区长 张伟"
	if _, ev, _ := workflow.Apply(c, allowance(), cmd, cal); ev.Command.Approver != "区长 张伟" {
		t.Errorf("a named approver was replaced: %q", ev.Command.Approver)
	}
}

func workflowField(err error) string { return onedoor.ErrorField(err) }

func contains(as []onedoor.Action, a onedoor.Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// deepCopy copies a case so that a later comparison sees any change made
// through shared slices or pointers.
func deepCopy(c onedoor.Case) onedoor.Case {
	c.Materials = slices.Clone(c.Materials)
	c.Awaiting = slices.Clone(c.Awaiting)
	if c.AcceptedAt != nil {
		t := *c.AcceptedAt
		c.AcceptedAt = &t
	}
	if c.ClosedAt != nil {
		t := *c.ClosedAt
		c.ClosedAt = &t
	}
	return c
}

func TestNotice(t *testing.T) {
	m := allowance()
	c := onedoor.Case{Awaiting: []string{"income", "form", "retired"}}
	got := workflow.Notice(c, m)
	var codes []string
	for _, x := range got {
		codes = append(codes, x.Code)
	}
	if strings.Join(codes, ",") != "form,income,retired" {
		t.Fatalf("notice lists %v, want the matter's order and the unknown code last", codes)
	}
	if got[0].Name.En != "Application form" || !got[1].Required {
		t.Errorf("notice materials lack their definitions: %+v", got[:2])
	}
	if n := workflow.Notice(onedoor.Case{}, m); n == nil || len(n) != 0 {
		t.Errorf("empty notice = %#v, want an empty list", n)
	}
}
