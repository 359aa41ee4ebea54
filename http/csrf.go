package http

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"onedoor"
	"onedoor/sqldb"
)

// csrfCookie holds the token of a browser without a session (the login
// forms), checked as a double submit; a session has its own token in the
// store.
const csrfCookie = "od_csrf"

// maxForm bounds a form body; a catalog import is the largest.
const maxForm = 4 << 20

// csrfToken is the token every form of the page carries: the session's, or
// the anonymous browser's cookie, set here when it has none yet.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request, sess *sqldb.Session) string {
	if sess != nil {
		return sess.CSRF
	}
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return tok
}

// checkCSRF refuses a state-changing request that did not come from one of
// our own forms: a cross-site Origin, or a missing or wrong token.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, v *view) error {
	refuse := webErr(onedoor.EFORBIDDEN, "err.csrf")
	// Browsers send "Origin: null" where the referrer policy or a privacy
	// setting hides it; the token still decides then.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return refuse
		}
	} else if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return refuse
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	var tok string
	if ct := r.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		if err := r.ParseMultipartForm(maxForm); err != nil {
			return fieldErr("body", "err.form")
		}
	} else if err := r.ParseForm(); err != nil {
		return fieldErr("body", "err.form")
	}
	tok = r.PostFormValue("csrf")
	if tok == "" || v.CSRF == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(v.CSRF)) != 1 {
		return refuse
	}
	return nil
}
