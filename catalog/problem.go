package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a catalog, at the place where it was found.
type Problem struct {
	// File is the path of the file, as the caller named the catalog.
	File string
	// Line is the 1-based line of the offending YAML node, or 0 when the
	// problem is about the file as a whole.
	Line int
	// Message is an English sentence naming the field and the reason.
	Message string
}

// String formats the problem as "file:line: message", the form editors and
// CI logs link to.
func (p Problem) String() string {
	if p.Line <= 0 {
		return p.File + ": " + p.Message
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// Problems is every problem found while loading a catalog. Load returns all
// of them at once, so that one run of the linter lists everything to fix.
type Problems []Problem

// Error implements the error interface: one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems by file, then line, keeping the order in which
// problems on the same line were found.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}
