package workflow_test

import (
	"testing"

	"onedoor"
	"onedoor/workflow"
)

// BenchmarkApply measures one command on a case in progress, event and
// state hash included: what every back-office click costs.
func BenchmarkApply(b *testing.B) {
	m := allowance()
	c := accepted(b, onedoor.ChannelCounter)
	expert := atExpert(b)
	cases := []struct {
		name string
		c    onedoor.Case
		cmd  onedoor.Command
	}{
		{"approve", c, command(onedoor.ActionApprove, civilOfficer, "2026-02-03 10:00")},
		{"request_supplement", c, withMaterials(withReason(command(onedoor.ActionRequestSupplement, civilOfficer, "2026-02-03 10:00"), "The lease is not signed."), "lease")},
		{"approve_special", expert, command(onedoor.ActionApprove, housingOfficer, "2026-02-25 10:00")},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := workflow.Apply(bc.c, m, bc.cmd, cal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIntake measures the intake decision with a waived material.
func BenchmarkIntake(b *testing.B) {
	in := without(complete("2026-02-10 10:00"), "id")
	in.Licences = []onedoor.Licence{{Number: "SFZ-1", Type: "resident_id", ValidFrom: "2016-01-01"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := workflow.Intake(in, cal); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllowed measures the action list the UI asks for on every page.
func BenchmarkAllowed(b *testing.B) {
	m := allowance()
	c := atExpert(b)
	b.ReportAllocs()
	for b.Loop() {
		workflow.Allowed(c, m, housingOfficer)
	}
}
