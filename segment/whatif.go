package segment

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
	"onedoor/rules"
)

// WhatIf asks how many residents (or enterprises) a rule would reach: an
// eligibility condition in CEL over the attributes of rules.Person (or
// rules.Org) — age, sex, local, street, community, lives_alone, disabled,
// dishonest, the application history applied and approved (lists of
// matter codes, one entry per case, in code order) and licences (the types
// of the e-licences valid on the reference date, one entry per licence, in
// type order; only when the index follows the registry, Config.ResolveLicence)
// — evaluated at the index's reference date.
//
// Within narrows the population first; Compare names a matter whose
// current beneficiaries (approved cases, in the optional window) the
// eligible are set against; List asks for the IDs of the eligible who have
// not applied for Compare (or of all eligible without Compare), for
// outreach by roles that may see people.
type WhatIf struct {
	Subject onedoor.SubjectType `json:"subject,omitempty"`
	Rule    string              `json:"rule"`
	Within  *Expr               `json:"within,omitempty"`
	Compare string              `json:"compare,omitempty"`
	Year    int                 `json:"year,omitempty"`
	From    string              `json:"from,omitempty"`
	To      string              `json:"to,omitempty"`
	List    bool                `json:"list,omitempty"`
	Limit   int                 `json:"limit,omitempty"`
}

// WhatIfResult is the answer to a WhatIf.
type WhatIfResult struct {
	Rule        string              `json:"rule"`
	Subject     onedoor.SubjectType `json:"subject"`
	Reference   string              `json:"reference"`
	Protected   bool                `json:"protected"`
	Threshold   int                 `json:"threshold,omitempty"`
	Eligible    Num                 `json:"eligible"`
	ByStreet    *Table              `json:"by_street"`
	ByCommunity *Table              `json:"by_community,omitempty"`
	Compare     *Comparison         `json:"compare,omitempty"`
	// Outreach lists the IDs asked for (List), at most Limit of them, in
	// ID order; OutreachTotal is how many there are in all. Both are in
	// every answer to a List (an empty list and 0 when nobody is found)
	// and in no other: Outreach is nil exactly when no list was asked for.
	Outreach      []int64 `json:"outreach,omitzero"`
	OutreachTotal int64   `json:"outreach_total,omitempty"`
	// Stats says how the rule was evaluated (exact answers only).
	Stats *WhatIfStats `json:"stats,omitempty"`

	outreach *roaring.Bitmap
}

// Comparison sets the eligible against today's beneficiaries of a matter.
type Comparison struct {
	Matter string `json:"matter"`
	// Beneficiaries have an approved case of the matter (in the window).
	Beneficiaries Num `json:"beneficiaries"`
	// EligibleBeneficiaries are eligible and already beneficiaries.
	EligibleBeneficiaries Num `json:"eligible_beneficiaries"`
	// EligibleNotApplied are eligible and have no case of the matter (in
	// the window): the outreach list.
	EligibleNotApplied Num `json:"eligible_not_applied"`
	// BeneficiariesNotEligible are beneficiaries the rule would leave out.
	BeneficiariesNotEligible Num `json:"beneficiaries_not_eligible"`
}

// WhatIfStats tells how much bitmaps narrowed the population.
type WhatIfStats struct {
	Population  uint64 `json:"population"`
	Candidates  uint64 `json:"candidates"`  // left after narrowing by bitmaps
	Evaluations int64  `json:"evaluations"` // CEL evaluations (one per distinct combination of the rule's attributes)
	Exact       bool   `json:"exact"`       // the rule was answered by bitmaps alone
	Micros      int64  `json:"micros"`
}

// MaxOutreach bounds the IDs a what-if lists.
const MaxOutreach = 1_000_000

