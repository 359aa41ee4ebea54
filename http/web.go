package http

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/pii"
	"onedoor/sqldb"
)

// The pages: server-rendered html/template, one layout, everything
// embedded (no CDN), usable without JavaScript.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// templates parses the layout and the partials with each page, once. A
// template that does not parse is a build defect; the tests render every
// page.
var templates = sync.OnceValue(func() map[string]*template.Template {
	out := map[string]*template.Template{}
	shared := []string{"templates/layout.html", "templates/partials.html"}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		if slices.Contains(shared, n) {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, append(slices.Clone(shared), n)...))
		out[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return out
})

// funcs are the template helpers that need no language; those that do are
// methods of view.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"join": func(sep string, xs []string) string {
		return strings.Join(xs, sep)
	},
	"list":    func(xs ...string) []string { return xs },
	"mask":    pii.MaskName,
	"purpose": purposeKey,
	// dict builds the argument map of a partial: dict "V" . "L" .Left.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: keys must be strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}

// view is what every page template gets: the language, the signed-in
// person, the CSRF token, and the page's own data.
type view struct {
	s       *Server
	r       *http.Request
	Lang    string
	Title   string
	Nav     string // which menu item is current
	Staff   *onedoor.Staff
	Person  *onedoor.Person // a signed-in resident
	Session *sqldb.Session
	CSRF    string
	Err     *pageError
	Notice  string
	Data    any
	// subject is who an analytics page counts: residents or enterprises.
	subject onedoor.SubjectType
}

// pageError is an error as a page shows it.
type pageError struct {
	Status  int
	Code    string
	Title   string
	Message string
	Field   string
}

// T translates a message key.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

// Tx picks the page's language of a two-language text.
func (v *view) Tx(t onedoor.Text) string { return text(v.Lang, t) }

// Time formats an instant in China Standard Time.
func (v *view) Time(t time.Time) string { return formatTime(v.Lang, t) }

// TimePtr formats an optional instant.
func (v *view) TimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(v.Lang, *t)
}

// Day formats a YYYY-MM-DD date.
func (v *view) Day(d string) string { return formatDay(v.Lang, d) }

// Yuan formats a fee.
func (v *view) Yuan(fen int64) string { return yuan(v.Lang, fen) }

// Dept names a department.
func (v *view) Dept(code string) string {
	if code == "" {
		return ""
	}
	if d, ok := v.s.DB.Catalog().Department(code); ok {
		return v.Tx(d.Name)
	}
	return code
}

// LicenceType names an e-licence type.
func (v *view) LicenceType(code string) string {
	if lt, ok := v.s.DB.Catalog().LicenceType(code); ok {
		return v.Tx(lt.Name)
	}
	return code
}

// MatterName names a matter by code (latest version).
func (v *view) MatterName(code string) string {
	if m, ok := v.s.DB.Catalog().Matter(code); ok {
		return v.Tx(m.Name)
	}
	return code
}

// Status words a case status for staff.
func (v *view) Status(s onedoor.Status) string { return v.T("status." + string(s)) }

// Role words a staff role.
func (v *view) Role(r onedoor.Role) string { return v.T("role." + string(r)) }

// FieldLabel names an input field for an error message.
func (v *view) FieldLabel(field string) string {
	if msg, ok := messages()[v.Lang]["field."+field]; ok {
		return msg
	}
	// Numbered fields of a repeated group: attr2 is "Attribute 2".
	if base := strings.TrimRight(field, "0123456789"); base != field && base != "" {
		if msg, ok := messages()[v.Lang]["field."+base]; ok {
			return msg + " " + field[len(base):]
		}
	}
	return field
}

// Path is the current path with its query, for the language switch.
func (v *view) Path() string { return v.r.URL.RequestURI() }

// Has reports whether the signed-in member of staff has one of the roles.
func (v *view) Has(roles ...string) bool {
	if v.Staff == nil {
		return false
	}
	return slices.Contains(roles, string(v.Staff.Role))
}

