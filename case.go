package onedoor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Status is where a case stands. Citizen-facing texts are keyed by it.
type Status string

// Case statuses.
const (
	// StatusReceived: materials are missing; the applicant has had one notice
	// listing all of them (一次性告知). The clock has not started.
	StatusReceived Status = "received"
	// StatusInProgress: accepted and being processed step by step.
	StatusInProgress Status = "in_progress"
	// StatusSupplement: an officer asked for more materials; the clock is paused.
	StatusSupplement Status = "supplement"
	// StatusSuspended: a special procedure (expert review, hearing…) runs; the clock is paused.
	StatusSuspended Status = "suspended"
	// StatusApproved: every step approved; the result is being issued.
	StatusApproved Status = "approved"
	// StatusCompleted: the result is issued and waits for delivery.
	StatusCompleted Status = "completed"
	// StatusDelivered: the applicant has the result. Final.
	StatusDelivered Status = "delivered"
	// StatusRejected: refused with a reason. Final.
	StatusRejected Status = "rejected"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusReceived, StatusInProgress, StatusSupplement, StatusSuspended, StatusApproved, StatusCompleted, StatusDelivered, StatusRejected:
		return true
	}
	return false
}

// Final reports whether no further action is possible.
func (s Status) Final() bool { return s == StatusDelivered || s == StatusRejected }

// Paused reports whether the case clock stands still in this status.
func (s Status) Paused() bool {
	return s == StatusReceived || s == StatusSupplement || s == StatusSuspended
}

// MaterialState says how a material of a case is satisfied.
type MaterialState string

// Material states.
const (
	MaterialProvided  MaterialState = "provided"  // handed in
	MaterialWaived    MaterialState = "waived"    // replaced by an e-licence the registry holds (免提交)
	MaterialTolerated MaterialState = "tolerated" // missing under a signed commitment (容缺), due by DueDate
	MaterialMissing   MaterialState = "missing"   // asked for in a supplement notice
	MaterialAbsent    MaterialState = "absent"    // optional and not given
)

// CaseMaterial is one material of a case and how it is satisfied.
type CaseMaterial struct {
	Code    string        `json:"code"`
	State   MaterialState `json:"state"`
	Licence string        `json:"licence,omitempty"` // number of the e-licence that waived it
	Due     string        `json:"due,omitempty"`     // YYYY-MM-DD, for tolerated materials
}

// Case is one application for one matter, processed under the matter
// version it was accepted with.
type Case struct {
	ID            int64          `json:"id"`
	Number        string         `json:"number"`
	Matter        string         `json:"matter"`
	MatterVersion int            `json:"matter_version"`
	Bundle        string         `json:"bundle,omitempty"` // bundle case number shared by the cases of one bundle intake
	BundleCode    string         `json:"bundle_code,omitempty"`
	Subject       SubjectType    `json:"subject"`
	ApplicantID   int64          `json:"applicant_id"` // a Person's or an Org's ID, by Subject
	Status        Status         `json:"status"`
	Step          int            `json:"step"` // index into the matter's steps; len(steps) once all are approved
	Materials     []CaseMaterial `json:"materials"`
	Commitment    string         `json:"commitment,omitempty"` // the 容缺 commitment the applicant signed
	Channel       string         `json:"channel"`              // where it was received: "counter" or "online"
	Delivery      Channel        `json:"delivery"`             // how the result is to be delivered
	ReceivedAt    time.Time      `json:"received_at"`
	AcceptedAt    *time.Time     `json:"accepted_at,omitempty"`
	// Clock. Dates are YYYY-MM-DD in Asia/Shanghai. Due is the promised
	// completion date: the date the clock starts plus the promised limit,
	// the extension and the working days spent paused. The clock starts
	// when the case is accepted, or, when that is outside office hours, when
	// the next working period opens (workflow.ClockStart); ReceivedAt and
	// AcceptedAt are always the true instants.
	// Clock is the rule the case's clock follows, fixed at intake so that
	// a later rule never moves a date already promised: ClockOffice (the
	// next working period opens it), or empty for cases accepted before
	// that rule (the clock starts on the day of acceptance).
	Clock        string     `json:"clock,omitempty"`
	PausedDays   int        `json:"paused_days"`            // working days paused so far
	PausedSince  string     `json:"paused_since,omitempty"` // date the current pause began
	ExtendedDays int        `json:"extended_days"`          // working days granted by extension
	Due          string     `json:"due,omitempty"`          // promised date
	StepStarted  string     `json:"step_started,omitempty"` // date the current step began
	StepPaused   int        `json:"step_paused"`            // working days the current step was paused
	StepDue      string     `json:"step_due,omitempty"`     // date the current step is due
	Awaiting     []string   `json:"awaiting,omitempty"`     // material codes awaited from the applicant
	Licence      string     `json:"licence,omitempty"`      // number of the e-licence issued as result
	TrackingNo   string     `json:"tracking_no,omitempty"`  // postal tracking number
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	Version      int        `json:"version"` // bumps with every event
}

