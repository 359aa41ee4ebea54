package http_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"onedoor"
)

// TestHostileTextAccepted: names, commitments, reasons, notes and postal
// tracking numbers are text typed by people, and text may look like markup
// or SQL. The decision: such text is valid and accepted — the store binds
// every value as a parameter and the pages escape what they show — so the
// API must hand it back verbatim, as JSON string data. encoding/json
// escapes <, > and & (\u003c…), so no response carries live markup either.
//
// Names are the exception for invisible characters: a name with a format
// character (Unicode category Cf: a direction override such as U+202E, a
// zero-width space, a byte-order mark) would read differently from what is
// stored, so it is refused, naming the field, and nothing is registered.
func TestHostileTextAccepted(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		const (
			script = "<script>alert(1)</script>"
			img    = `<img src=x onerror="alert(document.cookie)">`
			sqlish = "'; DROP TABLE cases;--"
			bobby  = "Robert'); DROP TABLE persons;--"
		)
		verbatim := func(r *response, s string) {
			t.Helper()
			if strings.Contains(s, "<") && strings.Contains(string(r.Body), "<") {
				t.Errorf("the response carries raw markup: %s", r)
			}
		}

		// Names.
		for i, name := range []string{script, sqlish, bobby, "O'Brien & 李 \"小\" 明"} {
			id := idNumber("440604", "19700101", 100+i)
			r := e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(id, name)}), 201)
			verbatim(r, name)
			var lk struct {
				Person *onedoor.Person `json:"person"`
			}
			r = e.mustCall(t, post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "natural", "id_number": id}), 200)
			r.decodeInto(t, &lk)
			if lk.Person == nil || lk.Person.Name != name {
				t.Errorf("name %q came back as %+v", name, lk.Person)
			}
			verbatim(r, name)
		}
		// The cases table survived the SQL-looking names.
		var cl struct{ Cases []onedoor.Case }
		e.mustCall(t, get("/api/v1/cases?open=false", "supervisor"), 200).decodeInto(t, &cl)
		if len(cl.Cases) != 4 {
			t.Fatalf("%d cases listed after four intakes", len(cl.Cases))
		}

		// Names with format characters are refused, for persons and
		// organisations alike, and change nothing.
		before := takeSnapshot(t, e.db)
		for i, name := range []string{"\u202E李秀英", "李秀英\u202C", "\u2067李秀英\u2069", "李\u200B秀英", "\uFEFF李秀英", "李\u2060秀英", "Anne\u00ADMarie"} {
			id := idNumber("440604", "19700101", 200+i)
			var ae apiError
			e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-006", "applicant": natural(id, name)}), 400).decodeInto(t, &ae)
			if ae.Error == nil || ae.Error.Field == nil || *ae.Error.Field != "applicant.name" {
				t.Errorf("name %+q: %+v; want an error about applicant.name", name, ae.Error)
			}
			e.mustCall(t, post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "natural", "id_number": id}), 404)
		}
		var ae apiError
		e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "MKT-001", "applicant": legal(uscc("440604", 300), "测试\u202E司公限有", false),
			"materials": []string{"application"}}), 400).decodeInto(t, &ae)
		if ae.Error == nil || ae.Error.Field == nil || *ae.Error.Field != "applicant.name" {
			t.Errorf("organisation name with U+202E: %+v; want an error about applicant.name", ae.Error)
		}
		if after := takeSnapshot(t, e.db); !equalSnapshots(before, after) {
			t.Errorf("refused names changed the database: %s", before.diff(after))
		}

		// A commitment.
		commitment := "<b>本人承诺</b>" + sqlish
		var rc receipt
		e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "HRSS-001", "applicant": natural(idNumber("440604", "19600101", 30), "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true, "commitment": commitment}), 201).decodeInto(t, &rc)
		var cd struct {
			Case onedoor.Case `json:"case"`
		}
		r := e.mustCall(t, get("/api/v1/cases/"+rc.Cases[0].Number, "clerk"), 200)
		r.decodeInto(t, &cd)
		if cd.Case.Commitment != commitment {
			t.Errorf("commitment %q came back as %q", commitment, cd.Case.Commitment)
		}
		verbatim(r, commitment)

		// A public reason and an internal note; a postal tracking number.
		e.mustCall(t, post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-003", "applicant": natural(idNumber("440604", "19550505", 50), "评估人"),
			"materials": []string{"application"}, "delivery": "post"}), 201).decodeInto(t, &rc)
		number, code := rc.Cases[0].Number, rc.Code
		e.mustCall(t, act(number, "officer/street", map[string]any{"action": "request_supplement", "reason": img, "note": script,
			"materials": []string{"medical_records"}}), 200)
		e.mustCall(t, act(number, "clerk", map[string]any{"action": "supply", "materials": []string{"medical_records"}}), 200)
		for range 3 {
			e.mustCall(t, act(number, "officer/street", map[string]any{"action": "approve"}), 200)
		}
		e.mustCall(t, act(number, "officer/street", map[string]any{"action": "complete"}), 200)
		// A tracking number of 64 characters, the most allowed, counted as
		// characters and not bytes; one more is refused.
		tracking := "SF" + sqlish + strings.Repeat("号", 40)
		if n := utf8.RuneCountInString(tracking); n != 64 {
			t.Fatalf("the tracking number has %d characters", n)
		}
		var ae2 apiError
		e.mustCall(t, act(number, "clerk", map[string]any{"action": "deliver", "tracking_no": tracking + "9"}), 400).decodeInto(t, &ae2)
		if ae2.Error == nil || ae2.Error.Field == nil || *ae2.Error.Field != "tracking_no" || !strings.Contains(ae2.Error.Message, "at most 64") {
			t.Errorf("a tracking number of 65 characters: %+v; want an error about tracking_no", ae2.Error)
		}
		e.mustCall(t, act(number, "clerk", map[string]any{"action": "deliver", "tracking_no": tracking}), 200)
		var tr onedoor.Tracking
		r = e.mustCall(t, post("/api/v1/track", "", map[string]any{"number": number, "code": code}), 200)
		r.decodeInto(t, &tr)
		verbatim(r, img)
		if tr.TrackingNo != tracking {
			t.Errorf("tracking number %q came back as %q", tracking, tr.TrackingNo)
		}
		found := false
		for _, l := range tr.Timeline {
			found = found || l.Reason == img
		}
		if !found {
			t.Errorf("the public reason %q is not in the timeline %+v", img, tr.Timeline)
		}
		if strings.Contains(string(r.Body), "alert(1)") {
			t.Errorf("the internal note reached the public tracking: %s", r)
		}
	})
}

