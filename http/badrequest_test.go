package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"onedoor"
)

// badRow is one bad request of the corpus and what it must get.
type badRow struct {
	name   string
	method string
	path   string
	token  string            // a key of apiEnv.tokens, "raw:<Authorization>", or "" for none
	body   string            // sent as is; "" sends no body
	header map[string]string // extra headers; an empty value removes the header
	status int               // the expected 4xx
	frag   string            // the error message or field must contain this
	field  string            // when set, the error's field must be exactly this
	allow  string            // the Allow header a 405 must carry (and only a 405)
	// repeat sends the request this many times first, each answered 404
	// (tracking failures), before the one whose answer is checked; spread
	// sends each of them from another client address.
	repeat int
	spread bool
	before string // the body of the repeated requests, when not body
	// sameAs names an earlier row whose error message this one must repeat
	// word for word.
	sameAs string
}

// corpusFixture holds the cases the corpus aims at, each in a known state.
type corpusFixture struct {
	received   string // CIV-010, the authorisation missing
	progress   string // CIV-010, accepted, at the street office's first step
	code       string // verification code of progress
	street     string // STREET-003 (street office only), in progress
	delivered  string // STREET-006, delivered
	completed  string // STREET-006, completed, to be collected at the counter
	bundle     string // BD-ELDERLY bundle number, its cases open
	bundleCase string // a case of that bundle
	licence    string // an e-licence number
	knownID    string // ID number of a registered person
	posted     string // STREET-003, completed, to be delivered by post
	clerkToken string // the clerk's bearer token, for rows that spell the header out
}

func (e *apiEnv) mustCall(t *testing.T, rq request, want int) *response {
	t.Helper()
	r := e.do(t, rq)
	if r.Status != want {
		t.Fatalf("fixture %s %s: %s; want %d", rq.Method, rq.Path, r, want)
	}
	return r
}

func (e *apiEnv) intakeFixture(t *testing.T, body map[string]any) receipt {
	t.Helper()
	var rc receipt
	e.mustCall(t, post("/api/v1/intake", "clerk", body), 201).decodeInto(t, &rc)
	return rc
}

func newCorpusFixture(t *testing.T, e *apiEnv) corpusFixture {
	t.Helper()
	var f corpusFixture
	f.knownID = idNumber("440604", "19500315", 12)
	rc := e.intakeFixture(t, map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("李秀英", f.knownID),
		"materials": []string{"application", "income_declaration", "hukou_book"}})
	f.received = rc.Cases[0].Number

	rc = e.intakeFixture(t, map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("黄志强", idNumber("440604", "19520601", 20)),
		"materials": []string{"application", "income_declaration", "hukou_book", "authorisation"}})
	f.progress, f.code = rc.Cases[0].Number, rc.Code

	rc = e.intakeFixture(t, map[string]any{"matter": "STREET-003", "applicant": naturalApplicant("张桂兰", idNumber("440604", "19560101", 41)),
		"materials": []string{"application"}})
	f.street = rc.Cases[0].Number

	finish := func(number string) {
		e.mustCall(t, act(number, "officer/street", map[string]any{"action": "approve"}), 200)
		e.mustCall(t, act(number, "officer/street", map[string]any{"action": "complete"}), 200)
	}
	rc = e.intakeFixture(t, map[string]any{"matter": "STREET-006", "applicant": naturalApplicant("刘洋", idNumber("440604", "19800101", 5))})
	f.delivered = rc.Cases[0].Number
	finish(f.delivered)
	e.mustCall(t, act(f.delivered, "clerk", map[string]any{"action": "deliver"}), 200)
	rc = e.intakeFixture(t, map[string]any{"matter": "STREET-006", "applicant": naturalApplicant("周敏", idNumber("440604", "19810202", 6))})
	f.completed = rc.Cases[0].Number
	finish(f.completed)

	rc = e.intakeFixture(t, map[string]any{"bundle": "BD-ELDERLY", "applicant": naturalApplicant("陈伯", idNumber("440604", "19400420", 7)),
		"materials": []string{"photo", "application", "hukou_book", "ss_card"}})
	f.bundle, f.bundleCase = rc.Bundle, rc.Cases[0].Number

	// An e-licence: a senior citizen card, issued on the day (即办件).
	rc = e.intakeFixture(t, map[string]any{"matter": "CIV-015", "applicant": naturalApplicant("吴婆婆", idNumber("440604", "19450505", 8)),
		"materials": []string{"photo"}})
	e.mustCall(t, act(rc.Cases[0].Number, "officer/civil", map[string]any{"action": "approve"}), 200)
	var c onedoor.Case
	e.mustCall(t, act(rc.Cases[0].Number, "officer/civil", map[string]any{"action": "complete"}), 200).decodeInto(t, &c)
	f.licence = c.Licence

	// A result to be sent by post, so that a tracking number is asked for.
	rc = e.intakeFixture(t, map[string]any{"matter": "STREET-003", "applicant": naturalApplicant("何伯", idNumber("440604", "19480808", 9)),
		"materials": []string{"application", "medical_records"}, "delivery": "post"})
	f.posted = rc.Cases[0].Number
	for range 3 {
		e.mustCall(t, act(f.posted, "officer/street", map[string]any{"action": "approve"}), 200)
	}
	e.mustCall(t, act(f.posted, "officer/street", map[string]any{"action": "complete"}), 200)
	f.clerkToken = e.tokens["clerk"]
	return f
}

// fullWidth writes ASCII digits as full-width ones (０–９), as some input methods type them.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

// js marshals v to a JSON string.
func js(v any) string { return string(mustJSON(v)) }

// intakeJSON is an intake body for a matter with an applicant and the materials handed in.
func intakeJSON(matter string, applicant map[string]any, materials ...string) string {
	if materials == nil {
		materials = []string{}
	}
	return js(map[string]any{"matter": matter, "applicant": applicant, "materials": materials})
}

func natural(id, name string) map[string]any {
	return map[string]any{"subject": "natural", "id_number": id, "name": name}
}

func legal(code, name string, allowLegacy bool) map[string]any {
	a := map[string]any{"subject": "legal", "uscc": code, "name": name}
	if allowLegacy {
		a["allow_legacy"] = true
	}
	return a
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for k2, v2 := range m {
		out[k2] = v2
	}
	out[k] = v
	return out
}

