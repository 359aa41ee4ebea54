package workflow_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/workflow"
)

func states(c onedoor.Case) map[string]onedoor.MaterialState {
	out := map[string]onedoor.MaterialState{}
	for _, x := range c.Materials {
		out[x.Code] = x.State
	}
	return out
}

func material(c onedoor.Case, code string) onedoor.CaseMaterial {
	for _, x := range c.Materials {
		if x.Code == code {
			return x
		}
	}
	return onedoor.CaseMaterial{}
}

// TestIntakeAccepted: everything required handed in, accepted on the spot,
// the clock started; the event records the decision.
func TestIntakeAccepted(t *testing.T) {
	in := complete("2026-02-10 10:00")
	in.Bundle, in.BundleCode = "BD440604260210000001", "newborn"
	c, ev, err := workflow.Intake(in, cal)
	if err != nil {
		t.Fatal(err)
	}
	accepted := at("2026-02-10 10:00").UTC()
	want := onedoor.Case{
		Number: "440604260210000001", Matter: "440604-MZ-0101", MatterVersion: 2,
		Bundle: "BD440604260210000001", BundleCode: "newborn",
		Subject: onedoor.Natural, ApplicantID: 42, Status: onedoor.StatusInProgress,
		Materials: []onedoor.CaseMaterial{
			{Code: "form", State: onedoor.MaterialProvided},
			{Code: "id", State: onedoor.MaterialProvided},
			{Code: "photo", State: onedoor.MaterialProvided},
			{Code: "lease", State: onedoor.MaterialProvided},
			{Code: "income", State: onedoor.MaterialProvided},
			{Code: "proxy", State: onedoor.MaterialAbsent},
		},
		Channel: "counter", Delivery: onedoor.ChannelCounter, Clock: onedoor.ClockOffice,
		ReceivedAt: accepted, AcceptedAt: &accepted,
		Due:         "2026-03-02", // 10 working days across the Spring Festival
		StepStarted: "2026-02-10", StepDue: "2026-02-12",
		Version: 1,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("case\n got %+v\nwant %+v", c, want)
	}
	rec := ev.Command.Intake
	switch {
	case ev.Type != onedoor.ActionIntake || ev.Command.Action != onedoor.ActionIntake || ev.Version != 1 || ev.Status != onedoor.StatusInProgress:
		t.Errorf("event %s/%s v%d %s", ev.Type, ev.Command.Action, ev.Version, ev.Status)
	case ev.CaseNumber != c.Number || ev.StateHash != c.StateHash() || !ev.At.Equal(accepted) || ev.Command.Actor != clerk:
		t.Errorf("event %+v", ev)
	case rec == nil:
		t.Fatal("the intake event carries no decision")
	case rec.Number != c.Number || rec.ApplicantID != 42 || rec.Bundle != c.Bundle || rec.BundleCode != "newborn" ||
		rec.Channel != "counter" || rec.Delivery != onedoor.ChannelCounter || !reflect.DeepEqual(rec.Materials, c.Materials):
		t.Errorf("decision %+v", rec)
	}
}

// TestIntakeReceived: with required materials missing and no commitment the
// case waits, with one notice listing all of them, and no clock.
func TestIntakeReceived(t *testing.T) {
	in := without(complete("2026-02-10 10:00"), "photo", "income")
	in.Dishonest = true // irrelevant without 容缺
	c := mustIntake(t, in)
	if c.Status != onedoor.StatusReceived || c.AcceptedAt != nil || c.Due != "" || c.StepDue != "" || c.PausedSince != "" {
		t.Fatalf("status %s accepted %v due %q step due %q paused %q", c.Status, c.AcceptedAt, c.Due, c.StepDue, c.PausedSince)
	}
	if !reflect.DeepEqual(c.Awaiting, []string{"photo", "income"}) {
		t.Errorf("awaiting %q", c.Awaiting)
	}
	var notice []string
	for _, x := range workflow.Notice(c, allowance()) {
		notice = append(notice, x.Name.En)
	}
	if strings.Join(notice, "; ") != "Recent photo; Income certificate" {
		t.Errorf("notice %q", notice)
	}
	// Handing in part of it changes nothing but the list.
	c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, clerk, "2026-02-12 09:00"), "income"))
	if c.Status != onedoor.StatusReceived || !reflect.DeepEqual(c.Awaiting, []string{"photo"}) {
		t.Fatalf("after part: %s awaiting %q", c.Status, c.Awaiting)
	}
	// The rest starts the clock on the day it is handed in, Friday 13
	// February: 10 working days are Sat 14 (调休), 24–28 Feb (Sat 28 调休)
	// and 2–5 March.
	c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, system, "2026-02-13 16:00"), "photo"))
	if c.Status != onedoor.StatusInProgress || c.Awaiting != nil || c.AcceptedAt == nil || !c.AcceptedAt.Equal(at("2026-02-13 16:00")) {
		t.Fatalf("after all: %s awaiting %q accepted %v", c.Status, c.Awaiting, c.AcceptedAt)
	}
	if c.Due != "2026-03-05" || c.StepStarted != "2026-02-13" || c.StepDue != "2026-02-24" || c.Step != 0 {
		t.Errorf("due %s, step %d started %s due %s", c.Due, c.Step, c.StepStarted, c.StepDue)
	}
	if st := states(c); st["photo"] != onedoor.MaterialProvided || st["income"] != onedoor.MaterialProvided {
		t.Errorf("materials %v", st)
	}
}