// pageHandler is a page route; errors become error pages in one place.
type pageHandler func(w http.ResponseWriter, r *http.Request, v *view) error

// access says who may open a page.
type access struct {
	resident bool           // a signed-in resident
	roles    []onedoor.Role // staff roles; nil with resident false means public
}

var (
	public        = access{}
	residents     = access{resident: true}
	clerks        = access{roles: []onedoor.Role{onedoor.RoleClerk}}
	deptStaff     = access{roles: []onedoor.Role{onedoor.RoleOfficer, onedoor.RoleLeader}}
	caseStaff     = access{roles: []onedoor.Role{onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor}}
	actors        = access{roles: []onedoor.Role{onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader}}
	watchers      = access{roles: []onedoor.Role{onedoor.RoleSupervisor}}
	analysts      = access{roles: []onedoor.Role{onedoor.RoleAnalyst, onedoor.RoleSupervisor}}
	dashReaders   = access{roles: analyticsRoles}
	peopleReaders = access{roles: peopleRoles}
	admins        = access{roles: []onedoor.Role{onedoor.RoleAdmin}}
	everyStaff    = access{roles: anyStaff}
)

// page wraps a page handler: security headers, the session, the language,
// the CSRF check on every POST, and the access rule, decided on the server
// for every request.
func (s *Server) page(a access, h pageHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w)
		v := &view{s: s, r: r, Lang: langOf(r)}
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sess, err := s.DB.FindSession(r.Context(), c.Value)
			switch {
			case err == nil:
				v.Session = sess
				v.Staff = sess.Staff
				if sess.Kind == sqldb.SessionResident {
					p, err := s.DB.FindPersonByID(r.Context(), sess.PersonID)
					if err != nil {
						s.pageError(w, r, v, err)
						return
					}
					v.Person = p
				}
			case onedoor.ErrorCode(err) == onedoor.EUNAUTHORIZED:
				clearSessionCookie(w, r)
			default:
				s.pageError(w, r, v, err)
				return
			}
		}
		v.CSRF = s.csrfToken(w, r, v.Session)
		if r.Method == http.MethodPost {
			if err := s.checkCSRF(w, r, v); err != nil {
				s.pageError(w, r, v, err)
				return
			}
		}
		switch {
		case a.resident && v.Person == nil:
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/my/login?next="+urlQuery(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.pageError(w, r, v, webErr(onedoor.EUNAUTHORIZED, "err.signin"))
			return
		case a.roles != nil && v.Staff == nil:
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQuery(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.pageError(w, r, v, webErr(onedoor.EUNAUTHORIZED, "err.signin"))
			return
		case a.roles != nil && !slices.Contains(a.roles, v.Staff.Role):
			s.pageError(w, r, v, webErr(onedoor.EFORBIDDEN, "err.role", v.Role(v.Staff.Role)))
			return
		}
		if err := h(w, r, v); err != nil {
			s.pageError(w, r, v, err)
		}
	}
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	// Pages send their origin (not their address) to themselves, so that
	// forms carry an Origin header the CSRF check can compare; other sites
	// get no referrer at all, so tracking links with codes never leak.
	h.Set("Referrer-Policy", "same-origin")
}

// webError is an error whose message is a message key, so that pages can
// word it in the reader's language.
type webError struct {
	code  string
	field string
	key   string
	args  []any
}

func (e *webError) Error() string { return "http: " + e.code + ": " + e.key }

func webErr(code, key string, args ...any) error { return &webError{code: code, key: key, args: args} }

func fieldErr(field, key string, args ...any) error {
	return &webError{code: onedoor.EINVALID, field: field, key: key, args: args}
}

