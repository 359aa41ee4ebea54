package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"onedoor"
)

// loadSpec loads and validates http/openapi.json once per test binary.
var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return doc, nil
})

func mustSpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPIValid: the document loads, validates as OpenAPI 3.0.3 (its
// examples too), is the one the server serves, and documents exactly the
// routes the package registers, the analytics API's included (so a new
// route cannot ship undocumented); every operation documents the 400 any
// bad path or query gets, every API operation the 405 (with Allow) of its
// path, and the error codes are exactly the server's.
func TestOpenAPIValid(t *testing.T) {
	doc := mustSpec(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if _, err := legacy.NewRouter(doc); err != nil {
		t.Fatalf("router: %v", err)
	}

	// Served as is.
	e := newAPIEnv(t, filepath.Join(t.TempDir(), "onedoor.db"))
	r := e.do(t, request{Method: "GET", Path: "/api/v1/openapi.json"})
	file, _ := os.ReadFile("openapi.json")
	if r.Status != 200 || !bytes.Equal(r.Body, file) {
		t.Fatalf("GET /api/v1/openapi.json: %d, %d bytes; want 200 and the %d bytes of openapi.json", r.Status, len(r.Body), len(file))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}

	// The registered routes, read from the package source, and the documented ones.
	registered := registeredRoutes(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = true
			staffOnly := op.Security != nil && len(*op.Security) > 0
			if staffOnly != (op.Responses.Status(401) != nil) {
				t.Errorf("%s %s: a staff operation must document 401 and a public one must not", method, path)
			}
			// Any path or query may hold invalid UTF-8 or control characters.
			if op.Responses.Status(400) == nil {
				t.Errorf("%s %s: every operation can answer 400 (a bad path or query) and must document it", method, path)
			}
			// Another method on an API path is 405 with Allow.
			if strings.HasPrefix(path, "/api/") {
				if rr := op.Responses.Status(405); rr == nil || rr.Value.Headers["Allow"] == nil || !rr.Value.Headers["Allow"].Value.Required {
					t.Errorf("%s %s: an API path answers other methods with 405, which must be documented with a required Allow header", method, path)
				}
			}
			if op.RequestBody != nil {
				for _, code := range []int{400, 413} {
					if op.Responses.Status(code) == nil {
						t.Errorf("%s %s takes a body but does not document %d", method, path, code)
					}
				}
				if s := op.RequestBody.Value.Content.Get("application/json").Schema.Value; s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
					t.Errorf("%s %s: the server refuses unknown fields, so the body schema needs additionalProperties: false", method, path)
				}
			}
		}
	}
	for _, rt := range registered {
		if !documented[rt] {
			t.Errorf("route %q is registered but not in openapi.json", rt)
		}
	}
	for rt := range documented {
		if !slices.Contains(registered, rt) {
			t.Errorf("openapi.json documents %q, which no handler serves", rt)
		}
	}

	// The error codes are those the server maps to a status, no more, no fewer.
	var codes []string
	for _, v := range doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum {
		codes = append(codes, v.(string))
	}
	sort.Strings(codes)
	want := []string{onedoor.EINVALID, onedoor.EUNAUTHORIZED, onedoor.EFORBIDDEN, onedoor.ENOTFOUND, onedoor.EMETHOD,
		onedoor.ECONFLICT, onedoor.ETOOLARGE, onedoor.ETOOMANY, onedoor.EINTERNAL}
	sort.Strings(want)
	if !slices.Equal(codes, want) {
		t.Errorf("Error.code enum %v; want %v", codes, want)
	}
}

// allMethods are the methods the server answers with 405 on a known API
// path, in the order of the Allow header.
var allMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// samplePath fills in the parameters of a documented path.
func samplePath(path, value string) string {
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return path
		}
		j := strings.IndexByte(path[i:], '}')
		path = path[:i] + value + path[i+j+1:]
	}
}

