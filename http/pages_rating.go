package http

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"onedoor"
	"onedoor/sqldb"
)

// ratingLevels are the five levels of GB/T 39734, best first, as forms show them.
var ratingLevels = []int{sqldb.RatingVerySatisfied, sqldb.RatingSatisfied, sqldb.RatingFair, sqldb.RatingDissatisfied, sqldb.RatingVeryDissatisfied}

type ratingData struct {
	Number, Code string // the tracking page's; empty on the portal
	Action       string // where the form posts
	Tracking     *onedoor.Tracking
	Levels       []int
	Indicators   []string
	Rated        *sqldb.Rating
	Done         bool
	Rectified    bool // the rating opened a rectification
	Back         string
}

func newRatingData() *ratingData {
	return &ratingData{Levels: ratingLevels, Indicators: sqldb.RatingIndicators}
}

// trackRate is the rating form behind the public tracking page: the case
// number and verification code again prove the rater holds the receipt.
// Failed codes count against the same limits as tracking.
func (s *Server) trackRate(w http.ResponseWriter, r *http.Request, v *view) error {
	number := strings.TrimSpace(r.FormValue("number"))
	code := strings.ToUpper(strings.TrimSpace(r.FormValue("code")))
	d := newRatingData()
	d.Number, d.Code, d.Action = number, code, "/track/rate"
	d.Back = "/track?number=" + url.QueryEscape(number) + "&code=" + url.QueryEscape(code)
	v.Title, v.Nav, v.Data = v.T("rating.title"), "track", d
	if number == "" || code == "" {
		http.Redirect(w, r, "/track", http.StatusSeeOther) // the rating starts from a tracked case
		return nil
	}
	ip := clientIP(r)
	if wait := max(s.track.wait(ip), s.trackBy.wait(number)); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return webErr(onedoor.ETOOMANY, "track.throttled", int(math.Ceil(wait.Seconds())))
	}
	t, err := s.DB.Track(r.Context(), number, code)
	if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
		s.track.fail(ip)
		if len(number) <= 40 {
			s.trackBy.fail(number)
		}
		return webErr(onedoor.ENOTFOUND, "track.notfound")
	}
	if err != nil {
		return err
	}
	d.Tracking = t
	return s.rate(w, r, v, d, sqldb.RatingInput{CaseNumber: t.Number, Code: code})
}

// myRate is the rating form of the resident portal.
func (s *Server) myRate(w http.ResponseWriter, r *http.Request, v *view) error {
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
	d := newRatingData()
	d.Action, d.Back = "/my/cases/"+url.PathEscape(number)+"/rate", "/my/cases/"+url.PathEscape(number)
	if d.Tracking, err = s.DB.Tracking(r.Context(), c); err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("rating.title"), "my", d
	return s.rate(w, r, v, d, sqldb.RatingInput{CaseNumber: number, PersonID: v.Person.ID})
}

// rate shows the form (GET) or records the rating (POST).
func (s *Server) rate(w http.ResponseWriter, r *http.Request, v *view, d *ratingData, in sqldb.RatingInput) error {
	rated, err := s.DB.FindRating(r.Context(), in.CaseNumber)
	switch {
	case err == nil:
		d.Rated = rated
	case onedoor.ErrorCode(err) != onedoor.ENOTFOUND:
		return err
	}
	if r.Method != http.MethodPost || d.Rated != nil {
		return s.show(w, "rating", v)
	}
	score, err := strconv.Atoi(r.PostFormValue("score"))
	if err != nil {
		return s.showErr(w, "rating", v, fieldErr("score", "rating.score.required"))
	}
	in.Score, in.Indicators, in.Comment = score, r.PostForm["indicator"], r.PostFormValue("comment")
	rating, rect, err := s.DB.Rate(r.Context(), in)
	if err != nil {
		return s.showErr(w, "rating", v, err)
	}
	d.Rated, d.Done, d.Rectified = rating, true, rect != nil
	return s.show(w, "rating", v)
}

type rectificationsData struct {
	Department string
	Items      []*sqldb.Rectification
}

// rectifications is the department's list of bad ratings to rectify. It
// shows what the resident said, never who they are or which case it was.
func (s *Server) rectifications(w http.ResponseWriter, r *http.Request, v *view) error {
	items, err := s.DB.FindRectifications(r.Context(), v.Staff.Department)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("rect.title", v.Dept(v.Staff.Department)), "inbox", &rectificationsData{Department: v.Staff.Department, Items: items}
	return s.show(w, "rating_rectifications", v)
}

