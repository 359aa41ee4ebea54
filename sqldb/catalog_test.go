package sqldb_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"onedoor"
	"onedoor/catalog"
)

// smallCatalog is a complete catalog of one matter, as an administrator
// might import it.
var smallCatalog = func() string {
	b, err := os.ReadFile("../catalog/testdata/small/demo.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestAdoptCatalog: an imported catalog runs at once on the node that
// imported it and, after a refresh, on another node sharing the database;
// new applications follow it, while a case accepted before keeps the
// version it was accepted under; a refused import adopts nothing.
func TestAdoptCatalog(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		node1, node2 := e.db, e.open(t)
		before, err := node1.Intake(ctx, onedoorIntake("MED-002", applicantFor(1960, 1, 1), allMaterials(e, "MED-002")))
		if err != nil {
			t.Fatal(err)
		}
		files := []catalog.File{{Name: "demo.yaml", Content: smallCatalog}}
		cat, err := catalog.LoadFiles(files)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := node1.AdoptCatalog(ctx, cat, files, 7); err != nil || n != 1 {
			t.Fatalf("adopt: %d new versions, %v", n, err)
		}
		if _, ok := node1.Catalog().Matter("DEMO-001"); !ok {
			t.Fatal("the importing node does not run the imported catalog")
		}
		if _, ok := node2.Catalog().Matter("DEMO-001"); ok {
			t.Fatal("the other node adopted it before refreshing")
		}
		if err := node2.RefreshCatalog(ctx); err != nil {
			t.Fatal(err)
		}
		for _, node := range []interface {
			Catalog() *catalog.Catalog
		}{node1, node2} {
			if _, ok := node.Catalog().Matter("DEMO-001"); !ok {
				t.Fatal("a node does not run the imported catalog")
			}
			if _, ok := node.Catalog().Matter("MED-002"); ok {
				t.Fatal("a matter the import left out still takes applications")
			}
		}
		_, err = node2.Intake(ctx, onedoorIntake("MED-002", applicantFor(1961, 2, 2), nil))
		if onedoor.ErrorCode(err) == "" {
			t.Fatal("an application for a withdrawn matter was accepted")
		}
		// The case accepted before goes on under its recorded version.
		if _, err := node2.Act(ctx, before.Cases[0].Number, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
			t.Fatalf("a case accepted before the import cannot go on: %v", err)
		}
		if m, err := node2.MatterVersion("MED-002", 1); err != nil || m.Code != "MED-002" {
			t.Fatalf("the recorded version: %v, %v", m, err)
		}
		src, err := node2.LatestCatalogSource(ctx)
		if err != nil || src.StaffID != 7 || len(src.Files) != 1 || src.Files[0].Content != smallCatalog {
			t.Fatalf("the imported files: %+v, %v", src, err)
		}

		// A changed definition under a recorded version: refused as a
		// whole, nothing recorded, nothing adopted.
		changed := []catalog.File{{Name: "demo.yaml", Content: strings.Replace(smallCatalog, "promised_limit: 3", "promised_limit: 2", 1)}}
		cat2, err := catalog.LoadFiles(changed)
		if err != nil {
			t.Fatal(err)
		}
		_, err = node1.AdoptCatalog(ctx, cat2, changed, 7)
		wantCode(t, err, onedoor.ECONFLICT, "DEMO-001")
		if m, _ := node1.Catalog().Matter("DEMO-001"); m.PromisedLimit != 3 {
			t.Fatal("a refused import was adopted")
		}
		if again, _ := node1.LatestCatalogSource(ctx); again.ID != src.ID {
			t.Fatal("a refused import was kept as a source")
		}
	})
}