// TestTolerate covers 容缺受理.
func TestTolerate(t *testing.T) {
	base := without(complete("2026-02-10 10:00"), "photo", "lease")
	base.Tolerate, base.Commitment = true, "本人承诺在承诺期限内补交照片和租赁合同。"

	t.Run("accepted", func(t *testing.T) {
		c := mustIntake(t, base)
		if c.Status != onedoor.StatusInProgress || c.Commitment != base.Commitment || len(c.Awaiting) != 0 {
			t.Fatalf("status %s commitment %q awaiting %q", c.Status, c.Commitment, c.Awaiting)
		}
		for _, code := range []string{"photo", "lease"} {
			if x := material(c, code); x.State != onedoor.MaterialTolerated || x.Due != "2026-03-02" || x.Due != c.Due {
				t.Errorf("%s: %+v, want tolerated and due 2026-03-02, the case's promised date", code, x)
			}
		}
	})
	refusals := []struct {
		name  string
		edit  func(*workflow.IntakeInput)
		field string
		says  string
	}{
		{"dishonest applicant", func(in *workflow.IntakeInput) { in.Dishonest = true }, "tolerate", "dishonesty list"},
		{"blank commitment", func(in *workflow.IntakeInput) { in.Commitment = " \n " }, "tolerate", "blank"},
		{"a material that is not minor", func(in *workflow.IntakeInput) { in.Provided = []string{"form", "id"} }, "tolerate",
			"income (Income certificate) must be handed in"},
		{"commitment with a control character", func(in *workflow.IntakeInput) { in.Commitment = "I promise\x07" }, "commitment", "U+0007"},
		{"commitment too long", func(in *workflow.IntakeInput) { in.Commitment = strings.Repeat("诺", 2001) }, "commitment", "2001"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.edit(&in)
			_, _, err := workflow.Intake(in, cal)
			e := errorOf(t, err)
			if e.Code != onedoor.EINVALID || e.Field != tt.field || !strings.Contains(e.Message, tt.says) {
				t.Fatalf("got %v, want invalid %s saying %q", err, tt.field, tt.says)
			}
			if tt.field == "tolerate" && strings.Contains(e.Message, "photo (") && tt.name == "a material that is not minor" {
				t.Errorf("the tolerable photo is named among the major materials: %s", e.Message)
			}
		})
	}
	t.Run("not needed", func(t *testing.T) {
		in := complete("2026-02-10 10:00")
		in.Tolerate, in.Dishonest, in.Commitment = true, true, ""
		c := mustIntake(t, in)
		if c.Status != onedoor.StatusInProgress || c.Commitment != "" {
			t.Errorf("a complete application asking for 容缺: %s, commitment %q", c.Status, c.Commitment)
		}
	})
	t.Run("due date does not move", func(t *testing.T) {
		// A supplement pause and an extension push the case back; the
		// promised date of the commitment stays.
		c := mustIntake(t, base)
		c = mustApply(t, c, withMaterials(withReason(command(onedoor.ActionRequestSupplement, civilOfficer, "2026-02-11 10:00"), "Form unsigned."), "form"))
		c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, clerk, "2026-02-26 10:00"), "form"))
		ext := withReason(command(onedoor.ActionExtend, civilLeader, "2026-02-26 11:00"), "Complex case.")
		ext.Days = 3
		c = mustApply(t, c, ext)
		if c.Due <= "2026-03-02" || material(c, "photo").Due != "2026-03-02" {
			t.Errorf("case due %s, photo due %s", c.Due, material(c, "photo").Due)
		}
	})
	t.Run("last approval waits for the materials", func(t *testing.T) {
		c := mustIntake(t, base)
		c = mustApply(t, c, command(onedoor.ActionApprove, civilOfficer, "2026-02-11 10:00"))
		c = mustApply(t, c, command(onedoor.ActionApprove, housingOfficer, "2026-02-12 10:00"))
		decide := command(onedoor.ActionApprove, civilLeader, "2026-02-13 10:00")
		_, _, err := workflow.Apply(c, allowance(), decide, cal)
		if e := errorOf(t, err); e.Code != onedoor.ECONFLICT || !strings.Contains(e.Message, "photo (Recent photo), lease (Tenancy contract)") {
			t.Fatalf("got %v, want a conflict naming both materials", err)
		}
		if contains(workflow.Allowed(c, allowance(), civilLeader), onedoor.ActionApprove) {
			t.Error("Allowed offers the last approval with materials outstanding")
		}
		c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, clerk, "2026-02-13 09:00"), "photo"))
		if _, _, err := workflow.Apply(c, allowance(), decide, cal); !strings.Contains(onedoor.ErrorMessage(err), "lease") || strings.Contains(onedoor.ErrorMessage(err), "photo") {
			t.Fatalf("with the lease outstanding: %v", err)
		}
		c = mustApply(t, c, withMaterials(command(onedoor.ActionSupply, clerk, "2026-02-13 09:30"), "lease"))
		if c.Status != onedoor.StatusInProgress || states(c)["lease"] != onedoor.MaterialProvided || material(c, "lease").Due != "" {
			t.Fatalf("after supply: %s %+v", c.Status, material(c, "lease"))
		}
		if c = mustApply(t, c, decide); c.Status != onedoor.StatusApproved || c.Step != 3 {
			t.Errorf("status %s step %d", c.Status, c.Step)
		}
	})
}

