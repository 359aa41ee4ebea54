package workflow

import (
	"slices"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Where an application is received (Case.Channel).
const (
	Counter = "counter" // at the one window
	Online  = "online"  // on the portal
)

// IntakeInput is everything an intake decision needs; the service gathers
// it (the applicant, the licences the registry holds, the dishonesty list)
// so that the decision itself is pure.
type IntakeInput struct {
	Matter     *onedoor.Matter
	Number     string // the new case's number
	Bundle     string // the bundle case number, for a bundle intake (一件事一次办)
	BundleCode string // the bundle's code
	Subject    onedoor.SubjectType
	// ApplicantID is the Person's or the Org's ID, by Subject.
	ApplicantID int64
	// Provided are the codes of the materials handed in.
	Provided []string
	// Licences are the e-licences the registry holds for the applicant, of
	// any validity: only those valid on the intake date waive a material.
	Licences []onedoor.Licence
	// Tolerate asks for 容缺 acceptance: missing minor materials follow
	// later under the signed Commitment.
	Tolerate   bool
	Commitment string
	// Dishonest is set when the applicant is on the dishonesty list, which
	// excludes 容缺 acceptance.
	Dishonest bool
	// Channel is where the application is received, Counter or Online;
	// blank means Counter.
	Channel string
	// Delivery is how the result is to reach the applicant; blank means the
	// matter's first delivery channel.
	Delivery onedoor.Channel
	Actor    onedoor.Actor
	At       time.Time
}

// Intake decides an application and returns the new case and its first
// event. Each material of the matter is provided if handed in, else waived
// if the applicant holds an e-licence of the type that replaces it, valid on
// the intake date (免提交), else missing if required, else absent. With
// nothing required missing the case is accepted and its clock starts (when
// the next working period opens, if it arrives outside office hours: see
// ClockStart). With required materials missing it is either accepted under
// commitment (容缺: Tolerate, a commitment, an applicant not on the
// dishonesty list, and only tolerable materials missing, each then due by
// the case's promised date), or received with one notice listing everything
// missing (一次性告知) and no clock until it is all handed in.
//
// The event's Command.Intake records the decision, so Replay rebuilds the
// case without asking the registry again. The case has no ID yet; the
// store sets it, and the event's CaseID, when it inserts them.
//
// A counter intake is made by a clerk; an online one by the applicant (an
// actor with no staff role), the system, or a clerk. A nil calendar means
// calendar.Official().
func Intake(in IntakeInput, cal *calendar.Calendar) (onedoor.Case, onedoor.Event, error) {
	if cal == nil {
		cal = calendar.Official()
	}
	rec, at, err := decide(in)
	if err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	c, err := open(rec, in.Matter, in.Actor, at, cal)
	if err != nil {
		return onedoor.Case{}, onedoor.Event{}, err
	}
	rec.Materials = slices.Clone(c.Materials) // with the due dates of tolerated ones: the case as first recorded
	cmd := onedoor.Command{Action: onedoor.ActionIntake, Actor: in.Actor, At: at, Intake: &rec}
	return c, event(c, cmd), nil
}

// decide checks the input and makes the decision: how each material is
// satisfied, and whether missing ones are tolerated.
func decide(in IntakeInput) (onedoor.IntakeRecord, time.Time, error) {
	var rec onedoor.IntakeRecord
	m := in.Matter
	if m == nil {
		return rec, time.Time{}, onedoor.FieldErrorf("matter", "No matter was given.")
	}
	if len(m.Steps) == 0 {
		return rec, time.Time{}, onedoor.FieldErrorf("matter",
			"Matter %s version %d has no steps, so no case can be processed under it.", m.Code, m.Version)
	}
	at, err := instant(in.At)
	if err != nil {
		return rec, time.Time{}, err
	}
	channel := in.Channel
	if channel == "" {
		channel = Counter
	}
	if channel != Counter && channel != Online {
		return rec, time.Time{}, onedoor.FieldErrorf("channel", "The channel must be %q or %q, not %q.", Counter, Online, in.Channel)
	}
	if err := intakeActor(channel, in.Actor); err != nil {
		return rec, time.Time{}, err
	}
	if strings.TrimSpace(in.Number) == "" {
		return rec, time.Time{}, onedoor.FieldErrorf("number", "The case needs a number.")
	}
	if in.ApplicantID <= 0 {
		return rec, time.Time{}, onedoor.FieldErrorf("applicant_id", "The applicant is not identified.")
	}
	if in.Subject != m.Subject {
		return rec, time.Time{}, onedoor.FieldErrorf("subject", "Matter %s serves %s persons, not %s persons.", m.Code, m.Subject, in.Subject)
	}
	delivery := in.Delivery
	if delivery == "" {
		if len(m.Delivery) == 0 {
			return rec, time.Time{}, onedoor.FieldErrorf("delivery", "Matter %s has no delivery channel, so its result cannot be handed over.", m.Code)
		}
		delivery = m.Delivery[0]
	}
	if !m.Delivers(delivery) {
		return rec, time.Time{}, onedoor.FieldErrorf("delivery", "Matter %s delivers its result %s, not %s.", m.Code, channels(m), channelPhrase(delivery))
	}
	var unknown []string
	for _, code := range in.Provided {
		if _, ok := m.Material(code); !ok && !slices.Contains(unknown, code) {
			unknown = append(unknown, code)
		}
	}
	if len(unknown) > 0 {
		return rec, time.Time{}, onedoor.FieldErrorf("materials", "Matter %s has no such materials: %s.", m.Code, strings.Join(unknown, ", "))
	}

	today := day(at)
	mats := make([]onedoor.CaseMaterial, len(m.Materials))
	var missing []string
	for i, x := range m.Materials {
		mats[i].Code = x.Code
		switch {
		case slices.Contains(in.Provided, x.Code):
			mats[i].State = onedoor.MaterialProvided
		case x.Licence != "" && held(in.Licences, x.Licence, today) != "":
			mats[i].State, mats[i].Licence = onedoor.MaterialWaived, held(in.Licences, x.Licence, today)
		case x.Required:
			mats[i].State = onedoor.MaterialMissing
			missing = append(missing, x.Code)
		default:
			mats[i].State = onedoor.MaterialAbsent
		}
	}
	commitment := ""
	if len(missing) > 0 && in.Tolerate {
		if in.Dishonest {
			return rec, time.Time{}, onedoor.FieldErrorf("tolerate",
				"The applicant is on the dishonesty list, so missing materials cannot follow under commitment (容缺); %s must be handed in first.",
				materialList(m, missing))
		}
		if commitment, err = cleanText("commitment", onedoor.Text{Zh: "承诺书", En: "commitment"}, in.Commitment, onedoor.MaxText); err != nil {
			return rec, time.Time{}, err
		}
		if commitment == "" {
			return rec, time.Time{}, onedoor.FieldErrorf("tolerate",
				"Acceptance under commitment (容缺) needs the commitment the applicant signed; it is blank.")
		}
		var major []string
		for _, code := range missing {
			if x, _ := m.Material(code); !x.Tolerable {
				major = append(major, code)
			}
		}
		if len(major) > 0 {
			return rec, time.Time{}, onedoor.FieldErrorf("tolerate",
				"Only minor materials may follow under commitment (容缺); %s must be handed in before the case is accepted.",
				materialList(m, major))
		}
		for i := range mats {
			if mats[i].State == onedoor.MaterialMissing {
				mats[i].State = onedoor.MaterialTolerated
			}
		}
	}
	rec = onedoor.IntakeRecord{
		Number:        in.Number,
		Matter:        m.Code,
		MatterVersion: m.Version,
		Bundle:        in.Bundle,
		BundleCode:    in.BundleCode,
		Subject:       in.Subject,
		ApplicantID:   in.ApplicantID,
		Materials:     mats,
		Commitment:    commitment,
		Channel:       channel,
		Delivery:      delivery,
		Clock:         onedoor.ClockOffice,
	}
	return rec, at, nil
}

// held returns the number of the first licence of the type valid on date,
// or "".
func held(licences []onedoor.Licence, typ, date string) string {
	for i := range licences {
		if l := &licences[i]; l.Type == typ && l.Number != "" && l.ValidOn(date) {
			return l.Number
		}
	}
	return ""
}

// intakeActor checks who may take an application through a channel: the
// window's clerk at the counter; the applicant (no staff role), the system
// or a clerk online. Officers and leaders decide cases and never take them.
func intakeActor(channel string, a onedoor.Actor) error {
	switch {
	case a.Role == onedoor.RoleClerk:
		return nil
	case channel == Online && (a.Role == "" || a.Role == onedoor.RoleSystem):
		return nil
	case channel == Counter:
		return forbidden("Applications at the counter are taken by a clerk; %s.", you(a))
	}
	return forbidden("Online applications are made by the applicant, the system or a clerk; %s.", you(a))
}

// open checks an intake decision against the matter and builds the case it
// makes. Intake and Replay both build the first state here.
func open(rec onedoor.IntakeRecord, m *onedoor.Matter, a onedoor.Actor, at time.Time, cal *calendar.Calendar) (onedoor.Case, error) {
	if err := checkRecord(rec, m); err != nil {
		return onedoor.Case{}, err
	}
	if err := intakeActor(rec.Channel, a); err != nil {
		return onedoor.Case{}, err
	}
	c := onedoor.Case{
		Number:        rec.Number,
		Matter:        rec.Matter,
		MatterVersion: rec.MatterVersion,
		Bundle:        rec.Bundle,
		BundleCode:    rec.BundleCode,
		Subject:       rec.Subject,
		ApplicantID:   rec.ApplicantID,
		Materials:     make([]onedoor.CaseMaterial, len(rec.Materials)),
		Commitment:    rec.Commitment,
		Channel:       rec.Channel,
		Delivery:      rec.Delivery,
		Clock:         rec.Clock,
		ReceivedAt:    at,
		Version:       1,
	}
	for i, x := range rec.Materials {
		c.Materials[i] = onedoor.CaseMaterial{Code: x.Code, State: x.State, Licence: x.Licence}
		if x.State == onedoor.MaterialMissing {
			c.Awaiting = append(c.Awaiting, x.Code)
		}
	}
	if len(c.Awaiting) > 0 {
		c.Status = onedoor.StatusReceived
		return c, nil
	}
	accept(&c, at)
	if err := settle(&c, m, day(at), false, cal); err != nil {
		return onedoor.Case{}, err
	}
	// A tolerated material is due by the promised date as it stands at
	// acceptance: later pauses and extensions do not give it more time.
	for i := range c.Materials {
		if c.Materials[i].State == onedoor.MaterialTolerated {
			c.Materials[i].Due = c.Due
		}
	}
	return c, nil
}

// checkRecord checks that an intake decision is one Intake could have made
// under the matter: the same materials in the same order, each in a state
// its definition allows.
func checkRecord(rec onedoor.IntakeRecord, m *onedoor.Matter) error {
	bad := func(format string, args ...any) error { return onedoor.FieldErrorf("intake", format, args...) }
	switch {
	case m == nil:
		return onedoor.FieldErrorf("matter", "No matter was given.")
	case rec.Matter != m.Code || rec.MatterVersion != m.Version:
		return bad("The intake is for matter %s version %d, not %s version %d.", rec.Matter, rec.MatterVersion, m.Code, m.Version)
	case len(m.Steps) == 0:
		return onedoor.FieldErrorf("matter", "Matter %s version %d has no steps, so no case can be processed under it.", m.Code, m.Version)
	case strings.TrimSpace(rec.Number) == "":
		return bad("The intake has no case number.")
	case rec.ApplicantID <= 0:
		return bad("The intake has no applicant.")
	case rec.Subject != m.Subject:
		return bad("The intake is for %s persons; matter %s serves %s persons.", rec.Subject, m.Code, m.Subject)
	case rec.Clock != "" && rec.Clock != onedoor.ClockOffice:
		return bad("The intake's clock rule %q is unknown.", rec.Clock)
	case rec.Channel != Counter && rec.Channel != Online:
		return bad("The intake channel %q is neither %q nor %q.", rec.Channel, Counter, Online)
	case !m.Delivers(rec.Delivery):
		return bad("Matter %s does not deliver %s.", m.Code, channelPhrase(rec.Delivery))
	case len(rec.Materials) != len(m.Materials):
		return bad("The intake lists %d materials; matter %s has %d.", len(rec.Materials), m.Code, len(m.Materials))
	}
	var missing, tolerated bool
	for i, x := range rec.Materials {
		def := m.Materials[i]
		if x.Code != def.Code {
			return bad("Material %d of the intake is %q; matter %s lists %q there.", i+1, x.Code, m.Code, def.Code)
		}
		ok := false
		switch x.State {
		case onedoor.MaterialProvided:
			ok = x.Licence == ""
		case onedoor.MaterialWaived:
			ok = def.Licence != "" && x.Licence != ""
		case onedoor.MaterialTolerated:
			ok, tolerated = def.Required && def.Tolerable, true
		case onedoor.MaterialMissing:
			ok, missing = def.Required, true
		case onedoor.MaterialAbsent:
			ok = !def.Required
		}
		if !ok {
			return bad("Material %s cannot be %q at intake.", x.Code, x.State)
		}
	}
	switch {
	case missing && tolerated:
		return bad("An intake cannot both tolerate materials and wait for others.")
	case tolerated && rec.Commitment == "":
		return bad("Materials are tolerated without a commitment.")
	case !tolerated && rec.Commitment != "":
		return bad("There is a commitment but no material is tolerated.")
	}
	return nil
}

// channels lists the delivery channels of a matter in words.
func channels(m *onedoor.Matter) onedoor.Text {
	zh, en := make([]string, len(m.Delivery)), make([]string, len(m.Delivery))
	for i, ch := range m.Delivery {
		p := channelPhrase(ch)
		zh[i], en[i] = p.Zh, p.En
	}
	return onedoor.Text{Zh: strings.Join(zh, "或"), En: strings.Join(en, " or ")}
}
