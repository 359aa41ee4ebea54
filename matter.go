package onedoor

// Text is a string in the two languages Onedoor speaks: Chinese first, English second.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// String is the English, or the Chinese when there is no English: how a
// Text reads in logs and in the English message of an error (pages word
// an error's Text arguments in the reader's language).
func (t Text) String() string {
	if t.En != "" {
		return t.En
	}
	return t.Zh
}

// In returns the text in lang ("zh" or "en"), falling back to Chinese.
func (t Text) In(lang string) string {
	if lang == "en" && t.En != "" {
		return t.En
	}
	return t.Zh
}

// SubjectType says whether a matter serves natural persons or legal persons.
type SubjectType string

// Subject types.
const (
	Natural SubjectType = "natural" // residents
	Legal   SubjectType = "legal"   // enterprises and other organisations
)

// Kind is the legal category of a matter.
type Kind string

// Matter kinds.
const (
	KindLicensing    Kind = "licensing"    // 行政许可
	KindConfirmation Kind = "confirmation" // 行政确认
	KindBenefit      Kind = "benefit"      // 行政给付
	KindService      Kind = "service"      // 公共服务
	KindOther        Kind = "other"        // 其他
)

// Role is what a member of staff does. Steps name the role that may act on them.
type Role string

// Roles.
const (
	RoleClerk      Role = "clerk"      // 综合窗口: takes applications, hands out results; never decides
	RoleOfficer    Role = "officer"    // 后台审批: works the department's steps
	RoleLeader     Role = "leader"     // department leader: approves, extends
	RoleSupervisor Role = "supervisor" // 电子监察: sees all departments, acts on none
	RoleAnalyst    Role = "analyst"    // aggregates only
	RoleAdmin      Role = "admin"      // catalog, calendar, accounts
	RoleSystem     Role = "system"     // Onedoor itself (e-licence delivery, timers)
)

// Channel is a way a result reaches the applicant.
type Channel string

// Delivery channels.
const (
	ChannelCounter  Channel = "counter"  // collected at the window
	ChannelPost     Channel = "post"     // posted, with a tracking number
	ChannelELicence Channel = "elicence" // issued into the e-licence registry only
)

// Department is a competent department of the district.
type Department struct {
	Code string `json:"code"`
	Name Text   `json:"name"`
}

// LicenceType is a kind of certificate or decision the government issues,
// held in the e-licence registry and reused in place of paper materials.
type LicenceType struct {
	Code       string `json:"code"`
	Name       Text   `json:"name"`
	Department string `json:"department"`
	// ValidYears is how long an issued licence is valid; 0 means without limit.
	ValidYears int `json:"valid_years"`
}

// Matter is one versioned service matter (政务服务事项). Everything a case
// does — materials, steps, roles, limits, fees, result — comes from it.
type Matter struct {
	Code          string      `json:"code"`
	Version       int         `json:"version"`
	Name          Text        `json:"name"`
	Department    string      `json:"department"`
	Agency        Text        `json:"agency"`
	Subject       SubjectType `json:"subject"`
	Kind          Kind        `json:"kind"`
	LegalBasis    Text        `json:"legal_basis"`
	Condition     string      `json:"condition,omitempty"` // CEL over applicant attributes; empty means anyone
	ConditionText Text        `json:"condition_text"`
	Materials     []Material  `json:"materials"`
	Steps         []Step      `json:"steps"`
	// StatutoryLimit and PromisedLimit are in working days; PromisedLimit 0
	// means the matter is finished on the day it is accepted (即办件).
	StatutoryLimit int             `json:"statutory_limit"`
	PromisedLimit  int             `json:"promised_limit"`
	Fees           []Fee           `json:"fees"`
	Result         Result          `json:"result"`
	Delivery       []Channel       `json:"delivery"`
	StatusTexts    map[Status]Text `json:"status_texts,omitempty"`
	MaxVisits      int             `json:"max_visits"`
	Keywords       []string        `json:"keywords,omitempty"`
}

// Material is one document a matter asks for.
type Material struct {
	Code     string `json:"code"`
	Name     Text   `json:"name"`
	Required bool   `json:"required"`
	// Tolerable marks a minor material that may follow after acceptance under
	// a signed commitment (容缺受理).
	Tolerable bool `json:"tolerable"`
	// Licence is the e-licence type that satisfies this material, so the
	// applicant is not asked for it when the registry holds one (免提交).
	Licence string `json:"licence,omitempty"`
}

// Step is one stage of the back-office process.
type Step struct {
	Code       string `json:"code"`
	Name       Text   `json:"name"`
	Role       Role   `json:"role"`
	Department string `json:"department"`
	Limit      int    `json:"limit"` // working days
	// Special steps (expert review, public notice…) do not count toward the
	// case's limit: the case clock stops while they run (特殊环节).
	Special bool `json:"special"`
}

// Fee is a charge a matter may levy. Only fees in the catalog may be charged.
type Fee struct {
	Code   string `json:"code"`
	Name   Text   `json:"name"`
	Amount int64  `json:"amount"` // in fen (0.01 yuan)
	Basis  string `json:"basis"`
}

// Result is what a completed case yields.
type Result struct {
	Name    Text   `json:"name"`
	Licence string `json:"licence,omitempty"` // e-licence type issued, if any
}

// Bundle is a life event served as one (一件事一次办): one form, one intake,
// parallel cases for its matters, one delivery.
type Bundle struct {
	Code        string      `json:"code"`
	Version     int         `json:"version"`
	Name        Text        `json:"name"`
	Description Text        `json:"description"`
	Subject     SubjectType `json:"subject"`
	Matters     []string    `json:"matters"`
	Delivery    []Channel   `json:"delivery"`
}

// StepLimitTotal is the sum of the limits of the steps that count toward the
// case's limit.
func (m *Matter) StepLimitTotal() int {
	n := 0
	for _, s := range m.Steps {
		if !s.Special {
			n += s.Limit
		}
	}
	return n
}

// Material returns the material with the given code.
func (m *Matter) Material(code string) (Material, bool) {
	for _, x := range m.Materials {
		if x.Code == code {
			return x, true
		}
	}
	return Material{}, false
}

// Delivers reports whether ch is one of the matter's delivery channels.
func (m *Matter) Delivers(ch Channel) bool {
	for _, c := range m.Delivery {
		if c == ch {
			return true
		}
	}
	return false
}
