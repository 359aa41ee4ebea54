package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI runs the tools around the server as an operator types them.
func TestCLI(t *testing.T) {
	// Expected dates are read off calendar/official.txt (notice of
	// 2025-11-04): 2026-10-01..07 off, 2026-09-20 (Sun) and 2026-10-10 (Sat)
	// worked; 2026-02-15..23 off, 2026-02-14 and 2026-02-28 (Sat) worked.
	tests := []struct {
		name   string
		args   []string
		code   int    // exit status; -1: any non-zero
		stdout string // the whole of stdout, when not empty
		output string // a fragment of stdout+stderr, when not empty
	}{
		// 2026-10-08 (Thu) is an ordinary working day after the holiday.
		{"add over National Day", []string{"calendar", "add", "2026-09-30", "1"}, 0, "2026-10-08\n", ""},
		{"add over National Day, 2", []string{"calendar", "add", "2026-09-30", "2"}, 0, "2026-10-09\n", ""},
		{"add onto adjusted Saturday", []string{"calendar", "add", "2026-10-09", "1"}, 0, "2026-10-10\n", ""},
		{"add onto Spring Festival Saturday", []string{"calendar", "add", "2026-02-13", "1"}, 0, "2026-02-14\n", ""},
		{"add across Spring Festival", []string{"calendar", "add", "2026-02-13", "2"}, 0, "2026-02-24\n", ""},
		{"add backwards across Spring Festival", []string{"calendar", "add", "2026-02-24", "-1"}, 0, "2026-02-14\n", ""},
		{"add zero on a holiday", []string{"calendar", "add", "2026-10-03", "0"}, 0, "2026-10-08\n", ""},
		{"adjusted working Saturday", []string{"calendar", "is-workday", "2026-02-14"}, 0, "true\n", ""},
		{"National Day Saturday", []string{"calendar", "is-workday", "2026-10-03"}, 0, "false\n", ""},
		{"National Day weekday", []string{"calendar", "is-workday", "2026-10-05"}, 0, "false\n", ""},
		{"adjusted working Sunday", []string{"calendar", "is-workday", "2026-09-20"}, 0, "true\n", ""},
		{"ordinary Saturday", []string{"calendar", "is-workday", "2026-10-17"}, 0, "false\n", ""},
		{"bad month", []string{"calendar", "add", "2026-13-45", "1"}, -1, "", `"2026-13-45"`},
		{"bad day", []string{"calendar", "is-workday", "2026-02-30"}, -1, "", `"2026-02-30"`},
		{"not a date", []string{"calendar", "is-workday", "30/09/2026"}, -1, "", `"30/09/2026"`},
		{"bad count", []string{"calendar", "add", "2026-09-30", "one"}, -1, "", `"one"`},
		{"calendar without verb", []string{"calendar"}, -1, "", "Usage: onedoor calendar"},
		{"lint built-in catalog", []string{"catalog", "lint", "../../catalog/builtin"}, 0, "", "ok: 212 matters"},
		{"lint missing folder", []string{"catalog", "lint", "no/such/catalog"}, -1, "", "no/such/catalog"},
		{"list built-in catalog", []string{"catalog", "list"}, 0, "", "CIV-010"},
		{"unknown command", []string{"frobnicate"}, -1, "", `unknown command "frobnicate"`},
		{"no command", nil, -1, "", "Usage: onedoor COMMAND"},
		{"help", []string{"--help"}, 0, "", "Usage: onedoor COMMAND"},
		{"help word", []string{"help"}, 0, "", "Usage: onedoor COMMAND"},
	}
	for _, cmd := range []string{"serve", "migrate", "catalog", "calendar", "audit", "staff"} {
		tests = append(tests, struct {
			name   string
			args   []string
			code   int
			stdout string
			output string
		}{cmd + " --help", []string{cmd, "--help"}, 0, "", "Usage: onedoor " + cmd})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// In an empty folder, so that nothing can touch the source tree;
			// catalog paths are relative to this package's folder.
			dir := t.TempDir()
			if tt.args != nil && tt.args[0] == "catalog" {
				dir = ""
			}
			r := exe(t, dir, nil, tt.args...)
			if (tt.code == -1 && r.code == 0) || (tt.code != -1 && r.code != tt.code) {
				t.Errorf("onedoor %s: %s; want exit %d", strings.Join(tt.args, " "), r, tt.code)
			}
			if tt.stdout != "" && r.stdout != tt.stdout {
				t.Errorf("onedoor %s printed %q, want %q", strings.Join(tt.args, " "), r.stdout, tt.stdout)
			}
			if tt.output != "" && !strings.Contains(r.stdout+r.stderr, tt.output) {
				t.Errorf("onedoor %s does not say %q: %s", strings.Join(tt.args, " "), tt.output, r)
			}
		})
	}
}