// TestOpenAPIMethodsAndURLs: on every documented API path, each method the
// document does not list answers 405 with an Allow header naming exactly
// the documented methods, in the Error shape documented for the path; and
// every operation refuses a path or query holding NUL, other control
// characters or invalid UTF-8, and a query value over 200 bytes, with the
// 400 it documents, naming the path or the parameter.
func TestOpenAPIMethodsAndURLs(t *testing.T) {
	e, _ := analyticsEnv(t) // every documented path served, the analytics API too
	c := newSpecCheck(t, e)
	// route builds the validation input of a documented operation (the
	// request itself need not be valid: only the response is checked).
	route := func(method, path string) *openapi3filter.RequestValidationInput {
		t.Helper()
		req := e.httpRequest(t, "", request{Method: method, Path: path})
		rt, params, err := c.router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: specOptions}
	}
	expect := func(rq request, in *openapi3filter.RequestValidationInput, status int, code, field, allow string) {
		t.Helper()
		r := e.do(t, rq)
		var ae apiError
		if r.Status != status || json.Unmarshal(r.Body, &ae) != nil || ae.Error == nil || ae.Error.Code != code {
			t.Errorf("%s %s: %s; want %d %s", rq.Method, truncate(rq.Path, 80), r, status, code)
			return
		}
		if field != "" && (ae.Error.Field == nil || *ae.Error.Field != field) {
			t.Errorf("%s %s: error %+v; want it about %q", rq.Method, truncate(rq.Path, 80), ae.Error, field)
		}
		if got := strings.Join(r.Header.Values("Allow"), ", "); got != allow {
			t.Errorf("%s %s: Allow %q; want %q", rq.Method, truncate(rq.Path, 80), got, allow)
		}
		if err := validateResponse(in, r); err != nil {
			t.Errorf("%s %s → %d: response does not match openapi.json: %v", rq.Method, truncate(rq.Path, 80), r.Status, err)
		}
	}
	paths := c.doc.Paths.Map()
	n405 := 0
	for path, item := range paths {
		ops := item.Operations()
		var documented []string
		for _, m := range allMethods {
			if ops[m] != nil {
				documented = append(documented, m)
			}
		}
		if len(documented) != len(ops) {
			t.Errorf("%s documents methods outside %v", path, allMethods)
		}
		concrete := samplePath(path, "CIV-010")
		for method := range ops {
			in := route(method, concrete)
			// Bad queries, before any token is looked at.
			expect(request{Method: method, Path: concrete + "?x=%00"}, in, 400, onedoor.EINVALID, "x", "")
			expect(request{Method: method, Path: concrete + "?x=%C3%28"}, in, 400, onedoor.EINVALID, "x", "")
			expect(request{Method: method, Path: concrete + "?x=" + strings.Repeat("a", 201)}, in, 400, onedoor.EINVALID, "x", "")
			expect(request{Method: method, Path: concrete + "?%7F=1"}, in, 400, onedoor.EINVALID, "query", "")
			// Bad path parameters.
			if concrete != path {
				for _, bad := range []string{"%00", "%1F", "%C2%9B", "%FF", "%ED%A0%80"} {
					expect(request{Method: method, Path: samplePath(path, "CIV"+bad)}, in, 400, onedoor.EINVALID, "path", "")
				}
			}
		}
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for _, method := range append(slices.Clone(allMethods), "OPTIONS") {
			if ops[method] != nil {
				continue
			}
			n405++
			rq := request{Method: method, Path: concrete}
			if method != "GET" && method != "OPTIONS" {
				rq.Body = []byte(`{}`)
			}
			expect(rq, route(documented[0], concrete), 405, onedoor.EMETHOD, "", strings.Join(documented, ", "))
		}
	}
	if n405 < 40 {
		t.Errorf("only %d wrong methods tried", n405)
	}
	// An unknown path is 404 whatever the method, with no Allow.
	for _, m := range append(slices.Clone(allMethods), "OPTIONS") {
		for _, p := range []string{"/api/v1/nope", "/api/v1/matters/CIV-010/nope", "/api/v1/cases/1/actions/2", "/api/v2/matters", "/api/"} {
			r := e.do(t, request{Method: m, Path: p})
			var ae apiError
			if r.Status != 404 || json.Unmarshal(r.Body, &ae) != nil || ae.Error == nil || ae.Error.Code != onedoor.ENOTFOUND || r.Header.Get("Allow") != "" {
				t.Errorf("%s %s: %s (Allow %q); want 404 not_found without Allow", m, p, r, r.Header.Get("Allow"))
			}
		}
	}
}

// notAPI are the literal route patterns of the package that are not part
// of the JSON API, and why.
var notAPI = map[string]string{
	"GET /metrics": "Prometheus metrics for operations (metrics_test.go)",
}

