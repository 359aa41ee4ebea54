package http

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"onedoor"
	"onedoor/sqldb"
	"onedoor/supervise"
)

// The routes of 电子监察, 好差评 and complaints take the access rules of
// their pages (watchers, deptStaff, analysts), so that the API and the
// pages cannot drift apart: supervisors watch every department's cards and
// close them; officers and leaders see and explain their own department's
// cards, work its rectifications and resolve its complaints; analysts and
// supervisors read the case load and the scorecards.

// cardRoles may read cards: supervisors all of them, officers and leaders
// their own department's (the pages /supervision/cards and /cards).
var cardRoles = slices.Concat(watchers.roles, deptStaff.roles)

// isDeptRole reports whether st sees only their own department's records.
func isDeptRole(st *onedoor.Staff) bool {
	return slices.Contains(deptStaff.roles, st.Role)
}

// pathID reads the {id} of a route: a positive whole number.
func pathID(r *http.Request, noun string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, onedoor.FieldErrorf("id", "The %s id must be a positive whole number.", noun)
	}
	return id, nil
}

// --- supervision cards ---

// cardStatusOpen selects the cards not yet closed: issued and explained.
const cardStatusOpen = "open"

// listCards lists cards, newest first, by the filters of the pages and
// the service; officers and leaders get their own department's only.
func (s *Server) listCards(w http.ResponseWriter, r *http.Request) error {
	st := staffOf(r)
	q := r.URL.Query()
	f := sqldb.CardFilter{Department: q.Get("department"), Status: q.Get("status"), Level: supervise.Level(q.Get("level")), CaseNumber: q.Get("case")}
	if f.Department != "" {
		if _, ok := s.DB.Catalog().Department(f.Department); !ok {
			return onedoor.FieldErrorf("department", "No department %q exists.", f.Department)
		}
	}
	if isDeptRole(st) {
		if f.Department != "" && f.Department != st.Department {
			return onedoor.Errorf(onedoor.EFORBIDDEN, "You see the cards of your own department (%s) only.", st.Department)
		}
		f.Department = st.Department
	}
	switch f.Status {
	case "", cardStatusOpen, sqldb.CardIssued, sqldb.CardExplained, sqldb.CardClosed:
	default:
		return onedoor.FieldErrorf("status", "Unknown card status %q; use open, issued, explained or closed.", f.Status)
	}
	if f.Level != "" && f.Level.Rank() == 0 {
		return onedoor.FieldErrorf("level", "Unknown card level %q; use warning, yellow or red.", f.Level)
	}
	if v := q.Get("officer"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return onedoor.FieldErrorf("officer", "The officer must be a staff id, a positive whole number.")
		}
		f.OfficerID = id
	}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), "limit", 200, 1, 1000); err != nil {
		return err
	}
	var cards []*sqldb.Card
	if f.Status == cardStatusOpen {
		// Not closed: issued and explained, merged newest first.
		for _, status := range []string{sqldb.CardIssued, sqldb.CardExplained} {
			f.Status = status
			cs, err := s.DB.FindCards(r.Context(), f)
			if err != nil {
				return err
			}
			cards = append(cards, cs...)
		}
		slices.SortFunc(cards, func(a, b *sqldb.Card) int { return cmp.Compare(b.ID, a.ID) })
		cards = cards[:min(len(cards), f.Limit)]
	} else if cards, err = s.DB.FindCards(r.Context(), f); err != nil {
		return err
	}
	if cards == nil {
		cards = []*sqldb.Card{}
	}
	writeJSON(w, 200, map[string]any{"cards": cards})
	return nil
}

// findVisibleCard returns the card if the caller may see it: officers and
// leaders another department's card get the same not-found as for a card
// that does not exist, as on the pages.
func (s *Server) findVisibleCard(r *http.Request, id int64) (*sqldb.Card, error) {
	c, err := s.DB.FindCard(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if st := staffOf(r); isDeptRole(st) && c.Department != st.Department {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No supervision card %d exists.", id)
	}
	return c, nil
}

type cardDetail struct {
	Card *sqldb.Card      `json:"card"`
	Log  []sqldb.LogEntry `json:"log"`
}

// getCard answers the card with its entries of the hash-chained
// supervision log, oldest first.
func (s *Server) getCard(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "card")
	if err != nil {
		return err
	}
	c, err := s.findVisibleCard(r, id)
	if err != nil {
		return err
	}
	log, err := s.DB.SupervisionLog(r.Context(), "card", id)
	if err != nil {
		return err
	}
	if log == nil {
		log = []sqldb.LogEntry{}
	}
	writeJSON(w, 200, cardDetail{Card: c, Log: log})
	return nil
}

type explainRequest struct {
	Explanation string `json:"explanation"`
}