// TestCatalogLint writes a catalog of two files with three mistakes; lint
// lists each as file:line: message and loads nothing.
func TestCatalogLint(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"00-base.yaml": `departments:
  - code: civil
    name: {zh: 区民政局, en: District Civil Affairs Bureau}
licence_types:
  - code: dibao_cert
    name: {zh: 最低生活保障证, en: Minimum living allowance certificate}
    department: nowhere
`,
		"matters.yaml": `matters:
  - code: CIV-900
    version: 1
    name: {zh: 测试事项, en: Test matter}
    department: civil
    agency: {zh: 区民政局, en: Civil Affairs Bureau}
    subject: natural
    kind: benefit
    legal_basis: {zh: 测试依据, en: Test basis}
    condition: "age >="
    condition_text: {zh: 测试, en: Test}
    statutory_limit: 10
    promised_limit: 20
    materials:
      - code: application
        name: {zh: 申请表, en: Application}
        required: true
    steps:
      - {code: review, name: {zh: 审核, en: Review}, role: officer, department: civil, limit: 5}
    result: {name: {zh: 结果, en: Result}}
    delivery: [counter]
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := exe(t, "", nil, "catalog", "lint", dir)
	if r.code == 0 {
		t.Fatalf("lint passes a broken catalog: %s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []struct{ prefix, fragment string }{
		{filepath.Join(dir, "00-base.yaml") + ":7: ", "nowhere"},
		{filepath.Join(dir, "matters.yaml") + ":10: ", "condition"},
		{filepath.Join(dir, "matters.yaml") + ":13: ", "promised_limit"},
	}
	if len(lines) != len(want)+1 || !strings.Contains(lines[len(lines)-1], "3 problem") {
		t.Fatalf("lint printed %d lines, want %d problems and a count: %s", len(lines), len(want), r)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w.prefix) || !strings.Contains(lines[i], w.fragment) {
			t.Errorf("problem %d is %q; want %q… naming %s", i+1, lines[i], w.prefix, w.fragment)
		}
	}

	// The same catalog with the mistakes corrected loads.
	files["00-base.yaml"] = strings.Replace(files["00-base.yaml"], "nowhere", "civil", 1)
	files["matters.yaml"] = strings.NewReplacer(`"age >="`, `"age >= 60"`, "promised_limit: 20", "promised_limit: 5").Replace(files["matters.yaml"])
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := exe(t, "", nil, "catalog", "lint", dir); r.code != 0 || !strings.HasPrefix(r.stdout, "ok: 1 matters") {
		t.Errorf("lint of the corrected catalog: %s", r)
	}
}

// TestFlagsAfterVerb: the usage lines put flags after the verb ("onedoor
// staff add --username U …", "onedoor audit verify [flags]"), and so does
// the documentation of every command an operator copies; those commands
// must work as printed.
func TestFlagsAfterVerb(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	r := exe(t, "", nil, "staff", "add", "--data", data, "--username", "clerk9", "--name", "Synthetic clerk9", "--role", "clerk")
	if r.code != 0 || !strings.Contains(r.stdout, "created clerk9") {
		t.Errorf("onedoor staff add --data … --role clerk: %s", r)
	}
	r = exe(t, "", nil, "audit", "verify", "--data", data)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok") {
		t.Errorf("onedoor audit verify --data …: %s", r)
	}
	for _, args := range [][]string{{"audit", "verify", "--help"}, {"staff", "add", "--help"}} {
		if r := exe(t, "", nil, args...); r.code != 0 || !strings.Contains(r.stderr+r.stdout, "Usage: onedoor "+args[0]) {
			t.Errorf("onedoor %s: %s", strings.Join(args, " "), r)
		}
	}
}
