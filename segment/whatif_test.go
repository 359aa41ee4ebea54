package segment_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"onedoor"
	"onedoor/rules"
	"onedoor/segment"
)

// bruteForce evaluates a rule for every resident (or enterprise) from plain
// SQL rows, the way the store evaluates conditions at intake (licences:
// the types of the e-licences valid on the day), and returns the IDs for
// which it holds.
func bruteForce(t *testing.T, db *sql.DB, s onedoor.SubjectType, src string) []int64 {
	t.Helper()
	schema := rules.Person
	licences := func(s onedoor.SubjectType) string {
		return `COALESCE((SELECT string_agg(l.type, ',') FROM licences l WHERE l.subject = '` + string(s) + `' AND l.holder_id = x.id
			AND l.valid_from <= ` + refSQL + ` AND (l.valid_until = '' OR l.valid_until >= ` + refSQL + `)), '')`
	}
	q := personsCTE + `SELECT x.id, x.age, x.sex, x.local, x.street, x.community, x.lives_alone, x.disabled, x.dishonest,
		COALESCE((SELECT string_agg(c.matter, ',') FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = x.id), ''),
		COALESCE((SELECT string_agg(c.matter, ',') FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = x.id AND c.status IN ('completed', 'delivered')), ''),
		` + licences(onedoor.Natural) + `
		FROM pa x ORDER BY x.id`
	if s == onedoor.Legal {
		schema = rules.Org
		q = `SELECT x.id, x.kind, x.size, x.registered, x.street, x.dishonest,
		COALESCE((SELECT string_agg(c.matter, ',') FROM cases c WHERE c.subject = 'legal' AND c.applicant_id = x.id), ''),
		COALESCE((SELECT string_agg(c.matter, ',') FROM cases c WHERE c.subject = 'legal' AND c.applicant_id = x.id AND c.status IN ('completed', 'delivered')), ''),
		` + licences(onedoor.Legal) + `
		FROM orgs x ORDER BY x.id`
	}
	rule, err := rules.Compile(src, schema)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	a := rules.NewAttrs(schema)
	var out []int64
	for rows.Next() {
		var id int64
		var applied, approved, held string
		m := map[string]any{}
		if s == onedoor.Legal {
			var kind, size, reg, street string
			var dishonest bool
			if err := rows.Scan(&id, &kind, &size, &reg, &street, &dishonest, &applied, &approved, &held); err != nil {
				t.Fatal(err)
			}
			years := 0
			if reg != "" {
				var y, mo, d int
				fmt.Sscanf(reg, "%d-%d-%d", &y, &mo, &d)
				days := (refDate.Unix() - dateUnix(y, mo, d)) / 86400
				years = int(float64(days) / 365.25)
			}
			m["org_kind"], m["org_size"], m["years_registered"], m["street"], m["dishonest"] = kind, size, int64(years), street, dishonest
		} else {
			var age int64
			var sex, street, community string
			var local, alone, disabled, dishonest bool
			if err := rows.Scan(&id, &age, &sex, &local, &street, &community, &alone, &disabled, &dishonest, &applied, &approved, &held); err != nil {
				t.Fatal(err)
			}
			m["age"], m["sex"], m["local"], m["street"], m["community"] = age, sex, local, street, community
			m["lives_alone"], m["disabled"], m["dishonest"] = alone, disabled, dishonest
		}
		m["applied"], m["approved"], m["licences"] = split(applied), split(approved), split(held)
		if err := a.FromMap(m); err != nil {
			t.Fatal(err)
		}
		ok, err := rule.Eval(a)
		if err != nil {
			t.Fatalf("rule %q on %d: %v", src, id, err)
		}
		if ok {
			out = append(out, id)
		}
	}
	return out
}

