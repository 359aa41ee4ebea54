package http

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"onedoor"
)

// notFound is the page for any path no route knows.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, v *view) error {
	return webErr(onedoor.ENOTFOUND, "err.page")
}

type homeData struct {
	Bundles     []*onedoor.Bundle
	Departments []deptCount
	Matters     int
}

type deptCount struct {
	Code  string
	Count int
}

// home is the portal's front page: search, life events, departments.
func (s *Server) home(w http.ResponseWriter, r *http.Request, v *view) error {
	cat := s.DB.Catalog()
	counts := map[string]int{}
	latest := cat.Latest()
	for _, m := range latest {
		counts[m.Department]++
	}
	d := homeData{Bundles: cat.LatestBundles(), Matters: len(latest)}
	for _, dep := range cat.Departments {
		if counts[dep.Code] > 0 {
			d.Departments = append(d.Departments, deptCount{dep.Code, counts[dep.Code]})
		}
	}
	v.Data, v.Nav = d, "home"
	return s.show(w, "home", v)
}

type mattersData struct {
	Q, Subject, Department string
	Matters                []*onedoor.Matter
	Bundles                []*onedoor.Bundle
	Total, Page, Pages     int
	Departments            []onedoor.Department
}

const mattersPerPage = 30

// matters lists and searches the catalog.
func (s *Server) matters(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := mattersData{Q: strings.TrimSpace(q.Get("q")), Subject: q.Get("subject"), Department: q.Get("department"), Page: 1}
	if len(d.Q) > 100 {
		return fieldErr("q", "err.q.long")
	}
	cat := s.DB.Catalog()
	d.Departments = cat.Departments
	ms := cat.Latest()
	if d.Q != "" {
		ms = cat.Search(d.Q)
	}
	for _, m := range ms {
		if (d.Subject == "" || string(m.Subject) == d.Subject) && (d.Department == "" || m.Department == d.Department) {
			d.Matters = append(d.Matters, m)
		}
	}
	for _, b := range cat.LatestBundles() {
		if d.Q != "" && !strings.Contains(strings.ToLower(b.Name.Zh+"\n"+b.Name.En+"\n"+b.Description.Zh+"\n"+b.Description.En), strings.ToLower(d.Q)) {
			continue
		}
		if (d.Subject == "" || string(b.Subject) == d.Subject) && d.Department == "" {
			d.Bundles = append(d.Bundles, b)
		}
	}
	d.Total = len(d.Matters)
	d.Pages = max(1, int(math.Ceil(float64(d.Total)/mattersPerPage)))
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p >= 1 && p <= d.Pages {
		d.Page = p
	}
	lo := (d.Page - 1) * mattersPerPage
	d.Matters = d.Matters[lo:min(lo+mattersPerPage, d.Total)]
	v.Title, v.Data, v.Nav = v.T("matters.title"), d, "matters"
	return s.show(w, "matters", v)
}

type guideData struct {
	Matter   *onedoor.Matter
	Versions []int
	Bundles  []*onedoor.Bundle
	// Held names the e-licence types a signed-in resident holds today, so
	// the guide can say which materials they need not bring.
	Held map[string]string
}

// heldLicences returns the e-licence types the signed-in resident holds
// today, with the licence numbers.
func (s *Server) heldLicences(r *http.Request, v *view) map[string]string {
	held := map[string]string{}
	if v.Person == nil {
		return held
	}
	ls, err := s.DB.FindLicences(r.Context(), onedoor.Natural, v.Person.ID)
	if err != nil {
		return held
	}
	today := s.today().Format(time.DateOnly)
	for _, l := range ls {
		if l.ValidOn(today) {
			held[l.Type] = l.Number
		}
	}
	return held
}

// guide is a matter's 办事指南: conditions, materials (and which the
// government already holds), steps, limits, fees, visits.
func (s *Server) guide(w http.ResponseWriter, r *http.Request, v *view) error {
	cat := s.DB.Catalog()
	code := r.PathValue("code")
	m, ok := cat.Matter(code)
	if !ok {
		return webErr(onedoor.ENOTFOUND, "err.matter", code)
	}
	d := guideData{Held: s.heldLicences(r, v)}
	for _, x := range cat.Matters {
		if x.Code == code {
			d.Versions = append(d.Versions, x.Version)
		}
	}
	if ver := r.URL.Query().Get("version"); ver != "" {
		n, err := strconv.Atoi(ver)
		if err != nil {
			return fieldErr("version", "err.version")
		}
		if m, ok = cat.MatterVersion(code, n); !ok {
			return webErr(onedoor.ENOTFOUND, "err.matter", code)
		}
	}
	d.Matter = m
	for _, b := range cat.LatestBundles() {
		if slices.Contains(b.Matters, code) {
			d.Bundles = append(d.Bundles, b)
		}
	}
	v.Title, v.Data, v.Nav = v.Tx(m.Name), d, "matters"
	return s.show(w, "guide", v)
}

type bundleData struct {
	Bundle    *onedoor.Bundle
	Matters   []*onedoor.Matter
	Materials []bundleMaterial
	Promised  int
	Held      map[string]string
}

// bundleMaterial is one material of a bundle's single form, with the
// matters that ask for it, and the matter of the bundle whose result is
// the e-licence that replaces it, if one is: that matter's decision is
// passed on to the others, so nobody brings it (免提交).
type bundleMaterial struct {
	onedoor.Material
	Matters  []string
	IssuedBy *onedoor.Matter
}