// TestWaived: an e-licence valid on the intake date replaces a material
// (免提交); an expired or not yet valid one does not.
func TestWaived(t *testing.T) {
	licence := func(number, typ, from, until string) onedoor.Licence {
		return onedoor.Licence{Number: number, Type: typ, Subject: onedoor.Natural, HolderID: 42, ValidFrom: from, ValidUntil: until}
	}
	tests := []struct {
		name     string
		licences []onedoor.Licence
		state    onedoor.MaterialState
		number   string
	}{
		{"valid", []onedoor.Licence{licence("SFZ-1", "resident_id", "2016-05-01", "2036-05-01")}, onedoor.MaterialWaived, "SFZ-1"},
		{"without limit", []onedoor.Licence{licence("SFZ-2", "resident_id", "2016-05-01", "")}, onedoor.MaterialWaived, "SFZ-2"},
		{"last valid day", []onedoor.Licence{licence("SFZ-3", "resident_id", "2006-02-10", "2026-02-10")}, onedoor.MaterialWaived, "SFZ-3"},
		{"expired the day before", []onedoor.Licence{licence("SFZ-4", "resident_id", "2006-02-09", "2026-02-09")}, onedoor.MaterialMissing, ""},
		{"not yet valid", []onedoor.Licence{licence("SFZ-5", "resident_id", "2026-02-11", "")}, onedoor.MaterialMissing, ""},
		{"another type", []onedoor.Licence{licence("HK-1", "household_register", "2016-05-01", "")}, onedoor.MaterialMissing, ""},
		{"expired then valid", []onedoor.Licence{
			licence("SFZ-6", "resident_id", "2006-02-09", "2026-02-09"),
			licence("SFZ-7", "resident_id", "2026-02-09", "2046-02-09"),
		}, onedoor.MaterialWaived, "SFZ-7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := without(complete("2026-02-10 10:00"), "id")
			in.Licences = tt.licences
			c := mustIntake(t, in)
			x := material(c, "id")
			if x.State != tt.state || x.Licence != tt.number {
				t.Fatalf("id: %+v, want %s %q", x, tt.state, tt.number)
			}
			if wantStatus := map[bool]onedoor.Status{true: onedoor.StatusInProgress, false: onedoor.StatusReceived}[tt.state == onedoor.MaterialWaived]; c.Status != wantStatus {
				t.Errorf("status %s, want %s", c.Status, wantStatus)
			}
		})
	}
	t.Run("handed in anyway", func(t *testing.T) {
		in := complete("2026-02-10 10:00")
		in.Licences = tests[0].licences
		if x := material(mustIntake(t, in), "id"); x.State != onedoor.MaterialProvided || x.Licence != "" {
			t.Errorf("id: %+v, want provided", x)
		}
	})
}

