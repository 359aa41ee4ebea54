package http

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"onedoor"
	"onedoor/sqldb"
)

// performanceWindow is how far back the console measures finished cases.
const performanceWindow = 90 * 24 * time.Hour

// perfRow words one performance line for a page.
type perfRow struct{ sqldb.Performance }

// Rate is the on-time rate as a percentage with one decimal.
func (p perfRow) Rate() string { return fmt.Sprintf("%.1f%%", 100*p.OnTimeRt) }

// Avg is the average working days per case with one decimal.
func (p perfRow) Avg() string { return fmt.Sprintf("%.1f", p.AvgDays) }

func perfRows(ps []sqldb.Performance) []perfRow {
	out := make([]perfRow, len(ps))
	for i, p := range ps {
		out[i] = perfRow{p}
	}
	return out
}

type cardsConsoleData struct {
	Department string
	Since      string
	ByDept     []sqldb.CardTally
	ByOfficer  []sqldb.CardTally
	PerfDept   []perfRow
	PerfMatter []perfRow
	Cards      []*sqldb.Card
	Trend      []sqldb.TrendWeek
}

// trendWeeks is how many weeks of cards the console charts.
const trendWeeks = 8

// cardsConsole is the supervisor's console: cards by department and
// officer, on-time rates and working days per matter over the last 90
// days, and the cards not yet closed, each leading to its case.
func (s *Server) cardsConsole(w http.ResponseWriter, r *http.Request, v *view) error {
	dept := r.URL.Query().Get("dept")
	if dept != "" {
		if _, ok := s.DB.Catalog().Department(dept); !ok {
			return webErr(onedoor.ENOTFOUND, "err.department", dept)
		}
	}
	since := s.DB.Now().Add(-performanceWindow)
	d := &cardsConsoleData{Department: dept, Since: s.DB.Now().Add(-performanceWindow).Format(time.DateOnly)}
	var err error
	if d.ByDept, d.ByOfficer, err = s.DB.CardTallies(r.Context()); err != nil {
		return err
	}
	if dept != "" {
		d.ByOfficer = filterTallies(d.ByOfficer, dept)
	}
	if d.Trend, err = s.DB.CardTrend(r.Context(), trendWeeks); err != nil {
		return err
	}
	pd, pm, err := s.DB.Performances(r.Context(), since)
	if err != nil {
		return err
	}
	d.PerfDept, d.PerfMatter = perfRows(pd), perfRows(pm)
	for _, st := range []string{sqldb.CardExplained, sqldb.CardIssued} {
		cs, err := s.DB.FindCards(r.Context(), sqldb.CardFilter{Department: dept, Status: st, Limit: 200})
		if err != nil {
			return err
		}
		d.Cards = append(d.Cards, cs...)
	}
	v.Title, v.Nav, v.Data = v.T("cards.console.title"), "supervision", d
	return s.show(w, "cards_console", v)
}

func filterTallies(ts []sqldb.CardTally, dept string) []sqldb.CardTally {
	var out []sqldb.CardTally
	for _, t := range ts {
		if t.Department == dept {
			out = append(out, t)
		}
	}
	return out
}

// cardID reads the {id} of a card route.
func cardID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, webErr(onedoor.ENOTFOUND, "cards.notfound")
	}
	return id, nil
}

// cardClose closes an explained card with the supervisor's note.
func (s *Server) cardClose(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := cardID(r)
	if err != nil {
		return err
	}
	if _, err := s.DB.CloseCard(r.Context(), id, v.Staff.Actor(), r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/supervision/cards?closed="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

type deptCardsData struct {
	Department string
	Cards      []*sqldb.Card
}

// deptCards lists the cards of the signed-in officer's department, the
// ones waiting for an explanation with their form.
func (s *Server) deptCards(w http.ResponseWriter, r *http.Request, v *view) error {
	cs, err := s.DB.FindCards(r.Context(), sqldb.CardFilter{Department: v.Staff.Department, Limit: 500})
	if err != nil {
		return err
	}
	v.Title, v.Nav, v.Data = v.T("cards.title", v.Dept(v.Staff.Department)), "inbox", &deptCardsData{Department: v.Staff.Department, Cards: cs}
	return s.show(w, "cards", v)
}

// cardExplain records the department's explanation of a card.
func (s *Server) cardExplain(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := cardID(r)
	if err != nil {
		return err
	}
	if c, err := s.DB.FindCard(r.Context(), id); err != nil || c.Department != v.Staff.Department {
		return webErr(onedoor.ENOTFOUND, "cards.notfound") // another department's card does not exist for you
	}
	if _, err := s.DB.ExplainCard(r.Context(), id, v.Staff.Actor(), r.PostFormValue("explanation")); err != nil {
		return err
	}
	http.Redirect(w, r, "/cards?explained="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
