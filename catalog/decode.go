package catalog

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"onedoor"
)

// The YAML decoder below is strict where yaml.v3's own is lenient: it walks
// the node tree itself so that every unknown key, wrong type and duplicate
// key becomes a Problem at the line where it was written, and so that
// decoding goes on after the first mistake and reports the rest too. Keys
// are the json tags of the root types, so the file format follows them.

// source says where one catalog entry (a department, licence type, matter or
// bundle) was written, field by field.
type source struct {
	file  string
	line  int             // line of the entry's mapping
	label string          // how messages name the entry, such as "Matter HRSS-001 v1"
	lines map[string]int  // field path, such as "steps[0].limit", to the line of its value
	bad   map[string]bool // field paths that could not be decoded
}

// newSource returns the source of an entry written at file:line.
func newSource(file string, line int, label string) *source {
	return &source{file: file, line: line, label: label, lines: map[string]int{}, bad: map[string]bool{}}
}

// at returns the line of the field at path, or of its nearest written
// parent when the field itself is absent.
func (s *source) at(path string) int {
	for path != "" {
		if l, ok := s.lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return s.line
}

// isBad reports whether the field at path, or one of its parents, could not
// be decoded. Checks on such a field are skipped: the decoding problem
// already says what is wrong, and a second message about the zero value left
// behind would only confuse.
func (s *source) isBad(path string) bool {
	for path != "" {
		if s.bad[path] {
			return true
		}
		path = parentPath(path)
	}
	return s.bad[""]
}

// place names the entry's position as "file:line".
func (s *source) place() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

// parentPath returns the path of the field that contains path: "steps"
// for "steps[0]", "steps[0]" for "steps[0].limit", "" at the top.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// childPath joins a field path and a key.
func childPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decoder turns the YAML nodes of one entry into a Go value, adding a
// Problem for each mistake.
type decoder struct {
	probs *Problems
	src   *source
	// whole names the node at the empty path in messages: "the entry", or
	// "The file" for a file's top level, where src.label is empty.
	whole string
}

// errorf records a problem about the entry at line.
func (d *decoder) errorf(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if d.src.label != "" {
		msg = d.src.label + ": " + msg
	}
	*d.probs = append(*d.probs, Problem{File: d.src.file, Line: line, Message: msg})
}

// fail records that the field at path could not be decoded and says why.
func (d *decoder) fail(path string, format string, args ...any) {
	d.src.bad[path] = true
	d.errorf(d.src.at(path), "%s %s", d.fieldName(path), fmt.Sprintf(format, args...))
}

// fieldName names the field at path in a message.
func (d *decoder) fieldName(path string) string {
	if path == "" {
		return cmp.Or(d.whole, "the entry")
	}
	return path
}

var textType = reflect.TypeFor[onedoor.Text]()

// decode stores the YAML node n into v, the field at path. The caller has
// recorded the line of the field: that of its key, or of its list item.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		d.fail(path, "is an alias (*%s); aliases are not supported, so write the value out in full.", n.Value)
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the field empty; checks decide whether it may be
	}
	switch v.Kind() {
	case reflect.String:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float") {
			d.fail(path, "must be text, not %s.", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.fail(path, "must be a whole number, not %s.", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.fail(path, "must be true or false, not %s.", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(path, "must be a list, not %s.", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.src.lines[p] = item.Line
			d.decode(item, s.Index(i), p)
		}
		v.Set(s)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if v.Type() == textType {
				d.fail(path, "must be a mapping with zh and en texts, such as {zh: 审核, en: Review}, not %s.", describe(n))
			} else {
				d.fail(path, "must be a mapping, not %s.", describe(n))
			}
			return
		}
		fields := fieldsOf(v.Type())
		d.mapping(n, path, fields.names, func(k, val *yaml.Node) {
			d.decode(val, v.Field(fields.index[k.Value]), childPath(path, k.Value))
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(path, "must be a mapping, not %s.", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		d.mapping(n, path, nil, func(k, val *yaml.Node) {
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, childPath(path, k.Value))
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		})
		v.Set(m)
	default:
		panic(fmt.Sprintf("catalog: cannot decode into %s", v.Type())) // a root type gained a field of a new kind
	}
}

// mapping calls f for each key k of the mapping n in order, after recording
// the line of the key, and reports keys that are not text, keys written
// twice and, when allowed is not nil, keys not in allowed. A field is placed
// at its key's line rather than its value's, so that a problem with a block
// list points at "steps:" rather than at its first item.
func (d *decoder) mapping(n *yaml.Node, path string, allowed []string, f func(k, val *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.errorf(k.Line, "%s has a key that is %s; keys must be plain words.", d.fieldName(path), describe(k))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			d.errorf(k.Line, "%s has the key %q twice (first at line %d).", d.fieldName(path), clip(k.Value), first)
			continue
		}
		seen[k.Value] = k.Line
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			d.errorf(k.Line, "%s has an unknown key %q; %s", d.fieldName(path), clip(k.Value), suggest(k.Value, allowed))
			continue
		}
		d.src.lines[childPath(path, k.Value)] = k.Line
		f(k, val)
	}
}

// fields is the keys of a struct type, from its json tags.
type fields struct {
	names []string       // in declaration order
	index map[string]int // key to field index
}

var fieldCache sync.Map // reflect.Type to *fields

// fieldsOf returns the keys of struct type t.
func fieldsOf(t reflect.Type) *fields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*fields)
	}
	f := &fields{index: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		f.names = append(f.names, name)
		f.index[name] = i
	}
	fieldCache.Store(t, f)
	return f
}

// suggest finishes a sentence about an unknown key: the closest allowed key
// when the unknown one looks like a typo of it, else the list of allowed keys.
func suggest(key string, allowed []string) string {
	best, bestDist := "", -1
	lk := strings.ToLower(key)
	for _, a := range allowed {
		dist := editDistance(lk, a)
		if bestDist < 0 || dist < bestDist {
			best, bestDist = a, dist
		}
	}
	if bestDist >= 0 && bestDist <= 2 && 2*bestDist < utf8.RuneCountInString(key) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "the keys allowed here are " + strings.Join(allowed, ", ") + "."
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb)) // not a typo of any key; spare the work
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// describe says what kind of value a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.Tag {
	case "!!str":
		return fmt.Sprintf("the text %q", clip(n.Value))
	case "!!int", "!!float":
		return "the number " + clip(n.Value)
	case "!!bool":
		return n.Value
	case "!!null":
		return "empty"
	}
	return fmt.Sprintf("a value tagged %s", clip(n.Tag))
}

// clip shortens text quoted in a message, so that a runaway value does not
// flood the report.
func clip(s string) string {
	const most = 40
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	r := []rune(s)
	return string(r[:most]) + "…"
}
