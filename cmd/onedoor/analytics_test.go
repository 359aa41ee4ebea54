package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onedoor/calendar"
	"onedoor/segment"
	"onedoor/synth"
)

// TestAnalyticsQueryCommand runs `onedoor analytics query` on a data
// folder holding a small generated district: the answer is the API's JSON,
// protected unless --exact.
func TestAnalyticsQueryCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := config{data: dir, logLevel: "warn"}
	db, _, err := c.openStore(ctx, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l, err := db.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 11, 30, 18, 0, 0, 0, calendar.Location)
	if _, err := synth.Generate(synth.Config{People: 800, Years: 1, Seed: 2, End: end}, func(b *synth.Batch) error {
		return loadSmall(ctx, l, b)
	}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	file := filepath.Join(dir, "q.json")
	q := `{"segment": {"attr": "age_policy", "in": ["70-79", "80+"]}, "result": "breakdown", "by": ["community"]}`
	if err := os.WriteFile(file, []byte(q), 0o600); err != nil {
		t.Fatal(err)
	}
	ask := func(extra ...string) segment.Result {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"query", "--data", dir, "--reference", "2026-11-30", "--log-level", "error"}, extra...)
		if err := runAnalytics(ctx, append(args, file), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		var r segment.Result
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		return r
	}
	prot, exact := ask(), ask("--exact")
	if !prot.Protected || exact.Protected {
		t.Fatalf("protected: %v and %v; want the default protected and --exact not", prot.Protected, exact.Protected)
	}
	if exact.Table.Total.V == 0 || len(exact.Table.Rows) < 20 {
		t.Fatalf("the exact table is nearly empty: %+v", exact.Table.Total)
	}
	withheld := 0
	for i, row := range prot.Table.Cells {
		n := row[0]
		if n.Suppressed {
			withheld++
			continue
		}
		if n.V != exact.Table.Cells[i][0].V || (n.V > 0 && n.V < 10) {
			t.Fatalf("row %s: protected %d, exact %d", prot.Table.Rows[i], n.V, exact.Table.Cells[i][0].V)
		}
	}
	if withheld == 0 {
		t.Fatal("no community of a small district was withheld")
	}

	// A question with a mistake names it.
	if err := os.WriteFile(file, []byte(`{"segment": {"attr": "age_policy", "eq": "teen"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runAnalytics(ctx, []string{"query", "--data", dir, "--log-level", "error", file}, io.Discard, io.Discard)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("segment")) {
		t.Fatalf("a bad query gave %v", err)
	}
}

// TestBenchAnalyticsSmall runs the benchmark end to end on a small district
// and checks that the engine and SQLite agree on every question.
func TestBenchAnalyticsSmall(t *testing.T) {
	var out bytes.Buffer
	err := runBench(context.Background(), []string{"analytics", "--people", "3000", "--runs", "2", "--sql-runs", "1", "--json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Questions) != 5 || rep.Residents != 3000 || rep.Cases == 0 {
		t.Fatalf("report: %+v", rep)
	}
	for _, q := range rep.Questions {
		if q.Same == nil || !*q.Same {
			t.Errorf("%s: the engine and SQLite disagree", q.Name)
		}
	}
}
