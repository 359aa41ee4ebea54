package sqldb_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"onedoor"
)

// TestCaseLifecycle walks one case through the one window and the back
// office on each engine: supplement notice, supply, steps by the right
// departments, e-licence issued, reused by a later intake, tracked, audited.
func TestCaseLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		db := e.db
		applicant := person("李秀英", "19500315", 12)

		rc, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "CIV-010", Applicant: applicant,
			Materials: []string{"application", "income_declaration", "hukou_book"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		c0 := rc.Cases[0]
		if c0.Status != onedoor.StatusReceived {
			t.Fatalf("status = %s, want received (a material is missing)", c0.Status)
		}
		if len(c0.Notice) != 1 || c0.Notice[0].Code != "authorisation" {
			t.Fatalf("notice = %+v, want exactly the missing authorisation", c0.Notice)
		}
		number := c0.Number

		e.clock.Set("2026-03-03 10:00")
		c, err := db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionSupply, Actor: clerk, Materials: []string{"authorisation"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != onedoor.StatusInProgress || c.Due == "" {
			t.Fatalf("after supply: status %s due %q", c.Status, c.Due)
		}
		// Accepted Tuesday 2026-03-03 with a 20-working-day promise: 2026-03-31.
		if c.Due != "2026-03-31" {
			t.Errorf("due = %s, want 2026-03-31", c.Due)
		}

		// The civil affairs leader cannot act on the street office's step.
		_, err = db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionApprove, Actor: leader("civil")})
		wantCode(t, err, onedoor.EFORBIDDEN, "street")

		for _, a := range []onedoor.Actor{officer("street"), officer("street"), leader("civil")} {
			if c, err = db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionApprove, Actor: a}); err != nil {
				t.Fatalf("approve by %s/%s: %v", a.Role, a.Department, err)
			}
		}
		if c.Status != onedoor.StatusApproved {
			t.Fatalf("status = %s, want approved", c.Status)
		}
		if c, err = db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionComplete, Actor: leader("civil")}); err != nil {
			t.Fatal(err)
		}
		if c.Licence == "" {
			t.Fatal("completing CIV-010 issued no e-licence")
		}
		lic, err := db.FindLicence(ctx, c.Licence)
		if err != nil {
			t.Fatal(err)
		}
		if lic.Type != "dibao_cert" || !db.VerifyLicence(lic) {
			t.Fatalf("licence %+v: type or signature wrong", lic)
		}
		if c.Delivery == onedoor.ChannelCounter {
			if c, err = db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionDeliver, Actor: clerk}); err != nil {
				t.Fatal(err)
			}
		}
		if c.Status != onedoor.StatusDelivered {
			t.Fatalf("status = %s, want delivered", c.Status)
		}

		// A later intake reuses the e-licence: the applicant is not asked for it.
		rc2, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "CIV-012", Applicant: applicant,
			Materials: []string{"application", "hukou_book"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		var waived []string
		for _, w := range rc2.Cases[0].Waived {
			waived = append(waived, w.Code+"="+w.Licence)
		}
		if !slices.Contains(waived, "dibao_cert="+c.Licence) {
			t.Fatalf("waived = %v; want the dibao certificate %s", waived, c.Licence)
		}

		// Tracking: right code shows the timeline; a wrong one reveals nothing.
		tr, err := db.Track(ctx, number, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != onedoor.StatusDelivered || len(tr.Timeline) != 7 {
			t.Fatalf("tracking: status %s, %d timeline entries (want delivered, 7)", tr.Status, len(tr.Timeline))
		}
		_, err = db.Track(ctx, number, "WRONG123")
		wantCode(t, err, onedoor.ENOTFOUND, "")
		_, err2 := db.Track(ctx, "440604000000000000", rc.Code)
		if onedoor.ErrorMessage(err) != onedoor.ErrorMessage(err2) {
			t.Fatalf("a wrong code and an unknown case answer differently: %q vs %q", onedoor.ErrorMessage(err), onedoor.ErrorMessage(err2))
		}

		rep, err := db.VerifyAudit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Events != 8 {
			t.Fatalf("audit: %+v", rep)
		}
	})
}