// WhatIf evaluates a policy rule. With p set, disclosure control applies
// and no IDs are listed.
func (ix *Index) WhatIf(ctx context.Context, q WhatIf, p *Protection) (*WhatIfResult, error) {
	start := time.Now()
	if q.Subject == "" {
		q.Subject = onedoor.Natural
	}
	if q.Subject != onedoor.Natural && q.Subject != onedoor.Legal {
		return nil, bad("subject", "The subject must be natural or legal.")
	}
	if q.List && p != nil {
		return nil, onedoor.Errorf(onedoor.EFORBIDDEN, "Lists of people are for roles that may see people; aggregate results only.")
	}
	if q.Limit == 0 {
		q.Limit = 1000
	}
	if q.Limit < 1 || q.Limit > MaxOutreach {
		return nil, bad("limit", "The limit must be from 1 to %d.", MaxOutreach)
	}
	schema := rules.Person
	if q.Subject == onedoor.Legal {
		schema = rules.Org
	}
	rule, err := rules.Compile(q.Rule, schema)
	if err != nil {
		return nil, onedoor.OnField(err, "rule")
	}
	if slices.Contains(rule.Vars(), "licences") && ix.cfg.ResolveLicence == nil {
		// Without it the index misses the licences issued after its build.
		return nil, bad("rule", "This analytics index does not follow the e-licence registry; write the rule without licences (approved lists the matters granted).")
	}
	parsed, iss := parseEnv().Parse(q.Rule)
	if iss != nil && iss.Err() != nil {
		return nil, bad("rule", "The rule cannot be parsed: %v.", iss.Err())
	}
	ix.fresh(ctx)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	pp := ix.popOf(q.Subject)
	var count int
	within, err := ix.compile(q.Within, q.Subject, "within", &count)
	if err != nil {
		return nil, err
	}
	var cmp *matter
	w := allMonths
	if q.Compare != "" {
		if cmp = pp.matters[q.Compare]; cmp == nil {
			return nil, bad("compare", "There is no matter %q for %s persons.", q.Compare, q.Subject)
		}
		if w, err = parseWindow("", q.Year, q.From, q.To); err != nil {
			return nil, err
		}
	} else if q.Year != 0 || q.From != "" || q.To != "" {
		return nil, bad("compare", "A time window needs a matter to compare with.")
	}

	ev := &whatIf{ix: ix, pp: pp, subject: q.Subject, rule: rule}
	base := ix.eval(within, pp)
	narrow, exact := ev.narrow(parsed.NativeRep().Expr())
	cand := base
	if narrow != nil {
		cand = roaring.And(base, narrow)
	}
	stats := &WhatIfStats{Population: base.GetCardinality(), Candidates: cand.GetCardinality(), Exact: exact}
	var elig *roaring.Bitmap
	if exact {
		elig = cand
	} else {
		if elig, err = ev.run(ctx, cand, parsed.NativeRep().Expr()); err != nil {
			return nil, err
		}
		stats.Evaluations = ev.evals
	}

	res := &WhatIfResult{Rule: q.Rule, Subject: q.Subject, Reference: ix.ref.Format(time.DateOnly)}
	var applied *roaring.Bitmap
	if cmp != nil {
		applied = cmp.cls[clsApplied].window(w)
		res.outreach = roaring.AndNot(elig, applied)
	} else {
		res.outreach = elig
	}
	if p != nil {
		res.Protected, res.Threshold = true, p.k()
		return res, ix.protectWhatIf(ctx, p, res, elig, cmp, w, within)
	}
	res.Stats = stats
	res.Eligible = Num{V: int64(elig.GetCardinality())}
	st := findDim(q.Subject, "street")
	res.ByStreet = ix.table(elig, []*dimension{st})
	if q.Subject == onedoor.Natural {
		res.ByCommunity = ix.table(elig, []*dimension{findDim(q.Subject, "community")})
	}
	if cmp != nil {
		ben := cmp.cls[clsApproved].window(w)
		res.Compare = &Comparison{Matter: cmp.code,
			Beneficiaries:            Num{V: int64(ben.AndCardinality(base))},
			EligibleBeneficiaries:    Num{V: int64(elig.AndCardinality(ben))},
			EligibleNotApplied:       Num{V: int64(res.outreach.GetCardinality())},
			BeneficiariesNotEligible: Num{V: int64(roaring.AndNot(roaring.And(ben, base), elig).GetCardinality())}}
	}
	if q.List {
		res.OutreachTotal = int64(res.outreach.GetCardinality())
		res.Outreach = make([]int64, 0, min(int64(q.Limit), res.OutreachTotal))
		it := res.outreach.Iterator()
		for it.HasNext() && len(res.Outreach) < q.Limit {
			res.Outreach = append(res.Outreach, int64(it.Next()))
		}
	}
	stats.Micros = time.Since(start).Microseconds()
	return res, nil
}

