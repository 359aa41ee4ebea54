package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"onedoor"
	"onedoor/sqldb"
	"onedoor/supervise"
)

// supervisionPaths are the operations TestSupervisionMatchOpenAPI calls
// with success; TestResponsesMatchOpenAPI leaves them to it.
var supervisionPaths = []string{
	"/api/v1/supervision/load", "/api/v1/supervision/summary",
	"/api/v1/cards", "/api/v1/cards/{id}", "/api/v1/cards/{id}/explain", "/api/v1/cards/{id}/close",
	"/api/v1/rectifications", "/api/v1/rectifications/{id}/callback", "/api/v1/rectifications/{id}/close",
	"/api/v1/complaints", "/api/v1/complaints/{id}/resolve",
	"/api/v1/scorecards",
}

// reset zeroes *v and returns v, so that decoding an answer into it keeps
// nothing of the last one.
func reset[T any](v *T) *T {
	var zero T
	*v = zero
	return v
}

// supervisionFixture is a district a few hours into a day of supervision:
// a refusal without a real reason (a yellow card for the street office),
// an unlisted fee (a red card for civil affairs), two bad ratings (a
// rectification each for the street office and civil affairs) and a good
// one, and two complaints from one resident (about a street case, and
// about a civil-affairs matter).
type supervisionFixture struct {
	yellow, red          *sqldb.Card
	streetRect, civilRec *sqldb.Rectification
	streetComp, civilCmp *sqldb.Complaint
	person               int64  // who complained
	rated                string // the case rated badly for the street office
	ratedCode            string
	personName           string
}

func newSupervisionFixture(t *testing.T, e *apiEnv) supervisionFixture {
	t.Helper()
	ctx := context.Background()
	var f supervisionFixture

	// A refusal with a two-character reason: a yellow card for the street office.
	f.personName = "张桂兰"
	elderID := idNumber("440604", "19560101", 41)
	rc := e.intakeFixture(t, map[string]any{"matter": "STREET-003", "applicant": naturalApplicant(f.personName, elderID), "materials": []string{"application"}})
	refused := rc.Cases[0].Number
	e.mustCall(t, act(refused, "officer/street", map[string]any{"action": "reject", "reason": "不符"}), 200)
	cards, err := e.db.Supervise(ctx, supervise.Default())
	if err != nil || len(cards) != 1 || cards[0].Level != supervise.Yellow || cards[0].Department != "street" || cards[0].OfficerName != "街道经办" {
		t.Fatalf("supervision after a refusal without a reason: %+v %v; want a yellow card for the street officer", cards, err)
	}
	f.yellow = cards[0]

	// A fee the catalog does not list: a red card for civil affairs, whose matter it is.
	rc = e.intakeFixture(t, map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("黄志强", idNumber("440604", "19520601", 20)),
		"materials": []string{"application", "income_declaration", "hukou_book", "authorisation"}})
	if f.red, err = e.db.IssueFeeCard(ctx, supervise.Default(), rc.Cases[0].Number, "copying", 500, onedoor.Actor{}); err != nil || f.red == nil || f.red.Department != "civil" || f.red.Level != supervise.Red {
		t.Fatalf("an unlisted fee: %+v %v; want a red card for civil affairs", f.red, err)
	}

	// Delivered cases, rated: badly for the street office (with indicators)
	// and civil affairs (without), well for the street office again.
	deliver := func(matter, name, id string, materials []string, officer string) receipt {
		rc := e.intakeFixture(t, map[string]any{"matter": matter, "applicant": naturalApplicant(name, id), "materials": materials})
		e.mustCall(t, act(rc.Cases[0].Number, officer, map[string]any{"action": "approve"}), 200)
		e.mustCall(t, act(rc.Cases[0].Number, officer, map[string]any{"action": "complete"}), 200)
		e.mustCall(t, act(rc.Cases[0].Number, "clerk", map[string]any{"action": "deliver"}), 200)
		return rc
	}
	rate := func(rc receipt, score int, indicators []string, comment string) *sqldb.Rectification {
		_, rect, err := e.db.Rate(ctx, sqldb.RatingInput{CaseNumber: rc.Cases[0].Number, Code: rc.Code, Score: score, Indicators: indicators, Comment: comment})
		if err != nil || (rect != nil) != (score <= 2) {
			t.Fatalf("rating %s %d: rectification %+v, %v", rc.Cases[0].Number, score, rect, err)
		}
		return rect
	}
	rc = deliver("STREET-006", "刘洋", idNumber("440604", "19800101", 5), nil, "officer/street")
	f.rated, f.ratedCode = rc.Cases[0].Number, rc.Code
	f.streetRect = rate(rc, 1, []string{"time", "attitude"}, "窗口让我跑了三趟")
	rate(deliver("STREET-006", "周敏", idNumber("440604", "19810202", 6), nil, "officer/street"), 5, nil, "")
	f.civilRec = rate(deliver("CIV-015", "吴婆婆", idNumber("440604", "19450505", 8), []string{"photo"}, "officer/civil"), 2, nil, "")

	// Two complaints from the resident refused without a reason.
	p, err := e.db.FindPersonByIDNumber(ctx, elderID)
	if err != nil {
		t.Fatal(err)
	}
	f.person = p.ID
	if f.streetComp, err = e.db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID, CaseNumber: refused, Body: "理由只有两个字"}); err != nil || f.streetComp.Department != "street" {
		t.Fatalf("a complaint about the refused case: %+v %v", f.streetComp, err)
	}
	if f.civilCmp, err = e.db.FileComplaint(ctx, sqldb.ComplaintInput{PersonID: p.ID, Matter: "CIV-010", Body: "低保申请材料太多"}); err != nil || f.civilCmp.Department != "civil" {
		t.Fatalf("a complaint about a matter: %+v %v", f.civilCmp, err)
	}
	return f
}