// explainCard records the department's explanation of one of its cards.
func (s *Server) explainCard(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "card")
	if err != nil {
		return err
	}
	var req explainRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if _, err := s.findVisibleCard(r, id); err != nil {
		return err
	}
	c, err := s.DB.ExplainCard(r.Context(), id, staffOf(r).Actor(), req.Explanation)
	if err != nil {
		return err
	}
	writeJSON(w, 200, c)
	return nil
}

type closeCardRequest struct {
	ClosingNote string `json:"closing_note"`
}

// closeCard closes an explained card with the supervisor's note.
func (s *Server) closeCard(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "card")
	if err != nil {
		return err
	}
	var req closeCardRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	c, err := s.DB.CloseCard(r.Context(), id, staffOf(r).Actor(), req.ClosingNote)
	if err != nil {
		return err
	}
	writeJSON(w, 200, c)
	return nil
}

// --- the supervisor's overview ---

type caseLoad struct {
	Department string `json:"department"`
	Open       int    `json:"open"`
	Paused     int    `json:"paused"`
	Overdue    int    `json:"overdue"`
	NearDue    int    `json:"near_due"`
}

func newCaseLoad(l sqldb.DepartmentLoad) caseLoad {
	return caseLoad{Department: l.Department, Open: l.Open, Paused: l.Paused, Overdue: l.Overdue, NearDue: l.NearDue}
}

type caseLoadResponse struct {
	Today       string     `json:"today"`
	NearDueTo   string     `json:"near_due_until"`
	Departments []caseLoad `json:"departments"`
	Total       caseLoad   `json:"total"`
}

// supervisionLoad is the supervision page (and the analyst's) as data:
// every department's open cases, paused, overdue and near due.
func (s *Server) supervisionLoad(w http.ResponseWriter, r *http.Request) error {
	d, err := s.caseLoad(r)
	if err != nil {
		return err
	}
	out := caseLoadResponse{Today: d.Today, NearDueTo: d.Soon, Departments: make([]caseLoad, 0, len(d.Loads)), Total: newCaseLoad(d.Total)}
	for _, l := range d.Loads {
		out.Departments = append(out.Departments, newCaseLoad(l))
	}
	writeJSON(w, 200, out)
	return nil
}

type cardTally struct {
	sqldb.CardTally
	Total int `json:"total"`
}

func tallies(ts []sqldb.CardTally) []cardTally {
	out := make([]cardTally, len(ts))
	for i, t := range ts {
		out[i] = cardTally{t, t.Total()}
	}
	return out
}

type performance struct {
	Since        string              `json:"since"`
	ByDepartment []sqldb.Performance `json:"by_department"`
	ByMatter     []sqldb.Performance `json:"by_matter"`
}

type supervisionSummary struct {
	Department   string            `json:"department,omitempty"`
	ByDepartment []cardTally       `json:"by_department"`
	ByOfficer    []cardTally       `json:"by_officer"`
	Trend        []sqldb.TrendWeek `json:"trend"`
	Performance  performance       `json:"performance"`
}

// supervisionSummary is the supervisor's card console as data: cards by
// department and officer, the weekly trend, and how the cases finished
// in the window did.
func (s *Server) supervisionSummary(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	dept := q.Get("department")
	if dept != "" {
		if _, ok := s.DB.Catalog().Department(dept); !ok {
			return onedoor.FieldErrorf("department", "No department %q exists.", dept)
		}
	}
	weeks, err := intParam(q.Get("weeks"), "weeks", trendWeeks, 1, 104)
	if err != nil {
		return err
	}
	days, err := intParam(q.Get("days"), "days", int(performanceWindow/(24*time.Hour)), 1, 3660)
	if err != nil {
		return err
	}
	byDept, byOfficer, err := s.DB.CardTallies(r.Context())
	if err != nil {
		return err
	}
	if dept != "" {
		byOfficer = filterTallies(byOfficer, dept)
	}
	trend, err := s.DB.CardTrend(r.Context(), weeks)
	if err != nil {
		return err
	}
	since := s.DB.Now().Add(-time.Duration(days) * 24 * time.Hour)
	pd, pm, err := s.DB.Performances(r.Context(), since)
	if err != nil {
		return err
	}
	writeJSON(w, 200, supervisionSummary{Department: dept, ByDepartment: tallies(byDept), ByOfficer: tallies(byOfficer), Trend: trend,
		Performance: performance{Since: since.In(time.UTC).Format(time.RFC3339), ByDepartment: nonNil(pd), ByMatter: nonNil(pm)}})
	return nil
}

// nonNil answers [] rather than null for an empty list.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// --- rectifications (好差评) ---