// MarshalJSON writes the result, with outreach_total when a list was asked
// for (Outreach not nil), even when it is 0.
func (r WhatIfResult) MarshalJSON() ([]byte, error) {
	type plain WhatIfResult // without this method
	if r.Outreach == nil {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		OutreachTotal int64 `json:"outreach_total"` // shadows the field's omitempty
	}{plain(r), r.OutreachTotal})
}

// OutreachIDs is every ID of the outreach set of an unprotected result.
func (r *WhatIfResult) OutreachIDs() []int64 {
	if r.outreach == nil {
		return nil
	}
	out := make([]int64, 0, r.outreach.GetCardinality())
	it := r.outreach.Iterator()
	for it.HasNext() {
		out = append(out, int64(it.Next()))
	}
	return out
}

var parseEnv = func() func() *cel.Env {
	env, err := cel.NewEnv()
	if err != nil {
		panic("segment: CEL environment: " + err.Error())
	}
	return func() *cel.Env { return env }
}()

// whatIf evaluates one rule over the index.
type whatIf struct {
	ix      *Index
	pp      *pop
	subject onedoor.SubjectType
	rule    *rules.Rule
	evals   int64
}

// narrow returns a superset of the IDs for which e is true, from bitmaps,
// and whether it is exactly that set; nil means no narrowing.
func (w *whatIf) narrow(e celast.Expr) (*roaring.Bitmap, bool) {
	ix := w.ix
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			if b {
				return w.pp.exists, true
			}
			return empty, true
		}
		return nil, false
	case celast.IdentKind:
		if bm := w.flag(e.AsIdent()); bm != nil {
			return bm, true
		}
		return nil, false
	case celast.CallKind:
	default:
		return nil, false
	}
	c := e.AsCall()
	args := c.Args()
	switch c.FunctionName() {
	case operators.LogicalAnd:
		a, ea := w.narrow(args[0])
		b, eb := w.narrow(args[1])
		switch {
		case a == nil && b == nil:
			return nil, false
		case a == nil:
			return b, false
		case b == nil:
			return a, false
		}
		return roaring.And(a, b), ea && eb
	case operators.LogicalOr:
		a, ea := w.narrow(args[0])
		b, eb := w.narrow(args[1])
		if a == nil || b == nil {
			return nil, false
		}
		return roaring.Or(a, b), ea && eb
	case operators.LogicalNot:
		a, ea := w.narrow(args[0])
		if a == nil || !ea {
			return nil, false
		}
		return roaring.AndNot(w.pp.exists, a), true
	case operators.In:
		code, ok := stringLit(args[0])
		if !ok || args[1].Kind() != celast.IdentKind {
			return nil, false
		}
		cls := -1
		switch args[1].AsIdent() {
		case "applied":
			cls = clsApplied
		case "approved":
			cls = clsApproved
		case "licences":
			return w.pp.licHolders(code), true
		}
		if cls < 0 {
			return nil, false
		}
		if m := w.pp.matters[code]; m != nil {
			return m.cls[cls].all.set(), true
		}
		return empty, true
	case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
	default:
		return nil, false
	}
	op := c.FunctionName()
	id, lit := args[0], args[1]
	if id.Kind() != celast.IdentKind {
		id, lit = lit, id
		op = flip(op)
	}
	if id.Kind() != celast.IdentKind || lit.Kind() != celast.LiteralKind {
		return nil, false
	}
	name := id.AsIdent()
	if name == "age" && w.subject == onedoor.Natural {
		n, ok := lit.AsLiteral().(types.Int)
		if !ok {
			return nil, false
		}
		lo, hi := 0, maxAge
		v := int(max(min(int64(n), maxAge+1), -1))
		switch op {
		case operators.Equals:
			lo, hi = v, v
		case operators.NotEquals:
			if v < 0 || v > maxAge {
				return w.pp.exists, true
			}
			return roaring.AndNot(w.pp.exists, ix.ageRange(v, v)), true
		case operators.Less:
			hi = v - 1
		case operators.LessEquals:
			hi = v
		case operators.Greater:
			lo = v + 1
		case operators.GreaterEquals:
			lo = v
		}
		lo, hi = max(lo, 0), min(hi, maxAge)
		if lo > hi {
			return empty, true
		}
		return ix.ageRange(lo, hi), true
	}
	s, ok := stringLit(lit)
	if !ok || (op != operators.Equals && op != operators.NotEquals) {
		return nil, false
	}
	var bm *roaring.Bitmap
	switch {
	case name == "sex" && w.subject == onedoor.Natural:
		switch s {
		case "F":
			bm = ix.people.sexBm[0]
		case "M":
			bm = ix.people.sexBm[1]
		default:
			return nil, false
		}
	case name == "street":
		d := findDim(w.subject, "street")
		bm = w.union(d, ix.streets.idx[s], ix.streets.idx[s] != 0 || s == "")
	case name == "community" && w.subject == onedoor.Natural:
		var parts []*roaring.Bitmap
		for _, v := range ix.byName[s] {
			parts = append(parts, ix.people.commBm[v])
		}
		bm = roaring.FastOr(parts...)
	case name == "org_kind" && w.subject == onedoor.Legal:
		bm = w.union(findDim(w.subject, "org_kind"), ix.orgs.kinds.idx[s], ix.orgs.kinds.idx[s] != 0 || s == "")
	case name == "org_size" && w.subject == onedoor.Legal:
		bm = w.union(findDim(w.subject, "org_size"), ix.orgs.sizes.idx[s], ix.orgs.sizes.idx[s] != 0 || s == "")
	default:
		return nil, false
	}
	if op == operators.NotEquals {
		return roaring.AndNot(w.pp.exists, bm), true
	}
	return bm, true
}

