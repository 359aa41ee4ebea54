package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"onedoor"
)

// Attrs holds the attribute values of one person or organisation for Eval.
// It is meant to be reused: set the values of the next subject over the old
// ones (or Reset first) instead of making a new Attrs, so that a loop over a
// population allocates almost nothing. An Attrs is not safe for concurrent
// use; give each goroutine its own.
//
// The Set methods panic when the name is not in the schema, the type is
// wrong or a value is longer than MaxStringLen or MaxListLen: these are
// mistakes in the calling code, and returning an error from every call
// would clutter hot loops. Use FromMap for input that is not trusted.
type Attrs struct {
	names []string       // sorted attribute names
	types []Type         // types[i] is the type of names[i]
	slot  map[string]int // name → index into names, types and vals
	vals  []ref.Val      // nil where no value is set
	strs  []string       // last String value per slot, to skip re-boxing
}

// NewAttrs returns an empty Attrs for the attributes of s.
func NewAttrs(s Schema) *Attrs {
	a := &Attrs{
		names: make([]string, 0, len(s)),
		slot:  make(map[string]int, len(s)),
	}
	for name := range s {
		a.names = append(a.names, name)
	}
	slices.Sort(a.names)
	a.types = make([]Type, len(a.names))
	for i, name := range a.names {
		a.types[i] = s[name]
		a.slot[name] = i
	}
	a.vals = make([]ref.Val, len(a.names))
	a.strs = make([]string, len(a.names))
	return a
}

// Reset clears every value, so that an attribute not set again is reported
// as missing rather than keeping the previous subject's value.
func (a *Attrs) Reset() {
	clear(a.vals)
}

// lookup returns the slot of name, panicking if it is not of type t.
func (a *Attrs) lookup(method, name string, t Type) int {
	i, ok := a.slot[name]
	if !ok {
		panic(fmt.Sprintf("rules: %s(%q): no such attribute in the schema", method, name))
	}
	if a.types[i] != t {
		panic(fmt.Sprintf("rules: %s(%q): the attribute is %s, not %s", method, name, a.types[i], t))
	}
	return i
}

// SetInt sets the Int attribute name to v. It panics if name is not an Int
// attribute of the schema.
func (a *Attrs) SetInt(name string, v int64) {
	a.vals[a.lookup("SetInt", name, Int)] = types.Int(v)
}

// SetBool sets the Bool attribute name to v. It panics if name is not a
// Bool attribute of the schema.
func (a *Attrs) SetBool(name string, v bool) {
	a.vals[a.lookup("SetBool", name, Bool)] = types.Bool(v)
}

// SetString sets the String attribute name to v. It panics if name is not a
// String attribute of the schema or v is longer than MaxStringLen bytes.
// Setting the same value again costs no allocation.
func (a *Attrs) SetString(name string, v string) {
	i := a.lookup("SetString", name, String)
	if len(v) > MaxStringLen {
		panic(fmt.Sprintf("rules: SetString(%q): value is %d bytes, more than %d", name, len(v), MaxStringLen))
	}
	if a.vals[i] != nil && a.strs[i] == v {
		return
	}
	a.vals[i] = types.String(v)
	a.strs[i] = v
}

// SetStrings sets the StringList attribute name to v. It panics if name is
// not a StringList attribute of the schema, v has more than MaxListLen
// entries or an entry is longer than MaxStringLen bytes. Attrs keeps v
// itself: do not change it while the Attrs may be evaluated.
func (a *Attrs) SetStrings(name string, v []string) {
	i := a.lookup("SetStrings", name, StringList)
	if err := checkList(v); err != "" {
		panic(fmt.Sprintf("rules: SetStrings(%q): %s", name, err))
	}
	a.vals[i] = types.NewStringList(types.DefaultTypeAdapter, v)
}

// checkList returns why v breaks the list limits, or "" if it does not.
func checkList(v []string) string {
	if len(v) > MaxListLen {
		return fmt.Sprintf("%d entries, more than %d", len(v), MaxListLen)
	}
	for j, s := range v {
		if len(s) > MaxStringLen {
			return fmt.Sprintf("entry %d is %d bytes, more than %d", j, len(s), MaxStringLen)
		}
	}
	return ""
}

// FromMap replaces all values with those in m, as decoded from JSON or
// another untrusted source. An Int accepts any Go integer or an integral
// float64 or json.Number; a StringList accepts []string or []any holding
// only strings. Attributes missing from m are left unset. On error, which
// is an EINVALID *onedoor.Error naming the attribute as its field, a is
// left empty.
func (a *Attrs) FromMap(m map[string]any) error {
	a.Reset()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error for the same input
	for _, k := range keys {
		if err := a.setAny(k, m[k]); err != nil {
			a.Reset()
			return err
		}
	}
	return nil
}

// setAny sets one attribute from an untrusted value.
func (a *Attrs) setAny(name string, v any) error {
	i, ok := a.slot[name]
	if !ok {
		return onedoor.FieldErrorf(name, "There is no attribute %q; known attributes are %s.",
			name, strings.Join(a.names, ", "))
	}
	t := a.types[i]
	wrong := func() error {
		return onedoor.FieldErrorf(name, "The attribute %q must be %s, not %s.", name, article(t), describe(v))
	}
	switch t {
	case Int:
		n, ok := toInt(v)
		if !ok {
			return wrong()
		}
		a.vals[i] = types.Int(n)
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return wrong()
		}
		a.vals[i] = types.Bool(b)
	case String:
		s, ok := v.(string)
		if !ok {
			return wrong()
		}
		if len(s) > MaxStringLen {
			return onedoor.FieldErrorf(name, "The attribute %q is %d bytes long; the limit is %d.", name, len(s), MaxStringLen)
		}
		a.vals[i] = types.String(s)
		a.strs[i] = s
	case StringList:
		var list []string
		switch l := v.(type) {
		case []string:
			list = slices.Clone(l)
		case []any:
			list = make([]string, len(l))
			for j, e := range l {
				s, ok := e.(string)
				if !ok {
					return onedoor.FieldErrorf(name, "Entry %d of the attribute %q must be a string, not %s.", j, name, describe(e))
				}
				list[j] = s
			}
		default:
			return wrong()
		}
		if err := checkList(list); err != "" {
			return onedoor.FieldErrorf(name, "The attribute %q is too long: %s.", name, err)
		}
		a.vals[i] = types.NewStringList(types.DefaultTypeAdapter, list)
	}
	return nil
}

// toInt converts the integer-like values found in decoded input.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		return int64(n), n <= math.MaxInt64
	case uint64:
		return int64(n), n <= math.MaxInt64
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// article names a type with its article, for messages.
func article(t Type) string {
	switch t {
	case Int:
		return "a whole number"
	case Bool:
		return "true or false"
	case String:
		return "a string"
	case StringList:
		return "a list of strings"
	}
	return t.String()
}

// describe names the kind of an untrusted value, for messages.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "true or false"
	case string:
		return "a string"
	case float64:
		if v != math.Trunc(v) {
			return "a fractional number"
		}
		return "a number"
	case []any, []string:
		return "a list"
	case map[string]any:
		return "an object"
	}
	if _, ok := toInt(v); ok {
		return "a whole number"
	}
	return fmt.Sprintf("a %T", v)
}

// activation lets CEL read an Attrs without exposing the interface on
// Attrs itself. Converting a pointer to an interface does not allocate.
type activation Attrs

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	i, ok := a.slot[name]
	if !ok || a.vals[i] == nil {
		return nil, false
	}
	return a.vals[i], true
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }
