package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/sqldb"
)

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request, v *view) error {
	cat := s.DB.Catalog()
	v.Title, v.Nav = v.T("admin.title"), "admin"
	v.Data = map[string]int{"matters": len(cat.Latest()), "versions": len(cat.Matters), "bundles": len(cat.LatestBundles()), "departments": len(cat.Departments)}
	return s.show(w, "admin", v)
}

type staffData struct {
	Staff       []*onedoor.Staff
	Departments []onedoor.Department
	Roles       []onedoor.Role
	Form        onedoor.Staff
	Token       string // shown once, after creating an account
}

var staffRoles = []onedoor.Role{onedoor.RoleClerk, onedoor.RoleOfficer, onedoor.RoleLeader, onedoor.RoleSupervisor, onedoor.RoleAnalyst, onedoor.RoleAdmin}

func (s *Server) staffData(r *http.Request) (*staffData, error) {
	all, err := s.DB.FindStaff(r.Context())
	if err != nil {
		return nil, err
	}
	return &staffData{Staff: all, Departments: s.DB.Catalog().Departments, Roles: staffRoles}, nil
}

func (s *Server) adminStaff(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.staffData(r)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("staff.title"), "admin", d
	return s.show(w, "staff", v)
}

// adminCreateStaff creates an account with an initial password; its API
// token is shown once.
func (s *Server) adminCreateStaff(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.staffData(r)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("staff.title"), "admin", d
	d.Form = onedoor.Staff{Username: strings.TrimSpace(r.PostFormValue("username")), Name: r.PostFormValue("name"),
		Role: onedoor.Role(r.PostFormValue("role")), Department: r.PostFormValue("department")}
	if d.Form.Role != onedoor.RoleOfficer && d.Form.Role != onedoor.RoleLeader {
		d.Form.Department = ""
	}
	pw := r.PostFormValue("password")
	if err := sqldb.CheckPassword("password", pw); err != nil {
		return s.showErr(w, "staff", v, fieldErr("password", "password.rule", sqldb.MinPassword))
	}
	st := d.Form
	token, err := s.DB.CreateStaff(r.Context(), &st)
	if err != nil {
		return s.showErr(w, "staff", v, err)
	}
	if err := s.DB.SetStaffPassword(r.Context(), st.ID, pw); err != nil {
		return err
	}
	s.Log.Info("staff account created", "by", v.Staff.ID, "staff", st.ID, "role", st.Role)
	if d, err = s.staffData(r); err != nil {
		return err
	}
	d.Token = token
	v.Data, v.Notice = d, v.T("staff.created", st.Username)
	return s.show(w, "staff", v)
}

func staffID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fieldErr("id", "err.id")
	}
	return id, nil
}

func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	d, err := s.staffData(r)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("staff.title"), "admin", d
	if err := s.DB.SetStaffPassword(r.Context(), id, r.PostFormValue("password")); err != nil {
		if onedoor.ErrorCode(err) == onedoor.EINVALID {
			return s.showErr(w, "staff", v, fieldErr("password", "password.rule", sqldb.MinPassword))
		}
		return s.showErr(w, "staff", v, err)
	}
	v.Notice = v.T("staff.password.reset")
	return s.show(w, "staff", v)
}

func (s *Server) adminDisableStaff(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := staffID(r)
	if err != nil {
		return err
	}
	if id == v.Staff.ID {
		return webErr(onedoor.ECONFLICT, "staff.self")
	}
	disabled := r.PostFormValue("disabled") == "true"
	if err := s.DB.SetStaffDisabled(r.Context(), id, disabled); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
	return nil
}

type catalogData struct {
	Q        string
	Matters  []catalogRow
	Bundles  []*onedoor.Bundle
	Versions int
}

type catalogRow struct {
	Latest   *onedoor.Matter
	Versions []int
}

