package http

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"onedoor"
	"onedoor/pii"
	"onedoor/sqldb"
)

// applicantView is an applicant as staff screens show them: masked unless
// revealed with a stated, logged reason.
type applicantView struct {
	Subject   onedoor.SubjectType
	HolderID  int64 // 0 when not yet known to the registry
	Name      string
	ID        string // masked ID number or USCC
	Phone     string
	Dishonest bool
	Legacy    bool
	Revealed  *sqldb.Revealed
}

type windowData struct {
	Applicant *applicantView
	Licences  []onedoor.Licence
	Cases     []myCaseRow
	Q         string
	Matters   []*onedoor.Matter
	Bundles   []*onedoor.Bundle
	Today     string
	Form      onedoor.Applicant // the identify form as filled in, when refused
}

// windowApplicant loads what the registry holds about the applicant the
// clerk is serving.
func (s *Server) windowApplicant(r *http.Request, v *view, d *windowData) error {
	a := v.Session.Window
	if a == nil {
		return nil
	}
	av := &applicantView{Subject: a.Subject, Name: pii.MaskName(a.Name)}
	switch a.Subject {
	case onedoor.Natural:
		av.ID = pii.MaskID(a.IDNumber)
		if a.Phone != "" {
			av.Phone = pii.MaskPhone(a.Phone)
		}
		p, err := s.DB.FindPersonByIDNumber(r.Context(), a.IDNumber)
		switch onedoor.ErrorCode(err) {
		case "":
			av.HolderID, av.Name, av.Dishonest = p.ID, pii.MaskName(p.Name), p.Dishonest
		case onedoor.ENOTFOUND:
		default:
			return err
		}
	case onedoor.Legal:
		// An organisation's name is public; its code is masked like an ID.
		av.Name, av.ID, av.Legacy = a.Name, pii.MaskID(a.USCC), a.AllowLegacy
		o, err := s.DB.FindOrgByUSCC(r.Context(), a.USCC)
		switch onedoor.ErrorCode(err) {
		case "":
			av.HolderID, av.Name, av.Dishonest = o.ID, o.Name, o.Dishonest
		case onedoor.ENOTFOUND:
		default:
			return err
		}
	}
	d.Applicant = av
	if av.HolderID == 0 {
		return nil
	}
	var err error
	if d.Licences, err = s.DB.FindLicences(r.Context(), a.Subject, av.HolderID); err != nil {
		return err
	}
	cs, err := s.DB.FindCases(r.Context(), onedoor.CaseFilter{Subject: a.Subject, ApplicantID: av.HolderID, Open: true, Limit: 100})
	if err != nil {
		return err
	}
	for _, c := range cs {
		m, _ := s.DB.Catalog().MatterVersion(c.Matter, c.MatterVersion)
		d.Cases = append(d.Cases, myCaseRow{c, m})
	}
	return nil
}

// window is the clerk's workstation: identify, see what the registry
// holds, pick a matter or a bundle.
func (s *Server) window(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &windowData{Q: strings.TrimSpace(r.URL.Query().Get("q")), Today: s.today().Format(time.DateOnly)}
	if err := s.windowApplicant(r, v, d); err != nil {
		return err
	}
	s.windowSearch(d)
	v.Title, v.Nav, v.Data = v.T("window.title"), "window", d
	return s.show(w, "window", v)
}

// windowSearch finds the matters and bundles for the applicant's subject.
func (s *Server) windowSearch(d *windowData) {
	if d.Applicant == nil || d.Q == "" || len(d.Q) > 100 {
		return
	}
	cat := s.DB.Catalog()
	for _, m := range cat.Search(d.Q) {
		if m.Subject == d.Applicant.Subject && len(d.Matters) < 40 {
			d.Matters = append(d.Matters, m)
		}
	}
	// A bundle is offered when its words match or one of its matters did:
	// whoever asks for a business licence may want the whole start-up.
	q := strings.ToLower(d.Q)
	for _, b := range cat.LatestBundles() {
		words := strings.ToLower(b.Code + "\n" + b.Name.Zh + "\n" + b.Name.En + "\n" + b.Description.Zh + "\n" + b.Description.En)
		member := slices.ContainsFunc(d.Matters, func(m *onedoor.Matter) bool { return slices.Contains(b.Matters, m.Code) })
		if b.Subject == d.Applicant.Subject && (strings.Contains(words, q) || member) {
			d.Bundles = append(d.Bundles, b)
		}
	}
}

