// Package supervise is the rule book of electronic supervision (电子监察):
// which open case or step earns a warning, a yellow or a red card, and which
// conduct (a rejection without a real reason, a fee the catalog does not
// list) earns one at once.
//
// It is pure: rules are data (JSON, with defaults embedded), the case, its
// matter and its events are values, and "now" is an argument, so that a
// test can walk the clock across working days and holidays. The store
// decides what is new and records the cards.
package supervise

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
)

// Level is the severity of a card.
type Level string

// Levels, from mild to severe.
const (
	Warning Level = "warning" // 预警: most of the limit is used
	Yellow  Level = "yellow"  // 黄牌: over the limit
	Red     Level = "red"     // 红牌: over the limit by the configured margin, or misconduct
)

// Rank orders levels: 1 warning, 2 yellow, 3 red, 0 for anything else.
func (l Level) Rank() int {
	switch l {
	case Warning:
		return 1
	case Yellow:
		return 2
	case Red:
		return 3
	}
	return 0
}

// Limit configures the deadline rule of a case or a step.
type Limit struct {
	// WarnShare is the share of the working-day limit used that earns a
	// warning (0.8: four days of a five-day limit); 0 turns warnings off.
	WarnShare float64 `json:"warn_share"`
	// RedAfterDays is how many working days over the limit earn a red card;
	// the first working day over earns a yellow one.
	RedAfterDays int  `json:"red_after_days"`
	Off          bool `json:"off,omitempty"`
}

// Conduct configures a rule that fires on one act.
type Conduct struct {
	Level    Level `json:"level"`
	MinChars int   `json:"min_chars,omitempty"` // reject_reason: a shorter reason counts as none
	// Keywords (refused_eligible) are the words of a reason that refuse on
	// eligibility; matched case-insensitively.
	Keywords []string `json:"keywords,omitempty"`
	Off      bool     `json:"off,omitempty"`
}

// Rules is the whole configuration.
type Rules struct {
	Case         Limit   `json:"case"`
	Step         Limit   `json:"step"`
	RejectReason Conduct `json:"reject_reason"`
	UnlistedFee  Conduct `json:"unlisted_fee"`
	// RefusedEligible flags a refusal on eligibility grounds of a case
	// whose applicant the matter's condition found eligible at intake.
	RefusedEligible Conduct `json:"refused_eligible"`
	Rating          Rating  `json:"rating"`
	Complaint       struct {
		// Days is the working days a department has to resolve a
		// complaint, again after each reopening.
		Days int `json:"days"`
	} `json:"complaint"`
}

// Rating configures the handling of bad ratings (好差评).
type Rating struct {
	// RectificationDays is the working days a department has to rectify
	// a bad rating, call-back included (GB/T 39735: 15).
	RectificationDays int `json:"rectification_days"`
}

//go:embed rules.json
var defaultRules []byte

// Default returns the embedded rules.
func Default() Rules {
	r, err := Parse(defaultRules)
	if err != nil {
		panic("supervise: embedded rules: " + err.Error())
	}
	return r
}

// Parse reads rules from JSON over the defaults: a file need only name
// what it changes. Unknown fields and impossible values are refused.
func Parse(b []byte) (Rules, error) {
	var r Rules
	if defaultRules != nil && !bytes.Equal(b, defaultRules) {
		r = Default()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("supervise: rules: %w", err)
	}
	return r, r.Validate()
}

// Load reads a rules file; an empty path gives the defaults.
func Load(path string) (Rules, error) {
	if path == "" {
		return Default(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("supervise: %w", err)
	}
	return Parse(b)
}

// Validate refuses values that would make the rules meaningless.
func (r Rules) Validate() error {
	for name, l := range map[string]Limit{"case": r.Case, "step": r.Step} {
		if l.WarnShare < 0 || l.WarnShare >= 1 {
			return fmt.Errorf("supervise: rules: %s.warn_share must be from 0 up to (not including) 1, not %v", name, l.WarnShare)
		}
		if l.RedAfterDays < 1 {
			return fmt.Errorf("supervise: rules: %s.red_after_days must be at least 1, not %d", name, l.RedAfterDays)
		}
	}
	for name, c := range map[string]Conduct{"reject_reason": r.RejectReason, "unlisted_fee": r.UnlistedFee, "refused_eligible": r.RefusedEligible} {
		if !c.Off && c.Level.Rank() == 0 {
			return fmt.Errorf("supervise: rules: %s.level must be warning, yellow or red, not %q", name, c.Level)
		}
	}
	if r.Complaint.Days < 1 {
		return fmt.Errorf("supervise: rules: complaint.days must be at least 1, not %d", r.Complaint.Days)
	}
	if r.Rating.RectificationDays < 1 {
		return fmt.Errorf("supervise: rules: rating.rectification_days must be at least 1, not %d", r.Rating.RectificationDays)
	}
	return nil
}