// registeredRoutes lists the "METHOD /path" patterns the package registers
// as literals — in Server.routes, Server.Analytics or anywhere else — read
// from the package source (the catch-all "/api/" and notAPI aside). Pages
// are registered from tables in pageRoutes, never as literal patterns, and
// have their own route matrix test; a pattern that is not a string literal
// anywhere else cannot be checked against openapi.json and fails the test.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
					return true
				}
				lit, ok := call.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					if fn.Name.Name != "pageRoutes" {
						t.Errorf("%s: a route pattern that is not a string literal (outside pageRoutes) cannot be checked against openapi.json", fset.Position(call.Pos()))
					}
					return true
				}
				pattern, _ := strconv.Unquote(lit.Value)
				method, path, ok := strings.Cut(pattern, " ")
				if !ok || notAPI[pattern] != "" { // no method: the catch-all
					return true
				}
				out = append(out, method+" "+path)
				return true
			})
		}
	}
	for _, want := range []string{"GET /api/v1/matters", "POST /api/v1/analytics/query"} {
		if !slices.Contains(out, want) {
			t.Fatalf("the routes read from the source %v lack %s", out, want)
		}
	}
	sort.Strings(out)
	return out
}

// specCheck sends requests to the real server and validates each request
// and its response against openapi.json.
type specCheck struct {
	t      *testing.T
	e      *apiEnv
	doc    *openapi3.T
	router routers.Router
	seen   map[string]map[int]bool // "METHOD /path" → statuses seen
}

func newSpecCheck(t *testing.T, e *apiEnv) *specCheck {
	doc := mustSpec(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specCheck{t: t, e: e, doc: doc, router: router, seen: map[string]map[int]bool{}}
}

// bearerOnly is the AuthenticationFunc: the request carries a bearer
// token (whether the server accepts it is the server's business). The
// scheme name is case-insensitive (RFC 9110, section 11.1).
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerAuth" {
		return fmt.Errorf("unknown scheme %q", in.SecuritySchemeName)
	}
	scheme, tok, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

