package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"onedoor"
	"onedoor/rules"
)

// mustCompile compiles expr against s or stops the test.
func mustCompile(t testing.TB, expr string, s rules.Schema) *rules.Rule {
	t.Helper()
	r, err := rules.Compile(expr, s)
	if err != nil {
		t.Fatalf("Compile(%q): %v", expr, err)
	}
	return r
}

// wantInvalid checks that err is an EINVALID *onedoor.Error about field
// whose message contains every one of parts.
func wantInvalid(t *testing.T, err error, field string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one about %s containing %q", field, parts)
	}
	var e *onedoor.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is %T, want *onedoor.Error", err, err)
	}
	if e.Code != onedoor.EINVALID || e.Field != field {
		t.Errorf("error code, field = %q, %q; want %q, %q", e.Code, e.Field, onedoor.EINVALID, field)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("message %q does not contain %q", e.Message, p)
		}
	}
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name   string
		expr   string
		schema rules.Schema
		vars   []string // when the expression compiles
		errs   []string // parts of the message when it does not
	}{
		{name: "simple", expr: "age >= 60 && local", vars: []string{"age", "local"}},
		{name: "string in list", expr: `"A01" in licences`, vars: []string{"licences"}},
		{name: "in literal list", expr: `sex in ["M", "F"] && street != ""`, vars: []string{"sex", "street"}},
		{name: "macros", expr: `applied.all(m, m in approved) && licences.exists_one(l, l == "x")`,
			vars: []string{"applied", "approved", "licences"}},
		{name: "iteration variable shadows attribute", expr: `licences.exists(age, age == "x")`,
			vars: []string{"licences"}},
		{name: "shadowed and free", expr: `licences.exists(age, age == "x") && age > 3`,
			vars: []string{"age", "licences"}},
		{name: "several lines", expr: "age >= 18 &&\n  !dishonest &&\n  size(applied) > 2",
			vars: []string{"age", "applied", "dishonest"}},
		{name: "organisation", expr: `org_size in ["micro", "small"] && years_registered >= 3`, schema: rules.Org,
			vars: []string{"org_size", "years_registered"}},
		{name: "constant", expr: "true", vars: []string{}},

		{name: "empty", expr: "  ", errs: []string{"empty"}},
		{name: "undeclared attribute", expr: "agee >= 60",
			errs: []string{"undeclared reference to 'agee' at 1:1", "did you mean 'age'"}},
		{name: "undeclared on line two", expr: "age >= 60 &&\n  lokal",
			errs: []string{"undeclared reference to 'lokal' at 2:3"}},
		{name: "person attribute in org rule", expr: "age > 1", schema: rules.Org,
			errs: []string{"undeclared reference to 'age' at 1:1"}},
		{name: "wrong operand type", expr: `age + "x" > 1`,
			errs: []string{"'+' cannot be applied to int and string at 1:5"}},
		{name: "compare int with string", expr: `age == "60"`,
			errs: []string{"'==' cannot be applied to int and string at 1:5"}},
		{name: "int result", expr: "age + 1",
			errs: []string{"must be true or false (bool)", "type int"}},
		{name: "list result", expr: "licences",
			errs: []string{"must be true or false (bool)", "list of strings"}},
		{name: "too long", expr: strings.Repeat("local || ", 500) + "local",
			errs: []string{"4505 bytes long", "limit is 4096"}},
		{name: "syntax error at end", expr: "age >= 60 &&",
			errs: []string{"syntax error", "ends too early at 1:13"}},
		{name: "syntax error in the middle", expr: "age >= 60 && && local",
			errs: []string{"syntax error: unexpected '&&' at 1:14"}},
		{name: "unbalanced parenthesis", expr: "(age >= 60",
			errs: []string{"syntax error: missing ')'", "at 1:11"}},
		{name: "bad character", expr: "age $ 3",
			errs: []string{"unrecognised character '$' at 1:5"}},
		{name: "nested too deeply", expr: strings.Repeat("(", 100) + "local" + strings.Repeat(")", 100),
			errs: []string{"nested too deeply"}},
		{name: "comprehensions nested three deep",
			expr: `applied.exists(a, approved.exists(b, licences.exists(c, a == b && b == c)))`,
			errs: []string{"nested at most 2 deep at 1:"}},
		{name: "too costly", expr: `applied.exists(a, approved.exists(b, a == b))`,
			errs: []string{"could cost up to", "more than the limit"}},
		{name: "map is left out", expr: `size(licences.map(l, l + "x")) > 0`,
			errs: []string{"'map' is not available", "at 1:18"}},
		{name: "filter is left out", expr: `size(licences.filter(l, l == "x")) > 0`,
			errs: []string{"'filter' is not available"}},
		{name: "matches is left out", expr: `street.matches("^张")`,
			errs: []string{"'matches' is not available", "startsWith"}},
		{name: "timestamp is left out", expr: `timestamp(street) > timestamp("2020-01-01T00:00:00Z")`,
			errs: []string{"'timestamp' is not available"}},
		{name: "mixed list literal", expr: `[1, "a"].size() == 2`,
			errs: []string{"at 1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.schema
			if s == nil {
				s = rules.Person
			}
			r, err := rules.Compile(tt.expr, s)
			if tt.errs != nil {
				if r != nil {
					t.Errorf("got a rule, want an error")
				}
				wantInvalid(t, err, "condition", tt.errs...)
				return
			}
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if r.Source() != tt.expr {
				t.Errorf("Source() = %q, want %q", r.Source(), tt.expr)
			}
			if got := r.Vars(); !slices.Equal(got, tt.vars) {
				t.Errorf("Vars() = %q, want %q", got, tt.vars)
			}
		})
	}
}

