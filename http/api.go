package http

import (
	"context"
	_ "embed"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"onedoor"
	"onedoor/outbox"
	"onedoor/workflow"
)

//go:embed openapi.json
var openapiJSON []byte

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	m.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapiJSON)
	})
	// Public: the catalog and tracking.
	m.HandleFunc("GET /api/v1/matters", s.wrap(s.listMatters))
	m.HandleFunc("GET /api/v1/matters/{code}", s.wrap(s.getMatter))
	m.HandleFunc("GET /api/v1/bundles", s.wrap(s.listBundles))
	m.HandleFunc("GET /api/v1/bundles/{code}", s.wrap(s.getBundle))
	m.HandleFunc("POST /api/v1/track", s.wrap(s.trackCase))
	// Staff.
	m.HandleFunc("GET /api/v1/me", s.staff(s.me, anyStaff...))
	m.HandleFunc("POST /api/v1/applicants/lookup", s.staff(s.lookupApplicant, onedoor.RoleClerk))
	m.HandleFunc("POST /api/v1/intake", s.staff(s.intake, onedoor.RoleClerk))
	m.HandleFunc("GET /api/v1/cases", s.staff(s.listCases, onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor))
	m.HandleFunc("GET /api/v1/cases/{number}", s.staff(s.getCase, onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor))
	m.HandleFunc("POST /api/v1/cases/{number}/actions", s.staff(s.actOnCase, onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader))
	m.HandleFunc("POST /api/v1/bundle-cases/{bundle}/deliver", s.staff(s.deliverBundle, onedoor.RoleClerk))
	m.HandleFunc("GET /api/v1/licences/{number}", s.staff(s.getLicence, onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor))
	m.HandleFunc("GET /api/v1/outbox", s.staff(s.listOutbox, onedoor.RoleAdmin))
	m.HandleFunc("POST /api/v1/outbox/{id}/resend", s.staff(s.resendMessage, onedoor.RoleAdmin))
	// Supervision (电子监察), ratings (好差评) and complaints: the roles of their pages.
	m.HandleFunc("GET /api/v1/supervision/load", s.staff(s.supervisionLoad, analysts.roles...))
	m.HandleFunc("GET /api/v1/supervision/summary", s.staff(s.supervisionSummary, watchers.roles...))
	m.HandleFunc("GET /api/v1/cards", s.staff(s.listCards, cardRoles...))
	m.HandleFunc("GET /api/v1/cards/{id}", s.staff(s.getCard, cardRoles...))
	m.HandleFunc("POST /api/v1/cards/{id}/explain", s.staff(s.explainCard, deptStaff.roles...))
	m.HandleFunc("POST /api/v1/cards/{id}/close", s.staff(s.closeCard, watchers.roles...))
	m.HandleFunc("GET /api/v1/rectifications", s.staff(s.listRectifications, deptStaff.roles...))
	m.HandleFunc("POST /api/v1/rectifications/{id}/callback", s.staff(s.recordCallback, deptStaff.roles...))
	m.HandleFunc("POST /api/v1/rectifications/{id}/close", s.staff(s.closeRectification, deptStaff.roles...))
	m.HandleFunc("GET /api/v1/complaints", s.staff(s.listComplaints, deptStaff.roles...))
	m.HandleFunc("POST /api/v1/complaints/{id}/resolve", s.staff(s.resolveComplaint, deptStaff.roles...))
	m.HandleFunc("GET /api/v1/scorecards", s.staff(s.listScorecards, analysts.roles...))
	m.HandleFunc("/api/", s.wrap(s.noRoute))
	s.pageRoutes()
}

// noRoute answers 405 with Allow for a known path and another method, and
// 404 otherwise, in the API's JSON error shape.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return onedoor.Errorf(onedoor.EMETHOD, "%s is not allowed on %s; use %s.", r.Method, r.URL.Path, strings.Join(allow, " or "))
	}
	return onedoor.Errorf(onedoor.ENOTFOUND, "No API route %s %s.", r.Method, r.URL.Path)
}

var anyStaff = []onedoor.Role{onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor, onedoor.RoleAnalyst, onedoor.RoleAdmin}

type staffKey struct{}

