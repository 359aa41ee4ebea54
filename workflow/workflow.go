// Package workflow is the state machine of a case: intake, the back-office
// steps, pauses, extension, rejection, completion and delivery.
//
// It is pure. Every function takes values and returns values: no database,
// no clock (the time of a command is in the command), no I/O. That is what
// lets the store replay a case from its events and get the very same state,
// byte for byte, and what lets the transitions be table-tested and fuzzed.
//
// The rules come from the matter a case was accepted under: which role of
// which department works each step, how long each step and the whole case
// may take in working days, which materials are required, which may follow
// under a commitment (容缺) and which an e-licence replaces (免提交). There
// is no other discretion in here: a command is either allowed by those rules
// or refused with an *onedoor.Error saying why.
//
// The clock. A case accepted on date D is due on the PromisedLimit-th working
// day after D (D itself for a limit of 0), pushed back by extensions and by
// the working days it spent paused. D is the date the case is accepted in
// office hours; an application accepted outside them — on the portal in the
// evening, on a weekend or a holiday — is received when the next working
// period opens, and D is that day (ClockStart, calendar.NextOpen). The
// events keep the true instants. Steps count from the date they start, but
// never before D. It is paused while the applicant is asked for materials
// (supplement), while it is suspended, and while its current step is a
// special step (特殊环节: expert review, public notice…), which does not count
// toward the limit. A pause from date P ended on date R adds the working days
// in (P, R] to the case; if the same ordinary step goes on, they are added to
// the step's own clock too. A special step's own limit runs regardless: it
// is the limit of the special procedure itself.
package workflow