// windowIdentify checks the applicant's ID number (or USCC) and keeps it,
// sealed, in the session: the pages after this one show it masked only.
// Looking up a known applicant is an access to their data, and logged.
func (s *Server) windowIdentify(w http.ResponseWriter, r *http.Request, v *view) error {
	a := onedoor.Applicant{Subject: onedoor.SubjectType(r.PostFormValue("subject")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), AllowLegacy: r.PostFormValue("allow_legacy") == "on"}
	refuse := func(err error) error {
		d := &windowData{Form: a}
		d.Form.IDNumber, d.Form.USCC = "", ""
		v.Title, v.Nav, v.Data = v.T("window.title"), "window", d
		return s.showErr(w, "window", v, err)
	}
	var holder int64
	switch a.Subject {
	case onedoor.Natural:
		id, err := onedoor.ParseIDNumberAt("id_number", r.PostFormValue("id_number"), s.DB.Now())
		if err != nil {
			return refuse(err)
		}
		a.IDNumber = id.Number
		p, err := s.DB.FindPersonByIDNumber(r.Context(), a.IDNumber)
		switch onedoor.ErrorCode(err) {
		case "":
			holder = p.ID
			if a.Name == "" {
				a.Name = p.Name
			}
		case onedoor.ENOTFOUND:
		default:
			return err
		}
	case onedoor.Legal:
		u, err := onedoor.ParseUSCC("uscc", r.PostFormValue("uscc"), a.AllowLegacy)
		if err != nil {
			return refuse(err)
		}
		a.USCC = u.Code
		o, err := s.DB.FindOrgByUSCC(r.Context(), a.USCC)
		switch onedoor.ErrorCode(err) {
		case "":
			holder = o.ID
			if a.Name == "" {
				a.Name = o.Name
			}
		case onedoor.ENOTFOUND:
		default:
			return err
		}
	default:
		return refuse(fieldErr("subject", "window.subject"))
	}
	if a.Name == "" {
		return refuse(fieldErr("name", "window.name.required"))
	}
	if a.Phone != "" {
		ph, err := onedoor.ParsePhone("phone", a.Phone)
		if err != nil {
			return refuse(err)
		}
		a.Phone = ph
	}
	if err := s.DB.SetSessionWindow(r.Context(), v.Session.ID, &a); err != nil {
		return err
	}
	if holder != 0 {
		if err := s.DB.LogAccess(r.Context(), v.Staff, a.Subject, holder, sqldb.PurposeIdentify, "", ""); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/window", http.StatusSeeOther)
	return nil
}

// windowClear ends the service of the applicant.
func (s *Server) windowClear(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.DB.SetSessionWindow(r.Context(), v.Session.ID, nil); err != nil {
		return err
	}
	http.Redirect(w, r, "/window", http.StatusSeeOther)
	return nil
}

// windowUnmask shows the applicant's data unmasked, once, for a stated
// reason that is logged.
func (s *Server) windowUnmask(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &windowData{Today: s.today().Format(time.DateOnly)}
	if err := s.windowApplicant(r, v, d); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("window.title"), "window", d
	if d.Applicant == nil || d.Applicant.HolderID == 0 {
		return s.showErr(w, "window", v, webErr(onedoor.ECONFLICT, "unmask.unknown"))
	}
	rev, err := s.DB.Reveal(r.Context(), v.Staff, d.Applicant.Subject, d.Applicant.HolderID, "", r.PostFormValue("reason"))
	if onedoor.ErrorCode(err) == onedoor.EINVALID {
		return s.showErr(w, "window", v, fieldErr("reason", "unmask.reason"))
	}
	if err != nil {
		return err
	}
	d.Applicant.Revealed = rev
	return s.show(w, "window", v)
}

// windowHeld is the e-licence types the applicant holds today.
func windowHeld(d *windowData) map[string]string {
	held := map[string]string{}
	for _, l := range d.Licences {
		if l.ValidOn(d.Today) {
			held[l.Type] = l.Number
		}
	}
	return held
}

func (s *Server) windowApplyForm(w http.ResponseWriter, r *http.Request, v *view) error {
	wd := &windowData{Today: s.today().Format(time.DateOnly)}
	if err := s.windowApplicant(r, v, wd); err != nil {
		return err
	}
	if wd.Applicant == nil {
		http.Redirect(w, r, "/window", http.StatusSeeOther)
		return nil
	}
	d, err := s.applyForm(r.URL.Query(), wd.Applicant.Subject, windowHeld(wd))
	if err != nil {
		return err
	}
	d.Action, d.Applicant = "/window/intake", wd.Applicant
	v.Title, v.Nav, v.Data = v.T("apply.title"), "window", d
	return s.show(w, "apply", v)
}

// windowIntake takes the application at the counter and prints the receipt.
func (s *Server) windowIntake(w http.ResponseWriter, r *http.Request, v *view) error {
	wd := &windowData{Today: s.today().Format(time.DateOnly)}
	if err := s.windowApplicant(r, v, wd); err != nil {
		return err
	}
	if wd.Applicant == nil {
		return webErr(onedoor.ECONFLICT, "window.noapplicant")
	}
	q := map[string][]string{"matter": {r.PostFormValue("matter")}, "bundle": {r.PostFormValue("bundle")}}
	d, err := s.applyForm(q, wd.Applicant.Subject, windowHeld(wd))
	if err != nil {
		return err
	}
	d.Action, d.Applicant = "/window/intake", wd.Applicant
	v.Title, v.Nav, v.Data = v.T("apply.title"), "window", d
	req := readApply(r, d)
	req.Applicant, req.Channel, req.Actor = *v.Session.Window, "counter", v.Staff.Actor()
	rc, err := s.DB.Intake(r.Context(), req)
	if err != nil {
		return s.showErr(w, "apply", v, err)
	}
	if len(rc.Cases) > 0 {
		if c, err := s.DB.FindCase(r.Context(), rc.Cases[0].Number); err == nil {
			if err := s.DB.LogAccess(r.Context(), v.Staff, c.Subject, c.ApplicantID, sqldb.PurposeIntake, c.Number, ""); err != nil {
				return err
			}
		}
	}
	rd, err := s.receipt(r, v, rc, wd.Applicant.Name, false)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("receipt.title"), rd
	return s.show(w, "receipt", v)
}