// staff authenticates the bearer token and lets only the given roles in.
func (s *Server) staff(h handler, roles ...onedoor.Role) http.HandlerFunc {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return onedoor.Errorf(onedoor.EUNAUTHORIZED, "This call needs a staff token: Authorization: Bearer <token>.")
		}
		st, err := s.DB.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			return err
		}
		if !slices.Contains(roles, st.Role) {
			return onedoor.Errorf(onedoor.EFORBIDDEN, "The role %s may not %s %s.", st.Role, r.Method, r.URL.Path)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, st)))
	})
}

func staffOf(r *http.Request) *onedoor.Staff { return r.Context().Value(staffKey{}).(*onedoor.Staff) }

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, staffOf(r))
	return nil
}

// --- catalog ---

type matterSummary struct {
	Code          string              `json:"code"`
	Version       int                 `json:"version"`
	Name          onedoor.Text        `json:"name"`
	Department    string              `json:"department"`
	Subject       onedoor.SubjectType `json:"subject"`
	Kind          onedoor.Kind        `json:"kind"`
	PromisedLimit int                 `json:"promised_limit"`
}

func (s *Server) listMatters(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	cat := s.DB.Catalog()
	ms := cat.Latest()
	if t := strings.TrimSpace(q.Get("q")); t != "" {
		if len(t) > 100 {
			return onedoor.FieldErrorf("q", "The search text is longer than 100 bytes.")
		}
		ms = cat.Search(t)
	}
	subject := onedoor.SubjectType(q.Get("subject"))
	if subject != "" && subject != onedoor.Natural && subject != onedoor.Legal {
		return onedoor.FieldErrorf("subject", "The subject must be natural or legal.")
	}
	dept := q.Get("department")
	out := []matterSummary{}
	for _, m := range ms {
		if (subject != "" && m.Subject != subject) || (dept != "" && m.Department != dept) {
			continue
		}
		out = append(out, matterSummary{m.Code, m.Version, m.Name, m.Department, m.Subject, m.Kind, m.PromisedLimit})
	}
	writeJSON(w, 200, map[string]any{"matters": out, "count": len(out)})
	return nil
}

func (s *Server) getMatter(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	cat := s.DB.Catalog()
	m, ok := cat.Matter(code)
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return onedoor.FieldErrorf("version", "The version must be a whole number from 1.")
		}
		m, ok = cat.MatterVersion(code, n)
	}
	if !ok {
		return onedoor.Errorf(onedoor.ENOTFOUND, "No matter %q (of that version) exists.", code)
	}
	writeJSON(w, 200, m)
	return nil
}

func (s *Server) listBundles(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, map[string]any{"bundles": s.DB.Catalog().LatestBundles()})
	return nil
}

func (s *Server) getBundle(w http.ResponseWriter, r *http.Request) error {
	b, ok := s.DB.Catalog().Bundle(r.PathValue("code"))
	if !ok {
		return onedoor.Errorf(onedoor.ENOTFOUND, "No bundle %q exists.", r.PathValue("code"))
	}
	writeJSON(w, 200, b)
	return nil
}

// --- tracking ---

type trackRequest struct {
	Number string `json:"number"`
	Code   string `json:"code"`
}

func (s *Server) trackCase(w http.ResponseWriter, r *http.Request) error {
	ip := clientIP(r)
	if d := s.track.wait(ip); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		return onedoor.Errorf(onedoor.ETOOMANY, "Too many failed lookups from this address; try again in %d seconds.", int(math.Ceil(d.Seconds())))
	}
	var req trackRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	req.Number = strings.TrimSpace(req.Number)
	if len(req.Number) > 40 { // no case number is this long; keep such keys out of the limiter
		s.track.fail(ip)
		return onedoor.Errorf(onedoor.ENOTFOUND, "No case matches this number and verification code.")
	}
	if d := s.trackBy.wait(req.Number); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		return onedoor.Errorf(onedoor.ETOOMANY, "Too many failed lookups for this case number; try again in %d seconds.", int(math.Ceil(d.Seconds())))
	}
	t, err := s.DB.Track(r.Context(), req.Number, req.Code)
	if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
		s.track.fail(ip)
		s.trackBy.fail(req.Number)
	}
	if err != nil {
		return err
	}
	writeJSON(w, 200, t)
	return nil
}

// --- intake ---

type lookupRequest struct {
	Subject  onedoor.SubjectType `json:"subject"`
	IDNumber string              `json:"id_number,omitempty"`
	USCC     string              `json:"uscc,omitempty"`
}

