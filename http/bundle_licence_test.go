package http_test

import (
	"context"
	"fmt"
	"testing"

	"onedoor"
)

// TestAPIBundlePassesLicence drives 退休一件事 (BD-RETIRE) through the
// API: the clerk takes the bundle without the pension decision, which
// medical insurance (MED-020) and the provident fund (HPF-001) need and
// the pension confirmation (HRSS-001) issues. When the hrss leader
// completes HRSS-001, the other two are supplied from the registry
// (免提交) in the same call: the resident's tracking shows MED-020
// accepted with nothing awaited and says where the decision came from,
// and the clerk's view of the case shows it waived by the new e-licence.
func TestAPIBundlePassesLicence(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		ctx := context.Background()
		for _, s := range []onedoor.Staff{
			{Username: "officer.hrss", Name: "人社经办", Role: onedoor.RoleOfficer, Department: "hrss"},
			{Username: "leader.hrss", Name: "人社领导", Role: onedoor.RoleLeader, Department: "hrss"},
		} {
			tok, err := e.db.CreateStaff(ctx, &s)
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[staffKey(s)] = tok
		}
		r := e.do(t, request{Method: "POST", Path: "/api/v1/intake", Token: "clerk", Body: mustJSON(map[string]any{
			"bundle": "BD-RETIRE", "delivery": "counter",
			"applicant": map[string]any{"subject": "natural", "id_number": idNumber("440604", "19650601", 5), "name": "陈建国"},
			"materials": []string{"application_form", "personnel_file", "ss_card", "bank_card"},
		})})
		if r.Status != 200 && r.Status != 201 {
			t.Fatalf("intake: %s", r)
		}
		var receipt onedoor.Receipt
		r.decodeInto(t, &receipt)
		number := map[string]string{}
		for _, c := range receipt.Cases {
			number[c.Matter] = c.Number
		}
		if len(number) != 3 {
			t.Fatalf("receipt: %s", r)
		}
		// The receipt does not ask for the decision: it is coming from HRSS-001.
		for _, c := range receipt.Cases {
			if c.Matter == "HRSS-001" {
				continue
			}
			if len(c.Notice) != 0 || len(c.Coming) != 1 || c.Coming[0].Material.Code != "pension_decision" || c.Coming[0].From != number["HRSS-001"] {
				t.Errorf("%s on the receipt: notice %+v, coming %+v; want only the pension decision, coming from %s", c.Matter, c.Notice, c.Coming, number["HRSS-001"])
			}
		}

		act := func(matter, who, action string) {
			t.Helper()
			r := e.do(t, request{Method: "POST", Path: "/api/v1/cases/" + number[matter] + "/actions", Token: who,
				Body: mustJSON(map[string]any{"action": action})})
			if r.Status != 200 {
				t.Fatalf("%s %s by %s: %s", action, matter, who, r)
			}
		}
		e.clock.Set("2026-03-03 10:00")
		act("HRSS-001", "officer/hrss", "approve")
		act("HRSS-001", "leader/hrss", "approve")
		act("HRSS-001", "leader/hrss", "complete")

		r = e.do(t, request{Method: "POST", Path: "/api/v1/track", Body: mustJSON(map[string]string{"number": number["MED-020"], "code": receipt.Code})})
		if r.Status != 200 {
			t.Fatalf("track: %s", r)
		}
		var tr onedoor.Tracking
		r.decodeInto(t, &tr)
		last := tr.Timeline[len(tr.Timeline)-1]
		// 3 working days after Tuesday 3 March.
		if tr.Status != onedoor.StatusInProgress || len(tr.Awaiting) != 0 || tr.Due != "2026-03-06" ||
			last.Text.Zh != "所需证照已由电子证照库调取，无需提交" {
			t.Errorf("MED-020 tracked: %s", r)
		}

		r = e.do(t, request{Method: "GET", Path: "/api/v1/cases/" + number["HPF-001"], Token: "clerk"})
		if r.Status != 200 {
			t.Fatalf("get HPF-001: %s", r)
		}
		var detail struct {
			Case   onedoor.Case    `json:"case"`
			Events []onedoor.Event `json:"events"`
		}
		r.decodeInto(t, &detail)
		hrss, err := e.db.FindCase(ctx, number["HRSS-001"])
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, m := range detail.Case.Materials {
			if m.Code == "pension_decision" {
				got = fmt.Sprintf("%s %s", m.State, m.Licence)
			}
		}
		if want := "waived " + hrss.Licence; got != want || detail.Case.Status != onedoor.StatusInProgress {
			t.Errorf("HPF-001: %s, pension decision %q; want in progress, %q", detail.Case.Status, got, want)
		}
		ev := detail.Events[len(detail.Events)-1]
		if ev.Type != onedoor.ActionSupply || ev.Command.Actor.Role != onedoor.RoleSystem || ev.Command.Licence != hrss.Licence {
			t.Errorf("HPF-001's last event: %s by %s, licence %q", ev.Type, ev.Command.Actor.Role, ev.Command.Licence)
		}
	})
}
