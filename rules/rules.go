// Package rules compiles and evaluates eligibility conditions and policy
// what-ifs written in CEL (the Common Expression Language) over named
// attributes of a person or an organisation.
//
// A matter definition carries a condition such as
//
//	age >= 60 && local && !dishonest
//
// and an analyst writes a what-if the same way. Compile checks the text once
// against a Schema (which attributes exist and of what type) and returns a
// Rule; Eval then answers for one set of attributes in a few hundred
// nanoseconds, for simple rules without allocating, so that a rule can be
// run over a whole district. A what-if over a population should first narrow the population
// with the segment index, using Rule.Vars to see which attributes matter.
//
// The language is CEL's standard library with the list macros all, exists
// and exists_one. Left out are map and filter, which build a new list on
// every evaluation, has, which flat attributes do not need, and matches,
// whose running time CEL cannot bound (use startsWith, endsWith or
// contains). Every compiled rule has a bounded cost: expressions are limited
// to MaxSource bytes, comprehensions may nest at most two deep, the
// estimated worst-case cost (with lists of at most MaxListLen strings of at
// most MaxStringLen bytes, which Attrs enforces) must stay under CostLimit,
// and any rule that is not trivially cheap also counts its cost while it
// runs and stops at CostLimit, so no condition can hang the server.
// EvalContext adds a deadline or cancellation on top.
package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/env"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"onedoor"
)

// Limits on what a condition may be and on the attribute values it runs
// over. Together they bound the work of any single evaluation.
const (
	// MaxSource is the longest condition accepted, in bytes.
	MaxSource = 4096

	// MaxListLen is the most entries a StringList attribute may hold. A
	// person's licences or applications are far fewer; the bound lets
	// Compile prove the cost of a comprehension over the list.
	MaxListLen = 1000

	// MaxStringLen is the longest String attribute, or entry of a
	// StringList attribute, in bytes.
	MaxStringLen = 256

	// CostLimit is the most a condition may cost, in CEL cost units (about
	// one unit per operation or per list element visited). Compile rejects
	// a condition whose worst case exceeds it and Eval stops one that does.
	// A full list checked against another, such as
	// applied.all(m, !(m in approved)), fits; two exists nested over full
	// lists do not. At the limit an evaluation takes some tens of
	// milliseconds on a small server.
	CostLimit = 1_500_000

	// cheapCost is the largest proven worst-case cost for which a rule runs
	// without CEL's run-time cost tracker. Tracking costs about 350 ns and
	// five allocations per evaluation, more than such a rule itself
	// (about 130 ns); its worst case, a few microseconds, needs no guard.
	cheapCost = 10_000

	// maxNesting is the deepest nesting of comprehensions allowed.
	maxNesting = 2

	// maxDepth bounds the parser's recursion, so deeply parenthesised input
	// is rejected early.
	maxDepth = 64

	// interruptEvery is how many comprehension steps pass between checks
	// of the context in EvalContext.
	interruptEvery = 100
)

// Type is the type of one attribute.
type Type int

// The attribute types a Schema may use.
const (
	Int        Type = iota + 1 // a whole number (CEL int)
	Bool                       // true or false (CEL bool)
	String                     // text (CEL string)
	StringList                 // a list of text values (CEL list(string))
)