// TestIneligibleRefused: failing the matter's condition is refused with the
// condition in words, and nothing is written.
func TestIneligibleRefused(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		_, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "HRSS-001", Applicant: person("王小明", "20000101", 3), Actor: clerk})
		wantCode(t, err, onedoor.EINVALID, "condition")
		if _, err := e.db.FindPersonByIDNumber(ctx, person("", "20000101", 3).IDNumber); onedoor.ErrorCode(err) != onedoor.ENOTFOUND {
			t.Fatalf("refused intake left a person behind: %v", err)
		}
	})
}

// TestBundle: a bundle intake creates its cases together and delivers once.
func TestBundle(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, ok := e.db.Catalog().Bundle("BD-RETIRE")
		if !ok {
			t.Skip("BD-RETIRE not in the catalog yet")
		}
		var all []string
		for _, code := range b.Matters {
			m, _ := e.db.Catalog().Matter(code)
			for _, x := range m.Materials {
				all = append(all, x.Code)
			}
		}
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Bundle: "BD-RETIRE", Applicant: person("陈建国", "19650601", 5), Materials: all, Delivery: onedoor.ChannelCounter, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.Cases) != len(b.Matters) || rc.Bundle == "" {
			t.Fatalf("receipt: %d cases, bundle %q", len(rc.Cases), rc.Bundle)
		}
		// Delivery is refused until every case is completed.
		_, err = e.db.DeliverBundle(ctx, rc.Bundle, onedoor.Command{Actor: clerk})
		wantCode(t, err, onedoor.ECONFLICT, "still open")
		_, err = e.db.Act(ctx, rc.Cases[0].Number, onedoor.Command{Action: onedoor.ActionDeliver, Actor: clerk})
		wantCode(t, err, onedoor.ECONFLICT, "bundle")
		for _, rcase := range rc.Cases {
			finish(t, e, rcase.Number)
		}
		cs, err := e.db.DeliverBundle(ctx, rc.Bundle, onedoor.Command{Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Status != onedoor.StatusDelivered {
				t.Fatalf("case %s is %s after bundle delivery", c.Number, c.Status)
			}
		}
		_, err = e.db.DeliverBundle(ctx, rc.Bundle, onedoor.Command{Actor: clerk})
		if err == nil {
			t.Fatal("a bundle was delivered twice")
		}
	})
}

// finish approves every step of a case with the actor each step names, then completes it.
func finish(t *testing.T, e *env, number string) {
	t.Helper()
	ctx := context.Background()
	for {
		c, err := e.db.FindCase(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := e.db.Catalog().MatterVersion(c.Matter, c.MatterVersion)
		var cmd onedoor.Command
		switch c.Status {
		case onedoor.StatusInProgress:
			s := m.Steps[c.Step]
			cmd = onedoor.Command{Action: onedoor.ActionApprove, Actor: onedoor.Actor{Role: s.Role, Department: s.Department, Name: "x"}}
		case onedoor.StatusApproved:
			s := m.Steps[len(m.Steps)-1]
			cmd = onedoor.Command{Action: onedoor.ActionComplete, Actor: onedoor.Actor{Role: s.Role, Department: s.Department, Name: "x"}}
		case onedoor.StatusCompleted, onedoor.StatusDelivered:
			return
		default:
			t.Fatalf("case %s is %s", number, c.Status)
		}
		if _, err := e.db.Act(ctx, number, cmd); err != nil {
			t.Fatalf("%s %s: %v", cmd.Action, number, err)
		}
	}
}

// TestConcurrentIntake: many callers at once; every one is answered after
// its own durable commit, numbers are unique and the chain verifies.
func TestConcurrentIntake(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const n = 200
		var wg sync.WaitGroup
		numbers := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: person("测试", "19900101", i), Actor: clerk, Materials: allMaterials(e, "MED-002")})
				errs[i] = err
				if err == nil {
					numbers[i] = rc.Cases[0].Number
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("intake %d: %v", i, errs[i])
			}
			if seen[numbers[i]] {
				t.Fatalf("case number %s given twice", numbers[i])
			}
			seen[numbers[i]] = true
		}
		rep, err := e.db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events != n {
			t.Fatalf("audit after concurrent intake: %+v %v", rep, err)
		}
	})
}

func allMaterials(e *env, code string) []string {
	m, _ := e.db.Catalog().Matter(code)
	var out []string
	for _, x := range m.Materials {
		if !strings.HasPrefix(x.Code, "-") {
			out = append(out, x.Code)
		}
	}
	return out
}