func dateUnix(y, m, d int) int64 {
	return refDate.AddDate(y-refDate.Year(), m-int(refDate.Month()), d-refDate.Day()).Unix()
}

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// TestWhatIfMatchesCEL evaluates policy rules through the index — narrowed
// by bitmaps, once per distinct combination of attributes — and checks the
// eligible set against evaluating the same CEL rule for every single
// person from SQL rows.
func TestWhatIfMatchesCEL(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		raw := db.RawRead()
		comms := ix.Dimensions(onedoor.Natural)[1].Values
		cases := []struct {
			subject onedoor.SubjectType
			rule    string
			exact   bool // answered by bitmaps alone
		}{
			{onedoor.Natural, `age >= 70 && lives_alone && street == "张槎街道"`, true},
			{onedoor.Natural, `age >= 80 && local`, true},
			{onedoor.Natural, `age >= 60 && !("CIV-011" in approved)`, true},
			{onedoor.Natural, `"HRSS-001" in approved && "MED-001" in applied && age >= 70`, true},
			{onedoor.Natural, `(disabled || lives_alone) && age >= 65 && community != "` + comms[0] + `"`, true},
			{onedoor.Natural, `!local && age >= 18 && age < 60 && !("PSB-007" in applied)`, true},
			{onedoor.Natural, `sex == "F" && 60 <= age && age != 65`, true},
			{onedoor.Natural, `size(applied) >= 3 && age < 40`, false},
			{onedoor.Natural, `applied.exists(m, m.startsWith("MED")) && sex == "F"`, false},
			{onedoor.Natural, `age % 7 == 3 || street == "祖庙街道"`, false},
			{onedoor.Natural, `approved.all(m, m != "CIV-011") && age > 85`, false},
			{onedoor.Natural, `("HRSS-001" in approved) != ("MED-001" in applied) && age / 10 == 7`, false},
			{onedoor.Natural, `community.startsWith("南") && (lives_alone || age >= 90)`, false},
			{onedoor.Legal, `org_size == "micro" && years_registered < 3`, false},
			{onedoor.Legal, `"MKT-001" in approved && !dishonest`, true},
			{onedoor.Legal, `applied.exists(m, m.startsWith("TAX")) || org_kind == "individual"`, false},
			// E-licences valid on the reference date: some have expired,
			// and some residents hold two of a type.
			{onedoor.Natural, `"id_card" in licences && age >= 60`, true},
			{onedoor.Natural, `"dog_licence" in licences || "health_cert" in licences`, true},
			{onedoor.Natural, `!("id_card" in licences) && age >= 16 && local`, true},
			{onedoor.Natural, `size(licences) >= 3 && age < 40`, false},
			{onedoor.Natural, `licences.exists_one(l, l == "id_card") && local`, false},
			{onedoor.Natural, `licences.exists(l, l.startsWith("h")) && !("hukou" in licences)`, false},
			{onedoor.Legal, `"business_licence" in licences && org_size == "micro"`, true},
			{onedoor.Legal, `size(licences) >= 2 || (size(licences) == 0 && "MKT-001" in applied)`, false},
		}
		for _, c := range cases {
			res, err := ix.WhatIf(ctx, segment.WhatIf{Subject: c.subject, Rule: c.rule, List: true, Limit: segment.MaxOutreach}, nil)
			if err != nil {
				t.Fatalf("%s: %v", c.rule, err)
			}
			want := bruteForce(t, raw, c.subject, c.rule)
			if !slices.Equal(res.Outreach, want) && !(len(res.Outreach) == 0 && len(want) == 0) {
				t.Errorf("%s: engine %d eligible, brute force %d", c.rule, len(res.Outreach), len(want))
				continue
			}
			if res.Eligible.V != int64(len(want)) {
				t.Errorf("%s: eligible %d, want %d", c.rule, res.Eligible.V, len(want))
			}
			if res.Stats.Exact != c.exact {
				t.Errorf("%s: answered by bitmaps alone = %v, want %v", c.rule, res.Stats.Exact, c.exact)
			}
			if res.Stats.Candidates > res.Stats.Population {
				t.Errorf("%s: more candidates than people", c.rule)
			}
			t.Logf("%-90s eligible %5d of %5d candidates, %d CEL evaluations", c.rule, len(want), res.Stats.Candidates, res.Stats.Evaluations)
		}
	})
}