// String returns the name of the type as it appears in messages.
func (t Type) String() string {
	switch t {
	case Int:
		return "int"
	case Bool:
		return "bool"
	case String:
		return "string"
	case StringList:
		return "list of strings"
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// celType returns the CEL type for t, or nil if t is not a known type.
func (t Type) celType() *cel.Type {
	switch t {
	case Int:
		return cel.IntType
	case Bool:
		return cel.BoolType
	case String:
		return cel.StringType
	case StringList:
		return cel.ListType(cel.StringType)
	}
	return nil
}

// Schema names the attributes a rule may use and gives the type of each.
type Schema map[string]Type

// Person is the schema of a natural person's attributes.
var Person = Schema{
	"age":         Int,        // whole years
	"sex":         String,     // "M" or "F"
	"local":       Bool,       // has local household registration
	"street":      String,     // street (jiedao) of residence
	"community":   String,     // community (shequ) of residence
	"lives_alone": Bool,       // lives alone
	"disabled":    Bool,       // holds a disability certificate
	"dishonest":   Bool,       // listed as a dishonest party
	"licences":    StringList, // types of valid e-licences held
	"applied":     StringList, // codes of matters applied for
	"approved":    StringList, // codes of matters approved
}

// Org is the schema of a legal person's attributes.
var Org = Schema{
	"org_kind":         String,     // kind of organisation
	"org_size":         String,     // "micro", "small", "medium" or "large"
	"years_registered": Int,        // whole years since registration
	"street":           String,     // street (jiedao) of the registered address
	"dishonest":        Bool,       // listed as a dishonest party
	"licences":         StringList, // types of valid e-licences held
	"applied":          StringList, // codes of matters applied for
	"approved":         StringList, // codes of matters approved
}

// identRE matches the names CEL accepts as plain identifiers.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check reports whether every attribute of s has a usable name and type.
func (s Schema) check() error {
	for name, t := range s {
		if !identRE.MatchString(name) {
			return fmt.Errorf("rules: schema: attribute name %q is not an identifier", name)
		}
		if t.celType() == nil {
			return fmt.Errorf("rules: schema: attribute %q has unknown type %d", name, int(t))
		}
	}
	return nil
}

// Rule is a compiled condition. It is immutable and safe for concurrent use
// by many goroutines; each goroutine brings its own Attrs.
type Rule struct {
	src     string
	vars    []string
	prg     cel.Program
	guarded bool // the program counts its cost at run time
}

// baseEnv is the CEL environment shared by all schemas: the standard
// library without matches and with only the macros all, exists and
// exists_one, and the parser and checker limits.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	subset := env.NewLibrarySubset().
		AddIncludedMacros(operators.All, operators.Exists, operators.ExistsOne)
	for _, name := range excluded {
		subset.AddExcludedFunctions(env.NewFunction(name))
	}
	return cel.NewCustomEnv(
		cel.StdLib(cel.StdLibSubset(subset)),
		cel.ParserExpressionSizeLimit(MaxSource),
		cel.ParserRecursionLimit(maxDepth),
		cel.ExtendedValidations(),
		cel.ASTValidators(cel.ValidateComprehensionNestingLimit(maxNesting)),
	)
})

// Compile checks expr against the attributes of s and prepares it for
// evaluation. Errors about the expression are *onedoor.Error with code
// EINVALID and field "condition", and their message names the line and
// column of the first problem.
func Compile(expr string, s Schema) (*Rule, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, onedoor.FieldErrorf("condition", "The condition is empty.")
	}
	if len(expr) > MaxSource {
		return nil, onedoor.FieldErrorf("condition",
			"The condition is %d bytes long; the limit is %d.", len(expr), MaxSource)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	base, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("rules: base environment: %w", err)
	}
	decls := make([]cel.EnvOption, 0, len(s))
	for name, t := range s {
		decls = append(decls, cel.Variable(name, t.celType()))
	}
	scoped, err := base.Extend(decls...)
	if err != nil {
		return nil, fmt.Errorf("rules: environment: %w", err)
	}

	checked, iss := scoped.Compile(expr)
	if iss.Err() != nil {
		return nil, compileError(iss.Errors())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, onedoor.FieldErrorf("condition",
			"The condition must be true or false (bool), but it gives a value of type %s.", typeName(t))
	}
	est, err := scoped.EstimateCost(checked, sizeEstimator{s})
	if err != nil {
		return nil, fmt.Errorf("rules: estimate cost: %w", err)
	}
	if est.Max > CostLimit {
		return nil, onedoor.FieldErrorf("condition",
			"The condition could cost up to %d steps on long lists, more than the limit of %d; avoid nesting exists/all over lists.",
			est.Max, CostLimit)
	}
	opts := []cel.ProgramOption{
		cel.EvalOptions(cel.OptOptimize),
		cel.InterruptCheckFrequency(interruptEvery),
	}
	guarded := est.Max > cheapCost
	if guarded {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	prg, err := scoped.Program(checked, opts...)
	if err != nil {
		return nil, onedoor.FieldErrorf("condition", "The condition cannot be prepared: %v.", err)
	}
	return &Rule{
		src:     expr,
		vars:    referencedVars(checked.NativeRep().Expr(), s),
		prg:     prg,
		guarded: guarded,
	}, nil
}

