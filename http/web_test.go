package http

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the PostgreSQL runs

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/pii"
	"onedoor/sqldb"
)

// webClock is the store's injectable clock for page tests.
type webClock struct{ t atomic.Pointer[time.Time] }

func (c *webClock) Now() time.Time { return *c.t.Load() }

func (c *webClock) Set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
	if err != nil {
		panic(err)
	}
	c.t.Store(&t)
}

// logBuffer collects the server log, where simulated text messages go.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var codeRE = regexp.MustCompile(`验证码为 (\d{6})`)

// lastCode is the one-time code of the latest simulated text message.
func (l *logBuffer) lastCode(t testing.TB) string {
	t.Helper()
	ms := codeRE.FindAllStringSubmatch(l.String(), -1)
	if len(ms) == 0 {
		t.Fatalf("no simulated SMS in the log:\n%s", l.String())
	}
	return ms[len(ms)-1][1]
}

// webEnv is a store behind the real server, wired the way cmd/onedoor
// does, with a staff account and password for every role.
type webEnv struct {
	db     *sqldb.DB
	srv    *httptest.Server
	clock  *webClock
	logs   *logBuffer
	staff  map[string]*onedoor.Staff // by username
	tokens map[string]string         // API tokens by username
}

// testPassword is every test account's password.
const testPassword = "correct horse battery"

// webAccounts: one per role, and officers of two departments, so that
// cross-department access can be tried. HRSS-010 (social security card)
// runs through hrss only.
var webAccounts = []onedoor.Staff{
	{Username: "clerk", Name: "窗口一号", Role: onedoor.RoleClerk},
	{Username: "officer.hrss", Name: "人社经办", Role: onedoor.RoleOfficer, Department: "hrss"},
	{Username: "leader.hrss", Name: "人社领导", Role: onedoor.RoleLeader, Department: "hrss"},
	{Username: "officer.psb", Name: "公安经办", Role: onedoor.RoleOfficer, Department: "psb"},
	{Username: "leader.psb", Name: "公安领导", Role: onedoor.RoleLeader, Department: "psb"},
	{Username: "supervisor", Name: "监察员", Role: onedoor.RoleSupervisor},
	{Username: "analyst", Name: "分析员", Role: onedoor.RoleAnalyst},
	{Username: "admin", Name: "管理员", Role: onedoor.RoleAdmin},
}

func newWebEnv(t testing.TB) *webEnv {
	t.Helper()
	return newWebEnvOn(t, filepath.Join(t.TempDir(), "onedoor.db"))
}

// forEachWebStore runs body on SQLite and, when ONEDOOR_TEST_POSTGRES
// names a server (scripts/test starts one), on a fresh PostgreSQL
// database: the web's own tables and queries on both engines.
func forEachWebStore(t *testing.T, body func(t *testing.T, e *webEnv)) {
	t.Run("sqlite", func(t *testing.T) { body(t, newWebEnv(t)) })
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("ONEDOOR_TEST_POSTGRES")
		if base == "" {
			t.Skip("ONEDOOR_TEST_POSTGRES is not set; scripts/test sets it")
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		name := fmt.Sprintf("onedoor_webtest_%d_%d", os.Getpid(), webDBSeq.Add(1))
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if a, err := sql.Open("pgx", base); err == nil {
				a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
				a.Close()
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		body(t, newWebEnvOn(t, u.String()))
	})
}

var webDBSeq atomic.Int64

