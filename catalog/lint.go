package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"onedoor"
	"onedoor/rules"
)

// Limits the catalog enforces.
const (
	// MaxVisits is the most in-person visits a matter may ask of an
	// applicant (最多跑一次 is the goal; five is the ceiling).
	MaxVisits = 5
	// MinBundleMatters is the fewest matters a bundle may hold.
	MinBundleMatters = 2
)

var (
	matterCodeRE = regexp.MustCompile(`^[A-Z]{2,6}-[0-9]{3}$`)
	bundleCodeRE = regexp.MustCompile(`^BD-[A-Z]+$`)
	plainCodeRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

var (
	subjects = []onedoor.SubjectType{onedoor.Natural, onedoor.Legal}
	kinds    = []onedoor.Kind{onedoor.KindLicensing, onedoor.KindConfirmation, onedoor.KindBenefit, onedoor.KindService, onedoor.KindOther}
	stepRole = []onedoor.Role{onedoor.RoleOfficer, onedoor.RoleLeader}
	channels = []onedoor.Channel{onedoor.ChannelCounter, onedoor.ChannelPost, onedoor.ChannelELicence}
	statuses = []onedoor.Status{
		onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended,
		onedoor.StatusApproved, onedoor.StatusCompleted, onedoor.StatusDelivered, onedoor.StatusRejected,
	}
)

// schemas are the attributes a condition may read, by subject.
var schemas = map[onedoor.SubjectType]struct {
	schema rules.Schema
	name   string
}{
	onedoor.Natural: {rules.Person, "a natural person"},
	onedoor.Legal:   {rules.Org, "a legal person"},
}

// errf records a problem about the field at path of an entry, unless the
// field could not be decoded in the first place.
func (l *loader) errf(s *source, path string, format string, args ...any) {
	if s.isBad(path) {
		return
	}
	l.probs = append(l.probs, Problem{File: s.file, Line: s.at(path), Message: s.label + ": " + fmt.Sprintf(format, args...)})
}

// check runs every rule over the decoded entries.
func (l *loader) check() {
	depts := map[string]*source{}
	for _, e := range l.departments {
		d := &e.v
		l.code(e.src, d.Code, plainCodeRE, "a department code", "hrss")
		l.text(e.src, "name", d.Name)
		if first, ok := depts[d.Code]; ok && d.Code != "" {
			l.errf(e.src, "code", "department %s is defined twice: here and at %s.", d.Code, first.place())
		} else {
			depts[d.Code] = e.src
		}
	}
	lics := map[string]*source{}
	for _, e := range l.licenceTypes {
		t := &e.v
		l.code(e.src, t.Code, plainCodeRE, "a licence type code", "pension_decision")
		l.text(e.src, "name", t.Name)
		l.department(e.src, "department", t.Department, depts)
		if t.ValidYears < 0 {
			l.errf(e.src, "valid_years", "valid_years is %d; it must be 0 (without limit) or more.", t.ValidYears)
		}
		if first, ok := lics[t.Code]; ok && t.Code != "" {
			l.errf(e.src, "code", "licence type %s is defined twice: here and at %s.", t.Code, first.place())
		} else {
			lics[t.Code] = e.src
		}
	}

	type key struct {
		code    string
		version int
	}
	seen := map[key]*source{}
	versions := map[string][]*entry[onedoor.Matter]{}
	for _, e := range l.matters {
		l.matter(e, depts, lics)
		m := &e.v
		k := key{m.Code, m.Version}
		if first, ok := seen[k]; ok && m.Code != "" {
			l.errf(e.src, "version", "matter %s version %d is defined twice: here and at %s; a changed matter needs a new version.",
				m.Code, m.Version, first.place())
			continue
		}
		seen[k] = e.src
		versions[m.Code] = append(versions[m.Code], e)
	}
	latest := map[string]*onedoor.Matter{}
	for code, vs := range versions {
		slices.SortFunc(vs, func(a, b *entry[onedoor.Matter]) int { return a.v.Version - b.v.Version })
		for i := 1; i < len(vs); i++ {
			prev, cur := vs[i-1], vs[i]
			if cur.v.Subject != prev.v.Subject && slices.Contains(subjects, cur.v.Subject) && slices.Contains(subjects, prev.v.Subject) {
				l.errf(cur.src, "subject", "subject is %s, but version %d (%s) serves %s; a new version must keep the subject, so define a new matter instead.",
					cur.v.Subject, prev.v.Version, prev.src.place(), prev.v.Subject)
			}
		}
		latest[code] = &vs[len(vs)-1].v
	}

	seen = map[key]*source{}
	for _, e := range l.bundles {
		l.bundle(e, latest)
		b := &e.v
		k := key{b.Code, b.Version}
		if first, ok := seen[k]; ok && b.Code != "" {
			l.errf(e.src, "version", "bundle %s version %d is defined twice: here and at %s; a changed bundle needs a new version.",
				b.Code, b.Version, first.place())
			continue
		}
		seen[k] = e.src
	}
}

// matter checks one matter on its own and its references to departments
// and licence types.
func (l *loader) matter(e *entry[onedoor.Matter], depts, lics map[string]*source) {
	s, m := e.src, &e.v
	l.code(s, m.Code, matterCodeRE, "a matter code (2 to 6 capital letters, a hyphen and 3 digits)", "HRSS-001")
	l.version(s, m.Version)
	l.text(s, "name", m.Name)
	l.department(s, "department", m.Department, depts)
	if m.Agency.Zh == "" {
		l.errf(s, "agency.zh", "agency.zh is empty; every matter names the agency that implements it.")
	}
	subjectOK := oneOf(l, s, "subject", m.Subject, subjects)
	oneOf(l, s, "kind", m.Kind, kinds)
	if m.LegalBasis.Zh == "" {
		l.errf(s, "legal_basis.zh", "legal_basis.zh is empty; every matter cites the law it rests on.")
	}

	if m.Condition != "" && subjectOK {
		sc := schemas[m.Subject]
		r, err := rules.Compile(m.Condition, sc.schema)
		if err != nil {
			msg := onedoor.ErrorMessage(err)
			if onedoor.ErrorCode(err) == onedoor.EINTERNAL {
				msg = err.Error()
			}
			l.errf(s, "condition", "condition does not compile over the attributes of %s: %s", sc.name, msg)
		}
		e.rule = r
	}
	if m.Condition != "" && m.ConditionText.Zh == "" {
		p := "condition_text.zh"
		if _, ok := s.lines["condition_text"]; !ok {
			p = "condition" // point at what needs the text
		}
		l.errf(s, p, "condition_text.zh is empty; a matter with a condition must state it to applicants in words.")
	}

	if m.StatutoryLimit < 1 {
		l.errf(s, "statutory_limit", "statutory_limit is %d; it must be at least 1 working day.", m.StatutoryLimit)
	}
	switch {
	case m.PromisedLimit < 0:
		l.errf(s, "promised_limit", "promised_limit is %d; it must be 0 (finished on the day) or more.", m.PromisedLimit)
	case m.PromisedLimit > m.StatutoryLimit && m.StatutoryLimit >= 1 && !s.isBad("statutory_limit"):
		l.errf(s, "promised_limit", "promised_limit is %d working days, longer than statutory_limit (%d); the promise may only be shorter than the law.",
			m.PromisedLimit, m.StatutoryLimit)
	}
	if m.MaxVisits < 0 || m.MaxVisits > MaxVisits {
		l.errf(s, "max_visits", "max_visits is %d; it must be from 0 to %d.", m.MaxVisits, MaxVisits)
	}

	l.materials(s, m, lics)
	l.steps(s, m, depts)
	l.fees(s, m)

	l.text(s, "result.name", m.Result.Name)
	if m.Result.Licence != "" && lics[m.Result.Licence] == nil {
		l.errf(s, "result.licence", "result.licence %q is not a licence type of the catalog.", m.Result.Licence)
	}
	l.delivery(s, m.Delivery, func(i int, ch onedoor.Channel) {
		if ch == onedoor.ChannelELicence && m.Result.Licence == "" && !s.isBad("result.licence") {
			l.errf(s, fmt.Sprintf("delivery[%d]", i), "delivery[%d] is elicence, but result.licence is not set; only a matter that issues an e-licence can deliver into the registry.", i)
		}
	})

	for _, st := range slices.Sorted(maps.Keys(m.StatusTexts)) {
		p := "status_texts." + string(st)
		if !slices.Contains(statuses, st) {
			l.errf(s, p, "status_texts has the key %q, which is not a case status; use %s.", clip(string(st)), list(statuses))
			continue
		}
		if m.StatusTexts[st].Zh == "" {
			l.errf(s, p+".zh", "%s.zh is empty; a status text is shown to applicants and must be written in Chinese.", p)
		}
	}
}

// materials checks a matter's materials.
func (l *loader) materials(s *source, m *onedoor.Matter, lics map[string]*source) {
	codes := map[string]int{}
	for i, x := range m.Materials {
		p := fmt.Sprintf("materials[%d]", i)
		l.itemCode(s, p, x.Code, codes)
		l.text(s, p+".name", x.Name)
		if x.Tolerable && !x.Required && !s.isBad(p+".required") {
			l.errf(s, p+".tolerable", "%s.tolerable is true, but the material is not required; only a required material can follow under a commitment (容缺).", p)
		}
		if x.Licence != "" && lics[x.Licence] == nil {
			l.errf(s, p+".licence", "%s.licence %q is not a licence type of the catalog.", p, x.Licence)
		}
	}
}

// steps checks a matter's steps and that those counting toward the limit
// fit in the promised limit.
func (l *loader) steps(s *source, m *onedoor.Matter, depts map[string]*source) {
	if len(m.Steps) == 0 {
		l.errf(s, "steps", "steps is empty; a matter needs at least one step.")
		return
	}
	codes := map[string]int{}
	limitsOK := true
	for i, st := range m.Steps {
		p := fmt.Sprintf("steps[%d]", i)
		l.itemCode(s, p, st.Code, codes)
		l.text(s, p+".name", st.Name)
		if st.Role == "" {
			l.errf(s, p+".role", "%s.role is missing; it must be officer or leader.", p)
		} else if !slices.Contains(stepRole, st.Role) {
			l.errf(s, p+".role", "%s.role is %q; a step is worked by an officer or a leader.", p, clip(string(st.Role)))
		}
		l.department(s, p+".department", st.Department, depts)
		if st.Limit < 0 {
			l.errf(s, p+".limit", "%s.limit is %d; it must be 0 or more working days.", p, st.Limit)
		}
		if s.isBad(p+".limit") || s.isBad(p+".special") || st.Limit < 0 {
			limitsOK = false
		}
	}
	if total := m.StepLimitTotal(); limitsOK && m.PromisedLimit >= 0 && total > m.PromisedLimit && !s.isBad("promised_limit") {
		l.errf(s, "steps", "the steps that count toward the limit take %d working days, more than promised_limit (%d); shorten them or mark expert reviews and public notices special.",
			total, m.PromisedLimit)
	}
}

// fees checks a matter's fees.
func (l *loader) fees(s *source, m *onedoor.Matter) {
	codes := map[string]int{}
	for i, f := range m.Fees {
		p := fmt.Sprintf("fees[%d]", i)
		l.itemCode(s, p, f.Code, codes)
		l.text(s, p+".name", f.Name)
		if f.Amount < 0 {
			l.errf(s, p+".amount", "%s.amount is %d; an amount in fen must be 0 or more.", p, f.Amount)
		}
		if strings.TrimSpace(f.Basis) == "" {
			l.errf(s, p+".basis", "%s.basis is empty; only a fee with a pricing document behind it may be charged.", p)
		}
	}
}

// bundle checks a bundle against the latest versions of its matters.
func (l *loader) bundle(e *entry[onedoor.Bundle], latest map[string]*onedoor.Matter) {
	s, b := e.src, &e.v
	l.code(s, b.Code, bundleCodeRE, "a bundle code (BD- and capital letters)", "BD-RETIRE")
	l.version(s, b.Version)
	l.text(s, "name", b.Name)
	subjectOK := oneOf(l, s, "subject", b.Subject, subjects)
	if len(b.Matters) < MinBundleMatters && !s.isBad("matters") {
		l.errf(s, "matters", "matters lists %d matter(s); a bundle joins at least %d.", len(b.Matters), MinBundleMatters)
	}
	var members []*onedoor.Matter
	seen := map[string]int{}
	for i, code := range b.Matters {
		p := fmt.Sprintf("matters[%d]", i)
		if first, ok := seen[code]; ok {
			l.errf(s, p, "%s %s is listed twice (first at line %d).", p, code, first)
			continue
		}
		seen[code] = s.at(p)
		m, ok := latest[code]
		if !ok {
			l.errf(s, p, "%s %q is not a matter of the catalog.", p, clip(code))
			continue
		}
		members = append(members, m)
		if subjectOK && m.Subject != b.Subject {
			l.errf(s, p, "%s %s serves subject %s, but the bundle serves %s.", p, code, m.Subject, b.Subject)
		}
	}
	l.delivery(s, b.Delivery, func(i int, ch onedoor.Channel) {
		for _, m := range members {
			if !m.Delivers(ch) {
				l.errf(s, fmt.Sprintf("delivery[%d]", i), "delivery[%d] is %s, which member matter %s does not offer.", i, ch, m.Code)
			}
		}
	})
}

// code checks an entry's own code.
func (l *loader) code(s *source, code string, re *regexp.Regexp, what, example string) {
	switch {
	case code == "":
		l.errf(s, "code", "code is missing; it must be %s, such as %s.", what, example)
	case !re.MatchString(code):
		l.errf(s, "code", "code %q is not valid; it must be %s, such as %s.", clip(code), what, example)
	}
}

// itemCode checks the code of a material, step or fee and that it is
// unique within its list; codes maps the codes seen so far to their lines.
func (l *loader) itemCode(s *source, p, code string, codes map[string]int) {
	cp := p + ".code"
	switch {
	case code == "":
		l.errf(s, cp, "%s is missing.", cp)
	case !plainCodeRE.MatchString(code):
		l.errf(s, cp, "%s %q is not valid; it must be lower-case letters, digits and underscores, starting with a letter.", cp, clip(code))
	default:
		if first, ok := codes[code]; ok {
			l.errf(s, cp, "%s %s is used twice in the list (first at line %d).", cp, code, first)
		} else {
			codes[code] = s.at(cp)
		}
	}
}

// version checks the version of a matter or bundle.
func (l *loader) version(s *source, v int) {
	if v < 1 {
		l.errf(s, "version", "version is %d; versions start at 1.", v)
	}
}

// text checks that both languages of a name are written.
func (l *loader) text(s *source, p string, t onedoor.Text) {
	if t.Zh == "" {
		l.errf(s, p+".zh", "%s.zh is empty; every name is written in Chinese and English.", p)
	}
	if t.En == "" {
		l.errf(s, p+".en", "%s.en is empty; every name is written in Chinese and English.", p)
	}
}

// department checks a reference to a department.
func (l *loader) department(s *source, p, code string, depts map[string]*source) {
	switch {
	case code == "":
		l.errf(s, p, "%s is missing; it names the responsible department.", p)
	case depts[code] == nil:
		l.errf(s, p, "%s %q is not a department of the catalog.", p, clip(code))
	}
}

// oneOf checks that an enumerated field holds one of the allowed values
// and reports whether it does.
func oneOf[T ~string](l *loader, s *source, p string, v T, allowed []T) bool {
	if slices.Contains(allowed, v) {
		return true
	}
	if v == "" {
		l.errf(s, p, "%s is missing; it must be %s.", p, list(allowed))
	} else {
		l.errf(s, p, "%s %q is not valid; it must be %s.", p, clip(string(v)), list(allowed))
	}
	return false
}

// delivery checks a list of delivery channels and calls each for every
// valid channel.
func (l *loader) delivery(s *source, chs []onedoor.Channel, each func(i int, ch onedoor.Channel)) {
	if len(chs) == 0 {
		l.errf(s, "delivery", "delivery is empty; it must list at least one of %s.", list(channels))
		return
	}
	for i, ch := range chs {
		p := fmt.Sprintf("delivery[%d]", i)
		switch {
		case !slices.Contains(channels, ch):
			l.errf(s, p, "%s %q is not valid; it must be %s.", p, clip(string(ch)), list(channels))
		case slices.Index(chs, ch) < i:
			l.errf(s, p, "%s %s is listed twice.", p, ch)
		default:
			each(i, ch)
		}
	}
}

// list joins values for a message: "a, b or c".
func list[T ~string](vs []T) string {
	var b strings.Builder
	for i, v := range vs {
		switch {
		case i == 0:
		case i == len(vs)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(v))
	}
	return b.String()
}
