package http

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"onedoor"
	"onedoor/sqldb"
)

// TestCSRF: every state-changing form needs the session's token; a
// missing or wrong token, or a cross-site origin, is refused and changes
// nothing.
func TestCSRF(t *testing.T) {
	e := newWebEnv(t)
	clerk := e.agent(t).login("clerk")
	number, _ := clerk.intake(idNumber("440604", "19800101", 1), "张三", "13800000003", "HRSS-010", url.Values{"material": {"photo"}})
	off := e.agent(t).login("officer.hrss")
	off.get("/cases/" + number).want(200)
	good := off.token()
	if good == "" {
		t.Fatal("the case page carries no CSRF token")
	}

	approve := url.Values{"action": {"approve"}}
	off.postRaw("/cases/"+number+"/act", approve).want(403).see("表单已过期")
	bad := cloneValues(approve)
	bad.Set("csrf", strings.Repeat("A", len(good)))
	off.postRaw("/cases/"+number+"/act", bad).want(403)
	// Another session's token is no good either.
	other := e.agent(t).login("leader.hrss")
	other.get("/cases/" + number)
	stolen := cloneValues(approve)
	stolen.Set("csrf", other.token())
	off.postRaw("/cases/"+number+"/act", stolen).want(403)
	// The right token from another site's page.
	cross := cloneValues(approve)
	cross.Set("csrf", good)
	req, _ := http.NewRequest("POST", e.srv.URL+"/cases/"+number+"/act", strings.NewReader(cross.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	off.do(req).want(403)
	off.get("/cases/" + number).see("信息核验").notSee("已执行")
	c, _ := e.db.FindCase(context.Background(), number)
	if c.Step != 0 || c.Version != 1 {
		t.Fatalf("a refused form changed the case: step %d, version %d", c.Step, c.Version)
	}
	// With the token it works.
	off.post("/cases/"+number+"/act", approve).want(303)

	// Login forms are protected too (login CSRF), by the anonymous token.
	anon := e.agent(t)
	anon.get("/login")
	anon.postRaw("/login", url.Values{"username": {"clerk"}, "password": {testPassword}}).want(403)
	anon.postRaw("/my/login", url.Values{"id_number": {"x"}}).want(403)
	// Logout is a form too: without the token the session lives on.
	off.postRaw("/logout", nil).want(403)
	off.get("/inbox").want(200)
}

// TestSessionFixation: a session id planted before login is worthless
// after it, every login gets a new id, and logout ends the session on
// the server.
func TestSessionFixation(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		ctx := context.Background()
		a := e.agent(t)
		a.setCookie(sessionCookie, "planted-by-an-attacker-000000000000000000000")
		a.login("clerk")
		first := a.cookie(sessionCookie)
		if first == "" || first == "planted-by-an-attacker-000000000000000000000" {
			t.Fatalf("the session id was not replaced at login: %q", first)
		}
		if _, err := e.db.FindSession(ctx, "planted-by-an-attacker-000000000000000000000"); err == nil {
			t.Fatal("the planted id opens a session")
		}

		// A live earlier session (say, of the previous clerk at this counter)
		// is ended and replaced by the next login in the same browser.
		a.get("/window").want(200)
		a.login("officer.hrss")
		second := a.cookie(sessionCookie)
		if second == first {
			t.Fatal("the session id did not change at login")
		}
		replay := e.agent(t)
		replay.setCookie(sessionCookie, first)
		replay.get("/window").want(303)
		if !strings.HasPrefix(replay.loc, "/login") {
			t.Fatalf("an old session id still works: %d %s", replay.status, replay.loc)
		}
		// Logged out on the server, not only in the browser.
		a.get("/inbox").want(200)
		a.post("/logout", nil).want(303)
		if _, err := e.db.FindSession(ctx, second); onedoor.ErrorCode(err) != onedoor.EUNAUTHORIZED {
			t.Fatalf("the session survived logout: %v", err)
		}

		// Residents get a new id at sign-in too.
		r := e.agent(t)
		r.setCookie(sessionCookie, "planted-resident-0000000000000000000000000000")
		r.residentLogin(idNumber("440604", "19700101", 5), "赵六", "13800000005")
		if got := r.cookie(sessionCookie); got == "" || strings.HasPrefix(got, "planted") {
			t.Fatalf("resident session id not replaced: %q", got)
		}

		// The cookie: HttpOnly, SameSite=Lax, Secure under TLS; the store
		// keeps only a hash of the id.
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "https://onedoor.example/", nil)
		req.TLS = &tls.ConnectionState{}
		setSessionCookie(rec, req, &sqldb.Session{ID: "x"})
		ck := rec.Result().Cookies()[0]
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Fatalf("session cookie flags: %+v", ck)
		}
		var n int
		if err := e.db.RawRead().QueryRow(`SELECT COUNT(*) FROM sessions WHERE id_hash = $1`, r.cookie(sessionCookie)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the session id is stored in clear (%d rows, %v)", n, err)
		}
	})
}