// Source returns the condition as it was written.
func (r *Rule) Source() string { return r.src }

// Vars returns the names of the attributes the condition reads, sorted. An
// attribute mentioned only in a part that is never reached still counts.
func (r *Rule) Vars() []string { return slices.Clone(r.vars) }

// Eval evaluates the condition over a. Every attribute the condition reads
// must have been set. Errors are *onedoor.Error with code EINVALID: field
// "attributes" when a value is missing or of the wrong kind, field
// "condition" when the condition itself fails on these values (such as a
// division by zero or exceeding CostLimit). Eval never panics.
func (r *Rule) Eval(a *Attrs) (bool, error) {
	if err := r.ready(a); err != nil {
		return false, err
	}
	out, _, err := r.prg.Eval((*activation)(a))
	return r.result(out, err)
}

// EvalContext is Eval that also stops, with an error wrapping ctx.Err(),
// when ctx is done. The check costs a few hundred nanoseconds and a few
// allocations per call, so Eval is the better choice in tight loops, where
// CostLimit already bounds the work.
func (r *Rule) EvalContext(ctx context.Context, a *Attrs) (bool, error) {
	if err := r.ready(a); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("rules: evaluate: %w", err)
	}
	out, _, err := r.prg.ContextEval(ctx, (*activation)(a))
	if err != nil && ctx.Err() != nil {
		return false, fmt.Errorf("rules: evaluate: %w", ctx.Err())
	}
	return r.result(out, err)
}

// ready checks that r came from Compile and a is not nil.
func (r *Rule) ready(a *Attrs) error {
	if r == nil || r.prg == nil {
		return errors.New("rules: evaluate: the rule was not made by Compile")
	}
	if a == nil || a.slot == nil {
		return onedoor.FieldErrorf("attributes", "No attributes were given.")
	}
	return nil
}

// result turns the outcome of a CEL evaluation into Eval's answer.
func (r *Rule) result(out any, err error) (bool, error) {
	if err != nil {
		return false, evalError(err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		// Compile admits only bool-typed expressions; this is a bug.
		return false, fmt.Errorf("rules: evaluate %q: result is %T, not bool", r.src, out)
	}
	return bool(b), nil
}

// evalError describes a failed evaluation for people.
func evalError(err error) error {
	var cancelled interpreter.EvalCancelledError
	if errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded {
		return onedoor.FieldErrorf("condition",
			"The condition needed more than %d steps on these attributes and was stopped.", CostLimit)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "no such attribute(s): "); ok {
		return onedoor.FieldErrorf("attributes", "The attribute %s has no value.", quoteList(rest))
	}
	if rest, ok := strings.CutPrefix(msg, "no such overload"); ok {
		return onedoor.FieldErrorf("attributes",
			"An attribute has a value of the wrong type for this condition (no such overload%s).", rest)
	}
	return onedoor.FieldErrorf("condition", "The condition could not be evaluated: %s.", msg)
}

// quoteList quotes each name of a comma-separated list.
func quoteList(s string) string {
	names := strings.Split(s, ",")
	for i, n := range names {
		names[i] = "'" + strings.TrimSpace(n) + "'"
	}
	return strings.Join(names, ", ")
}

// compileError turns CEL's issues into one EINVALID error about the
// condition, naming the position of each problem.
func compileError(errs []*cel.Error) error {
	// A function left out of the language also makes its iteration
	// variable undeclared; report only the cause.
	var cause []*cel.Error
	for _, e := range errs {
		if m := undeclaredRE.FindStringSubmatch(e.Message); m != nil && leftOut[m[1]] != "" {
			cause = append(cause, e)
		}
	}
	if len(cause) > 0 {
		errs = cause
	}
	const most = 3
	parts := make([]string, 0, most+1)
	for i, e := range errs {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-most))
			break
		}
		msg, hint := plainMessage(e.Message)
		if e.Location.Line() < 1 { // limits hit before a position was known
			parts = append(parts, msg+hint)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s at %d:%d%s",
			msg, e.Location.Line(), e.Location.Column()+1, hint))
	}
	if len(parts) == 0 {
		parts = append(parts, "unknown error")
	}
	return onedoor.FieldErrorf("condition", "The condition is not valid: %s.", strings.Join(parts, "; "))
}

