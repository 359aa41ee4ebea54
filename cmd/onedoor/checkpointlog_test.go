package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/audit"
)

// TestCheckpointLogAppend: the log is created 0600 (with its folder), takes
// one verifiable line per checkpoint, and a torn last line left by a crash
// stays one bad line instead of spoiling the next checkpoint.
func TestCheckpointLogAppend(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	path := filepath.Join(t.TempDir(), "shipped", "checkpoints.jsonl")
	l := &checkpointLog{path: path, pub: pub}
	at := time.Date(2026, 3, 2, 1, 0, 0, 123456000, time.UTC)
	for seq := int64(1); seq <= 2; seq++ {
		if err := l.append(audit.SignCheckpoint(key, seq, fmt.Sprintf("%064d", seq), at)); err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("the checkpoint log has mode %#o, want 0600", perm)
	}
	// A crash in the middle of the third line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":3,"hash":"00`)
	f.Close()
	if err := l.append(audit.SignCheckpoint(key, 4, fmt.Sprintf("%064d", 4), at)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("the log has %d lines, want 4:\n%s", len(lines), b)
	}
	for i, want := range []int64{1, 2, 0, 4} {
		var e audit.LogEntry
		err := json.Unmarshal([]byte(lines[i]), &e)
		if want == 0 {
			if err == nil {
				t.Errorf("line %d = %s; want the torn line", i+1, lines[i])
			}
			continue
		}
		if err != nil || e.Seq != want || !e.Verify(pub) || e.Key != audit.KeyID(pub) {
			t.Errorf("line %d = %s (%v); want the signed checkpoint %d", i+1, lines[i], err, want)
		}
	}
}

// testCheckpointLog checks the checkpoint log the server of TestEndToEnd
// wrote to the data folder, and `audit verify` against it on copies: the
// attack the database's own checkpoints cannot show (the chain rewritten
// after event k and the checkpoints after k deleted) fails against the
// log; a changed line is named by its number.
func testCheckpointLog(t *testing.T, data string) {
	path := filepath.Join(data, "checkpoints.jsonl")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("serve wrote no checkpoint log: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %#o, want 0600", path, perm)
	}
	lines := readLines(t, path)
	if len(lines) == 0 {
		t.Fatal("the checkpoint log is empty")
	}
	var last audit.LogEntry
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last line %s: %v", lines[len(lines)-1], err)
	}

	r := exe(t, "", nil, "audit", "verify", "--data", data)
	wantOutput(t, r, 0, "ok: ", fmt.Sprintf("ok: %s published in %s (the default checkpoint log", count(len(lines), "checkpoint"), path))

	t.Run("chain rewritten and the database's checkpoints deleted", func(t *testing.T) {
		dir := copyDir(t, data)
		number := rewriteChainFrom(t, dir, last.Seq)
		shipped := filepath.Join(t.TempDir(), "shipped.jsonl")
		if err := os.Rename(filepath.Join(dir, "checkpoints.jsonl"), shipped); err != nil {
			t.Fatal(err)
		}
		// The gap: the database alone cannot show it, and the output says
		// that no log was checked.
		r := exe(t, "", nil, "audit", "verify", "--data", dir)
		wantOutput(t, r, 0, "ok: ", "warning: no checkpoint log at "+filepath.Join(dir, "checkpoints.jsonl"))
		r = exe(t, "", nil, "audit", "verify", "--data", dir, "--checkpoints", shipped)
		wantOutput(t, r, 1,
			fmt.Sprintf("FAIL: altered: line %d of %s: event %d (case %s) does not match the checkpoint published there", len(lines), shipped, last.Seq, number),
			fmt.Sprintf("FAIL: checkpoint: line %d of %s: the checkpoint at event %d published there is missing from the database", len(lines), shipped, last.Seq),
			"checked against "+shipped)
		t.Logf("%s", r.stdout)
	})
	t.Run("line changed", func(t *testing.T) {
		dir := copyDir(t, data)
		ck := filepath.Join(dir, "checkpoints.jsonl")
		lines := readLines(t, ck)
		lines[0] = strings.Replace(lines[0], `"seq":`, `"seq":1`, 1)
		if err := os.WriteFile(ck, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := exe(t, "", nil, "audit", "verify", "--data", dir)
		wantOutput(t, r, 1, "FAIL: checkpoint: line 1 of "+ck+": the checkpoint at event 1", "has an invalid signature")
		if strings.Contains(r.stdout, "line 2 ") {
			t.Errorf("an untouched line is reported:\n%s", r)
		}
	})
	t.Run("named log missing", func(t *testing.T) {
		r := exe(t, "", nil, "audit", "verify", "--data", data, "--checkpoints", filepath.Join(data, "no-such.jsonl"))
		if r.code == 0 || !strings.Contains(r.stderr, "no-such.jsonl") {
			t.Errorf("audit verify with a missing --checkpoints file: %s", r)
		}
	})
}

func wantOutput(t *testing.T, r result, code int, fragments ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d", r.code, code)
	}
	for _, f := range fragments {
		if !strings.Contains(r.stdout, f) {
			t.Errorf("the output does not say %q:\n%s", f, r)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// rewriteChainFrom does what an attacker with write access to the database
// file (and without the signing key) can: it changes the note of event
// seq, rehashes the chain from there, and deletes the checkpoints that
// would give it away. It returns the case number of event seq.
func rewriteChainFrom(t *testing.T, dir string, seq int64) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "onedoor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, case_id, case_number, version, type, status, step, at, command, state_hash, prev_hash, hash FROM events WHERE seq >= ? - 1 ORDER BY seq`, seq)
	if err != nil {
		t.Fatal(err)
	}
	var evs []onedoor.Event
	for rows.Next() {
		var e onedoor.Event
		var typ, status, at, cmd string
		if err := rows.Scan(&e.Seq, &e.CaseID, &e.CaseNumber, &e.Version, &typ, &status, &e.Step, &at, &cmd, &e.StateHash, &e.PrevHash, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.Type, e.Status = onedoor.Action(typ), onedoor.Status(status)
		if e.At, err = time.Parse("2006-01-02T15:04:05.000000Z", at); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(cmd), &e.Command); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
	rows.Close()
	prev := ""
	if len(evs) > 0 && evs[0].Seq == seq-1 {
		prev, evs = evs[0].Hash, evs[1:]
	}
	if len(evs) == 0 || evs[0].Seq != seq {
		t.Fatalf("no event %d to rewrite", seq)
	}
	evs[0].Command.Note = "rewritten behind Onedoor's back"
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range evs {
		e := &evs[i]
		e.PrevHash = prev
		e.Hash = audit.Hash(prev, e)
		prev = e.Hash
		cmd, err := json.Marshal(e.Command)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`UPDATE events SET command = ?, prev_hash = ?, hash = ? WHERE seq = ?`, string(cmd), e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(`UPDATE chain_head SET hash = ? WHERE id = 1`, prev); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`DELETE FROM checkpoints WHERE seq >= ?`, seq); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return evs[0].CaseNumber
}
