package catalog_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"onedoor"
	"onedoor/catalog"
	"onedoor/rules"
)

func loadGood(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.LoadDir(filepath.Join("testdata", "good"))
	if err != nil {
		t.Fatalf("testdata/good does not load:\n%v", err)
	}
	return c
}

func codes(ms []*onedoor.Matter) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Code)
	}
	return out
}

func TestLoadGood(t *testing.T) {
	c := loadGood(t)

	if len(c.Departments) != 3 || len(c.LicenceTypes) != 3 || len(c.Matters) != 5 || len(c.Bundles) != 1 {
		t.Errorf("counts: %d departments, %d licence types, %d matters, %d bundles; want 3, 3, 5, 1",
			len(c.Departments), len(c.LicenceTypes), len(c.Matters), len(c.Bundles))
	}
	// Every version is kept, sorted by code and version whatever the file order.
	var keys []string
	for _, m := range c.Matters {
		keys = append(keys, m.Code+"/"+string(rune('0'+m.Version)))
	}
	if want := []string{"HRSS-001/1", "HRSS-001/2", "HRSS-010/1", "MED-001/1", "MKT-001/1"}; !slices.Equal(keys, want) {
		t.Errorf("Matters = %v, want %v", keys, want)
	}

	m, ok := c.Matter("HRSS-001")
	if !ok || m.Version != 2 || m.Name.Zh != "退休养老待遇确认" {
		t.Fatalf("Matter(HRSS-001) = %+v, %v; want version 2", m, ok)
	}
	if m.PromisedLimit != 3 || m.StepLimitTotal() != 3 || len(m.Steps) != 3 || !m.Steps[2].Special || m.Steps[1].Role != onedoor.RoleLeader {
		t.Errorf("HRSS-001 v2 steps or limits decoded wrongly: %+v", m)
	}
	if mat, ok := m.Material("contribution_record"); !ok || !mat.Required || !mat.Tolerable {
		t.Errorf("material contribution_record = %+v, %v", mat, ok)
	}
	if mat, _ := m.Material("id_card"); mat.Licence != "id_card" {
		t.Errorf("material id_card licence = %q", mat.Licence)
	}
	if m.Result.Licence != "pension_decision" || !m.Delivers(onedoor.ChannelELicence) || m.Delivers("fax") {
		t.Errorf("result or delivery decoded wrongly: %+v %v", m.Result, m.Delivery)
	}
	if got := m.StatusTexts[onedoor.StatusInProgress].En; got != "The social insurance office is reviewing your materials" {
		t.Errorf("status text = %q", got)
	}
	if m.LegalBasis.En != "Social Insurance Law, art. 16" {
		t.Errorf("legal basis = %q", m.LegalBasis.En)
	}

	v1, ok := c.MatterVersion("HRSS-001", 1)
	if !ok || v1.Version != 1 || v1.MaxVisits != 2 {
		t.Errorf("MatterVersion(HRSS-001, 1) = %+v, %v", v1, ok)
	}
	if _, ok := c.MatterVersion("HRSS-001", 3); ok {
		t.Error("MatterVersion(HRSS-001, 3) found a version that does not exist")
	}
	if _, ok := c.Matter("NOPE-001"); ok {
		t.Error("Matter(NOPE-001) found a matter that does not exist")
	}
	if fee := mustMatter(t, c, "HRSS-010").Fees; len(fee) != 1 || fee[0].Amount != 0 || fee[0].Basis == "" {
		t.Errorf("HRSS-010 fees = %+v", fee)
	}

	if got := codes(c.Latest()); !slices.Equal(got, []string{"HRSS-001", "HRSS-010", "MED-001", "MKT-001"}) {
		t.Errorf("Latest() = %v", got)
	}
	if l := c.Latest(); l[0].Version != 2 {
		t.Errorf("Latest()[0] is version %d, want 2", l[0].Version)
	}

	b, ok := c.Bundle("BD-RETIRE")
	if !ok || len(b.Matters) != 3 || b.Description.Zh == "" {
		t.Errorf("Bundle(BD-RETIRE) = %+v, %v", b, ok)
	}
	if bs := c.LatestBundles(); len(bs) != 1 || bs[0].Code != "BD-RETIRE" {
		t.Errorf("LatestBundles() = %v", bs)
	}
	if _, ok := c.Bundle("BD-NONE"); ok {
		t.Error("Bundle(BD-NONE) found a bundle that does not exist")
	}

	if d, ok := c.Department("med"); !ok || d.Name.En != "District Healthcare Security Bureau" {
		t.Errorf("Department(med) = %+v, %v", d, ok)
	}
	if _, ok := c.Department("police"); ok {
		t.Error("Department(police) found a department that does not exist")
	}
	if lt, ok := c.LicenceType("business_licence"); !ok || lt.Department != "market" || lt.ValidYears != 0 {
		t.Errorf("LicenceType(business_licence) = %+v, %v", lt, ok)
	}
}