var (
	overloadRE   = regexp.MustCompile(`^found no matching overload for '([^']*)' applied to '\((.*)\)'$`)
	expectRE     = regexp.MustCompile(`^Syntax error: (?:mismatched|extraneous) input (.*) expecting .*$`)
	undeclaredRE = regexp.MustCompile(`^undeclared reference to '([^']*)'(?: \(in container '[^']*'\))?( \(did you mean .*\))?$`)
)

// excluded are the standard functions conditions may not call: matches,
// whose running time depends on its pattern far more than CEL's cost model
// knows (one bounded repetition over long strings took seconds), and the
// time functions, which attributes have no use for and whose failures on
// arbitrary strings are slow.
var excluded = []string{
	overloads.Matches,
	overloads.TypeConvertTimestamp, overloads.TypeConvertDuration,
	overloads.TimeGetFullYear, overloads.TimeGetMonth, overloads.TimeGetDayOfYear,
	overloads.TimeGetDayOfMonth, overloads.TimeGetDate, overloads.TimeGetDayOfWeek,
	overloads.TimeGetHours, overloads.TimeGetMinutes, overloads.TimeGetSeconds,
	overloads.TimeGetMilliseconds,
}

// leftOut maps the CEL functions and macros that conditions may not use to
// advice on what to use instead. map and filter build a new list on every
// evaluation, and has tests message fields, which attributes do not have.
var leftOut = map[string]string{
	"map":           "use exists, all or exists_one",
	"filter":        "use exists, all or exists_one",
	"transformList": "use exists, all or exists_one",
	"transformMap":  "use exists, all or exists_one",
	"has":           "every attribute of the schema is always present",
	"matches":       "use startsWith, endsWith or contains",
	"timestamp":     "attributes hold no dates or times",
	"duration":      "attributes hold no dates or times",
}

// plainMessage rewrites CEL's checker and parser messages in plainer words.
// A hint such as " (did you mean 'age'?)" is returned apart, to follow the
// position.
func plainMessage(msg string) (text, hint string) {
	if m := undeclaredRE.FindStringSubmatch(msg); m != nil {
		if advice, ok := leftOut[m[1]]; ok {
			return fmt.Sprintf("'%s' is not available in conditions (%s)", m[1], advice), ""
		}
		return fmt.Sprintf("undeclared reference to '%s'", m[1]), m[2]
	}
	if m := overloadRE.FindStringSubmatch(msg); m != nil {
		op := m[1]
		if sym, ok := operators.FindReverse(op); ok && sym != "" {
			op = sym
		}
		if m[2] == "" {
			return fmt.Sprintf("'%s' cannot be called without arguments", op), ""
		}
		return fmt.Sprintf("'%s' cannot be applied to %s", op, strings.ReplaceAll(m[2], ", ", " and ")), ""
	}
	if m := expectRE.FindStringSubmatch(msg); m != nil {
		if m[1] == "'<EOF>'" {
			return "syntax error: the condition ends too early", ""
		}
		return "syntax error: unexpected " + m[1], ""
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: token recognition error at: "); ok {
		return "syntax error: unrecognised character " + rest, ""
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: "); ok {
		return "syntax error: " + strings.Replace(rest, " at '<EOF>'", " before the end", 1), ""
	}
	if strings.HasPrefix(msg, "expression recursion limit exceeded") || msg == "max recursion depth exceeded" {
		return "the condition is nested too deeply", ""
	}
	if strings.HasPrefix(msg, "comprehension exceeds nesting limit") {
		return fmt.Sprintf("exists, all and exists_one may be nested at most %d deep", maxNesting), ""
	}
	return msg, ""
}

