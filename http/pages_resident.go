package http

import (
	"net/http"
	"time"

	"onedoor"
	"onedoor/pii"
	"onedoor/sqldb"
)

type myLoginData struct {
	IDNumber, Name, Phone string
	Next                  string
	Challenge             string // set once a code was sent
	PhoneMasked           string
}

func (s *Server) myLoginForm(w http.ResponseWriter, r *http.Request, v *view) error {
	if v.Person != nil {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/my"), http.StatusSeeOther)
		return nil
	}
	v.Title, v.Nav = v.T("my.login.title"), "my"
	v.Data = &myLoginData{Next: localPath(r.URL.Query().Get("next"), "")}
	return s.show(w, "mylogin", v)
}

// myLogin sends a one-time code. The SMS is simulated: it goes to the
// server log with the phone number masked, never the ID number.
func (s *Server) myLogin(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &myLoginData{IDNumber: r.PostFormValue("id_number"), Name: r.PostFormValue("name"), Phone: r.PostFormValue("phone"),
		Next: localPath(r.PostFormValue("next"), "")}
	v.Title, v.Nav, v.Data = v.T("my.login.title"), "my", d
	c, err := s.DB.StartResidentLogin(r.Context(), d.IDNumber, d.Name, d.Phone, clientIP(r))
	if onedoor.ErrorCode(err) == onedoor.ETOOMANY {
		return s.showErr(w, "mylogin", v, webErr(onedoor.ETOOMANY, "my.login.throttled"))
	}
	if err != nil {
		return s.showErr(w, "mylogin", v, err)
	}
	if c.Code != "" {
		s.Log.Info("simulated SMS", "to", c.PhoneMasked,
			"text", "【一门式政务服务】您的登录验证码为 "+c.Code+"，5分钟内有效。Your Onedoor sign-in code is "+c.Code+".")
	}
	d.IDNumber, d.Phone = "", "" // not echoed into the next page
	d.Challenge, d.PhoneMasked = c.ID, c.PhoneMasked
	return s.show(w, "mylogin", v)
}

// myVerify checks the code and opens the resident's session under a new id.
func (s *Server) myVerify(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &myLoginData{Challenge: r.PostFormValue("challenge"), PhoneMasked: r.PostFormValue("phone_masked"),
		Next: localPath(r.PostFormValue("next"), "")}
	v.Title, v.Nav, v.Data = v.T("my.login.title"), "my", d
	sess, err := s.DB.VerifyResidentLogin(r.Context(), d.Challenge, r.PostFormValue("code"), oldSession(r))
	if onedoor.ErrorCode(err) == onedoor.EUNAUTHORIZED {
		return s.showErr(w, "mylogin", v, webErr(onedoor.EUNAUTHORIZED, "my.code.wrong"))
	}
	if err != nil {
		return err
	}
	setSessionCookie(w, r, sess)
	http.Redirect(w, r, localPath(d.Next, "/my"), http.StatusSeeOther)
	return nil
}

type myCaseRow struct {
	Case   *onedoor.Case
	Matter *onedoor.Matter
}

type myHomeData struct {
	Cases    []myCaseRow
	Licences []onedoor.Licence
	Today    string
}

// myHome lists the resident's own cases and e-licences.
func (s *Server) myHome(w http.ResponseWriter, r *http.Request, v *view) error {
	cs, err := s.DB.FindCases(r.Context(), onedoor.CaseFilter{Subject: onedoor.Natural, ApplicantID: v.Person.ID, Limit: 200})
	if err != nil {
		return err
	}
	d := myHomeData{Today: s.today().Format(time.DateOnly)}
	for _, c := range cs {
		m, _ := s.DB.Catalog().MatterVersion(c.Matter, c.MatterVersion)
		d.Cases = append(d.Cases, myCaseRow{c, m})
	}
	if d.Licences, err = s.DB.FindLicences(r.Context(), onedoor.Natural, v.Person.ID); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("my.title"), "my", d
	return s.show(w, "my", v)
}