// Action is a command verb of the workflow.
type Action string

// Workflow actions.
const (
	ActionIntake            Action = "intake"             // clerk or online: create the case
	ActionSupply            Action = "supply"             // applicant hands in awaited materials
	ActionApprove           Action = "approve"            // the current step is approved; the case moves on
	ActionReturn            Action = "return"             // back to the previous step, with a reason
	ActionRequestSupplement Action = "request_supplement" // ask for materials; clock paused
	ActionSuspend           Action = "suspend"            // special procedure; clock paused
	ActionResume            Action = "resume"             // special procedure over
	ActionExtend            Action = "extend"             // more working days, with reason and approver
	ActionReject            Action = "reject"             // refuse, with a reason
	ActionComplete          Action = "complete"           // issue the result (and e-licence)
	ActionDeliver           Action = "deliver"            // hand the result over
)

// Actor is who performs a command.
type Actor struct {
	StaffID    int64  `json:"staff_id,omitempty"`
	Name       string `json:"name,omitempty"`
	Role       Role   `json:"role"`
	Department string `json:"department,omitempty"`
}

// Command is one workflow action with its inputs. Commands are stored in
// events, so replaying a case's events through the workflow rebuilds it.
type Command struct {
	Action     Action    `json:"action"`
	Actor      Actor     `json:"actor"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason,omitempty"`    // required for reject, return, suspend, extend, request_supplement
	Note       string    `json:"note,omitempty"`      // internal note; never shown to the public
	Materials  []string  `json:"materials,omitempty"` // supply: handed in; request_supplement: asked for
	Days       int       `json:"days,omitempty"`      // extend
	Approver   string    `json:"approver,omitempty"`  // extend: the leader who approved it
	Channel    Channel   `json:"channel,omitempty"`   // deliver
	TrackingNo string    `json:"tracking_no,omitempty"`
	// Licence is, for complete, the number of the e-licence issued; for
	// supply, the e-licence from the registry that replaces the materials
	// (免提交), which are then waived rather than handed in.
	Licence string `json:"licence,omitempty"`
	// Intake carries what the intake decided, so that replay needs no
	// registry lookups: the case as first recorded.
	Intake *IntakeRecord `json:"intake,omitempty"`
}

// IntakeRecord is the decision of an intake: which case, for whom, and how
// each material was satisfied at that moment.
type IntakeRecord struct {
	Number        string         `json:"number"`
	Matter        string         `json:"matter"`
	MatterVersion int            `json:"matter_version"`
	Bundle        string         `json:"bundle,omitempty"`
	BundleCode    string         `json:"bundle_code,omitempty"`
	Subject       SubjectType    `json:"subject"`
	ApplicantID   int64          `json:"applicant_id"`
	Materials     []CaseMaterial `json:"materials"`
	Commitment    string         `json:"commitment,omitempty"`
	Channel       string         `json:"channel"`
	Delivery      Channel        `json:"delivery"`
	Clock         string         `json:"clock,omitempty"` // the clock rule, see Case.Clock
}

// ClockOffice is the clock rule of cases accepted since office hours were
// kept: an application that arrives outside them is received when the
// next working period opens.
const ClockOffice = "office"

// Event is one recorded change of a case: the command that made it and the
// status it produced. Events are the audit trail, hash-chained in Seq order.
type Event struct {
	Seq        int64     `json:"seq"`
	CaseID     int64     `json:"case_id"`
	CaseNumber string    `json:"case_number"`
	Version    int       `json:"version"` // the case's version after this event
	Type       Action    `json:"type"`
	Status     Status    `json:"status"` // the case's status after this event
	Step       int       `json:"step"`
	At         time.Time `json:"at"`
	Command    Command   `json:"command"`
	// StateHash is the hash of the case's state after this event, so a case
	// row altered outside Onedoor is caught by audit verification.
	StateHash string `json:"state_hash"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

// StateHash is a hash of the case's recorded state, independent of its row
// ID and of time-zone representation. Each event stores the hash of the state
// it produced, so a case row altered outside Onedoor is detected.
func (c Case) StateHash() string {
	c.ID = 0
	c.ReceivedAt = c.ReceivedAt.UTC()
	if c.AcceptedAt != nil {
		t := c.AcceptedAt.UTC()
		c.AcceptedAt = &t
	}
	if c.ClosedAt != nil {
		t := c.ClosedAt.UTC()
		c.ClosedAt = &t
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("onedoor: marshal case: " + err.Error()) // cannot happen: plain data
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
