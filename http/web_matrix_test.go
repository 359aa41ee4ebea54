package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// principals are everyone the matrix tries: nobody, two residents, and
// every staff account (officers and leaders of two departments).
var principals = []string{"anon", "resA", "resB", "clerk", "officer.hrss", "leader.hrss", "officer.psb", "leader.psb", "supervisor", "analyst", "admin"}

// dashRoles may open the analytics dashboards.
var dashRoles = []string{"analyst", "supervisor", "leader.hrss", "leader.psb"}

var staffNames = []string{"clerk", "officer.hrss", "leader.hrss", "officer.psb", "leader.psb", "supervisor", "analyst", "admin"}

// matrixRoute is one route tried by every principal. expect maps a
// principal to the outcome; principals not named get def(principal).
type matrixRoute struct {
	method, path string
	form         url.Values
	body         string // API: JSON body
	api          bool
	expect       map[string]string
}

// Outcomes: "200", "400", "403", "404", "401" are statuses; "303" a
// redirect that is not to a sign-in page; "login" a redirect to the staff
// sign-in, "mylogin" to the residents' sign-in.
func outcomes(allowed []string, ok string, rest map[string]string) map[string]string {
	m := map[string]string{}
	for _, p := range allowed {
		m[p] = ok
	}
	for k, v := range rest {
		m[k] = v
	}
	return m
}

// pageDefault is what a principal gets from a page it may not open: a
// sign-in redirect (GET) or 401 (POST) without the right kind of session,
// 403 with a staff session of another role.
func pageDefault(r matrixRoute, p string, residentRoute bool) string {
	isStaff := slices.Contains(staffNames, p)
	isResident := p == "resA" || p == "resB"
	switch {
	case residentRoute && !isResident:
		if r.method == "GET" {
			return "mylogin"
		}
		return "401"
	case residentRoute:
		return "403"
	case !isStaff:
		if r.method == "GET" {
			return "login"
		}
		return "401"
	}
	return "403"
}