type myCaseData struct {
	Case     *onedoor.Case
	Matter   *onedoor.Matter
	Tracking *onedoor.Tracking
	Steps    []trackStep
	Licence  *onedoor.Licence
	Valid    bool
}

// myCase shows one of the resident's own cases. Another resident's case
// is "not found", exactly like a case that does not exist.
func (s *Server) myCase(w http.ResponseWriter, r *http.Request, v *view) error {
	number := r.PathValue("number")
	c, err := s.DB.FindCase(r.Context(), number)
	if err == nil && (c.Subject != onedoor.Natural || c.ApplicantID != v.Person.ID) {
		err = webErr(onedoor.ENOTFOUND, "err.case", number)
	}
	if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
		return webErr(onedoor.ENOTFOUND, "err.case", number)
	}
	if err != nil {
		return err
	}
	m, ok := s.DB.Catalog().MatterVersion(c.Matter, c.MatterVersion)
	if !ok {
		return onedoor.Errorf(onedoor.EINTERNAL, "matter %s v%d missing", c.Matter, c.MatterVersion)
	}
	t, err := s.DB.Tracking(r.Context(), c)
	if err != nil {
		return err
	}
	d := myCaseData{Case: c, Matter: m, Tracking: t, Steps: progress(c, m)}
	if c.Licence != "" {
		if d.Licence, err = s.DB.FindLicence(r.Context(), c.Licence); err != nil {
			return err
		}
		d.Valid = s.DB.VerifyLicence(d.Licence)
	}
	v.Title, v.Nav, v.Data = v.Tx(m.Name), "my", d
	return s.show(w, "mycase", v)
}

// myAccess is "who looked at my data": every recorded staff access.
func (s *Server) myAccess(w http.ResponseWriter, r *http.Request, v *view) error {
	log, err := s.DB.AccessLog(r.Context(), onedoor.Natural, v.Person.ID, 500)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("access.title"), "my", log
	return s.show(w, "access", v)
}

func (s *Server) myApplyForm(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.applyForm(r.URL.Query(), onedoor.Natural, s.heldLicences(r, v))
	if err != nil {
		return err
	}
	d.Action, d.Online = "/my/apply", true
	d.Applicant = &applicantView{Subject: onedoor.Natural, Name: pii.MaskName(v.Person.Name), ID: v.Person.IDMasked}
	v.Title, v.Nav, v.Data = v.T("apply.title"), "my", d
	return s.show(w, "apply", v)
}

// myApply takes an online application: the resident is the applicant, as
// identified by their one-time code.
func (s *Server) myApply(w http.ResponseWriter, r *http.Request, v *view) error {
	q := map[string][]string{"matter": {r.PostFormValue("matter")}, "bundle": {r.PostFormValue("bundle")}}
	d, err := s.applyForm(q, onedoor.Natural, s.heldLicences(r, v))
	if err != nil {
		return err
	}
	d.Action, d.Online = "/my/apply", true
	d.Applicant = &applicantView{Subject: onedoor.Natural, Name: pii.MaskName(v.Person.Name), ID: v.Person.IDMasked}
	v.Title, v.Nav, v.Data = v.T("apply.title"), "my", d
	req := readApply(r, d)
	if req.Applicant, err = s.DB.PersonApplicant(r.Context(), v.Person.ID); err != nil {
		return err
	}
	req.Channel = "online"
	rc, err := s.DB.Intake(r.Context(), req)
	if err != nil {
		return s.showErr(w, "apply", v, err)
	}
	rd, err := s.receipt(r, v, rc, pii.MaskName(v.Person.Name), true)
	if err != nil {
		return err
	}
	v.Title, v.Data = v.T("receipt.title"), rd
	return s.show(w, "receipt", v)
}

// purposeKey is the message key that words an access purpose.
func purposeKey(p string) string {
	switch p {
	case sqldb.PurposeIdentify, sqldb.PurposeIntake, sqldb.PurposeView, sqldb.PurposeUnmask:
		return "access.purpose." + p
	}
	return "access.purpose.other"
}
