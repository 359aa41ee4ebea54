package supervise

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"onedoor"
	"onedoor/calendar"
	"onedoor/workflow"
)

// Rule names, as cards record them.
const (
	RuleCaseLimit    = "case_limit"    // the case against its promised limit (and extensions)
	RuleStepLimit    = "step_limit"    // the current step against its own limit
	RuleRejectReason = "reject_reason" // refused without a real reason
	RuleUnlistedFee  = "unlisted_fee"  // a fee the matter's catalog entry does not list
	// RuleRefusedEligible: refused as ineligible although the matter's
	// condition found the applicant eligible at intake.
	RuleRefusedEligible = "refused_eligible"
)

// Finding is what a rule says about a case now: the level reached for one
// clock or act. Key names the clock or act, so that the store issues each
// level of it once: "case", "step:IDX:STARTED", "reject", "fee:CODE".
type Finding struct {
	Rule       string       `json:"rule"`
	Level      Level        `json:"level"`
	Key        string       `json:"key"`
	Department string       `json:"department"`
	Step       int          `json:"step"`
	Due        string       `json:"due,omitempty"`  // the effective due date, pauses included
	Used       int          `json:"used,omitempty"` // working days used of Limit
	Limit      int          `json:"limit,omitempty"`
	Over       int          `json:"over,omitempty"` // working days over the limit
	Detail     onedoor.Text `json:"detail"`
}

// Evaluate applies the deadline and conduct rules to one case at instant
// now. For each clock it returns only the highest level reached. A clock
// that stands still (the applicant is asked for materials, a special
// procedure runs) is judged against its due date pushed back by the pause
// so far, so a pause never earns a card. The due dates are the case's own,
// which count from when its clock started: an application that arrived
// outside office hours is not late before the next working period has had
// its chance (workflow.ClockStart).
func Evaluate(r Rules, c onedoor.Case, m *onedoor.Matter, events []onedoor.Event, now time.Time, cal *calendar.Calendar) []Finding {
	if cal == nil {
		cal = calendar.Official()
	}
	var out []Finding
	today := day(now)
	// The due dates count from when the case's clock started, which for an
	// application accepted outside office hours is the next working period
	// (workflow.ClockStart); a pause still running counts from then too,
	// as the workflow will count it when the pause ends.
	paused := c.PausedSince
	if start, ok := workflow.ClockStart(c, cal); ok && paused != "" && day(start) > paused {
		paused = day(start)
	}
	if c.AcceptedAt != nil && !r.Case.Off && caseClockRuns(c.Status) && c.Due != "" {
		limit := m.PromisedLimit + c.ExtendedDays
		if f, ok := judge(r.Case, c, cal, c.Due, limit, paused, today); ok {
			f.Rule, f.Key, f.Department, f.Step = RuleCaseLimit, "case", stepDept(c, m), c.Step
			f.Detail = limitText("办件", "The case", f)
			out = append(out, f)
		}
	}
	if stepClockRuns(c.Status) && !r.Step.Off && c.Step >= 0 && c.Step < len(m.Steps) && c.StepDue != "" {
		s := m.Steps[c.Step]
		stepPaused := paused
		if s.Special {
			stepPaused = "" // a special step's own limit is that of the procedure: it runs
		}
		if f, ok := judge(r.Step, c, cal, c.StepDue, s.Limit, stepPaused, today); ok {
			f.Rule, f.Key, f.Department, f.Step = RuleStepLimit, fmt.Sprintf("step:%d:%s", c.Step, c.StepStarted), s.Department, c.Step
			f.Detail = limitText("环节“"+s.Name.Zh+"”", "Step "+s.Name.En, f)
			out = append(out, f)
		}
	}
	if !r.RejectReason.Off && c.Status == onedoor.StatusRejected {
		for _, e := range events {
			if e.Type != onedoor.ActionReject {
				continue
			}
			if n := utf8.RuneCountInString(e.Command.Reason); n < r.RejectReason.MinChars {
				out = append(out, Finding{Rule: RuleRejectReason, Level: r.RejectReason.Level, Key: "reject",
					Department: e.Command.Actor.Department, Step: e.Step,
					Detail: onedoor.Text{
						Zh: fmt.Sprintf("不予办理未说明理由（理由仅 %d 字：“%s”）", n, e.Command.Reason),
						En: fmt.Sprintf("Refused without a stated reason (%d characters: “%s”)", n, e.Command.Reason),
					}})
			}
		}
	}
	if !r.RefusedEligible.Off && c.Status == onedoor.StatusRejected && m.Condition != "" {
		for _, e := range events {
			if e.Type != onedoor.ActionReject {
				continue
			}
			reason := strings.ToLower(e.Command.Reason)
			for _, k := range r.RefusedEligible.Keywords {
				if k != "" && strings.Contains(reason, strings.ToLower(k)) {
					out = append(out, Finding{Rule: RuleRefusedEligible, Level: r.RefusedEligible.Level, Key: "refused_eligible",
						Department: e.Command.Actor.Department, Step: e.Step,
						Detail: onedoor.Text{
							Zh: fmt.Sprintf("以不符合条件为由不予办理（“%s”），但受理时申请人已通过事项条件核验：%s", e.Command.Reason, m.ConditionText.Zh),
							En: fmt.Sprintf("Refused as ineligible (“%s”) although the applicant met the matter's condition at intake: %s", e.Command.Reason, m.ConditionText.In("en")),
						}})
					break
				}
			}
		}
	}
	return out
}