func mustMatter(t *testing.T, c *catalog.Catalog, code string) *onedoor.Matter {
	t.Helper()
	m, ok := c.Matter(code)
	if !ok {
		t.Fatalf("matter %s not found", code)
	}
	return m
}

func TestCondition(t *testing.T) {
	c := loadGood(t)
	r := c.Condition("HRSS-001", 2)
	if r == nil || r.Source() != "age >= 50 && !dishonest" {
		t.Fatalf("Condition(HRSS-001, 2) = %v", r)
	}
	if r := c.Condition("HRSS-001", 1); r != nil {
		t.Errorf("Condition(HRSS-001, 1) = %q, want nil: version 1 has no condition", r.Source())
	}
	if r := c.Condition("NOPE-001", 1); r != nil {
		t.Error("Condition of an unknown matter is not nil")
	}
	// The legal person's condition was compiled against the Org schema.
	org := c.Condition("MKT-001", 1)
	if org == nil {
		t.Fatal("Condition(MKT-001, 1) is nil")
	}
	if _, err := rules.Compile(org.Source(), rules.Org); err != nil {
		t.Errorf("MKT-001's condition does not compile over rules.Org: %v", err)
	}
}

func TestSearch(t *testing.T) {
	c := loadGood(t)
	tests := []struct {
		q    string
		want []string
	}{
		{"PENSION", []string{"HRSS-001"}},  // English name and keyword, any case
		{"养老金", []string{"HRSS-001"}},      // keyword only
		{"大病", []string{"MED-001"}},        // Chinese name
		{"hrss-010", []string{"HRSS-010"}}, // code, any case
		{"hrss", []string{"HRSS-001", "HRSS-010"}},
		// The exact code first, then name matches, then the rest.
		{"med-001", []string{"MED-001"}},
		{"registration", []string{"MKT-001"}},
		{"旧", nil}, // only an old version's name has it
		{"nothing like this", nil},
		{"  ", []string{"HRSS-001", "HRSS-010", "MED-001", "MKT-001"}},
	}
	for _, tt := range tests {
		if got := codes(c.Search(tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
	for _, m := range c.Search("pension") {
		if m.Version != 2 {
			t.Errorf("Search returned version %d of %s, want the latest", m.Version, m.Code)
		}
	}
}

func TestSearchRanksNamesBeforeKeywords(t *testing.T) {
	files := map[string]string{"base.yaml": baseYAML, "c.yaml": edit(t, goodMatter+secondMatter,
		"keywords: [退休, pension]", "keywords: [退休, pension, illness]")}
	c, err := loadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	// HRSS-001 sorts first by code but matches only by keyword, so MED-001,
	// whose name matches, comes first.
	if got := codes(c.Search("Illness")); !slices.Equal(got, []string{"MED-001", "HRSS-001"}) {
		t.Errorf("Search(Illness) = %v, want [MED-001 HRSS-001]", got)
	}
}

func TestLoadDirSingleFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(p, []byte(baseYAML+goodMatter), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.LoadDir(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Matter("HRSS-001"); !ok {
		t.Error("HRSS-001 not loaded from a single file")
	}
}

func TestLoadDirNamesFilesByPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "bad.yaml"), []byte("departments:\n  - code: X\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := catalog.LoadDir(dir)
	var ps catalog.Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("LoadDir error = %v, want Problems", err)
	}
	if want := filepath.Join(dir, "sub", "bad.yaml"); ps[0].File != want || ps[0].Line != 2 {
		t.Errorf("problem at %s:%d, want %s:2", ps[0].File, ps[0].Line, want)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := catalog.LoadDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir(missing) = %v, want fs.ErrNotExist", err)
	}
	_, err := catalog.Load(fstest.MapFS{"README.md": {Data: []byte("hi")}}, ".")
	if err == nil || !strings.Contains(err.Error(), "No .yaml files were found") {
		t.Errorf("Load of a tree without catalog files = %v, want a problem", err)
	}
	// Files that define nothing load as an empty catalog.
	c, err := catalog.Load(fstest.MapFS{"empty.yaml": {}, "comments.yaml": {Data: []byte("# nothing yet\n")}, "null.yaml": {Data: []byte("matters:\n")}}, ".")
	if err != nil || len(c.Latest()) != 0 {
		t.Errorf("Load of empty files = %v, %v; want an empty catalog", c, err)
	}
}

// TestBuiltin guards the catalog that ships in the binary: it must load,
// and it must be big enough to run a district's one door.
func TestBuiltin(t *testing.T) {
	var c *catalog.Catalog
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Builtin() panicked: %v", r)
			}
		}()
		c = catalog.Builtin()
	}()
	if c != catalog.Builtin() {
		t.Error("Builtin() loads a new catalog on every call")
	}

	latest := c.Latest()
	natural, legal := 0, 0
	for _, m := range latest {
		switch m.Subject {
		case onedoor.Natural:
			natural++
		case onedoor.Legal:
			legal++
		}
	}
	if len(latest) < 150 || natural < 100 || legal < 50 {
		t.Errorf("the built-in catalog has %d matters (%d natural, %d legal); it needs at least 150 (100 natural, 50 legal)",
			len(latest), natural, legal)
	}
	if n := len(c.Departments); n < 20 {
		t.Errorf("the built-in catalog has %d departments; it needs at least 20", n)
	}
	if n := len(c.LatestBundles()); n < 3 {
		t.Errorf("the built-in catalog has %d bundles; it needs at least 3", n)
	}
	// The anchor matters that the data-collision analyses (R9) are built on.
	anchors := []struct{ code, name string }{
		{"HRSS-001", "退休养老待遇确认"},
		{"MED-001", "大病保险"},
	}
	for _, a := range anchors {
		m, ok := c.Matter(a.code)
		if !ok {
			t.Errorf("anchor matter %s (%s) is missing", a.code, a.name)
			continue
		}
		if !strings.Contains(m.Name.Zh, a.name) {
			t.Errorf("anchor matter %s is named %q, want one containing %q", a.code, m.Name.Zh, a.name)
		}
		if m.Subject != onedoor.Natural {
			t.Errorf("anchor matter %s serves %s, want natural persons", a.code, m.Subject)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds := []string{baseYAML, goodMatter, baseYAML + goodMatter + secondMatter + goodBundle,
		"matters: [oops", "- a\n- b\n", "a: &x [*x]\n", "matters:\n  - <<: *x\n", "---\n---\n", "\t", "departments: [{code: a, name: {zh: 甲, en: A}}]\n"}
	for _, p := range []string{"00-base.yaml", "hrss/matters.yaml", "med/matters.yaml", "bundles.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "good", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Load(fstest.MapFS{"f.yaml": {Data: data}}, ".")
		if (c == nil) == (err == nil) {
			t.Fatalf("Load returned catalog %v and error %v; want exactly one", c, err)
		}
		if err != nil {
			var ps catalog.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Load error %v is not a list of problems", err)
			}
			for _, p := range ps {
				if p.File != "f.yaml" || p.Message == "" {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		for _, m := range c.Latest() {
			if got, ok := c.Matter(m.Code); !ok || got != m {
				t.Fatalf("Matter(%s) does not return the latest version", m.Code)
			}
		}
	})
}