// person is one applicant's attributes, for building test cases.
type person struct {
	age        int64
	sex        string
	local      bool
	street     string
	community  string
	livesAlone bool
	disabled   bool
	dishonest  bool
	licences   []string
	applied    []string
	approved   []string
}

// set copies p into a, setting every attribute of the Person schema.
func (p person) set(a *rules.Attrs) {
	a.SetInt("age", p.age)
	a.SetString("sex", p.sex)
	a.SetBool("local", p.local)
	a.SetString("street", p.street)
	a.SetString("community", p.community)
	a.SetBool("lives_alone", p.livesAlone)
	a.SetBool("disabled", p.disabled)
	a.SetBool("dishonest", p.dishonest)
	a.SetStrings("licences", p.licences)
	a.SetStrings("applied", p.applied)
	a.SetStrings("approved", p.approved)
}

var (
	widow = person{age: 78, sex: "F", local: true, street: "张槎街道", community: "大富社区",
		livesAlone: true, licences: []string{"id_card", "hukou", "marriage_cert"},
		applied: []string{"MZ001", "MZ002", "YL010"}, approved: []string{"MZ001"}}
	youngCouple = person{age: 31, sex: "M", local: true, street: "祖庙街道", community: "升平社区",
		licences: []string{"id_card", "marriage_cert"}, applied: []string{"JY003"}}
	incomer = person{age: 72, sex: "M", street: "张槎街道", community: "大富社区", livesAlone: true,
		dishonest: true, licences: []string{"id_card"}, applied: []string{}, approved: nil}
)

