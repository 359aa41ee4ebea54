package sqldb_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/pii"
	"onedoor/sqldb"
)

// clock is an injectable test clock.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(s string) *clock {
	c := &clock{}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
	if err != nil {
		panic(err)
	}
	c.t.Store(&t)
	return c
}
func (c *clock) Now() time.Time { return *c.t.Load() }
func (c *clock) Set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
	if err != nil {
		panic(err)
	}
	c.t.Store(&t)
}

// env is one store under test with its clock.
type env struct {
	db    *sqldb.DB
	clock *clock
	dsn   string
	keys  pii.Keys
	sign  ed25519.PrivateKey
}

var dbSeq atomic.Int64

// forEachDB runs body against a fresh SQLite store and, when
// ONEDOOR_TEST_POSTGRES names a server, against a fresh PostgreSQL database:
// the same storage tests on both engines.
func forEachDB(t *testing.T, body func(t *testing.T, e *env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		body(t, openEnv(t, filepath.Join(t.TempDir(), "onedoor.db")))
	})
	pg := os.Getenv("ONEDOOR_TEST_POSTGRES")
	t.Run("postgres", func(t *testing.T) {
		if pg == "" {
			t.Skip("ONEDOOR_TEST_POSTGRES is not set; scripts/test sets it")
		}
		body(t, openEnv(t, freshPostgres(t, pg)))
	})
}

// freshPostgres creates a new database on the server and drops it after the test.
func freshPostgres(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("onedoor_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func openEnv(t testing.TB, dsn string) *env {
	t.Helper()
	keys, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, sign, _ := ed25519.GenerateKey(rand.Reader)
	e := &env{clock: newClock("2026-03-02 09:00"), dsn: dsn, keys: keys, sign: sign}
	e.db = e.open(t)
	return e
}

func (e *env) open(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), sqldb.Config{DSN: e.dsn, Keys: e.keys, Sign: e.sign,
		Calendar: calendar.Official(), Catalog: catalog.Builtin(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.ImportCatalog(context.Background(), catalog.Builtin()); err != nil {
		t.Fatal(err)
	}
	return db
}

// Synthetic applicants only: ID numbers made here with valid check characters.
func idNumber(region, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	return first + string(onedoor.IDCheckChar(first))
}

func person(name, birth string, seq int) onedoor.Applicant {
	return onedoor.Applicant{Subject: onedoor.Natural, IDNumber: idNumber("440604", birth, seq), Name: name, Phone: "13800138000"}
}

var (
	clerk = onedoor.Actor{StaffID: 1, Name: "窗口一号", Role: onedoor.RoleClerk}
)

func officer(dept string) onedoor.Actor {
	return onedoor.Actor{StaffID: 2, Name: "officer of " + dept, Role: onedoor.RoleOfficer, Department: dept}
}

func leader(dept string) onedoor.Actor {
	return onedoor.Actor{StaffID: 3, Name: "leader of " + dept, Role: onedoor.RoleLeader, Department: dept}
}

func wantCode(t *testing.T, err error, code string, fragment string) {
	t.Helper()
	if onedoor.ErrorCode(err) != code {
		t.Fatalf("error = %v; want code %s", err, code)
	}
	if fragment != "" && !strings.Contains(onedoor.ErrorMessage(err)+" "+onedoor.ErrorField(err), fragment) {
		t.Fatalf("error %q does not mention %q", onedoor.ErrorMessage(err), fragment)
	}
}

func onedoorIntake(matter string, a onedoor.Applicant, materials []string) onedoor.IntakeRequest {
	return onedoor.IntakeRequest{Matter: matter, Applicant: a, Materials: materials, Actor: clerk}
}