// TestRoleRouteMatrix: every page route and API call, for every role, a
// resident reaching another resident's case, and officers of another
// department: allowed or denied on the server as the access rules say.
func TestRoleRouteMatrix(t *testing.T) {
	e := newWebEnv(t)
	e.withAnalytics(t)
	idA, idB := idNumber("440604", "19900101", 11), idNumber("440604", "19920202", 22)
	clerk := e.agent(t).login("clerk")
	caseA, _ := clerk.intake(idA, "甲居民", "13800000001", "HRSS-010", url.Values{"material": {"photo"}})
	caseB, _ := clerk.intake(idB, "乙居民", "13800000002", "HRSS-010", url.Values{"material": {"photo"}})
	clerk.post("/window/clear", nil).want(303)

	agents := map[string]*agent{"anon": e.agent(t), "clerk": clerk}
	agents["resA"] = e.agent(t).residentLogin(idA, "", "13800000001")
	agents["resB"] = e.agent(t).residentLogin(idB, "", "13800000002")
	for _, name := range staffNames[1:] {
		agents[name] = e.agent(t).login(name)
	}

	caseStaff := []string{"clerk", "officer.hrss", "leader.hrss", "supervisor"}
	crossDept := map[string]string{"officer.psb": "404", "leader.psb": "404"}
	everyone := principals
	staffHome := outcomes(staffNames, "303", nil)
	public := func(method, path string) matrixRoute {
		return matrixRoute{method: method, path: path, expect: outcomes(everyone, "200", nil)}
	}
	page := func(method, path string, form url.Values, allowed []string, ok string, rest map[string]string) matrixRoute {
		return matrixRoute{method: method, path: path, form: form, expect: outcomes(allowed, ok, rest)}
	}
	api := func(method, path, body string, allowed []string, ok string, rest map[string]string) matrixRoute {
		return matrixRoute{method: method, path: path, body: body, api: true, expect: outcomes(allowed, ok, rest)}
	}
	residentPaths := []string{"/my", "/my/cases/", "/my/access", "/my/apply"}
	routes := []matrixRoute{
		public("GET", "/"),
		public("GET", "/matters?q=社保"),
		public("GET", "/matters/HRSS-010"),
		public("GET", "/bundles/BD-NEWBORN"),
		public("GET", "/track"),
		public("GET", "/open"),
		public("GET", "/open/communities"),
		public("GET", "/login"),
		page("GET", "/my/login", nil, []string{"anon"}, "200", outcomes(staffNames, "200", map[string]string{"resA": "303", "resB": "303"})),
		page("GET", "/my", nil, []string{"resA", "resB"}, "200", nil),
		page("GET", "/my/cases/"+caseA, nil, []string{"resA"}, "200", map[string]string{"resB": "404"}),
		page("GET", "/my/cases/"+caseB, nil, []string{"resB"}, "200", map[string]string{"resA": "404"}),
		page("GET", "/my/access", nil, []string{"resA", "resB"}, "200", nil),
		page("GET", "/my/apply?matter=CULT-010", nil, []string{"resA", "resB"}, "200", nil),
		page("POST", "/my/apply", url.Values{"matter": {"NOPE"}}, []string{"resA", "resB"}, "404", nil),
		{method: "GET", path: "/staff", expect: staffHome},
		page("GET", "/account/password", nil, staffNames, "200", nil),
		page("POST", "/account/password", url.Values{"new": {"a"}, "confirm": {"b"}}, staffNames, "400", nil),
		page("GET", "/window", nil, []string{"clerk"}, "200", nil),
		page("GET", "/window/apply?matter=HRSS-010", nil, []string{"clerk"}, "303", nil),
		page("POST", "/window/identify", url.Values{"subject": {"natural"}, "id_number": {"bad"}}, []string{"clerk"}, "400", nil),
		page("POST", "/window/unmask", url.Values{"reason": {"x"}}, []string{"clerk"}, "409", nil),
		page("POST", "/window/intake", url.Values{"matter": {"HRSS-010"}}, []string{"clerk"}, "409", nil),
		page("POST", "/window/clear", nil, []string{"clerk"}, "303", nil),
		page("GET", "/inbox", nil, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		page("GET", "/cases/"+caseA, nil, caseStaff, "200", crossDept),
		page("POST", "/cases/"+caseA+"/act", url.Values{"action": {""}}, []string{"clerk", "officer.hrss", "leader.hrss"}, "400", crossDept),
		page("POST", "/cases/"+caseA+"/unmask", url.Values{"reason": {""}}, caseStaff, "400", crossDept),
		page("GET", "/supervision", nil, []string{"supervisor"}, "200", nil),
		page("GET", "/supervision/hrss", nil, []string{"supervisor"}, "200", nil),
		page("GET", "/track/rate", nil, everyone, "303", nil),
		page("POST", "/track/rate", nil, everyone, "303", nil),
		page("GET", "/my/cases/"+caseA+"/rate", nil, []string{"resA"}, "200", map[string]string{"resB": "404"}),
		page("POST", "/my/cases/"+caseA+"/rate", url.Values{"score": {"5"}}, []string{"resA"}, "409", map[string]string{"resB": "404"}),
		page("GET", "/my/complaints", nil, []string{"resA", "resB"}, "200", nil),
		page("POST", "/my/complaints", url.Values{"case": {caseA}, "body": {"x"}}, []string{"resA"}, "303", map[string]string{"resB": "400"}),
		page("POST", "/my/complaints/999/answer", url.Values{"answer": {"accept"}}, []string{"resA", "resB"}, "404", nil),
		page("GET", "/complaints", nil, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		page("POST", "/complaints/999/resolve", url.Values{"resolution": {"x"}}, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		page("GET", "/rectifications", nil, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		page("POST", "/rectifications/999/callback", url.Values{"callback": {"x"}}, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		page("POST", "/rectifications/999/close", url.Values{"action": {"x"}}, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		page("GET", "/supervision/scorecard", nil, []string{"analyst", "supervisor"}, "200", nil),
		page("GET", "/supervision/cards", nil, []string{"supervisor"}, "200", nil),
		page("POST", "/supervision/cards/999/close", url.Values{"note": {"x"}}, []string{"supervisor"}, "404", nil),
		page("GET", "/cards", nil, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		page("POST", "/cards/999/explain", url.Values{"explanation": {"x"}}, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		page("GET", "/analyst", nil, []string{"analyst", "supervisor"}, "200", nil),
		page("GET", "/analytics", nil, dashRoles, "200", nil),
		page("GET", "/analytics/demand", nil, dashRoles, "200", nil),
		page("GET", "/analytics/communities", nil, dashRoles, "200", nil),
		page("GET", "/analytics/beds", nil, dashRoles, "200", nil),
		page("GET", "/analytics/trends", nil, dashRoles, "200", nil),
		page("GET", "/analytics/crossmatch", nil, dashRoles, "200", nil),
		page("GET", "/analytics/whatif", nil, dashRoles, "200", nil),
		page("POST", "/analytics/whatif/outreach", url.Values{"rule": {"age >= 18"}}, []string{"supervisor", "leader.hrss", "leader.psb"}, "200", nil),
		page("GET", "/admin", nil, []string{"admin"}, "200", nil),
		page("GET", "/admin/staff", nil, []string{"admin"}, "200", nil),
		page("POST", "/admin/staff", url.Values{"username": {"x"}}, []string{"admin"}, "400", nil),
		page("POST", "/admin/staff/1/password", url.Values{"password": {"short"}}, []string{"admin"}, "400", nil),
		page("POST", "/admin/staff/999/disabled", url.Values{"disabled": {"true"}}, []string{"admin"}, "404", nil),
		page("GET", "/admin/catalog", nil, []string{"admin"}, "200", nil),
		page("GET", "/admin/catalog/HRSS-010", nil, []string{"admin"}, "200", nil),
		page("GET", "/admin/catalog/import", nil, []string{"admin"}, "200", nil),
		page("POST", "/admin/catalog/import", url.Values{}, []string{"admin"}, "400", nil),
		page("GET", "/admin/calendar?year=2026", nil, []string{"admin"}, "200", nil),
		// The API: bearer tokens only; sessions and residents get nothing.
		api("GET", "/api/v1/me", "", staffNames, "200", nil),
		api("POST", "/api/v1/applicants/lookup", `{"subject":"natural","id_number":"`+idA+`"}`, []string{"clerk"}, "200", nil),
		api("POST", "/api/v1/intake", `{}`, []string{"clerk"}, "400", nil),
		api("GET", "/api/v1/cases", "", caseStaff[:3], "200", outcomes([]string{"officer.psb", "leader.psb", "supervisor"}, "200", nil)),
		api("GET", "/api/v1/cases/"+caseA, "", caseStaff, "200", crossDept),
		// A rejection without a reason: the route lets clerks, officers and
		// leaders in; the workflow lets only the step's officer get as far
		// as the missing reason; other departments do not see the case.
		api("POST", "/api/v1/cases/"+caseA+"/actions", `{"action":"reject"}`, []string{"officer.hrss"}, "400", outcomes([]string{"clerk", "leader.hrss"}, "403", crossDept)),
		api("POST", "/api/v1/bundle-cases/BD1/deliver", `{}`, []string{"clerk"}, "404", nil),
		api("GET", "/api/v1/licences/none", "", caseStaff, "404", crossDept),
		api("GET", "/api/v1/outbox", "", []string{"admin"}, "200", nil),
		// Supervision, ratings and complaints: the roles of their pages.
		// Officers and leaders see their own department's cards only.
		api("GET", "/api/v1/supervision/load", "", []string{"analyst", "supervisor"}, "200", nil),
		api("GET", "/api/v1/supervision/summary", "", []string{"supervisor"}, "200", nil),
		api("GET", "/api/v1/cards", "", []string{"supervisor", "officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		api("GET", "/api/v1/cards?department=hrss", "", []string{"supervisor", "officer.hrss", "leader.hrss"}, "200", map[string]string{"officer.psb": "403", "leader.psb": "403"}),
		api("GET", "/api/v1/cards/999", "", []string{"supervisor", "officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		api("POST", "/api/v1/cards/999/explain", `{"explanation":"x"}`, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		api("POST", "/api/v1/cards/999/close", `{"closing_note":"x"}`, []string{"supervisor"}, "404", nil),
		api("GET", "/api/v1/rectifications", "", []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		api("POST", "/api/v1/rectifications/999/callback", `{"callback":"x"}`, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		api("POST", "/api/v1/rectifications/999/close", `{"action":"x"}`, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		api("GET", "/api/v1/complaints", "", []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "200", nil),
		api("POST", "/api/v1/complaints/999/resolve", `{"resolution":"x"}`, []string{"officer.hrss", "leader.hrss", "officer.psb", "leader.psb"}, "404", nil),
		api("GET", "/api/v1/scorecards?by=matter", "", []string{"analyst", "supervisor"}, "200", nil),
		// Sign-in forms are open to everyone (and throttled, see TestLoginThrottle).
		page("POST", "/login", url.Values{"username": {"nobody.{p}"}, "password": {"wrong password"}}, everyone, "401", nil),
		page("POST", "/my/login", url.Values{"id_number": {"bad"}, "phone": {"bad"}}, everyone, "400", nil),
		page("POST", "/my/verify", url.Values{"challenge": {"none"}, "code": {"123456"}}, everyone, "401", nil),
		// Last: logging out ends every session of the matrix; staff go back
		// to their sign-in page, others to the portal.
		page("POST", "/logout", nil, everyone, "303", outcomes(staffNames, "login", nil)),
	}

	// Every page route is in the matrix: a new route cannot ship untried.
	srv := NewServer(e.db, nil)
	for _, rt := range srv.pageTable() {
		method, pattern, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			continue // the catch-all
		}
		re := regexp.MustCompile("^" + regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(strings.TrimSuffix(pattern, "{$}"), "[^/?]+") + `(\?.*)?$`)
		if !slices.ContainsFunc(routes, func(r matrixRoute) bool { return !r.api && r.method == method && re.MatchString(r.path) }) {
			t.Errorf("page route %q is not in the role × route matrix", rt.pattern)
		}
	}

	for _, r := range routes {
		residentRoute := !r.api && slices.ContainsFunc(residentPaths, func(p string) bool {
			return strings.HasPrefix(r.path, p) && !strings.HasPrefix(r.path, "/my/login")
		})
		for _, p := range principals {
			want, ok := r.expect[p]
			if !ok {
				switch {
				case r.api && slices.Contains(staffNames, p):
					want = "403"
				case r.api:
					want = "401"
				default:
					want = pageDefault(r, p, residentRoute)
				}
			}
			got := try(t, e, agents[p], p, r)
			if got != want {
				t.Errorf("%-6s %-45s as %-12s: got %s, want %s", r.method, truncateText(r.path, 45), p, got, want)
			}
		}
	}
}

// try makes one request as principal p and classifies the outcome.
func try(t *testing.T, e *webEnv, a *agent, p string, r matrixRoute) string {
	t.Helper()
	if r.api {
		var body io.Reader
		if r.body != "" {
			body = bytes.NewReader([]byte(r.body))
		}
		req, _ := http.NewRequest(r.method, e.srv.URL+r.path, body)
		if r.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok, ok := e.tokens[p]; ok {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		a.do(req) // with the principal's cookies too: they must not count
		if a.status >= 400 {
			var eb errorBody
			if err := json.Unmarshal([]byte(a.last), &eb); err != nil || eb.Error.Code == "" {
				t.Errorf("%s %s as %s: error body is not the JSON error shape: %s", r.method, r.path, p, truncateText(a.last, 200))
			}
		}
		return fmt.Sprint(a.status)
	}
	if r.method == "POST" {
		form := cloneValues(r.form)
		for _, vs := range form {
			for i := range vs {
				vs[i] = strings.ReplaceAll(vs[i], "{p}", p) // per principal, e.g. usernames the throttle counts apart
			}
		}
		a.get("/login")
		a.post(r.path, form)
	} else {
		a.get(r.path)
	}
	switch {
	case a.status == http.StatusSeeOther && strings.HasPrefix(a.loc, "/login"):
		return "login"
	case a.status == http.StatusSeeOther && strings.HasPrefix(a.loc, "/my/login"):
		return "mylogin"
	}
	return fmt.Sprint(a.status)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
