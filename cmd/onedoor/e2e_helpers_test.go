package main

// Helpers for the end-to-end tests: they build the real binary once, run it
// as a subprocess on a temporary data folder and talk to it over HTTP, the
// way an operator and the window's front end do.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the path of the onedoor binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "onedoor-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "onedoor")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build:", err)
		return 1
	}
	return m.Run()
}

// cmdEnv is the test process's environment without any ONEDOOR_* variable,
// plus extra: the binary sees only the configuration a test gives it.
func cmdEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONEDOOR_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// result is what a finished onedoor command printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// exe runs the onedoor binary to completion in dir (the test's working
// directory when empty) with the given environment additions.
func exe(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = cmdEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("onedoor %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	return r
}

// mustRun runs a command that has to succeed.
func mustRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	r := exe(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("onedoor %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// addStaff creates a staff account on the data folder and returns the API
// token the command prints once, on the line after "shown once:".
//
// The flags come before the verb: the documented order ("staff add
// --username …") does not parse, see TestFlagsAfterVerb.
func addStaff(t *testing.T, data, username, role, dept string) string {
	t.Helper()
	return addStaffIn(t, "", []string{"--data", data}, username, role, dept)
}

// addStaffIn is addStaff run in the working directory dir with the given
// configuration flags.
func addStaffIn(t *testing.T, dir string, flags []string, username, role, dept string) string {
	t.Helper()
	args := append([]string{"staff"}, flags...)
	args = append(args, "--username", username, "--name", "Synthetic "+username, "--role", role)
	if dept != "" {
		args = append(args, "--department", dept)
	}
	r := mustRun(t, dir, nil, append(args, "add")...)
	_, after, ok := strings.Cut(r.stdout, "shown once:")
	token := strings.TrimSpace(after)
	if !ok || token == "" || strings.ContainsAny(token, " \n") {
		t.Fatalf("staff add printed no token line:\n%s", r)
	}
	return token
}

// syncBuffer is a bytes.Buffer safe for the copying goroutine of exec.Cmd
// and the test reading it at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running "onedoor serve".
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string // http://host:port
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{}
	err    error // of cmd.Wait, once done is closed
}

// startServer runs "onedoor serve args…" in dir and waits for the line
// "Onedoor listening on http://ADDR". The process is killed when the test
// ends, unless stop ended it first.
func startServer(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	s, err := tryStartServer(t, dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tryStartServer is startServer returning the failure, with what the
// process printed, instead of failing the test; the server is returned
// either way, so that its exit status and output can be inspected.
func tryStartServer(t *testing.T, dir string, env []string, args ...string) (*server, error) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = cmdEnv(env...)
	s := &server{t: t, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
	})
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			s.stdout.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "Onedoor listening on "); ok {
				select {
				case addr <- strings.TrimSpace(u):
				default:
				}
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		<-copied // Wait closes the pipe: read it all first
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case s.url = <-addr:
		return s, nil
	case <-s.done:
		return s, fmt.Errorf("onedoor serve exited before listening (%v)\nstdout:\n%s\nstderr:\n%s", s.err, s.stdout, s.stderr)
	case <-time.After(20 * time.Second):
		return s, fmt.Errorf("onedoor serve printed no listening line within 20s\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
	}
}

// stop sends SIGINT and requires a clean exit (status 0) within 5 seconds.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		s.t.Fatalf("SIGINT: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Fatalf("onedoor serve did not exit within 5s of SIGINT\nstderr:\n%s", s.stderr)
	}
	if s.err != nil {
		s.t.Fatalf("onedoor serve after SIGINT: %v (want exit status 0)\nstderr:\n%s", s.err, s.stderr)
	}
}

var httpClient = &http.Client{Timeout: 15 * time.Second}

// call sends a JSON request (body nil for none) with an optional bearer
// token and returns the status and the raw response body.
func (s *server) call(method, path, token string, body any) (int, []byte) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v\nserver stderr:\n%s", method, path, err, s.stderr)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

// do is call that requires status want and decodes the body into out
// (when out is not nil); it returns the raw body.
func (s *server) do(method, path, token string, body any, want int, out any) []byte {
	s.t.Helper()
	status, raw := s.call(method, path, token, body)
	if status != want {
		s.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return raw
}

// apiError is the JSON shape of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"error"`
}

// copyDir copies the regular files of src into a new folder and returns it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
