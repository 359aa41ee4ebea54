package http_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	odhttp "onedoor/http"
	"onedoor/pii"
	"onedoor/sqldb"
)

// apiClock is the store's injectable clock: every test day is a fixed
// working day, so due dates and ages do not drift with the wall clock.
type apiClock struct{ t atomic.Pointer[time.Time] }

func newAPIClock(s string) *apiClock {
	c := &apiClock{}
	c.Set(s)
	return c
}

func (c *apiClock) Now() time.Time { return *c.t.Load() }

// Add moves the clock on by d.
func (c *apiClock) Add(d time.Duration) {
	t := c.Now().Add(d)
	c.t.Store(&t)
}

func (c *apiClock) Set(s string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
	if err != nil {
		panic(err)
	}
	c.t.Store(&t)
}

// apiEnv is one store behind the real server, with a staff account (and
// its bearer token) for every role the API knows.
type apiEnv struct {
	db     *sqldb.DB
	srv    *httptest.Server
	clock  *apiClock
	tokens map[string]string // "clerk", "officer/street", "leader/civil", "supervisor", …
}

// The accounts every apiEnv has, keyed as in apiEnv.tokens.
var staffAccounts = []onedoor.Staff{
	{Username: "clerk1", Name: "窗口一号", Role: onedoor.RoleClerk},
	{Username: "officer.street", Name: "街道经办", Role: onedoor.RoleOfficer, Department: "street"},
	{Username: "leader.street", Name: "街道领导", Role: onedoor.RoleLeader, Department: "street"},
	{Username: "officer.civil", Name: "民政经办", Role: onedoor.RoleOfficer, Department: "civil"},
	{Username: "leader.civil", Name: "民政领导", Role: onedoor.RoleLeader, Department: "civil"},
	{Username: "supervisor1", Name: "电子监察", Role: onedoor.RoleSupervisor},
	{Username: "analyst1", Name: "数据分析", Role: onedoor.RoleAnalyst},
	{Username: "admin1", Name: "系统管理", Role: onedoor.RoleAdmin},
}

func staffKey(s onedoor.Staff) string {
	if s.Department != "" {
		return string(s.Role) + "/" + s.Department
	}
	return string(s.Role)
}

var pgSeq atomic.Int64

// forEachStore runs body against the real server on a fresh SQLite store
// and, when ONEDOOR_TEST_POSTGRES names a server, on a fresh PostgreSQL
// database: the same API scenarios on both engines.
func forEachStore(t *testing.T, body func(t *testing.T, e *apiEnv)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		body(t, newAPIEnv(t, filepath.Join(t.TempDir(), "onedoor.db")))
	})
	pg := os.Getenv("ONEDOOR_TEST_POSTGRES")
	t.Run("postgres", func(t *testing.T) {
		if pg == "" {
			t.Skip("ONEDOOR_TEST_POSTGRES is not set; scripts/test sets it")
		}
		body(t, newAPIEnv(t, freshPostgresDB(t, pg)))
	})
}

// freshPostgresDB creates a new database on the server and drops it after the test.
func freshPostgresDB(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("onedoor_httptest_%d_%d", os.Getpid(), pgSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
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

func newAPIEnv(t testing.TB, dsn string) *apiEnv {
	t.Helper()
	ctx := context.Background()
	keys, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2 March 2026, a working day.
	e := &apiEnv{clock: newAPIClock("2026-03-02 09:00"), tokens: map[string]string{}}
	e.db, err = sqldb.Open(ctx, sqldb.Config{DSN: dsn, Keys: keys, Sign: sign,
		Calendar: calendar.Official(), Catalog: catalog.Builtin(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	if _, err := e.db.ImportCatalog(ctx, catalog.Builtin()); err != nil {
		t.Fatal(err)
	}
	for _, s := range staffAccounts {
		tok, err := e.db.CreateStaff(ctx, &s)
		if err != nil {
			t.Fatalf("create staff %s: %v", s.Username, err)
		}
		e.tokens[staffKey(s)] = tok
	}
	e.srv = httptest.NewServer(odhttp.NewServer(e.db, nil))
	t.Cleanup(e.srv.Close)
	return e
}

// idNumber makes a synthetic, valid resident ID number.
func idNumber(region, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", region, birth, seq%1000)
	return first + string(onedoor.IDCheckChar(first))
}

// wrongCheck is id with its check character replaced by a wrong one.
func wrongCheck(id string) string {
	good := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != good {
			return id[:17] + string(c)
		}
	}
	panic("unreachable")
}

// uscc makes a synthetic unified social credit code valid under GB 32100:
// 91 (enterprise, company), a region, an organisation code with its own
// check character, then the code's check character.
func uscc(region string, seq int) string {
	org8 := fmt.Sprintf("MA%06d", seq)
	first := "91" + region + org8 + string(onedoor.OrgCodeCheckChar(org8))
	return first + string(onedoor.USCCCheckChar(first))
}

// wrongUSCCCheck is code with its 18th character replaced by a wrong one.
func wrongUSCCCheck(code string) string {
	if code[17] == '0' {
		return code[:17] + "1"
	}
	return code[:17] + "0"
}

// response is what a call returned.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) String() string {
	return fmt.Sprintf("HTTP %d %s", r.Status, truncate(string(r.Body), 600))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
}

// decodeInto unmarshals the body into v or fails the test.
func (r *response) decodeInto(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// apiError is the JSON shape of every error.
type apiError struct {
	Error *struct {
		Code    string  `json:"code"`
		Field   *string `json:"field"`
		Message string  `json:"message"`
	} `json:"error"`
}

// request is one call to make.
type request struct {
	Method  string
	Path    string
	Token   string // a key of apiEnv.tokens, or "raw:<Authorization header>"
	Body    []byte // sent as is; nil for no body
	Header  map[string]string
	Address string // client source address on the loopback net (default 127.0.0.1)
}

// clients keeps one client per source address, so that tests can appear
// to come from different machines (the tracking throttle counts per address).
var (
	clientsMu sync.Mutex
	clients   = map[string]*http.Client{}
)

func clientFrom(addr string) *http.Client {
	if addr == "" {
		addr = "127.0.0.1"
	}
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[addr]; ok {
		return c
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 10 * time.Second}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, ExpectContinueTimeout: 5 * time.Second}, Timeout: 30 * time.Second}
	clients[addr] = c
	return c
}

// httpRequest builds the request as it goes on the wire; base is the
// server URL ("" for a request that is only validated).
func (e *apiEnv) httpRequest(t testing.TB, base string, rq request) *http.Request {
	t.Helper()
	var body io.Reader
	if rq.Body != nil {
		body = bytes.NewReader(rq.Body)
	}
	req, err := http.NewRequest(rq.Method, base+rq.Path, body)
	if err != nil {
		t.Fatalf("build %s %s: %v", rq.Method, rq.Path, err)
	}
	if rq.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(rq.Token, "raw:"):
		req.Header.Set("Authorization", strings.TrimPrefix(rq.Token, "raw:"))
	case rq.Token != "":
		tok, ok := e.tokens[rq.Token]
		if !ok {
			t.Fatalf("no staff account %q", rq.Token)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range rq.Header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// do sends the request to the real server.
func (e *apiEnv) do(t testing.TB, rq request) *response {
	t.Helper()
	req := e.httpRequest(t, e.srv.URL, rq)
	resp, err := clientFrom(rq.Address).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", rq.Method, rq.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", rq.Method, rq.Path, err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// mustJSON marshals v or panics (test data only).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// snapshot is a digest of every row of the tables a request may change,
// with row counts for readable failures.
type snapshot struct {
	Counts map[string]int
	Digest map[string]string
}

// snapshotTables are the tables a refused request must leave alone.
var snapshotTables = []struct{ name, order string }{
	{"cases", "id"}, {"events", "seq"}, {"persons", "id"}, {"orgs", "id"}, {"licences", "id"},
	{"outbox", "id"}, {"staff", "id"}, {"chain_head", "id"}, {"counters", "name"}, {"checkpoints", "seq"},
	{"cards", "id"}, {"ratings", "id"}, {"rectifications", "id"}, {"complaints", "id"}, {"supervision_log", "seq"},
}

// takeSnapshot reads every row of the snapshot tables through the read pool.
func takeSnapshot(t testing.TB, db *sqldb.DB) snapshot {
	t.Helper()
	s := snapshot{Counts: map[string]int{}, Digest: map[string]string{}}
	for _, tb := range snapshotTables {
		rows, err := db.RawRead().Query(`SELECT * FROM ` + tb.name + ` ORDER BY ` + tb.order)
		if err != nil {
			t.Fatalf("snapshot %s: %v", tb.name, err)
		}
		cols, _ := rows.Columns()
		h := sha256.New()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("snapshot %s: %v", tb.name, err)
			}
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(h, "%v\x1f", v)
			}
			h.Write([]byte{'\n'})
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("snapshot %s: %v", tb.name, err)
		}
		rows.Close()
		s.Counts[tb.name] = n
		s.Digest[tb.name] = hex.EncodeToString(h.Sum(nil))
	}
	return s
}

// diff names the tables that differ between two snapshots.
func (s snapshot) diff(o snapshot) string {
	var out []string
	for _, tb := range snapshotTables {
		if s.Digest[tb.name] != o.Digest[tb.name] {
			out = append(out, fmt.Sprintf("%s (%d rows → %d)", tb.name, s.Counts[tb.name], o.Counts[tb.name]))
		}
	}
	return strings.Join(out, ", ")
}
