package segment_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/segment"
)

// The oracle answers the engine's questions with plain SQL over the store's
// own tables: the same definitions written a second, independent way.

const refSQL = "'2026-11-30'"

// personsCTE gives every resident with age and household size and type at
// the reference date. The oracle is plain SQL that SQLite and PostgreSQL
// both run. The engine bounds ages to 0..150; the oracle leaves the bounds
// out (a CASE around the age makes its queries on SQLite some 40% slower)
// and TestCountsMatchSQL checks that no resident's age needs them.
const personsCTE = `WITH pa0 AS (
	SELECT p.*, CAST(substr(` + refSQL + `,1,4) AS INTEGER) - CAST(substr(p.birth,1,4) AS INTEGER)
		- CASE WHEN substr(p.birth,6,5) > substr(` + refSQL + `,6,5) THEN 1 ELSE 0 END AS age FROM persons p),
hh AS (SELECT household, COUNT(*) AS n, SUM(CASE WHEN age < 18 THEN 1 ELSE 0 END) AS young,
	SUM(CASE WHEN age >= 60 THEN 1 ELSE 0 END) AS old FROM pa0 WHERE household > 0 GROUP BY household),
pa AS (SELECT pa0.*,
	CASE WHEN pa0.household <= 0 THEN 'unknown' WHEN hh.n >= 5 THEN '5+' ELSE CAST(hh.n AS TEXT) END AS hh_size,
	CASE WHEN pa0.household <= 0 THEN 'unknown' WHEN hh.n = 1 THEN 'single' WHEN hh.old = hh.n THEN 'elderly_only'
		WHEN hh.young > 0 AND hh.old > 0 THEN 'with_children_and_elderly' WHEN hh.young > 0 THEN 'with_children'
		WHEN hh.old > 0 THEN 'with_elderly' ELSE 'adults_only' END AS hh_type
	FROM pa0 LEFT JOIN hh ON hh.household = pa0.household)
`

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dimSQL is the SQL label of a breakdown dimension.
func dimSQL(s onedoor.SubjectType, dim string) string {
	if s == onedoor.Legal {
		switch dim {
		case "street":
			return "x.street"
		case "org_kind":
			return "x.kind"
		case "org_size":
			return "x.size"
		case "dishonest":
			return "CASE WHEN x.dishonest THEN 'yes' ELSE 'no' END"
		}
		panic("no dimension " + dim)
	}
	switch dim {
	case "street":
		return "x.street"
	case "community":
		return "x.street || '/' || x.community"
	case "age5":
		return "CASE WHEN x.age >= 100 THEN '100+' ELSE CAST(x.age/5*5 AS TEXT) || '-' || CAST(x.age/5*5+4 AS TEXT) END"
	case "age_policy":
		return "CASE WHEN x.age < 15 THEN '0-14' WHEN x.age < 60 THEN '15-59' WHEN x.age < 70 THEN '60-69' WHEN x.age < 80 THEN '70-79' ELSE '80+' END"
	case "sex":
		return "CASE x.sex WHEN 'F' THEN 'F' WHEN 'M' THEN 'M' ELSE 'other' END"
	case "residency":
		return "CASE WHEN x.local THEN 'local' ELSE 'non_local' END"
	case "lives_alone", "disabled", "dishonest":
		return "CASE WHEN x." + dim + " THEN 'yes' ELSE 'no' END"
	case "household_size":
		return "x.hh_size"
	case "household_type":
		return "x.hh_type"
	}
	panic("no dimension " + dim)
}

// selectFrom builds SELECT cols FROM population WHERE cond.
func selectFrom(s onedoor.SubjectType, cols, where string) string {
	if s == onedoor.Legal {
		return "SELECT " + cols + " FROM orgs x WHERE " + where
	}
	return personsCTE + "SELECT " + cols + " FROM pa x WHERE " + where
}

