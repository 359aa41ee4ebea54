package sqldb_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"onedoor"
	"onedoor/catalog"
	"onedoor/sqldb"
)

// appliedMigration is one row of schema_migrations.
type appliedMigration struct {
	version   int
	name      string
	appliedAt string
}

// embeddedMigrations lists the migration files the store embeds, as
// (version, name), in order.
func embeddedMigrations(t testing.TB) []appliedMigration {
	t.Helper()
	ents, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var out []appliedMigration
	for _, ent := range ents {
		if !strings.HasSuffix(ent.Name(), ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(ent.Name(), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", ent.Name(), err)
		}
		out = append(out, appliedMigration{version: v, name: ent.Name()})
	}
	slices.SortFunc(out, func(a, b appliedMigration) int { return a.version - b.version })
	if len(out) == 0 {
		t.Fatal("no migrations found")
	}
	return out
}

func appliedMigrations(t testing.TB, db *sqldb.DB) []appliedMigration {
	t.Helper()
	rows, err := db.RawRead().Query(`SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.version, &m.name, &m.appliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t testing.TB, db *sqldb.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.RawRead().QueryRow(`SELECT COUNT(*) FROM `+table+` `+where, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestMigrateFresh: a new database is brought to the latest version, every
// migration is recorded once, and running Migrate again changes nothing.
func TestMigrateFresh(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		want := embeddedMigrations(t)
		latest := want[len(want)-1].version
		got := appliedMigrations(t, e.db)
		if len(got) != len(want) {
			t.Fatalf("schema_migrations has %d rows, want %d (%v)", len(got), len(want), want)
		}
		for i := range want {
			if got[i].version != want[i].version || got[i].name != want[i].name || got[i].appliedAt == "" {
				t.Errorf("schema_migrations row %d = %+v; want version %d name %s with a time", i, got[i], want[i].version, want[i].name)
			}
		}
		// The tables of the first migration are there, the chain head seeded.
		for _, table := range []string{"departments", "licence_types", "matters", "bundles", "persons", "orgs", "cases",
			"events", "checkpoints", "licences", "outbox", "staff", "counters"} {
			countRows(t, e.db, table, "")
		}
		var seq int64
		var hash string
		if err := e.db.RawRead().QueryRow(`SELECT seq, hash FROM chain_head WHERE id = 1`).Scan(&seq, &hash); err != nil || seq != 0 || hash != "" {
			t.Fatalf("chain head = %d %q %v; want 0 and empty", seq, hash, err)
		}

		for range 2 {
			v, err := e.db.MigrateTo(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v != latest {
				t.Fatalf("MigrateTo = %d, want %d", v, latest)
			}
			if err := e.db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if again := appliedMigrations(t, e.db); !slices.Equal(again, got) {
			t.Fatalf("running Migrate again changed schema_migrations:\n%v\n%v", got, again)
		}
		if n := countRows(t, e.db, "chain_head", ""); n != 1 {
			t.Fatalf("chain_head has %d rows after migrating again, want 1", n)
		}
	})
}

// TestMigrateReopen: closing and opening an existing store keeps its data
// and its audit chain, does not run migrations again, and goes on numbering.
func TestMigrateReopen(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		rc, err := e.db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: person("赵磊", "19881111", 31), Materials: allMaterials(e, "MED-002"), Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		number := rc.Cases[0].Number
		if _, err := e.db.Act(ctx, number, onedoor.Command{Action: onedoor.ActionApprove, Actor: officer("medsec")}); err != nil {
			t.Fatal(err)
		}
		before, err := e.db.FindCase(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		migrated := appliedMigrations(t, e.db)
		matters := countRows(t, e.db, "matters", "")
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}

		db := e.open(t) // migrates and imports the built-in catalog again
		if got := appliedMigrations(t, db); !slices.Equal(got, migrated) {
			t.Fatalf("reopening ran migrations again:\n%v\n%v", migrated, got)
		}
		if n := countRows(t, db, "matters", ""); n != matters {
			t.Fatalf("matters = %d after reopening, want %d", n, matters)
		}
		after, err := db.FindCase(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if after.StateHash() != before.StateHash() || after.Status != onedoor.StatusApproved {
			t.Fatalf("case after reopening = %+v; want %+v", after, before)
		}
		if _, err := db.Track(ctx, number, rc.Code); err != nil {
			t.Fatalf("tracking after reopening: %v", err)
		}
		rc2, err := db.Intake(ctx, onedoor.IntakeRequest{Matter: "MED-002", Applicant: person("钱丽", "19920303", 32), Materials: allMaterials(e, "MED-002"), Actor: clerk})
		if err != nil {
			t.Fatal(err)
		}
		if n2 := rc2.Cases[0].Number; n2 <= number || n2[:len(n2)-6] != number[:len(number)-6] {
			t.Fatalf("numbering after reopening: %s after %s", n2, number)
		}
		rep, err := db.VerifyAudit(ctx)
		if err != nil || !rep.OK() || rep.Events != 3 {
			t.Fatalf("audit after reopening: %+v %v; want OK with 3 events", rep, err)
		}
	})
}

// TestMigrateConcurrentOpen: several Onedoor nodes started at once on one
// new database (PostgreSQL for scale; two processes on one SQLite file)
// must all come up, the schema migrated once.
func TestMigrateConcurrentOpen(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		dsn := freshDSN(t, e)
		const nodes = 3
		var wg sync.WaitGroup
		errs := make([]error, nodes)
		dbs := make([]*sqldb.DB, nodes)
		for i := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = sqldb.Open(context.Background(), sqldb.Config{DSN: dsn, Keys: e.keys, Sign: e.sign, Catalog: catalog.Builtin(), Now: e.clock.Now})
			}()
		}
		wg.Wait()
		for i, db := range dbs {
			if db != nil {
				t.Cleanup(func() { db.Close() })
			}
			if errs[i] != nil {
				t.Errorf("node %d: %v", i, errs[i])
			}
		}
		if t.Failed() {
			return
		}
		if got, want := appliedMigrations(t, dbs[0]), embeddedMigrations(t); len(got) != len(want) {
			t.Fatalf("schema_migrations has %d rows, want %d", len(got), len(want))
		}
	})
}

// testCatalog is a catalog of the given matters and bundles, departments
// and licence types, as ImportCatalog reads it.
func testCatalog(deps []onedoor.Department, ms []onedoor.Matter, bs []onedoor.Bundle) *catalog.Catalog {
	return &catalog.Catalog{Departments: deps, Matters: ms, Bundles: bs}
}

// newMatter copies the built-in matter code as another matter (a new code).
func newMatter(t testing.TB, code, newCode string, version int) onedoor.Matter {
	t.Helper()
	m, ok := catalog.Builtin().MatterVersion(code, 1)
	if !ok {
		t.Fatalf("no matter %s", code)
	}
	c := *m
	c.Code, c.Version = newCode, version
	c.Name.En += " (test copy)"
	return c
}

// TestImportCatalogTwice: importing the same catalog again adds nothing; a
// new version of a matter is added beside the old one.
func TestImportCatalogTwice(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		cat := catalog.Builtin()
		if n := countRows(t, e.db, "matters", ""); n != len(cat.Matters) {
			t.Fatalf("matters = %d after the first import, want %d", n, len(cat.Matters))
		}
		if n := countRows(t, e.db, "bundles", ""); n != len(cat.Bundles) {
			t.Fatalf("bundles = %d after the first import, want %d", n, len(cat.Bundles))
		}
		added, err := e.db.ImportCatalog(ctx, cat)
		if err != nil || added != 0 {
			t.Fatalf("second import of the built-in catalog: added %d, %v; want 0", added, err)
		}
		if n := countRows(t, e.db, "matters", ""); n != len(cat.Matters) {
			t.Fatalf("matters = %d after the second import, want %d", n, len(cat.Matters))
		}

		v1 := newMatter(t, "MED-002", "TST-001", 1)
		small := testCatalog(nil, []onedoor.Matter{v1}, nil)
		for i, want := range []int{1, 0} {
			added, err := e.db.ImportCatalog(ctx, small)
			if err != nil || added != want {
				t.Fatalf("import %d of one new matter: added %d, %v; want %d", i+1, added, err, want)
			}
		}
		v2 := v1
		v2.Version = 2
		v2.Name.En = "A second version"
		added, err = e.db.ImportCatalog(ctx, testCatalog(nil, []onedoor.Matter{v1, v2}, nil))
		if err != nil || added != 1 {
			t.Fatalf("import with a new version: added %d, %v; want 1", added, err)
		}
		if n := countRows(t, e.db, "matters", "WHERE code = $1", "TST-001"); n != 2 {
			t.Fatalf("TST-001 has %d versions recorded, want 2", n)
		}
	})
}

// TestImportCatalogConflict: a changed definition under a recorded (code,
// version) is refused with ECONFLICT, and nothing of that import is
// applied: not the new matter before it, not a changed department.
func TestImportCatalogConflict(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var deptBefore string
		if err := e.db.RawRead().QueryRow(`SELECT definition FROM departments WHERE code = 'medsec'`).Scan(&deptBefore); err != nil {
			t.Fatal(err)
		}
		dept, _ := catalog.Builtin().Department("medsec")
		renamed := *dept
		renamed.Name.En = "Renamed by the refused import"

		med, _ := catalog.Builtin().MatterVersion("MED-002", 1)
		changed := *med
		changed.PromisedLimit++ // a changed matter without a new version
		bundle, _ := catalog.Builtin().Bundle("BD-NEWBORN")
		changedBundle := *bundle
		changedBundle.Matters = []string{"MED-002"}

		matters := countRows(t, e.db, "matters", "")
		for _, tc := range []struct {
			name string
			cat  *catalog.Catalog
			code string
		}{
			{"matter", testCatalog([]onedoor.Department{renamed}, []onedoor.Matter{newMatter(t, "MED-002", "TST-NEW", 1), changed}, nil), "MED-002"},
			{"bundle", testCatalog([]onedoor.Department{renamed}, []onedoor.Matter{newMatter(t, "MED-002", "TST-NEW", 1)}, []onedoor.Bundle{changedBundle}), "BD-NEWBORN"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				added, err := e.db.ImportCatalog(ctx, tc.cat)
				wantCode(t, err, onedoor.ECONFLICT, tc.code)
				if added != 0 {
					t.Errorf("a refused import reports %d added", added)
				}
				if n := countRows(t, e.db, "matters", "WHERE code = $1", "TST-NEW"); n != 0 {
					t.Fatalf("the refused import recorded the new matter TST-NEW")
				}
				if n := countRows(t, e.db, "matters", ""); n != matters {
					t.Fatalf("matters = %d after a refused import, want %d", n, matters)
				}
				var deptAfter string
				if err := e.db.RawRead().QueryRow(`SELECT definition FROM departments WHERE code = 'medsec'`).Scan(&deptAfter); err != nil {
					t.Fatal(err)
				}
				if deptAfter != deptBefore {
					t.Fatalf("the refused import changed department medsec: %s", deptAfter)
				}
				// The recorded definition is the original one: cases keep it.
				var def string
				if err := e.db.RawRead().QueryRow(`SELECT definition FROM matters WHERE code = 'MED-002' AND version = 1`).Scan(&def); err != nil {
					t.Fatal(err)
				}
				if strings.Contains(def, `"promised_limit":`+strconv.Itoa(changed.PromisedLimit)+`,`) {
					t.Fatalf("the refused import replaced MED-002 v1")
				}
			})
		}
	})
}
