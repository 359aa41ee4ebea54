package catalog

import (
	"embed"
	"sync"
)

// builtinFS is the district catalog shipped in the binary.
//
//go:embed builtin
var builtinFS embed.FS

var builtin = sync.OnceValue(func() *Catalog {
	c, err := Load(builtinFS, "builtin")
	if err != nil {
		panic("catalog: the built-in catalog is invalid:\n" + err.Error())
	}
	return c
})

// Builtin returns the catalog embedded in the binary, loaded on first use.
// It panics if that catalog has a problem; TestBuiltin keeps that from
// shipping.
func Builtin() *Catalog { return builtin() }
