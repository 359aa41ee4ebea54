package onedoor

import "time"

// Applicant identifies who applies: a natural person by ID number or a
// legal person by unified social credit code.
type Applicant struct {
	Subject  SubjectType `json:"subject"`
	IDNumber string      `json:"id_number,omitempty"` // natural persons
	USCC     string      `json:"uscc,omitempty"`      // legal persons
	// AllowLegacy accepts a USCC that fails the GB 32100 check (codes issued
	// before the standard); the acceptance is recorded on the organisation.
	AllowLegacy bool   `json:"allow_legacy,omitempty"`
	Name        string `json:"name"`
	Phone       string `json:"phone,omitempty"`
}

// IntakeRequest is one application at the window or online, for a matter or
// for a bundle (exactly one of the two).
type IntakeRequest struct {
	Matter     string    `json:"matter,omitempty"`
	Bundle     string    `json:"bundle,omitempty"`
	Applicant  Applicant `json:"applicant"`
	Materials  []string  `json:"materials"`            // codes of the materials handed in
	Tolerate   bool      `json:"tolerate,omitempty"`   // ask for 容缺 acceptance
	Commitment string    `json:"commitment,omitempty"` // the signed commitment, required with Tolerate
	Channel    string    `json:"channel,omitempty"`    // "counter" (default) or "online"
	Delivery   Channel   `json:"delivery,omitempty"`
	Actor      Actor     `json:"-"`
}

// Receipt is what the applicant takes home: per case its number, the
// verification code for public tracking (shown once, stored only as a hash),
// its status and promised date, and the one supplement notice if any.
type Receipt struct {
	Bundle string        `json:"bundle,omitempty"`
	Code   string        `json:"verification_code"`
	Cases  []ReceiptCase `json:"cases"`
}

// ReceiptCase is one case of a receipt.
type ReceiptCase struct {
	Number   string         `json:"number"`
	Matter   string         `json:"matter"`
	Name     Text           `json:"name"`
	Status   Status         `json:"status"`
	Due      string         `json:"due,omitempty"`
	Notice   []Material     `json:"notice,omitempty"` // 一次性告知: everything still to hand in
	Coming   []Forthcoming  `json:"coming,omitempty"` // awaited, but issued by another case of the bundle
	Waived   []CaseMaterial `json:"waived,omitempty"` // materials the registry supplied (免提交)
	Tolerate []CaseMaterial `json:"tolerated,omitempty"`
}

// Forthcoming is a material a case awaits that another case of the same
// bundle application will issue as an e-licence: the applicant need not
// bring it (免提交); it is supplied, and the case goes on, when that case
// is completed.
type Forthcoming struct {
	Material Material `json:"material"`
	From     string   `json:"from"`   // number of the issuing case
	Matter   string   `json:"matter"` // its matter
	Name     Text     `json:"name"`   // its matter's name
}

// CaseFilter selects cases for inboxes and lists.
type CaseFilter struct {
	Department  string
	Status      []Status
	Open        bool // only cases not final
	Subject     SubjectType
	ApplicantID int64
	Bundle      string
	Matter      string
	Offset      int
	Limit       int
}

// Tracking is the public view of a case (R4): citizen-facing statuses with
// times, where it stands and what is awaited. Internal notes never appear.
type Tracking struct {
	Number     string          `json:"number"`
	Matter     string          `json:"matter"`
	Name       Text            `json:"name"`
	Status     Status          `json:"status"`
	StatusText Text            `json:"status_text"`
	Step       Text            `json:"step,omitzero"`
	Department Text            `json:"department,omitzero"`
	Due        string          `json:"due,omitempty"`
	Awaiting   []Material      `json:"awaiting,omitempty"`
	Coming     []Forthcoming   `json:"coming,omitempty"` // awaited, issued by another case of the bundle
	Delivery   Channel         `json:"delivery"`
	TrackingNo string          `json:"tracking_no,omitempty"`
	Licence    string          `json:"licence,omitempty"`
	Timeline   []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one citizen-facing line of a case's history.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	Status Status    `json:"status"`
	Text   Text      `json:"text"`
	Reason string    `json:"reason,omitempty"` // public reasons (rejection, supplement, extension)
}

// Staff is a member of staff with one role, and a department for officers
// and leaders.
type Staff struct {
	ID         int64  `json:"id"`
	Username   string `json:"username"`
	Name       string `json:"name"`
	Role       Role   `json:"role"`
	Department string `json:"department,omitzero"`
	Disabled   bool   `json:"disabled"`
}

// Actor is the staff member acting.
func (s *Staff) Actor() Actor {
	return Actor{StaffID: s.ID, Name: s.Name, Role: s.Role, Department: s.Department}
}