// TestSupervisionMatchOpenAPI drives 电子监察, 好差评 and complaints through
// the staff API, validating every request and response against
// openapi.json: supervisors list and filter every department's cards,
// officers and leaders their own department's only; a card with its
// hash-chained log; explained by its department and closed by a
// supervisor, each once; the supervisor's summary and the case load;
// rectifications called back and closed; complaints resolved, reopened by
// the resident and resolved again; the scorecards. Every refusal on the
// way — unknown fields, wrong types, empty, over-long or control-character
// text, unknown filters, illegal transitions, another department's record,
// roles the pages refuse — is a 4xx naming the field, and changes no row.
func TestSupervisionMatchOpenAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		ctx := context.Background()
		f := newSupervisionFixture(t, e)
		c := newSpecCheck(t, e)
		type obj = map[string]any
		id := func(prefix string, n int64, suffix string) string { return prefix + strconv.FormatInt(n, 10) + suffix }

		// refused: a request answered with status, about field (exactly),
		// that changes nothing; spec says whether openapi.json itself
		// refuses the request too.
		refused := func(rq request, status int, code, field string, spec bool) *apiError {
			t.Helper()
			before := takeSnapshot(t, e.db)
			var ae *apiError
			if spec {
				ae = c.refusedCall(rq, status, code, "")
			} else {
				ae = c.errCall(rq, status, code, "")
			}
			if fieldOf(ae) != field {
				t.Errorf("%s %s: error %q is about %q; want %q", rq.Method, rq.Path, ae.Error.Message, fieldOf(ae), field)
			}
			if d := before.diff(takeSnapshot(t, e.db)); d != "" {
				t.Errorf("%s %s was refused with %d, yet it changed %s", rq.Method, rq.Path, status, d)
			}
			return ae
		}

		// Cards: supervisors see every department's; officers and leaders their own.
		var cl struct{ Cards []sqldb.Card }
		listCards := func(q, who string) []sqldb.Card {
			t.Helper()
			c.call(get("/api/v1/cards"+q, who), 200).decodeInto(t, reset(&cl))
			return cl.Cards
		}
		ids := func(cs []sqldb.Card) []int64 {
			var out []int64
			for _, x := range cs {
				out = append(out, x.ID)
			}
			return out
		}
		if got := ids(listCards("", "supervisor")); !slices.Equal(got, []int64{f.red.ID, f.yellow.ID}) {
			t.Fatalf("the supervisor's cards: %v; want the red card %d, then the yellow %d", got, f.red.ID, f.yellow.ID)
		}
		if cs := listCards("", "officer/street"); len(cs) != 1 || cs[0].ID != f.yellow.ID || cs[0].Detail.Zh == "" || cs[0].OfficerName != "街道经办" {
			t.Fatalf("the street officer's cards: %+v; want the yellow card only", cs)
		}
		if got := ids(listCards("?department=civil", "leader/civil")); !slices.Equal(got, []int64{f.red.ID}) {
			t.Fatalf("the civil leader's cards: %v; want the red card only", got)
		}
		q := fmt.Sprintf("?department=street&status=issued&level=yellow&case=%s&officer=%d&limit=5", f.yellow.CaseNumber, f.yellow.OfficerID)
		if got := ids(listCards(q, "supervisor")); !slices.Equal(got, []int64{f.yellow.ID}) {
			t.Fatalf("cards%s: %v", q, got)
		}
		if got := ids(listCards("?status=open&limit=1", "supervisor")); !slices.Equal(got, []int64{f.red.ID}) {
			t.Fatalf("the newest open card: %v", got)
		}
		if r := c.call(get("/api/v1/cards?status=closed", "supervisor"), 200); !strings.Contains(string(r.Body), `"cards": []`) {
			t.Fatalf("no card closed yet: %s; want []", r)
		}
		c.errCall(get("/api/v1/cards?department=civil", "officer/street"), 403, "forbidden", "street")
		refused(get("/api/v1/cards?department=nowhere", "supervisor"), 400, "invalid", "department", false)
		refused(get("/api/v1/cards?status=pending", "supervisor"), 400, "invalid", "status", true)
		refused(get("/api/v1/cards?level=orange", "supervisor"), 400, "invalid", "level", true)
		refused(get("/api/v1/cards?officer=someone", "supervisor"), 400, "invalid", "officer", true)
		refused(get("/api/v1/cards?limit=1001", "officer/street"), 400, "invalid", "limit", true)
		for _, who := range []string{"clerk", "analyst", "admin"} {
			c.errCall(get("/api/v1/cards", who), 403, "forbidden", who)
		}
		c.refusedCall(get("/api/v1/cards", ""), 401, "unauthorized", "token")

		// One card with its log; another department's does not exist.
		var cd struct {
			Card sqldb.Card
			Log  []sqldb.LogEntry
		}
		c.call(get(id("/api/v1/cards/", f.yellow.ID, ""), "leader/street"), 200).decodeInto(t, reset(&cd))
		if cd.Card.ID != f.yellow.ID || len(cd.Log) != 1 || cd.Log[0].Action != "issued" || cd.Log[0].Actor != "system" {
			t.Fatalf("the yellow card: %+v; want it with its issue logged", cd)
		}
		notFound := c.errCall(get(id("/api/v1/cards/", f.yellow.ID, ""), "officer/civil"), 404, "not_found", strconv.FormatInt(f.yellow.ID, 10))
		if none := c.errCall(get("/api/v1/cards/999999", "supervisor"), 404, "not_found", "999999"); strings.ReplaceAll(none.Error.Message, "999999", strconv.FormatInt(f.yellow.ID, 10)) != notFound.Error.Message {
			t.Errorf("another department's card (%q) and a card that does not exist (%q) answer differently", notFound.Error.Message, none.Error.Message)
		}
		refused(get("/api/v1/cards/first", "supervisor"), 400, "invalid", "id", true)
		refused(get("/api/v1/cards/0", "supervisor"), 400, "invalid", "id", true)

		// Explanations: by the card's department, once, in clean text.
		explain := func(n int64, who string, body any) request {
			return post(id("/api/v1/cards/", n, "/explain"), who, body)
		}
		yellow := f.yellow.ID
		refused(explain(yellow, "officer/civil", obj{"explanation": "不是我们"}), 404, "not_found", "", false)
		refused(explain(yellow, "supervisor", obj{"explanation": "代为说明"}), 403, "forbidden", "", false)
		refused(explain(yellow, "officer/street", obj{}), 400, "invalid", "explanation", true)
		refused(explain(yellow, "officer/street", obj{"explanation": " \t\n "}), 400, "invalid", "explanation", false)
		refused(explain(yellow, "officer/street", obj{"explanation": "理由\u0007不足"}), 400, "invalid", "explanation", false)
		refused(explain(yellow, "officer/street", obj{"explanation": strings.Repeat("长", onedoor.MaxText+1)}), 400, "invalid", "explanation", true)
		refused(explain(yellow, "officer/street", obj{"explanation": 7}), 400, "invalid", "explanation", true)
		refused(explain(yellow, "officer/street", obj{"explanation": "情况说明", "colour": "red"}), 400, "invalid", "colour", true)
		refused(request{Method: "POST", Path: id("/api/v1/cards/", yellow, "/explain"), Token: "officer/street"}, 400, "invalid", "body", true)
		refused(explain(0, "officer/street", obj{"explanation": "情况说明"}), 400, "invalid", "id", true)
		refused(explain(999999, "officer/street", obj{"explanation": "情况说明"}), 404, "not_found", "", false)
		var card sqldb.Card
		c.call(explain(yellow, "officer/street", obj{"explanation": "  申请人未满六十周岁，不符合条件\n已当面告知  "}), 200).decodeInto(t, reset(&card))
		if card.Status != sqldb.CardExplained || card.Explanation != "申请人未满六十周岁，不符合条件\n已当面告知" || card.ExplainedBy != "街道经办" || card.ExplainedAt == nil {
			t.Fatalf("the card explained: %+v", card)
		}
		refused(explain(yellow, "leader/street", obj{"explanation": "再说明一次"}), 409, "conflict", "", false)

		// Closing: by a supervisor, once the department has explained.
		closeCard := func(n int64, who string, body any) request { return post(id("/api/v1/cards/", n, "/close"), who, body) }
		refused(closeCard(f.red.ID, "supervisor", obj{"closing_note": "核销"}), 409, "conflict", "", false)
		refused(closeCard(yellow, "officer/street", obj{"closing_note": "自行核销"}), 403, "forbidden", "", false)
		refused(closeCard(yellow, "supervisor", obj{"closing_note": ""}), 400, "invalid", "closing_note", true)
		refused(closeCard(yellow, "supervisor", obj{"note": "情况属实"}), 400, "invalid", "note", true)
		refused(closeCard(yellow, "supervisor", obj{"closing_note": []string{"情况属实"}}), 400, "invalid", "closing_note", true)
		c.call(closeCard(yellow, "supervisor", obj{"closing_note": "情况属实，已督促"}), 200).decodeInto(t, reset(&card))
		if card.Status != sqldb.CardClosed || card.ClosingNote != "情况属实，已督促" || card.ClosedBy != "电子监察" || card.ClosedAt == nil {
			t.Fatalf("the card closed: %+v", card)
		}
		refused(closeCard(yellow, "supervisor", obj{"closing_note": "再核销一次"}), 409, "conflict", "", false)
		refused(explain(yellow, "officer/street", obj{"explanation": "补充说明"}), 409, "conflict", "", false)
		c.call(get(id("/api/v1/cards/", yellow, ""), "supervisor"), 200).decodeInto(t, reset(&cd))
		var actions []string
		for i, l := range cd.Log {
			actions = append(actions, l.Action)
			var body map[string]any
			if err := json.Unmarshal([]byte(l.Body), &body); err != nil || body["card"] != float64(yellow) || l.Kind != "card" || l.RefID != yellow || (i > 0 && l.Seq <= cd.Log[i-1].Seq) {
				t.Errorf("log entry %+v (%v)", l, err)
			}
		}
		if !slices.Equal(actions, []string{"issued", "explained", "closed"}) || !strings.HasPrefix(cd.Log[2].Actor, "supervisor:") {
			t.Fatalf("the closed card's log: %+v", cd.Log)
		}
		if err := e.db.VerifySupervisionLog(ctx); err != nil {
			t.Fatalf("the supervision log after the API's changes: %v", err)
		}
		if got := ids(listCards("?status=open", "supervisor")); !slices.Equal(got, []int64{f.red.ID}) {
			t.Fatalf("open cards after closing the yellow one: %v", got)
		}

		// The supervisor's summary: tallies, trend, performance.
		var sum struct {
			ByDepartment []struct {
				Department                 string
				Warning, Yellow, Red, Open int
				Total                      int
			} `json:"by_department"`
			ByOfficer []struct {
				Department  string
				OfficerName string `json:"officer_name"`
			} `json:"by_officer"`
			Trend       []sqldb.TrendWeek
			Performance struct {
				ByDepartment []sqldb.Performance `json:"by_department"`
				ByMatter     []sqldb.Performance `json:"by_matter"`
			}
		}
		c.call(get("/api/v1/supervision/summary", "supervisor"), 200).decodeInto(t, reset(&sum))
		if len(sum.ByDepartment) != 2 || sum.ByDepartment[0].Department != "civil" || sum.ByDepartment[0].Red != 1 || sum.ByDepartment[0].Open != 1 ||
			sum.ByDepartment[1].Department != "street" || sum.ByDepartment[1].Yellow != 1 || sum.ByDepartment[1].Open != 0 || sum.ByDepartment[1].Total != 1 {
			t.Fatalf("cards by department: %+v; want civil's open red card first, then street's closed yellow one", sum.ByDepartment)
		}
		if last := sum.Trend[len(sum.Trend)-1]; len(sum.Trend) != 8 || last.Start != "2026-03-02" || last.Yellow != 1 || last.Red != 1 {
			t.Fatalf("the trend: %+v; want 8 weeks, this one with a yellow and a red card", sum.Trend)
		}
		if len(sum.Performance.ByDepartment) != 2 || len(sum.Performance.ByMatter) != 2 || sum.Performance.ByMatter[0].Key != "STREET-006" || sum.Performance.ByMatter[0].Finished != 2 {
			t.Fatalf("performance: %+v; want the three cases delivered today, two of STREET-006", sum.Performance)
		}
		c.call(get("/api/v1/supervision/summary?department=street&weeks=2&days=1", "supervisor"), 200).decodeInto(t, reset(&sum))
		if len(sum.ByOfficer) != 1 || sum.ByOfficer[0].OfficerName != "街道经办" || len(sum.Trend) != 2 {
			t.Fatalf("the street office's summary over two weeks: %+v", sum)
		}
		refused(get("/api/v1/supervision/summary?weeks=0", "supervisor"), 400, "invalid", "weeks", true)
		refused(get("/api/v1/supervision/summary?days=many", "supervisor"), 400, "invalid", "days", true)
		refused(get("/api/v1/supervision/summary?department=nowhere", "supervisor"), 400, "invalid", "department", false)
		for _, who := range []string{"officer/street", "leader/civil", "analyst"} {
			c.errCall(get("/api/v1/supervision/summary", who), 403, "forbidden", "")
		}

		// The case load: counts only, for analysts and supervisors.
		var load struct {
			Today       string
			Departments []struct {
				Department string
				Open       int
			}
			Total struct{ Open int }
		}
		c.call(get("/api/v1/supervision/load", "analyst"), 200).decodeInto(t, reset(&load))
		if load.Today != "2026-03-02" || len(load.Departments) != 1 || load.Departments[0].Department != "street" || load.Departments[0].Open != 1 || load.Total.Open != 1 {
			t.Fatalf("the case load: %+v; want the CIV-010 case open at the street office", load)
		}
		c.call(get("/api/v1/supervision/load", "supervisor"), 200)
		c.errCall(get("/api/v1/supervision/load", "leader/street"), 403, "forbidden", "leader")

		// Rectifications: the department's own, without the resident or the case.
		type rectList struct{ Rectifications []sqldb.Rectification }
		var rl rectList
		r := c.call(get("/api/v1/rectifications", "officer/street"), 200)
		r.decodeInto(t, reset(&rl))
		if len(rl.Rectifications) != 1 || rl.Rectifications[0].ID != f.streetRect.ID || rl.Rectifications[0].Score != 1 ||
			!slices.Equal(rl.Rectifications[0].Indicators, []string{"time", "attitude"}) || rl.Rectifications[0].Comment != "窗口让我跑了三趟" || !rl.Rectifications[0].OnTime {
			t.Fatalf("the street office's rectifications: %s", r)
		}
		for _, secret := range []string{f.rated, f.ratedCode, "刘洋"} {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the rectifications show %q", secret)
			}
		}
		if r := c.call(get("/api/v1/rectifications", "leader/civil"), 200); !strings.Contains(string(r.Body), `"indicators": []`) {
			t.Fatalf("the civil rectification, rated without indicators: %s; want indicators []", r)
		}
		c.call(get("/api/v1/rectifications?status=closed", "officer/street"), 200).decodeInto(t, reset(&rl))
		if len(rl.Rectifications) != 0 {
			t.Fatalf("closed rectifications: %+v; want none yet", rl)
		}
		refused(get("/api/v1/rectifications?status=done", "officer/street"), 400, "invalid", "status", true)
		for _, who := range []string{"supervisor", "analyst", "clerk"} {
			c.errCall(get("/api/v1/rectifications", who), 403, "forbidden", who)
		}
		rect := f.streetRect.ID
		callback := func(n int64, who string, body any) request {
			return post(id("/api/v1/rectifications/", n, "/callback"), who, body)
		}
		closeRect := func(n int64, who string, body any) request {
			return post(id("/api/v1/rectifications/", n, "/close"), who, body)
		}
		refused(closeRect(rect, "officer/street", obj{"action": "已约谈窗口人员"}), 400, "invalid", "callback", false)
		refused(callback(rect, "officer/civil", obj{"callback": "回访"}), 404, "not_found", "", false)
		refused(callback(rect, "supervisor", obj{"callback": "回访"}), 403, "forbidden", "", false)
		refused(callback(rect, "officer/street", obj{"callback": "回访\u0000"}), 400, "invalid", "body", false)
		refused(callback(rect, "officer/street", obj{"callback": "回访\u001b[31m"}), 400, "invalid", "callback", false)
		refused(callback(rect, "officer/street", obj{"callback": true}), 400, "invalid", "callback", true)
		refused(callback(rect, "officer/street", obj{"text": "回访"}), 400, "invalid", "text", true)
		refused(callback(999999, "officer/street", obj{"callback": "回访"}), 404, "not_found", "", false)
		refused(request{Method: "POST", Path: id("/api/v1/rectifications/", rect, "/callback"), Token: "officer/street", Body: []byte(`{"callback":"回访"}`),
			Header: map[string]string{"Content-Type": "text/plain"}}, 400, "invalid", "Content-Type", true)
		var x sqldb.Rectification
		c.call(callback(rect, "officer/street", obj{"callback": "经中心转接回访，群众表示认可"}), 200).decodeInto(t, reset(&x))
		if x.Callback != "经中心转接回访，群众表示认可" || x.CallbackBy != "街道经办" || x.Status != sqldb.RectificationOpen {
			t.Fatalf("after the call-back: %+v", x)
		}
		refused(closeRect(rect, "leader/street", obj{"action": "   "}), 400, "invalid", "action", false)
		refused(closeRect(rect, "leader/civil", obj{"action": "已整改"}), 404, "not_found", "", false)
		c.call(closeRect(rect, "leader/street", obj{"action": "已约谈窗口人员，一次告知全部材料"}), 200).decodeInto(t, reset(&x))
		if x.Status != sqldb.RectificationClosed || x.Action != "已约谈窗口人员，一次告知全部材料" || x.ClosedBy != "街道领导" || !x.OnTime {
			t.Fatalf("the rectification closed: %+v", x)
		}
		refused(closeRect(rect, "leader/street", obj{"action": "再关一次"}), 409, "conflict", "", false)
		refused(callback(rect, "officer/street", obj{"callback": "再回访"}), 409, "conflict", "", false)
		c.call(get("/api/v1/rectifications?status=closed", "officer/street"), 200).decodeInto(t, reset(&rl))
		if len(rl.Rectifications) != 1 || rl.Rectifications[0].ID != rect {
			t.Fatalf("closed rectifications: %+v", rl)
		}

		// Complaints: the department's own, without who complained.
		type compList struct{ Complaints []sqldb.Complaint }
		var ml compList
		r = c.call(get("/api/v1/complaints", "officer/street"), 200)
		r.decodeInto(t, reset(&ml))
		if len(ml.Complaints) != 1 || ml.Complaints[0].ID != f.streetComp.ID || ml.Complaints[0].CaseNumber == "" || ml.Complaints[0].Status != sqldb.ComplaintOpen || strings.Contains(string(r.Body), f.personName) {
			t.Fatalf("the street office's complaints: %s", r)
		}
		c.call(get("/api/v1/complaints?status=open", "leader/civil"), 200).decodeInto(t, reset(&ml))
		if len(ml.Complaints) != 1 || ml.Complaints[0].ID != f.civilCmp.ID || ml.Complaints[0].CaseNumber != "" || ml.Complaints[0].Matter != "CIV-010" {
			t.Fatalf("civil affairs' complaints: %+v", ml)
		}
		refused(get("/api/v1/complaints?status=reopened", "officer/street"), 400, "invalid", "status", true)
		for _, who := range []string{"supervisor", "analyst", "clerk", "admin"} {
			c.errCall(get("/api/v1/complaints", who), 403, "forbidden", who)
		}
		comp := f.streetComp.ID
		resolve := func(n int64, who string, body any) request {
			return post(id("/api/v1/complaints/", n, "/resolve"), who, body)
		}
		refused(resolve(comp, "officer/civil", obj{"resolution": "不归我们管"}), 404, "not_found", "", false)
		refused(resolve(comp, "supervisor", obj{"resolution": "已督办"}), 403, "forbidden", "", false)
		refused(resolve(comp, "officer/street", obj{}), 400, "invalid", "resolution", true)
		refused(resolve(comp, "officer/street", obj{"resolution": strings.Repeat("答", onedoor.MaxText+1)}), 400, "invalid", "resolution", true)
		refused(resolve(comp, "officer/street", obj{"resolution": "已答复", "status": "closed"}), 400, "invalid", "status", true)
		refused(request{Method: "POST", Path: id("/api/v1/complaints/", comp, "/resolve"), Token: "officer/street", Body: []byte(`{"resolution":"已答复"} {}`)}, 400, "invalid", "body", false)
		refused(request{Method: "POST", Path: id("/api/v1/complaints/", comp, "/resolve"), Token: "officer/street", Body: []byte(`["已答复"]`)}, 400, "invalid", "body", true)
		refused(resolve(comp, "officer/street", obj{"resolution": strings.Repeat("答", 1<<19)}), 413, "too_large", "body", true)
		var cp sqldb.Complaint
		c.call(resolve(comp, "officer/street", obj{"resolution": "已重新审核，理由已补充说明"}), 200).decodeInto(t, reset(&cp))
		if cp.Status != sqldb.ComplaintResolved || cp.Resolution != "已重新审核，理由已补充说明" || cp.ResolvedBy != "街道经办" {
			t.Fatalf("the complaint resolved: %+v", cp)
		}
		refused(resolve(comp, "leader/street", obj{"resolution": "再答复一次"}), 409, "conflict", "", false)
		// The resident reopens it: open again, answered again; accepted, it is closed.
		if _, err := e.db.AnswerComplaint(ctx, comp, f.person, false, "理由还是没说清"); err != nil {
			t.Fatal(err)
		}
		c.call(get("/api/v1/complaints?status=open", "leader/street"), 200).decodeInto(t, reset(&ml))
		if len(ml.Complaints) != 1 || ml.Complaints[0].Reopens != 1 || ml.Complaints[0].ReopenNote != "理由还是没说清" {
			t.Fatalf("the reopened complaint: %+v", ml)
		}
		c.call(resolve(comp, "leader/street", obj{"resolution": "已上门说明不予受理的依据"}), 200).decodeInto(t, reset(&cp))
		if cp.Status != sqldb.ComplaintResolved || cp.Reopens != 1 || cp.ResolvedBy != "街道领导" {
			t.Fatalf("the reopened complaint resolved: %+v", cp)
		}
		if _, err := e.db.AnswerComplaint(ctx, comp, f.person, true, ""); err != nil {
			t.Fatal(err)
		}
		refused(resolve(comp, "leader/street", obj{"resolution": "还要答复"}), 409, "conflict", "", false)
		c.call(get("/api/v1/complaints?status=closed", "officer/street"), 200).decodeInto(t, reset(&ml))
		if len(ml.Complaints) != 1 || ml.Complaints[0].ClosedAt == nil {
			t.Fatalf("closed complaints: %+v", ml)
		}

		// Scorecards: by department (the default) and by matter.
		type scoreRow struct {
			Key                 string
			Name                *onedoor.Text
			Ratings, Bad        int
			Rectified           int
			RectOnTime          int `json:"rectified_on_time"`
			Complaints          int
			Reopened            int
			Resolved            int     `json:"complaints_resolved"`
			SatisfactionRate    float64 `json:"satisfaction_rate"`
			AverageScore        float64 `json:"average_score"`
			RectifiedOnTimeRate float64 `json:"rectified_on_time_rate"`
			ReopenRate          float64 `json:"reopen_rate"`
		}
		var sl struct {
			By         string
			Scorecards []scoreRow
		}
		c.call(get("/api/v1/scorecards", "supervisor"), 200).decodeInto(t, reset(&sl))
		byKey := map[string]scoreRow{}
		for _, s := range sl.Scorecards {
			byKey[s.Key] = s
		}
		st := byKey["street"]
		if sl.By != "department" || st.Name == nil || st.Name.Zh == "" || st.Ratings != 2 || st.Bad != 1 || st.Rectified != 1 || st.RectOnTime != 1 ||
			st.Complaints != 1 || st.Reopened != 1 || st.Resolved != 1 || st.SatisfactionRate != 50 || st.AverageScore != 3 || st.RectifiedOnTimeRate != 100 || st.ReopenRate != 100 {
			t.Fatalf("the street office's scorecard: %+v", st)
		}
		if cv := byKey["civil"]; cv.Ratings != 1 || cv.Bad != 1 || cv.Rectified != 0 || cv.Complaints != 1 || cv.Reopened != 0 {
			t.Fatalf("civil affairs' scorecard: %+v", cv)
		}
		scoreKeys := func(ss []scoreRow) []string {
			var out []string
			for _, s := range ss {
				out = append(out, s.Key)
			}
			return out
		}
		c.call(get("/api/v1/scorecards?by=matter", "analyst"), 200).decodeInto(t, reset(&sl))
		if keys := scoreKeys(sl.Scorecards); sl.By != "matter" || !slices.Equal(keys, []string{"STREET-006", "CIV-015", "CIV-010", "STREET-003"}) || sl.Scorecards[0].Name == nil {
			t.Fatalf("scorecards by matter: %+v; want STREET-006 (two ratings), CIV-015 (one), then CIV-010 and STREET-003 (a complaint each)", sl)
		}
		refused(get("/api/v1/scorecards?by=officer", "supervisor"), 400, "invalid", "by", true)
		for _, who := range []string{"officer/street", "leader/civil", "clerk", "admin"} {
			c.errCall(get("/api/v1/scorecards", who), 403, "forbidden", "")
		}

		// Every supervision operation was called with success.
		for _, path := range supervisionPaths {
			item := c.doc.Paths.Find(path)
			if item == nil {
				t.Errorf("%s is not in openapi.json", path)
				continue
			}
			for method, op := range item.Operations() {
				ok := false
				for status := range c.seen[method+" "+path] {
					ok = ok || status < 300
				}
				if !ok {
					t.Errorf("%s %s (%s) was never called with success", method, path, op.OperationID)
				}
			}
		}
	})
}
