package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"slices"
	"strings"

	"onedoor"
	"onedoor/audit"
	"onedoor/sqldb"
)

// openWithFlags parses a command that takes only the shared flags and
// opens the store.
func openWithFlags(ctx context.Context, name string, args []string, stderr io.Writer) (*sqldb.DB, error) {
	var c config
	fs := newFlags(name, "[flags]", stderr)
	c.bind(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, exitError(2)
	}
	db, _, err := c.openStore(ctx, c.logger(stderr))
	return db, err
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	db, err := openWithFlags(ctx, "migrate", args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.MigrateTo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d on %s\n", v, db.Dialect())
	return nil
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("audit", "verify [--checkpoints FILE]... [flags]", stderr)
	c.bind(fs)
	var logs []string
	fs.Func("checkpoints", "checkpoint log to verify against (repeatable, one per node); default DATA/checkpoints.jsonl or --checkpoint-log, when it exists", func(s string) error {
		logs = append(logs, s)
		return nil
	})
	verb, rest, err := verbFirst(fs, args)
	if err != nil {
		return err
	}
	if verb != "verify" || len(rest) > 0 {
		fs.Usage()
		return exitError(2)
	}
	log := c.logger(stderr)
	db, _, err := c.openStore(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()

	// The logs are read before the database: whatever they hold committed
	// before, so a server writing meanwhile raises no false alarm.
	note := ""
	if len(logs) == 0 {
		path := c.checkpointLogPath()
		switch _, err := os.Stat(path); {
		case err == nil:
			logs = []string{path}
			note = " (the default checkpoint log; --checkpoints FILE names another)"
		case errors.Is(err, iofs.ErrNotExist):
		default:
			return err
		}
	}
	var published *audit.LogChecker
	if len(logs) > 0 {
		published = audit.NewLogChecker(db.PublicKey())
		for _, name := range logs {
			if err := readCheckpointLog(published, name); err != nil {
				return err
			}
		}
	}
	rep, err := db.VerifyAuditAgainst(ctx, published)
	if err != nil {
		return err
	}
	if rep.Chain != nil {
		fmt.Fprintf(stdout, "FAIL: event #%d %s: %s\n", rep.Chain.Seq, rep.Chain.Kind, rep.Chain.Message)
	}
	for _, c := range rep.Cases {
		fmt.Fprintf(stdout, "FAIL: %s\n", c)
	}
	for _, p := range rep.Log {
		fmt.Fprintf(stdout, "FAIL: %s: %s\n", p.Kind, p.Message)
	}
	if rep.LogMore > 0 {
		fmt.Fprintf(stdout, "FAIL: %d more problems against the checkpoint log\n", rep.LogMore)
	}
	logs = slices.Clone(logs)
	for i, name := range logs {
		logs[i] = name + note
	}
	if !rep.OK() {
		if published != nil {
			fmt.Fprintf(stdout, "checked against %s: %s in %s\n", strings.Join(logs, ", "), count(rep.Published, "checkpoint"), count(published.Lines(), "line"))
		}
		return exitError(1)
	}
	fmt.Fprintf(stdout, "ok: %d events chained, %d signed checkpoints, every case row matches its last event\n", rep.Events, rep.Checkpoints)
	if published == nil {
		fmt.Fprintf(stdout, "warning: no checkpoint log at %s: only the checkpoints inside the database were checked, and whoever can write the database can delete those (name a copy with --checkpoints FILE)\n", c.checkpointLogPath())
		return nil
	}
	fmt.Fprintf(stdout, "ok: %s published in %s, all matching the chain and the database\n", count(rep.Published, "checkpoint"), strings.Join(logs, ", "))
	return nil
}

// count says "1 checkpoint", "2 checkpoints".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readCheckpointLog reads the checkpoint log file name into lc.
func readCheckpointLog(lc *audit.LogChecker, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	defer f.Close()
	return lc.Read(f, name)
}

func runStaff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("staff", "add --username U --name N --role ROLE [--department D] | list", stderr)
	c.bind(fs)
	var s onedoor.Staff
	var role string
	fs.StringVar(&s.Username, "username", "", "login name")
	fs.StringVar(&s.Name, "name", "", "full name")
	fs.StringVar(&role, "role", "", "clerk, officer, leader, supervisor, analyst or admin")
	fs.StringVar(&s.Department, "department", "", "department code (officers and leaders)")
	password := fs.String("password", "", "initial password for signing in to the pages (else sign in once with the API token)")
	verb, rest, err := verbFirst(fs, args)
	if err != nil {
		return err
	}
	if (verb != "add" && verb != "list") || len(rest) > 0 {
		fs.Usage()
		return exitError(2)
	}
	log := c.logger(stderr)
	db, _, err := c.openStore(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "add":
		s.Role = onedoor.Role(role)
		token, err := db.CreateStaff(ctx, &s)
		if err != nil {
			return fmt.Errorf("%s", onedoor.ErrorMessage(err))
		}
		if *password != "" {
			if err := db.SetStaffPassword(ctx, s.ID, *password); err != nil {
				return fmt.Errorf("%s", onedoor.ErrorMessage(err))
			}
		}
		fmt.Fprintf(stdout, "created %s (%s). API token, shown once:\n%s\n", s.Username, s.Role, token)
		return nil
	case "list":
		all, err := db.FindStaff(ctx)
		if err != nil {
			return err
		}
		for _, s := range all {
			fmt.Fprintf(stdout, "%-20s %-10s %-10s %s\n", s.Username, s.Role, s.Department, s.Name)
		}
		return nil
	}
	fs.Usage()
	return exitError(2)
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	db, err := openWithFlags(ctx, "verify", args, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.Verify(ctx, func(v sqldb.Violation) { fmt.Fprintln(stdout, "FAIL:", v) })
	if err != nil {
		return err
	}
	if rep.Violations > 0 {
		fmt.Fprintf(stdout, "%d violation(s) in %d cases, %d events, %d e-licences\n", rep.Violations, rep.Cases, rep.Events, rep.Licences)
		return exitError(1)
	}
	fmt.Fprintf(stdout, "ok: %d cases replay to their stored state, deadlines agree with the calendar, %d e-licences verify, %d events chained\n", rep.Cases, rep.Licences, rep.Events)
	return nil
}
