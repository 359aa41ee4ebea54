package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"onedoor"
	"onedoor/rules"
)

// Load reads the catalog under root in fsys: every *.yaml file of the tree,
// in lexical path order, or root alone when it is a file. Files and
// directories whose names begin with a dot are skipped. It checks the whole
// catalog and returns every problem it finds as Problems, with file names
// as paths in fsys; a catalog with any problem is not returned at all, so a
// bad edit can never be half applied. An unreadable root is an ordinary
// error.
func Load(fsys fs.FS, root string) (*Catalog, error) {
	return load(fsys, root, func(p string) string { return p })
}

// File is one catalog file held in memory: an upload, or a stored import.
type File struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// LoadFiles is Load over files held in memory, named by their Name.
func LoadFiles(files []File) (*Catalog, error) {
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.Name] = &fstest.MapFile{Data: []byte(f.Content), Mode: 0o644}
	}
	return Load(fsys, ".")
}

// LoadDir is Load on the operating system's file system: dir is a directory
// of *.yaml files or a single .yaml file. Problems name files by their
// paths under dir, so that editors can jump to them.
func LoadDir(dir string) (*Catalog, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	base, root := dir, "."
	if !info.IsDir() {
		base, root = filepath.Dir(dir), filepath.Base(dir)
	}
	return load(os.DirFS(base), root, func(p string) string {
		return filepath.Join(base, filepath.FromSlash(p))
	})
}

// load is Load with a function that turns paths in fsys into the file names
// problems show.
func load(fsys fs.FS, root string, display func(string) string) (*Catalog, error) {
	info, err := fs.Stat(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	l := &loader{}
	var files []string
	if !info.IsDir() {
		files = []string{root}
	} else {
		err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				l.probs = append(l.probs, Problem{File: display(p), Message: fmt.Sprintf("The path cannot be read: %v.", unwrapPath(err))})
				return nil
			}
			switch {
			case p != root && strings.HasPrefix(d.Name(), "."):
				// Drafts, editor backups and lock files, and version control.
				if d.IsDir() {
					return fs.SkipDir
				}
			case d.IsDir():
			case path.Ext(p) == ".yaml":
				files = append(files, p)
			case path.Ext(p) == ".yml":
				l.probs = append(l.probs, Problem{File: display(p),
					Message: "The file name ends in .yml; catalog files must end in .yaml, so this one would be ignored."})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		if len(files) == 0 && len(l.probs) == 0 {
			l.probs = append(l.probs, Problem{File: display(root), Message: "No .yaml files were found; a catalog needs at least one."})
		}
	}
	for _, p := range files {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			l.probs = append(l.probs, Problem{File: display(p), Message: fmt.Sprintf("The file cannot be read: %v.", unwrapPath(err))})
			continue
		}
		l.parseFile(display(p), data)
	}
	l.check()
	if len(l.probs) > 0 {
		l.probs.sort()
		return nil, l.probs
	}
	return l.build(), nil
}

// unwrapPath drops the path from an fs.PathError, which the problem
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// entry is one decoded catalog entry and where it came from.
type entry[T any] struct {
	v    T
	src  *source
	rule *rules.Rule // matters: the compiled condition
}

// loader gathers the entries of every file and the problems found.
type loader struct {
	probs        Problems
	departments  []*entry[onedoor.Department]
	licenceTypes []*entry[onedoor.LicenceType]
	matters      []*entry[onedoor.Matter]
	bundles      []*entry[onedoor.Bundle]
}

// topKeys are the keys a catalog file may have.
var topKeys = []string{"departments", "licence_types", "matters", "bundles"}

var yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFile decodes one catalog file.
func (l *loader) parseFile(file string, data []byte) {
	fileProblem := func(line int, format string, args ...any) {
		l.probs = append(l.probs, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil {
		if err != io.EOF { // io.EOF: an empty file, which defines nothing
			line, msg := yamlError(err, data)
			fileProblem(line, "The file is not valid YAML: %s.", msg)
		}
		return
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case err == nil:
		fileProblem(extra.Line, "The file holds a second YAML document; a catalog file must hold one, so move it to a file of its own.")
	case err != io.EOF:
		line, msg := yamlError(err, data)
		fileProblem(line, "The file is not valid YAML: %s.", msg)
	}

	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return // a document with nothing but comments
	}
	if root.Kind != yaml.MappingNode {
		fileProblem(root.Line, "A catalog file must be a mapping with any of the keys %s, but this one is %s.",
			strings.Join(topKeys, ", "), describe(root))
		return
	}
	top := &decoder{probs: &l.probs, src: newSource(file, root.Line, ""), whole: "The file"}
	top.mapping(root, "", topKeys, func(k, list *yaml.Node) {
		if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
			return
		}
		if list.Kind != yaml.SequenceNode {
			fileProblem(k.Line, "The top-level key %s must hold a list, not %s.", k.Value, describe(list))
			return
		}
		switch k.Value {
		case "departments":
			l.departments = decodeEntries[onedoor.Department](l, file, list, "Department", false, l.departments)
		case "licence_types":
			l.licenceTypes = decodeEntries[onedoor.LicenceType](l, file, list, "Licence type", false, l.licenceTypes)
		case "matters":
			l.matters = decodeEntries[onedoor.Matter](l, file, list, "Matter", true, l.matters)
		case "bundles":
			l.bundles = decodeEntries[onedoor.Bundle](l, file, list, "Bundle", true, l.bundles)
		}
	})
}

// safeDecode is dec.Decode that turns a panic of the parser into an error,
// so that no input can bring down a server that reloads its catalog.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed (%v)", r)
		}
	}()
	return dec.Decode(n)
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For these it reports the line counted from 0, and no line at
// all for line 0, so yamlError adds one.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// yamlError splits an error of the YAML parser over data into a 1-based
// line and a message.
func yamlError(err error, data []byte) (int, string) {
	msg := err.Error()
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if slices.Contains(parserProblems, m[2]) {
			line++
		}
		return line, m[2]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if slices.Contains(parserProblems, msg) {
		return 1, msg
	}
	if m := unknownAnchorRE.FindStringSubmatch(err.Error()); m != nil {
		// The parser gives no line; the first use of the alias is the place.
		for i, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "*"+m[1]) {
				return i + 1, msg
			}
		}
	}
	return 0, msg
}

// decodeEntries decodes each item of list as a T and appends it to to.
func decodeEntries[T any](l *loader, file string, list *yaml.Node, noun string, versioned bool, to []*entry[T]) []*entry[T] {
	for i, item := range list.Content {
		e := &entry[T]{src: newSource(file, item.Line, label(item, noun, i, versioned))}
		d := &decoder{probs: &l.probs, src: e.src, whole: "the " + strings.ToLower(noun)}
		d.decode(item, reflect.ValueOf(&e.v).Elem(), "")
		to = append(to, e)
	}
	return to
}

// label names an entry in messages by its code and version, as written,
// or by its position when it has no code.
func label(item *yaml.Node, noun string, i int, versioned bool) string {
	var code, version string
	if item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := item.Content[j], item.Content[j+1]
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "" {
				continue
			}
			switch k.Value {
			case "code":
				code = clip(v.Value)
			case "version":
				version = clip(v.Value)
			}
		}
	}
	switch {
	case code == "":
		return fmt.Sprintf("%s #%d of the file", noun, i+1)
	case versioned && version != "":
		return fmt.Sprintf("%s %s v%s", noun, code, version)
	}
	return noun + " " + code
}
