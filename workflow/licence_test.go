package workflow_test

import (
	"reflect"
	"testing"

	"onedoor"
	"onedoor/workflow"
)

// TestSupplyByLicence: the system passes on an e-licence that replaces an
// awaited material (免提交, as when another case of the same bundle issues
// it): the material is waived with the licence's number, not handed in,
// and the case goes on as with any supply — still waiting for what the
// applicant owes, then accepted. The event replays.
func TestSupplyByLicence(t *testing.T) {
	in := without(complete("2026-03-02 10:00"), "id", "income")
	c, first, err := workflow.Intake(in, cal)
	if err != nil {
		t.Fatal(err)
	}
	c.ID, first.CaseID = 7, 7
	if c.Status != onedoor.StatusReceived || !reflect.DeepEqual(c.Awaiting, []string{"id", "income"}) {
		t.Fatalf("intake: %s awaiting %q", c.Status, c.Awaiting)
	}

	// Income has no e-licence type: it cannot be waived.
	cmd := withMaterials(command(onedoor.ActionSupply, system, "2026-03-03 10:00"), "id", "income")
	cmd.Licence = "resident_id-440604260303000001"
	_, _, err = workflow.Apply(c, allowance(), cmd, cal)
	if e := errorOf(t, err); e.Code != onedoor.EINVALID || e.Field != "licence" {
		t.Errorf("waiving the income certificate: %v", err)
	}

	cmd.Materials = []string{"id"}
	n, ev, err := workflow.Apply(c, allowance(), cmd, cal)
	if err != nil {
		t.Fatal(err)
	}
	if m := material(n, "id"); m.State != onedoor.MaterialWaived || m.Licence != cmd.Licence {
		t.Errorf("id after the licence: %+v", m)
	}
	if n.Status != onedoor.StatusReceived || !reflect.DeepEqual(n.Awaiting, []string{"income"}) || n.AcceptedAt != nil {
		t.Errorf("after the licence: %s awaiting %q", n.Status, n.Awaiting)
	}
	if ev.Command.Licence != cmd.Licence || ev.Command.Actor != system {
		t.Errorf("event %+v", ev.Command)
	}
	var notice []string
	for _, x := range workflow.Notice(n, allowance()) {
		notice = append(notice, x.Code)
	}
	if !reflect.DeepEqual(notice, []string{"income"}) {
		t.Errorf("notice after the licence: %q", notice)
	}

	// The applicant hands in the rest: accepted.
	n2, ev2, err := workflow.Apply(n, allowance(), withMaterials(command(onedoor.ActionSupply, clerk, "2026-03-04 10:00"), "income"), cal)
	if err != nil {
		t.Fatal(err)
	}
	if n2.Status != onedoor.StatusInProgress || material(n2, "id").State != onedoor.MaterialWaived || material(n2, "income").State != onedoor.MaterialProvided {
		t.Errorf("accepted: %s, materials %v", n2.Status, states(n2))
	}
	got, err := workflow.Replay(allowance(), []onedoor.Event{first, ev, ev2}, cal)
	if err != nil || !reflect.DeepEqual(got, n2) {
		t.Errorf("replay: %v\n got %+v\nwant %+v", err, got, n2)
	}

	// A supply by licence that is the last one awaited accepts the case.
	only := mustIntake(t, without(complete("2026-03-02 10:00"), "id"))
	cmd.Materials = []string{"id"}
	n3 := mustApply(t, only, cmd)
	if n3.Status != onedoor.StatusInProgress || n3.AcceptedAt == nil || !n3.AcceptedAt.Equal(at("2026-03-03 10:00")) {
		t.Errorf("last material by licence: %s accepted %v", n3.Status, n3.AcceptedAt)
	}
}

// TestFromBundle: what a case of a bundle awaits is split into what the
// applicant brings and what a sibling still open will issue — and only
// that: a sibling of another applicant or bundle, a completed or rejected
// one, or a material no e-licence replaces stay on the notice.
func TestFromBundle(t *testing.T) {
	pension := onedoor.Material{Code: "pension_decision", Licence: "pension_decision"}
	card := onedoor.Material{Code: "bank_card"}
	idcard := onedoor.Material{Code: "id", Licence: "resident_id"}
	issuing := &onedoor.Matter{Code: "HRSS-001", Name: onedoor.Text{Zh: "退休养老待遇确认"}, Result: onedoor.Result{Licence: "pension_decision"}}
	other := &onedoor.Matter{Code: "MED-020", Result: onedoor.Result{Licence: "medical_decision"}}
	waiting := onedoor.Case{Number: "N2", Bundle: "BD1", Subject: onedoor.Natural, ApplicantID: 5}
	sibling := func(number string, status onedoor.Status, change func(*onedoor.Case)) *onedoor.Case {
		c := &onedoor.Case{Number: number, Bundle: "BD1", Subject: onedoor.Natural, ApplicantID: 5, Status: status}
		if change != nil {
			change(c)
		}
		return c
	}
	notice := []onedoor.Material{pension, card, idcard}
	for _, tc := range []struct {
		name    string
		issuers []workflow.Issuer
		coming  bool
	}{
		{"an open sibling issues it", []workflow.Issuer{{Case: sibling("N3", onedoor.StatusInProgress, nil), Matter: other}, {Case: sibling("N1", onedoor.StatusReceived, nil), Matter: issuing}}, true},
		{"the sibling is approved, not yet completed", []workflow.Issuer{{Case: sibling("N1", onedoor.StatusApproved, nil), Matter: issuing}}, true},
		{"no sibling issues it", []workflow.Issuer{{Case: sibling("N3", onedoor.StatusInProgress, nil), Matter: other}}, false},
		{"the sibling is completed", []workflow.Issuer{{Case: sibling("N1", onedoor.StatusCompleted, nil), Matter: issuing}}, false},
		{"the sibling is rejected", []workflow.Issuer{{Case: sibling("N1", onedoor.StatusRejected, nil), Matter: issuing}}, false},
		{"another applicant's case", []workflow.Issuer{{Case: sibling("N1", onedoor.StatusInProgress, func(c *onedoor.Case) { c.ApplicantID = 6 }), Matter: issuing}}, false},
		{"another bundle", []workflow.Issuer{{Case: sibling("N1", onedoor.StatusInProgress, func(c *onedoor.Case) { c.Bundle = "BD2" }), Matter: issuing}}, false},
		{"the case itself", []workflow.Issuer{{Case: &waiting, Matter: issuing}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bring, coming := workflow.FromBundle(waiting, notice, tc.issuers)
			want := notice
			if tc.coming {
				want = []onedoor.Material{card, idcard}
				if len(coming) != 1 || coming[0].Material != pension || coming[0].From != "N1" || coming[0].Matter != "HRSS-001" || coming[0].Name.Zh != "退休养老待遇确认" {
					t.Errorf("coming %+v; want the pension decision from N1 (HRSS-001)", coming)
				}
			} else if len(coming) != 0 {
				t.Errorf("coming %+v; want nothing", coming)
			}
			if !reflect.DeepEqual(bring, want) {
				t.Errorf("to bring %+v; want %+v", bring, want)
			}
		})
	}
}
