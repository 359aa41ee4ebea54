package rules

import (
	"strings"
	"testing"

	"cel.dev/cel-go/cel"

	"onedoor"
)

// TestGuarded checks that only rules whose worst case is not trivially
// cheap pay for run-time cost tracking.
func TestGuarded(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{`age >= 70 && lives_alone && street == "张槎街道"`, false},
		{`"marriage_cert" in licences`, false},
		{`applied.exists(m, !(m in approved))`, true},
	}
	for _, tt := range tests {
		r, err := Compile(tt.expr, Person)
		if err != nil {
			t.Fatal(err)
		}
		if r.guarded != tt.want {
			t.Errorf("%s: guarded = %v, want %v", tt.expr, r.guarded, tt.want)
		}
	}
}

// TestCostLimitError runs a program over a tiny run-time limit, which a
// rule from Compile cannot reach, to check how the stop is reported.
func TestCostLimitError(t *testing.T) {
	base, err := baseEnv()
	if err != nil {
		t.Fatal(err)
	}
	env, err := base.Extend(cel.Variable("applied", cel.ListType(cel.StringType)))
	if err != nil {
		t.Fatal(err)
	}
	checked, iss := env.Compile(`applied.all(m, m != "x")`)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prg, err := env.Program(checked, cel.CostLimit(10))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAttrs(Person)
	a.SetStrings("applied", strings.Fields("a b c d e f g h i j k l m n o p"))
	r := &Rule{src: "test", prg: prg}
	_, err = r.Eval(a)
	if onedoor.ErrorCode(err) != onedoor.EINVALID || onedoor.ErrorField(err) != "condition" ||
		!strings.Contains(onedoor.ErrorMessage(err), "was stopped") {
		t.Errorf("Eval error = %v, want EINVALID about the condition being stopped", err)
	}
}
