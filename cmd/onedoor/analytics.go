package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/catalog"
	"onedoor/internal/district"
	"onedoor/segment"
	"onedoor/sqldb"
	"onedoor/synth"
)

// runAnalytics is `onedoor analytics`: questions to the segment index of
// a data folder, from the command line.
func runAnalytics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("analytics", "query [flags] QUERY.json | rebuild [flags]", stderr)
	c.bind(fs)
	exact := fs.Bool("exact", false, "exact counts without disclosure control (what supervisors see); default: as an analyst sees them")
	threshold := fs.Int("threshold", 10, "smallest count shown under disclosure control")
	ref := fs.String("reference", "", "date ages are counted at, YYYY-MM-DD (default today)")
	verb, rest, err := verbFirst(fs, args)
	if err != nil {
		return err
	}
	var refDate time.Time
	if *ref != "" {
		if refDate, err = time.Parse(time.DateOnly, *ref); err != nil {
			return fmt.Errorf("--reference: %q is not a date YYYY-MM-DD", *ref)
		}
	}
	switch {
	case verb == "query" && len(rest) == 1:
	case verb == "rebuild" && len(rest) == 0:
	default:
		fs.Usage()
		return exitError(2)
	}
	log := c.logger(stderr)
	db, _, err := c.openStore(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	ix, err := district.BuildIndex(ctx, db, refDate, log)
	if err != nil {
		return err
	}
	took := time.Since(start)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if verb == "rebuild" {
		return enc.Encode(map[string]any{"seconds": took.Seconds(), "index": ix.Stats()})
	}
	body, err := os.ReadFile(rest[0])
	if err != nil {
		return err
	}
	req, err := segment.ParseRequest(body)
	if err != nil {
		return fmt.Errorf("%s: %s", rest[0], onedoor.ErrorMessage(err))
	}
	var p *segment.Protection
	if !*exact {
		p = &segment.Protection{Threshold: *threshold, Guard: segment.NewGuard(0)}
	}
	out, err := ix.Do(ctx, req, p)
	if err != nil {
		if onedoor.ErrorCode(err) != onedoor.EINTERNAL {
			return fmt.Errorf("%s: %s%s", rest[0], fieldPrefix(err), onedoor.ErrorMessage(err))
		}
		return err
	}
	return enc.Encode(out)
}

func fieldPrefix(err error) string {
	if f := onedoor.ErrorField(err); f != "" {
		return f + ": "
	}
	return ""
}

// runBench is `onedoor bench`; only its analytics benchmark lives here.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(stdout, "Usage: onedoor bench analytics [flags]   (onedoor bench analytics --help for its flags)")
		return nil
	}
	if len(args) == 0 || args[0] != "analytics" {
		fmt.Fprintln(stderr, "Usage: onedoor bench analytics [flags]")
		return exitError(2)
	}
	return benchAnalytics(ctx, args[1:], stdout, stderr)
}

// The analytics benchmark: a district (or a megacity of districts) is
// generated straight into the index, the same questions are put to the
// engine and to SQLite holding the same rows, and the times are compared.

// benchPerson, benchOrg and benchCase are the generated rows, kept compact
// so that 25 million residents fit in memory twice over.
type benchPerson struct {
	birth  int32 // days since 1970-01-01
	hh     uint32
	street uint16
	comm   uint16
	sex    uint8
	flags  uint8
}

type benchOrg struct {
	reg    int32
	street uint16
	kind   uint8
	size   uint8
	dish   bool
}

type benchCase struct {
	applicant uint32
	received  uint32 // seconds since 2000-01-01 UTC
	matter    uint16
	status    uint8
	legal     bool
}

const (
	bLocal = 1 << iota
	bAlone
	bDisabled
	bDishonest
)

var epoch2000 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

type benchData struct {
	persons  []benchPerson
	orgs     []benchOrg
	cases    []benchCase
	streets  []string
	streetAt map[string]uint16
	comms    []string // community names
	commSt   []uint16
	commAt   map[string]uint16
	kinds    []string
	sizes    []string
	matters  []string
	matterAt map[string]uint16
	statuses []onedoor.Status
	statusAt map[onedoor.Status]uint8
}

func newBenchData() *benchData {
	return &benchData{streetAt: map[string]uint16{}, commAt: map[string]uint16{}, matterAt: map[string]uint16{}, statusAt: map[onedoor.Status]uint8{}}
}

func intern[T comparable, N ~uint8 | ~uint16](list *[]T, at map[T]N, v T) N {
	if n, ok := at[v]; ok {
		return n
	}
	n := N(len(*list))
	*list = append(*list, v)
	at[v] = n
	return n
}

