package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/pii"
	"onedoor/sqldb"
	"onedoor/workflow"
)

// timeLeft is how much time a case has, in working days, as a class for
// colour and a text that says the same (never colour alone).
type timeLeft struct {
	Class string // ok, near, over, paused, done
	Days  int
	Key   string
}

// left computes the time left until due (YYYY-MM-DD) from today.
func (s *Server) left(c *onedoor.Case, due string) timeLeft {
	switch {
	case c.Status.Final() || c.Status == onedoor.StatusCompleted:
		return timeLeft{Class: "done", Key: "left.done"}
	case c.Status.Paused():
		return timeLeft{Class: "paused", Key: "left.paused"}
	case due == "":
		return timeLeft{Class: "ok", Key: "left.none"}
	}
	d, err := time.ParseInLocation(time.DateOnly, due, calendar.Location)
	if err != nil {
		return timeLeft{Class: "ok", Key: "left.none"}
	}
	today, cal := s.today(), s.DB.Calendar()
	switch {
	case d.Before(today):
		return timeLeft{Class: "over", Days: max(1, cal.WorkdaysBetween(d, today)), Key: "left.over"}
	case d.Equal(today):
		return timeLeft{Class: "near", Key: "left.today"}
	}
	n := cal.WorkdaysBetween(today, d)
	if n <= nearDueDays {
		return timeLeft{Class: "near", Days: n, Key: "left.days"}
	}
	return timeLeft{Class: "ok", Days: n, Key: "left.days"}
}

// Left words a timeLeft.
func (v *view) Left(t timeLeft) string {
	if t.Key == "left.days" || t.Key == "left.over" {
		return v.T(t.Key, t.Days)
	}
	return v.T(t.Key)
}

type caseRow struct {
	Case    *onedoor.Case
	Matter  *onedoor.Matter
	Step    *onedoor.Step
	Left    timeLeft // of the current step
	DueLeft timeLeft // of the whole case
}

func (s *Server) caseRows(cs []*onedoor.Case) []caseRow {
	out := make([]caseRow, 0, len(cs))
	for _, c := range cs {
		row := caseRow{Case: c}
		if m, err := s.DB.MatterVersion(c.Matter, c.MatterVersion); err == nil {
			row.Matter = m
			if c.Step < len(m.Steps) {
				row.Step = &m.Steps[c.Step]
			}
		}
		due := c.StepDue
		if due == "" {
			due = c.Due
		}
		row.Left, row.DueLeft = s.left(c, due), s.left(c, c.Due)
		out = append(out, row)
	}
	return out
}

type inboxData struct {
	Department string
	Status     string
	Matter     string
	Urgency    string
	Rows       []caseRow
	Matters    []*onedoor.Matter // matters with steps at the department, for the filter
	Page       int
	More       bool
}

const inboxPage = 100

// inbox is the department's work: open cases whose current step is at the
// department, most urgent first, with time left in working days.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := inboxData{Department: v.Staff.Department, Status: q.Get("status"), Matter: q.Get("matter"), Urgency: q.Get("urgency"), Page: 1}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p < 10000 {
		d.Page = p
	}
	f := onedoor.CaseFilter{Department: v.Staff.Department, Open: true, Matter: d.Matter, Limit: inboxPage + 1, Offset: (d.Page - 1) * inboxPage}
	switch onedoor.Status(d.Status) {
	case "":
	case onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended, onedoor.StatusApproved, onedoor.StatusCompleted:
		f.Status = []onedoor.Status{onedoor.Status(d.Status)}
	default:
		return fieldErr("status", "err.status")
	}
	cs, err := s.DB.FindCases(r.Context(), f)
	if err != nil {
		return err
	}
	if len(cs) > inboxPage {
		cs, d.More = cs[:inboxPage], true
	}
	for _, row := range s.caseRows(cs) {
		if d.Urgency == "" || row.Left.Class == d.Urgency {
			d.Rows = append(d.Rows, row)
		}
	}
	for _, m := range s.DB.Catalog().Latest() {
		if slices.ContainsFunc(m.Steps, func(st onedoor.Step) bool { return st.Department == d.Department }) {
			d.Matters = append(d.Matters, m)
		}
	}
	v.Title, v.Nav, v.Data = v.T("inbox.title"), "inbox", d
	return s.show(w, "inbox", v)
}

type caseData struct {
	Case      *onedoor.Case
	Matter    *onedoor.Matter
	Row       caseRow
	Events    []onedoor.Event
	Allowed   []onedoor.Action
	Applicant *applicantView
	Tracking  *onedoor.Tracking
	// Awaitable are the materials a clerk may record as handed in.
	Awaitable []string
	// ExtendRoom is how many working days an extension may still grant.
	ExtendRoom int
}

// Can reports whether action a is allowed now.
func (d *caseData) Can(a string) bool { return slices.Contains(d.Allowed, onedoor.Action(a)) }

// MaterialName names a material of the case's matter.
func (d *caseData) MaterialName(code string) onedoor.Text {
	if x, ok := d.Matter.Material(code); ok {
		return x.Name
	}
	return onedoor.Text{Zh: code, En: code}
}

// StepName names step i of the case's matter.
func (d *caseData) StepName(i int) onedoor.Text {
	if i >= 0 && i < len(d.Matter.Steps) {
		return d.Matter.Steps[i].Name
	}
	return onedoor.Text{}
}