// TestIntakeRefused covers the checks on the intake input.
func TestIntakeRefused(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*workflow.IntakeInput)
		code  string
		field string
		says  string
	}{
		{"no matter", func(in *workflow.IntakeInput) { in.Matter = nil }, onedoor.EINVALID, "matter", ""},
		{"matter without steps", func(in *workflow.IntakeInput) { in.Matter.Steps = nil }, onedoor.EINVALID, "matter", "no steps"},
		{"legal person for a natural person's matter", func(in *workflow.IntakeInput) { in.Subject = onedoor.Legal }, onedoor.EINVALID, "subject", "natural"},
		{"unknown materials", func(in *workflow.IntakeInput) { in.Provided = append(in.Provided, "birth_cert", "x", "x") }, onedoor.EINVALID, "materials", "birth_cert, x."},
		{"delivery not offered", func(in *workflow.IntakeInput) {
			in.Matter.Delivery = in.Matter.Delivery[:1]
			in.Delivery = onedoor.ChannelPost
		},
			onedoor.EINVALID, "delivery", "at the counter, not by post"},
		{"unknown delivery", func(in *workflow.IntakeInput) { in.Delivery = "drone" }, onedoor.EINVALID, "delivery", ""},
		{"matter without delivery", func(in *workflow.IntakeInput) { in.Matter.Delivery = nil }, onedoor.EINVALID, "delivery", ""},
		{"unknown channel", func(in *workflow.IntakeInput) { in.Channel = "fax" }, onedoor.EINVALID, "channel", "fax"},
		{"officer at the counter", func(in *workflow.IntakeInput) { in.Actor = civilOfficer }, onedoor.EFORBIDDEN, "",
			"Applications at the counter are taken by a clerk; you are an officer of civil."},
		{"online by a leader", func(in *workflow.IntakeInput) { in.Channel, in.Actor = workflow.Online, civilLeader }, onedoor.EFORBIDDEN, "", "Online applications"},
		{"no time", func(in *workflow.IntakeInput) { in.At = time.Time{} }, onedoor.EINVALID, "at", ""},
		{"time in another century", func(in *workflow.IntakeInput) { in.At = time.Date(2126, 1, 1, 0, 0, 0, 0, time.UTC) }, onedoor.EINVALID, "at", ""},
		{"no number", func(in *workflow.IntakeInput) { in.Number = " " }, onedoor.EINVALID, "number", ""},
		{"no applicant", func(in *workflow.IntakeInput) { in.ApplicantID = 0 }, onedoor.EINVALID, "applicant_id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := complete("2026-02-10 10:00")
			tt.edit(&in)
			_, _, err := workflow.Intake(in, cal)
			e := errorOf(t, err)
			if e.Code != tt.code || e.Field != tt.field || !strings.Contains(e.Message, tt.says) {
				t.Fatalf("got %v, want %s %q saying %q", err, tt.code, tt.field, tt.says)
			}
		})
	}
}

func TestIntakeDefaults(t *testing.T) {
	in := complete("2026-02-10 10:00")
	in.Channel = ""
	c := mustIntake(t, in)
	if c.Channel != workflow.Counter || c.Delivery != onedoor.ChannelCounter {
		t.Errorf("channel %q delivery %q, want the counter and the matter's first channel", c.Channel, c.Delivery)
	}
	for _, a := range []onedoor.Actor{nobody, system, clerk} {
		in := complete("2026-02-10 10:00")
		in.Channel, in.Actor, in.Delivery = workflow.Online, a, onedoor.ChannelELicence
		c, _, err := workflow.Intake(in, cal)
		if err != nil || c.Channel != workflow.Online || c.Delivery != onedoor.ChannelELicence {
			t.Errorf("online intake by %q: %v (%q %q)", a.Role, err, c.Channel, c.Delivery)
		}
	}
}

// TestIntakeSpecialFirstStep: a matter that starts with a special step has
// its clock paused from acceptance.
func TestIntakeSpecialFirstStep(t *testing.T) {
	in := complete("2026-02-10 10:00")
	in.Matter.Steps[0].Special = true
	c, _, err := workflow.Intake(in, cal)
	if err != nil {
		t.Fatal(err)
	}
	if c.PausedSince != "2026-02-10" || c.Status != onedoor.StatusInProgress || c.Due != "2026-03-02" {
		t.Errorf("paused since %q, status %s, due %s", c.PausedSince, c.Status, c.Due)
	}
}