func (b *benchData) street(s string) uint16 { return intern(&b.streets, b.streetAt, s) }

func (b *benchData) comm(st uint16, name string) uint16 {
	key := b.streets[st] + "\x00" + name
	if n, ok := b.commAt[key]; ok {
		return n
	}
	n := uint16(len(b.comms))
	b.comms = append(b.comms, name)
	b.commSt = append(b.commSt, st)
	b.commAt[key] = n
	return n
}

func smallIndex(list *[]string, s string) uint8 {
	for i, x := range *list {
		if x == s {
			return uint8(i)
		}
	}
	*list = append(*list, s)
	return uint8(len(*list) - 1)
}

// perDistrict is Chancheng's population: a megacity is generated as
// districts of this size, each with its own seed and names.
const perDistrict = 1_330_300

func benchAnalytics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench analytics", "[flags]", stderr)
	people := fs.Int("people", perDistrict, "residents to generate (more than 1,330,300 makes a megacity of districts)")
	years := fs.Int("years", 1, "years of case history")
	seed := fs.Int64("seed", 1, "generator seed")
	runs := fs.Int("runs", 50, "engine runs per question")
	sqlMode := fs.String("sql", "full", "SQLite comparison: full (every row), sample (the first --sql-sample residents and their cases) or none")
	sample := fs.Int("sql-sample", perDistrict, "residents in SQLite with --sql sample")
	sqlRuns := fs.Int("sql-runs", 5, "SQLite runs per question")
	storeDir := fs.String("store", "", "also load the first district into a real Onedoor store in this folder (kept; reused when it holds data) and time a rebuild of the index from it")
	endFlag := fs.String("end", "2026-11-30", "last day of the history; ages are counted at this date")
	jsonOut := fs.Bool("json", false, "print the results as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the engine's questions (plain and protected) to this file, for go tool pprof")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *people < 1000 || *runs < 1 || *sqlRuns < 1 {
		return errors.New("bench analytics: --people must be at least 1000 and the runs at least 1")
	}
	if *sqlMode != "full" && *sqlMode != "sample" && *sqlMode != "none" {
		return errors.New("bench analytics: --sql must be full, sample or none")
	}
	end, err := time.ParseInLocation(time.DateOnly, *endFlag, calendarLocation())
	if err != nil {
		return fmt.Errorf("bench analytics: --end: %w", err)
	}
	end = end.Add(18 * time.Hour)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rep := &benchReport{People: *people, Years: *years, Reference: *endFlag, SQL: *sqlMode}

	// A real store for the rebuild measurement.
	var store *sqldb.DB
	var loader *sqldb.Loader
	if *storeDir != "" {
		c := config{data: *storeDir, logLevel: "warn"}
		if store, _, err = c.openStore(ctx, slog.New(slog.DiscardHandler)); err != nil {
			return err
		}
		defer store.Close()
		if loader, err = store.NewLoader(ctx); err != nil {
			if onedoor.ErrorCode(err) != onedoor.ECONFLICT {
				return err
			}
			log.Info("the store already holds a district; it is reused for the rebuild measurement", "store", *storeDir)
			loader = nil
		}
	}

	// Generate.
	start := time.Now()
	data := newBenchData()
	districts := (*people + perDistrict - 1) / perDistrict
	rep.Districts = districts
	var offP, offH, offO uint32
	for k := range districts {
		size := min(perDistrict, *people-k*perDistrict)
		prefix := ""
		if districts > 1 {
			prefix = fmt.Sprintf("D%02d·", k+1)
		}
		load := loader != nil && k == 0
		st, err := synth.Generate(synth.Config{People: size, Years: *years, Seed: *seed + int64(k), End: end, Batch: 5000}, func(b *synth.Batch) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for i := range b.Persons {
				p := &b.Persons[i].Person
				s := data.street(prefix + p.Street)
				var f uint8
				if p.Local {
					f |= bLocal
				}
				if p.LivesAlone {
					f |= bAlone
				}
				if p.Disabled {
					f |= bDisabled
				}
				if p.Dishonest {
					f |= bDishonest
				}
				data.persons = append(data.persons, benchPerson{birth: int32(p.Birth.Unix() / 86400), hh: offH + uint32(p.Household),
					street: s, comm: data.comm(s, prefix+p.Community), sex: p.Sex[0], flags: f})
			}
			for i := range b.Orgs {
				o := &b.Orgs[i].Org
				reg := int32(0)
				if !o.Registered.IsZero() {
					reg = int32(o.Registered.Unix() / 86400)
				}
				data.orgs = append(data.orgs, benchOrg{reg: reg, street: data.street(prefix + o.Street),
					kind: smallIndex(&data.kinds, o.Kind), size: smallIndex(&data.sizes, o.Size), dish: o.Dishonest})
			}
			for i := range b.Cases {
				c := &b.Cases[i].Case
				off := offP
				if c.Subject == onedoor.Legal {
					off = offO
				}
				data.cases = append(data.cases, benchCase{applicant: off + uint32(c.ApplicantID), received: uint32(c.ReceivedAt.Unix() - epoch2000),
					matter: intern(&data.matters, data.matterAt, c.Matter), status: intern(&data.statuses, data.statusAt, c.Status),
					legal: c.Subject == onedoor.Legal})
			}
			if load {
				return loadSmall(ctx, loader, b)
			}
			return nil
		}, nil)
		if err != nil {
			return err
		}
		offP += uint32(st.People)
		offH += uint32(st.Households)
		offO += uint32(st.Orgs)
		log.Info("district generated", "district", k+1, "of", districts, "residents", st.People, "cases", st.Cases, "elapsed", time.Since(start).Round(time.Second))
		if load {
			if err := loader.Finish(ctx); err != nil {
				return err
			}
		}
	}
	rep.GenerateSeconds = time.Since(start).Seconds()
	rep.Residents, rep.Orgs, rep.Cases = len(data.persons), len(data.orgs), len(data.cases)

	// Build the index from the rows in memory: the engine's rebuild time.
	refDate := end
	start = time.Now()
	ix := data.index(refDate)
	rep.BuildSeconds = time.Since(start).Seconds()
	runtime.GC()
	st := ix.Stats()
	rep.IndexMiB = float64(st.Bytes) / (1 << 20)
	log.Info("index built", "seconds", rep.BuildSeconds, "MiB", int(rep.IndexMiB))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	qs := benchQuestions(refDate)
	for _, q := range qs {
		r := benchResult{Name: q.name}
		var answer any
		r.Engine, answer, err = timeRuns(*runs, func() (any, error) { return q.engine(ctx, ix) })
		if err != nil {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		r.engineAnswer = answer
		rep.Questions = append(rep.Questions, r)
		log.Info("engine", "question", q.name, "p50", r.Engine.P50, "p95", r.Engine.P95)
	}

	// The same engine under disclosure control, as analysts see it.
	guard := segment.NewGuard(0)
	prot := &segment.Protection{Threshold: 10, Guard: guard}
	y := refDate.Year()
	for _, q := range []struct {
		name string
		f    func() (any, error)
	}{
		{"protected: cross-match by community", func() (any, error) {
			return ix.Query(ctx, segment.Query{Segment: &segment.Expr{And: []*segment.Expr{{Matter: "HRSS-001", Event: "approved"}, {Matter: "MED-001"}}},
				Result: "breakdown", By: []string{"community"}}, prot)
		}},
		{"protected: applicants this year by street × age_policy", func() (any, error) {
			return ix.Query(ctx, segment.Query{Segment: &segment.Expr{Matter: "*", Year: y}, Result: "breakdown", By: []string{"street", "age_policy"}}, prot)
		}},
		{"protected: bed demand (70+, HRSS-001 × MED-001) by community", func() (any, error) {
			return ix.BedDemand(ctx, segment.BedDemand{}, prot)
		}},
		{"protected: what-if by street and community", func() (any, error) {
			return ix.WhatIf(ctx, segment.WhatIf{Rule: `age >= 70 && age % 10 == 0 && local`, Compare: "CIV-011"}, prot)
		}},
	} {
		l, _, err := timeRuns(max(*runs/5, 3), q.f)
		res := benchResult{Name: q.name, Engine: l}
		if err != nil {
			res.Error = onedoor.ErrorMessage(err)
			log.Warn("engine", "question", q.name, "err", err)
		} else {
			log.Info("engine", "question", q.name, "p50", l.P50, "p95", l.P95)
		}
		rep.Protected = append(rep.Protected, res)
	}

	pprof.StopCPUProfile() // the profile covers the engine only
	// SQLite over the same rows.
	if *sqlMode != "none" {
		limit := uint32(len(data.persons))
		if *sqlMode == "sample" {
			limit = uint32(min(*sample, len(data.persons)))
		}
		rep.SQLResidents = int(limit)
		dir, err := os.MkdirTemp("", "onedoor-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		start = time.Now()
		sdb, size, err := data.sqlite(ctx, filepath.Join(dir, "bench.db"), limit)
		if err != nil {
			return err
		}
		defer sdb.Close()
		rep.SQLLoadSeconds, rep.SQLFileMiB = time.Since(start).Seconds(), float64(size)/(1<<20)
		log.Info("SQLite loaded", "residents", limit, "seconds", rep.SQLLoadSeconds)
		data = nil
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rep.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
		runtime.KeepAlive(ix)
		for i, q := range qs {
			r := &rep.Questions[i]
			var answer any
			r.SQL, answer, err = timeRuns(*sqlRuns, func() (any, error) { return q.sql(ctx, sdb) })
			if err != nil {
				return fmt.Errorf("%s (SQLite): %w", q.name, err)
			}
			if *sqlMode == "full" {
				same := reflect.DeepEqual(answer, r.engineAnswer)
				r.Same = &same
			}
			r.Ratio = r.SQL.P50 / r.Engine.P50
			log.Info("SQLite", "question", q.name, "p50", r.SQL.P50, "p95", r.SQL.P95)
		}
	} else {
		data = nil
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rep.HeapMiB = float64(ms.HeapInuse) / (1 << 20)
		runtime.KeepAlive(ix)
	}

	if store != nil {
		ix = nil
		runtime.GC()
		start = time.Now()
		six, err := district.BuildIndex(ctx, store, refDate, nil)
		if err != nil {
			return err
		}
		rep.StoreRebuildSeconds = time.Since(start).Seconds()
		s := six.Stats()
		rep.StoreResidents, rep.StoreCases = int(s.Residents), int(s.Cases)
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.print(stdout)
	return nil
}

// loadSmall loads a generated batch into a store in small transactions.
func loadSmall(ctx context.Context, l *sqldb.Loader, b *synth.Batch) error {
	const n = 50
	for i := 0; i < len(b.Persons); i += n {
		lb := &sqldb.LoadBatch{}
		for _, p := range b.Persons[i:min(i+n, len(b.Persons))] {
			lb.Persons = append(lb.Persons, sqldb.LoadPerson{Person: p.Person, IDNumber: p.IDNumber, Phone: p.Phone})
		}
		if err := l.Load(ctx, lb); err != nil {
			return err
		}
	}
	for i := 0; i < len(b.Orgs); i += n {
		lb := &sqldb.LoadBatch{}
		for _, o := range b.Orgs[i:min(i+n, len(b.Orgs))] {
			lb.Orgs = append(lb.Orgs, o.Org)
		}
		if err := l.Load(ctx, lb); err != nil {
			return err
		}
	}
	for i := 0; i < len(b.Cases); i += 10 {
		lb := &sqldb.LoadBatch{}
		for _, c := range b.Cases[i:min(i+10, len(b.Cases))] {
			lb.Cases = append(lb.Cases, sqldb.LoadCase{Case: c.Case, Events: c.Events, Licence: c.Licence, Code: c.Code})
		}
		if err := l.Load(ctx, lb); err != nil {
			return err
		}
	}
	return nil
}

// index builds a segment index from the rows.
func (b *benchData) index(ref time.Time) *segment.Index {
	ix := segment.New(segment.Config{Reference: ref, Matters: district.Subjects(catalog.Builtin())})
	var p onedoor.Person
	for i := range b.persons {
		x := &b.persons[i]
		p = onedoor.Person{ID: int64(i) + 1, Sex: string(rune(x.sex)), Birth: time.Unix(int64(x.birth)*86400, 0).UTC(),
			Local: x.flags&bLocal != 0, Street: b.streets[x.street], Community: b.comms[x.comm], Household: int64(x.hh),
			LivesAlone: x.flags&bAlone != 0, Disabled: x.flags&bDisabled != 0, Dishonest: x.flags&bDishonest != 0}
		ix.AddPerson(&p)
	}
	var o onedoor.Org
	for i := range b.orgs {
		x := &b.orgs[i]
		o = onedoor.Org{ID: int64(i) + 1, Kind: b.kinds[x.kind], Size: b.sizes[x.size], Street: b.streets[x.street], Dishonest: x.dish}
		if x.reg != 0 {
			o.Registered = time.Unix(int64(x.reg)*86400, 0).UTC()
		}
		ix.AddOrg(&o)
	}
	for i := range b.cases {
		x := &b.cases[i]
		s := onedoor.Natural
		if x.legal {
			s = onedoor.Legal
		}
		ix.AddCase(segment.Case{ID: int64(i) + 1, Subject: s, ApplicantID: int64(x.applicant), Matter: b.matters[x.matter],
			Status: b.statuses[x.status], ReceivedAt: time.Unix(epoch2000+int64(x.received), 0)})
	}
	ix.Finish(0)
	return ix
}

// sqlite writes the rows of the first limit residents (and their cases)
// into a new SQLite database with the store's indexes on these tables, and
// an index on birth dates.
func (b *benchData) sqlite(ctx context.Context, path string, limit uint32) (*sql.DB, int64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)&_pragma=temp_store(MEMORY)&_pragma=mmap_size(8589934592)")
	if err != nil {
		return nil, 0, err
	}
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		`CREATE TABLE persons (id INTEGER PRIMARY KEY, sex TEXT NOT NULL, birth TEXT NOT NULL, local BOOLEAN NOT NULL, street TEXT NOT NULL,
			community TEXT NOT NULL, household BIGINT NOT NULL, lives_alone BOOLEAN NOT NULL, disabled BOOLEAN NOT NULL)`,
		`CREATE TABLE cases (id INTEGER PRIMARY KEY, subject TEXT NOT NULL, applicant_id BIGINT NOT NULL, matter TEXT NOT NULL,
			status TEXT NOT NULL, received_at TEXT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, 0, err
		}
	}
	insert := func(table string, cols int, n int, row func(i int, args []any) bool) error {
		const per = 200
		stmt := "INSERT INTO " + table + " VALUES " + strings.TrimSuffix(strings.Repeat("("+strings.TrimSuffix(strings.Repeat("?,", cols), ",")+"),", per), ",")
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		ps, err := tx.PrepareContext(ctx, stmt)
		if err != nil {
			tx.Rollback()
			return err
		}
		args := make([]any, 0, per*cols)
		one := make([]any, cols)
		flush := func(full bool) error {
			if full {
				_, err := ps.ExecContext(ctx, args...)
				args = args[:0]
				return err
			}
			for len(args) > 0 {
				q := "INSERT INTO " + table + " VALUES (" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
				if _, err := tx.ExecContext(ctx, q, args[:cols]...); err != nil {
					return err
				}
				args = args[cols:]
			}
			return nil
		}
		for i := range n {
			if !row(i, one) {
				continue
			}
			args = append(args, one...)
			if len(args) == per*cols {
				if err := flush(true); err != nil {
					tx.Rollback()
					return err
				}
			}
		}
		if err := flush(false); err != nil {
			tx.Rollback()
			return err
		}
		ps.Close()
		return tx.Commit()
	}
	err = insert("persons", 9, int(limit), func(i int, a []any) bool {
		x := &b.persons[i]
		a[0], a[1], a[2], a[3] = i+1, string(rune(x.sex)), time.Unix(int64(x.birth)*86400, 0).UTC().Format(time.DateOnly), x.flags&bLocal != 0
		a[4], a[5], a[6], a[7], a[8] = b.streets[x.street], b.comms[x.comm], int64(x.hh), x.flags&bAlone != 0, x.flags&bDisabled != 0
		return true
	})
	if err == nil {
		err = insert("cases", 6, len(b.cases), func(i int, a []any) bool {
			x := &b.cases[i]
			if x.legal || x.applicant > limit {
				return false
			}
			a[0], a[1], a[2], a[3] = i+1, "natural", int64(x.applicant), b.matters[x.matter]
			a[4], a[5] = string(b.statuses[x.status]), time.Unix(epoch2000+int64(x.received), 0).UTC().Format("2006-01-02T15:04:05.000000Z")
			return true
		})
	}
	if err == nil {
		for _, s := range []string{
			`CREATE INDEX cases_applicant ON cases (subject, applicant_id)`,
			`CREATE INDEX cases_matter ON cases (matter, received_at)`,
			`CREATE INDEX persons_birth ON persons (birth)`,
			`ANALYZE`,
		} {
			if _, err = db.ExecContext(ctx, s); err != nil {
				break
			}
		}
	}
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		db.Close()
		return nil, 0, err
	}
	return db, fi.Size(), nil
}

type benchQuestion struct {
	name   string
	engine func(ctx context.Context, ix *segment.Index) (any, error)
	sql    func(ctx context.Context, db *sql.DB) (any, error)
}

// benchQuestions are the benchmark's questions, each for the engine and in
// plain SQL, giving answers in the same form so they can be compared.
func benchQuestions(ref time.Time) []benchQuestion {
	y, m, d := ref.Date()
	md := fmt.Sprintf("%02d-%02d", int(m), d)
	age := fmt.Sprintf("(%d - CAST(substr(p.birth, 1, 4) AS INTEGER) - (substr(p.birth, 6, 5) > '%s'))", y, md)
	bornBy := func(years int) string { return fmt.Sprintf("'%04d-%s'", y-years, md) }
	utc := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }
	loc := calendarLocation()
	yearFrom, yearTo := time.Date(y, 1, 1, 0, 0, 0, 0, loc), time.Date(y+1, 1, 1, 0, 0, 0, 0, loc)
	monthTo := time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	monthFrom := monthTo.AddDate(0, -12, 0)
	from, to := monthFrom.Format("2006-01"), monthTo.AddDate(0, -1, 0).Format("2006-01")
	and := func(es ...*segment.Expr) *segment.Expr { return &segment.Expr{And: es} }
	age60 := &segment.Expr{Attr: "age", Min: ptrInt(60)}
	cross := and(&segment.Expr{Matter: "HRSS-001", Event: "approved"}, &segment.Expr{Matter: "MED-001", Event: "applied"})
	crossSQL := `WITH a AS (SELECT DISTINCT applicant_id FROM cases WHERE matter = 'HRSS-001' AND subject = 'natural' AND status IN ('completed', 'delivered')),
		b AS (SELECT DISTINCT applicant_id FROM cases WHERE matter = 'MED-001' AND subject = 'natural')
		SELECT %s, COUNT(*) FROM persons p JOIN a ON a.applicant_id = p.id JOIN b ON b.applicant_id = p.id GROUP BY 1, 2`
	const rule = `age >= 70 && age % 10 == 0 && local`
	query := func(q segment.Query) func(ctx context.Context, ix *segment.Index) (*segment.Result, error) {
		return func(ctx context.Context, ix *segment.Index) (*segment.Result, error) { return ix.Query(ctx, q, nil) }
	}
	return []benchQuestion{
		{name: "count: 60+, non-local, applied this year",
			engine: func(ctx context.Context, ix *segment.Index) (any, error) {
				r, err := query(segment.Query{Segment: and(age60, &segment.Expr{Attr: "residency", Eq: ptrValue("non_local")}, &segment.Expr{Matter: "*", Year: y})})(ctx, ix)
				if err != nil {
					return nil, err
				}
				return r.Count.V, nil
			},
			sql: func(ctx context.Context, db *sql.DB) (any, error) {
				var n int64
				err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons p WHERE p.birth <= `+bornBy(60)+` AND NOT p.local
					AND EXISTS (SELECT 1 FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = p.id AND c.received_at >= ? AND c.received_at < ?)`,
					utc(yearFrom), utc(yearTo)).Scan(&n)
				return n, err
			}},
		{name: "cross-match pension × illness by street × age5",
			engine: func(ctx context.Context, ix *segment.Index) (any, error) {
				r, err := query(segment.Query{Segment: cross, Result: "breakdown", By: []string{"street", "age5"}})(ctx, ix)
				if err != nil {
					return nil, err
				}
				return flatTable(r.Table), nil
			},
			sql: func(ctx context.Context, db *sql.DB) (any, error) {
				return sqlGroups(ctx, db, fmt.Sprintf(crossSQL, "p.street, CASE WHEN "+age+" >= 100 THEN '100+' ELSE ("+age+"/5*5) || '-' || ("+age+"/5*5+4) END"))
			}},
		{name: "cross-match pension × illness by community",
			engine: func(ctx context.Context, ix *segment.Index) (any, error) {
				r, err := query(segment.Query{Segment: cross, Result: "breakdown", By: []string{"community"}})(ctx, ix)
				if err != nil {
					return nil, err
				}
				return flatTable(r.Table), nil
			},
			sql: func(ctx context.Context, db *sql.DB) (any, error) {
				return sqlGroups(ctx, db, fmt.Sprintf(crossSQL, "p.street, p.community"))
			}},
		{name: "monthly trend: MED-001 applicants aged 60+",
			engine: func(ctx context.Context, ix *segment.Index) (any, error) {
				r, err := query(segment.Query{Segment: age60, Result: "trend", Matter: "MED-001", From: from, To: to})(ctx, ix)
				if err != nil {
					return nil, err
				}
				out := map[string]int64{}
				for _, p := range r.Trend {
					if p.Count.V > 0 {
						out[p.Month] = p.Count.V
					}
				}
				return out, nil
			},
			sql: func(ctx context.Context, db *sql.DB) (any, error) {
				rows, err := db.QueryContext(ctx, `SELECT strftime('%Y-%m', c.received_at, '+8 hours'), COUNT(DISTINCT c.applicant_id)
					FROM cases c JOIN persons p ON p.id = c.applicant_id
					WHERE c.matter = 'MED-001' AND c.subject = 'natural' AND c.received_at >= ? AND c.received_at < ? AND p.birth <= `+bornBy(60)+` GROUP BY 1`,
					utc(monthFrom), utc(monthTo))
				if err != nil {
					return nil, err
				}
				defer rows.Close()
				out := map[string]int64{}
				for rows.Next() {
					var k string
					var n int64
					if err := rows.Scan(&k, &n); err != nil {
						return nil, err
					}
					out[k] = n
				}
				return out, rows.Err()
			}},
		{name: "what-if: " + rule + " vs CIV-011",
			engine: func(ctx context.Context, ix *segment.Index) (any, error) {
				r, err := ix.WhatIf(ctx, segment.WhatIf{Rule: rule, Compare: "CIV-011"}, nil)
				if err != nil {
					return nil, err
				}
				return whatIfAnswer{ByCommunity: flatTable(r.ByCommunity), Beneficiaries: r.Compare.Beneficiaries.V,
					EligibleBeneficiaries: r.Compare.EligibleBeneficiaries.V, NotApplied: r.Compare.EligibleNotApplied.V,
					BeneficiariesNotEligible: r.Compare.BeneficiariesNotEligible.V}, nil
			},
			sql: func(ctx context.Context, db *sql.DB) (any, error) {
				elig := `SELECT p.id, p.street, p.community FROM persons p WHERE p.local AND p.birth <= ` + bornBy(70) + ` AND ` + age + ` % 10 = 0`
				ben := `SELECT DISTINCT applicant_id AS id FROM cases WHERE matter = 'CIV-011' AND subject = 'natural' AND status IN ('completed', 'delivered')`
				var a whatIfAnswer
				var err error
				if a.ByCommunity, err = sqlGroups(ctx, db, `WITH e AS (`+elig+`) SELECT street, community, COUNT(*) FROM e GROUP BY 1, 2`); err != nil {
					return nil, err
				}
				for _, x := range []struct {
					n *int64
					q string
				}{
					{&a.Beneficiaries, `SELECT COUNT(*) FROM (` + ben + `)`},
					{&a.EligibleBeneficiaries, `WITH e AS (` + elig + `) SELECT COUNT(*) FROM e JOIN (` + ben + `) b ON b.id = e.id`},
					{&a.NotApplied, `WITH e AS (` + elig + `) SELECT COUNT(*) FROM e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = e.id AND c.matter = 'CIV-011')`},
				} {
					if err := db.QueryRowContext(ctx, x.q).Scan(x.n); err != nil {
						return nil, err
					}
				}
				a.BeneficiariesNotEligible = a.Beneficiaries - a.EligibleBeneficiaries
				return a, nil
			}},
	}
}

