package http

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"onedoor"
)

// domainFormat is one message format of the domain, where it is written.
type domainFormat struct {
	format string
	at     string // file:line
}

// formatArg says which argument of a call is a message format: onedoor's
// constructors, and the few helpers that pass a format on to them (by
// package and name). A format the scan cannot read as a literal anywhere
// else fails the test, so a new helper is not missed.
var formatArg = map[string]int{
	"onedoor.Errorf":      1,
	"onedoor.FieldErrorf": 1,
	"workflow.forbidden":  0, // workflow/text.go
	"workflow.bad":        0, // workflow/intake.go, a closure
	"segment.bad":         1, // segment/query.go
}

// passesFormatOn are the functions whose calls to onedoor's constructors
// pass their own format parameter on.
var passesFormatOn = map[string]bool{
	"workflow.forbidden": true, "workflow.checkRecord": true, "workflow.internal": true, // internal errors are never shown
	"segment.bad": true,
}

// domainFormats reads every message format the module's Go code (tests
// aside) gives onedoor.Errorf and onedoor.FieldErrorf.
func domainFormats(t *testing.T) []domainFormat {
	t.Helper()
	root := ".."
	fset := token.NewFileSet()
	var out []domainFormat
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || strings.HasPrefix(n, "zz_") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := f.Name.Name
		for _, decl := range f.Decls {
			outer := pkg + "." // package-level values: function literals, tables
			if fn, ok := decl.(*ast.FuncDecl); ok {
				outer = pkg + "." + fn.Name.Name
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				at := func(n ast.Node) string {
					p := fset.Position(n.Pos())
					return filepath.ToSlash(strings.TrimPrefix(p.Filename, "../")) + ":" + strconv.Itoa(p.Line)
				}
				if lit, ok := n.(*ast.CompositeLit); ok && isErrorType(lit.Type, pkg) && setsMessageOnly(lit) {
					t.Errorf("%s: an onedoor.Error made with its Message written out cannot be worded in Chinese; use onedoor.Errorf or FieldErrorf", at(lit))
					return true
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch f := call.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := f.X.(*ast.Ident); ok {
						name = x.Name + "." + f.Sel.Name
					}
				case *ast.Ident:
					name = pkg + "." + f.Name
				}
				i, ok := formatArg[name]
				if !ok || len(call.Args) <= i || isInternal(call.Args[0]) {
					return true
				}
				s, ok := stringLit(call.Args[i])
				switch {
				case !ok && passesFormatOn[outer]:
				case !ok:
					t.Errorf("%s: the format given to %s is not a string literal; add the helper to formatArg or write the format out", at(call), name)
				case onlyVerbs.MatchString(s):
					for _, a := range call.Args[i+1:] {
						if c, ok := a.(*ast.CallExpr); ok && funcName(c.Fun) == "ErrorMessage" {
							t.Errorf("%s: %s(…, %q, ErrorMessage(err)) keeps the message but loses its wording; use onedoor.OnField", at(call), name, s)
						}
					}
				default:
					out = append(out, domainFormat{s, at(call)})
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// isInternal reports whether a code argument is onedoor.EINTERNAL: such
// messages are logged, never shown (asPageError words them itself).
func isInternal(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "EINTERNAL"
	case *ast.Ident:
		return e.Name == "EINTERNAL"
	}
	return false
}

// isErrorType reports whether a composite literal's type is onedoor.Error.
func isErrorType(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "onedoor" && e.Sel.Name == "Error"
	case *ast.Ident:
		return pkg == "onedoor" && e.Name == "Error"
	}
	return false
}

// setsMessageOnly reports whether an Error literal writes its Message
// without the format it was made from (Errorf and FieldErrorf keep both).
func setsMessageOnly(lit *ast.CompositeLit) bool {
	var message, format bool
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok {
				message = message || k.Name == "Message"
				format = format || k.Name == "format"
			}
		}
	}
	return message && !format
}

// funcName is the name a call is made by: f or x.f.
func funcName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return ""
}

var onlyVerbs = regexp.MustCompile(`^(%[a-z])*$`)

// stringLit is the value of a string literal or a sum of them.
func stringLit(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringLit(e.X)
		b, ok2 := stringLit(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return stringLit(e.X)
	}
	return "", false
}