func TestEval(t *testing.T) {
	tests := []struct {
		name string
		expr string
		p    person
		want bool
	}{
		{"elderly alone in street", `age >= 70 && lives_alone && street == "张槎街道"`, widow, true},
		{"elderly alone elsewhere", `age >= 70 && lives_alone && street == "张槎街道"`, youngCouple, false},
		{"elderly alone not local", `age >= 70 && lives_alone && street == "张槎街道" && local`, incomer, false},
		{"holds marriage certificate", `"marriage_cert" in licences`, youngCouple, true},
		{"lacks marriage certificate", `"marriage_cert" in licences`, incomer, false},
		{"honest", `!dishonest`, widow, true},
		{"dishonest", `!dishonest`, incomer, false},
		{"applied for more than two", `size(applied) > 2`, widow, true},
		{"applied for one", `size(applied) > 2`, youngCouple, false},
		{"applied for none, nil list", `size(approved) == 0`, incomer, true},
		{"pending application", `applied.exists(m, !(m in approved))`, widow, true},
		{"all approved", `applied.all(m, m in approved)`, widow, false},
		{"prefix", `applied.exists(m, m.startsWith("MZ"))`, widow, true},
		{"exactly one", `licences.exists_one(l, l.endsWith("_cert"))`, youngCouple, true},
		{"community contains", `community.contains("大富")`, widow, true},
		{"conditional", `sex == "F" ? age >= 55 : age >= 60`, widow, true},
		{"short circuit avoids division by zero", `age == 78 || 10 / (age - 78) > 1`, widow, true},
	}
	a := rules.NewAttrs(rules.Person)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompile(t, tt.expr, rules.Person)
			tt.p.set(a)
			got, err := r.Eval(a)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("Eval = %v, want %v", got, tt.want)
			}
			got, err = r.EvalContext(context.Background(), a)
			if err != nil || got != tt.want {
				t.Errorf("EvalContext = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	full := rules.NewAttrs(rules.Person)
	widow.set(full)
	partial := rules.NewAttrs(rules.Person)
	partial.SetInt("age", 70)
	org := rules.NewAttrs(rules.Org)
	org.SetInt("years_registered", 70)
	// A schema that gives age another type: the rule was checked against
	// Person, the values come from elsewhere.
	other := rules.NewAttrs(rules.Schema{"age": rules.String, "local": rules.Bool})
	other.SetString("age", "seventy")
	other.SetBool("local", true)

	tests := []struct {
		name  string
		expr  string
		a     *rules.Attrs
		field string
		parts []string
	}{
		{"missing attribute", "age >= 60 && local", partial, "attributes", []string{"'local' has no value"}},
		{"attributes of another schema", "age >= 60", org, "attributes", []string{"'age' has no value"}},
		{"attribute of another type", "local && age >= 60", other, "attributes", []string{"wrong type"}},
		{"division by zero", "10 / (age - 78) > 1", full, "condition", []string{"could not be evaluated", "division by zero"}},
		{"no attributes", "local", nil, "attributes", []string{"No attributes"}},
		{"attributes not made by NewAttrs", "local", &rules.Attrs{}, "attributes", []string{"No attributes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustCompile(t, tt.expr, rules.Person)
			got, err := r.Eval(tt.a)
			if got {
				t.Errorf("Eval = true with an error")
			}
			wantInvalid(t, err, tt.field, tt.parts...)
			_, err = r.EvalContext(context.Background(), tt.a)
			wantInvalid(t, err, tt.field, tt.parts...)
		})
	}

	var zero rules.Rule
	if _, err := zero.Eval(full); err == nil {
		t.Errorf("Eval on a zero Rule: got no error")
	}
}

// lateContext is done, but reports so only from its second Err call on, so
// that EvalContext starts evaluating and the interrupt check must stop it.
type lateContext struct {
	context.Context
	mu    sync.Mutex
	calls int
}

func (c *lateContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		return nil
	}
	return context.Canceled
}