func (w *whatIf) union(d *dimension, v int, known bool) *roaring.Bitmap {
	if !known {
		return empty
	}
	bm, _ := d.bitmap(w.ix, v)
	return bm
}

// flag is the bitmap of a true boolean attribute.
func (w *whatIf) flag(name string) *roaring.Bitmap {
	if w.subject == onedoor.Legal {
		if name == "dishonest" {
			return w.ix.orgs.dishBm
		}
		return nil
	}
	p := &w.ix.people
	switch name {
	case "local":
		return p.local
	case "lives_alone":
		return p.alone
	case "disabled":
		return p.disabled
	case "dishonest":
		return p.dishonest
	}
	return nil
}

func stringLit(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func flip(op string) string {
	switch op {
	case operators.Less:
		return operators.Greater
	case operators.LessEquals:
		return operators.GreaterEquals
	case operators.Greater:
		return operators.Less
	case operators.GreaterEquals:
		return operators.LessEquals
	}
	return op
}

// attrVar is one attribute the rule reads: its values are numbered
// 0..radix-1 per subject, and set puts value number c into the Attrs.
type attrVar struct {
	radix int
	code  func(id uint32) int
	set   func(a *rules.Attrs, c int)
	batch func(ids []uint32, out []int32) // code for many IDs; nil: use code
}

func arrayCodes[T ~uint8 | ~uint16](a []T) func(ids []uint32, out []int32) {
	return func(ids []uint32, out []int32) {
		for i, id := range ids {
			out[i] = int32(a[id])
		}
	}
}

func flagCodes(f []uint8, bit uint8) func(ids []uint32, out []int32) {
	return func(ids []uint32, out []int32) {
		for i, id := range ids {
			if f[id]&bit != 0 {
				out[i] = 1
			} else {
				out[i] = 0
			}
		}
	}
}

// vars describes the scalar attributes the rule reads.
func (w *whatIf) vars(names []string) ([]attrVar, error) {
	ix := w.ix
	var out []attrVar
	boolVar := func(name string, f func(id uint32) bool) attrVar {
		return attrVar{radix: 2, code: func(id uint32) int {
			if f(id) {
				return 1
			}
			return 0
		}, set: func(a *rules.Attrs, c int) { a.SetBool(name, c == 1) }}
	}
	for _, name := range names {
		if isList(name) {
			continue
		}
		if w.subject == onedoor.Legal {
			o := &ix.orgs
			switch name {
			case "org_kind":
				out = append(out, attrVar{radix: len(o.kinds.names), code: func(id uint32) int { return int(o.kind[id]) },
					set: func(a *rules.Attrs, c int) { a.SetString(name, o.kinds.names[c]) }})
			case "org_size":
				out = append(out, attrVar{radix: len(o.sizes.names), code: func(id uint32) int { return int(o.size_[id]) },
					set: func(a *rules.Attrs, c int) { a.SetString(name, o.sizes.names[c]) }})
			case "street":
				out = append(out, attrVar{radix: len(ix.streets.names), code: func(id uint32) int { return int(o.street[id]) },
					set: func(a *rules.Attrs, c int) { a.SetString(name, ix.streets.names[c]) }})
			case "dishonest":
				out = append(out, boolVar(name, func(id uint32) bool { return o.dishonest[id] }))
			case "years_registered":
				refDays := int(daysOf(ix.ref))
				out = append(out, attrVar{radix: 256, code: func(id uint32) int {
					if o.reg[id] == 0 {
						return 0
					}
					return min(max(int(float64(refDays-int(o.reg[id]))/365.25), 0), 255)
				}, set: func(a *rules.Attrs, c int) { a.SetInt(name, int64(c)) }})
			default:
				return nil, bad("rule", "The attribute %s is not indexed.", name)
			}
			continue
		}
		p := &ix.people
		switch name {
		case "age":
			out = append(out, attrVar{radix: maxAge + 1, code: func(id uint32) int { return int(p.age[id]) },
				set: func(a *rules.Attrs, c int) { a.SetInt(name, int64(c)) }, batch: arrayCodes(p.age)})
		case "sex":
			out = append(out, attrVar{radix: 3, code: func(id uint32) int { return int(p.sex[id]) },
				set: func(a *rules.Attrs, c int) { a.SetString(name, []string{"F", "M", "X"}[c]) }, batch: arrayCodes(p.sex)})
		case "local", "lives_alone", "disabled", "dishonest":
			bit := map[string]uint8{"local": fLocal, "lives_alone": fAlone, "disabled": fDisabled, "dishonest": fDishonest}[name]
			v := boolVar(name, func(id uint32) bool { return p.flags[id]&bit != 0 })
			v.batch = flagCodes(p.flags, bit)
			out = append(out, v)
		case "street":
			out = append(out, attrVar{radix: len(ix.streets.names), code: func(id uint32) int { return int(p.street[id]) },
				set: func(a *rules.Attrs, c int) { a.SetString(name, ix.streets.names[c]) }, batch: arrayCodes(p.street)})
		case "community":
			out = append(out, attrVar{radix: len(ix.comms.names), code: func(id uint32) int { return int(p.comm[id]) },
				set: func(a *rules.Attrs, c int) { a.SetString(name, ix.commName(c)) }, batch: arrayCodes(p.comm)})
		default:
			return nil, bad("rule", "The attribute %s is not indexed.", name)
		}
	}
	return out, nil
}

// isList reports whether an attribute is one of the lists the index keeps
// as bitmaps per entry: the matters applied for and approved, and the
// valid e-licences.
func isList(name string) bool { return name == "applied" || name == "approved" || name == "licences" }

// atom is one "CODE in list" test of the rule.
type atom struct {
	list string // applied, approved or licences
	code string
	set  *roaring.Bitmap
}

// atomsOf returns the membership tests of the rule when the lists are only
// ever used as `"CODE" in list`; ok is false when the rule uses them
// otherwise (size, exists, indexing...).
func atomsOf(e celast.Expr) (atoms []atom, ok bool) {
	ok = true
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if !ok || e == nil {
			return
		}
		switch e.Kind() {
		case celast.IdentKind:
			if isList(e.AsIdent()) {
				ok = false
			}
		case celast.CallKind:
			c := e.AsCall()
			args := c.Args()
			if c.FunctionName() == operators.In && len(args) == 2 && args[1].Kind() == celast.IdentKind {
				if n := args[1].AsIdent(); isList(n) {
					code, isLit := stringLit(args[0])
					if !isLit {
						ok = false
						return
					}
					if !slices.ContainsFunc(atoms, func(a atom) bool { return a.list == n && a.code == code }) {
						atoms = append(atoms, atom{list: n, code: code})
					}
					return
				}
			}
			if c.IsMemberFunction() {
				walk(c.Target())
			}
			for _, a := range args {
				walk(a)
			}
		case celast.ListKind:
			for _, x := range e.AsList().Elements() {
				walk(x)
			}
		case celast.SelectKind:
			walk(e.AsSelect().Operand())
		case celast.ComprehensionKind:
			// Macros over the lists (exists, all…) need the whole list.
			ok = false
		case celast.MapKind, celast.StructKind:
			ok = false
		}
	}
	walk(e)
	return atoms, ok
}

