package sqldb_test

import (
	"context"
	"slices"
	"testing"

	"onedoor"
	"onedoor/sqldb"
)

// TestBundlePassesLicence: in 退休一件事 (BD-RETIRE) medical insurance
// (MED-020) and the provident fund (HPF-001) need the pension decision
// that the pension confirmation (HRSS-001) of the same application
// issues. Nobody hands it in: the two cases wait for it, and when HRSS-001
// completes, the system supplies it from the registry (免提交) to both, in
// the transaction that issued it. MED-020, with nothing else owed, is
// accepted then — its clock starting at the next working period, since
// the officer finished after hours; HPF-001 still waits for the bank card
// the applicant owes. Verify finds nothing wrong, and the bundle is
// delivered once.
func TestBundlePassesLicence(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		e.clock.Set("2026-03-02 10:00") // Monday
		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Bundle: "BD-RETIRE", Applicant: person("陈建国", "19650601", 5),
			Materials: []string{"application_form", "personnel_file", "ss_card"}, Delivery: onedoor.ChannelCounter, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		byMatter := map[string]string{}
		for _, c := range rc.Cases {
			byMatter[c.Matter] = c.Number
		}
		status := func(matter string) *onedoor.Case {
			t.Helper()
			c, err := db.FindCase(ctx, byMatter[matter])
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if c := status("HRSS-001"); c.Status != onedoor.StatusInProgress {
			t.Fatalf("HRSS-001 is %s", c.Status)
		}
		for matter, awaiting := range map[string][]string{"MED-020": {"pension_decision"}, "HPF-001": {"pension_decision", "bank_card"}} {
			if c := status(matter); c.Status != onedoor.StatusReceived || !slices.Equal(c.Awaiting, awaiting) {
				t.Fatalf("%s at intake: %s awaiting %q", matter, c.Status, c.Awaiting)
			}
		}

		// Tuesday, after hours: the pension is confirmed and its decision issued.
		e.clock.Set("2026-03-03 17:50")
		finish(t, e, byMatter["HRSS-001"])
		hrss := status("HRSS-001")
		if hrss.Status != onedoor.StatusCompleted || hrss.Licence == "" {
			t.Fatalf("HRSS-001: %s, licence %q", hrss.Status, hrss.Licence)
		}
		lic, err := db.FindLicence(ctx, hrss.Licence)
		if err != nil || lic.Type != "pension_decision" {
			t.Fatalf("licence %s: %+v, %v", hrss.Licence, lic, err)
		}
		hrssEvents, err := db.Events(ctx, hrss.ID)
		if err != nil {
			t.Fatal(err)
		}
		completed := hrssEvents[len(hrssEvents)-1]
		if completed.Type != onedoor.ActionComplete {
			t.Fatalf("HRSS-001's last event is %s", completed.Type)
		}

		med := status("MED-020")
		// Accepted Tuesday 17:50, after hours: the clock starts Wednesday
		// 09:00; 3 working days after Wednesday 4 March is Monday 9 March.
		if med.Status != onedoor.StatusInProgress || med.Awaiting != nil || med.AcceptedAt == nil || !med.AcceptedAt.Equal(e.clock.Now()) || med.Due != "2026-03-09" {
			t.Errorf("MED-020 after the decision: %s awaiting %q accepted %v due %s; want in progress, accepted now, due 2026-03-09",
				med.Status, med.Awaiting, med.AcceptedAt, med.Due)
		}
		hpf := status("HPF-001")
		if hpf.Status != onedoor.StatusReceived || !slices.Equal(hpf.Awaiting, []string{"bank_card"}) {
			t.Errorf("HPF-001 after the decision: %s awaiting %q; want received, awaiting the bank card", hpf.Status, hpf.Awaiting)
		}
		for i, c := range []*onedoor.Case{med, hpf} {
			k := slices.IndexFunc(c.Materials, func(x onedoor.CaseMaterial) bool { return x.Code == "pension_decision" })
			if m := c.Materials[k]; m.State != onedoor.MaterialWaived || m.Licence != hrss.Licence {
				t.Errorf("%s: pension decision %+v; want waived by %s", c.Matter, m, hrss.Licence)
			}
			evs, err := db.Events(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := evs[len(evs)-1]
			if last.Type != onedoor.ActionSupply || last.Command.Actor.Role != onedoor.RoleSystem || last.Command.Licence != hrss.Licence ||
				!slices.Equal(last.Command.Materials, []string{"pension_decision"}) || !last.At.Equal(completed.At) {
				t.Errorf("%s: last event %s by %s at %s, %q %q", c.Matter, last.Type, last.Command.Actor.Role, last.At, last.Command.Licence, last.Command.Materials)
			}
			// Written with the completion: the next events of the chain.
			if want := completed.Seq + int64(i) + 1; last.Seq != want {
				t.Errorf("%s: the supply is event %d; the completion %d", c.Matter, last.Seq, completed.Seq)
			}
		}
		tr, err := db.Tracking(ctx, med)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Awaiting) != 0 || tr.Timeline[len(tr.Timeline)-1].Text.En != "The e-licence needed was drawn from the registry; nothing to hand in" {
			t.Errorf("MED-020 tracking: awaiting %v, timeline %+v", tr.Awaiting, tr.Timeline)
		}

		// The applicant brings the bank card; the rest follows.
		e.clock.Set("2026-03-04 10:00")
		if _, err := db.Act(ctx, byMatter["HPF-001"], onedoor.Command{Action: onedoor.ActionSupply, Actor: clerk, Materials: []string{"bank_card"}}); err != nil {
			t.Fatal(err)
		}
		finish(t, e, byMatter["MED-020"])
		finish(t, e, byMatter["HPF-001"])
		cs, err := db.DeliverBundle(ctx, rc.Bundle, onedoor.Command{Actor: clerk})
		if err != nil || len(cs) != 3 {
			t.Fatalf("bundle delivery: %d cases, %v", len(cs), err)
		}
		var vs []sqldb.Violation
		if _, err := db.Verify(ctx, func(v sqldb.Violation) { vs = append(vs, v) }); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Errorf("verify: %s", v)
		}
	})
}