// adminCatalog lists every matter with its versions.
func (s *Server) adminCatalog(w http.ResponseWriter, r *http.Request, v *view) error {
	cat := s.DB.Catalog()
	d := catalogData{Q: strings.TrimSpace(r.URL.Query().Get("q")), Bundles: cat.LatestBundles(), Versions: len(cat.Matters)}
	versions := map[string][]int{}
	for _, m := range cat.Matters {
		versions[m.Code] = append(versions[m.Code], m.Version)
	}
	ms := cat.Latest()
	if d.Q != "" {
		ms = cat.Search(d.Q)
	}
	for _, m := range ms {
		d.Matters = append(d.Matters, catalogRow{m, versions[m.Code]})
	}
	v.Title, v.Nav, v.Data = v.T("catalog.title"), "admin", d
	return s.show(w, "catalog", v)
}

type matterVersionsData struct {
	Code     string
	Versions []*onedoor.Matter
}

// adminMatter shows every version of one matter.
func (s *Server) adminMatter(w http.ResponseWriter, r *http.Request, v *view) error {
	code := r.PathValue("code")
	cat := s.DB.Catalog()
	d := matterVersionsData{Code: code}
	for i := range cat.Matters {
		if cat.Matters[i].Code == code {
			d.Versions = append(d.Versions, &cat.Matters[i])
		}
	}
	if len(d.Versions) == 0 {
		return webErr(onedoor.ENOTFOUND, "err.matter", code)
	}
	v.Title, v.Nav, v.Data = code, "admin", d
	return s.show(w, "catalog_matter", v)
}

type importData struct {
	Files    []catalog.File
	Problems []catalog.Problem
	Error    string
	Clean    bool
	Summary  []importLine
	Added    int
	Applied  bool
}

// importLine says what an import would do to one matter or bundle version.
type importLine struct {
	Kind, Code string
	Version    int
	State      string // new, same, changed
}

func (s *Server) adminImportForm(w http.ResponseWriter, r *http.Request, v *view) error {
	v.Title, v.Nav, v.Data = v.T("import.title"), "admin", &importData{}
	return s.show(w, "import", v)
}

var fileNameRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// readImport collects the files of an import: uploaded, pasted, or carried
// over from the preview.
func readImport(r *http.Request) ([]catalog.File, error) {
	var out []catalog.File
	seen := map[string]bool{}
	add := func(name, content string) {
		name = fileNameRE.ReplaceAllString(path.Base(strings.ReplaceAll(name, "\\", "/")), "_")
		if !strings.HasSuffix(name, ".yaml") {
			name += ".yaml"
		}
		base := strings.TrimSuffix(name, ".yaml")
		for i := 2; seen[name]; i++ {
			name = fmt.Sprintf("%s-%d.yaml", base, i)
		}
		seen[name] = true
		out = append(out, catalog.File{Name: name, Content: content})
	}
	names, contents := r.PostForm["file_name"], r.PostForm["file_content"]
	for i := range min(len(names), len(contents)) {
		add(names[i], contents[i])
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(io.LimitReader(f, maxForm))
			f.Close()
			if err != nil {
				return nil, err
			}
			add(fh.Filename, string(b))
		}
	}
	if t := r.PostFormValue("yaml"); strings.TrimSpace(t) != "" {
		add("pasted.yaml", t)
	}
	return out, nil
}