// typeName names a CEL type for people.
func typeName(t *cel.Type) string {
	if t.IsExactType(cel.ListType(cel.StringType)) {
		return StringList.String()
	}
	return t.String()
}

// sizeEstimator tells CEL's cost estimator how large the attributes of a
// schema can be; Attrs enforces the same bounds.
type sizeEstimator struct{ s Schema }

// EstimateSize implements cost.Estimator.
func (e sizeEstimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	p := n.Path()
	if len(p) == 0 {
		return nil
	}
	t, ok := e.s[p[0]]
	if !ok {
		return nil
	}
	str := cost.RangedSizeEstimate(0, MaxStringLen)
	switch {
	case len(p) == 1 && t == String:
		return &str
	case len(p) == 1 && t == StringList:
		l := cost.RangedSizeEstimate(0, MaxListLen)
		l.Elem = &str
		return &l
	case len(p) == 2 && t == StringList && p[1] == "@items":
		return &str
	}
	return nil
}

// EstimateCallCost implements cost.Estimator; the standard costs apply.
func (sizeEstimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

// referencedVars returns the sorted names of the schema's attributes that e
// reads, leaving out comprehension variables that shadow them.
func referencedVars(e ast.Expr, s Schema) []string {
	seen := map[string]bool{}
	var walk func(e ast.Expr, local []string)
	walk = func(e ast.Expr, local []string) {
		if e == nil {
			return
		}
		switch e.Kind() {
		case ast.IdentKind:
			name := e.AsIdent()
			if _, ok := s[name]; ok && !slices.Contains(local, name) {
				seen[name] = true
			}
		case ast.SelectKind:
			walk(e.AsSelect().Operand(), local)
		case ast.CallKind:
			c := e.AsCall()
			if c.IsMemberFunction() {
				walk(c.Target(), local)
			}
			for _, arg := range c.Args() {
				walk(arg, local)
			}
		case ast.ListKind:
			for _, el := range e.AsList().Elements() {
				walk(el, local)
			}
		case ast.MapKind:
			for _, en := range e.AsMap().Entries() {
				me := en.AsMapEntry()
				walk(me.Key(), local)
				walk(me.Value(), local)
			}
		case ast.StructKind:
			for _, f := range e.AsStruct().Fields() {
				walk(f.AsStructField().Value(), local)
			}
		case ast.ComprehensionKind:
			c := e.AsComprehension()
			walk(c.IterRange(), local)
			walk(c.AccuInit(), local)
			inner := append(slices.Clip(local), c.IterVar(), c.AccuVar())
			if c.HasIterVar2() {
				inner = append(inner, c.IterVar2())
			}
			walk(c.LoopCondition(), inner)
			walk(c.LoopStep(), inner)
			walk(c.Result(), append(slices.Clip(local), c.AccuVar()))
		}
	}
	walk(e, nil)
	vars := make([]string, 0, len(seen))
	for name := range seen {
		vars = append(vars, name)
	}
	slices.Sort(vars)
	return vars
}