// TestLoginThrottle: repeated wrong passwords lock the username, many
// failures from one address lock the address, and both unlock after the
// window; one-time codes allow a few wrong tries only.
func TestLoginThrottle(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		a := e.agent(t)
		a.get("/login")
		for i := 0; i < 5; i++ {
			a.post("/login", url.Values{"username": {"clerk"}, "password": {"wrong password " + string(rune('a'+i))}}).want(401).see("用户名或密码错误")
		}
		a.post("/login", url.Values{"username": {"clerk"}, "password": {testPassword}}).want(429).see("登录失败次数过多")
		// An unknown username gets the same answer as a wrong password.
		a.post("/login", url.Values{"username": {"nobody"}, "password": {"whatever it is"}}).want(401).see("用户名或密码错误")
		// Other accounts from this address still sign in.
		e.agent(t).login("officer.hrss")
		// After the window, the right password works again.
		e.clock.Set("2026-03-02 09:16")
		e.agent(t).login("clerk")

		// Twenty failures from one address lock it for every username.
		b := e.agent(t)
		b.get("/login")
		for i := 0; i < 20; i++ {
			b.post("/login", url.Values{"username": {"guess" + string(rune('a'+i))}, "password": {"wrong"}})
		}
		b.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}}).want(429)

		// Tokens are throttled by address as well.
		b.post("/login", url.Values{"token": {"od_guess"}}).want(429)

		// A one-time code: five wrong tries spend it.
		e.clock.Set("2026-03-02 10:00")
		r := e.agent(t)
		id := idNumber("440604", "19750505", 9)
		r.get("/my/login")
		r.post("/my/login", url.Values{"id_number": {id}, "name": {"钱七"}, "phone": {"13800000009"}}).want(200)
		challenge := r.match(`name="challenge" value="([^"]+)"`)
		code := e.logs.lastCode(t)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := 0; i < 5; i++ {
			r.post("/my/verify", url.Values{"challenge": {challenge}, "code": {wrong}}).want(401).see("验证码错误")
		}
		r.post("/my/verify", url.Values{"challenge": {challenge}, "code": {code}}).want(401)
		// And codes cannot be requested without end.
		for i := 0; i < 4; i++ {
			r.post("/my/login", url.Values{"id_number": {id}, "name": {"钱七"}, "phone": {"13800000009"}}).want(200)
		}
		r.post("/my/login", url.Values{"id_number": {id}, "name": {"钱七"}, "phone": {"13800000009"}}).want(429)
	})
}

// TestResidentPhoneMismatch: a known person's ID number with another
// phone number gets the same answer, and no code is sent.
func TestResidentPhoneMismatch(t *testing.T) {
	e := newWebEnv(t)
	id := idNumber("440604", "19900101", 31)
	clerk := e.agent(t).login("clerk")
	clerk.intake(id, "孙八", "13800000031", "HRSS-010", url.Values{"material": {"photo"}})
	before := strings.Count(e.logs.String(), "simulated SMS")
	r := e.agent(t)
	r.get("/my/login")
	r.post("/my/login", url.Values{"id_number": {id}, "phone": {"13900000000"}}).want(200).see("139****0000")
	if strings.Count(e.logs.String(), "simulated SMS") != before {
		t.Fatal("a code was sent to a phone number that is not on record")
	}
	r.post("/my/verify", url.Values{"challenge": {r.match(`name="challenge" value="([^"]+)"`)}, "code": {"123456"}}).want(401)
}