var specOptions = &openapi3filter.Options{
	AuthenticationFunc:    bearerOnly,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// validateRequest checks rq against the document and returns the route.
func (c *specCheck) validateRequest(t testing.TB, rq request) (*openapi3filter.RequestValidationInput, error) {
	req := c.e.httpRequest(t, "", rq)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("no documented route for %s %s: %w", rq.Method, rq.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: specOptions}
	return in, openapi3filter.ValidateRequest(context.Background(), in)
}

// validateResponse checks a response to the request of in against the document.
func validateResponse(in *openapi3filter.RequestValidationInput, r *response) error {
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header, Options: specOptions}
	out.SetBodyBytes(r.Body)
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// call validates the request, sends it, validates the response and checks
// the status.
func (c *specCheck) call(rq request, want int) *response {
	c.t.Helper()
	in, err := c.validateRequest(c.t, rq)
	if err != nil {
		c.t.Errorf("%s %s: request does not match openapi.json: %v", rq.Method, rq.Path, err)
	}
	r := c.e.do(c.t, rq)
	if in != nil {
		if err := validateResponse(in, r); err != nil {
			c.t.Errorf("%s %s → %d: response does not match openapi.json: %v", rq.Method, rq.Path, r.Status, err)
		}
		key := in.Route.Method + " " + in.Route.Path
		if c.seen[key] == nil {
			c.seen[key] = map[int]bool{}
		}
		c.seen[key][r.Status] = true
	}
	if r.Status != want {
		c.t.Fatalf("%s %s: %s; want %d", rq.Method, rq.Path, r, want)
	}
	return r
}

// errCall is call for an expected error: it also checks the error code and
// that the message or field mentions fragment.
func (c *specCheck) errCall(rq request, want int, code, fragment string) *apiError {
	c.t.Helper()
	r := c.call(rq, want)
	var ae apiError
	r.decodeInto(c.t, &ae)
	if ae.Error == nil || ae.Error.Code != code {
		c.t.Fatalf("%s %s: %s; want error code %s", rq.Method, rq.Path, r, code)
	}
	field := ""
	if ae.Error.Field != nil {
		field = *ae.Error.Field
	}
	if !strings.Contains(ae.Error.Message+" "+field, fragment) {
		c.t.Fatalf("%s %s: error %q (field %q) does not mention %q", rq.Method, rq.Path, ae.Error.Message, field, fragment)
	}
	return &ae
}

// refusedCall is errCall for a request the document itself refuses (a
// value outside an enum, a string over its maxLength): the request must
// not validate, and the server must refuse it too, as documented.
func (c *specCheck) refusedCall(rq request, want int, code, fragment string) *apiError {
	c.t.Helper()
	in, err := c.validateRequest(c.t, rq)
	if in == nil {
		c.t.Fatalf("%s %s: no documented route: %v", rq.Method, rq.Path, err)
	}
	if err == nil {
		c.t.Errorf("%s %s: openapi.json accepts the request the server refuses", rq.Method, rq.Path)
	}
	r := c.e.do(c.t, rq)
	if err := validateResponse(in, r); err != nil {
		c.t.Errorf("%s %s → %d: response does not match openapi.json: %v", rq.Method, rq.Path, r.Status, err)
	}
	var ae apiError
	if r.Status != want || json.Unmarshal(r.Body, &ae) != nil || ae.Error == nil || ae.Error.Code != code {
		c.t.Fatalf("%s %s: %s; want %d %s", rq.Method, rq.Path, r, want, code)
	}
	field := ""
	if ae.Error.Field != nil {
		field = *ae.Error.Field
	}
	if !strings.Contains(ae.Error.Message+" "+field, fragment) {
		c.t.Fatalf("%s %s: error %q (field %q) does not mention %q", rq.Method, rq.Path, ae.Error.Message, field, fragment)
	}
	return &ae
}

// fieldOf is the field an error is about ("" for none).
func fieldOf(ae *apiError) string {
	if ae.Error.Field == nil {
		return ""
	}
	return *ae.Error.Field
}

func post(path, token string, body any) request {
	return request{Method: "POST", Path: path, Token: token, Body: mustJSON(body)}
}

func get(path, token string) request { return request{Method: "GET", Path: path, Token: token} }

func act(number, token string, body map[string]any) request {
	return post("/api/v1/cases/"+number+"/actions", token, body)
}

func naturalApplicant(name, id string) map[string]any {
	return map[string]any{"subject": "natural", "id_number": id, "name": name, "phone": "138-0013-8000"}
}

// receipt is the part of a receipt the tests use.
type receipt struct {
	Bundle string `json:"bundle"`
	Code   string `json:"verification_code"`
	Cases  []struct {
		Number string             `json:"number"`
		Matter string             `json:"matter"`
		Status onedoor.Status     `json:"status"`
		Notice []onedoor.Material `json:"notice"`
	} `json:"cases"`
}

// TestResponsesMatchOpenAPI drives a day at the window and in the back
// office through the API and validates every request and every response
// against openapi.json: the catalog, staff, an applicant looked up and
// received with a missing material, supply, the steps approved by the
// right departments, completion with an e-licence, delivery, tracking, a
// bundle, an organisation with a legacy code, a supplement request and a
// rejection, the outbox (empty, then full; a pending message not resent) —
// and the errors on the way, including those the document itself refuses.
func TestResponsesMatchOpenAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *apiEnv) {
		ctx := context.Background()
		c := newSpecCheck(t, e)

		// The catalog, public.
		c.call(get("/healthz", ""), 200)
		c.call(get("/api/v1/openapi.json", ""), 200)
		var ml struct {
			Matters []struct{ Code string } `json:"matters"`
			Count   int                     `json:"count"`
		}
		c.call(get("/api/v1/matters", ""), 200).decodeInto(t, &ml)
		if ml.Count < 200 || ml.Count != len(ml.Matters) {
			t.Fatalf("matters: count %d, %d listed", ml.Count, len(ml.Matters))
		}
		c.call(get("/api/v1/matters?q="+url.QueryEscape("低保"), ""), 200).decodeInto(t, &ml)
		if !slices.ContainsFunc(ml.Matters, func(m struct{ Code string }) bool { return m.Code == "CIV-010" }) {
			t.Fatalf("searching 低保 does not find CIV-010: %+v", ml.Matters)
		}
		c.call(get("/api/v1/matters?subject=legal&department=mkt", ""), 200)
		c.call(get("/api/v1/matters/CIV-010", ""), 200)
		c.call(get("/api/v1/matters/CIV-010?version=1", ""), 200)
		c.errCall(get("/api/v1/matters/CIV-010?version=99", ""), 404, "not_found", "CIV-010")
		c.errCall(get("/api/v1/matters/NOPE-1", ""), 404, "not_found", "NOPE-1")
		c.call(get("/api/v1/bundles", ""), 200)
		c.call(get("/api/v1/bundles/BD-ELDERLY", ""), 200)
		c.errCall(get("/api/v1/bundles/BD-NOPE", ""), 404, "not_found", "BD-NOPE")

		// Staff; the scheme of the Authorization header is case-insensitive.
		for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
			var me onedoor.Staff
			c.call(request{Method: "GET", Path: "/api/v1/me", Token: "raw:" + scheme + " " + e.tokens["supervisor"]}, 200).decodeInto(t, &me)
			if staffKey(me) != "supervisor" {
				t.Errorf("/me with %q and the supervisor's token answers %s", scheme, staffKey(me))
			}
		}
		c.refusedCall(request{Method: "GET", Path: "/api/v1/me", Token: "raw:Token " + e.tokens["supervisor"]}, 401, "unauthorized", "token")
		// No message yet: the list is empty, [] and not null.
		for _, q := range []string{"", "?status=dead", "?status=sent"} {
			var empty struct {
				Messages json.RawMessage `json:"messages"`
			}
			c.call(get("/api/v1/outbox"+q, "admin"), 200).decodeInto(t, &empty)
			if string(empty.Messages) != "[]" {
				t.Fatalf("GET /api/v1/outbox%s with no messages: messages = %s; want []", q, empty.Messages)
			}
		}
		for key := range e.tokens {
			var me onedoor.Staff
			c.call(get("/api/v1/me", key), 200).decodeInto(t, &me)
			if staffKey(me) != key {
				t.Errorf("/me with the token of %s answers %s", key, staffKey(me))
			}
		}
		c.errCall(request{Method: "GET", Path: "/api/v1/me", Token: "raw:Bearer od_not-a-token"}, 401, "unauthorized", "token")
		c.errCall(get("/api/v1/cases", "analyst"), 403, "forbidden", "analyst")

		// A resident at the window: unknown, then received with a material missing.
		id := idNumber("440604", "19500315", 12)
		c.errCall(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "natural", "id_number": id}), 404, "not_found", "person")
		c.errCall(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "natural", "id_number": wrongCheck(id)}), 400, "invalid", "check character")
		if ae := c.errCall(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "legal", "uscc": "91440604MA0000"}), 400, "invalid", "18 characters"); fieldOf(ae) != "uscc" {
			t.Errorf("a short USCC: error about %q; want uscc", fieldOf(ae))
		}
		c.errCall(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "legal", "uscc": wrongUSCCCheck(uscc("440604", 78))}), 404, "not_found", "organisation")
		// Direction overrides and other format characters are refused in names.
		if ae := c.errCall(post("/api/v1/intake", "clerk", map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("\u202E英秀李", id)}), 400, "invalid", "formatting"); fieldOf(ae) != "applicant.name" {
			t.Errorf("a name with U+202E: error about %q; want applicant.name", fieldOf(ae))
		}
		c.errCall(post("/api/v1/intake", "officer/street", map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("李秀英", id)}), 403, "forbidden", "officer")
		c.errCall(post("/api/v1/intake", "clerk", map[string]any{"matter": "HRSS-001", "applicant": naturalApplicant("王小明", idNumber("440604", "20060101", 3))}),
			400, "invalid", "condition")
		var rc receipt
		c.call(post("/api/v1/intake", "clerk", map[string]any{"matter": "CIV-010", "applicant": naturalApplicant("李秀英", id),
			"materials": []string{"application", "income_declaration", "hukou_book"}}), 201).decodeInto(t, &rc)
		if len(rc.Cases) != 1 || rc.Cases[0].Status != onedoor.StatusReceived || len(rc.Cases[0].Notice) != 1 || rc.Cases[0].Notice[0].Code != "authorisation" {
			t.Fatalf("receipt %+v: want one case received with a notice for the authorisation", rc)
		}
		number := rc.Cases[0].Number
		var lk struct {
			Person *onedoor.Person `json:"person"`
			Open   []onedoor.Case  `json:"open_cases"`
		}
		c.call(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "natural", "id_number": id}), 200).decodeInto(t, &lk)
		if lk.Person == nil || lk.Person.Name != "李秀英" || len(lk.Open) != 1 || lk.Open[0].Number != number || strings.Contains(string(mustJSON(lk)), id) {
			t.Fatalf("lookup: %+v (the plain ID number must not appear)", lk)
		}
		var cd struct {
			Allowed []onedoor.Action `json:"allowed"`
		}
		c.call(get("/api/v1/cases/"+number, "clerk"), 200).decodeInto(t, &cd)
		if !slices.Equal(cd.Allowed, []onedoor.Action{onedoor.ActionSupply}) {
			t.Fatalf("allowed for the clerk on a received case: %v, want [supply]", cd.Allowed)
		}
		c.errCall(act(number, "officer/street", map[string]any{"action": "approve"}), 409, "conflict", "received")
		c.call(act(number, "clerk", map[string]any{"action": "supply", "materials": []string{"authorisation"}}), 200)
		c.errCall(act(number, "clerk", map[string]any{"action": "supply", "materials": []string{"authorisation"}}), 409, "conflict", "Nothing is awaited")

		// The back office: inboxes, the wrong hands, an extension, the steps.
		var cl struct{ Cases []onedoor.Case }
		c.call(get("/api/v1/cases?department=street", "officer/street"), 200).decodeInto(t, &cl)
		if len(cl.Cases) != 1 || cl.Cases[0].Number != number {
			t.Fatalf("street inbox: %+v", cl.Cases)
		}
		c.errCall(get("/api/v1/cases?department=street", "officer/civil"), 403, "forbidden", "civil")
		if ae := c.refusedCall(get("/api/v1/cases?status=in_progress&status=bogus", "officer/street"), 400, "invalid", "bogus"); fieldOf(ae) != "status" {
			t.Errorf("an unknown status: error about %q; want status", fieldOf(ae))
		}
		c.call(get("/api/v1/cases/"+number, "officer/civil"), 200) // CIV-010 passes civil affairs
		c.errCall(act(number, "leader/civil", map[string]any{"action": "approve"}), 403, "forbidden", "street")
		c.errCall(act(number, "clerk", map[string]any{"action": "approve"}), 403, "forbidden", "clerk")
		c.errCall(act(number, "leader/street", map[string]any{"action": "extend", "days": 11, "reason": "入户调查需时"}), 400, "invalid", "days")
		var cs onedoor.Case
		c.call(act(number, "leader/street", map[string]any{"action": "extend", "days": 2, "reason": "入户调查需时"}), 200).decodeInto(t, &cs)
		if cs.ExtendedDays != 2 {
			t.Fatalf("extended_days = %d after extending by 2", cs.ExtendedDays)
		}
		c.call(act(number, "officer/street", map[string]any{"action": "approve", "note": "已入户"}), 200)
		c.call(act(number, "officer/street", map[string]any{"action": "approve"}), 200)
		c.call(act(number, "leader/civil", map[string]any{"action": "approve"}), 200).decodeInto(t, &cs)
		if cs.Status != onedoor.StatusApproved {
			t.Fatalf("status %s after the last step, want approved", cs.Status)
		}
		c.errCall(act(number, "clerk", map[string]any{"action": "deliver"}), 409, "conflict", number)
		c.call(act(number, "leader/civil", map[string]any{"action": "complete"}), 200).decodeInto(t, &cs)
		if cs.Status != onedoor.StatusCompleted || cs.Licence == "" {
			t.Fatalf("after complete: status %s, licence %q", cs.Status, cs.Licence)
		}
		c.call(act(number, "clerk", map[string]any{"action": "deliver"}), 200).decodeInto(t, &cs)
		if cs.Status != onedoor.StatusDelivered {
			t.Fatalf("after deliver: %s", cs.Status)
		}
		c.errCall(act(number, "leader/civil", map[string]any{"action": "approve"}), 409, "conflict", number)
		c.call(get("/api/v1/cases?open=false&status=delivered&status=rejected&limit=10&offset=0", "supervisor"), 200).decodeInto(t, &cl)
		if len(cl.Cases) != 1 || cl.Cases[0].Number != number {
			t.Fatalf("final cases: %+v", cl.Cases)
		}

		// Tracking: the right code shows the timeline, not the internal note.
		var tr onedoor.Tracking
		r := c.call(post("/api/v1/track", "", map[string]any{"number": number, "code": strings.ToLower(rc.Code)}), 200)
		r.decodeInto(t, &tr)
		if tr.Status != onedoor.StatusDelivered || len(tr.Timeline) != 8 || tr.Licence != cs.Licence || strings.Contains(string(r.Body), "已入户") {
			t.Fatalf("tracking: %s", r)
		}
		wrong := c.errCall(post("/api/v1/track", "", map[string]any{"number": number, "code": "WRONG234"}), 404, "not_found", "")
		unknown := c.errCall(post("/api/v1/track", "", map[string]any{"number": "440604260302999999", "code": rc.Code}), 404, "not_found", "")
		if wrong.Error.Message != unknown.Error.Message {
			t.Fatalf("a wrong code and an unknown number answer differently: %q vs %q", wrong.Error.Message, unknown.Error.Message)
		}

		// The e-licence.
		var lr struct {
			Licence        onedoor.Licence `json:"licence"`
			SignatureValid bool            `json:"signature_valid"`
		}
		c.call(get("/api/v1/licences/"+cs.Licence, "clerk"), 200).decodeInto(t, &lr)
		if lr.Licence.Type != "dibao_cert" || !lr.SignatureValid || lr.Licence.CaseNumber != number {
			t.Fatalf("licence: %+v", lr)
		}
		c.errCall(get("/api/v1/licences/dibao_cert-000", "officer/street"), 404, "not_found", "dibao_cert-000")

		// A street-only matter: civil affairs neither sees nor lists it; a
		// supplement request pauses it, supply resumes it, a rejection ends it.
		old := idNumber("440604", "19560101", 41)
		c.call(post("/api/v1/intake", "clerk", map[string]any{"matter": "STREET-003", "applicant": naturalApplicant("张桂兰", old),
			"materials": []string{"application"}}), 201).decodeInto(t, &rc)
		street := rc.Cases[0].Number
		c.errCall(get("/api/v1/cases/"+street, "officer/civil"), 404, "not_found", street)
		c.errCall(act(street, "officer/civil", map[string]any{"action": "reject", "reason": "x"}), 404, "not_found", street)
		c.errCall(act(street, "officer/street", map[string]any{"action": "request_supplement", "reason": "请补充病历"}), 400, "invalid", "materials")
		c.call(act(street, "officer/street", map[string]any{"action": "request_supplement", "reason": "请补充病历", "materials": []string{"medical_records"}}), 200).decodeInto(t, &cs)
		if cs.Status != onedoor.StatusSupplement {
			t.Fatalf("after request_supplement: %s", cs.Status)
		}
		c.call(act(street, "clerk", map[string]any{"action": "supply", "materials": []string{"medical_records"}}), 200)
		c.errCall(act(street, "officer/street", map[string]any{"action": "reject"}), 400, "invalid", "reason")
		c.call(act(street, "officer/street", map[string]any{"action": "reject", "reason": "评估条件不符"}), 200).decodeInto(t, &cs)
		if cs.Status != onedoor.StatusRejected {
			t.Fatalf("after reject: %s", cs.Status)
		}

		// A bundle: delivered once, when all its cases are completed.
		elder := idNumber("440604", "19400420", 7)
		c.call(post("/api/v1/intake", "clerk", map[string]any{"bundle": "BD-ELDERLY", "applicant": naturalApplicant("陈伯", elder),
			"materials": []string{"photo", "application", "hukou_book", "ss_card"}, "delivery": "counter"}), 201).decodeInto(t, &rc)
		if rc.Bundle == "" || len(rc.Cases) != 3 {
			t.Fatalf("bundle receipt: %+v", rc)
		}
		c.errCall(post("/api/v1/bundle-cases/"+rc.Bundle+"/deliver", "clerk", map[string]any{}), 409, "conflict", "still open")
		steps := map[string][]string{"CIV-015": {"officer/civil"}, "CIV-011": {"officer/street", "leader/civil"}, "STREET-002": {"officer/street"}}
		for _, rcase := range rc.Cases {
			who := steps[rcase.Matter]
			if who == nil {
				t.Fatalf("unexpected matter %s in BD-ELDERLY", rcase.Matter)
			}
			for _, k := range who {
				c.call(act(rcase.Number, k, map[string]any{"action": "approve"}), 200)
			}
			c.call(act(rcase.Number, who[len(who)-1], map[string]any{"action": "complete"}), 200)
		}
		c.errCall(act(rc.Cases[0].Number, "clerk", map[string]any{"action": "deliver"}), 409, "conflict", "bundle")
		c.errCall(post("/api/v1/bundle-cases/BD440604000000000000/deliver", "clerk", map[string]any{}), 404, "not_found", "BD440604000000000000")
		var dl struct{ Cases []onedoor.Case }
		c.call(post("/api/v1/bundle-cases/"+rc.Bundle+"/deliver", "clerk", map[string]any{"action": "deliver", "channel": "counter"}), 200).decodeInto(t, &dl)
		if len(dl.Cases) != 3 {
			t.Fatalf("bundle delivery delivered %d cases", len(dl.Cases))
		}
		for _, x := range dl.Cases {
			if x.Status != onedoor.StatusDelivered {
				t.Fatalf("case %s is %s after the bundle delivery", x.Number, x.Status)
			}
		}

		// An enterprise whose early code fails the check, accepted as legacy on the clerk's word.
		legacyCode := wrongUSCCCheck(uscc("440604", 77))
		org := map[string]any{"subject": "legal", "uscc": legacyCode, "name": "佛山市禅城区测试贸易有限公司"}
		c.errCall(post("/api/v1/intake", "clerk", map[string]any{"matter": "MKT-001", "applicant": org, "materials": []string{"application"}}), 400, "invalid", "legacy")
		org["allow_legacy"] = true
		c.call(post("/api/v1/intake", "clerk", map[string]any{"matter": "MKT-001", "applicant": org,
			"materials": []string{"application", "articles", "shareholder_docs", "officers"}, "tolerate": true, "commitment": "本公司承诺五个工作日内补交场所证明"}), 201).decodeInto(t, &rc)
		var lo struct {
			Org *onedoor.Org `json:"org"`
		}
		c.call(post("/api/v1/applicants/lookup", "clerk", map[string]any{"subject": "legal", "uscc": legacyCode}), 200).decodeInto(t, &lo)
		if lo.Org == nil || !lo.Org.Legacy {
			t.Fatalf("org lookup: %+v; want the legacy flag recorded", lo.Org)
		}

		// The outbox: listed; a sent message resent, a pending one refused as a
		// conflict, an unknown one not found.
		var ob struct {
			Messages []struct {
				ID     int64
				Status string
			}
		}
		c.call(get("/api/v1/outbox", "admin"), 200).decodeInto(t, &ob)
		if len(ob.Messages) < 10 {
			t.Fatalf("outbox: %d messages", len(ob.Messages))
		}
		c.call(get("/api/v1/outbox?status=dead", "admin"), 200)
		c.errCall(get("/api/v1/outbox", "clerk"), 403, "forbidden", "clerk")
		first := ob.Messages[len(ob.Messages)-1].ID
		resend := func(id int64) request {
			return request{Method: "POST", Path: fmt.Sprintf("/api/v1/outbox/%d/resend", id), Token: "admin"}
		}
		if ob.Messages[len(ob.Messages)-1].Status != "pending" {
			t.Fatalf("the first message is %s; want pending", ob.Messages[len(ob.Messages)-1].Status)
		}
		c.errCall(resend(first), 409, "conflict", "pending")
		last := ob.Messages[0].ID
		c.errCall(resend(last+1000), 404, "not_found", strconv.FormatInt(last+1000, 10))
		if err := e.db.Outbox().MarkSent(ctx, first, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		c.call(get("/api/v1/outbox?status=sent", "admin"), 200).decodeInto(t, &ob)
		if len(ob.Messages) != 1 || ob.Messages[0].ID != first || ob.Messages[0].Status != "sent" {
			t.Fatalf("sent messages: %+v; want message %d", ob.Messages, first)
		}
		c.call(resend(first), 200)
		c.errCall(resend(first), 409, "conflict", "pending") // queued again, so pending

		// Brute force on tracking, from one address: the eleventh failure is throttled.
		for i := range 10 {
			c.errCall(request{Method: "POST", Path: "/api/v1/track", Body: mustJSON(map[string]any{"number": fmt.Sprintf("4406042603029%05d", i), "code": "AAAAAAAA"}), Address: "127.0.0.77"},
				404, "not_found", "")
		}
		r = c.call(request{Method: "POST", Path: "/api/v1/track", Body: mustJSON(map[string]any{"number": number, "code": rc.Code}), Address: "127.0.0.77"}, 429)
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
		}

		// Every documented operation was exercised with success (the
		// analytics API by TestAnalyticsMatchOpenAPI, supervision, ratings
		// and complaints by TestSupervisionMatchOpenAPI).
		for path, item := range c.doc.Paths.Map() {
			if strings.HasPrefix(path, analyticsPrefix) || slices.Contains(supervisionPaths, path) {
				continue
			}
			for method, op := range item.Operations() {
				key := method + " " + path
				ok := false
				for st := range c.seen[key] {
					ok = ok || st < 300
				}
				if !ok {
					t.Errorf("%s (%s) was never called with success", key, op.OperationID)
				}
			}
		}
	})
}