import (
	"slices"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Actions returns the actions Apply takes, in the order Allowed reports
// them.
func Actions() []onedoor.Action { return slices.Clone(actions) }

var actions = []onedoor.Action{
	onedoor.ActionSupply,
	onedoor.ActionApprove,
	onedoor.ActionReturn,
	onedoor.ActionRequestSupplement,
	onedoor.ActionSuspend,
	onedoor.ActionResume,
	onedoor.ActionExtend,
	onedoor.ActionReject,
	onedoor.ActionComplete,
	onedoor.ActionDeliver,
}

// Apply performs one command on a case under the matter version it was
// accepted with, and returns the new case and the event recording the
// change. The input case is not changed. The event carries the command as
// normalised (time in UTC to the microsecond, free text trimmed, defaults
// filled in), so that applying the event's command again gives the same
// case; Seq, PrevHash and Hash are left for the store.
//
// A refused command returns an *onedoor.Error: ECONFLICT when the action is
// not possible in the case's status, EFORBIDDEN when the actor may not do
// it, EINVALID (with Field) when an input is wrong. A nil calendar means
// calendar.Official().
func Apply(c onedoor.Case, m *onedoor.Matter, cmd onedoor.Command, cal *calendar.Calendar) (onedoor.Case, onedoor.Event, error) {
	if cal == nil {
		cal = calendar.Official()
	}
	if err := checkMatter(c, m); err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	if cmd.Action == onedoor.ActionIntake {
		return onedoor.Case{}, onedoor.Event{}, onedoor.Errorf(onedoor.ECONFLICT,
			"Case %s already exists; intake creates a case and cannot be applied to one.", c.Number)
	}
	if !slices.Contains(actions, cmd.Action) {
		return onedoor.Case{}, onedoor.Event{}, onedoor.FieldErrorf("action",
			"%q is not a workflow action; use one of %s.", cmd.Action, actionList())
	}
	if err := guard(c, m, cmd.Action, cmd.Actor); err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	cmd, err := normalise(c, cmd)
	if err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	n := clone(c)
	if err := transition(&n, m, &cmd, cal); err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	n.Version = c.Version + 1
	return n, event(n, cmd), nil
}

// Allowed returns the actions actor a may take on the case now, in the
// order of Actions. An action is listed exactly when Apply, given the same
// actor and sensible inputs (a reason, materials that are awaited, a day of
// extension…), would perform it.
func Allowed(c onedoor.Case, m *onedoor.Matter, a onedoor.Actor) []onedoor.Action {
	out := []onedoor.Action{}
	if checkMatter(c, m) != nil {
		return out
	}
	for _, action := range actions {
		if guard(c, m, action, a) == nil {
			out = append(out, action)
		}
	}
	return out
}

// Notice returns the one-time supplement notice (一次性告知): every material
// awaited from the applicant, in the order of the matter's guide. A code the
// matter does not know (which a valid case never holds) is still listed, by
// code alone, so nothing owed is ever left out.
func Notice(c onedoor.Case, m *onedoor.Matter) []onedoor.Material {
	out := make([]onedoor.Material, 0, len(c.Awaiting))
	listed := make(map[string]bool, len(c.Awaiting))
	if m != nil {
		for _, x := range m.Materials {
			if slices.Contains(c.Awaiting, x.Code) && !listed[x.Code] {
				out = append(out, x)
				listed[x.Code] = true
			}
		}
	}
	for _, code := range c.Awaiting {
		if !listed[code] {
			out = append(out, onedoor.Material{Code: code})
			listed[code] = true
		}
	}
	return out
}

// Issuer is a case of a bundle application with its matter, which may
// issue an e-licence another case of the bundle awaits.
type Issuer struct {
	Case   *onedoor.Case
	Matter *onedoor.Matter
}

// FromBundle splits the notice of case c (Notice) into what the applicant
// is to bring and what another case of its bundle will issue: a material
// satisfied by an e-licence (Material.Licence) that a sibling's matter
// issues as its result, while that sibling is neither completed nor
// rejected. A licence a completed sibling issued was passed on already;
// one a rejected sibling will never issue is the applicant's to bring.
func FromBundle(c onedoor.Case, notice []onedoor.Material, issuers []Issuer) (bring []onedoor.Material, coming []onedoor.Forthcoming) {
	for _, x := range notice {
		from := -1
		for i, is := range issuers {
			s := is.Case
			if x.Licence == "" || s.Number == c.Number || s.Bundle != c.Bundle ||
				s.Subject != c.Subject || s.ApplicantID != c.ApplicantID ||
				s.Status == onedoor.StatusCompleted || s.Status.Final() || is.Matter.Result.Licence != x.Licence {
				continue
			}
			from = i
			break
		}
		if from < 0 {
			bring = append(bring, x)
			continue
		}
		is := issuers[from]
		coming = append(coming, onedoor.Forthcoming{Material: x, From: is.Case.Number, Matter: is.Matter.Code, Name: is.Matter.Name})
	}
	return bring, coming
}

// checkMatter refuses a matter that is not the one the case was accepted
// under: the service loaded the wrong definition.
func checkMatter(c onedoor.Case, m *onedoor.Matter) error {
	switch {
	case m == nil:
		return onedoor.FieldErrorf("matter", "No matter definition was given for case %s.", c.Number)
	case m.Code != c.Matter || m.Version != c.MatterVersion:
		return onedoor.FieldErrorf("matter", "Case %s was accepted under matter %s version %d, not %s version %d.",
			c.Number, c.Matter, c.MatterVersion, m.Code, m.Version)
	}
	return nil
}

// guard decides whether actor a may take the action on the case as it
// stands, whatever the command's inputs: status, role and department, and
// the facts of the case that no input can change (nothing to supply, no step
// to return to, materials still under commitment, no room to extend). Apply
// and Allowed both ask it, so they cannot disagree.
func guard(c onedoor.Case, m *onedoor.Matter, action onedoor.Action, a onedoor.Actor) error {
	st := c.Status
	switch action {
	case onedoor.ActionSupply:
		if !oneOf(st, onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended) {
			return conflict(c, action)
		}
		if a.Role != onedoor.RoleClerk && a.Role != onedoor.RoleSystem {
			return forbidden("Materials are handed in through a clerk or the system; %s.", you(a))
		}
		if len(c.Awaiting) == 0 && len(tolerated(c)) == 0 {
			return onedoor.Errorf(onedoor.ECONFLICT,
				"Nothing is awaited from the applicant of case %s: no material is asked for or under commitment.", c.Number)
		}
	case onedoor.ActionApprove:
		s, err := workedStep(c, m, action, a, onedoor.StatusInProgress)
		if err != nil {
			return err
		}
		if c.Step == len(m.Steps)-1 {
			if codes := tolerated(c); len(codes) > 0 {
				return onedoor.Errorf(onedoor.ECONFLICT,
					"The last step %s cannot be approved while materials are still under commitment (容缺): %s. They must be handed in first.",
					stepLabel(s), materialList(m, codes))
			}
		}
	case onedoor.ActionReturn:
		s, err := workedStep(c, m, action, a, onedoor.StatusInProgress)
		if err != nil {
			return err
		}
		if c.Step == 0 {
			return onedoor.Errorf(onedoor.ECONFLICT,
				"Case %s is at its first step %s; there is no earlier step to return it to.", c.Number, stepLabel(s))
		}
	case onedoor.ActionRequestSupplement:
		if _, err := workedStep(c, m, action, a, onedoor.StatusInProgress); err != nil {
			return err
		}
		if len(m.Materials) == 0 {
			return onedoor.Errorf(onedoor.ECONFLICT,
				"Matter %s asks for no materials, so there is nothing to request for case %s.", m.Code, c.Number)
		}
	case onedoor.ActionSuspend:
		if _, err := workedStep(c, m, action, a, onedoor.StatusInProgress); err != nil {
			return err
		}
	case onedoor.ActionResume:
		if _, err := workedStep(c, m, action, a, onedoor.StatusSuspended); err != nil {
			return err
		}
	case onedoor.ActionExtend:
		if !oneOf(st, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended) {
			return conflict(c, action)
		}
		s, err := currentStep(c, m)
		if err != nil {
			return err
		}
		if a.Role != onedoor.RoleLeader || a.Department != s.Department {
			return forbidden("Extending the time limit needs a leader of %s, the department of step %s; %s.",
				s.Department, stepLabel(s), you(a))
		}
		if room := m.StatutoryLimit - m.PromisedLimit - c.ExtendedDays; room < 1 {
			return onedoor.FieldErrorf("days",
				"The statutory limit of %d working days leaves no room to extend: the promised limit is %d and %d days were already granted.",
				m.StatutoryLimit, m.PromisedLimit, c.ExtendedDays)
		}
	case onedoor.ActionReject:
		if st == onedoor.StatusApproved {
			if len(m.Steps) == 0 {
				return internal("case %s is approved under matter %s, which has no steps", c.Number, m.Code)
			}
			s := m.Steps[len(m.Steps)-1]
			if a.Role != s.Role || a.Department != s.Department {
				return stepForbidden(s, a)
			}
			return nil
		}
		if _, err := workedStep(c, m, action, a, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended); err != nil {
			return err
		}
	case onedoor.ActionComplete:
		if st != onedoor.StatusApproved {
			return conflict(c, action)
		}
		if len(m.Steps) == 0 {
			return internal("case %s is approved under matter %s, which has no steps", c.Number, m.Code)
		}
		s := m.Steps[len(m.Steps)-1]
		if (a.Role != onedoor.RoleOfficer && a.Role != onedoor.RoleLeader) || a.Department != s.Department {
			return forbidden("Issuing the result needs an officer or a leader of %s, the department of the last step %s; %s.",
				s.Department, stepLabel(s), you(a))
		}
	case onedoor.ActionDeliver:
		if st != onedoor.StatusCompleted {
			return conflict(c, action)
		}
		switch c.Delivery {
		case onedoor.ChannelCounter, onedoor.ChannelPost:
			if a.Role != onedoor.RoleClerk {
				return forbidden("Delivery %s is done by a clerk; %s.", channelPhrase(c.Delivery), you(a))
			}
		case onedoor.ChannelELicence:
			if a.Role != onedoor.RoleClerk && a.Role != onedoor.RoleSystem {
				return forbidden("Delivery %s is done by a clerk or the system; %s.", channelPhrase(c.Delivery), you(a))
			}
		default:
			return internal("case %s has unknown delivery channel %q", c.Number, c.Delivery)
		}
	default:
		return onedoor.FieldErrorf("action", "%q is not a workflow action; use one of %s.", action, actionList())
	}
	return nil
}

// workedStep checks that the case is in one of the statuses and that a is
// the role and department of its current step, and returns the step.
func workedStep(c onedoor.Case, m *onedoor.Matter, action onedoor.Action, a onedoor.Actor, statuses ...onedoor.Status) (onedoor.Step, error) {
	if !slices.Contains(statuses, c.Status) {
		return onedoor.Step{}, conflict(c, action)
	}
	s, err := currentStep(c, m)
	if err != nil {
		return onedoor.Step{}, err
	}
	if a.Role != s.Role || a.Department != s.Department {
		return onedoor.Step{}, stepForbidden(s, a)
	}
	return s, nil
}

// currentStep returns the step a case in progress stands at.
func currentStep(c onedoor.Case, m *onedoor.Matter) (onedoor.Step, error) {
	if c.Step < 0 || c.Step >= len(m.Steps) {
		return onedoor.Step{}, internal("case %s is %s at step %d, but matter %s version %d has %d steps",
			c.Number, c.Status, c.Step, m.Code, m.Version, len(m.Steps))
	}
	return m.Steps[c.Step], nil
}

// normalise checks and cleans the inputs every action shares: the time and
// the free text. Action-specific inputs are checked by transition.
func normalise(c onedoor.Case, cmd onedoor.Command) (onedoor.Command, error) {
	at, err := instant(cmd.At)
	if err != nil {
		return cmd, err
	}
	today := day(at)
	if last := lastDate(c); today < last {
		return cmd, onedoor.FieldErrorf("at", "The command is dated %s, before the case's last change on %s.", today, last)
	}
	cmd.At = at
	if cmd.Reason, err = cleanText("reason", onedoor.Text{Zh: "理由", En: "reason"}, cmd.Reason, onedoor.MaxText); err != nil {
		return cmd, err
	}
	if cmd.Note, err = cleanText("note", onedoor.Text{Zh: "备注", En: "note"}, cmd.Note, onedoor.MaxText); err != nil {
		return cmd, err
	}
	if cmd.TrackingNo, err = cleanText("tracking_no", onedoor.Text{Zh: "邮寄单号", En: "tracking number"}, cmd.TrackingNo, 64); err != nil {
		return cmd, err
	}
	if cmd.Approver, err = cleanText("approver", onedoor.Text{Zh: "审批人", En: "approver"}, cmd.Approver, maxName); err != nil {
		return cmd, err
	}
	if cmd.Licence, err = cleanText("licence", onedoor.Text{Zh: "证照编号", En: "licence number"}, cmd.Licence, maxName); err != nil {
		return cmd, err
	}
	cmd.Materials = dedupe(cmd.Materials)
	cmd.Intake = nil
	return cmd, nil
}

// lastDate is the latest date the case records; no command may be dated
// before it, or the clock would run backwards.
func lastDate(c onedoor.Case) string {
	last := ""
	if !c.ReceivedAt.IsZero() {
		last = day(c.ReceivedAt)
	}
	if c.AcceptedAt != nil {
		last = max(last, day(*c.AcceptedAt))
	}
	return max(last, c.StepStarted, c.PausedSince)
}

// transition performs the action on n, a private copy of the case, after
// guard has allowed it. It checks the action's own inputs and may complete
// them in cmd (the approver of an extension, the channel of a delivery).
func transition(n *onedoor.Case, m *onedoor.Matter, cmd *onedoor.Command, cal *calendar.Calendar) error {
	today := day(cmd.At)
	stepChanged := false
	switch cmd.Action {
	case onedoor.ActionSupply:
		if len(cmd.Materials) == 0 {
			return onedoor.FieldErrorf("materials", "Name the materials handed in.")
		}
		var bad []string
		for _, code := range cmd.Materials {
			if !slices.Contains(n.Awaiting, code) && !slices.Contains(tolerated(*n), code) {
				bad = append(bad, code)
			}
		}
		if len(bad) > 0 {
			return onedoor.FieldErrorf("materials", "Neither awaited nor under commitment for case %s: %s.",
				n.Number, strings.Join(bad, ", "))
		}
		// With a licence, the materials are not handed in but replaced by
		// that e-licence from the registry (免提交): the one another case
		// of the same bundle has just issued. Only a material an e-licence
		// may replace can be.
		supplied := onedoor.CaseMaterial{State: onedoor.MaterialProvided}
		if cmd.Licence != "" {
			supplied = onedoor.CaseMaterial{State: onedoor.MaterialWaived, Licence: cmd.Licence}
			for _, code := range cmd.Materials {
				if x, ok := m.Material(code); !ok || x.Licence == "" {
					bad = append(bad, code)
				}
			}
			if len(bad) > 0 {
				return onedoor.FieldErrorf("licence", "No e-licence replaces %s of matter %s; it must be handed in.",
					strings.Join(bad, ", "), m.Code)
			}
		}
		for _, code := range cmd.Materials {
			if i := materialIndex(*n, code); i >= 0 {
				supplied.Code = code
				n.Materials[i] = supplied
			}
			n.Awaiting = slices.DeleteFunc(n.Awaiting, func(x string) bool { return x == code })
		}
		if len(n.Awaiting) == 0 {
			n.Awaiting = nil
			switch n.Status {
			case onedoor.StatusReceived:
				accept(n, cmd.At)
			case onedoor.StatusSupplement:
				n.Status = onedoor.StatusInProgress
			}
		}
	case onedoor.ActionApprove:
		n.Step++
		stepChanged = true
		if n.Step == len(m.Steps) {
			n.Status = onedoor.StatusApproved
			n.StepStarted, n.StepDue, n.StepPaused = "", "", 0
		} else {
			startStep(n, today)
		}
	case onedoor.ActionReturn:
		if cmd.Reason == "" {
			return needReason(onedoor.Text{Zh: "退回上一环节", En: "return the case to the previous step"})
		}
		n.Step--
		stepChanged = true
		startStep(n, today)
	case onedoor.ActionRequestSupplement:
		if cmd.Reason == "" {
			return needReason(onedoor.Text{Zh: "要求补正材料", En: "ask for materials"})
		}
		if len(cmd.Materials) == 0 {
			return onedoor.FieldErrorf("materials", "Name the materials the applicant is asked for.")
		}
		var bad []string
		for _, code := range cmd.Materials {
			if _, ok := m.Material(code); !ok {
				bad = append(bad, code)
			}
		}
		if len(bad) > 0 {
			return onedoor.FieldErrorf("materials", "Matter %s has no such materials: %s.", m.Code, strings.Join(bad, ", "))
		}
		for _, code := range cmd.Materials {
			if i := materialIndex(*n, code); i >= 0 {
				n.Materials[i] = onedoor.CaseMaterial{Code: code, State: onedoor.MaterialMissing}
			} else {
				n.Materials = append(n.Materials, onedoor.CaseMaterial{Code: code, State: onedoor.MaterialMissing})
			}
		}
		n.Awaiting = slices.Clone(cmd.Materials)
		n.Status = onedoor.StatusSupplement
	case onedoor.ActionSuspend:
		if cmd.Reason == "" {
			return needReason(onedoor.Text{Zh: "进入特别程序", En: "suspend the case"})
		}
		n.Status = onedoor.StatusSuspended
	case onedoor.ActionResume:
		n.Status = onedoor.StatusInProgress
	case onedoor.ActionExtend:
		if cmd.Reason == "" {
			return needReason(onedoor.Text{Zh: "延长时限", En: "extend the time limit"})
		}
		if room := m.StatutoryLimit - m.PromisedLimit - n.ExtendedDays; cmd.Days < 1 || cmd.Days > room {
			return onedoor.FieldErrorf("days",
				"The extension must be from 1 to %d working days: the promised limit of %d days plus extensions (%d so far) may not pass the statutory limit of %d working days.",
				room, m.PromisedLimit, n.ExtendedDays, m.StatutoryLimit)
		}
		if cmd.Approver == "" {
			cmd.Approver = cmd.Actor.Name
		}
		n.ExtendedDays += cmd.Days
	case onedoor.ActionReject:
		if cmd.Reason == "" {
			return needReason(onedoor.Text{Zh: "不予办理", En: "reject the application"})
		}
		n.Status = onedoor.StatusRejected
		closed := cmd.At
		n.ClosedAt = &closed
	case onedoor.ActionComplete:
		switch {
		case m.Result.Licence != "" && cmd.Licence == "":
			return onedoor.FieldErrorf("licence",
				"Matter %s issues an e-licence of type %s; give the number of the licence issued.", m.Code, m.Result.Licence)
		case m.Result.Licence == "" && cmd.Licence != "":
			return onedoor.FieldErrorf("licence", "Matter %s issues no e-licence, so no licence number belongs here.", m.Code)
		}
		n.Licence = cmd.Licence
		n.Status = onedoor.StatusCompleted
	case onedoor.ActionDeliver:
		if cmd.Channel == "" {
			cmd.Channel = n.Delivery
		}
		if cmd.Channel != n.Delivery {
			return onedoor.FieldErrorf("channel",
				"Case %s is to be delivered %s, not %s.", n.Number, channelPhrase(n.Delivery), channelPhrase(cmd.Channel))
		}
		switch {
		case n.Delivery == onedoor.ChannelPost && cmd.TrackingNo == "":
			return onedoor.FieldErrorf("tracking_no", "A result sent by post needs the postal tracking number.")
		case n.Delivery != onedoor.ChannelPost && cmd.TrackingNo != "":
			return onedoor.FieldErrorf("tracking_no", "Only a result sent by post has a tracking number; this one is delivered %s.",
				channelPhrase(n.Delivery))
		}
		n.TrackingNo = cmd.TrackingNo
		n.Status = onedoor.StatusDelivered
		closed := cmd.At
		n.ClosedAt = &closed
	}
	return settle(n, m, today, stepChanged, cal)
}

// accept starts the clock of a case whose materials are complete (or
// tolerated) at instant at.
func accept(n *onedoor.Case, at time.Time) {
	accepted := at
	n.AcceptedAt = &accepted
	n.Status = onedoor.StatusInProgress
	n.PausedDays, n.PausedSince, n.ExtendedDays = 0, "", 0
	n.Step = 0
	startStep(n, day(at))
}

// startStep starts the current step today; settle computes its due date and
// starts its pause if it is special.
func startStep(n *onedoor.Case, today string) {
	n.StepStarted, n.StepPaused, n.StepDue = today, 0, ""
}

// event is the record of the change that produced n.
func event(n onedoor.Case, cmd onedoor.Command) onedoor.Event {
	return onedoor.Event{
		CaseID:     n.ID,
		CaseNumber: n.Number,
		Version:    n.Version,
		Type:       cmd.Action,
		Status:     n.Status,
		Step:       n.Step,
		At:         cmd.At,
		Command:    cmd,
		StateHash:  n.StateHash(),
	}
}

// clone copies the slices of a case so that changing the copy leaves the
// original alone. Time pointers are shared but never written through.
func clone(c onedoor.Case) onedoor.Case {
	c.Materials = slices.Clone(c.Materials)
	c.Awaiting = slices.Clone(c.Awaiting)
	return c
}

// tolerated returns the codes of the materials under commitment.
func tolerated(c onedoor.Case) []string {
	var out []string
	for _, x := range c.Materials {
		if x.State == onedoor.MaterialTolerated {
			out = append(out, x.Code)
		}
	}
	return out
}

func materialIndex(c onedoor.Case, code string) int {
	return slices.IndexFunc(c.Materials, func(x onedoor.CaseMaterial) bool { return x.Code == code })
}

// dedupe returns a copy of codes without repeats, in first-seen order.
func dedupe(codes []string) []string {
	if len(codes) == 0 {
		return nil
	}
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func oneOf(s onedoor.Status, set ...onedoor.Status) bool { return slices.Contains(set, s) }