const xss = `<script>alert("x")</script>"><img src=x onerror=alert(1)>`

// noScript fails if the page carries the payload as markup.
func (a *agent) noScript() *agent {
	a.t.Helper()
	for _, raw := range []string{`<script>alert`, `<img src=x`} {
		if strings.Contains(a.last, raw) {
			a.t.Fatalf("the page carries injected markup %q", raw)
		}
	}
	return a
}

// TestEscaping: script typed into every free-text field — names, reasons,
// notes, the commitment, search and login fields — is shown as text.
func TestEscaping(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		esc := "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"

		// A staff name, on the staff list and in the header of its pages.
		admin := e.agent(t).login("admin")
		admin.get("/admin/staff")
		admin.post("/admin/staff", url.Values{"username": {"evil"}, "name": {xss}, "role": {"officer"}, "department": {"hrss"}, "password": {testPassword}}).want(200).see(esc).noScript()
		evil := e.agent(t).login("evil")
		evil.get("/inbox").want(200).see(esc).noScript()

		// An applicant's name and commitment, at the window and on the case.
		clerk := e.agent(t).login("clerk")
		id := idNumber("440604", "19880808", 42)
		number, code := clerk.intake(id, xss, "13800000042", "HRSS-010", url.Values{"tolerate": {"on"}, "commitment": {xss}})
		clerk.noScript()
		clerk.get("/cases/" + number).want(200).see(esc).noScript()
		clerk.post("/cases/"+number+"/unmask", url.Values{"reason": {xss}}).want(200).see(esc).noScript()

		// Notes and reasons, on the case page and the public tracking page.
		evil.get("/cases/" + number).want(200)
		evil.post("/cases/"+number+"/act", url.Values{"action": {"approve"}, "note": {xss}}).want(303).follow().see(esc).noScript()
		evil.post("/cases/"+number+"/act", url.Values{"action": {"request_supplement"}, "material": {"photo"}, "reason": {xss}}).want(303).follow().see(esc).noScript()
		e.agent(t).get("/track?number=" + number + "&code=" + code).want(200).see(esc).noScript().notSee("&lt;img src=x onerror=alert(1)&gt;" + "x")

		// The resident's own pages: the access log shows the unmasking reason.
		r := e.agent(t).residentLogin(id, "", "13800000042")
		r.follow().noScript()
		r.get("/my/access").want(200).see(esc).noScript()

		// Echoed inputs: search text and the login username.
		e.agent(t).get("/matters?q=" + url.QueryEscape(xss)).noScript()
		anon := e.agent(t)
		anon.get("/login")
		anon.post("/login", url.Values{"username": {xss}, "password": {"x"}}).noScript()
		e.agent(t).get("/track?number=" + url.QueryEscape(xss) + "&code=x").noScript()
	})
}

// TestPageHeaders: pages forbid framing and foreign scripts, and are not
// cached.
func TestPageHeaders(t *testing.T) {
	e := newWebEnv(t)
	a := e.agent(t).get("/").want(200)
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP = %q", csp)
	}
	if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", a.header)
	}
	// Redirects stay on the site.
	a.get("/lang/en?next=//evil.example/").want(303)
	if a.loc != "/" {
		t.Fatalf("open redirect to %q", a.loc)
	}
	a.get("/login?next=https://evil.example/")
	a.post("/login", url.Values{"username": {"clerk"}, "password": {testPassword}, "next": {"https://evil.example/"}}).want(303)
	if a.loc != "/staff" {
		t.Fatalf("login redirected to %q", a.loc)
	}
}