func newWebEnvOn(t testing.TB, dsn string) *webEnv {
	t.Helper()
	ctx := context.Background()
	keys, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, sign, _ := ed25519.GenerateKey(rand.Reader)
	e := &webEnv{clock: &webClock{}, logs: &logBuffer{}, staff: map[string]*onedoor.Staff{}, tokens: map[string]string{}}
	e.clock.Set("2026-03-02 09:00") // a Monday, a working day
	e.db, err = sqldb.Open(ctx, sqldb.Config{DSN: dsn, Keys: keys, Sign: sign,
		Calendar: calendar.Official(), Catalog: catalog.Builtin(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	if _, err := e.db.ImportCatalog(ctx, catalog.Builtin()); err != nil {
		t.Fatal(err)
	}
	for _, s := range webAccounts {
		s := s
		tok, err := e.db.CreateStaff(ctx, &s)
		if err != nil {
			t.Fatalf("create %s: %v", s.Username, err)
		}
		if err := e.db.SetStaffPassword(ctx, s.ID, testPassword); err != nil {
			t.Fatal(err)
		}
		e.staff[s.Username], e.tokens[s.Username] = &s, tok
	}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	e.srv = httptest.NewServer(NewServer(e.db, log))
	t.Cleanup(e.srv.Close)
	return e
}

// idNumber makes a synthetic, valid resident ID number (GB 11643).
func idNumber(region, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	return first + string(onedoor.IDCheckChar(first))
}

// agent is one browser: its own cookies, no automatic redirects, and the
// last page it saw (forms take their CSRF token from it).
type agent struct {
	t      testing.TB
	e      *webEnv
	c      *http.Client
	last   string
	status int
	loc    string
	header http.Header
}

func (e *webEnv) agent(t testing.TB) *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{t: t, e: e, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *agent) do(req *http.Request) *agent {
	a.t.Helper()
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a.last, a.status, a.loc, a.header = string(b), resp.StatusCode, resp.Header.Get("Location"), resp.Header
	return a
}

// get fetches a page.
func (a *agent) get(path string) *agent {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.e.srv.URL+path, nil)
	return a.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token is the CSRF token of the last page.
func (a *agent) token() string {
	m := csrfRE.FindStringSubmatch(a.last)
	if m == nil {
		return ""
	}
	return m[1]
}

// post submits a form with the last page's CSRF token.
func (a *agent) post(path string, form url.Values) *agent {
	a.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", a.token())
	}
	return a.postRaw(path, form)
}

// postRaw submits a form as given (no token added).
func (a *agent) postRaw(path string, form url.Values) *agent {
	a.t.Helper()
	req, _ := http.NewRequest("POST", a.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(req)
}

// postMultipart submits a multipart form with files.
func (a *agent) postMultipart(path string, fields map[string]string, files map[string]string) *agent {
	a.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if _, ok := fields["csrf"]; !ok {
		mw.WriteField("csrf", a.token())
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, content := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", a.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return a.do(req)
}

// follow fetches the redirect target of the last response.
func (a *agent) follow() *agent {
	a.t.Helper()
	if a.status < 300 || a.status > 399 {
		a.t.Fatalf("expected a redirect, got %d:\n%s", a.status, truncateText(a.last, 2000))
	}
	return a.get(a.loc)
}

// want fails unless the last status is code.
func (a *agent) want(code int) *agent {
	a.t.Helper()
	if a.status != code {
		a.t.Fatalf("status %d, want %d (Location %q):\n%s", a.status, code, a.loc, truncateText(visible(a.last), 3000))
	}
	return a
}

// see fails unless the last page shows every text.
func (a *agent) see(texts ...string) *agent {
	a.t.Helper()
	for _, s := range texts {
		if !strings.Contains(a.last, s) {
			a.t.Fatalf("page does not show %q:\n%s", s, truncateText(visible(a.last), 4000))
		}
	}
	return a
}

// notSee fails if the last page shows any of the texts.
func (a *agent) notSee(texts ...string) *agent {
	a.t.Helper()
	for _, s := range texts {
		if strings.Contains(a.last, s) {
			a.t.Fatalf("page shows %q, which it must not", s)
		}
	}
	return a
}

func (a *agent) cookie(name string) string {
	u, _ := url.Parse(a.e.srv.URL)
	for _, c := range a.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (a *agent) setCookie(name, value string) {
	u, _ := url.Parse(a.e.srv.URL)
	a.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// login signs a member of staff in with their password.
func (a *agent) login(username string) *agent {
	a.t.Helper()
	a.get("/login").want(200)
	a.post("/login", url.Values{"username": {username}, "password": {testPassword}}).want(303)
	if a.loc != "/staff" {
		a.t.Fatalf("login of %s went to %q", username, a.loc)
	}
	return a
}

// residentLogin signs a resident in with a one-time code from the log.
func (a *agent) residentLogin(id, name, phone string) *agent {
	a.t.Helper()
	a.get("/my/login").want(200)
	a.post("/my/login", url.Values{"id_number": {id}, "name": {name}, "phone": {phone}}).want(200)
	a.see(pii.MaskPhone(phone))
	a.post("/my/verify", url.Values{"challenge": {a.match(`name="challenge" value="([^"]+)"`)}, "code": {a.e.logs.lastCode(a.t)}}).want(303)
	return a
}

// match returns the first group of re in the last page.
func (a *agent) match(re string) string {
	a.t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(a.last)
	if m == nil {
		a.t.Fatalf("page does not match %s:\n%s", re, truncateText(visible(a.last), 3000))
	}
	return m[1]
}

var tagRE = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)
var spaceRE = regexp.MustCompile(`\s+`)

// visible is the text of a page without its markup, for failure messages.
func visible(html string) string {
	return strings.TrimSpace(spaceRE.ReplaceAllString(tagRE.ReplaceAllString(html, " "), " "))
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// intake takes an application at the window for a new natural person and
// returns the case number and verification code from the receipt.
func (a *agent) intake(id, name, phone, matter string, form url.Values) (number, code string) {
	a.t.Helper()
	a.get("/window").want(200)
	a.post("/window/identify", url.Values{"subject": {"natural"}, "id_number": {id}, "name": {name}, "phone": {phone}}).want(303).follow().want(200)
	a.get("/window/apply?matter=" + matter).want(200)
	if form == nil {
		form = url.Values{}
	}
	form.Set("matter", matter)
	a.post("/window/intake", form).want(200).see("受理回执")
	return a.match(`class="caseno">(\d+)<`), a.match(`class="vcode">([A-Z0-9]+)<`)
}
