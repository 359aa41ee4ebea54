package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor"
)

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeDefaults runs "onedoor serve" with no flags in an empty working
// directory, as someone trying Onedoor for the first time would: it must
// create ./data with the database, a private secrets file and the first
// administrator's token, say which defaults it used, and keep ID and phone
// numbers out of the database file and the log.
func TestServeDefaults(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t) // 8080 may be taken; the environment variable is the configuration under test
	srv := startServer(t, dir, []string{"ONEDOOR_ADDR=" + addr})
	if srv.url != "http://"+addr {
		t.Errorf("listening on %s; ONEDOOR_ADDR said %s", srv.url, addr)
	}

	if info, err := os.Stat(data); err != nil || !info.IsDir() {
		t.Fatalf("./data was not created: %v", err)
	} else if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("./data has mode %#o; others may read it", perm)
	}
	if _, err := os.Stat(filepath.Join(data, "onedoor.db")); err != nil {
		t.Errorf("no SQLite database in ./data: %v", err)
	}
	for _, name := range []string{"secrets", "admin.token", "onedoor.db"} {
		info, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Errorf("./data/%s: %v", name, err)
			continue
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("./data/%s has mode %#o, want 0600", name, perm)
		}
	}
	secrets, err := os.ReadFile(filepath.Join(data, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	tokenFile, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	adminToken := strings.TrimSpace(string(tokenFile))

	wants := []string{"created data folder", "generated new secrets", "built-in catalog", "embedded SQLite", "first administrator", "admin.token"}
	// stderr is copied from a pipe by os/exec; lines written before the
	// "listening" line on stdout may still be on their way.
	log := srv.stderr.String()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); log = srv.stderr.String() {
		if containsAll(log, wants) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(log, want) {
			t.Errorf("the log does not mention %q:\n%s", want, log)
		}
	}
	if adminToken == "" || strings.Contains(log, adminToken) {
		t.Errorf("admin token %q is empty or in the log", adminToken)
	}

	var me onedoor.Staff
	srv.do("GET", "/api/v1/me", adminToken, nil, 200, &me)
	if me.Role != onedoor.RoleAdmin || me.Username != "admin" {
		t.Errorf("the admin token is %+v", me)
	}

	// A clerk added from the command line while the server runs, on the same
	// default folder, then one intake.
	clerk := addStaffIn(t, dir, nil, "window1", "clerk", "")
	id := idNumber("440604", "19880707", 321)
	phone := "13912345678"
	var rc onedoor.Receipt
	srv.do("POST", "/api/v1/intake", clerk, onedoor.IntakeRequest{Matter: "CIV-010",
		Applicant: onedoor.Applicant{Subject: onedoor.Natural, IDNumber: id, Name: "赵一", Phone: phone},
		Materials: []string{"application", "income_declaration", "hukou_book", "authorisation"}}, 201, &rc)
	if len(rc.Cases) != 1 || rc.Cases[0].Status != onedoor.StatusInProgress {
		t.Fatalf("receipt: %+v", rc)
	}
	var found struct {
		Person onedoor.Person `json:"person"`
	}
	srv.do("POST", "/api/v1/applicants/lookup", clerk, map[string]string{"subject": "natural", "id_number": id}, 200, &found)
	if found.Person.IDMasked == "" || strings.Contains(found.Person.IDMasked, id) {
		t.Errorf("lookup shows the ID number as %q", found.Person.IDMasked)
	}

	noPlainNumbers := func(when string) {
		t.Helper()
		files := map[string][]byte{"server log": []byte(srv.stderr.String() + srv.stdout.String())}
		for _, name := range []string{"onedoor.db", "onedoor.db-wal"} {
			if b, err := os.ReadFile(filepath.Join(data, name)); err == nil {
				files[name] = b
			}
		}
		if len(files) < 2 {
			t.Fatalf("%s: no database file to inspect", when)
		}
		// Control: the applicant's name is stored as it is, so the bytes
		// read are the bytes the intake wrote.
		if !bytes.Contains(append(files["onedoor.db"], files["onedoor.db-wal"]...), []byte("赵一")) {
			t.Fatalf("%s: the database files do not hold the applicant's name; they are not what was written", when)
		}
		for name, b := range files {
			for _, plain := range []string{id, phone} {
				if bytes.Contains(b, []byte(plain)) {
					t.Errorf("%s: %s holds %s in plain text", when, name, plain)
				}
			}
		}
	}
	noPlainNumbers("while serving")
	srv.stop()
	noPlainNumbers("after shutdown")

	// The environment names an address already in use: serve fails, naming it.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := []string{"ONEDOOR_ADDR=" + busy.Addr().String()}
	failed, err := tryStartServer(t, dir, env)
	if failed == nil {
		t.Fatal(err)
	}
	if err == nil {
		failed.stop()
		t.Fatalf("serve listened on %s although ONEDOOR_ADDR=%s is taken", failed.url, busy.Addr())
	}
	if !strings.Contains(failed.stderr.String(), busy.Addr().String()) {
		t.Errorf("serve on a taken address does not name it:\n%s", failed.stderr)
	}

	// The flag wins over the environment; the second start reuses the
	// secrets and creates no second administrator.
	again := startServer(t, dir, env, "--addr", "127.0.0.1:0")
	if again.url == "http://"+busy.Addr().String() {
		t.Errorf("serve --addr 127.0.0.1:0 listened on ONEDOOR_ADDR %s", again.url)
	}
	again.do("GET", "/api/v1/me", adminToken, nil, 200, &me)
	again.stop()
	if log := again.stderr.String(); strings.Contains(log, "generated new secrets") || strings.Contains(log, "first administrator") {
		t.Errorf("the second start generated secrets or an administrator again:\n%s", log)
	}
	if b, _ := os.ReadFile(filepath.Join(data, "secrets")); !bytes.Equal(b, secrets) {
		t.Error("the second start changed the secrets file")
	}
	if b, _ := os.ReadFile(filepath.Join(data, "admin.token")); !bytes.Equal(b, tokenFile) {
		t.Error("the second start changed admin.token")
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
