// Package catalog loads, checks and serves the matter catalog: the
// departments, e-licence types, versioned matters and bundles that every
// case is processed under.
//
// A catalog is a tree of plain YAML files, so that a change to a matter is
// reviewed as a diff and its history is the repository's. Loading is all or
// nothing: every problem in every file is reported at once, each with its
// file and line, and a catalog with any problem is refused, so a server never
// runs on a half-applied edit. The keys of the files are the json tags of the
// root package's types (onedoor.Matter and the rest).
package catalog

import (
	"cmp"
	"slices"
	"strings"

	"onedoor"
	"onedoor/rules"
)

// Catalog is a loaded, checked catalog. It is immutable once loaded and
// safe for concurrent use. The pointers its methods return point into it;
// callers must not modify what they point to.
type Catalog struct {
	// Departments and LicenceTypes are in the order they were written,
	// files in lexical path order.
	Departments  []onedoor.Department
	LicenceTypes []onedoor.LicenceType
	// Matters holds every version of every matter, and Bundles every
	// version of every bundle, sorted by code and then version: a case keeps
	// the version it was accepted under, so old versions stay.
	Matters []onedoor.Matter
	Bundles []onedoor.Bundle

	departments   map[string]*onedoor.Department
	licenceTypes  map[string]*onedoor.LicenceType
	matters       map[string][]*onedoor.Matter // by code, ascending version
	bundles       map[string][]*onedoor.Bundle // by code, ascending version
	conditions    map[versionKey]*rules.Rule
	latest        []*onedoor.Matter // latest version of each matter, by code
	latestBundles []*onedoor.Bundle // latest version of each bundle, by code
	haystacks     []string          // for Search, parallel to latest
}

// versionKey names one version of a matter.
type versionKey struct {
	code    string
	version int
}

// build assembles the catalog from a loader that found no problems.
func (l *loader) build() *Catalog {
	c := &Catalog{
		departments:  map[string]*onedoor.Department{},
		licenceTypes: map[string]*onedoor.LicenceType{},
		matters:      map[string][]*onedoor.Matter{},
		bundles:      map[string][]*onedoor.Bundle{},
		conditions:   map[versionKey]*rules.Rule{},
	}
	for _, e := range l.departments {
		c.Departments = append(c.Departments, e.v)
	}
	for _, e := range l.licenceTypes {
		c.LicenceTypes = append(c.LicenceTypes, e.v)
	}
	ms := slices.Clone(l.matters)
	slices.SortFunc(ms, func(a, b *entry[onedoor.Matter]) int {
		return cmp.Or(strings.Compare(a.v.Code, b.v.Code), cmp.Compare(a.v.Version, b.v.Version))
	})
	for _, e := range ms {
		c.Matters = append(c.Matters, e.v)
		if e.rule != nil {
			c.conditions[versionKey{e.v.Code, e.v.Version}] = e.rule
		}
	}
	bs := slices.Clone(l.bundles)
	slices.SortFunc(bs, func(a, b *entry[onedoor.Bundle]) int {
		return cmp.Or(strings.Compare(a.v.Code, b.v.Code), cmp.Compare(a.v.Version, b.v.Version))
	})
	for _, e := range bs {
		c.Bundles = append(c.Bundles, e.v)
	}

	// Index only once the slices are complete, so the pointers stay valid.
	for i := range c.Departments {
		c.departments[c.Departments[i].Code] = &c.Departments[i]
	}
	for i := range c.LicenceTypes {
		c.licenceTypes[c.LicenceTypes[i].Code] = &c.LicenceTypes[i]
	}
	for i := range c.Matters {
		m := &c.Matters[i]
		if len(c.matters[m.Code]) == 0 {
			c.latest = append(c.latest, nil)
		}
		c.matters[m.Code] = append(c.matters[m.Code], m)
		c.latest[len(c.latest)-1] = m // sorted by version, so the last seen is the latest
	}
	for i := range c.Bundles {
		b := &c.Bundles[i]
		if len(c.bundles[b.Code]) == 0 {
			c.latestBundles = append(c.latestBundles, nil)
		}
		c.bundles[b.Code] = append(c.bundles[b.Code], b)
		c.latestBundles[len(c.latestBundles)-1] = b
	}
	c.haystacks = make([]string, len(c.latest))
	for i, m := range c.latest {
		parts := append([]string{m.Code, m.Name.Zh, m.Name.En}, m.Keywords...)
		c.haystacks[i] = strings.ToLower(strings.Join(parts, "\n"))
	}
	return c
}

// Matter returns the latest version of the matter with the given code:
// the version new cases are accepted under.
func (c *Catalog) Matter(code string) (*onedoor.Matter, bool) {
	vs := c.matters[code]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[len(vs)-1], true
}

// MatterVersion returns one version of a matter, such as the one a case
// was accepted under.
func (c *Catalog) MatterVersion(code string, version int) (*onedoor.Matter, bool) {
	for _, m := range c.matters[code] {
		if m.Version == version {
			return m, true
		}
	}
	return nil, false
}

// Latest returns the latest version of each matter, sorted by code. The
// slice is the caller's; the matters are shared.
func (c *Catalog) Latest() []*onedoor.Matter {
	return slices.Clone(c.latest)
}

// Bundle returns the latest version of the bundle with the given code.
func (c *Catalog) Bundle(code string) (*onedoor.Bundle, bool) {
	vs := c.bundles[code]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[len(vs)-1], true
}

// LatestBundles returns the latest version of each bundle, sorted by code.
// The slice is the caller's; the bundles are shared.
func (c *Catalog) LatestBundles() []*onedoor.Bundle {
	return slices.Clone(c.latestBundles)
}

// Department returns the department with the given code.
func (c *Catalog) Department(code string) (*onedoor.Department, bool) {
	d, ok := c.departments[code]
	return d, ok
}

// LicenceType returns the e-licence type with the given code.
func (c *Catalog) LicenceType(code string) (*onedoor.LicenceType, bool) {
	t, ok := c.licenceTypes[code]
	return t, ok
}

// Condition returns the compiled condition of one version of a matter, or
// nil when that version has no condition (anyone may apply) or does not
// exist. Conditions are compiled when the catalog is loaded, so a catalog
// with a condition that does not compile is never served.
func (c *Catalog) Condition(code string, version int) *rules.Rule {
	return c.conditions[versionKey{code, version}]
}

// Search returns the latest versions of the matters whose code, Chinese or
// English name or a keyword contains q, ignoring case. A matter whose code
// is q comes first, then those whose name matches, then the rest, each group
// sorted by code. A blank q matches every matter.
func (c *Catalog) Search(q string) []*onedoor.Matter {
	q = strings.ToLower(strings.TrimSpace(q))
	type hit struct {
		m    *onedoor.Matter
		rank int
	}
	var hits []hit
	for i, m := range c.latest {
		if !strings.Contains(c.haystacks[i], q) {
			continue
		}
		rank := 2
		switch {
		case strings.ToLower(m.Code) == q:
			rank = 0
		case strings.Contains(strings.ToLower(m.Name.Zh), q) || strings.Contains(strings.ToLower(m.Name.En), q):
			rank = 1
		}
		hits = append(hits, hit{m, rank})
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.rank - b.rank }) // latest is already by code
	out := make([]*onedoor.Matter, len(hits))
	for i, h := range hits {
		out[i] = h.m
	}
	return out
}