// CheckFee judges a fee charged on a case of matter m: a code the catalog
// does not list for the matter, or a different amount, is a finding.
func CheckFee(r Rules, m *onedoor.Matter, code string, amount int64) (Finding, bool) {
	if r.UnlistedFee.Off {
		return Finding{}, false
	}
	for _, f := range m.Fees {
		if f.Code == code && f.Amount == amount {
			return Finding{}, false
		}
	}
	return Finding{Rule: RuleUnlistedFee, Level: r.UnlistedFee.Level, Key: "fee:" + code, Department: m.Department,
		Detail: onedoor.Text{
			Zh: fmt.Sprintf("收取目录外费用 %s（%.2f 元）", code, float64(amount)/100),
			En: fmt.Sprintf("Charged fee %s (%.2f yuan), which the catalog does not list", code, float64(amount)/100),
		}}, true
}

// judge reads one clock: due is its recorded due date, limit its length in
// working days, pausedSince the start of a pause still running ("" if none).
func judge(l Limit, c onedoor.Case, cal *calendar.Calendar, due string, limit int, pausedSince, today string) (Finding, bool) {
	d, err := calendar.ParseDate(due)
	if err != nil {
		return Finding{}, false
	}
	t, err := calendar.ParseDate(today)
	if err != nil {
		return Finding{}, false
	}
	if pausedSince != "" {
		if p, err := calendar.ParseDate(pausedSince); err == nil {
			if n := cal.WorkdaysBetween(p, t); n > 0 {
				d = cal.AddWorkdays(d, n)
			}
		}
	}
	f := Finding{Due: day(d), Limit: limit}
	if over := cal.WorkdaysBetween(d, t); over > 0 {
		f.Over, f.Used = over, limit+over
		f.Level = Yellow
		if over >= l.RedAfterDays {
			f.Level = Red
		}
		return f, true
	}
	if l.WarnShare <= 0 || limit <= 0 {
		return Finding{}, false
	}
	f.Used = limit - cal.WorkdaysBetween(t, d)
	if f.Used >= int(math.Ceil(l.WarnShare*float64(limit)-1e-9)) && f.Used > 0 {
		f.Level = Warning
		return f, true
	}
	return Finding{}, false
}

func limitText(zh, en string, f Finding) onedoor.Text {
	if f.Over > 0 {
		return onedoor.Text{
			Zh: fmt.Sprintf("%s超期 %d 个工作日（时限 %d 个工作日，应于 %s 前办结）", zh, f.Over, f.Limit, f.Due),
			En: fmt.Sprintf("%s is %d working day(s) over its limit of %d (due %s)", en, f.Over, f.Limit, f.Due),
		}
	}
	return onedoor.Text{
		Zh: fmt.Sprintf("%s已用 %d/%d 个工作日，将于 %s 到期", zh, f.Used, f.Limit, f.Due),
		En: fmt.Sprintf("%s has used %d of %d working days; due %s", en, f.Used, f.Limit, f.Due),
	}
}

func caseClockRuns(s onedoor.Status) bool {
	switch s {
	case onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended, onedoor.StatusApproved:
		return true
	}
	return false
}

func stepClockRuns(s onedoor.Status) bool {
	switch s {
	case onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended:
		return true
	}
	return false
}

func stepDept(c onedoor.Case, m *onedoor.Matter) string {
	if c.Step >= 0 && c.Step < len(m.Steps) {
		return m.Steps[c.Step].Department
	}
	if len(m.Steps) > 0 {
		return m.Steps[len(m.Steps)-1].Department
	}
	return m.Department
}

// Responsible finds who answers for a finding: the last officer or leader
// of the finding's department who acted on the case, or nobody yet (the
// department as a whole).
func Responsible(f Finding, events []onedoor.Event) onedoor.Actor {
	for i := len(events) - 1; i >= 0; i-- {
		a := events[i].Command.Actor
		if a.StaffID != 0 && a.Department == f.Department && (a.Role == onedoor.RoleOfficer || a.Role == onedoor.RoleLeader) {
			return a
		}
	}
	return onedoor.Actor{Department: f.Department}
}

func day(t time.Time) string { return t.In(calendar.Location).Format(time.DateOnly) }