// bundleMaterials merges the materials of a bundle's matters by code: one
// form asks for each once.
func bundleMaterials(ms []*onedoor.Matter) []bundleMaterial {
	var out []bundleMaterial
	for _, m := range ms {
		for _, x := range m.Materials {
			i := slices.IndexFunc(out, func(b bundleMaterial) bool { return b.Code == x.Code })
			if i < 0 {
				out = append(out, bundleMaterial{Material: x, Matters: []string{m.Code}})
				continue
			}
			out[i].Matters = append(out[i].Matters, m.Code)
			out[i].Required = out[i].Required || x.Required
			out[i].Tolerable = out[i].Tolerable && x.Tolerable
			if out[i].Licence == "" {
				out[i].Licence = x.Licence
			}
		}
	}
	for i := range out {
		for _, m := range ms {
			if l := m.Result.Licence; l != "" && l == out[i].Licence && !slices.Contains(out[i].Matters, m.Code) {
				out[i].IssuedBy = m
				break
			}
		}
	}
	return out
}

func (s *Server) bundleOf(code string) (*onedoor.Bundle, []*onedoor.Matter, error) {
	cat := s.DB.Catalog()
	b, ok := cat.Bundle(code)
	if !ok {
		return nil, nil, webErr(onedoor.ENOTFOUND, "err.bundle", code)
	}
	var ms []*onedoor.Matter
	for _, c := range b.Matters {
		if m, ok := cat.Matter(c); ok {
			ms = append(ms, m)
		}
	}
	return b, ms, nil
}

// bundleGuide is the guide of a life event (一件事): its matters and one
// list of materials.
func (s *Server) bundleGuide(w http.ResponseWriter, r *http.Request, v *view) error {
	b, ms, err := s.bundleOf(r.PathValue("code"))
	if err != nil {
		return err
	}
	d := bundleData{Bundle: b, Matters: ms, Materials: bundleMaterials(ms), Held: s.heldLicences(r, v)}
	for _, m := range ms {
		d.Promised = max(d.Promised, m.PromisedLimit)
	}
	v.Title, v.Data, v.Nav = v.Tx(b.Name), d, "matters"
	return s.show(w, "bundle", v)
}

type trackData struct {
	Number, Code string
	Tracking     *onedoor.Tracking
	Matter       *onedoor.Matter
	Steps        []trackStep
}

// trackStep is one stage of the parcel-style progress bar.
type trackStep struct {
	Name  onedoor.Text
	State string // done, current, todo
}

// progress turns a case's status and step into the stages a resident
// recognises: received, each back-office step, result, delivered.
func progress(c *onedoor.Case, m *onedoor.Matter) []trackStep {
	steps := []trackStep{{Name: onedoor.Text{Zh: "收件", En: "Received"}, State: "done"}}
	if c.Status == onedoor.StatusReceived {
		steps[0].State = "current"
	}
	for i, st := range m.Steps {
		state := "todo"
		switch {
		case c.Status == onedoor.StatusReceived || c.Status == onedoor.StatusRejected:
		case i < c.Step:
			state = "done"
		case i == c.Step:
			state = "current"
		}
		steps = append(steps, trackStep{Name: st.Name, State: state})
	}
	result := trackStep{Name: onedoor.Text{Zh: "办结出证", En: "Result issued"}, State: "todo"}
	deliver := trackStep{Name: onedoor.Text{Zh: "送达", En: "Delivered"}, State: "todo"}
	switch c.Status {
	case onedoor.StatusApproved:
		result.State = "current"
	case onedoor.StatusCompleted:
		result.State, deliver.State = "done", "current"
	case onedoor.StatusDelivered:
		result.State, deliver.State = "done", "done"
	case onedoor.StatusRejected:
		result = trackStep{Name: onedoor.Text{Zh: "不予办理", En: "Refused"}, State: "stopped"}
	}
	return append(steps, result, deliver)
}

// trackPage is public tracking by case number and verification code, with
// the same throttling as the API.
func (s *Server) trackPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	d := trackData{Number: strings.TrimSpace(q.Get("number")), Code: strings.ToUpper(strings.TrimSpace(q.Get("code")))}
	v.Title, v.Data, v.Nav = v.T("track.title"), &d, "track"
	if d.Number == "" && d.Code == "" {
		return s.show(w, "track", v)
	}
	ip := clientIP(r)
	if len(d.Number) > 40 { // no case number is this long; keep such keys out of the limiter
		s.track.fail(ip)
		return s.showErr(w, "track", v, webErr(onedoor.ENOTFOUND, "track.notfound"))
	}
	if wait := max(s.track.wait(ip), s.trackBy.wait(d.Number)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return s.showErr(w, "track", v, webErr(onedoor.ETOOMANY, "track.throttled", int(math.Ceil(wait.Seconds()))))
	}
	t, err := s.DB.Track(r.Context(), d.Number, d.Code)
	if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
		s.track.fail(ip)
		s.trackBy.fail(d.Number)
		return s.showErr(w, "track", v, webErr(onedoor.ENOTFOUND, "track.notfound"))
	}
	if err != nil {
		return err
	}
	c, err := s.DB.FindCase(r.Context(), t.Number)
	if err != nil {
		return err
	}
	m, ok := s.DB.Catalog().MatterVersion(c.Matter, c.MatterVersion)
	if !ok {
		return onedoor.Errorf(onedoor.EINTERNAL, "matter %s v%d missing", c.Matter, c.MatterVersion)
	}
	d.Tracking, d.Matter, d.Steps = t, m, progress(c, m)
	return s.show(w, "track", v)
}