// adminImport lints the files with catalog.Load and shows every problem
// with file and line; only a clean catalog can be applied, and applying
// lints it again.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request, v *view) error {
	d := &importData{}
	v.Title, v.Nav, v.Data = v.T("import.title"), "admin", d
	files, err := readImport(r)
	if err != nil {
		return fieldErr("files", "err.form")
	}
	d.Files = files
	if len(files) == 0 {
		return s.showErr(w, "import", v, fieldErr("files", "import.empty"))
	}
	cat, err := catalog.LoadFiles(files)
	var probs catalog.Problems
	switch {
	case errors.As(err, &probs):
		d.Problems = probs
		return s.showErr(w, "import", v, webErr(onedoor.EINVALID, "import.problems", len(probs)))
	case err != nil:
		d.Error = err.Error()
		return s.showErr(w, "import", v, webErr(onedoor.EINVALID, "import.unreadable"))
	}
	d.Clean = true
	live := s.DB.Catalog()
	for i := range cat.Matters {
		m := &cat.Matters[i]
		line := importLine{Kind: "matter", Code: m.Code, Version: m.Version, State: "new"}
		if have, err := s.DB.MatterVersion(m.Code, m.Version); err == nil {
			line.State = sameJSON(have, m)
		}
		d.Summary = append(d.Summary, line)
	}
	for i := range cat.Bundles {
		b := &cat.Bundles[i]
		line := importLine{Kind: "bundle", Code: b.Code, Version: b.Version, State: "new"}
		for j := range live.Bundles {
			if live.Bundles[j].Code == b.Code && live.Bundles[j].Version == b.Version {
				line.State = sameJSON(&live.Bundles[j], b)
			}
		}
		d.Summary = append(d.Summary, line)
	}
	// What the new catalog leaves out is withdrawn when it is adopted: said
	// before the administrator confirms.
	for _, m := range live.Latest() {
		if _, ok := cat.Matter(m.Code); !ok {
			d.Summary = append(d.Summary, importLine{Kind: "matter", Code: m.Code, Version: m.Version, State: "removed"})
		}
	}
	for _, b := range live.LatestBundles() {
		if _, ok := cat.Bundle(b.Code); !ok {
			d.Summary = append(d.Summary, importLine{Kind: "bundle", Code: b.Code, Version: b.Version, State: "removed"})
		}
	}
	if r.PostFormValue("apply") != "yes" {
		return s.show(w, "import", v)
	}
	if d.Added, err = s.DB.AdoptCatalog(r.Context(), cat, files, v.Staff.ID); err != nil {
		return s.showErr(w, "import", v, err)
	}
	s.Log.Info("catalog imported", "by", v.Staff.ID, "files", len(files), "new_versions", d.Added)
	d.Applied, v.Notice = true, v.T("import.applied", d.Added)
	return s.show(w, "import", v)
}

func sameJSON(a, b any) string {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	if string(x) == string(y) {
		return "same"
	}
	return "changed"
}

type calendarData struct {
	Year         int
	First, Last  int
	Months       []monthView
	Workdays     int
	Holidays     int
	AdjustedDays int
}

type monthView struct {
	Month time.Month
	Weeks [][]dayView
}

type dayView struct {
	Day   int
	Date  string
	Class string // work, weekend, holiday, adjusted, today
	Name  string
	Today bool
}

// adminCalendar shows the working-day calendar of a year: holidays and
// adjusted working days (调休) marked, in words as well as colour.
func (s *Server) adminCalendar(w http.ResponseWriter, r *http.Request, v *view) error {
	cal := s.DB.Calendar()
	today := s.today()
	d := calendarData{Year: today.Year()}
	d.First, d.Last = cal.Years()
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil {
		if y < 2000 || y > 2099 {
			return fieldErr("year", "calendar.year")
		}
		d.Year = y
	}
	for m := time.January; m <= time.December; m++ {
		mv := monthView{Month: m}
		first := time.Date(d.Year, m, 1, 0, 0, 0, 0, calendar.Location)
		week := make([]dayView, (int(first.Weekday())+6)%7) // Monday first
		for day := first; day.Month() == m; day = day.AddDate(0, 0, 1) {
			dv := dayView{Day: day.Day(), Date: day.Format(time.DateOnly), Today: day.Equal(today)}
			weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
			name, holiday := cal.Holiday(day)
			switch {
			case holiday:
				dv.Class, dv.Name = "holiday", name
				d.Holidays++
			case cal.IsWorkday(day) && weekend:
				dv.Class = "adjusted"
				d.AdjustedDays++
			case cal.IsWorkday(day):
				dv.Class = "work"
			default:
				dv.Class = "weekend"
			}
			if cal.IsWorkday(day) {
				d.Workdays++
			}
			week = append(week, dv)
			if len(week) == 7 {
				mv.Weeks = append(mv.Weeks, week)
				week = nil
			}
		}
		if len(week) > 0 {
			for len(week) < 7 {
				week = append(week, dayView{})
			}
			mv.Weeks = append(mv.Weeks, week)
		}
		d.Months = append(d.Months, mv)
	}
	v.Title, v.Nav, v.Data = v.T("calendar.title", d.Year), "admin", d
	return s.show(w, "calendar", v)
}