// listRectifications lists the caller's department's rectifications, open
// ones first. Like the page, it names neither the resident nor the case.
func (s *Server) listRectifications(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	switch status {
	case "", sqldb.RectificationOpen, sqldb.RectificationClosed:
	default:
		return onedoor.FieldErrorf("status", "Unknown rectification status %q; use open or closed.", status)
	}
	items, err := s.DB.FindRectifications(r.Context(), staffOf(r).Department)
	if err != nil {
		return err
	}
	out := []*sqldb.Rectification{}
	for _, x := range items {
		if status == "" || x.Status == status {
			x.Indicators = nonNil(x.Indicators)
			out = append(out, x)
		}
	}
	writeJSON(w, 200, map[string]any{"rectifications": out})
	return nil
}

type callbackRequest struct {
	Callback string `json:"callback"`
}

// recordCallback records the call-back to the resident; another
// department's rectification does not exist for the caller.
func (s *Server) recordCallback(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "rectification")
	if err != nil {
		return err
	}
	var req callbackRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	x, err := s.DB.RecordCallback(r.Context(), id, staffOf(r).Actor(), req.Callback)
	if err != nil {
		return err
	}
	x.Indicators = nonNil(x.Indicators)
	writeJSON(w, 200, x)
	return nil
}

type closeRectificationRequest struct {
	Action string `json:"action"`
}

// closeRectification closes a rectification with the action taken; it is
// refused until the call-back is recorded.
func (s *Server) closeRectification(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "rectification")
	if err != nil {
		return err
	}
	var req closeRectificationRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	x, err := s.DB.CloseRectification(r.Context(), id, staffOf(r).Actor(), req.Action)
	if err != nil {
		return err
	}
	x.Indicators = nonNil(x.Indicators)
	writeJSON(w, 200, x)
	return nil
}

// --- complaints ---

// listComplaints lists the complaints routed to the caller's department,
// open ones first; who complained is never shown.
func (s *Server) listComplaints(w http.ResponseWriter, r *http.Request) error {
	status := r.URL.Query().Get("status")
	switch status {
	case "", sqldb.ComplaintOpen, sqldb.ComplaintResolved, sqldb.ComplaintClosed:
	default:
		return onedoor.FieldErrorf("status", "Unknown complaint status %q; use open, resolved or closed.", status)
	}
	items, err := s.DB.FindComplaints(r.Context(), staffOf(r).Department, 0)
	if err != nil {
		return err
	}
	out := []*sqldb.Complaint{}
	for _, x := range items {
		if status == "" || x.Status == status {
			out = append(out, x)
		}
	}
	writeJSON(w, 200, map[string]any{"complaints": out})
	return nil
}

type resolveRequest struct {
	Resolution string `json:"resolution"`
}

// resolveComplaint records the department's resolution; the resident then
// accepts it or reopens the complaint.
func (s *Server) resolveComplaint(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "complaint")
	if err != nil {
		return err
	}
	var req resolveRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	x, err := s.DB.ResolveComplaint(r.Context(), id, staffOf(r).Actor(), req.Resolution)
	if err != nil {
		return err
	}
	writeJSON(w, 200, x)
	return nil
}

// --- scorecards ---

// scorecard is a scorecard with the rates the page shows and the name of
// its department or matter.
type scorecard struct {
	sqldb.Scorecard
	Name             *onedoor.Text `json:"name,omitempty"`
	SatisfactionRate float64       `json:"satisfaction_rate"`
	AverageScore     float64       `json:"average_score"`
	RectOnTimeRate   float64       `json:"rectified_on_time_rate"`
	ReopenRate       float64       `json:"reopen_rate"`
	RecontactRate    float64       `json:"recontact_rate"`
}

// listScorecards answers how residents judged each department or matter:
// ratings, rectifications and complaints.
func (s *Server) listScorecards(w http.ResponseWriter, r *http.Request) error {
	by := r.URL.Query().Get("by")
	switch by {
	case "":
		by = "department"
	case "department", "matter":
	default:
		return onedoor.FieldErrorf("by", "Scorecards are by department or by matter, not %q.", by)
	}
	cards, err := s.DB.Scorecards(r.Context(), by)
	if err != nil {
		return err
	}
	cat := s.DB.Catalog()
	out := make([]scorecard, len(cards))
	for i, c := range cards {
		out[i] = scorecard{Scorecard: c, SatisfactionRate: c.SatisfactionRate(), AverageScore: c.AverageScore(),
			RectOnTimeRate: c.RectOnTimeRate(), ReopenRate: c.ReopenRate(), RecontactRate: c.RecontactRate()}
		if by == "matter" {
			if m, ok := cat.Matter(c.Key); ok {
				out[i].Name = &m.Name
			}
		} else if d, ok := cat.Department(c.Key); ok {
			out[i].Name = &d.Name
		}
	}
	writeJSON(w, 200, map[string]any{"by": by, "scorecards": out})
	return nil
}