// loadCase loads a case the member of staff may see, with everything the
// case page shows. Looking at it is an access to the applicant's data, and
// logged (once a day per member of staff and case).
func (s *Server) loadCase(r *http.Request, v *view, number string) (*caseData, error) {
	c, err := s.DB.FindCase(r.Context(), number)
	if err == nil && !s.maySee(v.Staff, c) {
		err = onedoor.Errorf(onedoor.ENOTFOUND, "hidden")
	}
	if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
		return nil, webErr(onedoor.ENOTFOUND, "err.case", number)
	}
	if err != nil {
		return nil, err
	}
	m, err := s.DB.MatterVersion(c.Matter, c.MatterVersion)
	if err != nil {
		return nil, err
	}
	d := &caseData{Case: c, Matter: m, Allowed: workflow.Allowed(*c, m, v.Staff.Actor())}
	d.Row = s.caseRows([]*onedoor.Case{c})[0]
	if d.Events, err = s.DB.Events(r.Context(), c.ID); err != nil {
		return nil, err
	}
	if d.Tracking, err = s.DB.Tracking(r.Context(), c); err != nil {
		return nil, err
	}
	d.Awaitable = slices.Clone(c.Awaiting)
	for _, x := range c.Materials {
		if x.State == onedoor.MaterialTolerated {
			d.Awaitable = append(d.Awaitable, x.Code)
		}
	}
	d.ExtendRoom = m.StatutoryLimit - m.PromisedLimit - c.ExtendedDays
	av := &applicantView{Subject: c.Subject, HolderID: c.ApplicantID}
	switch c.Subject {
	case onedoor.Natural:
		p, err := s.DB.FindPersonByID(r.Context(), c.ApplicantID)
		if err != nil {
			return nil, err
		}
		av.Name, av.ID, av.Dishonest = pii.MaskName(p.Name), p.IDMasked, p.Dishonest
	case onedoor.Legal:
		o, err := s.DB.FindOrgByID(r.Context(), c.ApplicantID)
		if err != nil {
			return nil, err
		}
		av.Name, av.ID, av.Dishonest, av.Legacy = o.Name, pii.MaskID(o.USCC), o.Dishonest, o.Legacy
	}
	d.Applicant = av
	if err := s.DB.LogAccess(r.Context(), v.Staff, c.Subject, c.ApplicantID, sqldb.PurposeView, c.Number, ""); err != nil {
		return nil, err
	}
	return d, nil
}

// casePage is a case as staff see it: applicant (masked), materials,
// timeline with internal notes, and a form for each allowed action only.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.loadCase(r, v, r.PathValue("number"))
	if err != nil {
		return err
	}
	if done := r.URL.Query().Get("done"); done != "" && slices.Contains(workflow.Actions(), onedoor.Action(done)) {
		v.Notice = v.T("case.done", v.T("action."+done))
	}
	v.Title, v.Nav, v.Data = v.T("case.title", d.Case.Number), navOf(v.Staff), d
	return s.show(w, "case", v)
}

func navOf(st *onedoor.Staff) string {
	switch st.Role {
	case onedoor.RoleClerk:
		return "window"
	case onedoor.RoleSupervisor:
		return "supervision"
	}
	return "inbox"
}

// actionsNeedingReason are the actions the form refuses without a reason
// (the workflow refuses them too).
var actionsNeedingReason = []onedoor.Action{onedoor.ActionReturn, onedoor.ActionRequestSupplement, onedoor.ActionSuspend,
	onedoor.ActionExtend, onedoor.ActionReject}

// caseAct performs one workflow action from its form, then shows the case
// again (post, redirect, get).
func (s *Server) caseAct(w http.ResponseWriter, r *http.Request, v *view) error {
	number := r.PathValue("number")
	d, err := s.loadCase(r, v, number)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("case.title", number), navOf(v.Staff), d
	action := r.PostFormValue("action")
	req := actionRequest{Action: onedoor.Action(action), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note"),
		Materials: r.PostForm["material"], TrackingNo: r.PostFormValue("tracking_no")}
	if days := r.PostFormValue("days"); days != "" {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 365 {
			return s.showErr(w, "case", v, fieldErr("days", "case.days"))
		}
		req.Days = n
	}
	if slices.Contains(actionsNeedingReason, req.Action) && strings.TrimSpace(req.Reason) == "" {
		return s.showErr(w, "case", v, fieldErr("reason", "case.reason.required"))
	}
	if action == "deliver_bundle" {
		if d.Case.Bundle == "" {
			return s.showErr(w, "case", v, fieldErr("action", "case.nobundle"))
		}
		req.Action = onedoor.ActionDeliver
		cmd, err := req.command(v.Staff)
		if err != nil {
			return s.showErr(w, "case", v, err)
		}
		if _, err := s.DB.DeliverBundle(r.Context(), d.Case.Bundle, cmd); err != nil {
			return s.showErr(w, "case", v, err)
		}
	} else {
		cmd, err := req.command(v.Staff)
		if err != nil {
			return s.showErr(w, "case", v, err)
		}
		if _, err := s.DB.Act(r.Context(), number, cmd); err != nil {
			return s.showErr(w, "case", v, err)
		}
	}
	http.Redirect(w, r, "/cases/"+url.PathEscape(number)+"?done="+url.QueryEscape(string(req.Action)), http.StatusSeeOther)
	return nil
}

// caseUnmask shows the applicant's data unmasked on this one response, for
// a stated reason that is logged and shown to the applicant.
func (s *Server) caseUnmask(w http.ResponseWriter, r *http.Request, v *view) error {
	number := r.PathValue("number")
	d, err := s.loadCase(r, v, number)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("case.title", number), navOf(v.Staff), d
	rev, err := s.DB.Reveal(r.Context(), v.Staff, d.Case.Subject, d.Case.ApplicantID, number, r.PostFormValue("reason"))
	if onedoor.ErrorCode(err) == onedoor.EINVALID {
		return s.showErr(w, "case", v, fieldErr("reason", "unmask.reason"))
	}
	if err != nil {
		return err
	}
	d.Applicant.Revealed = rev
	return s.show(w, "case", v)
}