// run evaluates the rule over the candidates, once per distinct
// combination of the attributes it reads.
func (w *whatIf) run(ctx context.Context, cand *roaring.Bitmap, e celast.Expr) (*roaring.Bitmap, error) {
	vars, err := w.vars(w.rule.Vars())
	if err != nil {
		return nil, err
	}
	readsLists := slices.ContainsFunc(w.rule.Vars(), isList)
	atoms, atomic := atomsOf(e)
	if readsLists && !atomic {
		return w.runLists(ctx, cand, vars)
	}
	space := uint64(1)
	for _, v := range vars {
		space *= uint64(v.radix)
	}
	for i := range atoms {
		space *= 2
		atoms[i].set = empty
		switch atoms[i].list {
		case "licences":
			atoms[i].set = roaring.And(cand, w.pp.licHolders(atoms[i].code))
		default:
			cls := clsApplied
			if atoms[i].list == "approved" {
				cls = clsApproved
			}
			if m := w.pp.matters[atoms[i].code]; m != nil {
				atoms[i].set = roaring.And(cand, m.cls[cls].all.set())
			}
		}
	}
	if space > 1<<40 || len(atoms) > 20 {
		return w.runLists(ctx, cand, vars)
	}
	var dense []int8
	var sparse map[uint64]int8
	if space <= 1<<22 {
		dense = make([]int8, space)
	} else {
		sparse = map[uint64]int8{}
	}
	attrs := rules.NewAttrs(w.schema())
	decide := func(key uint64) (bool, error) {
		attrs.Reset()
		// The atoms are the low bits, the last atom lowest; above them
		// the variables in mixed radix, the last variable lowest.
		k := key
		lists := map[string][]string{}
		for i := len(atoms) - 1; i >= 0; i-- {
			if k&1 == 1 {
				lists[atoms[i].list] = append(lists[atoms[i].list], atoms[i].code)
			}
			k >>= 1
		}
		for i := len(vars) - 1; i >= 0; i-- {
			r := uint64(vars[i].radix)
			vars[i].set(attrs, int(k%r))
			k /= r
		}
		for _, name := range []string{"applied", "approved", "licences"} {
			if slices.Contains(w.rule.Vars(), name) {
				attrs.SetStrings(name, nonNil(lists[name]))
			}
		}
		w.evals++
		ok, err := w.rule.Eval(attrs)
		if err != nil {
			return false, onedoor.OnField(err, "rule")
		}
		return ok, nil
	}
	iters := make([]roaring.IntPeekable, len(atoms))
	for i := range atoms {
		iters[i] = atoms[i].set.Iterator()
	}
	out := roaring.New()
	buf := make([]uint32, 4096)
	keep := make([]uint32, 0, 4096)
	keys := make([]uint64, len(buf))
	codes := make([]int32, len(buf))
	it := cand.ManyIterator()
	for {
		n := it.NextMany(buf)
		if n == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ids, ks := buf[:n], keys[:n]
		clear(ks)
		for _, v := range vars {
			r := uint64(v.radix)
			if v.batch != nil {
				v.batch(ids, codes[:n])
				for i := range ks {
					ks[i] = ks[i]*r + uint64(codes[i])
				}
			} else {
				for i, id := range ids {
					ks[i] = ks[i]*r + uint64(v.code(id))
				}
			}
		}
		for _, a := range iters {
			for i, id := range ids {
				ks[i] <<= 1
				a.AdvanceIfNeeded(id)
				if a.HasNext() && a.PeekNext() == id {
					ks[i] |= 1
				}
			}
		}
		keep = keep[:0]
		for i, key := range ks {
			var r int8
			if dense != nil {
				r = dense[key]
			} else {
				r = sparse[key]
			}
			if r == 0 {
				ok, err := decide(key)
				if err != nil {
					return nil, err
				}
				r = 1
				if ok {
					r = 2
				}
				if dense != nil {
					dense[key] = r
				} else {
					sparse[key] = r
				}
			}
			if r == 2 {
				keep = append(keep, ids[i])
			}
		}
		out.AddMany(keep)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (w *whatIf) schema() rules.Schema {
	if w.subject == onedoor.Legal {
		return rules.Org
	}
	return rules.Person
}

// runLists evaluates a rule that reads whole lists (the application
// history, the e-licences): the lists are built for a range of IDs at a
// time from every matter's bitmaps, one entry per case, and every licence
// type's, one entry per valid licence, and the rule is evaluated once per
// distinct combination of attributes and lists.
func (w *whatIf) runLists(ctx context.Context, cand *roaring.Bitmap, vars []attrVar) (*roaring.Bitmap, error) {
	names := [3]string{"applied", "approved", "licences"}
	codes := [3][]string{w.pp.codes(), w.pp.codes(), w.pp.licCodes()}
	var need [3]bool
	for li, name := range names {
		need[li] = slices.Contains(w.rule.Vars(), name)
	}
	attrs := rules.NewAttrs(w.schema())
	memo := map[string]bool{}
	out := roaring.New()
	const span = 1 << 20
	if cand.IsEmpty() {
		return out, nil
	}
	lo := uint64(cand.Minimum()) &^ (span - 1)
	hi := uint64(cand.Maximum())
	var key strings.Builder
	for start := lo; start <= hi; start += span {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		chunk := roaring.New()
		chunk.AddRange(start, start+span)
		chunk.And(cand)
		if chunk.IsEmpty() {
			continue
		}
		ids := chunk.ToArray()
		lists := make([][3][]uint16, len(ids))
		for li := range 2 {
			if !need[li] {
				continue
			}
			cls := clsApplied
			if li == 1 {
				cls = clsApproved
			}
			for mi, code := range codes[li] {
				s := &w.pp.matters[code].cls[cls].all
				both := roaring.And(chunk, s.set())
				it := both.Iterator()
				for it.HasNext() {
					id := it.Next()
					j, _ := slices.BinarySearch(ids, id)
					for range s.count(id) {
						lists[j][li] = append(lists[j][li], uint16(mi))
					}
				}
			}
		}
		if need[2] {
			for ti, code := range codes[2] {
				t := w.pp.lics[code]
				both := roaring.And(chunk, t.valid)
				it := both.Iterator()
				for it.HasNext() {
					id := it.Next()
					j, _ := slices.BinarySearch(ids, id)
					for range t.count(id) {
						lists[j][2] = append(lists[j][2], uint16(ti))
					}
				}
			}
		}
		keep := make([]uint32, 0, len(ids))
		for j, id := range ids {
			key.Reset()
			for _, v := range vars {
				fmt.Fprintf(&key, "%d,", v.code(id))
			}
			for li := range 3 {
				key.WriteByte('|')
				for _, x := range lists[j][li] {
					fmt.Fprintf(&key, "%d,", x)
				}
			}
			k := key.String()
			ok, seen := memo[k]
			if !seen {
				attrs.Reset()
				for _, v := range vars {
					v.set(attrs, v.code(id))
				}
				for li, name := range names {
					if !need[li] {
						continue
					}
					l := make([]string, len(lists[j][li]))
					for i, x := range lists[j][li] {
						l[i] = codes[li][x]
					}
					if len(l) > rules.MaxListLen {
						l = l[:rules.MaxListLen]
					}
					attrs.SetStrings(name, l)
				}
				w.evals++
				var err error
				if ok, err = w.rule.Eval(attrs); err != nil {
					return nil, onedoor.OnField(err, "rule")
				}
				if len(memo) < 1<<20 {
					memo[k] = ok
				}
			}
			if ok {
				keep = append(keep, id)
			}
		}
		out.AddMany(keep)
	}
	return out, nil
}