// badRows is the corpus. Every row is refused with a 4xx, the JSON error
// shape, and no change to the database.
func badRows(f corpusFixture) []badRow {
	const (
		intake  = "/api/v1/intake"
		lookup  = "/api/v1/applicants/lookup"
		track   = "/api/v1/track"
		matters = "/api/v1/matters"
	)
	actions := func(n string) string { return "/api/v1/cases/" + n + "/actions" }
	deliverB := func(b string) string { return "/api/v1/bundle-cases/" + b + "/deliver" }

	id66 := idNumber("440604", "19600101", 30) // aged 66 on the test day
	id20 := idNumber("440604", "20060101", 31) // aged 20
	id70 := idNumber("440604", "19560303", 32) // aged 69, not 80
	okID := idNumber("440604", "19750808", 33)
	first17 := okID[:17]
	goodUSCC := uscc("440604", 12)
	badUSCC := wrongUSCCCheck(goodUSCC)
	orgBad := goodUSCC[:16] + string("0123456789X"[(strings.IndexByte("0123456789X", goodUSCC[16])+1)%11]) // wrong organisation-code check
	orgBad = orgBad + string(onedoor.USCCCheckChar(orgBad))
	ten := strings.Repeat("长", 10000)
	script := "<script>alert(1)</script>"
	sqlish := "'; DROP TABLE cases;--"
	rtl := "\u202Egnp.exe"
	approve := js(map[string]any{"action": "approve"})
	big := func(n int) string {
		return `{"matter":"CIV-010","applicant":{"subject":"natural","name":"` + strings.Repeat("a", n) + `"}}`
	}
	hundredOne := make([]string, 101)
	for i := range hundredOne {
		hundredOne[i] = "authorisation"
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)

	rows := []badRow{
		// --- malformed JSON ---
		{name: "truncated object", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{`, status: 400, frag: "ends too early"},
		{name: "truncated string", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV`, status: 400, frag: "ends too early"},
		{name: "truncated track", method: "POST", path: track, body: `{"number":"` + f.progress + `","code":`, status: 400, frag: "ends too early"},
		{name: "trailing object", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010"} {"matter":"CIV-011"}`, status: 400, frag: "exactly one JSON object"},
		{name: "trailing garbage", method: "POST", path: track, body: `{"number":"1","code":"2"}xyz`, status: 400, frag: "exactly one JSON object"},
		{name: "trailing garbage after valid action", method: "POST", path: actions(f.progress), token: "officer/street", body: approve + `]`, status: 400, frag: "exactly one JSON object"},
		{name: "trailing comma", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010",}`, status: 400, frag: "not valid JSON"},
		{name: "single quotes", method: "POST", path: intake, token: "clerk", body: `{'matter':'CIV-010'}`, status: 400, frag: "not valid JSON"},
		{name: "bare word", method: "POST", path: lookup, token: "clerk", body: `hello`, status: 400, field: "body", frag: "not valid JSON"},
		{name: "comment in JSON", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"approve" /* ok */}`, status: 400, frag: "not valid JSON"},
		{name: "NaN number", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":NaN,"reason":"x"}`, status: 400, frag: "not valid JSON"},
		{name: "empty body intake", method: "POST", path: intake, token: "clerk", status: 400, frag: "empty"},
		{name: "empty body lookup", method: "POST", path: lookup, token: "clerk", status: 400, frag: "empty"},
		{name: "empty body action", method: "POST", path: actions(f.progress), token: "officer/street", status: 400, frag: "empty"},
		{name: "empty body bundle delivery", method: "POST", path: deliverB(f.bundle), token: "clerk", status: 400, frag: "empty"},
		{name: "empty body track", method: "POST", path: track, status: 400, frag: "empty"},
		{name: "whitespace body", method: "POST", path: intake, token: "clerk", body: " \n\t ", status: 400, frag: "empty"},
		// Valid JSON that is not an object is refused as such, before any field is looked at.
		{name: "null body intake", method: "POST", path: intake, token: "clerk", body: `null`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "null body action", method: "POST", path: actions(f.progress), token: "officer/street", body: `null`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "null body track", method: "POST", path: track, body: " \n null \t", status: 400, field: "body", frag: "must be a JSON object"},
		{name: "array body intake", method: "POST", path: intake, token: "clerk", body: `[]`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "array of objects action", method: "POST", path: actions(f.progress), token: "officer/street", body: `[` + approve + `]`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "array body track", method: "POST", path: track, body: `[{"number":"1","code":"2"}]`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "string body", method: "POST", path: lookup, token: "clerk", body: `"natural"`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "number body", method: "POST", path: intake, token: "clerk", body: `42`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "boolean body", method: "POST", path: track, body: `true`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "false body bundle delivery", method: "POST", path: deliverB(f.bundle), token: "clerk", body: `false`, status: 400, field: "body", frag: "must be a JSON object"},
		{name: "nesting 20000 deep", method: "POST", path: intake, token: "clerk", body: `{"materials":` + deep + `}`, status: 400, frag: "body"},

		// --- the bytes of the body: UTF-8 only, no NUL ---
		{name: "name with invalid UTF-8", method: "POST", path: intake, token: "clerk", body: strings.Replace(intakeJSON("STREET-006", natural(okID, "李秀英")), "李秀英", "李\xff\xfe秀英", 1), status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "commitment with invalid UTF-8", method: "POST", path: intake, token: "clerk", body: strings.Replace(js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true, "commitment": "我承诺COMMIT补交"}), "COMMIT", "\xc3\x28", 1), status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "reason with a truncated character", method: "POST", path: actions(f.progress), token: "officer/street", body: "{\"action\":\"reject\",\"reason\":\"不符\xe5\x90\"}", status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "overlong encoding of NUL", method: "POST", path: track, body: "{\"number\":\"440604\xc0\x80\",\"code\":\"AAAAAAAA\"}", status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "UTF-8 encoded surrogate", method: "POST", path: lookup, token: "clerk", body: "{\"subject\":\"legal\",\"uscc\":\"91\xed\xa0\x80\"}", status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "invalid UTF-8 in a field name", method: "POST", path: intake, token: "clerk", body: "{\"matter\xff\":\"CIV-010\"}", status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "UTF-16 body", method: "POST", path: track, body: "\xff\xfe{\x00}\x00", status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "Latin-1 body", method: "POST", path: intake, token: "clerk", body: strings.Replace(intakeJSON("STREET-006", natural(okID, "José")), "é", "\xe9", 1), status: 400, field: "body", frag: "not valid UTF-8"},
		{name: "NUL in a field name", method: "POST", path: intake, token: "clerk", body: `{"matter\u0000":"CIV-010"}`, status: 400, field: "body", frag: "NUL control character"},
		{name: "NUL in an unknown field", method: "POST", path: track, body: `{"number":"1","code":"2","x":"\u0000"}`, status: 400, field: "body", frag: "NUL control character"},
		{name: "NUL alone in a body", method: "POST", path: lookup, token: "clerk", body: `"\u0000"`, status: 400, field: "body", frag: "NUL control character"},

		// --- wrong types, field by field ---
		{name: "matter is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":10}`, status: 400, field: "matter", frag: "must be a JSON string"},
		{name: "bundle is an array", method: "POST", path: intake, token: "clerk", body: `{"bundle":["BD-ELDERLY"]}`, status: 400, field: "bundle", frag: "must be a JSON string"},
		{name: "applicant is a string", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":"李秀英"}`, status: 400, field: "applicant", frag: "must be a JSON object"},
		{name: "applicant is an array", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":[]}`, status: 400, field: "applicant", frag: "must be a JSON object"},
		{name: "applicant is null", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":null}`, status: 400, frag: "applicant.subject"},
		{name: "subject is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{"subject":1}}`, status: 400, field: "applicant.subject", frag: "must be a JSON string"},
		{name: "id_number is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{"subject":"natural","id_number":440604195003150120}}`, status: 400, field: "applicant.id_number", frag: "must be a JSON string"},
		{name: "allow_legacy is a string", method: "POST", path: intake, token: "clerk", body: `{"matter":"MKT-001","applicant":{"subject":"legal","allow_legacy":"yes"}}`, status: 400, field: "applicant.allow_legacy", frag: "must be a JSON boolean"},
		{name: "name is an object", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{"subject":"natural","name":{"zh":"李"}}}`, status: 400, field: "applicant.name", frag: "must be a JSON string"},
		{name: "phone is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{"subject":"natural","phone":13800138000}}`, status: 400, field: "applicant.phone", frag: "must be a JSON string"},
		{name: "materials is a string", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","materials":"application"}`, status: 400, field: "materials", frag: "must be a JSON array"},
		{name: "materials holds numbers", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","materials":[1,2]}`, status: 400, field: "materials", frag: "must be a JSON string"},
		{name: "tolerate is a string", method: "POST", path: intake, token: "clerk", body: `{"matter":"HRSS-001","tolerate":"true"}`, status: 400, field: "tolerate", frag: "must be a JSON boolean"},
		{name: "commitment is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":"HRSS-001","commitment":1}`, status: 400, field: "commitment", frag: "must be a JSON string"},
		{name: "channel is a number", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","channel":0}`, status: 400, field: "channel", frag: "must be a JSON string"},
		{name: "delivery is a boolean", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","delivery":true}`, status: 400, field: "delivery", frag: "must be a JSON string"},
		{name: "action is a number", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":1}`, status: 400, field: "action", frag: "must be a JSON string"},
		{name: "reason is a number", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"reject","reason":1}`, status: 400, field: "reason", frag: "must be a JSON string"},
		{name: "note is an array", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"approve","note":["a"]}`, status: 400, field: "note", frag: "must be a JSON string"},
		{name: "materials is an object", method: "POST", path: actions(f.received), token: "clerk", body: `{"action":"supply","materials":{"authorisation":true}}`, status: 400, field: "materials", frag: "must be a JSON array"},
		{name: "days is a string", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":"2","reason":"x"}`, status: 400, field: "days", frag: "must be a JSON number"},
		{name: "days is a fraction", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":1.5,"reason":"x"}`, status: 400, field: "days", frag: "must be a JSON number"},
		{name: "days is 1e40", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":1e40,"reason":"x"}`, status: 400, field: "days", frag: "must be a JSON number"},
		{name: "days overflows int64", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":99999999999999999999999,"reason":"x"}`, status: 400, field: "days", frag: "must be a JSON number"},
		{name: "days is 1e400", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":1e400,"reason":"x"}`, status: 400, field: "days", frag: "must be a JSON number"},
		{name: "approver is a number", method: "POST", path: actions(f.progress), token: "leader/street", body: `{"action":"extend","days":1,"reason":"x","approver":7}`, status: 400, field: "approver", frag: "must be a JSON string"},
		{name: "channel is an object", method: "POST", path: actions(f.completed), token: "clerk", body: `{"action":"deliver","channel":{}}`, status: 400, field: "channel", frag: "must be a JSON string"},
		{name: "tracking_no is a number", method: "POST", path: actions(f.completed), token: "clerk", body: `{"action":"deliver","tracking_no":123}`, status: 400, field: "tracking_no", frag: "must be a JSON string"},
		{name: "track number is a number", method: "POST", path: track, body: `{"number":440604,"code":"AAAA"}`, status: 400, field: "number", frag: "must be a JSON string"},
		{name: "track code is an object", method: "POST", path: track, body: `{"number":"` + f.progress + `","code":{}}`, status: 400, field: "code", frag: "must be a JSON string"},
		{name: "lookup subject is a number", method: "POST", path: lookup, token: "clerk", body: `{"subject":2}`, status: 400, field: "subject", frag: "must be a JSON string"},
		{name: "lookup uscc is an array", method: "POST", path: lookup, token: "clerk", body: `{"subject":"legal","uscc":[]}`, status: 400, field: "uscc", frag: "must be a JSON string"},
		{name: "bundle delivery channel is a number", method: "POST", path: deliverB(f.bundle), token: "clerk", body: `{"channel":1}`, status: 400, field: "channel", frag: "must be a JSON string"},

		// --- unknown fields ---
		{name: "unknown top-level field", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","foo":1}`, status: 400, frag: "foo"},
		{name: "actor smuggled into intake", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","actor":{"role":"admin"}}`, status: 400, frag: "actor"},
		{name: "unknown applicant field", method: "POST", path: intake, token: "clerk", body: `{"matter":"CIV-010","applicant":{"subject":"natural","dishonest":false}}`, status: 400, frag: "dishonest"},
		{name: "actor smuggled into action", method: "POST", path: actions(f.progress), token: "clerk", body: `{"action":"approve","actor":{"role":"officer","department":"street"}}`, status: 400, frag: "actor"},
		{name: "backdated action", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"approve","at":"2020-01-01T00:00:00Z"}`, status: 400, frag: "at"},
		{name: "forged licence number", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"complete","licence":"dibao_cert-1"}`, status: 400, frag: "licence"},
		{name: "unknown track field", method: "POST", path: track, body: `{"number":"1","code":"2","debug":true}`, status: 400, frag: "debug"},
		{name: "unknown lookup field", method: "POST", path: lookup, token: "clerk", body: `{"subject":"natural","id_number":"` + f.knownID + `","name":"x"}`, status: 400, frag: "name"},
		{name: "unknown bundle delivery field", method: "POST", path: deliverB(f.bundle), token: "clerk", body: `{"force":true}`, status: 400, frag: "force"},

		// --- Content-Type ---
		{name: "text/plain", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "甲")), header: map[string]string{"Content-Type": "text/plain"}, status: 400, frag: "Content-Type"},
		{name: "form encoded", method: "POST", path: track, body: "number=1&code=2", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 400, frag: "Content-Type"},
		{name: "multipart", method: "POST", path: actions(f.progress), token: "officer/street", body: approve, header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, status: 400, frag: "Content-Type"},
		{name: "xml", method: "POST", path: lookup, token: "clerk", body: `<subject>natural</subject>`, header: map[string]string{"Content-Type": "application/xml"}, status: 400, frag: "Content-Type"},
		// Exactly application/json: another type that merely starts the same is refused…
		{name: "JSON patch type", method: "POST", path: actions(f.progress), token: "officer/street", body: approve, header: map[string]string{"Content-Type": "application/json-patch+json"}, status: 400, field: "Content-Type", frag: "application/json-patch+json"},
		{name: "jsonp type", method: "POST", path: track, body: `{"number":"1","code":"2"}`, header: map[string]string{"Content-Type": "application/jsonp"}, status: 400, field: "Content-Type", frag: "Content-Type"},
		{name: "ld+json type", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "甲")), header: map[string]string{"Content-Type": "application/ld+json"}, status: 400, field: "Content-Type", frag: "Content-Type"},
		{name: "JSON with a comma-joined second type", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": f.knownID}), header: map[string]string{"Content-Type": "application/json, text/plain"}, status: 400, field: "Content-Type", frag: "Content-Type"},
		// …while parameters and the case of the type do not matter: these bodies get past
		// the type and are refused for what they hold.
		{name: "JSON with charset", method: "POST", path: intake, token: "clerk", body: intakeJSON("NOPE-001", natural(okID, "甲")), header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, status: 400, field: "matter", frag: "NOPE-001"},
		{name: "JSON in capitals", method: "POST", path: track, body: `{"number":"1","code":"2","debug":true}`, header: map[string]string{"Content-Type": "Application/JSON"}, status: 400, field: "debug", frag: "Unknown field"},

		// --- oversized bodies ---
		{name: "2 MiB intake", method: "POST", path: intake, token: "clerk", body: big(2 << 20), status: 413, frag: "larger than"},
		{name: "just over 1 MiB track", method: "POST", path: track, body: `{"number":"` + strings.Repeat("9", 1<<20) + `","code":"x"}`, status: 413, frag: "larger than"},
		{name: "1 MiB of whitespace in an action", method: "POST", path: actions(f.progress), token: "officer/street", body: `{"action":"approve"` + strings.Repeat(" ", 1<<20) + `}`, status: 413, frag: "larger than"},
		// Expect: 100-continue lets the client hear the early 401 instead of
		// a reset while it is still writing the body the server will not read.
		{name: "oversized without token is 401 first", method: "POST", path: intake, body: big(2 << 20), header: map[string]string{"Expect": "100-continue"}, status: 401, frag: "token"},

		// --- identity numbers ---
		{name: "ID wrong check character", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(wrongCheck(okID), "甲")), status: 400, frag: "check character"},
		{name: "ID impossible date 30 Feb", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("440604", "19990230", 1), "甲")), status: 400, frag: "not a real calendar date"},
		{name: "ID month 13", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("440604", "19991301", 1), "甲")), status: 400, frag: "not a real calendar date"},
		{name: "ID 29 Feb of a common year", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("440604", "20230229", 1), "甲")), status: 400, frag: "not a real calendar date"},
		{name: "ID born tomorrow", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("440604", "20260303", 1), "甲")), status: 400, frag: "in the future"},
		{name: "ID born 2030", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": idNumber("440604", "20300101", 1)}), status: 400, frag: "in the future"},
		{name: "ID born 1899", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("440604", "18991231", 1), "甲")), status: 400, frag: "before 1900"},
		{name: "ID 17 characters", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(first17, "甲")), status: 400, frag: "18 characters"},
		{name: "ID 19 characters", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID+"1", "甲")), status: 400, frag: "18 characters"},
		{name: "ID 15-digit old format", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural("440604750808331", "甲")), status: 400, frag: "18 characters"},
		{name: "ID province 00", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(idNumber("000604", "19750808", 1), "甲")), status: 400, frag: "province"},
		{name: "ID province 99", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": idNumber("990604", "19750808", 1)}), status: 400, frag: "province"},
		{name: "ID letter inside", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural("44060A"+okID[6:], "甲")), status: 400, frag: "must be digits"},
		{name: "ID full-width digits", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(fullWidth(first17)+okID[17:], "甲")), status: 400, frag: "identity number"},
		{name: "ID check character Y", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(first17+"Y", "甲")), status: 400, frag: "digit or X"},
		{name: "ID missing", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural("", "甲")), status: 400, frag: "required"},
		{name: "ID SQL-ish", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": "1' OR '1'='1"}), status: 400, frag: "id_number"},

		// --- USCC ---
		{name: "USCC wrong check", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal(badUSCC, "测试公司", false), "application"), status: 400, frag: "check character"},
		{name: "USCC wrong organisation-code check", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal(orgBad, "测试公司", false), "application"), status: 400, frag: "organisation code"},
		{name: "USCC legacy but 17 characters", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal(goodUSCC[:17], "测试公司", true), "application"), status: 400, frag: "18 characters"},
		{name: "USCC legacy but letter I", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal("I"+goodUSCC[1:], "测试公司", true), "application"), status: 400, frag: "not allowed"},
		{name: "USCC legacy but letters in the region", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal("91ABCDEF"+goodUSCC[8:], "测试公司", true), "application"), status: 400, frag: "region code"},
		{name: "USCC missing", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal("", "测试公司", true), "application"), status: 400, frag: "required"},

		// --- phones and names ---
		{name: "phone too short", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", with(natural(okID, "甲"), "phone", "12345")), status: 400, frag: "11 digits"},
		{name: "phone starting 12", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", with(natural(okID, "甲"), "phone", "12800138000")), status: 400, frag: "starts with 13 to 19"},
		{name: "phone with a letter", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", with(natural(okID, "甲"), "phone", "1380013800O")), status: 400, frag: "only digits"},
		{name: "phone foreign", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", with(natural(okID, "甲"), "phone", "+1 415 555 0100")), status: 400, frag: "applicant.phone"},
		{name: "name missing", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "")), status: 400, frag: "applicant.name"},
		{name: "name blank", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, " \t ")), status: 400, frag: "required"},
		{name: "name 10000 characters", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, ten)), status: 400, frag: "longer than 100"},
		{name: "name with NUL", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "李\x00秀英")), status: 400, field: "body", frag: "NUL control character"},
		{name: "name with escape sequence", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "\x1b[31m李秀英")), status: 400, frag: "control"},
		{name: "name with newline", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "李\n秀英")), status: 400, frag: "control"},
		{name: "name with C1 control NEL", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "李\u0085秀英")), status: 400, frag: "control"},
		{name: "organisation name with NUL", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal(goodUSCC, "公司\x00", false), "application"), status: 400, field: "body", frag: "NUL control character"},
		// Format characters (Unicode category Cf) are invisible and can make a
		// name read differently from what is stored.
		{name: "name with RTL override", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "\u202E李秀英")), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "name with left-to-right isolate", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "李\u2066秀英\u2069")), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "name with zero-width space", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "李\u200B秀英")), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "name with byte-order mark", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "\uFEFF李秀英")), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "name with soft hyphen", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "Anne\u00ADMarie")), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "name with RTL override in raw JSON", method: "POST", path: intake, token: "clerk", body: strings.Replace(intakeJSON("STREET-006", natural(okID, "李秀英")), "李秀英", `\u202e李秀英`, 1), status: 400, field: "applicant.name", frag: "formatting characters"},
		{name: "organisation name with RTL override", method: "POST", path: intake, token: "clerk", body: intakeJSON("MKT-001", legal(goodUSCC, "测试\u202E司公", false), "application"), status: 400, field: "applicant.name", frag: "formatting characters"},

		// --- what is applied for ---
		{name: "unknown matter", method: "POST", path: intake, token: "clerk", body: intakeJSON("NOPE-001", natural(okID, "甲")), status: 400, frag: "NOPE-001"},
		{name: "matter SQL-ish", method: "POST", path: intake, token: "clerk", body: intakeJSON(sqlish, natural(okID, "甲")), status: 400, frag: "matter"},
		{name: "unknown bundle", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"bundle": "BD-NOPE", "applicant": natural(okID, "甲")}), status: 400, frag: "BD-NOPE"},
		{name: "matter and bundle", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "STREET-006", "bundle": "BD-ELDERLY", "applicant": natural(okID, "甲")}), status: 400, frag: "not both"},
		{name: "neither matter nor bundle", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"applicant": natural(okID, "甲")}), status: 400, frag: "required"},
		{name: "subject mismatch matter", method: "POST", path: intake, token: "clerk", body: intakeJSON("CIV-010", legal(goodUSCC, "测试公司", false)), status: 400, frag: "serves natural persons"},
		{name: "subject mismatch bundle", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"bundle": "BD-BUSINESS", "applicant": natural(okID, "甲")}), status: 400, frag: "serves legal persons"},
		{name: "subject unknown", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", map[string]any{"subject": "alien", "id_number": okID, "name": "甲"}), status: 400, frag: "applicant.subject"},
		{name: "unknown material", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "甲"), "passport"), status: 400, frag: "passport"},
		{name: "material of another matter", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "甲"), "authorisation"), status: 400, frag: "authorisation"},
		{name: "material code with markup", method: "POST", path: intake, token: "clerk", body: intakeJSON("STREET-006", natural(okID, "甲"), script), status: 400, frag: "materials"},
		{name: "容缺 without commitment", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true}), status: 400, frag: "commitment"},
		{name: "容缺 with a blank commitment", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true, "commitment": "  \n "}), status: 400, frag: "commitment"},
		{name: "容缺 for a major material", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form"}, "tolerate": true, "commitment": "我承诺补交"}), status: 400, frag: "Only minor materials"},
		{name: "commitment 10000 characters", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true, "commitment": ten}), status: 400, frag: "commitment"},
		{name: "commitment with NUL", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "HRSS-001", "applicant": natural(id66, "退休人"),
			"materials": []string{"application_form", "personnel_file"}, "tolerate": true, "commitment": "承诺\x00"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "ineligible: pension at 20", method: "POST", path: intake, token: "clerk", body: intakeJSON("HRSS-001", natural(id20, "王小明"), "application_form", "personnel_file", "ss_card"), status: 400, frag: "condition"},
		{name: "ineligible: 80+ allowance at 69", method: "POST", path: intake, token: "clerk", body: intakeJSON("CIV-011", natural(id70, "老李"), "application", "hukou_book", "ss_card"), status: 400, frag: "condition"},
		{name: "ineligible: dibao for a non-local", method: "POST", path: intake, token: "clerk", body: intakeJSON("CIV-010", natural(idNumber("110101", "19500101", 9), "外地人"), "application"), status: 400, frag: "condition"},
		{name: "delivery not offered", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "STREET-006", "applicant": natural(okID, "甲"), "delivery": "post"}), status: 400, frag: "delivery"},
		{name: "delivery unknown", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "STREET-006", "applicant": natural(okID, "甲"), "delivery": "drone"}), status: 400, frag: "delivery"},
		{name: "channel fax", method: "POST", path: intake, token: "clerk", body: js(map[string]any{"matter": "STREET-006", "applicant": natural(okID, "甲"), "channel": "fax"}), status: 400, frag: "channel"},

		// --- lookup ---
		{name: "lookup unknown person", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": okID}), status: 404, frag: "person"},
		{name: "lookup unknown organisation", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": goodUSCC}), status: 404, frag: "organisation"},
		{name: "lookup without subject", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"id_number": f.knownID}), status: 400, frag: "subject"},
		{name: "lookup wrong check character", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "natural", "id_number": wrongCheck(f.knownID)}), status: 400, frag: "check character"},
		// A code is checked as intake checks it with allow_legacy: malformed is 400,
		// an early code that only fails a check character is looked up.
		{name: "lookup USCC missing", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal"}), status: 400, field: "uscc", frag: "required"},
		{name: "lookup USCC 17 characters", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": goodUSCC[:17]}), status: 400, field: "uscc", frag: "18 characters"},
		{name: "lookup USCC 19 characters", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": goodUSCC + "1"}), status: 400, field: "uscc", frag: "18 characters"},
		{name: "lookup USCC with letter O", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": goodUSCC[:10] + "O" + goodUSCC[11:]}), status: 400, field: "uscc", frag: "not allowed"},
		{name: "lookup USCC letters in the region", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": "91ABCDEF" + goodUSCC[8:]}), status: 400, field: "uscc", frag: "region code"},
		{name: "lookup USCC SQL-ish", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": ("' OR 1=1 --" + goodUSCC)[:18]}), status: 400, field: "uscc", frag: "not allowed"},
		{name: "lookup USCC full-width", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": fullWidth(goodUSCC)}), status: 400, field: "uscc", frag: "not allowed"},
		{name: "lookup USCC with NUL", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": "91\x00"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "lookup unknown legacy USCC", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": badUSCC}), status: 404, frag: "organisation"},
		{name: "lookup unknown legacy USCC, organisation-code check", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": orgBad}), status: 404, frag: "organisation"},
		{name: "lookup unknown USCC in lower case", method: "POST", path: lookup, token: "clerk", body: js(map[string]any{"subject": "legal", "uscc": " " + strings.ToLower(goodUSCC) + " "}), status: 404, frag: "organisation"},

		// --- illegal transitions ---
		{name: "approve a delivered case", method: "POST", path: actions(f.delivered), token: "officer/street", body: approve, status: 409, frag: f.delivered},
		{name: "reject a delivered case", method: "POST", path: actions(f.delivered), token: "officer/street", body: js(map[string]any{"action": "reject", "reason": "x"}), status: 409, frag: f.delivered},
		{name: "deliver twice", method: "POST", path: actions(f.delivered), token: "clerk", body: js(map[string]any{"action": "deliver"}), status: 409, frag: f.delivered},
		{name: "deliver a case in progress", method: "POST", path: actions(f.progress), token: "clerk", body: js(map[string]any{"action": "deliver"}), status: 409, frag: f.progress},
		{name: "deliver a received case", method: "POST", path: actions(f.received), token: "clerk", body: js(map[string]any{"action": "deliver"}), status: 409, frag: f.received},
		{name: "approve a received case", method: "POST", path: actions(f.received), token: "officer/street", body: approve, status: 409, frag: f.received},
		{name: "complete a case in progress", method: "POST", path: actions(f.progress), token: "leader/civil", body: js(map[string]any{"action": "complete"}), status: 409, frag: f.progress},
		{name: "supply when nothing is awaited", method: "POST", path: actions(f.progress), token: "clerk", body: js(map[string]any{"action": "supply", "materials": []string{"authorisation"}}), status: 409, frag: "Nothing is awaited"},
		{name: "supply an unknown material", method: "POST", path: actions(f.received), token: "clerk", body: js(map[string]any{"action": "supply", "materials": []string{"passport"}}), status: 400, frag: "passport"},
		{name: "supply naming nothing", method: "POST", path: actions(f.received), token: "clerk", body: js(map[string]any{"action": "supply"}), status: 400, frag: "materials"},
		{name: "supply 101 materials", method: "POST", path: actions(f.received), token: "clerk", body: js(map[string]any{"action": "supply", "materials": hundredOne}), status: 400, frag: "At most 100"},
		{name: "resume a case not suspended", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "resume"}), status: 409, frag: f.progress},
		{name: "return from the first step", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "return", "reason": "重审"}), status: 409, frag: "first step"},
		{name: "extend beyond the statutory limit", method: "POST", path: actions(f.progress), token: "leader/street", body: js(map[string]any{"action": "extend", "days": 11, "reason": "入户调查需时"}), status: 400, frag: "days"},
		{name: "extend by zero days", method: "POST", path: actions(f.progress), token: "leader/street", body: js(map[string]any{"action": "extend", "days": 0, "reason": "入户调查需时"}), status: 400, frag: "days"},
		{name: "extend by negative days", method: "POST", path: actions(f.progress), token: "leader/street", body: js(map[string]any{"action": "extend", "days": -5, "reason": "入户调查需时"}), status: 400, frag: "days"},
		{name: "extend without reason", method: "POST", path: actions(f.progress), token: "leader/street", body: js(map[string]any{"action": "extend", "days": 2}), status: 400, frag: "reason"},
		{name: "reject without reason", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "reject"}), status: 400, frag: "reason"},
		{name: "reject with a blank reason", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "reject", "reason": " \n\t"}), status: 400, frag: "reason"},
		{name: "suspend without reason", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "suspend"}), status: 400, frag: "reason"},
		{name: "request_supplement without materials", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "request_supplement", "reason": "请补充"}), status: 400, frag: "materials"},
		{name: "request_supplement of an unknown material", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "request_supplement", "reason": "请补充", "materials": []string{"passport"}}), status: 400, frag: "passport"},
		{name: "request_supplement without reason", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "request_supplement", "materials": []string{"authorisation"}}), status: 400, frag: "reason"},
		{name: "deliver by post without tracking number", method: "POST", path: actions(f.completed), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post"}), status: 400, frag: "channel"},
		{name: "deliver at the counter with a tracking number", method: "POST", path: actions(f.completed), token: "clerk", body: js(map[string]any{"action": "deliver", "tracking_no": "SF1234567890"}), status: 400, frag: "tracking_no"},
		{name: "deliver one case of a bundle", method: "POST", path: actions(f.bundleCase), token: "clerk", body: js(map[string]any{"action": "deliver"}), status: 409, frag: "bundle"},
		{name: "deliver a bundle still open", method: "POST", path: deliverB(f.bundle), token: "clerk", body: `{}`, status: 409, frag: "still open"},
		{name: "deliver an unknown bundle", method: "POST", path: deliverB("BD440604000000000000"), token: "clerk", body: `{}`, status: 404, frag: "BD440604000000000000"},
		{name: "action intake", method: "POST", path: actions(f.progress), token: "clerk", body: js(map[string]any{"action": "intake"}), status: 400, frag: "Unknown action"},
		{name: "action missing", method: "POST", path: actions(f.progress), token: "officer/street", body: `{}`, status: 400, frag: "required"},
		{name: "action in capitals", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "APPROVE"}), status: 400, frag: "Unknown action"},
		{name: "action with trailing space", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "approve "}), status: 400, frag: "Unknown action"},
		{name: "action on an unknown case", method: "POST", path: actions("440604260302999999"), token: "officer/street", body: approve, status: 404, frag: "440604260302999999"},
		{name: "action on a SQL-ish case number", method: "POST", path: actions(url.PathEscape(sqlish)), token: "officer/street", body: approve, status: 404, frag: "DROP TABLE"},

		// --- roles ---
		{name: "clerk approves", method: "POST", path: actions(f.progress), token: "clerk", body: approve, status: 403, frag: "clerk"},
		{name: "officer takes an intake", method: "POST", path: intake, token: "officer/street", body: intakeJSON("STREET-006", natural(okID, "甲")), status: 403, frag: "officer"},
		{name: "leader takes an intake", method: "POST", path: intake, token: "leader/civil", body: intakeJSON("STREET-006", natural(okID, "甲")), status: 403, frag: "leader"},
		{name: "analyst lists cases", method: "GET", path: "/api/v1/cases", token: "analyst", status: 403, frag: "analyst"},
		{name: "analyst reads a case", method: "GET", path: "/api/v1/cases/" + f.progress, token: "analyst", status: 403, frag: "analyst"},
		{name: "admin lists cases", method: "GET", path: "/api/v1/cases", token: "admin", status: 403, frag: "admin"},
		{name: "supervisor acts", method: "POST", path: actions(f.progress), token: "supervisor", body: approve, status: 403, frag: "supervisor"},
		{name: "clerk reads the outbox", method: "GET", path: "/api/v1/outbox", token: "clerk", status: 403, frag: "clerk"},
		{name: "officer resends a message", method: "POST", path: "/api/v1/outbox/1/resend", token: "officer/civil", status: 403, frag: "officer"},
		{name: "analyst looks up an applicant", method: "POST", path: lookup, token: "analyst", body: js(map[string]any{"subject": "natural", "id_number": f.knownID}), status: 403, frag: "analyst"},
		{name: "leader delivers a bundle", method: "POST", path: deliverB(f.bundle), token: "leader/civil", body: `{}`, status: 403, frag: "leader"},
		{name: "analyst reads a licence", method: "GET", path: "/api/v1/licences/" + f.licence, token: "analyst", status: 403, frag: "analyst"},
		{name: "officer supplies materials", method: "POST", path: actions(f.received), token: "officer/street", body: js(map[string]any{"action": "supply", "materials": []string{"authorisation"}}), status: 403, frag: "clerk"},
		{name: "officer extends", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "extend", "days": 1, "reason": "x"}), status: 403, frag: "leader"},
		{name: "clerk extends", method: "POST", path: actions(f.progress), token: "clerk", body: js(map[string]any{"action": "extend", "days": 1, "reason": "x"}), status: 403, frag: "leader"},
		{name: "officer delivers", method: "POST", path: actions(f.completed), token: "officer/street", body: js(map[string]any{"action": "deliver"}), status: 403, frag: "clerk"},

		// --- departments ---
		{name: "civil officer approves the street step", method: "POST", path: actions(f.progress), token: "officer/civil", body: approve, status: 403, frag: "street"},
		{name: "civil leader approves the street step", method: "POST", path: actions(f.progress), token: "leader/civil", body: approve, status: 403, frag: "street"},
		{name: "civil leader extends the street step", method: "POST", path: actions(f.progress), token: "leader/civil", body: js(map[string]any{"action": "extend", "days": 1, "reason": "x"}), status: 403, frag: "street"},
		{name: "civil officer reads a street-only case", method: "GET", path: "/api/v1/cases/" + f.street, token: "officer/civil", status: 404, frag: f.street},
		{name: "civil leader acts on a street-only case", method: "POST", path: actions(f.street), token: "leader/civil", body: js(map[string]any{"action": "reject", "reason": "x"}), status: 404, frag: f.street},
		{name: "civil officer lists the street inbox", method: "GET", path: "/api/v1/cases?department=street", token: "officer/civil", status: 403, frag: "civil"},

		// --- authentication ---
		{name: "no token", method: "GET", path: "/api/v1/me", status: 401, frag: "token"},
		{name: "empty bearer", method: "GET", path: "/api/v1/me", token: "raw:Bearer ", status: 401, frag: "token"},
		{name: "unknown token", method: "GET", path: "/api/v1/cases", token: "raw:Bearer od_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", status: 401, frag: "token"},
		{name: "basic auth", method: "GET", path: "/api/v1/me", token: "raw:Basic Y2xlcmsxOnBhc3N3b3Jk", status: 401, frag: "token"},
		{name: "token of 300 characters", method: "GET", path: "/api/v1/me", token: "raw:Bearer " + strings.Repeat("A", 300), status: 401, frag: "token"},
		{name: "token SQL-ish", method: "GET", path: "/api/v1/me", token: "raw:Bearer ' OR 1=1--", status: 401, frag: "token"},
		{name: "intake without token, malformed body", method: "POST", path: intake, body: `{"matter":`, status: 401, frag: "token"},
		{name: "action without token", method: "POST", path: actions(f.progress), body: approve, status: 401, frag: "token"},
		{name: "licence without token", method: "GET", path: "/api/v1/licences/" + f.licence, status: 401, frag: "token"},
		{name: "outbox without token", method: "GET", path: "/api/v1/outbox", status: 401, frag: "token"},
		{name: "a valid token under another scheme", method: "GET", path: "/api/v1/me", token: "raw:Token " + f.clerkToken, status: 401, frag: "token"},
		{name: "a valid token without a scheme", method: "GET", path: "/api/v1/me", token: "raw:" + f.clerkToken, status: 401, frag: "token"},
		{name: "a valid token glued to the scheme", method: "GET", path: "/api/v1/me", token: "raw:Bearer" + f.clerkToken, status: 401, frag: "token"},
		// The scheme is case-insensitive: these get past authentication and
		// are refused by the role check.
		{name: "lower-case bearer, a role not allowed", method: "GET", path: "/api/v1/outbox", token: "raw:bearer " + f.clerkToken, status: 403, frag: "clerk"},
		{name: "upper-case BEARER, a role not allowed", method: "GET", path: "/api/v1/outbox", token: "raw:BEARER " + f.clerkToken, status: 403, frag: "clerk"},
		{name: "upper-case BEARER, an unknown token", method: "GET", path: "/api/v1/cases", token: "raw:BEARER " + f.clerkToken + "x", status: 401, frag: "unknown"},
		{name: "mixed-case bearer, a role not allowed", method: "POST", path: actions(f.progress), token: "raw:bEaReR " + f.clerkToken, body: approve, status: 403, frag: "clerk"},

		// --- unknown routes and methods ---
		{name: "unknown route", method: "GET", path: "/api/v1/nope", status: 404, frag: "No API route"},
		{name: "unknown version", method: "GET", path: "/api/v2/matters", status: 404, frag: "No API route"},
		{name: "api root", method: "GET", path: "/api/", status: 404, frag: "No API route"},
		{name: "unknown route under a known one", method: "GET", path: "/api/v1/cases/" + f.progress + "/nope", token: "clerk", status: 404, frag: "No API route"},
		{name: "DELETE an unknown route", method: "DELETE", path: "/api/v1/nope", status: 404, frag: "No API route"},
		// A known path with another method: 405, and Allow names the methods it serves.
		{name: "DELETE matters", method: "DELETE", path: matters, status: 405, allow: "GET", frag: "not allowed"},
		{name: "POST matters", method: "POST", path: matters, body: `{}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "PUT a matter", method: "PUT", path: matters + "/CIV-010", body: `{}`, status: 405, allow: "GET", frag: "use GET"},
		{name: "PUT a case", method: "PUT", path: "/api/v1/cases/" + f.progress, token: "clerk", body: `{}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "DELETE a case", method: "DELETE", path: "/api/v1/cases/" + f.progress, token: "supervisor", status: 405, allow: "GET", frag: "DELETE"},
		{name: "GET intake", method: "GET", path: intake, token: "clerk", status: 405, allow: "POST", frag: "use POST"},
		{name: "GET actions", method: "GET", path: actions(f.progress), token: "clerk", status: 405, allow: "POST", frag: "not allowed"},
		{name: "PATCH me", method: "PATCH", path: "/api/v1/me", token: "clerk", body: `{"role":"admin"}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "OPTIONS track", method: "OPTIONS", path: track, status: 405, allow: "POST", frag: "not allowed"},
		{name: "GET track", method: "GET", path: track + "?number=" + f.progress + "&code=" + f.code, status: 405, allow: "POST", frag: "not allowed"},
		{name: "GET lookup", method: "GET", path: lookup, token: "clerk", status: 405, allow: "POST", frag: "not allowed"},
		{name: "PUT bundle delivery", method: "PUT", path: deliverB(f.bundle), token: "clerk", body: `{}`, status: 405, allow: "POST", frag: "not allowed"},
		{name: "DELETE a licence", method: "DELETE", path: "/api/v1/licences/" + f.licence, token: "admin", status: 405, allow: "GET", frag: "not allowed"},
		{name: "POST the outbox", method: "POST", path: "/api/v1/outbox", token: "admin", body: `{}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "GET resend", method: "GET", path: "/api/v1/outbox/1/resend", token: "admin", status: 405, allow: "POST", frag: "not allowed"},
		{name: "POST the bundles", method: "POST", path: "/api/v1/bundles", body: `{}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "DELETE a bundle", method: "DELETE", path: "/api/v1/bundles/BD-ELDERLY", status: 405, allow: "GET", frag: "not allowed"},
		{name: "POST the document", method: "POST", path: "/api/v1/openapi.json", body: `{}`, status: 405, allow: "GET", frag: "not allowed"},
		{name: "matters with trailing slash", method: "GET", path: matters + "/", status: 404, frag: "No API route"},

		// --- query parameters ---
		{name: "limit -1", method: "GET", path: "/api/v1/cases?limit=-1", token: "clerk", status: 400, frag: "limit"},
		{name: "limit abc", method: "GET", path: "/api/v1/cases?limit=abc", token: "clerk", status: 400, frag: "limit"},
		{name: "limit 0", method: "GET", path: "/api/v1/cases?limit=0", token: "supervisor", status: 400, frag: "limit"},
		{name: "limit 501", method: "GET", path: "/api/v1/cases?limit=501", token: "clerk", status: 400, frag: "limit"},
		{name: "limit 1e3", method: "GET", path: "/api/v1/cases?limit=1e3", token: "clerk", status: 400, frag: "limit"},
		{name: "offset -1", method: "GET", path: "/api/v1/cases?offset=-1", token: "clerk", status: 400, frag: "offset"},
		{name: "offset huge", method: "GET", path: "/api/v1/cases?offset=99999999999999999999", token: "clerk", status: 400, frag: "offset"},
		{name: "offset SQL-ish", method: "GET", path: "/api/v1/cases?offset=" + url.QueryEscape("0; DROP TABLE cases"), token: "clerk", status: 400, frag: "offset"},
		{name: "search longer than 100 bytes", method: "GET", path: matters + "?q=" + url.QueryEscape(strings.Repeat("低保", 20)), status: 400, frag: "q"},
		{name: "search 10000 characters", method: "GET", path: matters + "?q=" + url.QueryEscape(ten[:3000]), status: 400, frag: "q"},
		{name: "matters subject alien", method: "GET", path: matters + "?subject=alien", status: 400, frag: "subject"},
		{name: "matter version 0", method: "GET", path: matters + "/CIV-010?version=0", status: 400, frag: "version"},
		{name: "matter version abc", method: "GET", path: matters + "/CIV-010?version=abc", status: 400, frag: "version"},
		{name: "matter version 1.5", method: "GET", path: matters + "/CIV-010?version=1.5", status: 400, frag: "version"},
		{name: "matter version 99", method: "GET", path: matters + "/CIV-010?version=99", status: 404, frag: "CIV-010"},
		{name: "unknown matter in the path", method: "GET", path: matters + "/" + url.PathEscape(script), status: 404, frag: "<script>"},
		{name: "unknown bundle in the path", method: "GET", path: "/api/v1/bundles/BD-NOPE", status: 404, frag: "BD-NOPE"},
		{name: "outbox status bogus", method: "GET", path: "/api/v1/outbox?status=bogus", token: "admin", status: 400, frag: "status"},
		{name: "outbox status SQL-ish", method: "GET", path: "/api/v1/outbox?status=" + url.QueryEscape("' OR 1=1--"), token: "admin", status: 400, frag: "status"},
		{name: "resend id abc", method: "POST", path: "/api/v1/outbox/abc/resend", token: "admin", status: 400, frag: "id"},
		{name: "resend id 0", method: "POST", path: "/api/v1/outbox/0/resend", token: "admin", status: 400, frag: "id"},
		{name: "resend id overflow", method: "POST", path: "/api/v1/outbox/99999999999999999999/resend", token: "admin", status: 400, frag: "id"},
		{name: "resend unknown id", method: "POST", path: "/api/v1/outbox/424242/resend", token: "admin", status: 404, frag: "424242"},
		{name: "resend a pending message", method: "POST", path: "/api/v1/outbox/1/resend", token: "admin", status: 409, frag: "pending"},
		{name: "unknown case", method: "GET", path: "/api/v1/cases/440604260302999999", token: "clerk", status: 404, frag: "440604260302999999"},
		{name: "case number SQL-ish", method: "GET", path: "/api/v1/cases/" + url.PathEscape("1' OR '1'='1"), token: "supervisor", status: 404, frag: "OR"},
		{name: "unknown licence", method: "GET", path: "/api/v1/licences/dibao_cert-000", token: "clerk", status: 404, frag: "dibao_cert-000"},

		// --- free text: control characters and length in reasons, notes, tracking numbers ---
		// A NUL is refused in the body as a whole (PostgreSQL stores none); the
		// other control characters by the field that holds them.
		{name: "reason with NUL", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "reject", "reason": "不符合\x00条件"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "reason with escape", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "reject", "reason": "\x1b]0;pwned\x07"}), status: 400, field: "reason", frag: "control character"},
		{name: "reason 10000 characters", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "reject", "reason": ten}), status: 400, frag: "at most 2000"},
		{name: "note with NUL", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "approve", "note": "ok\x00"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "note with DEL", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "approve", "note": "ok\x7f"}), status: 400, field: "note", frag: "control character"},
		{name: "note 10000 characters", method: "POST", path: actions(f.progress), token: "officer/street", body: js(map[string]any{"action": "approve", "note": ten}), status: 400, frag: "note"},
		{name: "approver 300 characters", method: "POST", path: actions(f.progress), token: "leader/street", body: js(map[string]any{"action": "extend", "days": 1, "reason": "x", "approver": ten[:900]}), status: 400, frag: "approver"},
		{name: "tracking number with NUL", method: "POST", path: actions(f.posted), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post", "tracking_no": "SF\x00123"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "tracking number with escape", method: "POST", path: actions(f.posted), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post", "tracking_no": "SF\x1b[2J123"}), status: 400, field: "tracking_no", frag: "control character"},
		// A postal tracking number has at most 64 characters.
		{name: "tracking number 10000 characters", method: "POST", path: actions(f.posted), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post", "tracking_no": ten}), status: 400, field: "tracking_no", frag: "at most 64"},
		{name: "tracking number 65 characters", method: "POST", path: actions(f.posted), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post", "tracking_no": "SF" + strings.Repeat("1", 63)}), status: 400, field: "tracking_no", frag: "has 65 characters; at most 64"},
		{name: "tracking number 65 Chinese characters", method: "POST", path: actions(f.posted), token: "clerk", body: js(map[string]any{"action": "deliver", "channel": "post", "tracking_no": ten[:65*3]}), status: 400, field: "tracking_no", frag: "has 65 characters; at most 64"},

		// --- public tracking ---
		{name: "track with the wrong code", method: "POST", path: track, body: js(map[string]any{"number": f.progress, "code": "WRONG234"}), status: 404, frag: "verification code"},
		{name: "track an unknown number", method: "POST", path: track, body: js(map[string]any{"number": "440604260302999999", "code": f.code}), status: 404, sameAs: "track with the wrong code"},
		{name: "track the code of another case", method: "POST", path: track, body: js(map[string]any{"number": f.received, "code": f.code}), status: 404, sameAs: "track with the wrong code"},
		{name: "track without code", method: "POST", path: track, body: js(map[string]any{"number": f.progress}), status: 404, sameAs: "track with the wrong code"},
		{name: "track without number", method: "POST", path: track, body: js(map[string]any{"code": f.code}), status: 404, sameAs: "track with the wrong code"},
		{name: "track SQL-ish number", method: "POST", path: track, body: js(map[string]any{"number": sqlish, "code": "x"}), status: 404, sameAs: "track with the wrong code"},
		{name: "track SQL-ish code", method: "POST", path: track, body: js(map[string]any{"number": f.progress, "code": "' OR '1'='1"}), status: 404, sameAs: "track with the wrong code"},
		{name: "track markup number", method: "POST", path: track, body: js(map[string]any{"number": script, "code": "x"}), status: 404, sameAs: "track with the wrong code"},
		{name: "track 10000-character number", method: "POST", path: track, body: js(map[string]any{"number": ten, "code": "x"}), status: 404, sameAs: "track with the wrong code"},
		{name: "track RTL override number", method: "POST", path: track, body: js(map[string]any{"number": rtl + f.progress, "code": f.code}), status: 404, sameAs: "track with the wrong code"},
		{name: "track code with NUL", method: "POST", path: track, body: js(map[string]any{"number": f.progress, "code": "\x00"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "track number with NUL", method: "POST", path: track, body: js(map[string]any{"number": "440604\x00", "code": "AAAAAAAA"}), status: 400, field: "body", frag: "NUL control character"},
		{name: "track 41-character number", method: "POST", path: track, body: js(map[string]any{"number": strings.Repeat("4", 41), "code": "AAAAAAAA"}), status: 404, sameAs: "track with the wrong code"},
		{name: "track brute force from one address", method: "POST", path: track, body: js(map[string]any{"number": "440604260302888888", "code": "AAAAAAAA"}), repeat: 10, status: 429, frag: "this address"},
		{name: "track brute force on one number from many addresses", method: "POST", path: track, body: js(map[string]any{"number": "440604260302777777", "code": "AAAAAAAA"}), repeat: 10, spread: true, status: 429, frag: "this case number"},
		// The number is trimmed before it is counted, as before it is looked up:
		// " N", "N\t" and "N" share one budget.
		{name: "track brute force on one number, spaced variant", method: "POST", path: track, body: js(map[string]any{"number": " 440604260302666666", "code": "AAAAAAAA"}),
			before: js(map[string]any{"number": "440604260302666666", "code": "AAAAAAAA"}), repeat: 10, spread: true, status: 429, frag: "this case number"},
		{name: "track brute force on one number, spaced tries", method: "POST", path: track, body: js(map[string]any{"number": "440604260302555555", "code": "AAAAAAAA"}),
			before: js(map[string]any{"number": "\t440604260302555555\u3000\n", "code": "AAAAAAAA"}), repeat: 10, spread: true, status: 429, frag: "this case number"},
		// Numbers longer than any case number count against the address…
		{name: "track brute force with overlong numbers from one address", method: "POST", path: track, body: js(map[string]any{"number": f.progress, "code": f.code}),
			before: js(map[string]any{"number": strings.Repeat("7", 41), "code": "AAAAAAAA"}), repeat: 10, status: 429, frag: "this address"},
		// …but are kept out of the per-number count, which they would only bloat.
		{name: "track one overlong number from many addresses", method: "POST", path: track, body: js(map[string]any{"number": strings.Repeat("6", 41), "code": "AAAAAAAA"}),
			repeat: 10, spread: true, status: 404, sameAs: "track with the wrong code"},

		// --- paths and query values: valid UTF-8 without control characters ---
		{name: "case number with NUL", method: "GET", path: "/api/v1/cases/%00", token: "clerk", status: 400, field: "path", frag: "control characters"},
		{name: "case number with invalid UTF-8", method: "GET", path: "/api/v1/cases/%FF%FE", token: "clerk", status: 400, field: "path", frag: "invalid UTF-8"},
		{name: "case number with C1 control", method: "GET", path: "/api/v1/cases/4406%C2%8504", token: "supervisor", status: 400, field: "path"},
		{name: "action on a case number with NUL", method: "POST", path: actions("%00"), token: "officer/street", body: approve, status: 400, field: "path"},
		{name: "action on a case number with a newline", method: "POST", path: actions(f.progress + "%0A"), token: "officer/street", body: approve, status: 400, field: "path"},
		{name: "licence number with NUL", method: "GET", path: "/api/v1/licences/%00", token: "clerk", status: 400, field: "path"},
		{name: "licence number with DEL", method: "GET", path: "/api/v1/licences/" + f.licence + "%7F", token: "clerk", status: 400, field: "path"},
		{name: "bundle number with NUL", method: "POST", path: deliverB("BD%00"), token: "clerk", body: `{}`, status: 400, field: "path"},
		{name: "matter code with invalid UTF-8", method: "GET", path: matters + "/CIV-010%C3%28", status: 400, field: "path"},
		{name: "resend id with NUL", method: "POST", path: "/api/v1/outbox/1%00/resend", token: "admin", status: 400, field: "path"},
		{name: "unknown route with NUL", method: "GET", path: "/api/v1/nope%00", status: 400, field: "path"},
		{name: "query value with NUL", method: "GET", path: "/api/v1/cases?matter=%00", token: "clerk", status: 400, field: "matter", frag: "control characters"},
		{name: "query value with invalid UTF-8", method: "GET", path: matters + "?q=%FF", status: 400, field: "q", frag: "invalid UTF-8"},
		{name: "query value with a newline", method: "GET", path: matters + "?department=civil%0A", status: 400, field: "department"},
		{name: "query value with escape", method: "GET", path: "/api/v1/cases?department=%1B%5B31m", token: "supervisor", status: 400, field: "department"},
		{name: "query value of 201 bytes", method: "GET", path: matters + "?department=" + strings.Repeat("d", 201), status: 400, field: "department", frag: "200 bytes"},
		{name: "query value of 201 bytes on a staff route", method: "GET", path: "/api/v1/cases?matter=" + strings.Repeat("M", 201), token: "clerk", status: 400, field: "matter", frag: "200 bytes"},
		{name: "second value of a query parameter with NUL", method: "GET", path: "/api/v1/cases?status=received&status=%00", token: "clerk", status: 400, field: "status"},
		{name: "query name with NUL", method: "GET", path: matters + "?%00=1", status: 400, field: "query"},
		{name: "query name with invalid UTF-8", method: "GET", path: "/api/v1/me?%FF%FE=1", token: "clerk", status: 400, field: "query"},
		{name: "cases status bogus", method: "GET", path: "/api/v1/cases?status=bogus", token: "clerk", status: 400, field: "status", frag: "bogus"},
		{name: "cases status in capitals", method: "GET", path: "/api/v1/cases?status=RECEIVED", token: "supervisor", status: 400, field: "status"},
		{name: "cases status SQL-ish", method: "GET", path: "/api/v1/cases?open=false&status=" + url.QueryEscape("received') OR ('1'='1"), token: "supervisor", status: 400, field: "status"},
		{name: "cases second status bogus", method: "GET", path: "/api/v1/cases?status=received&status=open", token: "clerk", status: 400, field: "status", frag: "open"},
	}
	return rows
}

// errorCodeOf is the error code each status carries.
var errorCodeOf = map[int]string{400: onedoor.EINVALID, 401: onedoor.EUNAUTHORIZED, 403: onedoor.EFORBIDDEN, 404: onedoor.ENOTFOUND,
	405: onedoor.EMETHOD, 409: onedoor.ECONFLICT, 413: onedoor.ETOOLARGE, 429: onedoor.ETOOMANY}

// goTypeName matches what a Go type looks like in a message (int64,
// []string, struct, onedoor.Status…); errors speak JSON to the client.
var goTypeName = regexp.MustCompile(`\b(u?int(8|16|32|64)?|float(32|64)|struct|interface|map\[)\b|\[\]\w|\bonedoor\.|\bhttp\.`)

// TestBadRequests sends the corpus of bad requests to the real server. For
// every row: the status is the expected 4xx (never 5xx), the body is the
// JSON error shape and nothing else, the message or field names the
// problem, the response matches openapi.json where the route is
// documented, and the database is exactly as it was (every row of cases,
// events, persons, orgs, licences, outbox, staff, chain_head, counters and
// checkpoints).
//
// A 405 carries an Allow header naming exactly the methods of the path
// (and no other status carries one), and its error matches the 405
// documented for that path. No message names a Go type.
//
// Each row comes from its own client address, so that the tracking
// throttle, which counts failures per address, only sees the rows meant for
// it.
func TestBadRequests(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		f := newCorpusFixture(t, e)
		check := newSpecCheck(t, e)
		rows := badRows(f)
		if len(rows) < 120 {
			t.Fatalf("the corpus has %d rows; it needs at least 120", len(rows))
		}
		names := map[string]bool{}
		messages := map[string]string{}
		next := 0
		address := func() string {
			next++
			return fmt.Sprintf("127.%d.%d.%d", 10+next/62500, (next/250)%250, next%250+1)
		}
		for _, row := range rows {
			if names[row.name] {
				t.Fatalf("two rows are named %q", row.name)
			}
			names[row.name] = true
			if row.status < 400 || row.status > 499 {
				t.Fatalf("row %q expects %d; the corpus is of 4xx only", row.name, row.status)
			}
			if (row.status == http.StatusMethodNotAllowed) != (row.allow != "") {
				t.Fatalf("row %q: a 405 row names the Allow header it wants, and only a 405 row", row.name)
			}
			t.Run(row.name, func(t *testing.T) {
				rq := request{Method: row.method, Path: row.path, Token: row.token, Header: row.header, Address: address()}
				if row.body != "" {
					rq.Body = []byte(row.body)
				}
				before := takeSnapshot(t, e.db)
				pre := rq
				if row.before != "" {
					pre.Body = []byte(row.before)
				}
				for i := range row.repeat {
					if row.spread {
						pre.Address = address()
					}
					if r := e.do(t, pre); r.Status != http.StatusNotFound {
						t.Fatalf("attempt %d before the throttle: %s; want 404", i+1, r)
					}
				}
				if row.spread {
					rq.Address = address()
				}
				r := e.do(t, rq)
				fail := t.Errorf
				if after := takeSnapshot(t, e.db); !equalSnapshots(before, after) {
					fail("the database changed: %s", before.diff(after))
				}
				if r.Status != row.status {
					fail("status: %s; want %d", r, row.status)
					return
				}
				if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					fail("Content-Type %q; want JSON", ct)
				}
				if r.Header.Get("X-Content-Type-Options") != "nosniff" {
					fail("X-Content-Type-Options is missing")
				}
				var ae apiError
				dec := json.NewDecoder(bytes.NewReader(r.Body))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&ae); err != nil || ae.Error == nil || ae.Error.Message == "" || dec.More() {
					fail("body is not the error shape (%v): %s", err, r)
					return
				}
				field := ""
				if ae.Error.Field != nil {
					field = *ae.Error.Field
				}
				if want := errorCodeOf[r.Status]; ae.Error.Code != want {
					fail("error code %q with status %d; want %q", ae.Error.Code, r.Status, want)
				}
				if row.frag != "" && !strings.Contains(ae.Error.Message+" "+field, row.frag) {
					fail("error %q (field %q) does not mention %q", ae.Error.Message, field, row.frag)
				}
				if row.field != "" && field != row.field {
					fail("error %q is about field %q; want %q", ae.Error.Message, field, row.field)
				}
				if m := goTypeName.FindString(ae.Error.Message); m != "" {
					fail("error %q names the Go type %q", ae.Error.Message, m)
				}
				if allow := r.Header.Values("Allow"); strings.Join(allow, ", ") != row.allow {
					fail("Allow %q; want %q", allow, row.allow)
				}
				if row.sameAs != "" {
					want, ok := messages[row.sameAs]
					if !ok {
						t.Fatalf("sameAs %q: no such earlier row", row.sameAs)
					}
					if ae.Error.Message != want {
						fail("message %q differs from that of %q: %q", ae.Error.Message, row.sameAs, want)
					}
				}
				messages[row.name] = ae.Error.Message
				switch r.Status {
				case 401:
					if r.Header.Get("WWW-Authenticate") == "" {
						fail("401 without WWW-Authenticate")
					}
				case 429:
					if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
						fail("429 with Retry-After %q; want 1 to 60 seconds", r.Header.Get("Retry-After"))
					}
				}
				// Where the server routed the request to a documented
				// operation (not to the catch-all), the error is documented too.
				if strings.HasPrefix(ae.Error.Message, "No API route") {
					return
				}
				if r.Status == http.StatusMethodNotAllowed {
					// The 405 is documented on the operations of the path;
					// check it against the one of the first method allowed.
					rq.Method, _, _ = strings.Cut(row.allow, ",")
				}
				in, _ := check.validateRequest(t, rq)
				if in == nil && r.Status == http.StatusMethodNotAllowed {
					fail("no operation of openapi.json serves %s %s, yet the server allows it", rq.Method, rq.Path)
				}
				if in != nil {
					if err := validateResponse(in, r); err != nil {
						fail("response does not match openapi.json: %v", err)
					}
				}
			})
		}
		t.Logf("%d bad requests", len(rows))
	})
}

func equalSnapshots(a, b snapshot) bool {
	for k, v := range a.Digest {
		if b.Digest[k] != v {
			return false
		}
	}
	return len(a.Digest) == len(b.Digest)
}
