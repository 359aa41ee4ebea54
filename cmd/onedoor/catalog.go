package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"onedoor/catalog"
)

func runCatalog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("catalog", "(lint PATH | list [PATH])", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	switch {
	case len(rest) == 2 && rest[0] == "lint":
		cat, err := catalog.LoadDir(rest[1])
		var ps catalog.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(stdout, p.String())
			}
			fmt.Fprintf(stdout, "%d problem(s); nothing loaded\n", len(ps))
			return exitError(1)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ok: %d matters (%d versions), %d bundles, %d departments, %d licence types\n",
			len(cat.Latest()), len(cat.Matters), len(cat.LatestBundles()), len(cat.Departments), len(cat.LicenceTypes))
		return nil
	case (len(rest) == 1 || len(rest) == 2) && rest[0] == "list":
		cat := catalog.Builtin()
		if len(rest) == 2 {
			var err error
			if cat, err = catalog.LoadDir(rest[1]); err != nil {
				return err
			}
		}
		for _, m := range cat.Latest() {
			fmt.Fprintf(stdout, "%-11s v%-2d %-7s %-10s %2d/%2d days  %s (%s)\n", m.Code, m.Version, m.Subject, m.Department,
				m.PromisedLimit, m.StatutoryLimit, m.Name.Zh, m.Name.En)
		}
		for _, b := range cat.LatestBundles() {
			fmt.Fprintf(stdout, "%-11s v%-2d bundle  %v  %s (%s)\n", b.Code, b.Version, b.Matters, b.Name.Zh, b.Name.En)
		}
		return nil
	}
	fs.Usage()
	return exitError(2)
}
