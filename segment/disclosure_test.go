package segment_test

import (
	"fmt"
	"math/big"
	"reflect"
	"testing"

	"onedoor"
	"onedoor/segment"
)

const k = 10

func protect() *segment.Protection {
	return &segment.Protection{Threshold: k, Guard: segment.NewGuard(0)}
}

func protQuery(t *testing.T, ix *segment.Index, p *segment.Protection, q segment.Query) *segment.Result {
	t.Helper()
	r, err := ix.Query(ctx, q, p)
	if err != nil {
		t.Fatalf("protected %s %s: %v", q.Result, describe(q.Segment), err)
	}
	return r
}

// shownMatches checks rule 1 for one number, and that a shown number is
// the exact one.
func shownMatches(t *testing.T, what string, shown, exact segment.Num) {
	t.Helper()
	if shown.Suppressed {
		return
	}
	if shown.V != exact.V {
		t.Fatalf("%s: shown %d, exact %d", what, shown.V, exact.V)
	}
	if shown.V > 0 && shown.V < k {
		t.Fatalf("%s: %d is shown, below the threshold %d", what, shown.V, k)
	}
}

// analyst plays the analyst: it sees only the protected table and knows
// how tables add up, and tries to work out every withheld number by exact
// linear algebra over the rationals — independently of the engine's own
// method. It fails the test if it can, or if a row, column or subtotal
// whose total is shown withholds a sum from 1 to k-1.
type analyst struct {
	vars   []segment.Num // exact value of each number of the table
	shown  []bool
	eqs    [][]int // each: total, then its parts
	labels []string
}

func (a *analyst) add(label string, shown, exact segment.Num) int {
	a.vars = append(a.vars, exact)
	a.shown = append(a.shown, !shown.Suppressed)
	a.labels = append(a.labels, label)
	return len(a.vars) - 1
}

func (a *analyst) sum(total int, parts []int) { a.eqs = append(a.eqs, append([]int{total}, parts...)) }

// readTable sets up the unknowns and relations of a breakdown.
func readTable(t *testing.T, shown, exact *segment.Table) *analyst {
	t.Helper()
	a := &analyst{}
	two := len(shown.Cols) > 0
	cell := make([][]int, len(shown.Rows))
	rowT := make([]int, len(shown.Rows))
	for i := range shown.Rows {
		for j := range shown.Cells[i] {
			shownMatches(t, fmt.Sprintf("cell %s/%d", shown.Rows[i], j), shown.Cells[i][j], exact.Cells[i][j])
			cell[i] = append(cell[i], a.add(fmt.Sprintf("cell %s %d", shown.Rows[i], j), shown.Cells[i][j], exact.Cells[i][j]))
		}
		if two {
			shownMatches(t, "row total "+shown.Rows[i], shown.RowTotals[i], exact.RowTotals[i])
			rowT[i] = a.add("row total "+shown.Rows[i], shown.RowTotals[i], exact.RowTotals[i])
			a.sum(rowT[i], cell[i])
		} else {
			rowT[i] = cell[i][0]
		}
	}
	shownMatches(t, "total", shown.Total, exact.Total)
	total := a.add("total", shown.Total, exact.Total)
	a.sum(total, rowT)
	if two {
		colT := make([]int, len(shown.Cols))
		for j := range shown.Cols {
			shownMatches(t, "column total "+shown.Cols[j], shown.ColTotals[j], exact.ColTotals[j])
			colT[j] = a.add("column total "+shown.Cols[j], shown.ColTotals[j], exact.ColTotals[j])
			var col []int
			for i := range shown.Rows {
				col = append(col, cell[i][j])
			}
			a.sum(colT[j], col)
		}
		a.sum(total, colT)
	}
	if len(shown.Groups) > 0 {
		var groups []int
		for g, name := range shown.Groups {
			shownMatches(t, "street "+name, shown.GroupTotals[g], exact.GroupTotals[g])
			gt := a.add("street "+name, shown.GroupTotals[g], exact.GroupTotals[g])
			groups = append(groups, gt)
			var rows []int
			for i := range shown.Rows {
				if shown.RowGroups[i] == name {
					rows = append(rows, rowT[i])
				}
			}
			a.sum(gt, rows)
			if two {
				var gcs []int
				for j := range shown.Cols {
					shownMatches(t, "street cell "+name, shown.GroupCells[g][j], exact.GroupCells[g][j])
					gc := a.add("street cell "+name, shown.GroupCells[g][j], exact.GroupCells[g][j])
					gcs = append(gcs, gc)
					var cs []int
					for i := range shown.Rows {
						if shown.RowGroups[i] == name {
							cs = append(cs, cell[i][j])
						}
					}
					a.sum(gc, cs)
				}
				a.sum(gt, gcs)
			}
		}
		a.sum(total, groups)
	}
	return a
}