// verbRE finds fmt verbs, with an explicit argument index when there is one.
var verbRE = regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// verbUses lists a format's arguments as "position:verb", in argument
// order, so that a translation may reorder them with %[n]s but must use
// each argument with the same verb (%q, %v and %s count as one).
func verbUses(format string) []string {
	var out []string
	next := 1
	for _, m := range verbRE.FindAllStringSubmatch(format, -1) {
		if m[2] == "%" {
			continue
		}
		pos := next
		if m[1] != "" {
			pos, _ = strconv.Atoi(m[1])
		}
		verb := m[2]
		if verb == "q" || verb == "v" {
			verb = "s" // a translation may quote differently (“%s”)
		}
		out = append(out, strconv.Itoa(pos)+":"+verb)
		next = pos + 1
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestDomainMessagesTranslated: every sentence the domain can refuse a
// request with has a Chinese wording, with the same arguments used the
// same way; and the catalog holds no wording nothing uses any more.
func TestDomainMessagesTranslated(t *testing.T) {
	found := domainFormats(t)
	if len(found) < 200 {
		t.Fatalf("found only %d message formats; the scan is broken", len(found))
	}
	zh := domainCatalog("zh")
	used := map[string]bool{}
	for _, f := range found {
		used[f.format] = true
		z, ok := zh[f.format]
		if !ok {
			t.Errorf("%s: no Chinese for %q", f.at, f.format)
			continue
		}
		if a, b := verbUses(f.format), verbUses(z); !slices.Equal(a, b) {
			t.Errorf("%s: %q uses its arguments as %v, the Chinese %q as %v", f.at, f.format, a, z, b)
		}
		if z == f.format {
			t.Errorf("%s: the Chinese for %q is the English", f.at, f.format)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(zh)) {
		if !used[k] {
			t.Errorf("the catalog has %q, which no code uses", k)
		}
	}
	if t.Failed() {
		if path := os.Getenv("ONEDOOR_MISSING_FORMATS"); path != "" {
			var b strings.Builder
			for _, f := range found {
				if _, ok := zh[f.format]; !ok {
					b.WriteString(strconv.Quote(f.format) + "\t" + f.at + "\n")
				}
			}
			os.WriteFile(path, []byte(b.String()), 0o644)
		}
	}
}

// TestDomainMessageWording: a message moved onto another field keeps its
// wording; arguments in both languages are worded in the reader's; a
// message without Chinese, or a reader of English, gets the English.
func TestDomainMessageWording(t *testing.T) {
	err := onedoor.OnField(onedoor.FieldErrorf("segment", "A count takes only a segment."), "query")
	if got, want := domainMessage("zh", err), domainCatalog("zh")["A count takes only a segment."]; got != want || want == "" {
		t.Errorf("moved onto a field, the message reads %q, want %q", got, want)
	}
	if f := onedoor.ErrorField(err); f != "query" {
		t.Errorf("field %q, want query", f)
	}
	reason := onedoor.FieldErrorf("reason", "A reason is required to %s.", onedoor.Text{Zh: "不予办理", En: "reject the application"})
	if got := domainMessage("zh", reason); !strings.Contains(got, "不予办理") || strings.Contains(got, "reject") {
		t.Errorf("zh: %q", got)
	}
	serves := onedoor.FieldErrorf("subject", "Matter %s serves %s persons, not %s persons.", "HRSS-010", onedoor.Natural, onedoor.Legal)
	if got := domainMessage("zh", serves); !strings.Contains(got, "“个人”，不是“法人/企业”") {
		t.Errorf("zh: %q", got)
	}
	if got := domainMessage("en", reason); got != "A reason is required to reject the application." {
		t.Errorf("en: %q", got)
	}
	card := onedoor.Errorf(onedoor.ECONFLICT, "Card %d is already %s; it is explained once.", 7, onedoor.Term{Set: "card.status", Value: "explained"})
	if got := domainMessage("zh", card); !strings.Contains(got, "“已说明，待监察核销”") {
		t.Errorf("zh: %q", got)
	}
	if got := domainMessage("en", card); got != "Card 7 is already explained; it is explained once." {
		t.Errorf("en: %q", got)
	}
	// A value the caller typed is shown as typed, even when a page label
	// happens to have its name.
	if got := domainMessage("zh", onedoor.FieldErrorf("action", "Unknown action %q.", onedoor.Action("note"))); !strings.Contains(got, "note") || strings.Contains(got, "备注") {
		t.Errorf("unknown action: %q", got)
	}
	if got := domainMessage("zh", onedoor.Errorf(onedoor.ECONFLICT, "Nothing words this in Chinese: %d.", 7)); got != "Nothing words this in Chinese: 7." {
		t.Errorf("no wording: %q", got)
	}
}