func TestEvalContextStops(t *testing.T) {
	// The worst case for this rule visits every pair of entries.
	r := mustCompile(t, `applied.all(m, !(m in approved))`, rules.Person)
	long := make([]string, rules.MaxListLen)
	other := make([]string, rules.MaxListLen)
	for i := range long {
		long[i] = fmt.Sprintf("A%06d", i)
		other[i] = fmt.Sprintf("B%06d", i)
	}
	a := rules.NewAttrs(rules.Person)
	a.SetStrings("applied", long)
	a.SetStrings("approved", other)

	if ok, err := r.Eval(a); !ok || err != nil {
		t.Fatalf("Eval = %v, %v; want true, nil", ok, err)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.EvalContext(cancelled, a); !errors.Is(err, context.Canceled) {
		t.Errorf("EvalContext(cancelled) error = %v, want context.Canceled", err)
	}

	done, stop := context.WithCancel(context.Background())
	stop()
	late := &lateContext{Context: done}
	if _, err := r.EvalContext(late, a); !errors.Is(err, context.Canceled) {
		t.Errorf("EvalContext cancelled during evaluation: error = %v, want context.Canceled", err)
	}
	if late.calls < 2 {
		t.Errorf("the evaluation was not interrupted (Err called %d times)", late.calls)
	}
}

func TestAttrsReset(t *testing.T) {
	r := mustCompile(t, "age >= 60", rules.Person)
	a := rules.NewAttrs(rules.Person)
	a.SetInt("age", 70)
	if ok, err := r.Eval(a); !ok || err != nil {
		t.Fatalf("Eval = %v, %v; want true, nil", ok, err)
	}
	a.Reset()
	_, err := r.Eval(a)
	wantInvalid(t, err, "attributes", "'age' has no value")
}

func TestAttrsSetStringRepeated(t *testing.T) {
	r := mustCompile(t, `street == "张槎街道"`, rules.Person)
	a := rules.NewAttrs(rules.Person)
	for _, tt := range []struct {
		street string
		want   bool
	}{{"张槎街道", true}, {"张槎街道", true}, {"祖庙街道", false}, {"张槎街道", true}} {
		a.SetString("street", tt.street)
		if got, err := r.Eval(a); got != tt.want || err != nil {
			t.Errorf("street %q: Eval = %v, %v; want %v", tt.street, got, err, tt.want)
		}
	}
}

func TestAttrsSetPanics(t *testing.T) {
	long := strings.Repeat("x", rules.MaxStringLen+1)
	tests := []struct {
		name string
		set  func(a *rules.Attrs)
		want string
	}{
		{"unknown name", func(a *rules.Attrs) { a.SetInt("agee", 1) }, `SetInt("agee"): no such attribute`},
		{"wrong type", func(a *rules.Attrs) { a.SetString("age", "70") }, `SetString("age"): the attribute is int, not string`},
		{"bool as int", func(a *rules.Attrs) { a.SetInt("local", 1) }, `the attribute is bool, not int`},
		{"list as string", func(a *rules.Attrs) { a.SetString("licences", "x") }, `the attribute is list of strings, not string`},
		{"string too long", func(a *rules.Attrs) { a.SetString("street", long) }, `257 bytes, more than 256`},
		{"list too long", func(a *rules.Attrs) { a.SetStrings("applied", make([]string, rules.MaxListLen+1)) }, `1001 entries, more than 1000`},
		{"list entry too long", func(a *rules.Attrs) { a.SetStrings("applied", []string{"a", long}) }, `entry 1 is 257 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("no panic, want one containing %q", tt.want)
				}
				if msg := fmt.Sprint(r); !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q does not contain %q", msg, tt.want)
				}
			}()
			tt.set(rules.NewAttrs(rules.Person))
		})
	}
}

func TestAttrsFromMap(t *testing.T) {
	r := mustCompile(t, `age >= 70 && lives_alone && "marriage_cert" in licences`, rules.Person)
	tests := []struct {
		name  string
		json  string
		want  bool
		field string   // when FromMap fails
		parts []string // of its message
	}{
		{name: "eligible", json: `{"age": 78, "lives_alone": true, "licences": ["id_card", "marriage_cert"]}`, want: true},
		{name: "too young", json: `{"age": 40, "lives_alone": true, "licences": ["marriage_cert"]}`, want: false},
		{name: "integral float", json: `{"age": 78.0, "lives_alone": true, "licences": []}`, want: false},
		{name: "unknown attribute", json: `{"agee": 78}`, field: "agee",
			parts: []string{`no attribute "agee"`, "age, applied, approved"}},
		{name: "string for int", json: `{"age": "78"}`, field: "age",
			parts: []string{`"age" must be a whole number, not a string`}},
		{name: "fraction for int", json: `{"age": 78.5}`, field: "age",
			parts: []string{"must be a whole number, not a fractional number"}},
		{name: "huge number", json: `{"age": 1e300}`, field: "age",
			parts: []string{"must be a whole number"}},
		{name: "number for bool", json: `{"lives_alone": 1}`, field: "lives_alone",
			parts: []string{"must be true or false, not a number"}},
		{name: "null", json: `{"street": null}`, field: "street",
			parts: []string{"must be a string, not null"}},
		{name: "string for list", json: `{"licences": "marriage_cert"}`, field: "licences",
			parts: []string{"must be a list of strings, not a string"}},
		{name: "number in list", json: `{"licences": ["a", 3]}`, field: "licences",
			parts: []string{"Entry 1", "must be a string, not a number"}},
		{name: "long string", json: `{"street": "` + strings.Repeat("x", 300) + `"}`, field: "street",
			parts: []string{"300 bytes long"}},
	}
	a := rules.NewAttrs(rules.Person)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
				t.Fatal(err)
			}
			// Values from the previous case must not survive.
			a.SetInt("age", 99)
			a.SetBool("lives_alone", true)
			err := a.FromMap(m)
			if tt.field != "" {
				wantInvalid(t, err, tt.field, tt.parts...)
				if _, err := r.Eval(a); err == nil {
					t.Errorf("Eval after a failed FromMap: got no error, want missing attributes")
				}
				return
			}
			if err != nil {
				t.Fatalf("FromMap: %v", err)
			}
			got, err := r.Eval(a)
			if err != nil || got != tt.want {
				t.Errorf("Eval = %v, %v; want %v, nil", got, err, tt.want)
			}
		})
	}

	t.Run("Go values", func(t *testing.T) {
		err := a.FromMap(map[string]any{"age": int32(75), "lives_alone": true, "licences": []string{"marriage_cert"}})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Eval(a); !got || err != nil {
			t.Errorf("Eval = %v, %v; want true, nil", got, err)
		}
	})
	t.Run("attributes not set are missing", func(t *testing.T) {
		if err := a.FromMap(map[string]any{"age": 75}); err != nil {
			t.Fatal(err)
		}
		_, err := r.Eval(a)
		wantInvalid(t, err, "attributes", "'lives_alone' has no value")
	})
}

func TestConcurrentEval(t *testing.T) {
	r := mustCompile(t, `age >= 70 && lives_alone && street == "张槎街道" && !dishonest && "marriage_cert" in licences`, rules.Person)
	people := []struct {
		p    person
		want bool
	}{{widow, true}, {youngCouple, false}, {incomer, false}}

	const workers, rounds = 8, 2000
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			a := rules.NewAttrs(rules.Person)
			for i := range rounds {
				c := people[(w+i)%len(people)]
				c.p.set(a)
				got, err := r.Eval(a)
				if err != nil || got != c.want {
					errs <- fmt.Errorf("worker %d round %d: Eval = %v, %v; want %v", w, i, got, err, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		"age >= 60 && local",
		`"A01" in licences`,
		`applied.exists(m, !(m in approved))`,
		`size(applied) > 2 || community.startsWith("大")`,
		`10 / (age - 78) > 1`,
		`age + "x"`,
		`licences.exists(age, age == "x") && age > 3`,
		`[1, 2, 3].all(i, i < age) ? local : !local`,
		"(((age",
		"\x00",
		`string(age) + street == "78张槎街道"`,
	} {
		f.Add(seed)
	}
	a := rules.NewAttrs(rules.Person)
	widow.set(a)
	f.Fuzz(func(t *testing.T, expr string) {
		r, err := rules.Compile(expr, rules.Person)
		if err != nil {
			if code := onedoor.ErrorCode(err); code != onedoor.EINVALID {
				t.Fatalf("Compile(%q) error code %q: %v", expr, code, err)
			}
			return
		}
		vars := r.Vars()
		if !slices.IsSorted(vars) {
			t.Errorf("Vars() = %q, not sorted", vars)
		}
		for _, v := range vars {
			if _, ok := rules.Person[v]; !ok {
				t.Errorf("Vars() has %q, not in the schema", v)
			}
		}
		if _, err := r.Eval(a); err != nil && onedoor.ErrorCode(err) != onedoor.EINVALID {
			t.Fatalf("Eval(%q) error code %q: %v", expr, onedoor.ErrorCode(err), err)
		}
	})
}

func BenchmarkEval(b *testing.B) {
	for _, bb := range []struct{ name, expr string }{
		{"and", `age >= 70 && lives_alone && street == "张槎街道"`},
		{"in", `"marriage_cert" in licences`},
		{"not", `!dishonest`},
		{"size", `size(applied) > 2`},
		{"exists", `licences.exists(l, l.endsWith("_cert"))`},
		{"pending", `applied.exists(m, !(m in approved))`}, // costly enough to be tracked
	} {
		b.Run(bb.name, func(b *testing.B) {
			r := mustCompile(b, bb.expr, rules.Person)
			a := rules.NewAttrs(rules.Person)
			widow.set(a)
			if _, err := r.Eval(a); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = r.Eval(a)
			}
		})
	}
}

// BenchmarkPopulation sets a subject's attributes and evaluates, as a
// what-if over a population does for each resident.
func BenchmarkPopulation(b *testing.B) {
	r := mustCompile(b, `age >= 70 && lives_alone && street == "张槎街道" && "marriage_cert" in licences`, rules.Person)
	people := []person{widow, youngCouple, incomer}
	a := rules.NewAttrs(rules.Person)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := people[i%len(people)]
		i++
		a.SetInt("age", p.age)
		a.SetBool("lives_alone", p.livesAlone)
		a.SetString("street", p.street)
		a.SetStrings("licences", p.licences)
		_, _ = r.Eval(a)
	}
}

func BenchmarkEvalContext(b *testing.B) {
	r := mustCompile(b, `age >= 70 && lives_alone && street == "张槎街道"`, rules.Person)
	a := rules.NewAttrs(rules.Person)
	widow.set(a)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.EvalContext(ctx, a)
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = rules.Compile(`age >= 70 && lives_alone && street == "张槎街道"`, rules.Person)
	}
}
