package segment

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// Expr is a segment: a set of residents (or enterprises) given by their
// attributes and by what they applied for, combined with and, or and not.
// Exactly one form is used per Expr:
//
//	{"and": [...]} {"or": [...]} {"not": {...}}
//	{"attr": "street", "eq": "张槎街道"}          an attribute value
//	{"attr": "age_policy", "in": ["70-79", "80+"]} any of several values
//	{"attr": "age", "min": 70, "max": 79}          whole years at the reference date
//	{"matter": "MED-001", "event": "applied", "year": 2025}
//	{"matter": "HRSS-001", "event": "approved", "from": "2025-01", "to": "2025-06"}
//	{"matter": "*", "event": "applied"}            applied for anything
//
// Events are applied (any case), approved (completed or delivered),
// rejected and open (not yet decided); a time window selects cases by the
// month they were received (China Standard Time), and without one all
// cases count. An empty segment is everyone.
type Expr struct {
	And []*Expr `json:"and,omitempty"`
	Or  []*Expr `json:"or,omitempty"`
	Not *Expr   `json:"not,omitempty"`

	Attr string  `json:"attr,omitempty"`
	Eq   *Value  `json:"eq,omitempty"`
	In   []Value `json:"in,omitempty"`
	Min  *int    `json:"min,omitempty"`
	Max  *int    `json:"max,omitempty"`

	Matter string `json:"matter,omitempty"`
	Event  string `json:"event,omitempty"`
	Year   int    `json:"year,omitempty"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
}

// Value is an attribute value. JSON strings, booleans and numbers are
// accepted (true means "yes" or "local"), so {"attr": "lives_alone",
// "eq": true} reads naturally.
type Value string

// UnmarshalJSON accepts a string, a boolean or a number. Anything else
// (an array, an object, null) is a *json.UnmarshalTypeError of type
// Value, which the decoder completes with the field it was in (without
// list indices: segment.and.in); ValueError makes it the error to show.
func (v *Value) UnmarshalJSON(b []byte) error {
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	switch t := x.(type) {
	case string:
		*v = Value(t)
	case bool:
		*v = Value(strconv.FormatBool(t))
	case float64:
		*v = Value(strconv.FormatFloat(t, 'f', -1, 64))
	default:
		kind := "null"
		switch x.(type) {
		case []any:
			kind = "an array"
		case map[string]any:
			kind = "an object"
		}
		return &json.UnmarshalTypeError{Value: kind, Type: valueType}
	}
	return nil
}

var valueType = reflect.TypeFor[Value]()

// ValueError returns the error to show for a JSON decoding error that is
// a segment value of the wrong JSON type, naming its field; ok is false
// for any other error.
func ValueError(err error) (_ error, ok bool) {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Type != valueType {
		return nil, false
	}
	return bad(te.Field, "A value in the body must be a string, true/false or a number; %s holds %s.", te.Field, te.Value), true
}

// Query is one question to the index.
//
//	count        how many are in the segment
//	breakdown    the segment counted by one or two dimensions (by)
//	trend        per month, how many in the segment had the event for the
//	             matter ("*" or empty: any matter), from..to
//	top_matters  the matters most of the segment had the event for, in the
//	             window (year or from..to; none: all time)
type Query struct {
	Subject onedoor.SubjectType `json:"subject,omitempty"`
	Segment *Expr               `json:"segment,omitempty"`
	Result  string              `json:"result,omitempty"`
	By      []string            `json:"by,omitempty"`
	Matter  string              `json:"matter,omitempty"`
	Event   string              `json:"event,omitempty"`
	Year    int                 `json:"year,omitempty"`
	From    string              `json:"from,omitempty"`
	To      string              `json:"to,omitempty"`
	Limit   int                 `json:"limit,omitempty"`
}

// Node kinds of a compiled segment.
const (
	opAll = iota
	opAnd
	opOr
	opNot
	opAttr
	opAge
	opMatter
)

// node is a compiled segment, checked against the index.
type node struct {
	op     int
	kids   []*node
	dim    *dimension
	vals   []int
	lo, hi int // age, whole years, inclusive
	m      *matter
	any    bool // any matter
	cls    int
	w      window
}

func bad(field, format string, args ...any) error {
	return onedoor.FieldErrorf(field, format, args...)
}

// MaxNodes bounds the size of a segment expression.
const MaxNodes = 200

// compile checks e against the index (under the read lock) and resolves
// names to bitmaps' coordinates.
func (ix *Index) compile(e *Expr, s onedoor.SubjectType, field string, count *int) (*node, error) {
	if e == nil {
		return &node{op: opAll}, nil
	}
	*count++
	if *count > MaxNodes {
		return nil, bad(field, "The segment has more than %d parts.", MaxNodes)
	}
	forms := 0
	for _, b := range []bool{e.And != nil, e.Or != nil, e.Not != nil, e.Attr != "", e.Matter != ""} {
		if b {
			forms++
		}
	}
	if forms != 1 {
		return nil, bad(field, "Each part of a segment must be exactly one of and, or, not, attr or matter.")
	}
	switch {
	case e.And != nil || e.Or != nil:
		list, op, name := e.And, opAnd, "and"
		if e.Or != nil {
			list, op, name = e.Or, opOr, "or"
		}
		if len(list) == 0 {
			return nil, bad(field+"."+name, "The list is empty.")
		}
		n := &node{op: op}
		for i, k := range list {
			c, err := ix.compile(k, s, fmt.Sprintf("%s.%s[%d]", field, name, i), count)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, c)
		}
		return n, nil
	case e.Not != nil:
		c, err := ix.compile(e.Not, s, field+".not", count)
		if err != nil {
			return nil, err
		}
		return &node{op: opNot, kids: []*node{c}}, nil
	case e.Attr != "":
		return ix.compileAttr(e, s, field)
	}
	return ix.compileMatter(e, s, field)
}

func (ix *Index) compileAttr(e *Expr, s onedoor.SubjectType, field string) (*node, error) {
	if e.Matter != "" || e.Event != "" || e.Year != 0 || e.From != "" || e.To != "" {
		return nil, bad(field, "An attribute part takes eq, in, or min and max; event, year, from and to belong to matter parts.")
	}
	if e.Attr == "age" && s != onedoor.Legal {
		if e.Eq != nil || e.In != nil {
			return nil, bad(field+".attr", "Age is given with min and max (whole years); for bands use age5 or age_policy.")
		}
		if e.Min == nil && e.Max == nil {
			return nil, bad(field+".attr", "Age needs min, max or both.")
		}
		n := &node{op: opAge, lo: 0, hi: maxAge}
		if e.Min != nil {
			n.lo = *e.Min
		}
		if e.Max != nil {
			n.hi = *e.Max
		}
		if n.lo < 0 || n.hi > maxAge || n.lo > n.hi {
			return nil, bad(field, "The age range %d–%d is not valid; ages run from 0 to %d.", n.lo, n.hi, maxAge)
		}
		return n, nil
	}
	d := findDim(s, e.Attr)
	if d == nil {
		return nil, bad(field+".attr", "There is no attribute %q for %s persons; known attributes are %s.", e.Attr, s, dimNames(s))
	}
	if e.Min != nil || e.Max != nil {
		return nil, bad(field, "Only age takes min and max.")
	}
	var labels []Value
	switch {
	case e.Eq != nil && e.In == nil:
		labels = []Value{*e.Eq}
	case e.Eq == nil && len(e.In) > 0:
		labels = e.In
	default:
		return nil, bad(field, "Give the value with eq, or a non-empty list with in.")
	}
	n := &node{op: opAttr, dim: d}
	for _, l := range labels {
		vs := ix.valueIndex(d, string(l))
		if len(vs) == 0 {
			return nil, bad(field, "%q is not a value of %s.", string(l), d.name)
		}
		for _, v := range vs {
			if !containsInt(n.vals, v) {
				n.vals = append(n.vals, v)
			}
		}
	}
	return n, nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// eventClass parses an event name; "" is applied.
func eventClass(field, ev string) (int, error) {
	if ev == "" {
		return clsApplied, nil
	}
	for i, n := range classNames {
		if n == ev {
			return i, nil
		}
	}
	return 0, bad(field, "The event must be applied, approved, rejected or open, not %q.", ev)
}

// parseWindow reads year or from..to (YYYY-MM, inclusive): the fields
// year, from and to of the object at field ("" for the request itself).
func parseWindow(field string, year int, from, to string) (window, error) {
	at := func(name string) string {
		if field == "" {
			return name
		}
		return field + "." + name
	}
	if year != 0 {
		if from != "" || to != "" {
			return window{}, bad(at("year"), "Give a year or from and to, not both.")
		}
		if year < 2000 || year > 2100 {
			return window{}, bad(at("year"), "The year %d is out of range; give one from 2000 to 2100.", year)
		}
		return window{int32(year) * 12, int32(year)*12 + 11}, nil
	}
	if from == "" && to == "" {
		return allMonths, nil
	}
	if from == "" {
		return window{}, bad(at("from"), "A month range needs both from and to (YYYY-MM); from is missing.")
	}
	if to == "" {
		return window{}, bad(at("to"), "A month range needs both from and to (YYYY-MM); to is missing.")
	}
	f, err := parseMonth(at("from"), from)
	if err != nil {
		return window{}, err
	}
	t, err := parseMonth(at("to"), to)
	if err != nil {
		return window{}, err
	}
	if f > t {
		return window{}, bad(at("from"), "The month range %s to %s is backwards.", from, to)
	}
	return window{f, t}, nil
}

func parseMonth(field, s string) (int32, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2000 || t.Year() > 2100 {
		return 0, bad(field, "%q is not a month of the form YYYY-MM between 2000 and 2100.", s)
	}
	return int32(t.Year())*12 + int32(t.Month()) - 1, nil
}

func (ix *Index) compileMatter(e *Expr, s onedoor.SubjectType, field string) (*node, error) {
	if e.Eq != nil || e.In != nil || e.Min != nil || e.Max != nil {
		return nil, bad(field, "A matter part takes event and a time window (year, or from and to), not eq, in, min or max.")
	}
	cls, err := eventClass(field+".event", e.Event)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow(field, e.Year, e.From, e.To)
	if err != nil {
		return nil, err
	}
	n := &node{op: opMatter, cls: cls, w: w}
	if e.Matter == "*" {
		if cls != clsApplied {
			return nil, bad(field+".event", "For any matter (*) only the event applied is indexed.")
		}
		n.any = true
		return n, nil
	}
	m := ix.popOf(s).matters[e.Matter]
	if m == nil {
		if other := ix.popOf(otherSubject(s)).matters[e.Matter]; other != nil {
			return nil, bad(field+".matter", "Matter %s serves %s persons; this query is about %s persons.", e.Matter, otherSubject(s), s)
		}
		return nil, bad(field+".matter", "There is no matter %q.", e.Matter)
	}
	n.m = m
	return n, nil
}

func otherSubject(s onedoor.SubjectType) onedoor.SubjectType {
	if s == onedoor.Legal {
		return onedoor.Natural
	}
	return onedoor.Legal
}

// eval computes the set of a compiled segment. The result must not be
// changed: it may be one of the index's own bitmaps.
func (ix *Index) eval(n *node, p *pop) *roaring.Bitmap {
	switch n.op {
	case opAll:
		return p.exists
	case opAttr:
		parts := make([]*roaring.Bitmap, 0, len(n.vals))
		for _, v := range n.vals {
			bm, _ := n.dim.bitmap(ix, v)
			parts = append(parts, bm)
		}
		if len(parts) == 1 {
			return parts[0]
		}
		return roaring.FastOr(parts...)
	case opAge:
		return ix.ageRange(n.lo, n.hi)
	case opMatter:
		if n.any {
			return p.any.window(n.w)
		}
		return n.m.cls[n.cls].window(n.w)
	case opNot:
		return roaring.AndNot(p.exists, ix.eval(n.kids[0], p))
	case opOr:
		parts := make([]*roaring.Bitmap, len(n.kids))
		for i, k := range n.kids {
			parts[i] = ix.eval(k, p)
		}
		return roaring.FastOr(parts...)
	}
	// and: intersect the positive parts, smallest first, then take away
	// the negated ones.
	var pos, neg []*roaring.Bitmap
	for _, k := range n.kids {
		if k.op == opNot {
			neg = append(neg, ix.eval(k.kids[0], p))
		} else {
			pos = append(pos, ix.eval(k, p))
		}
	}
	var out *roaring.Bitmap
	switch len(pos) {
	case 0:
		out = p.exists.Clone()
	case 1:
		out = pos[0].Clone()
	default:
		smallestFirst(pos)
		out = roaring.FastAnd(pos...)
	}
	for _, b := range neg {
		out.AndNot(b)
	}
	return out
}

// smallestFirst orders bitmaps by size, smallest first, so that an
// intersection taken in that order stays small from its first step.
func smallestFirst(bs []*roaring.Bitmap) {
	if len(bs) < 2 {
		return
	}
	var small [4]uint64 // counting a big bitmap visits every container: once each
	cards := small[:0]
	for _, b := range bs {
		cards = append(cards, b.GetCardinality())
	}
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && cards[j] < cards[j-1]; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
			cards[j], cards[j-1] = cards[j-1], cards[j]
		}
	}
}

// ageRange is everyone aged lo to hi: whole 5-year bands from their
// bitmaps, the ends filtered by exact age.
func (ix *Index) ageRange(lo, hi int) *roaring.Bitmap {
	return ix.cached("age:"+itoa(lo)+"-"+itoa(hi), func() *roaring.Bitmap { return ix.ageRange0(lo, hi) })
}

func (ix *Index) ageRange0(lo, hi int) *roaring.Bitmap {
	p := &ix.people
	var parts, edge []*roaring.Bitmap
	var whole [nPolicy]bool
	for b, bl := range policyLow {
		bh := maxAge
		if b+1 < len(policyLow) {
			bh = policyLow[b+1] - 1
		}
		if bl >= lo && bh <= hi {
			parts = append(parts, p.policy[b])
			whole[b] = true
		}
	}
	for b := 0; b < nAge5; b++ {
		bl, bh := b*5, b*5+4
		if b == nAge5-1 {
			bh = maxAge
		}
		if bh < lo || bl > hi || whole[policyOf(uint8(bl))] {
			continue
		}
		if bl >= lo && bh <= hi {
			parts = append(parts, p.age5[b])
		} else {
			edge = append(edge, p.age5[b])
		}
	}
	if len(edge) > 0 {
		keep := roaring.New()
		buf := make([]uint32, 0, 4096)
		for _, e := range edge {
			it := e.Iterator()
			for it.HasNext() {
				id := it.Next()
				if a := int(p.age[id]); a >= lo && a <= hi {
					buf = append(buf, id)
				}
			}
			keep.AddMany(buf)
			buf = buf[:0]
		}
		parts = append(parts, keep)
	}
	switch len(parts) {
	case 0:
		return empty
	case 1:
		return parts[0]
	}
	return roaring.FastOr(parts...)
}