// condSQL translates a segment into a WHERE condition over x.
func condSQL(s onedoor.SubjectType, e *segment.Expr) string {
	if e == nil {
		return "1 = 1"
	}
	switch {
	case e.And != nil || e.Or != nil:
		list, op := e.And, " AND "
		if e.Or != nil {
			list, op = e.Or, " OR "
		}
		parts := make([]string, len(list))
		for i, k := range list {
			parts[i] = "(" + condSQL(s, k) + ")"
		}
		return strings.Join(parts, op)
	case e.Not != nil:
		return "NOT (" + condSQL(s, e.Not) + ")"
	case e.Attr == "age":
		lo, hi := 0, 150
		if e.Min != nil {
			lo = *e.Min
		}
		if e.Max != nil {
			hi = *e.Max
		}
		return fmt.Sprintf("x.age BETWEEN %d AND %d", lo, hi)
	case e.Attr != "":
		vals := e.In
		if e.Eq != nil {
			vals = []segment.Value{*e.Eq}
		}
		label := dimSQL(s, e.Attr)
		if e.Attr == "community" {
			label = "x.community"
		}
		var qs []string
		for _, v := range vals {
			qs = append(qs, quote(string(v)))
		}
		return label + " IN (" + strings.Join(qs, ", ") + ")"
	}
	return "EXISTS (SELECT 1 FROM cases c WHERE c.subject = " + quote(string(s)) + " AND c.applicant_id = x.id" + caseSQL(e.Matter, e.Event, e.Year, e.From, e.To) + ")"
}

// caseSQL is the condition on a case c for a matter event in a window.
func caseSQL(matter, event string, year int, from, to string) string {
	var sb strings.Builder
	if matter != "*" && matter != "" {
		sb.WriteString(" AND c.matter = " + quote(matter))
	}
	switch event {
	case "approved":
		sb.WriteString(" AND c.status IN ('completed', 'delivered')")
	case "rejected":
		sb.WriteString(" AND c.status = 'rejected'")
	case "open":
		sb.WriteString(" AND c.status NOT IN ('completed', 'delivered', 'rejected')")
	}
	if year != 0 {
		from, to = fmt.Sprintf("%d-01", year), fmt.Sprintf("%d-12", year)
	}
	if from != "" {
		// received_at is UTC text of one fixed width; months are China
		// Standard Time (UTC+8, no daylight saving).
		fmt.Fprintf(&sb, " AND c.received_at >= %s AND c.received_at < %s", quote(monthStartUTC(from, 0)), quote(monthStartUTC(to, 1)))
	}
	return sb.String()
}

// monthStartUTC is the start of the month YYYY-MM plus add months, in China
// Standard Time, written as the store writes UTC times.
func monthStartUTC(month string, add int) string {
	t, err := time.ParseInLocation("2006-01", month, calendar.Location)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, add, 0).UTC().Format("2006-01-02T15:04:05.000000Z")
}

func sqlCount(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return n
}

// sqlGroups runs a GROUP BY query whose last column is a count.
func sqlGroups(t *testing.T, db *sql.DB, q string, keys int) map[string]int64 {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		ks := make([]string, keys)
		dest := make([]any, keys+1)
		for i := range ks {
			dest[i] = &ks[i]
		}
		var n int64
		dest[keys] = &n
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out[strings.Join(ks, "|")] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tableMap flattens an engine table to label keys, leaving out zeros.
func tableMap(tb *segment.Table) map[string]int64 {
	out := map[string]int64{}
	for i, r := range tb.Rows {
		if tb.Dims[0] == "community" {
			r = tb.RowGroups[i] + "/" + r
		}
		for j, c := range tb.Cells[i] {
			if c.V == 0 {
				continue
			}
			k := r
			if len(tb.Cols) > 0 {
				k += "|" + tb.Cols[j]
			}
			out[k] = c.V
		}
	}
	return out
}

// queryGen makes random queries over the district's own values.
type queryGen struct {
	r       *rand.Rand
	subject onedoor.SubjectType
	dims    []segment.Dimension
	matters []string
}

func newQueryGen(t *testing.T, db *sql.DB, ix *segment.Index, s onedoor.SubjectType, seed uint64) *queryGen {
	g := &queryGen{r: rand.New(rand.NewPCG(seed, 99)), subject: s, dims: ix.Dimensions(s)}
	g.matters = slices.Collect(func(yield func(string) bool) {
		rows, err := db.Query(`SELECT matter FROM cases WHERE subject = $1 GROUP BY matter ORDER BY COUNT(*) DESC LIMIT 40`, string(s))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var m string
			rows.Scan(&m)
			if !yield(m) {
				return
			}
		}
	})
	if len(g.matters) < 3 {
		t.Fatalf("the district has too few %s matters: %v", s, g.matters)
	}
	return g
}

