package main

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"onedoor/catalog"
)

// TestRestartRunsImportedCatalog: after an administrator's import, a
// restart runs the imported catalog, not the built-in one it was
// configured with; a configured catalog that brings new versions (an
// upgrade) runs instead and sets the import aside.
func TestRestartRunsImportedCatalog(t *testing.T) {
	ctx := context.Background()
	c := &config{data: t.TempDir()}
	log := slog.New(slog.DiscardHandler)
	db, _, err := c.openStore(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	files := []catalog.File{{Name: "demo.yaml", Content: demoCatalogYAML}}
	cat, err := catalog.LoadFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdoptCatalog(ctx, cat, files, 1); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, _, err = c.openStore(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := db.Catalog().Matter("DEMO-001"); !ok {
		t.Fatal("after a restart the imported catalog does not run")
	}
	if _, ok := db.Catalog().Matter("HRSS-001"); ok {
		t.Fatal("after a restart the built-in catalog runs, not the imported one")
	}
	db.Close()

	// An upgrade: the configured catalog (a folder now) brings a version
	// the database has not seen, so it runs.
	dir := t.TempDir() + "/catalog.yaml"
	if err := writeFile(dir, demoCatalogYAML+extraMatterYAML); err != nil {
		t.Fatal(err)
	}
	c.catalogDir = dir
	db, _, err = c.openStore(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok := db.Catalog().Matter("DEMO-002"); !ok {
		t.Fatal("a configured catalog with new versions does not run")
	}
}

var demoCatalogYAML = func() string {
	b, err := os.ReadFile("../../catalog/testdata/small/demo.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

const extraMatterYAML = `  - code: DEMO-002
    version: 1
    name: {zh: 演示事项二, en: Second demo matter}
    department: demo
    agency: {zh: 演示中心, en: Demo centre}
    subject: natural
    kind: service
    legal_basis: {zh: 演示规定, en: Demo rules}
    statutory_limit: 10
    promised_limit: 3
    max_visits: 1
    steps:
      - {code: review, name: {zh: 审核, en: Review}, role: officer, department: demo, limit: 2}
    result: {name: {zh: 结果, en: Result}}
    delivery: [counter]
`

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o644) }
