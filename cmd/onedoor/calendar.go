package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"onedoor/calendar"
)

func runCalendar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calendar", "[--file LOCAL] (add DATE N | is-workday DATE)", stderr)
	file := fs.String("file", os.Getenv("ONEDOOR_CALENDAR"), "local calendar file overriding the official one (env ONEDOOR_CALENDAR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cal, err := loadCalendar(*file)
	if err != nil {
		return err
	}
	rest := fs.Args()
	switch {
	case len(rest) == 3 && rest[0] == "add":
		d, err := calendar.ParseDate(rest[1])
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(rest[2])
		if err != nil {
			return fmt.Errorf("the number of working days must be a whole number, not %q", rest[2])
		}
		fmt.Fprintln(stdout, cal.AddWorkdays(d, n).Format("2006-01-02"))
		return nil
	case len(rest) == 2 && rest[0] == "is-workday":
		d, err := calendar.ParseDate(rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, cal.IsWorkday(d))
		return nil
	}
	fs.Usage()
	return exitError(2)
}

// loadCalendar is the official calendar with a local file's overrides, if any.
func loadCalendar(file string) (*calendar.Calendar, error) {
	cal := calendar.Official()
	if file == "" {
		return cal, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cal.WithOverrides(f, file)
}
