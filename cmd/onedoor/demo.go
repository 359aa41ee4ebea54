package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/internal/district"
	"onedoor/sqldb"
	"onedoor/synth"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fl := newFlags("demo", "[--people N] [--years Y] [--seed S] [--regenerate] [flags]", stderr)
	c.bind(fl)
	fl.StringVar(&c.addr, "addr", env("ONEDOOR_ADDR", "127.0.0.1:8080"), "address to listen on (env ONEDOOR_ADDR)")
	people := fl.Int("people", 20000, "residents of the synthetic district (1330000 = Chancheng)")
	years := fl.Int("years", 1, "years of case history")
	seed := fl.Int64("seed", 1, "random seed; the same seed gives the same district")
	regenerate := fl.Bool("regenerate", false, "delete the data folder's database and generate a new district")
	noServe := fl.Bool("no-serve", false, "generate and exit without serving")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *people < 100 || *people > 30_000_000 {
		return fmt.Errorf("--people must be between 100 and 30000000")
	}
	if *years < 1 || *years > 10 {
		return fmt.Errorf("--years must be between 1 and 10")
	}
	log := c.logger(stderr)
	dbFile := filepath.Join(c.data, "onedoor.db")
	if *regenerate && c.db == "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(dbFile + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		os.Remove(filepath.Join(c.data, "demo-logins.txt"))
	}
	db, sec, err := c.openStore(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	loaded, err := hasCases(ctx, db)
	if err != nil {
		return err
	}
	if loaded {
		fmt.Fprintf(stdout, "Reusing the district in %s (use --regenerate for a new one).\n", c.data)
	} else {
		if err := generate(ctx, db, *people, *years, *seed, stdout); err != nil {
			return err
		}
		if err := createDemoStaff(ctx, db, c.data); err != nil {
			return err
		}
	}
	logins, _ := os.ReadFile(filepath.Join(c.data, "demo-logins.txt"))
	fmt.Fprintf(stdout, "\nDemo staff (also in %s):\n%s\n", filepath.Join(c.data, "demo-logins.txt"), logins)
	if *noServe {
		return nil
	}
	return serve(ctx, &c, db, sec, log, stdout)
}

func hasCases(ctx context.Context, db *sqldb.DB) (bool, error) {
	cs, err := db.FindCases(ctx, onedoor.CaseFilter{Limit: 1})
	return len(cs) > 0, err
}

// generate builds the synthetic district and bulk-loads it, with progress.
func generate(ctx context.Context, db *sqldb.DB, people, years int, seed int64, stdout io.Writer) error {
	end := time.Now().In(calendar.Location)
	bar := newProgress(stdout, fmt.Sprintf("Generating a district of %d residents, %d year(s) of cases", people, years))
	start := time.Now()
	stats, err := district.Generate(ctx, db, synth.Config{People: people, Years: years, End: end, Seed: seed, Catalog: db.Catalog(), Calendar: db.Calendar()}, bar.update)
	if err != nil {
		return err
	}
	bar.done()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "Loaded %d residents, %d organisations, %d cases, %d events, %d e-licences in %.1fs (%.0f cases/s).\n",
		stats.People, stats.Orgs, stats.Cases, stats.Events, stats.Licences, secs, float64(stats.Cases)/secs)
	return nil
}

// demoStaff are the accounts `onedoor demo` creates: every role, several departments.
var demoStaff = []onedoor.Staff{
	{Username: "clerk", Name: "窗口 王芳", Role: onedoor.RoleClerk},
	{Username: "street", Name: "街道 李明", Role: onedoor.RoleOfficer, Department: "street"},
	{Username: "civil", Name: "民政 陈静", Role: onedoor.RoleOfficer, Department: "civil"},
	{Username: "civil-lead", Name: "民政科长 黄伟", Role: onedoor.RoleLeader, Department: "civil"},
	{Username: "hrss", Name: "人社 周丽", Role: onedoor.RoleOfficer, Department: "hrss"},
	{Username: "hrss-lead", Name: "人社科长 吴强", Role: onedoor.RoleLeader, Department: "hrss"},
	{Username: "medsec", Name: "医保 郑敏", Role: onedoor.RoleOfficer, Department: "medsec"},
	{Username: "medsec-lead", Name: "医保科长 孙杰", Role: onedoor.RoleLeader, Department: "medsec"},
	{Username: "mkt", Name: "市场监管 刘洋", Role: onedoor.RoleOfficer, Department: "mkt"},
	{Username: "supervisor", Name: "监察 何平", Role: onedoor.RoleSupervisor},
	{Username: "analyst", Name: "分析 林娜", Role: onedoor.RoleAnalyst},
	{Username: "admin2", Name: "管理员 冯刚", Role: onedoor.RoleAdmin},
}

// demoPassword is the password of every demo account: a synthetic district
// on a developer's machine, never a real one.
const demoPassword = "onedoor-demo"

// createDemoStaff creates the demo accounts with the demo password and
// writes their logins and API tokens to DATA/demo-logins.txt (0600).
func createDemoStaff(ctx context.Context, db *sqldb.DB, data string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Sign in at /login with a username below and the password %q.\n", demoPassword)
	fmt.Fprintf(&sb, "%-12s %-10s %-8s %s\n", "username", "role", "dept", "API token (Authorization: Bearer …)")
	for _, s := range demoStaff {
		s := s
		token, err := db.CreateStaff(ctx, &s)
		if err != nil {
			return fmt.Errorf("demo staff %s: %w", s.Username, err)
		}
		if err := db.SetStaffPassword(ctx, s.ID, demoPassword); err != nil {
			return fmt.Errorf("demo staff %s: %w", s.Username, err)
		}
		fmt.Fprintf(&sb, "%-12s %-10s %-8s %s\n", s.Username, s.Role, s.Department, token)
	}
	return os.WriteFile(filepath.Join(data, "demo-logins.txt"), []byte(sb.String()), 0o600)
}

// progress draws a one-line progress bar on a terminal-like writer.
type progress struct {
	w     io.Writer
	title string
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, title string) *progress {
	fmt.Fprintln(w, title)
	return &progress{w: w, title: title, start: time.Now()}
}

func (p *progress) update(done, total int) {
	if total <= 0 || (time.Since(p.last) < 200*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	const width = 30
	n := done * width / total
	fmt.Fprintf(p.w, "\r  [%s%s] %3d%%  %d/%d  %.0fs", strings.Repeat("#", n), strings.Repeat(".", width-n), done*100/total, done, total, time.Since(p.start).Seconds())
}

func (p *progress) done() { fmt.Fprintln(p.w) }