func (g *queryGen) pick(n int) int { return g.r.IntN(n) }

func (g *queryGen) leaf() *segment.Expr {
	switch g.pick(5) {
	case 0, 1:
		return g.matterLeaf()
	case 2:
		if g.subject == onedoor.Natural {
			lo := g.pick(90)
			hi := lo + g.pick(40)
			e := &segment.Expr{Attr: "age"}
			if g.pick(3) > 0 {
				e.Min = &lo
			}
			if e.Min == nil || g.pick(2) == 0 {
				e.Max = &hi
			}
			return e
		}
	}
	d := g.dims[g.pick(len(g.dims))]
	if len(d.Values) == 0 {
		return g.matterLeaf()
	}
	e := &segment.Expr{Attr: d.Name}
	n := 1 + g.pick(min(3, len(d.Values)))
	for range n {
		v := segment.Value(d.Values[g.pick(len(d.Values))])
		if !slices.Contains(e.In, v) {
			e.In = append(e.In, v)
		}
	}
	if len(e.In) == 1 && g.pick(2) == 0 {
		e.Eq, e.In = &e.In[0], nil
	}
	return e
}

func (g *queryGen) matterLeaf() *segment.Expr {
	e := &segment.Expr{Matter: g.matters[g.pick(len(g.matters))]}
	if g.pick(10) == 0 {
		e.Matter = "*"
	} else {
		e.Event = []string{"", "applied", "approved", "rejected", "open"}[g.pick(5)]
	}
	switch g.pick(3) {
	case 1:
		e.Year = 2024 + g.pick(3)
	case 2:
		a, b := g.month(), g.month()
		if a > b {
			a, b = b, a
		}
		e.From, e.To = a, b
	}
	return e
}

func (g *queryGen) month() string {
	k := 2024*12 + 9 + g.pick(27) // 2024-10 .. 2026-12
	return fmt.Sprintf("%d-%02d", k/12, k%12+1)
}

func (g *queryGen) expr(depth int) *segment.Expr {
	if depth == 0 || g.pick(3) == 0 {
		return g.leaf()
	}
	switch g.pick(4) {
	case 0:
		return &segment.Expr{Not: g.expr(depth - 1)}
	case 1:
		return &segment.Expr{Or: []*segment.Expr{g.expr(depth - 1), g.expr(depth - 1)}}
	}
	n := 2 + g.pick(2)
	e := &segment.Expr{}
	for range n {
		e.And = append(e.And, g.expr(depth-1))
	}
	return e
}

func describe(e *segment.Expr) string {
	if e == nil {
		return "everyone"
	}
	var sb strings.Builder
	switch {
	case e.And != nil || e.Or != nil:
		list, op := e.And, " and "
		if e.Or != nil {
			list, op = e.Or, " or "
		}
		sb.WriteString("(")
		for i, k := range list {
			if i > 0 {
				sb.WriteString(op)
			}
			sb.WriteString(describe(k))
		}
		sb.WriteString(")")
	case e.Not != nil:
		sb.WriteString("not " + describe(e.Not))
	case e.Attr == "age":
		lo, hi := "", ""
		if e.Min != nil {
			lo = strconv.Itoa(*e.Min)
		}
		if e.Max != nil {
			hi = strconv.Itoa(*e.Max)
		}
		sb.WriteString("age " + lo + ".." + hi)
	case e.Attr != "":
		if e.Eq != nil {
			fmt.Fprintf(&sb, "%s=%s", e.Attr, *e.Eq)
		} else {
			fmt.Fprintf(&sb, "%s in %v", e.Attr, e.In)
		}
	default:
		fmt.Fprintf(&sb, "%s %s", e.Matter, e.Event)
		if e.Year != 0 {
			fmt.Fprintf(&sb, " %d", e.Year)
		}
		if e.From != "" {
			fmt.Fprintf(&sb, " %s..%s", e.From, e.To)
		}
	}
	return sb.String()
}

func mustQuery(t *testing.T, ix *segment.Index, q segment.Query) *segment.Result {
	t.Helper()
	r, err := ix.Query(context.Background(), q, nil)
	if err != nil {
		t.Fatalf("query %s: %v", describe(q.Segment), err)
	}
	return r
}
