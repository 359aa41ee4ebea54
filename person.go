package onedoor

import (
	"strconv"
	"time"
)

// Person is a natural person known to the district. The ID number and phone
// are never held in plain text: IDIndex and PhoneIndex are keyed hashes for
// lookup, IDSealed and PhoneSealed are encrypted.
type Person struct {
	ID          int64     `json:"id"`
	IDIndex     string    `json:"-"`
	IDSealed    string    `json:"-"`
	IDMasked    string    `json:"id_masked"`
	Name        string    `json:"name"`
	Sex         string    `json:"sex"` // "M" or "F"
	Birth       time.Time `json:"birth"`
	Region      string    `json:"region"` // region code of the ID number
	PhoneIndex  string    `json:"-"`
	PhoneSealed string    `json:"-"`
	Local       bool      `json:"local"` // local household registration (户籍)
	Street      string    `json:"street,omitempty"`
	Community   string    `json:"community,omitempty"`
	Household   int64     `json:"household,omitempty"`
	LivesAlone  bool      `json:"lives_alone"`
	Disabled    bool      `json:"disabled"`
	Dishonest   bool      `json:"dishonest"` // on the dishonesty list: no 容缺
	CreatedAt   time.Time `json:"created_at"`
}

// Org is a legal person: an enterprise or other organisation.
type Org struct {
	ID         int64     `json:"id"`
	USCC       string    `json:"uscc"`
	Legacy     bool      `json:"legacy"` // code fails the GB 32100 check and was accepted on an explicit flag
	Name       string    `json:"name"`
	Kind       string    `json:"kind"` // e.g. "company", "individual", "farmer_coop", "social_org"
	Size       string    `json:"size"` // "micro", "small", "medium", "large"
	Registered time.Time `json:"registered"`
	Street     string    `json:"street,omitempty"`
	Dishonest  bool      `json:"dishonest"`
	CreatedAt  time.Time `json:"created_at"`
}

// Licence is an electronic licence (电子证照) in the registry: a result the
// government issued, reused in place of paper materials.
type Licence struct {
	ID         int64       `json:"id"`
	Number     string      `json:"number"`
	Type       string      `json:"type"`
	Subject    SubjectType `json:"subject"`
	HolderID   int64       `json:"holder_id"`
	Issuer     string      `json:"issuer"` // department code
	CaseNumber string      `json:"case_number"`
	IssuedAt   time.Time   `json:"issued_at"`
	ValidFrom  string      `json:"valid_from"`            // YYYY-MM-DD
	ValidUntil string      `json:"valid_until,omitempty"` // YYYY-MM-DD; empty: no limit
	Signature  string      `json:"signature"`             // base64 ed25519 over SignedBytes
}

// ValidOn reports whether the licence is valid on date (YYYY-MM-DD).
func (l *Licence) ValidOn(date string) bool {
	return l.ValidFrom <= date && (l.ValidUntil == "" || date <= l.ValidUntil)
}

// SignedBytes is the canonical text the licence signature covers.
func (l *Licence) SignedBytes() []byte {
	return []byte("onedoor-licence-v1\n" + l.Number + "\n" + l.Type + "\n" + string(l.Subject) + "\n" +
		strconv.FormatInt(l.HolderID, 10) + "\n" + l.Issuer + "\n" + l.CaseNumber + "\n" + l.ValidFrom + "\n" + l.ValidUntil + "\n")
}