// asPageError words err for a page: our own errors from the catalogs,
// errors of the domain with a translated headline and their message.
func (v *view) asPageError(err error) *pageError {
	var we *webError
	pe := &pageError{}
	if errors.As(err, &we) {
		pe.Code, pe.Field, pe.Message = we.code, we.field, v.T(we.key, we.args...)
	} else {
		pe.Code, pe.Field, pe.Message = onedoor.ErrorCode(err), onedoor.ErrorField(err), domainMessage(v.Lang, err)
		if pe.Code == onedoor.EINTERNAL {
			pe.Message = v.T("err.internal.detail")
		}
	}
	pe.Status = statusOf[pe.Code]
	if pe.Status == 0 {
		pe.Status = http.StatusInternalServerError
	}
	pe.Title = v.T("err." + pe.Code)
	return pe
}

// pageError renders err as an error page with its status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if onedoor.ErrorCode(err) == onedoor.EINTERNAL {
		var we *webError
		if !errors.As(err, &we) {
			s.Log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	v.Err = v.asPageError(err)
	v.Title = v.Err.Title
	s.render(w, v.Err.Status, "error", v)
}

// render executes a page template into a buffer, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, v *view) {
	t, ok := templates()[name]
	if !ok {
		s.Log.Error("no such page template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.Log.Error("render page", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// show renders a page with status 200.
func (s *Server) show(w http.ResponseWriter, name string, v *view) error {
	s.render(w, http.StatusOK, name, v)
	return nil
}

// showErr renders a page with an error banner (a form shown again with
// what went wrong) and the error's status.
func (s *Server) showErr(w http.ResponseWriter, name string, v *view, err error) error {
	if onedoor.ErrorCode(err) == onedoor.EINTERNAL {
		var we *webError
		if !errors.As(err, &we) {
			return err
		}
	}
	v.Err = v.asPageError(err)
	s.render(w, v.Err.Status, name, v)
	return nil
}

func urlQuery(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "?", "%3F", "=", "%3D")
	return r.Replace(s)
}

// today is the store's date in China Standard Time.
func (s *Server) today() time.Time {
	t := s.DB.Now().In(calendar.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Location)
}

// serveAssets serves the embedded styles and script, cacheable for a day.
func serveAssets() http.Handler {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
}

// pageRoutes registers the pages. Every route names who may open it; the
// role × route matrix test walks this table.
func (s *Server) pageRoutes() {
	// Pages are registered from tables, never as literal patterns: the
	// OpenAPI test takes every literal pattern of the package for an API
	// route.
	for pattern, h := range map[string]http.Handler{"GET /assets/": serveAssets(), "GET /lang/{lang}": http.HandlerFunc(s.switchLang)} {
		s.mux.Handle(pattern, h)
	}
	for _, rt := range s.pageTable() {
		s.mux.HandleFunc(rt.pattern, s.page(rt.access, rt.h))
	}
}

// route is one page route and who may open it.
type route struct {
	pattern string
	access  access
	h       pageHandler
}

func (s *Server) pageTable() []route {
	return []route{
		// The public portal.
		{"GET /{$}", public, s.home},
		{"GET /matters", public, s.matters},
		{"GET /matters/{code}", public, s.guide},
		{"GET /bundles/{code}", public, s.bundleGuide},
		{"GET /track", public, s.trackPage},
		{"GET /track/rate", public, s.trackRate},
		// Open data, the tier open to everyone.
		{"GET /open", public, s.openIndex},
		{"GET /open/{name}", public, s.openDataset},
		{"POST /track/rate", public, s.trackRate},
		// Sign-in.
		{"GET /login", public, s.loginForm},
		{"POST /login", public, s.login},
		{"POST /logout", public, s.logout},
		{"GET /my/login", public, s.myLoginForm},
		{"POST /my/login", public, s.myLogin},
		{"POST /my/verify", public, s.myVerify},
		// Residents.
		{"GET /my", residents, s.myHome},
		{"GET /my/cases/{number}", residents, s.myCase},
		{"GET /my/access", residents, s.myAccess},
		{"GET /my/cases/{number}/rate", residents, s.myRate},
		{"POST /my/cases/{number}/rate", residents, s.myRate},
		{"GET /my/complaints", residents, s.myComplaints},
		{"POST /my/complaints", residents, s.myComplain},
		{"POST /my/complaints/{id}/answer", residents, s.myComplaintAnswer},
		{"GET /my/apply", residents, s.myApplyForm},
		{"POST /my/apply", residents, s.myApply},
		// Staff.
		{"GET /staff", everyStaff, s.staffHome},
		{"GET /account/password", everyStaff, s.passwordForm},
		{"POST /account/password", everyStaff, s.changePassword},
		// The window.
		{"GET /window", clerks, s.window},
		{"POST /window/identify", clerks, s.windowIdentify},
		{"POST /window/clear", clerks, s.windowClear},
		{"POST /window/unmask", clerks, s.windowUnmask},
		{"GET /window/apply", clerks, s.windowApplyForm},
		{"POST /window/intake", clerks, s.windowIntake},
		// Cases and the department workbench.
		{"GET /inbox", deptStaff, s.inbox},
		{"GET /cases/{number}", caseStaff, s.casePage},
		{"POST /cases/{number}/act", actors, s.caseAct},
		{"POST /cases/{number}/unmask", caseStaff, s.caseUnmask},
		// Supervision and aggregates.
		{"GET /supervision", watchers, s.supervision},
		{"GET /supervision/cards", watchers, s.cardsConsole},
		{"POST /supervision/cards/{id}/close", watchers, s.cardClose},
		{"GET /supervision/{dept}", watchers, s.supervisionDept},
		{"GET /cards", deptStaff, s.deptCards},
		{"POST /cards/{id}/explain", deptStaff, s.cardExplain},
		{"GET /rectifications", deptStaff, s.rectifications},
		{"POST /rectifications/{id}/callback", deptStaff, s.rectificationCallback},
		{"POST /rectifications/{id}/close", deptStaff, s.rectificationClose},
		{"GET /supervision/scorecard", analysts, s.scorecard},
		{"GET /complaints", deptStaff, s.deptComplaints},
		{"POST /complaints/{id}/resolve", deptStaff, s.complaintResolve},
		{"GET /analyst", analysts, s.analyst},
		// The analytics dashboards.
		{"GET /analytics", dashReaders, s.analyticsHome},
		{"GET /analytics/demand", dashReaders, s.dashPage("demand", s.dashDemand)},
		{"GET /analytics/communities", dashReaders, s.dashPage("communities", s.dashCommunities)},
		{"GET /analytics/beds", dashReaders, s.dashPage("beds", s.dashBeds)},
		{"GET /analytics/trends", dashReaders, s.dashPage("trends", s.dashTrends)},
		{"GET /analytics/crossmatch", dashReaders, s.dashPage("crossmatch", s.dashCross)},
		{"GET /analytics/whatif", dashReaders, s.dashPage("whatif", s.dashWhatIf)},
		{"POST /analytics/whatif/outreach", peopleReaders, s.whatIfOutreach},
		// Administration.
		{"GET /admin", admins, s.adminHome},
		{"GET /admin/staff", admins, s.adminStaff},
		{"POST /admin/staff", admins, s.adminCreateStaff},
		{"POST /admin/staff/{id}/password", admins, s.adminResetPassword},
		{"POST /admin/staff/{id}/disabled", admins, s.adminDisableStaff},
		{"GET /admin/catalog", admins, s.adminCatalog},
		{"GET /admin/catalog/import", admins, s.adminImportForm},
		{"POST /admin/catalog/import", admins, s.adminImport},
		{"GET /admin/catalog/{code}", admins, s.adminMatter},
		{"GET /admin/calendar", admins, s.adminCalendar},
		// Anything else.
		{"/", public, s.notFound},
	}
}