type lookupResponse struct {
	Person   *onedoor.Person   `json:"person,omitempty"`
	Org      *onedoor.Org      `json:"org,omitempty"`
	Licences []onedoor.Licence `json:"licences"`
	Cases    []*onedoor.Case   `json:"open_cases"`
}

// lookupApplicant is the window's first step: who is this, what does the
// registry already hold for them, what is open.
func (s *Server) lookupApplicant(w http.ResponseWriter, r *http.Request) error {
	var req lookupRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	resp := lookupResponse{Licences: []onedoor.Licence{}, Cases: []*onedoor.Case{}}
	var holder int64
	switch req.Subject {
	case onedoor.Natural:
		p, err := s.DB.FindPersonByIDNumber(r.Context(), req.IDNumber)
		if err != nil {
			return err
		}
		resp.Person, holder = p, p.ID
	case onedoor.Legal:
		if _, err := onedoor.ParseUSCC("uscc", req.USCC, true); err != nil {
			return err
		}
		o, err := s.DB.FindOrgByUSCC(r.Context(), req.USCC)
		if err != nil {
			return err
		}
		resp.Org, holder = o, o.ID
	default:
		return onedoor.FieldErrorf("subject", "The subject must be natural or legal.")
	}
	ls, err := s.DB.FindLicences(r.Context(), req.Subject, holder)
	if err != nil {
		return err
	}
	resp.Licences = append(resp.Licences, ls...)
	cs, err := s.DB.FindCases(r.Context(), onedoor.CaseFilter{Subject: req.Subject, ApplicantID: holder, Open: true})
	if err != nil {
		return err
	}
	resp.Cases = append(resp.Cases, cs...)
	writeJSON(w, 200, resp)
	return nil
}

func (s *Server) intake(w http.ResponseWriter, r *http.Request) error {
	var req onedoor.IntakeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	req.Actor = staffOf(r).Actor()
	rc, err := s.DB.Intake(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rc)
	return nil
}

// --- cases ---

// maySee reports whether st may see case c: officers and leaders only
// cases whose matter runs through their department.
func (s *Server) maySee(st *onedoor.Staff, c *onedoor.Case) bool {
	if st.Role != onedoor.RoleOfficer && st.Role != onedoor.RoleLeader {
		return true
	}
	m, err := s.DB.MatterVersion(c.Matter, c.MatterVersion)
	if err != nil {
		return false
	}
	if m.Department == st.Department {
		return true
	}
	for _, step := range m.Steps {
		if step.Department == st.Department {
			return true
		}
	}
	return false
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	st := staffOf(r)
	q := r.URL.Query()
	f := onedoor.CaseFilter{Department: q.Get("department"), Matter: q.Get("matter"), Open: q.Get("open") != "false"}
	if st.Role == onedoor.RoleOfficer || st.Role == onedoor.RoleLeader {
		if f.Department != "" && f.Department != st.Department {
			return onedoor.Errorf(onedoor.EFORBIDDEN, "You see the cases of your own department (%s) only.", st.Department)
		}
		f.Department = st.Department
	}
	for _, v := range q["status"] {
		st := onedoor.Status(v)
		if !st.Valid() {
			return onedoor.FieldErrorf("status", "Unknown status %q; use received, in_progress, supplement, suspended, approved, completed, delivered or rejected.", v)
		}
		f.Status = append(f.Status, st)
	}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), "limit", 100, 1, 500); err != nil {
		return err
	}
	if f.Offset, err = intParam(q.Get("offset"), "offset", 0, 0, math.MaxInt32); err != nil {
		return err
	}
	cs, err := s.DB.FindCases(r.Context(), f)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*onedoor.Case{}
	}
	writeJSON(w, 200, map[string]any{"cases": cs})
	return nil
}

func intParam(v, field string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, onedoor.FieldErrorf(field, "The %s must be a whole number from %d to %d.", field, lo, hi)
	}
	return n, nil
}

type caseDetail struct {
	Case     *onedoor.Case     `json:"case"`
	Matter   *onedoor.Matter   `json:"matter"`
	Events   []onedoor.Event   `json:"events"`
	Allowed  []onedoor.Action  `json:"allowed"`
	Tracking *onedoor.Tracking `json:"tracking"`
}