func (s *Server) rectificationShowErr(w http.ResponseWriter, r *http.Request, v *view, err error) error {
	items, lerr := s.DB.FindRectifications(r.Context(), v.Staff.Department)
	if lerr != nil {
		return lerr
	}
	v.Title, v.Nav, v.Data = v.T("rect.title", v.Dept(v.Staff.Department)), "inbox", &rectificationsData{Department: v.Staff.Department, Items: items}
	return s.showErr(w, "rating_rectifications", v, err)
}

// rectificationCallback records the call-back to the resident.
func (s *Server) rectificationCallback(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return webErr(onedoor.ENOTFOUND, "rect.notfound")
	}
	if _, err := s.DB.RecordCallback(r.Context(), id, v.Staff.Actor(), r.PostFormValue("callback")); err != nil {
		return s.rectificationShowErr(w, r, v, err)
	}
	http.Redirect(w, r, "/rectifications?callback="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// rectificationClose closes a rectification; refused without a call-back.
func (s *Server) rectificationClose(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return webErr(onedoor.ENOTFOUND, "rect.notfound")
	}
	if _, err := s.DB.CloseRectification(r.Context(), id, v.Staff.Actor(), r.PostFormValue("action")); err != nil {
		if onedoor.ErrorField(err) == "callback" {
			return s.rectificationShowErr(w, r, v, fieldErr("callback", "rect.callback.first"))
		}
		return s.rectificationShowErr(w, r, v, err)
	}
	http.Redirect(w, r, "/rectifications?closed="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

type scorecardData struct {
	By    string
	Cards []sqldb.Scorecard
}

// scorecard shows the department or matter scorecards, or exports them as
// CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese).
func (s *Server) scorecard(w http.ResponseWriter, r *http.Request, v *view) error {
	by := r.URL.Query().Get("by")
	if by == "" {
		by = "department"
	}
	if by != "department" && by != "matter" {
		return fieldErr("by", "score.by")
	}
	cards, err := s.DB.Scorecards(r.Context(), by)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("format") {
	case "csv":
		return s.scorecardCSV(w, v, by, cards)
	case "xlsx":
		return s.scorecardXLSX(w, v, by, cards)
	}
	v.Title, v.Nav, v.Data = v.T("score.title"), "supervision", &scorecardData{By: by, Cards: cards}
	return s.show(w, "rating_scorecard", v)
}

// scorecardRows is the scorecard as a table: a header and one row per
// department or matter, numbers as text the way the page shows them.
func scorecardRows(v *view, by string, cards []sqldb.Scorecard) [][]string {
	name := v.T("matters.department")
	if by == "matter" {
		name = v.T("inbox.matter")
	}
	rows := [][]string{{"code", name, v.T("score.ratings"), v.T("score.satisfaction"), v.T("score.average"), v.T("score.bad"),
		v.T("score.rectified"), v.T("score.rect.ontime"), v.T("score.rect.overdue"), v.T("score.complaints"), v.T("score.reopen"), v.T("score.recontact")}}
	for _, c := range cards {
		label := v.Dept(c.Key)
		if by == "matter" {
			label = v.MatterName(c.Key)
		}
		rows = append(rows, []string{c.Key, label, strconv.Itoa(c.Ratings), fmt.Sprintf("%.1f", c.SatisfactionRate()), fmt.Sprintf("%.2f", c.AverageScore()),
			strconv.Itoa(c.Bad), strconv.Itoa(c.Rectified), fmt.Sprintf("%.1f", c.RectOnTimeRate()), strconv.Itoa(c.RectOverdue),
			strconv.Itoa(c.Complaints), fmt.Sprintf("%.1f", c.ReopenRate()), fmt.Sprintf("%.1f", c.RecontactRate())})
	}
	return rows
}

func (s *Server) scorecardCSV(w http.ResponseWriter, v *view, by string, cards []sqldb.Scorecard) error {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.WriteAll(scorecardRows(v, by, cards))
	if err := cw.Error(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="scorecard-%s.csv"`, by))
	w.Write(buf.Bytes())
	return nil
}

// scorecardXLSX writes the scorecard as an Excel workbook, numbers as
// numbers so that they can be sorted and charted.
func (s *Server) scorecardXLSX(w http.ResponseWriter, v *view, by string, cards []sqldb.Scorecard) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, row := range scorecardRows(v, by, cards) {
		for j, cell := range row {
			name, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return err
			}
			var val any = cell
			if n, err := strconv.ParseFloat(cell, 64); err == nil && i > 0 && j > 1 {
				val = n
			}
			if err := f.SetCellValue(sheet, name, val); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="scorecard-%s.xlsx"`, by))
	w.Write(buf.Bytes())
	return nil
}

// Pct formats a percentage with one decimal for the scorecard page.
func (v *view) Pct(x float64) string { return fmt.Sprintf("%.1f%%", x) }

// Avg formats an average with two decimals.
func (v *view) Avg(x float64) string { return fmt.Sprintf("%.2f", x) }

type myComplaintsData struct {
	Items  []*sqldb.Complaint
	Cases  []*onedoor.Case
	Case   string // preselected case number
	Filed  bool
	Answer string
}

// myComplaints lists the resident's complaints with their answers, and
// the form to file one about a case or a matter.
func (s *Server) myComplaints(w http.ResponseWriter, r *http.Request, v *view) error {
	d, err := s.myComplaintsData(r, v)
	if err != nil {
		return err
	}
	d.Case = r.URL.Query().Get("case")
	d.Filed = r.URL.Query().Get("filed") != ""
	d.Answer = r.URL.Query().Get("answered")
	return s.show(w, "complaint_my", v)
}

func (s *Server) myComplaintsData(r *http.Request, v *view) (*myComplaintsData, error) {
	items, err := s.DB.FindComplaints(r.Context(), "", v.Person.ID)
	if err != nil {
		return nil, err
	}
	cases, err := s.DB.FindCases(r.Context(), onedoor.CaseFilter{Subject: onedoor.Natural, ApplicantID: v.Person.ID, Limit: 100})
	if err != nil {
		return nil, err
	}
	d := &myComplaintsData{Items: items, Cases: cases}
	v.Title, v.Nav, v.Data = v.T("complaint.my.title"), "my", d
	return d, nil
}

// myComplain files a complaint.
func (s *Server) myComplain(w http.ResponseWriter, r *http.Request, v *view) error {
	in := sqldb.ComplaintInput{PersonID: v.Person.ID, CaseNumber: r.PostFormValue("case"), Matter: strings.TrimSpace(r.PostFormValue("matter")),
		Body: r.PostFormValue("body")}
	if _, err := s.DB.FileComplaint(r.Context(), in); err != nil {
		if _, derr := s.myComplaintsData(r, v); derr != nil {
			return derr
		}
		return s.showErr(w, "complaint_my", v, err)
	}
	http.Redirect(w, r, "/my/complaints?filed=1", http.StatusSeeOther)
	return nil
}

// myComplaintAnswer accepts a resolution or reopens the complaint.
func (s *Server) myComplaintAnswer(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return webErr(onedoor.ENOTFOUND, "complaint.notfound")
	}
	accept := r.PostFormValue("answer") == "accept"
	if _, err := s.DB.AnswerComplaint(r.Context(), id, v.Person.ID, accept, r.PostFormValue("note")); err != nil {
		if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
			return webErr(onedoor.ENOTFOUND, "complaint.notfound")
		}
		if _, derr := s.myComplaintsData(r, v); derr != nil {
			return derr
		}
		return s.showErr(w, "complaint_my", v, err)
	}
	answer := "reopened"
	if accept {
		answer = "accepted"
	}
	http.Redirect(w, r, "/my/complaints?answered="+answer, http.StatusSeeOther)
	return nil
}

