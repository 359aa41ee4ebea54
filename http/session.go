package http

import (
	"net/http"

	"onedoor"
	"onedoor/sqldb"
)

// sessionCookie carries the random session id; the store keeps its hash.
const sessionCookie = "od_session"

// setSessionCookie hands the browser a new session: HttpOnly (no script
// reads it), SameSite=Lax (not sent on cross-site posts), Secure under TLS,
// and without Max-Age, so that closing the browser at a shared counter
// ends it; the store ends it after idling too.
func setSessionCookie(w http.ResponseWriter, r *http.Request, s *sqldb.Session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.ID, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// oldSession is the session id the browser presents, to be ended by a login.
func oldSession(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

type loginData struct {
	Username string
	Next     string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, v *view) error {
	v.Title = v.T("login.title")
	v.Data = loginData{Next: localPath(r.URL.Query().Get("next"), "")}
	return s.show(w, "login", v)
}

// login checks the password and opens a new session under a new id: any
// session id the browser had before (planted or not) is ended, so a fixed
// id gains an attacker nothing.
func (s *Server) login(w http.ResponseWriter, r *http.Request, v *view) error {
	d := loginData{Username: r.PostFormValue("username"), Next: localPath(r.PostFormValue("next"), "")}
	v.Title, v.Data = v.T("login.title"), d
	var sess *sqldb.Session
	var err error
	if token := r.PostFormValue("token"); token != "" {
		sess, err = s.DB.StaffTokenLogin(r.Context(), token, clientIP(r), oldSession(r))
	} else {
		sess, err = s.DB.StaffLogin(r.Context(), d.Username, r.PostFormValue("password"), clientIP(r), oldSession(r))
	}
	switch onedoor.ErrorCode(err) {
	case "":
	case onedoor.EUNAUTHORIZED:
		return s.showErr(w, "login", v, webErr(onedoor.EUNAUTHORIZED, "login.failed"))
	case onedoor.ETOOMANY:
		return s.showErr(w, "login", v, webErr(onedoor.ETOOMANY, "login.throttled"))
	default:
		return err
	}
	setSessionCookie(w, r, sess)
	s.Log.Info("staff signed in", "staff", sess.Staff.ID, "role", sess.Staff.Role)
	if has, err := s.DB.StaffHasPassword(r.Context(), sess.Staff.ID); err != nil {
		return err
	} else if !has {
		http.Redirect(w, r, "/account/password", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, localPath(d.Next, "/staff"), http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if id := oldSession(r); id != "" {
		if err := s.DB.EndSession(r.Context(), id); err != nil {
			return err
		}
	}
	clearSessionCookie(w, r)
	next := "/"
	if v.Staff != nil {
		next = "/login"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// staffHome sends each role to its workplace.
func (s *Server) staffHome(w http.ResponseWriter, r *http.Request, v *view) error {
	to := map[onedoor.Role]string{
		onedoor.RoleClerk: "/window", onedoor.RoleOfficer: "/inbox", onedoor.RoleLeader: "/inbox",
		onedoor.RoleSupervisor: "/supervision", onedoor.RoleAnalyst: "/analytics", onedoor.RoleAdmin: "/admin",
	}[v.Staff.Role]
	if to == "" {
		return webErr(onedoor.EFORBIDDEN, "err.role", v.Role(v.Staff.Role))
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// passwordData says whether the account has a password yet; one that has
// none (signed in with its API token) sets its first without a current one.
type passwordData struct{ HasPassword bool }

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, v *view) error {
	has, err := s.DB.StaffHasPassword(r.Context(), v.Staff.ID)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("password.title"), passwordData{has}
	if !has {
		v.Notice = v.T("password.first")
	}
	return s.show(w, "password", v)
}

// changePassword needs the current password; every session of the account
// ends, and this browser gets a new one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, v *view) error {
	has, err := s.DB.StaffHasPassword(r.Context(), v.Staff.ID)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("password.title"), passwordData{has}
	next, confirm := r.PostFormValue("new"), r.PostFormValue("confirm")
	if next != confirm {
		return s.showErr(w, "password", v, fieldErr("confirm", "password.mismatch"))
	}
	if err := sqldb.CheckPassword("new", next); err != nil {
		return s.showErr(w, "password", v, fieldErr("new", "password.rule", sqldb.MinPassword))
	}
	sess, err := s.DB.ChangeStaffPassword(r.Context(), v.Session, r.PostFormValue("current"), next)
	if onedoor.ErrorCode(err) == onedoor.EINVALID {
		return s.showErr(w, "password", v, fieldErr("current", "password.wrong"))
	}
	if err != nil {
		return err
	}
	setSessionCookie(w, r, sess)
	v.Session, v.CSRF, v.Data = sess, sess.CSRF, passwordData{true}
	v.Notice = v.T("password.changed")
	return s.show(w, "password", v)
}
