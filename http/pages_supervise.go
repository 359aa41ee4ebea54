package http

import (
	"net/http"
	"time"

	"onedoor"
	"onedoor/sqldb"
)

// nearDueDays is the horizon, in working days, of "near due".
const nearDueDays = 2

type supervisionData struct {
	Loads []sqldb.DepartmentLoad
	Total sqldb.DepartmentLoad
	Today string
	Soon  string
}

func (s *Server) caseLoad(r *http.Request) (*supervisionData, error) {
	today := s.today()
	soon := s.DB.Calendar().AddWorkdays(today, nearDueDays)
	d := &supervisionData{Today: today.Format(time.DateOnly), Soon: soon.Format(time.DateOnly)}
	var err error
	if d.Loads, err = s.DB.OpenCaseLoad(r.Context(), d.Today, d.Soon); err != nil {
		return nil, err
	}
	for _, l := range d.Loads {
		d.Total.Open += l.Open
		d.Total.Paused += l.Paused
		d.Total.Overdue += l.Overdue
		d.Total.NearDue += l.NearDue
	}
	return d, nil
}

// supervision is 电子监察: every department's open cases with overdue and
// near-due counts.
func (s *Server) supervision(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.caseLoad(r)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("supervision.title"), "supervision", d
	return s.show(w, "supervision", v)
}

type supervisionDeptData struct {
	Department string
	Rows       []caseRow
	Overdue    int
	NearDue    int
	More       bool
}

// supervisionDept drills down to one department's open cases, overdue
// ones first.
func (s *Server) supervisionDept(w http.ResponseWriter, r *http.Request, v *view) error {
	dept := r.PathValue("dept")
	if _, ok := s.DB.Catalog().Department(dept); !ok {
		return webErr(onedoor.ENOTFOUND, "err.department", dept)
	}
	cs, err := s.DB.FindCases(r.Context(), onedoor.CaseFilter{Department: dept, Open: true, Limit: 501})
	if err != nil {
		return err
	}
	d := supervisionDeptData{Department: dept}
	if len(cs) > 500 {
		cs, d.More = cs[:500], true
	}
	var over, rest []caseRow
	for _, row := range s.caseRows(cs) {
		switch row.DueLeft.Class {
		case "over":
			d.Overdue++
			over = append(over, row)
			continue
		case "near":
			d.NearDue++
		}
		rest = append(rest, row)
	}
	d.Rows = append(over, rest...)
	v.Title, v.Nav, v.Data = v.T("supervision.dept", v.Dept(dept)), "supervision", d
	return s.show(w, "supervision_dept", v)
}

// analyst shows aggregates only: counts by department, no case and no
// person.
func (s *Server) analyst(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.caseLoad(r)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("analyst.title"), "analyst", d
	return s.show(w, "analyst", v)
}