type deptComplaintsData struct {
	Department string
	Items      []*sqldb.Complaint
}

// deptComplaints lists the complaints routed to the officer's department.
func (s *Server) deptComplaints(w http.ResponseWriter, r *http.Request, v *view) error {
	items, err := s.DB.FindComplaints(r.Context(), v.Staff.Department, 0)
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("complaint.dept.title", v.Dept(v.Staff.Department)), "inbox", &deptComplaintsData{Department: v.Staff.Department, Items: items}
	return s.show(w, "complaint_dept", v)
}

// complaintResolve records the department's resolution.
func (s *Server) complaintResolve(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return webErr(onedoor.ENOTFOUND, "complaint.notfound")
	}
	if _, err := s.DB.ResolveComplaint(r.Context(), id, v.Staff.Actor(), r.PostFormValue("resolution")); err != nil {
		if onedoor.ErrorCode(err) == onedoor.ENOTFOUND {
			return webErr(onedoor.ENOTFOUND, "complaint.notfound")
		}
		items, lerr := s.DB.FindComplaints(r.Context(), v.Staff.Department, 0)
		if lerr != nil {
			return lerr
		}
		v.Title, v.Nav, v.Data = v.T("complaint.dept.title", v.Dept(v.Staff.Department)), "inbox", &deptComplaintsData{Department: v.Staff.Department, Items: items}
		return s.showErr(w, "complaint_dept", v, err)
	}
	http.Redirect(w, r, "/complaints?resolved="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
