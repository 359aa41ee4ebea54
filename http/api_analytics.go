package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"onedoor"
	"onedoor/segment"
)

// Who sees what of the analytics index. Analysts see aggregates under
// disclosure control; department leaders and supervisors, who may see
// cases and people anyway, see exact counts and outreach lists (IDs and
// masked names only). Administrators see the index's size.
var (
	analyticsRoles = []onedoor.Role{onedoor.RoleAnalyst, onedoor.RoleLeader, onedoor.RoleSupervisor}
	peopleRoles    = []onedoor.Role{onedoor.RoleLeader, onedoor.RoleSupervisor}
)

// Analytics registers /api/v1/analytics/... over the segment index. One
// disclosure guard is shared by every protected caller of this server.
func (s *Server) Analytics(ix *segment.Index) {
	a := &analyticsAPI{s: s, ix: ix, guard: segment.NewGuard(0)}
	s.analytics = a
	m := s.mux
	m.HandleFunc("GET /api/v1/analytics/dimensions", s.staff(a.dimensions, analyticsRoles...))
	m.HandleFunc("POST /api/v1/analytics/query", s.staff(a.query, analyticsRoles...))
	m.HandleFunc("POST /api/v1/analytics/bed-demand", s.staff(a.bedDemand, analyticsRoles...))
	m.HandleFunc("POST /api/v1/analytics/demand", s.staff(a.demand, analyticsRoles...))
	m.HandleFunc("POST /api/v1/analytics/whatif", s.staff(a.whatIf, analyticsRoles...))
	m.HandleFunc("POST /api/v1/analytics/whatif/outreach.xlsx", s.staff(a.outreach, peopleRoles...))
	m.HandleFunc("GET /api/v1/analytics/stats", s.staff(a.stats, onedoor.RoleSupervisor, onedoor.RoleAdmin))
}

type analyticsAPI struct {
	s     *Server
	ix    *segment.Index
	guard *segment.Guard
}

// protection is disclosure control for the caller: nil for roles that may
// see people.
func (a *analyticsAPI) protection(r *http.Request) *segment.Protection {
	return a.protectionFor(staffOf(r).Role)
}

// protectionFor is disclosure control for a role; pages and the API share
// one guard, so differencing across both is checked too.
func (a *analyticsAPI) protectionFor(role onedoor.Role) *segment.Protection {
	if slices.Contains(peopleRoles, role) {
		return nil
	}
	return &segment.Protection{Threshold: 10, Guard: a.guard}
}

func (a *analyticsAPI) dimensions(w http.ResponseWriter, r *http.Request) error {
	subject := onedoor.SubjectType(r.URL.Query().Get("subject"))
	switch subject {
	case "":
		subject = onedoor.Natural
	case onedoor.Natural, onedoor.Legal:
	default:
		return onedoor.FieldErrorf("subject", "The subject must be natural or legal.")
	}
	writeJSON(w, 200, map[string]any{"subject": subject, "reference": a.ix.Reference().Format("2006-01-02"),
		"dimensions": a.ix.Dimensions(subject)})
	return nil
}

func (a *analyticsAPI) query(w http.ResponseWriter, r *http.Request) error {
	var q segment.Query
	if err := decodeSegments(w, r, &q); err != nil {
		return err
	}
	res, err := a.ix.Query(r.Context(), q, a.protection(r))
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (a *analyticsAPI) bedDemand(w http.ResponseWriter, r *http.Request) error {
	var q segment.BedDemand
	if err := decodeOptional(w, r, &q); err != nil {
		return err
	}
	res, err := a.ix.BedDemand(r.Context(), q, a.protection(r))
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (a *analyticsAPI) demand(w http.ResponseWriter, r *http.Request) error {
	var q segment.Demand
	if err := decodeOptional(w, r, &q); err != nil {
		return err
	}
	res, err := a.ix.Demand(r.Context(), q, a.protection(r))
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (a *analyticsAPI) whatIf(w http.ResponseWriter, r *http.Request) error {
	var q segment.WhatIf
	if err := decodeSegments(w, r, &q); err != nil {
		return err
	}
	res, err := a.ix.WhatIf(r.Context(), q, a.protection(r))
	if err != nil {
		return err
	}
	if q.List {
		a.s.Log.Info("outreach list shown", "staff", staffOf(r).Username, "rule", q.Rule, "residents", len(res.Outreach))
	}
	writeJSON(w, 200, res)
	return nil
}

// outreach exports the whole outreach list of a what-if as Excel: IDs and
// names from the store (residents' masked).
func (a *analyticsAPI) outreach(w http.ResponseWriter, r *http.Request) error {
	var q segment.WhatIf
	if err := decodeSegments(w, r, &q); err != nil {
		return err
	}
	return a.writeOutreach(w, r, q, staffOf(r))
}

// writeOutreach writes the whole outreach list of a what-if as Excel: IDs
// and names from the store — residents' masked, organisations' as
// registered, each from its own table — the export logged with who made
// it.
func (a *analyticsAPI) writeOutreach(w http.ResponseWriter, r *http.Request, q segment.WhatIf, by *onedoor.Staff) error {
	if !slices.Contains(peopleRoles, by.Role) {
		return onedoor.Errorf(onedoor.EFORBIDDEN, "Lists of people are for roles that may see people.")
	}
	q.List, q.Limit = false, 0
	res, err := a.ix.WhatIf(r.Context(), q, nil)
	if err != nil {
		return err
	}
	ids := res.OutreachIDs()
	who, names := "residents", a.s.DB.MaskedNames
	if res.Subject == onedoor.Legal {
		who, names = "organisations", a.s.DB.OrgNames
	}
	if len(ids) > segment.MaxOutreach {
		return onedoor.Errorf(onedoor.EINVALID, "The list has %d %s; at most %d are exported. Narrow the rule or the population (within).", len(ids), who, segment.MaxOutreach)
	}
	byID, err := names(r.Context(), ids)
	if err != nil {
		return err
	}
	rows := make([]segment.OutreachRow, len(ids))
	for i, id := range ids {
		rows[i] = segment.OutreachRow{ID: id, Name: byID[id]}
	}
	a.s.Log.Info("outreach list exported", "staff", by.Username, "rule", q.Rule, "subject", res.Subject, who, len(rows))
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="outreach.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Outreach-Count", strconv.Itoa(len(rows)))
	return segment.WriteOutreachXLSX(w, res, rows)
}

func (a *analyticsAPI) stats(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, a.ix.Stats())
	return nil
}

// decodeSegments is decode for a body holding segments: a segment value
// that is no string, boolean or number is refused naming its field, not
// as invalid JSON (which it is not).
func decodeSegments(w http.ResponseWriter, r *http.Request, v any) error {
	var raw json.RawMessage
	if err := decode(w, r, &raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if ve, ok := segment.ValueError(err); ok {
			return ve
		}
		return jsonError(err)
	}
	return nil
}

// decodeOptional is decode, where an empty body means all defaults.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(w, r, v)
}