// findVisibleCase returns the case if st may see it; otherwise the same
// not-found as for a case that does not exist.
func (s *Server) findVisibleCase(r *http.Request, number string) (*onedoor.Case, error) {
	c, err := s.DB.FindCase(r.Context(), number)
	if err != nil {
		return nil, err
	}
	if !s.maySee(staffOf(r), c) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No case with number %q exists.", number)
	}
	return c, nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	c, err := s.findVisibleCase(r, r.PathValue("number"))
	if err != nil {
		return err
	}
	st := staffOf(r)
	m, err := s.DB.MatterVersion(c.Matter, c.MatterVersion)
	if err != nil {
		return err
	}
	evs, err := s.DB.Events(r.Context(), c.ID)
	if err != nil {
		return err
	}
	t, err := s.DB.Tracking(r.Context(), c)
	if err != nil {
		return err
	}
	allowed := workflow.Allowed(*c, m, st.Actor())
	if allowed == nil {
		allowed = []onedoor.Action{}
	}
	writeJSON(w, 200, caseDetail{Case: c, Matter: m, Events: evs, Allowed: allowed, Tracking: t})
	return nil
}

// actionRequest is the body of a case action; the actor comes from the token.
type actionRequest struct {
	Action     onedoor.Action  `json:"action"`
	Reason     string          `json:"reason,omitempty"`
	Note       string          `json:"note,omitempty"`
	Materials  []string        `json:"materials,omitempty"`
	Days       int             `json:"days,omitempty"`
	Approver   string          `json:"approver,omitempty"`
	Channel    onedoor.Channel `json:"channel,omitempty"`
	TrackingNo string          `json:"tracking_no,omitempty"`
}

func (a actionRequest) command(st *onedoor.Staff) (onedoor.Command, error) {
	switch a.Action {
	case onedoor.ActionSupply, onedoor.ActionApprove, onedoor.ActionReturn, onedoor.ActionRequestSupplement, onedoor.ActionSuspend,
		onedoor.ActionResume, onedoor.ActionExtend, onedoor.ActionReject, onedoor.ActionComplete, onedoor.ActionDeliver:
	case "":
		return onedoor.Command{}, onedoor.FieldErrorf("action", "The action is required.")
	default:
		return onedoor.Command{}, onedoor.FieldErrorf("action", "Unknown action %q.", a.Action)
	}
	if len(a.Materials) > 100 {
		return onedoor.Command{}, onedoor.FieldErrorf("materials", "At most 100 materials may be named.")
	}
	return onedoor.Command{Action: a.Action, Actor: st.Actor(), Reason: a.Reason, Note: a.Note, Materials: a.Materials,
		Days: a.Days, Approver: a.Approver, Channel: a.Channel, TrackingNo: a.TrackingNo}, nil
}

func (s *Server) actOnCase(w http.ResponseWriter, r *http.Request) error {
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	st := staffOf(r)
	cmd, err := req.command(st)
	if err != nil {
		return err
	}
	c, err := s.findVisibleCase(r, r.PathValue("number"))
	if err != nil {
		return err
	}
	c, err = s.DB.Act(r.Context(), c.Number, cmd)
	if err != nil {
		return err
	}
	writeJSON(w, 200, c)
	return nil
}

func (s *Server) deliverBundle(w http.ResponseWriter, r *http.Request) error {
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	req.Action = onedoor.ActionDeliver
	cmd, err := req.command(staffOf(r))
	if err != nil {
		return err
	}
	cs, err := s.DB.DeliverBundle(r.Context(), r.PathValue("bundle"), cmd)
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"cases": cs})
	return nil
}

func (s *Server) getLicence(w http.ResponseWriter, r *http.Request) error {
	l, err := s.DB.FindLicence(r.Context(), r.PathValue("number"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"licence": l, "signature_valid": s.DB.VerifyLicence(l)})
	return nil
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "sent", "dead":
	default:
		return onedoor.FieldErrorf("status", "The status must be pending, sent or dead.")
	}
	ms, err := s.DB.Outbox().Messages(r.Context(), status, 200)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []outbox.Message{}
	}
	writeJSON(w, 200, map[string]any{"messages": ms})
	return nil
}

func (s *Server) resendMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return onedoor.FieldErrorf("id", "The message id must be a positive whole number.")
	}
	if err := s.DB.Outbox().Resend(r.Context(), id); err != nil {
		return err
	}
	writeJSON(w, 200, map[string]any{"resent": id})
	return nil
}