// attack reports the withheld numbers the analyst can compute.
func (a *analyst) attack() (recovered []string, smallSums []string) {
	var unknown []int
	col := map[int]int{}
	for v := range a.vars {
		if !a.shown[v] {
			col[v] = len(unknown)
			unknown = append(unknown, v)
		}
	}
	var rows [][]*big.Rat
	for _, eq := range a.eqs {
		row := make([]*big.Rat, len(unknown))
		for i := range row {
			row[i] = new(big.Rat)
		}
		nz := false
		for i, v := range eq {
			c, ok := col[v]
			if !ok {
				continue
			}
			sign := int64(-1)
			if i == 0 {
				sign = 1
			}
			row[c].Add(row[c], big.NewRat(sign, 1))
			nz = true
		}
		if nz {
			rows = append(rows, row)
		}
		if a.shown[eq[0]] {
			var s int64
			for _, v := range eq[1:] {
				if !a.shown[v] {
					s += a.vars[v].V
				}
			}
			if s > 0 && s < k {
				smallSums = append(smallSums, a.labels[eq[0]])
			}
		}
	}
	// Gauss-Jordan over the rationals.
	r := 0
	var pivots []int
	for c := 0; c < len(unknown) && r < len(rows); c++ {
		p := -1
		for i := r; i < len(rows); i++ {
			if rows[i][c].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[r], rows[p] = rows[p], rows[r]
		inv := new(big.Rat).Inv(rows[r][c])
		for j := range rows[r] {
			rows[r][j].Mul(rows[r][j], inv)
		}
		for i := range rows {
			if i == r || rows[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[i][c])
			for j := range rows[i] {
				rows[i][j].Sub(rows[i][j], new(big.Rat).Mul(f, rows[r][j]))
			}
		}
		pivots = append(pivots, c)
		r++
	}
	for i := 0; i < r; i++ {
		nz := 0
		for _, x := range rows[i] {
			if x.Sign() != 0 {
				nz++
			}
		}
		if nz == 1 && a.vars[unknown[pivots[i]]].V != 0 {
			recovered = append(recovered, a.labels[unknown[pivots[i]]])
		}
	}
	return recovered, smallSums
}

// TestProtectedTablesHoldTogether asks random protected breakdowns and
// checks, from the analyst's side, rules 1 and 2: no small number is
// shown, every shown number is exact, and no withheld number (nor a small
// sum of them within a line) can be computed from the table.
func TestProtectedTablesHoldTogether(t *testing.T) {
	d := sqliteDistrict(t, districtPeople, districtSeed)
	db, ix := d.DB, buildIndex(t, d.DB)
	g := newQueryGen(t, db.RawRead(), ix, onedoor.Natural, 11)
	byChoices := [][]string{{"community"}, {"street"}, {"age_policy"}, {"street", "age_policy"}, {"community", "residency"},
		{"residency", "age_policy"}, {"community", "sex"}, {"age5"}, {"street", "age5"}, {"household_type", "residency"}, {"lives_alone", "street"}}
	suppressed, shownTotal := 0, 0
	for i := range 60 {
		e := g.expr(1)
		if i%3 == 0 {
			e = g.matterLeaf()
		}
		by := byChoices[i%len(byChoices)]
		q := segment.Query{Segment: e, Result: "breakdown", By: by}
		shown := protQuery(t, ix, protect(), q)
		exact := mustQuery(t, ix, q)
		a := readTable(t, shown.Table, exact.Table)
		rec, small := a.attack()
		if len(rec) > 0 {
			t.Fatalf("%s by %v: the analyst computes withheld numbers %v", describe(e), by, rec)
		}
		if len(small) > 0 {
			t.Fatalf("%s by %v: withheld parts of %v sum to less than %d", describe(e), by, small, k)
		}
		for v := range a.vars {
			if !a.shown[v] {
				suppressed++
			} else {
				shownTotal++
			}
		}
	}
	if suppressed == 0 || shownTotal == 0 {
		t.Fatalf("the test proves little: %d withheld, %d shown", suppressed, shownTotal)
	}
	t.Logf("%d numbers shown, %d withheld", shownTotal, suppressed)
}

// smallCommunity finds a segment and a community whose count is from 1 to
// k-1, the target of the attacks below.
func smallCommunity(t *testing.T, ix *segment.Index) (seg *segment.Expr, street, community string, exact int64, all *segment.Table) {
	t.Helper()
	for _, e := range []*segment.Expr{
		{Attr: "age", Min: ptr(80)},
		{Matter: "*", Year: 2025},
		{And: []*segment.Expr{{Attr: "lives_alone", Eq: ptr(segment.Value("yes"))}, {Attr: "age", Min: ptr(60)}}},
	} {
		r := mustQuery(t, ix, segment.Query{Segment: e, Result: "breakdown", By: []string{"community"}})
		for i, row := range r.Table.Cells {
			if v := row[0].V; v > 0 && v < k {
				return e, r.Table.RowGroups[i], r.Table.Rows[i], v, r.Table
			}
		}
	}
	t.Fatal("no small community cell in the district")
	return
}

// TestDifferencingAttacks tries to recover a withheld small cell through
// overlapping questions, each the way an analyst would, and checks that
// every attempt is missing a number it needs (rules 3 and 4).
func TestDifferencingAttacks(t *testing.T) {
	ix := buildIndex(t, sqliteDistrict(t, districtPeople, districtSeed).DB)
	seg, street, community, exact, all := smallCommunity(t, ix)
	t.Logf("target: %s in %s / %s: %d", describe(seg), street, community, exact)
	and := func(es ...*segment.Expr) *segment.Expr { return &segment.Expr{And: es} }
	inStreet := &segment.Expr{Attr: "street", Eq: ptr(segment.Value(street))}
	inComm := &segment.Expr{Attr: "community", Eq: ptr(segment.Value(community))}
	count := func(p *segment.Protection, e *segment.Expr) segment.Num {
		return *protQuery(t, ix, p, segment.Query{Segment: e}).Count
	}

	t.Run("drill down to the cell", func(t *testing.T) {
		p := protect()
		protQuery(t, ix, p, segment.Query{Segment: seg, Result: "breakdown", By: []string{"community"}})
		if n := count(p, and(seg, inComm)); !n.Suppressed {
			t.Fatalf("the cell asked directly is shown: %d", n.V)
		}
		if n := count(p, and(seg, inStreet, inComm)); !n.Suppressed {
			t.Fatalf("the cell asked with its street is shown: %d", n.V)
		}
	})

	t.Run("street total minus the other communities", func(t *testing.T) {
		p := protect()
		st := count(p, and(seg, inStreet))
		var others int64
		missing := st.Suppressed
		for i, c := range all.Rows {
			if all.RowGroups[i] != street || c == community {
				continue
			}
			n := count(p, and(seg, &segment.Expr{Attr: "community", Eq: ptr(segment.Value(c))}))
			if n.Suppressed {
				missing = true
			}
			others += n.V
		}
		if !missing && st.V-others == exact {
			t.Fatalf("street %d minus the other communities %d recovers the cell %d", st.V, others, exact)
		}
		if !missing {
			t.Fatal("every number of the attack was shown")
		}
	})

	t.Run("the street without the community", func(t *testing.T) {
		p := protect()
		st := count(p, and(seg, inStreet))
		rest := count(p, and(seg, inStreet, &segment.Expr{Not: inComm}))
		if !st.Suppressed && !rest.Suppressed {
			t.Fatalf("street %d and street-without-community %d are both shown: the difference is the cell", st.V, rest.V)
		}
		// Or/in over all the other communities is the same question.
		var others []segment.Value
		for i, c := range all.Rows {
			if all.RowGroups[i] == street && c != community {
				others = append(others, segment.Value(c))
			}
		}
		alt := count(p, and(seg, &segment.Expr{Attr: "community", In: others}))
		if !st.Suppressed && !alt.Suppressed {
			t.Fatalf("street %d and its other communities %d are both shown", st.V, alt.V)
		}
	})

	t.Run("whole district minus everything else", func(t *testing.T) {
		p := protect()
		tot := count(p, seg)
		rest := count(p, and(seg, &segment.Expr{Not: inComm}))
		if !tot.Suppressed && !rest.Suppressed {
			t.Fatalf("total %d and total-without-community %d are both shown", tot.V, rest.V)
		}
	})

	t.Run("nested segments that are not dimensions", func(t *testing.T) {
		// A and (A and B) where A and not B is small: the guard withholds
		// whichever comes second.
		p := protect()
		a := and(seg, inStreet)
		var b *segment.Expr
		var small int64
		for _, code := range []string{"HRSS-001", "MED-002", "PSB-007", "CIV-011", "HEALTH-008"} {
			for _, ev := range []string{"applied", "approved"} {
				cand := and(a, &segment.Expr{Not: &segment.Expr{Matter: code, Event: ev}})
				ea := mustQuery(t, ix, segment.Query{Segment: a}).Count.V
				eb := mustQuery(t, ix, segment.Query{Segment: cand}).Count.V
				if d := ea - eb; d > 0 && d < k && eb >= k {
					b, small = cand, d
				}
			}
		}
		if b == nil {
			t.Skip("no nested pair with a small difference in this district")
		}
		first, second := count(p, a), count(p, b)
		if !first.Suppressed && !second.Suppressed {
			t.Fatalf("%d and %d are both shown; they differ by %d people", first.V, second.V, small)
		}
		// The other order, with a fresh guard.
		p = protect()
		second, first = count(p, b), count(p, a)
		if !first.Suppressed && !second.Suppressed {
			t.Fatalf("in reverse order %d and %d are both shown; they differ by %d", second.V, first.V, small)
		}
	})

	t.Run("the same question twice", func(t *testing.T) {
		p := protect()
		// A segment the index computes afresh each time it is asked.
		fresh := and(seg, &segment.Expr{Not: &segment.Expr{Matter: "PSB-007"}})
		q := segment.Query{Segment: fresh, Result: "breakdown", By: []string{"community", "age_policy"}}
		a := protQuery(t, ix, p, q)
		held := p.Guard.Remembered()
		b := protQuery(t, ix, p, q)
		if !reflect.DeepEqual(a.Table.Cells, b.Table.Cells) {
			t.Fatal("the same breakdown gives different suppression when asked again")
		}
		// Its numbers are remembered once: the base is computed afresh
		// but known by its content.
		if again := p.Guard.Remembered(); held == 0 || again != held {
			t.Fatalf("the guard held %d numbers after the first answer and %d after the same question again", held, again)
		}
	})

	t.Run("trend and breakdown agree", func(t *testing.T) {
		p := protect()
		m := &segment.Expr{Matter: "*", From: "2026-06", To: "2026-06"}
		bd := protQuery(t, ix, p, segment.Query{Segment: m, Result: "breakdown", By: []string{"community"}})
		tr := protQuery(t, ix, p, segment.Query{Segment: inComm, Result: "trend", Matter: "*", From: "2026-06", To: "2026-06"})
		for i, c := range bd.Table.Rows {
			if c == community && bd.Table.RowGroups[i] == street {
				if bd.Table.Cells[i][0] != tr.Trend[0].Count {
					t.Fatalf("the community's June in a breakdown (%+v) and in a trend (%+v) differ", bd.Table.Cells[i][0], tr.Trend[0].Count)
				}
			}
		}
	})
}

// TestProtectedEverywhere runs every kind of answer under protection and
// checks that no number from 1 to k-1 is shown anywhere.
func TestProtectedEverywhere(t *testing.T) {
	ix := buildIndex(t, sqliteDistrict(t, districtPeople, districtSeed).DB)
	p := protect()
	var nums []segment.Num
	collect := func(tb *segment.Table) {
		for _, r := range tb.Cells {
			nums = append(nums, r...)
		}
		nums = append(nums, tb.RowTotals...)
		nums = append(nums, tb.ColTotals...)
		nums = append(nums, tb.GroupTotals...)
		nums = append(nums, tb.Total)
	}
	r := protQuery(t, ix, p, segment.Query{Segment: &segment.Expr{Attr: "age", Min: ptr(60)}, Result: "trend", Matter: "MED-001", From: "2025-01", To: "2026-11"})
	for _, x := range r.Trend {
		nums = append(nums, x.Count)
	}
	r = protQuery(t, ix, p, segment.Query{Segment: &segment.Expr{Attr: "residency", Eq: ptr(segment.Value("non_local"))}, Result: "top_matters", Year: 2026, Limit: 50})
	for _, x := range r.Top {
		nums = append(nums, x.Count)
	}
	bd, err := ix.BedDemand(ctx, segment.BedDemand{MinAge: 60}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range append(bd.Communities, append(bd.Streets, bd.Total)...) {
		nums = append(nums, row.Elderly, row.Demand)
	}
	dm, err := ix.Demand(ctx, segment.Demand{Top: 5}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dm.Matters {
		for _, tb := range m.Tables {
			collect(tb)
		}
	}
	wi, err := ix.WhatIf(ctx, segment.WhatIf{Rule: `age >= 75 && local`, Compare: "CIV-011"}, p)
	if err != nil {
		t.Fatal(err)
	}
	collect(wi.ByStreet)
	collect(wi.ByCommunity)
	nums = append(nums, wi.Eligible, wi.Compare.Beneficiaries, wi.Compare.EligibleBeneficiaries, wi.Compare.EligibleNotApplied, wi.Compare.BeneficiariesNotEligible)
	if _, err := ix.WhatIf(ctx, segment.WhatIf{Rule: `age >= 75`, List: true}, p); onedoor.ErrorCode(err) != onedoor.EFORBIDDEN {
		t.Fatalf("a protected what-if listed people: %v", err)
	}
	withheld := 0
	for _, n := range nums {
		if n.Suppressed {
			withheld++
		} else if n.V > 0 && n.V < k {
			t.Fatalf("%d is shown under protection", n.V)
		}
	}
	if withheld == 0 || withheld == len(nums) {
		t.Fatalf("%d of %d numbers withheld: the test proves little", withheld, len(nums))
	}
	t.Logf("%d numbers, %d withheld", len(nums), withheld)
}

// TestProtectedTableHeads: the least members the guard finds remembered
// sets by are gathered while a protected table is counted, and merged up
// into its margins; for every entry of tables of one, two and three
// dimensions (with street subtotals of communities) they are the least
// members of the entry's people, and the counts match.
func TestProtectedTableHeads(t *testing.T) {
	ix := buildIndex(t, sqliteDistrict(t, districtPeople, districtSeed).DB)
	check := func(t *testing.T) {
		for _, q := range protectedTableQueries {
			n, err := segment.CheckTableHeads(ix, q)
			if err != nil {
				t.Fatalf("%s by %v: %v", describe(q.Segment), q.By, err)
			}
			t.Logf("%s by %v: %d entries agree", describe(q.Segment), q.By, n)
		}
	}
	t.Run("counted as the engine chooses", check)
	t.Run("counted through the bitmaps", func(t *testing.T) {
		defer segment.ForceBitmaps()()
		check(t)
	})
}

var protectedTableQueries = []segment.Query{
	{Segment: &segment.Expr{Matter: "*", Year: 2026}, Result: "breakdown", By: []string{"community"}},
	{Segment: &segment.Expr{Attr: "age", Min: ptr(70)}, Result: "breakdown", By: []string{"community"}},
	{Segment: &segment.Expr{Matter: "MED-001"}, Result: "breakdown", By: []string{"street", "age5"}},
	{Segment: &segment.Expr{Not: &segment.Expr{Matter: "PSB-007"}}, Result: "breakdown", By: []string{"community", "sex"}},
	{Result: "breakdown", By: []string{"street", "residency"}, Segment: &segment.Expr{Attr: "sex", Eq: ptr(segment.Value("F"))}},
}

// TestProtectedPopulationFollowsPeople: tables of the whole population
// (a segment of attributes only) are counted once and kept until the
// people change: residents added later are in the next answer.
func TestProtectedPopulationFollowsPeople(t *testing.T) {
	ix := segment.New(segment.Config{Reference: refDate})
	add := func(from, n int64) {
		for id := from; id < from+n; id++ {
			ix.AddPerson(&onedoor.Person{ID: id, Sex: "F", Birth: refDate.AddDate(-75, 0, 0), Street: "祖庙街道", Community: "普君社区"})
		}
	}
	add(1, 30)
	ix.Finish(0)
	p := protect()
	q := segment.Query{Segment: &segment.Expr{Attr: "age", Min: ptr(70)}, Result: "breakdown", By: []string{"community"}}
	cell := func() segment.Num {
		t.Helper()
		res := protQuery(t, ix, p, q)
		if len(res.Table.Rows) != 1 {
			t.Fatalf("rows %v; want the one community", res.Table.Rows)
		}
		return res.Table.RowTotals[0]
	}
	if n := cell(); n.Suppressed || n.V != 30 {
		t.Fatalf("aged 70+ in 普君社区: %+v; want 30", n)
	}
	if n := cell(); n.Suppressed || n.V != 30 {
		t.Fatalf("asked again: %+v; want 30", n)
	}
	add(31, 15)
	if n := cell(); n.Suppressed || n.V != 45 {
		t.Fatalf("after 15 more residents: %+v; want 45", n)
	}
}
