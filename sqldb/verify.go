package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/workflow"
)

// Violation is one broken invariant: which case (or licence), which rule,
// and why.
type Violation struct {
	Case   string `json:"case"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// String is "CASE rule: reason".
func (v Violation) String() string { return v.Case + " " + v.Rule + ": " + v.Reason }

// Verification rules, by name.
const (
	RuleReplay   = "replay"   // the event history replays through the workflow to the stored state
	RuleDeadline = "deadline" // the due dates agree with the calendar and the recorded pauses
	RuleResult   = "result"   // every completed case has its result, and every delivered one its delivery
	RuleLicence  = "licence"  // every e-licence has its case and a valid signature
	RuleWaiver   = "waiver"   // every waived material points to the applicant's e-licence of its type, valid when it was waived
	RuleAudit    = "audit"    // the audit chain and the case rows verify
)

// VerifyReport counts what Verify checked.
type VerifyReport struct {
	Cases      int
	Events     int
	Licences   int
	Violations int
}

// Verify checks every case against the invariants that make "zero errors"
// a proof rather than a claim, calling report for each violation. Replaying
// a history through the workflow also proves that no action was taken by a
// role or department its step did not allow: the workflow would refuse it.
func (db *DB) Verify(ctx context.Context, report func(Violation)) (*VerifyReport, error) {
	rep := &VerifyReport{}
	add := func(v Violation) { rep.Violations++; report(v) }

	licences := map[string]*onedoor.Licence{}
	rows, err := db.read.QueryContext(ctx, `SELECT `+licenceColumns+` FROM licences`)
	if err != nil {
		return nil, internal("verify licences", err)
	}
	for rows.Next() {
		l, err := scanLicence(rows)
		if err != nil {
			rows.Close()
			return nil, internal("verify licences", err)
		}
		licences[l.Number] = l
	}
	rows.Close()
	rep.Licences = len(licences)
	issuedBy := map[string]string{} // licence number → case that records it

	// Cases and events, merged in case order in one pass each.
	crows, err := db.read.QueryContext(ctx, `SELECT id, state FROM cases ORDER BY id`)
	if err != nil {
		return nil, internal("verify cases", err)
	}
	defer crows.Close()
	erows, err := db.read.QueryContext(ctx, `SELECT seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash FROM events ORDER BY case_id, version`)
	if err != nil {
		return nil, internal("verify events", err)
	}
	defer erows.Close()
	var pending *onedoor.Event
	nextEvents := func(caseID int64) ([]onedoor.Event, error) {
		var evs []onedoor.Event
		for {
			if pending == nil {
				if !erows.Next() {
					return evs, erows.Err()
				}
				e, err := scanEvent(erows)
				if err != nil {
					return nil, err
				}
				rep.Events++
				pending = e
			}
			if pending.CaseID > caseID {
				return evs, nil
			}
			if pending.CaseID == caseID {
				evs = append(evs, *pending)
			}
			pending = nil
		}
	}
	for crows.Next() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := scanCase(crows)
		if err != nil {
			add(Violation{Case: "?", Rule: RuleReplay, Reason: err.Error()})
			continue
		}
		rep.Cases++
		evs, err := nextEvents(c.ID)
		if err != nil {
			return nil, internal("verify events", err)
		}
		m, err := db.matter(c.Matter, c.MatterVersion)
		if err != nil {
			add(Violation{c.Number, RuleReplay, fmt.Sprintf("its matter %s version %d is not recorded", c.Matter, c.MatterVersion)})
			continue
		}
		db.verifyCase(c, m, evs, licences, issuedBy, add)
	}
	if err := crows.Err(); err != nil {
		return nil, internal("verify cases", err)
	}
	for number, l := range licences {
		if !db.VerifyLicence(l) {
			add(Violation{l.CaseNumber, RuleLicence, fmt.Sprintf("e-licence %s has an invalid signature", number)})
		}
		if issuedBy[number] != l.CaseNumber {
			add(Violation{l.CaseNumber, RuleLicence, fmt.Sprintf("e-licence %s names case %s, which does not record issuing it", number, l.CaseNumber)})
		}
	}
	audit, err := db.VerifyAudit(ctx)
	if err != nil {
		return nil, err
	}
	if audit.Chain != nil {
		add(Violation{fmt.Sprintf("event#%d", audit.Chain.Seq), RuleAudit, audit.Chain.Kind + ": " + audit.Chain.Message})
	}
	for _, s := range audit.Cases {
		add(Violation{"-", RuleAudit, s})
	}
	if err := db.VerifySupervisionLog(ctx); err != nil {
		if !strings.HasPrefix(err.Error(), "supervision log:") { // a database error, not a finding
			return nil, err
		}
		add(Violation{"supervision-log", RuleAudit, err.Error()})
	}
	return rep, nil
}

func (db *DB) verifyCase(c *onedoor.Case, m *onedoor.Matter, evs []onedoor.Event, licences map[string]*onedoor.Licence, issuedBy map[string]string, add func(Violation)) {
	replayed, err := workflow.Replay(m, evs, db.cal)
	if err != nil {
		add(Violation{c.Number, RuleReplay, onedoor.ErrorMessage(err)})
		return
	}
	if replayed.Due != c.Due || replayed.StepDue != c.StepDue {
		add(Violation{c.Number, RuleDeadline, fmt.Sprintf("stored due dates %q/%q; the calendar and the recorded pauses give %q/%q", c.Due, c.StepDue, replayed.Due, replayed.StepDue)})
	} else if replayed.StateHash() != c.StateHash() {
		add(Violation{c.Number, RuleReplay, "the stored state is not what its event history produces"})
	}
	if c.Licence != "" {
		issuedBy[c.Licence] = c.Number
	}
	if c.Status == onedoor.StatusCompleted || c.Status == onedoor.StatusDelivered {
		if m.Result.Licence != "" {
			l, ok := licences[c.Licence]
			switch {
			case c.Licence == "":
				add(Violation{c.Number, RuleResult, fmt.Sprintf("completed without the %s e-licence its matter issues", m.Result.Licence)})
			case !ok:
				add(Violation{c.Number, RuleResult, fmt.Sprintf("its e-licence %s is not in the registry", c.Licence)})
			case l.HolderID != c.ApplicantID || l.Subject != c.Subject || l.Type != m.Result.Licence:
				add(Violation{c.Number, RuleResult, fmt.Sprintf("its e-licence %s is of another type or holder", c.Licence)})
			}
		}
	}
	if c.Status == onedoor.StatusDelivered {
		if c.ClosedAt == nil || (c.Delivery == onedoor.ChannelPost && c.TrackingNo == "") {
			add(Violation{c.Number, RuleResult, "delivered without a delivery record (date, or postal tracking number)"})
		}
	}
	// A material is waived at intake, or later when the system passes on
	// the e-licence another case of the bundle issued (a supply naming it):
	// the licence must be valid then.
	waivedAt := map[string]time.Time{}
	for _, e := range evs {
		if e.Type == onedoor.ActionSupply && e.Command.Licence != "" {
			for _, code := range e.Command.Materials {
				waivedAt[code] = e.At
			}
		}
	}
	for _, mat := range c.Materials {
		if mat.State != onedoor.MaterialWaived {
			continue
		}
		at, when := c.ReceivedAt, "the intake"
		if t, ok := waivedAt[mat.Code]; ok {
			at, when = t, "it was passed on"
		}
		day := at.In(calendar.Location).Format("2006-01-02")
		l, ok := licences[mat.Licence]
		def, _ := m.Material(mat.Code)
		switch {
		case !ok:
			add(Violation{c.Number, RuleWaiver, fmt.Sprintf("material %s was waived by e-licence %s, which is not in the registry", mat.Code, mat.Licence)})
		case l.Type != def.Licence || l.Subject != c.Subject || l.HolderID != c.ApplicantID:
			add(Violation{c.Number, RuleWaiver, fmt.Sprintf("material %s was waived by e-licence %s, of another type or holder", mat.Code, mat.Licence)})
		case !l.ValidOn(day) && l.IssuedAt.After(at):
			add(Violation{c.Number, RuleWaiver, fmt.Sprintf("material %s was waived by e-licence %s, issued only after %s", mat.Code, mat.Licence, when)})
		case !l.ValidOn(day):
			add(Violation{c.Number, RuleWaiver, fmt.Sprintf("material %s was waived by e-licence %s, not valid on %s", mat.Code, mat.Licence, day)})
		}
	}
}