// TestHostileFilters: list filters are free strings compared in SQL.
// SQL-looking text finds nothing and is no error. A value with NUL, another
// control character or invalid UTF-8, or longer than 200 bytes, is refused
// with a 400 naming the parameter before it reaches the store (PostgreSQL
// would refuse NUL and invalid UTF-8 as text), as is a status that is not
// one; on both engines alike, and never a server error. Every answer
// matches openapi.json.
func TestHostileFilters(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		c := newSpecCheck(t, e)
		e.intakeFixture(t, map[string]any{"matter": "STREET-006", "applicant": natural(idNumber("440604", "19800101", 5), "刘洋")})
		// send makes the call and checks the response (not the request,
		// which may be outside the document on purpose) against openapi.json.
		send := func(rq request) *response {
			t.Helper()
			r := e.do(t, rq)
			in, _ := c.validateRequest(t, rq)
			if in == nil {
				t.Fatalf("%s %s: no documented route", rq.Method, truncate(rq.Path, 80))
			}
			if err := validateResponse(in, r); err != nil {
				t.Errorf("%s %s → %d: response does not match openapi.json: %v", rq.Method, truncate(rq.Path, 80), r.Status, err)
			}
			return r
		}
		refused := func(path, token, field string) {
			t.Helper()
			r := send(get(path, token))
			var ae apiError
			if r.Status != 400 || json.Unmarshal(r.Body, &ae) != nil || ae.Error == nil || ae.Error.Code != onedoor.EINVALID || ae.Error.Field == nil || *ae.Error.Field != field {
				t.Errorf("GET %s: %s; want 400 about %q", truncate(path, 80), r, field)
			}
		}
		found := func(path, token, list string) int {
			t.Helper()
			r := send(get(path, token))
			if r.Status != 200 {
				t.Errorf("GET %s: %s; want 200", truncate(path, 80), r)
				return -1
			}
			var out map[string]json.RawMessage
			var items []json.RawMessage
			r.decodeInto(t, &out)
			if err := json.Unmarshal(out[list], &items); err != nil || items == nil {
				t.Errorf("GET %s: %s is %s; want a list", truncate(path, 80), list, out[list])
			}
			return len(items)
		}

		for _, q := range []string{
			"department=" + url.QueryEscape("' OR '1'='1"), "matter=" + url.QueryEscape("STREET-006' --"), "matter=" + url.QueryEscape("%"),
			"matter=" + url.QueryEscape("STREET-00_"), "department=" + url.QueryEscape(strings.Repeat("长", 66)) + "x", // 199 bytes
			"department=" + strings.Repeat("d", 200), "matter=" + url.QueryEscape("\u202ESTREET-006"),
		} {
			if n := found("/api/v1/cases?open=false&"+q, "supervisor", "cases"); n != 0 {
				t.Errorf("GET /api/v1/cases?%s found %d cases", truncate(q, 60), n)
			}
		}
		if n := found("/api/v1/cases?open=false&matter=STREET-006", "supervisor", "cases"); n != 1 {
			t.Errorf("the filter finds %d cases of STREET-006; want 1", n)
		}
		for q, field := range map[string]string{
			"department=%00": "department", "department=civil%00": "department", "matter=%FF": "matter", "matter=STREET-006%0D%0A": "matter",
			"department=%C2%80": "department", "status=%00": "status", "status=%C3%28": "status", "status=" + url.QueryEscape("received') OR ('1'='1"): "status",
			"status=received&status=" + url.QueryEscape("delivered' --"): "status", "department=" + strings.Repeat("d", 201): "department",
			"department=" + url.QueryEscape(strings.Repeat("长", 5000)): "department", "%00=x": "query", "limit=%00": "limit",
		} {
			refused("/api/v1/cases?open=false&"+q, "supervisor", field)
		}

		for _, q := range []string{"q=" + url.QueryEscape("' OR 1=1--"), "department=" + url.QueryEscape("civil' --"), "q=" + url.QueryEscape("%_")} {
			found("/api/v1/matters?"+q, "", "matters")
		}
		for q, field := range map[string]string{"department=%00": "department", "q=%FF": "q", "q=%E4%BD": "q", "subject=natural%0A": "subject",
			"q=" + strings.Repeat("q", 201): "q", "department=%7F": "department"} {
			refused("/api/v1/matters?"+q, "", field)
		}
		for q, field := range map[string]string{"status=%00": "status", "status=dead%FF": "status", "status=" + url.QueryEscape("dead' OR 1=1--"): "status"} {
			refused("/api/v1/outbox?"+q, "admin", field)
		}
	})
}
