// Command onedoor runs the one-door government service platform: the
// server, and the tools around it (migrate, catalog, calendar, audit).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"onedoor"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (creates ./data with defaults on first run)", runServe},
		{"demo", "generate a synthetic district (once) and serve it", runDemo},
		{"migrate", "apply database migrations and record the catalog, then exit", runMigrate},
		{"catalog", "lint or list a matter catalog", runCatalog},
		{"calendar", "working-day arithmetic under the official calendar", runCalendar},
		{"audit", "verify the tamper-evident audit trail", runAudit},
		{"verify", "check every case against its invariants (zero errors, proven)", runVerify},
		{"analytics", "answer an analytics query (JSON) over the district", runAnalytics},
		{"bench", "benchmark the analytics engine against SQLite", runBench},
		{"staff", "create staff accounts and their API tokens", runStaff},
	}
}

// exitError carries an exit status without a message of its own.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var code exitError
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		msg := err.Error()
		if onedoor.ErrorCode(err) != onedoor.EINTERNAL {
			msg = onedoor.ErrorMessage(err) // a sentence for people, not the wrapped chain
		}
		fmt.Fprintln(os.Stderr, "onedoor:", msg)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitError(2)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Onedoor — one window for every service matter of a district.")
	fmt.Fprintln(w, "\nUsage: onedoor COMMAND [flags]   (onedoor COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// newFlags makes a flag set whose --help prints the command's usage line.
func newFlags(name, usageLine string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("onedoor "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: onedoor %s %s\n", name, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// verbFirst splits off a leading verb ("add", "verify") so that flags may
// follow it, as the usage lines show: `onedoor audit verify --data D`.
// A verb given after the flags is found too.
func verbFirst(fs *flag.FlagSet, args []string) (string, []string, error) {
	verb := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	rest := fs.Args()
	if verb == "" && len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	return verb, rest, nil
}
