package main

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"onedoor"
	"onedoor/audit"
	"onedoor/calendar"
)

// idNumber makes a synthetic but valid 18-character identity number.
func idNumber(region, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	return first + string(onedoor.IDCheckChar(first))
}

// secretNote is an internal note that must never reach the public.
const secretNote = "internal-only: neighbour says income understated (SECRET-7Q2X)"

// TestEndToEnd drives the real binary the way a district runs it: staff
// accounts made on the command line, then one case of the minimum living
// allowance (CIV-010) taken in at the window with a material missing,
// supplied, worked through the street office and the civil affairs bureau,
// issued as a signed e-licence, delivered, reused by a later application,
// tracked by the resident, and finally audited, before and after the
// database is tampered with behind Onedoor's back.
func TestEndToEnd(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	clerk := addStaff(t, data, "clerk1", "clerk", "")
	streetOfficer := addStaff(t, data, "street_officer", "officer", "street")
	streetLeader := addStaff(t, data, "street_leader", "leader", "street")
	civilOfficer := addStaff(t, data, "civil_officer", "officer", "civil")
	civilLeader := addStaff(t, data, "civil_leader", "leader", "civil")

	srv := startServer(t, "", nil, "--data", data, "--addr", "127.0.0.1:0")

	for _, tc := range []struct {
		token, username, role, dept string
	}{
		{clerk, "clerk1", "clerk", ""},
		{streetOfficer, "street_officer", "officer", "street"},
		{streetLeader, "street_leader", "leader", "street"},
		{civilOfficer, "civil_officer", "officer", "civil"},
		{civilLeader, "civil_leader", "leader", "civil"},
	} {
		var me onedoor.Staff
		srv.do("GET", "/api/v1/me", tc.token, nil, 200, &me)
		if me.Username != tc.username || string(me.Role) != tc.role || me.Department != tc.dept {
			t.Errorf("GET /me with %s's token: %+v", tc.username, me)
		}
	}
	if status, _ := srv.call("GET", "/api/v1/me", "od_not-a-real-token", nil); status != 401 {
		t.Errorf("GET /me with a made-up token: status %d, want 401", status)
	}

	// Intake at the window: a local resident (region 440604) born in 1955,
	// without the authorisation to verify the family's finances.
	applicant := onedoor.Applicant{Subject: onedoor.Natural, IDNumber: idNumber("440604", "19550315", 12),
		Name: "李秀英", Phone: "13800138000"}
	var rc onedoor.Receipt
	srv.do("POST", "/api/v1/intake", clerk, onedoor.IntakeRequest{Matter: "CIV-010", Applicant: applicant,
		Materials: []string{"application", "income_declaration", "hukou_book"}, Delivery: onedoor.ChannelCounter}, 201, &rc)
	if len(rc.Cases) != 1 || rc.Code == "" {
		t.Fatalf("receipt: %+v", rc)
	}
	rcase := rc.Cases[0]
	number := rcase.Number
	if rcase.Status != onedoor.StatusReceived || rcase.Due != "" {
		t.Errorf("receipt: status %s, due %q; want received with no due date (a material is missing)", rcase.Status, rcase.Due)
	}
	var notice []string
	for _, m := range rcase.Notice {
		notice = append(notice, m.Code)
	}
	if !slices.Equal(notice, []string{"authorisation"}) {
		t.Fatalf("supplement notice lists %v; want exactly [authorisation]", notice)
	}

	act := func(token string, body map[string]any) *onedoor.Case {
		t.Helper()
		var c onedoor.Case
		srv.do("POST", "/api/v1/cases/"+number+"/actions", token, body, 200, &c)
		return &c
	}
	refused := func(token string, body map[string]any, fragment string) {
		t.Helper()
		var e apiError
		srv.do("POST", "/api/v1/cases/"+number+"/actions", token, body, 403, &e)
		if e.Error.Code != onedoor.EFORBIDDEN || !strings.Contains(e.Error.Message, fragment) {
			t.Errorf("refusal %+v does not name %q", e.Error, fragment)
		}
	}

	// The clerk takes the missing material: accepted, with a promised date
	// 20 working days after the clock starts — now, or the next opening
	// when the test runs outside office hours (computed before and after,
	// in case a period closes in between).
	promised := func() string {
		cal := calendar.Official()
		start := cal.NextOpen(time.Now()).In(calendar.Location)
		return cal.AddWorkdays(start, 20).Format("2006-01-02")
	}
	before := promised()
	c := act(clerk, map[string]any{"action": "supply", "materials": []string{"authorisation"}})
	after := promised()
	if c.Status != onedoor.StatusInProgress || (c.Due != before && c.Due != after) {
		t.Fatalf("after supply: status %s, due %q; want in_progress due %s", c.Status, c.Due, after)
	}

	// The street office's steps are not the civil affairs bureau's.
	refused(civilOfficer, map[string]any{"action": "approve"}, "street")
	refused(civilLeader, map[string]any{"action": "approve"}, "street")
	c = act(streetOfficer, map[string]any{"action": "approve", "note": secretNote})
	if c.Status != onedoor.StatusInProgress || c.Step != 1 {
		t.Fatalf("after street review: status %s step %d; want in_progress at step 1 (publicity)", c.Status, c.Step)
	}
	refused(civilLeader, map[string]any{"action": "approve"}, "street")
	c = act(streetOfficer, map[string]any{"action": "approve"})
	if c.Step != 2 {
		t.Fatalf("after publicity: step %d; want 2 (approval)", c.Step)
	}
	refused(streetOfficer, map[string]any{"action": "approve"}, "civil")
	c = act(civilLeader, map[string]any{"action": "approve"})
	if c.Status != onedoor.StatusApproved {
		t.Fatalf("after approval: status %s; want approved", c.Status)
	}
	c = act(civilLeader, map[string]any{"action": "complete"})
	if c.Status != onedoor.StatusCompleted || c.Licence == "" {
		t.Fatalf("after complete: status %s, licence %q; want completed with an e-licence", c.Status, c.Licence)
	}

	var lic struct {
		Licence        onedoor.Licence `json:"licence"`
		SignatureValid bool            `json:"signature_valid"`
	}
	srv.do("GET", "/api/v1/licences/"+c.Licence, clerk, nil, 200, &lic)
	if !lic.SignatureValid || lic.Licence.Type != "dibao_cert" || lic.Licence.CaseNumber != number || lic.Licence.Number != c.Licence {
		t.Fatalf("licence %s: %+v", c.Licence, lic)
	}

	c = act(clerk, map[string]any{"action": "deliver", "channel": "counter"})
	if c.Status != onedoor.StatusDelivered {
		t.Fatalf("after deliver: status %s; want delivered", c.Status)
	}

	// The internal note was recorded for staff (else the tracking check
	// below could not fail).
	var detail struct {
		Events []onedoor.Event `json:"events"`
	}
	srv.do("GET", "/api/v1/cases/"+number, civilLeader, nil, 200, &detail)
	if !slices.ContainsFunc(detail.Events, func(e onedoor.Event) bool { return e.Command.Note == secretNote }) {
		t.Fatalf("the internal note is not among the case's events for staff: %+v", detail.Events)
	}

	// A later application by the same resident: the dibao certificate is
	// taken from the registry, not asked for (免提交).
	var rc2 onedoor.Receipt
	srv.do("POST", "/api/v1/intake", clerk, onedoor.IntakeRequest{Matter: "CIV-012", Applicant: applicant,
		Materials: []string{"application", "hukou_book"}, Delivery: onedoor.ChannelCounter}, 201, &rc2)
	if len(rc2.Cases) != 1 {
		t.Fatalf("second receipt: %+v", rc2)
	}
	if !slices.ContainsFunc(rc2.Cases[0].Waived, func(m onedoor.CaseMaterial) bool {
		return m.Code == "dibao_cert" && m.State == onedoor.MaterialWaived && m.Licence == c.Licence
	}) {
		t.Errorf("second receipt waives %+v; want dibao_cert by licence %s", rc2.Cases[0].Waived, c.Licence)
	}
	if slices.ContainsFunc(rc2.Cases[0].Notice, func(m onedoor.Material) bool { return m.Code == "dibao_cert" }) {
		t.Errorf("second receipt still asks for the dibao certificate: %+v", rc2.Cases[0].Notice)
	}

	// The resident tracks the case with number and verification code.
	var tr onedoor.Tracking
	raw := srv.do("POST", "/api/v1/track", "", map[string]string{"number": number, "code": rc.Code}, 200, &tr)
	if tr.Status != onedoor.StatusDelivered || tr.Number != number || tr.Licence != c.Licence {
		t.Errorf("tracking: %+v", tr)
	}
	var statuses []onedoor.Status
	var texts []string
	for _, e := range tr.Timeline {
		statuses = append(statuses, e.Status)
		texts = append(texts, e.Text.En)
	}
	wantStatuses := []onedoor.Status{onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusInProgress,
		onedoor.StatusInProgress, onedoor.StatusApproved, onedoor.StatusCompleted, onedoor.StatusDelivered}
	if !slices.Equal(statuses, wantStatuses) {
		t.Errorf("timeline statuses %v; want %v", statuses, wantStatuses)
	}
	if len(texts) != 7 || texts[0] != "Application submitted" || !strings.Contains(texts[3], "Public notice") || texts[6] != "Result delivered" {
		t.Errorf("timeline reads %q; want intake … publicity … delivery", texts)
	}
	for _, leak := range []string{"SECRET-7Q2X", "neighbour", applicant.IDNumber, applicant.Phone, "Synthetic "} {
		if strings.Contains(string(raw), leak) {
			t.Errorf("the public tracking answer contains %q:\n%s", leak, raw)
		}
	}
	// A wrong code and an unknown number get the same answer.
	var wrong, unknown apiError
	srv.do("POST", "/api/v1/track", "", map[string]string{"number": number, "code": "WRONG234"}, 404, &wrong)
	srv.do("POST", "/api/v1/track", "", map[string]string{"number": "440604000000000000", "code": rc.Code}, 404, &unknown)
	if wrong != unknown || wrong.Error.Code != onedoor.ENOTFOUND {
		t.Errorf("a wrong code answers %+v; an unknown number answers %+v", wrong, unknown)
	}

	srv.stop()

	clean := exe(t, "", nil, "audit", "--data", data, "verify")
	if clean.code != 0 || !strings.HasPrefix(clean.stdout, "ok") {
		// Reported, and the tamper checks below still run, on copies whose
		// checkpoints are sealed again (see resealCheckpoints).
		t.Errorf("audit verify on an untouched database: %s", clean)
	}

	// The events, in order: 1 intake, 2 supply, 3–5 approvals, 6 complete,
	// 7 deliver of the first case, 8 intake of the second.
	seqs := eventSeqs(t, data, number)
	if len(seqs) != 7 {
		t.Fatalf("case %s has events %v; want 7", number, seqs)
	}
	tampers := []struct {
		name  string
		sql   string
		args  []any
		wants []string
	}{
		{"nothing (control)", "", nil, nil},
		{"event type", `UPDATE events SET type = 'reject' WHERE seq = ?`, []any{seqs[3]}, []string{fmt.Sprintf("event #%d", seqs[3]), "altered"}},
		{"event status", `UPDATE events SET status = 'rejected' WHERE seq = ?`, []any{seqs[2]}, []string{fmt.Sprintf("event #%d", seqs[2]), "altered"}},
		{"event reason", `UPDATE events SET command = json_set(command, '$.reason', 'forged') WHERE seq = ?`, []any{seqs[4]},
			[]string{fmt.Sprintf("event #%d", seqs[4]), "altered"}},
		{"case state", `UPDATE cases SET status = 'rejected', state = json_set(state, '$.status', 'rejected') WHERE number = ?`, []any{number},
			[]string{number, "altered"}},
		{"event deleted", `DELETE FROM events WHERE seq = ?`, []any{seqs[3]}, []string{fmt.Sprintf("event #%d", seqs[3]), "removed"}},
	}
	for _, tc := range tampers {
		t.Run("tampered "+tc.name, func(t *testing.T) {
			dir := copyDir(t, data)
			if clean.code != 0 {
				resealCheckpoints(t, dir)
			}
			db, err := sql.Open("sqlite", filepath.Join(dir, "onedoor.db"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.sql != "" {
				res, err := db.Exec(tc.sql, tc.args...)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("%s changed %d rows", tc.sql, n)
				}
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			r := exe(t, "", nil, "audit", "--data", dir, "verify")
			if tc.sql == "" {
				if r.code != 0 || !strings.HasPrefix(r.stdout, "ok") {
					t.Fatalf("audit verify fails on an untouched copy: %s", r)
				}
				return
			}
			if r.code == 0 {
				t.Fatalf("audit verify passes a database whose %s was changed: %s", tc.name, r)
			}
			t.Logf("%s", r.stdout)
			for _, w := range tc.wants {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("audit verify does not say %q: %s", w, r)
				}
			}
		})
	}
	// The tampering happened on copies: the original is as it was.
	if r := exe(t, "", nil, "audit", "--data", data, "verify"); r.code != clean.code || r.stdout != clean.stdout {
		t.Fatalf("audit verify of the original after tampering with copies: %s\nbefore: %s", r, clean)
	}
	if clean.code == 0 {
		testCheckpointLog(t, data)
	}
}

// eventSeqs returns the sequence numbers of the events of a case, in order.
func eventSeqs(t *testing.T, data, number string) []int64 {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq FROM events WHERE case_number = ? ORDER BY seq`, number)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// resealCheckpoints signs the checkpoints of the data folder dir again, with
// its own key, over the time as stored. It works around the bug that
// sqldb signs a checkpoint over its time in nanoseconds but stores the time
// in microseconds (sqldb/writer.go SignCheckpoint(…, now) then ts(ck.At)),
// so that no checkpoint written under a real clock verifies. Without it the
// audit would report that first and the tamper checks would say nothing.
// Once the bug is fixed it is never called.
func resealCheckpoints(t *testing.T, dir string) {
	t.Helper()
	secrets, err := os.ReadFile(filepath.Join(dir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	var key ed25519.PrivateKey
	for _, line := range strings.Split(string(secrets), "\n") {
		if v, ok := strings.CutPrefix(line, "sign="); ok {
			seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err != nil || len(seed) != ed25519.SeedSize {
				t.Fatalf("secrets: sign: %v", err)
			}
			key = ed25519.NewKeyFromSeed(seed)
		}
	}
	if key == nil {
		t.Fatal("secrets: no sign key")
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type row struct {
		seq      int64
		hash, at string
	}
	var cps []row
	rows, err := db.Query(`SELECT seq, hash, at FROM checkpoints`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.hash, &r.at); err != nil {
			t.Fatal(err)
		}
		cps = append(cps, r)
	}
	rows.Close()
	for _, r := range cps {
		at, err := time.Parse("2006-01-02T15:04:05.000000Z", r.at)
		if err != nil {
			t.Fatal(err)
		}
		ck := audit.SignCheckpoint(key, r.seq, r.hash, at)
		if _, err := db.Exec(`UPDATE checkpoints SET signature = ? WHERE seq = ?`, ck.Signature, r.seq); err != nil {
			t.Fatal(err)
		}
	}
}