// TestWhatIfComparison checks the comparison with a matter's beneficiaries
// against SQL, and that the outreach list is exactly the eligible who have
// not applied.
func TestWhatIfComparison(t *testing.T) {
	forEachDB(t, districtPeople, districtSeed, func(t *testing.T, d *district) {
		db, ix := d.DB, buildIndex(t, d.DB)
		raw := db.RawRead()
		rule := `age >= 75 && local`
		res, err := ix.WhatIf(ctx, segment.WhatIf{Rule: rule, Compare: "CIV-011", List: true, Limit: segment.MaxOutreach}, nil)
		if err != nil {
			t.Fatal(err)
		}
		elig := "x.age >= 75 AND x.local"
		ben := "EXISTS (SELECT 1 FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = x.id" + caseSQL("CIV-011", "approved", 0, "", "") + ")"
		app := "EXISTS (SELECT 1 FROM cases c WHERE c.subject = 'natural' AND c.applicant_id = x.id" + caseSQL("CIV-011", "", 0, "", "") + ")"
		for _, x := range []struct {
			name string
			got  int64
			cond string
		}{
			{"beneficiaries", res.Compare.Beneficiaries.V, ben},
			{"eligible beneficiaries", res.Compare.EligibleBeneficiaries.V, elig + " AND " + ben},
			{"eligible not applied", res.Compare.EligibleNotApplied.V, elig + " AND NOT " + app},
			{"beneficiaries not eligible", res.Compare.BeneficiariesNotEligible.V, ben + " AND NOT (" + elig + ")"},
			{"outreach list", int64(len(res.Outreach)), elig + " AND NOT " + app},
		} {
			if want := sqlCount(t, raw, selectFrom(onedoor.Natural, "COUNT(*)", x.cond)); x.got != want {
				t.Errorf("%s: engine %d, SQL %d", x.name, x.got, want)
			}
		}
		if res.Compare.Beneficiaries.V == 0 || res.Compare.EligibleNotApplied.V == 0 {
			t.Errorf("the comparison is degenerate: %+v", res.Compare)
		}
		var byStreet int64
		for _, r := range res.ByStreet.Cells {
			byStreet += r[0].V
		}
		if byStreet != res.Eligible.V {
			t.Errorf("by street sums to %d, eligible %d", byStreet, res.Eligible.V)
		}
	})
}

// TestWhatIfLicencesNeedTheRegistry: an index that does not follow the
// e-licence registry (no Config.ResolveLicence) refuses rules over
// licences rather than answer them without the licences issued since its
// build.
func TestWhatIfLicencesNeedTheRegistry(t *testing.T) {
	ix := segment.New(segment.Config{Reference: refDate})
	ix.AddPerson(&onedoor.Person{ID: 1, Sex: "F", Birth: refDate.AddDate(-70, 0, 0)})
	ix.AddLicence(segment.Licence{Subject: onedoor.Natural, HolderID: 1, Type: "id_card", ValidFrom: "2020-01-01"})
	ix.Finish(0)
	_, err := ix.WhatIf(ctx, segment.WhatIf{Rule: `"id_card" in licences`}, nil)
	if onedoor.ErrorCode(err) != onedoor.EINVALID || onedoor.ErrorField(err) != "rule" {
		t.Fatalf("a rule over licences on an index without the registry: %v; want invalid rule", err)
	}
	if _, err := ix.WhatIf(ctx, segment.WhatIf{Rule: `age >= 70`}, nil); err != nil {
		t.Fatalf("a rule without licences: %v", err)
	}
	ix = segment.New(segment.Config{Reference: refDate,
		ResolveLicence: func(context.Context, string) (*onedoor.Licence, error) { return nil, errors.New("no store") }})
	ix.AddPerson(&onedoor.Person{ID: 1, Sex: "F", Birth: refDate.AddDate(-70, 0, 0)})
	ix.AddLicence(segment.Licence{Subject: onedoor.Natural, HolderID: 1, Type: "id_card", ValidFrom: "2020-01-01"})
	ix.AddLicence(segment.Licence{Subject: onedoor.Natural, HolderID: 1, Type: "dog_licence", ValidFrom: "2020-01-01", ValidUntil: "2020-12-31"})
	ix.Finish(0)
	for rule, want := range map[string]int64{`"id_card" in licences`: 1, `"dog_licence" in licences`: 0, `size(licences) == 1`: 1} {
		res, err := ix.WhatIf(ctx, segment.WhatIf{Rule: rule}, nil)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		if res.Eligible.V != want {
			t.Fatalf("%s: %d eligible, want %d", rule, res.Eligible.V, want)
		}
	}
}
