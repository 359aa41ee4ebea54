package sqldb_test

import (
	"context"
	"strings"
	"testing"

	"onedoor"
	"onedoor/sqldb"
)

// TestVerify: an intact store verifies; each kind of corruption, made
// directly in the database, is reported by its rule with the case number.
func TestVerify(t *testing.T) {
	type setup struct {
		number  string // a delivered CIV-010 case with its dibao e-licence
		waiving string // a CIV-012 case that waived that licence
		licence string
	}
	prepare := func(t *testing.T, e *env) setup {
		ctx := context.Background()
		applicant := person("赵桂兰", "19520710", 21)
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "CIV-010", Applicant: applicant,
			Materials: []string{"application", "income_declaration", "hukou_book", "authorisation"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		finish(t, e, number)
		c, err := e.db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionDeliver, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		rc2, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "CIV-012", Applicant: applicant, Materials: []string{"application", "hukou_book"}, Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		return setup{number: number, waiving: rc2.Cases[0].Number, licence: c.Licence}
	}
	verify := func(t *testing.T, db *sqldb.DB) []sqldb.Violation {
		var vs []sqldb.Violation
		if _, err := db.Verify(context.Background(), func(v sqldb.Violation) { vs = append(vs, v) }); err != nil {
			t.Fatal(err)
		}
		return vs
	}
	cases := []struct {
		name  string
		sql   string
		arg   func(s setup) string
		rule  string
		named func(s setup) string
	}{
		{"due date moved", `UPDATE cases SET state = replace(state, '"due":"', '"due":"1') WHERE number = $1`,
			func(s setup) string { return s.number }, sqldb.RuleDeadline, func(s setup) string { return s.number }},
		{"status changed", `UPDATE cases SET state = replace(state, '"status":"delivered"', '"status":"completed"') WHERE number = $1`,
			func(s setup) string { return s.number }, sqldb.RuleReplay, func(s setup) string { return s.number }},
		{"action by a role the step did not allow", `UPDATE events SET command = replace(command, '"role":"leader"', '"role":"clerk"') WHERE case_number = $1 AND type = 'approve'`,
			func(s setup) string { return s.number }, sqldb.RuleReplay, func(s setup) string { return s.number }},
		{"licence signature", `UPDATE licences SET valid_until = '2099-12-31' WHERE number = $1`,
			func(s setup) string { return s.licence }, sqldb.RuleLicence, func(s setup) string { return s.number }},
		{"licence removed", `DELETE FROM licences WHERE number = $1`,
			func(s setup) string { return s.licence }, sqldb.RuleResult, func(s setup) string { return s.number }},
		{"waiver without licence", `UPDATE licences SET number = 'gone' WHERE number = $1`,
			func(s setup) string { return s.licence }, sqldb.RuleWaiver, func(s setup) string { return s.waiving }},
	}
	forEachDB(t, func(t *testing.T, e *env) {
		prepare(t, e)
		if vs := verify(t, e.db); len(vs) != 0 {
			t.Fatalf("an intact store has violations: %v", vs)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				fresh := openEnv(t, freshDSN(t, e))
				s := prepare(t, fresh)
				res, err := fresh.db.RawWrite().Exec(tc.sql, tc.arg(s))
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					t.Fatalf("%s changed nothing", tc.sql)
				}
				want := tc.named(s)
				for _, v := range verify(t, fresh.db) {
					if v.Rule == tc.rule && strings.Contains(v.Case, want) {
						return
					}
				}
				t.Fatalf("no %s violation naming %s", tc.rule, want)
			})
		}
	})
}

// TestVerifySupervisionLog: an altered supervision log entry is a
// violation of the audit rule.
func TestVerifySupervisionLog(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if _, err := e.db.RawWrite().Exec(`INSERT INTO supervision_log (seq, kind, ref_id, action, actor, at, body, prev_hash, hash) VALUES (1, 'card', 1, 'issued', 'x', '2026-03-02T01:00:00.000000Z', '{}', '', 'forged')`); err != nil {
			t.Fatalf("write a forged supervision log entry: %v", err)
		}
		var vs []sqldb.Violation
		if _, err := e.db.Verify(ctx, func(v sqldb.Violation) { vs = append(vs, v) }); err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 || vs[0].Rule != sqldb.RuleAudit || !strings.Contains(vs[0].Reason, "entry 1") {
			t.Fatalf("violations = %v; want the altered supervision log entry 1", vs)
		}
	})
}