type whatIfAnswer struct {
	ByCommunity                                                                map[string]int64
	Beneficiaries, EligibleBeneficiaries, NotApplied, BeneficiariesNotEligible int64
}

func ptrInt(v int) *int                { return &v }
func ptrValue(v string) *segment.Value { x := segment.Value(v); return &x }
func calendarLocation() *time.Location { return calendar.Location }

// flatTable maps "row|column" (communities as "street|community") to the
// non-zero counts of a table.
func flatTable(t *segment.Table) map[string]int64 {
	out := map[string]int64{}
	for i, r := range t.Rows {
		if len(t.RowGroups) > 0 {
			r = t.RowGroups[i] + "|" + r
		}
		for j, c := range t.Cells[i] {
			if c.V == 0 {
				continue
			}
			k := r
			if len(t.Cols) > 0 {
				k += "|" + t.Cols[j]
			}
			out[k] = c.V
		}
	}
	return out
}

func sqlGroups(ctx context.Context, db *sql.DB, q string) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var a, b string
		var n int64
		if err := rows.Scan(&a, &b, &n); err != nil {
			return nil, err
		}
		out[a+"|"+b] = n
	}
	return out, rows.Err()
}

// latency is p50 and p95 of a question, in milliseconds.
type latency struct {
	Runs int     `json:"runs"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
}

func timeRuns(n int, f func() (any, error)) (latency, any, error) {
	ds := make([]float64, 0, n)
	var last any
	for range n {
		start := time.Now()
		a, err := f()
		if err != nil {
			return latency{}, nil, err
		}
		ds = append(ds, float64(time.Since(start).Microseconds())/1000)
		last = a
	}
	sort.Float64s(ds)
	return latency{Runs: n, P50: ds[(n-1)/2], P95: ds[min(n-1, int(math.Ceil(0.95*float64(n)))-1)]}, last, nil
}

type benchResult struct {
	Name   string  `json:"question"`
	Engine latency `json:"engine"`
	SQL    latency `json:"sqlite"`
	Ratio  float64 `json:"ratio_p50"`
	Same   *bool   `json:"same_answer,omitempty"`
	Error  string  `json:"error,omitempty"`

	engineAnswer any
}

type benchReport struct {
	People              int           `json:"people"`
	Districts           int           `json:"districts"`
	Years               int           `json:"years"`
	Reference           string        `json:"reference"`
	Residents           int           `json:"residents"`
	Orgs                int           `json:"orgs"`
	Cases               int           `json:"cases"`
	GenerateSeconds     float64       `json:"generate_seconds"`
	BuildSeconds        float64       `json:"index_build_seconds"`
	IndexMiB            float64       `json:"index_mib"`
	HeapMiB             float64       `json:"heap_mib_after_gc"`
	SQL                 string        `json:"sqlite_mode"`
	SQLResidents        int           `json:"sqlite_residents,omitempty"`
	SQLLoadSeconds      float64       `json:"sqlite_load_seconds,omitempty"`
	SQLFileMiB          float64       `json:"sqlite_file_mib,omitempty"`
	StoreRebuildSeconds float64       `json:"store_rebuild_seconds,omitempty"`
	StoreResidents      int           `json:"store_residents,omitempty"`
	StoreCases          int           `json:"store_cases,omitempty"`
	Questions           []benchResult `json:"questions"`
	Protected           []benchResult `json:"protected"`
}

func (r *benchReport) print(w io.Writer) {
	fmt.Fprintf(w, "Onedoor analytics benchmark: %d residents (%d district(s)), %d organisations, %d cases over %d year(s); ages at %s\n",
		r.Residents, r.Districts, r.Orgs, r.Cases, r.Years, r.Reference)
	fmt.Fprintf(w, "generated in %.1f s; index built from the rows in %.2f s; index %.0f MiB (Go heap in use after GC: %.0f MiB)\n",
		r.GenerateSeconds, r.BuildSeconds, r.IndexMiB, r.HeapMiB)
	switch r.SQL {
	case "none":
		fmt.Fprintln(w, "SQLite: not run")
	default:
		fmt.Fprintf(w, "SQLite (%s): %d residents and their cases, loaded and indexed in %.1f s, %.0f MiB\n", r.SQL, r.SQLResidents, r.SQLLoadSeconds, r.SQLFileMiB)
		if r.SQLResidents < r.Residents {
			fmt.Fprintf(w, "  SQLite holds %.1f%% of the data: its times are for that sample, so the ratios understate the engine's lead\n",
				100*float64(r.SQLResidents)/float64(r.Residents))
		}
	}
	if r.StoreRebuildSeconds > 0 {
		fmt.Fprintf(w, "rebuild from the Onedoor store (%d residents, %d cases): %.1f s\n", r.StoreResidents, r.StoreCases, r.StoreRebuildSeconds)
	}
	fmt.Fprintf(w, "\n%-62s %10s %10s %11s %11s %9s %s\n", "question", "engine p50", "p95 (ms)", "SQLite p50", "p95 (ms)", "ratio", "same answer")
	for _, q := range r.Questions {
		same := "-"
		if q.Same != nil {
			same = map[bool]string{true: "yes", false: "NO"}[*q.Same]
		}
		if r.SQL == "none" {
			fmt.Fprintf(w, "%-62s %10.3f %10.3f\n", q.Name, q.Engine.P50, q.Engine.P95)
			continue
		}
		fmt.Fprintf(w, "%-62s %10.3f %10.3f %11.1f %11.1f %8.0f× %s\n", q.Name, q.Engine.P50, q.Engine.P95, q.SQL.P50, q.SQL.P95, q.Ratio, same)
	}
	fmt.Fprintf(w, "\nunder disclosure control (threshold 10, secondary suppression, guard), engine only:\n")
	for _, q := range r.Protected {
		if q.Error != "" {
			fmt.Fprintf(w, "%-62s refused: %s\n", q.Name, q.Error)
			continue
		}
		fmt.Fprintf(w, "%-62s %10.3f %10.3f\n", q.Name, q.Engine.P50, q.Engine.P95)
	}
}
