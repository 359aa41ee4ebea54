package catalog_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"onedoor/catalog"
)

// base.yaml is shared by the lint cases: the departments and licence types
// that the matter in goodMatter refers to.
const baseYAML = `departments:
  - code: hrss
    name: {zh: 人社局, en: Human Resources and Social Security Bureau}
  - code: med
    name: {zh: 医保局, en: Healthcare Security Bureau}
licence_types:
  - code: id_card
    name: {zh: 居民身份证, en: Resident identity card}
    department: hrss
    valid_years: 20
  - code: pension_decision
    name: {zh: 退休养老待遇核定表, en: Retirement pension decision}
    department: hrss
`

const goodSteps = `    steps:
      - code: review
        name: {zh: 审核, en: Review}
        role: officer
        department: hrss
        limit: 3
      - code: publicity
        name: {zh: 公示, en: Public notice}
        role: officer
        department: hrss
        limit: 5
        special: true
`

const goodFee = "{code: fee1, name: {zh: 工本费, en: Card fee}, amount: 1000, basis: 粤价〔2015〕1号}"

// goodMatter is a valid matter; each lint case breaks one thing in it.
const goodMatter = `matters:
  - code: HRSS-001
    version: 1
    name: {zh: 退休养老待遇确认, en: Confirmation of retirement pension}
    department: hrss
    agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration}
    subject: natural
    kind: confirmation
    legal_basis: {zh: 社会保险法第十六条, en: "Social Insurance Law, art. 16"}
    condition: "age >= 50"
    condition_text: {zh: 达到法定退休年龄, en: Statutory retirement age reached}
    statutory_limit: 20
    promised_limit: 5
    max_visits: 1
    materials:
      - code: id_card
        name: {zh: 居民身份证, en: Resident identity card}
        required: true
        tolerable: false
        licence: id_card
      - code: photo
        name: {zh: 照片, en: Photo}
        required: false
` + goodSteps + `    fees:
      - ` + goodFee + `
    result: {name: {zh: 养老待遇核定, en: Pension decision}, licence: pension_decision}
    delivery: [counter, post, elicence]
    status_texts:
      in_progress: {zh: 正在审核, en: Being reviewed}
    keywords: [退休, pension]
`

// secondMatter is another valid matter, for bundles.
const secondMatter = `  - code: MED-001
    version: 1
    name: {zh: 大病保险, en: Serious illness insurance}
    department: med
    agency: {zh: 医保中心, en: Healthcare Security Centre}
    subject: natural
    kind: benefit
    legal_basis: {zh: 大病保险意见}
    statutory_limit: 20
    promised_limit: 10
    steps:
      - {code: review, name: {zh: 审核, en: Review}, role: officer, department: med, limit: 7}
    result: {name: {zh: 大病保险待遇, en: Serious illness benefit}}
    delivery: [counter]
`

const goodBundle = `bundles:
  - code: BD-RETIRE
    version: 1
    name: {zh: 退休一件事, en: Retiring}
    subject: natural
    matters: [HRSS-001, MED-001]
    delivery: [counter]
`

// edit returns s with each old string replaced by the new one that follows
// it, failing the test when an old string is not there.
func edit(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q not found", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// marked returns the 1-based line of the file that carries the marker
// "#<", or 0, for a problem about the file as a whole, when none does.
func marked(s string) int {
	for i, line := range strings.Split(s, "\n") {
		if strings.Contains(line, "#<") {
			return i + 1
		}
	}
	return 0
}

// loadFiles loads a catalog made of the given files.
func loadFiles(files map[string]string) (*catalog.Catalog, error) {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return catalog.Load(fsys, ".")
}

func TestLoadGoodBase(t *testing.T) {
	// The lint cases are only meaningful if the file they break is valid.
	c, err := loadFiles(map[string]string{"base.yaml": baseYAML, "c.yaml": goodMatter + secondMatter, "d.yaml": goodBundle})
	if err != nil {
		t.Fatalf("the unbroken lint catalog does not load:\n%v", err)
	}
	if _, ok := c.Bundle("BD-RETIRE"); !ok {
		t.Fatal("BD-RETIRE not found")
	}
}

func TestLint(t *testing.T) {
	type tc struct {
		name string
		// c.yaml is goodMatter with these replacements (old, new, ...);
		// the new text marks the offending line with "#<".
		edits []string
		// files replace or add to base.yaml and c.yaml.
		files map[string]string
		// file is where the problem is, c.yaml when empty; the line is
		// the one marked in that file.
		file string
		want string
		n    int // problems expected, 1 when 0
	}
	cases := []tc{
		// Unknown keys and YAML types.
		{name: "unknown key in matter", edits: []string{"    keywords:", "    keywordz: [x] #<\n    keywords:"},
			want: `unknown key "keywordz"; did you mean "keywords"?`},
		{name: "unknown key in step", edits: []string{"        limit: 3\n", "        limit: 3\n        limt: 3 #<\n"},
			want: `steps[0] has an unknown key "limt"; did you mean "limit"?`},
		{name: "unknown key without a near miss lists the keys", edits: []string{"    keywords:", "    colour: red #<\n    keywords:"},
			want: `unknown key "colour"; the keys allowed here are code, version, name`},
		{name: "unknown key in text from an unquoted comma",
			edits: []string{`en: "Social Insurance Law, art. 16"}`, `en: Social Insurance Law, art. 16} #<`},
			want:  `legal_basis has an unknown key "art. 16"`},
		{name: "unknown top-level key", edits: []string{"matters:", "matter: #<"},
			want: `The file has an unknown key "matter"; did you mean "matters"?`},
		{name: "duplicate key", edits: []string{"    max_visits: 1\n", "    max_visits: 1\n    max_visits: 2 #<\n"},
			want: `has the key "max_visits" twice (first at line 14)`},
		{name: "number expected", edits: []string{"statutory_limit: 20", "statutory_limit: twenty #<"},
			want: `statutory_limit must be a whole number, not the text "twenty"`},
		{name: "fraction where a whole number is expected", edits: []string{"amount: 1000, basis: 粤价〔2015〕1号}", "amount: 10.5, basis: 粤价〔2015〕1号} #<"},
			want: `fees[0].amount must be a whole number, not the number 10.5`},
		{name: "boolean expected", edits: []string{"required: true", "required: yes #<"},
			want: `materials[0].required must be true or false, not the text "yes"`},
		{name: "text expected", edits: []string{"agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration}", "agency: {zh: [社保], en: Social Insurance Fund Administration} #<"},
			want: `agency.zh must be text, not a list`},
		{name: "name must be a mapping", edits: []string{"name: {zh: 照片, en: Photo}", "name: 照片 #<"},
			want: `materials[1].name must be a mapping with zh and en texts`},
		{name: "list expected", edits: []string{"delivery: [counter, post, elicence]", "delivery: counter #<"},
			want: `delivery must be a list, not the text "counter"`},
		{name: "top-level key must hold a list", edits: []string{"matters:\n  - code: HRSS-001", "matters: #<\n    code: HRSS-001"},
			want: `The top-level key matters must hold a list, not a mapping`},
		{name: "entry must be a mapping", files: map[string]string{"c.yaml": "departments:\n  - hrss #<\n"},
			want: `Department #1 of the file: the department must be a mapping, not the text "hrss"`},
		{name: "file must be a mapping", files: map[string]string{"c.yaml": "- matters #<\n"},
			want: `A catalog file must be a mapping`},
		{name: "alias", edits: []string{"agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration}", "agency: &a {zh: 社保基金管理局, en: Social Insurance Fund Administration}",
			"legal_basis: {zh: 社会保险法第十六条, en: \"Social Insurance Law, art. 16\"}", "legal_basis: *a #<"},
			want: `legal_basis is an alias (*a); aliases are not supported`},
		{name: "invalid YAML unclosed list", edits: []string{"    delivery: [counter, post, elicence]\n", "    delivery: [counter, post, elicence #<\n"},
			want: `The file is not valid YAML: did not find expected ',' or ']'`},
		{name: "invalid YAML unclosed mapping", edits: []string{"    agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration}\n", "    agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration #<\n"},
			want: `The file is not valid YAML: did not find expected ',' or '}'`},
		{name: "invalid YAML bad character", edits: []string{"kind: confirmation", "kind: @confirmation #<"},
			want: `The file is not valid YAML: found character that cannot start any token`},
		{name: "invalid YAML indentation", edits: []string{"    max_visits: 1\n", "     max_visits: 1 #<\n"},
			want: `The file is not valid YAML: mapping values are not allowed in this context`},
		{name: "invalid YAML unknown anchor", edits: []string{"    kind: confirmation\n", "    kind: *k #<\n"},
			want: `The file is not valid YAML: unknown anchor 'k' referenced`},
		{name: "second document", edits: []string{"    keywords: [退休, pension]\n", "    keywords: [退休, pension]\n--- #<\nmatters: []\n"},
			want: `second YAML document`},
		{name: "yml file ignored", files: map[string]string{"x.yml": "departments: []\n"}, file: "x.yml",
			want: `ends in .yml; catalog files must end in .yaml`},

		// Codes, versions and names.
		{name: "matter code missing", edits: []string{"  - code: HRSS-001\n    version: 1\n", "  - version: 1 #<\n"},
			want: `Matter #1 of the file: code is missing`},
		{name: "matter code pattern", edits: []string{"code: HRSS-001", "code: HRSS-1 #<"},
			want: `code "HRSS-1" is not valid; it must be a matter code`},
		{name: "material code pattern", edits: []string{"code: photo", "code: Photo #<"},
			want: `materials[1].code "Photo" is not valid`},
		{name: "step code pattern", edits: []string{"code: publicity", "code: public-notice #<"},
			want: `steps[1].code "public-notice" is not valid`},
		{name: "fee code pattern", edits: []string{goodFee, strings.Replace(goodFee, "fee1", "1fee", 1) + " #<"},
			want: `fees[0].code "1fee" is not valid`},
		{name: "department code pattern", files: map[string]string{"d.yaml": "departments:\n  - code: PS #<\n    name: {zh: 公安, en: Police}\n"}, file: "d.yaml",
			want: `Department PS: code "PS" is not valid`},
		{name: "licence type code missing", files: map[string]string{"d.yaml": "licence_types:\n  - name: {zh: 证, en: Licence} #<\n    department: hrss\n"}, file: "d.yaml",
			want: `Licence type #1 of the file: code is missing`},
		{name: "version below 1", edits: []string{"version: 1", "version: 0 #<"},
			want: `Matter HRSS-001 v0: version is 0; versions start at 1`},
		{name: "version missing", edits: []string{"  - code: HRSS-001\n    version: 1\n", "  - code: HRSS-001 #<\n"},
			want: `Matter HRSS-001: version is 0`},
		{name: "name zh empty", edits: []string{"name: {zh: 退休养老待遇确认, en: Confirmation of retirement pension}", `name: {zh: "", en: Confirmation of retirement pension} #<`},
			want: `name.zh is empty`},
		{name: "name en missing", edits: []string{"name: {zh: 审核, en: Review}", "name: {zh: 审核} #<"},
			want: `steps[0].name.en is empty`},
		{name: "result name missing", edits: []string{"result: {name: {zh: 养老待遇核定, en: Pension decision}, licence: pension_decision}", "result: {name: {en: Pension decision}, licence: pension_decision} #<"},
			want: `result.name.zh is empty`},

		// The matter's own fields.
		{name: "department unknown", edits: []string{"    department: hrss\n", "    department: hr #<\n"},
			want: `department "hr" is not a department of the catalog`},
		{name: "agency zh", edits: []string{"agency: {zh: 社保基金管理局, en: Social Insurance Fund Administration}", "agency: {en: Social Insurance Fund Administration} #<"},
			want: `agency.zh is empty`},
		{name: "subject", edits: []string{"subject: natural", "subject: person #<"},
			want: `subject "person" is not valid; it must be natural or legal`},
		{name: "kind", edits: []string{"kind: confirmation", "kind: permit #<"},
			want: `kind "permit" is not valid; it must be licensing, confirmation, benefit, service or other`},
		{name: "legal basis", edits: []string{`legal_basis: {zh: 社会保险法第十六条, en: "Social Insurance Law, art. 16"}`, `legal_basis: {en: "Social Insurance Law, art. 16"} #<`},
			want: `legal_basis.zh is empty`},
		{name: "statutory limit at least 1", edits: []string{"statutory_limit: 20", "statutory_limit: 0 #<"},
			want: `statutory_limit is 0; it must be at least 1 working day`},
		{name: "promised limit not negative", edits: []string{"promised_limit: 5", "promised_limit: -1 #<"},
			want: `promised_limit is -1; it must be 0`},
		{name: "promised limit within statutory", edits: []string{"promised_limit: 5", "promised_limit: 25 #<"},
			want: `promised_limit is 25 working days, longer than statutory_limit (20)`},
		{name: "max visits", edits: []string{"max_visits: 1", "max_visits: 6 #<"},
			want: `max_visits is 6; it must be from 0 to 5`},
		{name: "condition compiles", edits: []string{`condition: "age >= 50"`, `condition: "age >= 50 && pension_years >= 15" #<`},
			want: `condition does not compile over the attributes of a natural person: The condition is not valid`},
		{name: "condition uses the subject's schema",
			edits: []string{"subject: natural", "subject: legal", `condition: "age >= 50"`, `condition: "age >= 50" #<`,
				"delivery: [counter, post, elicence]", "delivery: [counter, post, elicence]"},
			want: `condition does not compile over the attributes of a legal person`},
		{name: "condition needs text", edits: []string{"    condition_text: {zh: 达到法定退休年龄, en: Statutory retirement age reached}\n", "",
			`condition: "age >= 50"`, `condition: "age >= 50" #<`},
			want: `condition_text.zh is empty`},
		{name: "status text key", edits: []string{"in_progress: {zh: 正在审核, en: Being reviewed}", "done: {zh: 正在审核, en: Being reviewed} #<"},
			want: `status_texts has the key "done", which is not a case status`},
		{name: "status text zh", edits: []string{"in_progress: {zh: 正在审核, en: Being reviewed}", "in_progress: {en: Being reviewed} #<"},
			want: `status_texts.in_progress.zh is empty`},

		// Materials, steps and fees.
		{name: "duplicate material code", edits: []string{"code: photo", "code: id_card #<"},
			want: `materials[1].code id_card is used twice in the list (first at line 16)`},
		{name: "material licence unknown", edits: []string{"licence: id_card", "licence: idcard #<"},
			want: `materials[0].licence "idcard" is not a licence type of the catalog`},
		{name: "tolerable only when required", edits: []string{"required: false\n", "required: false\n        tolerable: true #<\n"},
			want: `materials[1].tolerable is true, but the material is not required`},
		{name: "at least one step", edits: []string{goodSteps, "    steps: [] #<\n"},
			want: `steps is empty; a matter needs at least one step`},
		{name: "step role", edits: []string{"role: officer", "role: clerk #<"},
			want: `steps[0].role is "clerk"; a step is worked by an officer or a leader`},
		{name: "step role missing", edits: []string{"      - code: review\n        name: {zh: 审核, en: Review}\n        role: officer\n", "      - code: review #<\n        name: {zh: 审核, en: Review}\n"},
			want: `steps[0].role is missing`},
		{name: "step department", edits: []string{"        department: hrss\n        limit: 3", "        department: ps #<\n        limit: 3"},
			want: `steps[0].department "ps" is not a department of the catalog`},
		{name: "step limit not negative", edits: []string{"limit: 3", "limit: -1 #<"},
			want: `steps[0].limit is -1; it must be 0 or more`},
		{name: "steps fit the promised limit", edits: []string{"    steps:\n", "    steps: #<\n", "limit: 3", "limit: 6"},
			want: `the steps that count toward the limit take 6 working days, more than promised_limit (5)`},
		{name: "duplicate step code", edits: []string{"code: publicity", "code: review #<"},
			want: `steps[1].code review is used twice in the list (first at line 25)`},
		{name: "fee amount", edits: []string{goodFee, strings.Replace(goodFee, "1000", "-5", 1) + " #<"},
			want: `fees[0].amount is -5; an amount in fen must be 0 or more`},
		{name: "fee basis", edits: []string{goodFee, strings.Replace(goodFee, ", basis: 粤价〔2015〕1号", "", 1) + " #<"},
			want: `fees[0].basis is empty`},
		{name: "duplicate fee code", edits: []string{"basis: 粤价〔2015〕1号}\n", "basis: 粤价〔2015〕1号}\n      - {code: fee1, name: {zh: 费, en: Fee}, amount: 1, basis: x} #<\n"},
			want: `fees[1].code fee1 is used twice in the list`},

		// Results and delivery.
		{name: "result licence unknown", edits: []string{"licence: pension_decision}", "licence: pension} #<"},
			want: `result.licence "pension" is not a licence type of the catalog`},
		{name: "delivery empty", edits: []string{"delivery: [counter, post, elicence]", "delivery: [] #<"},
			want: `delivery is empty`},
		{name: "delivery channel", edits: []string{"delivery: [counter, post, elicence]", "delivery: [counter, email] #<"},
			want: `delivery[1] "email" is not valid; it must be counter, post or elicence`},
		{name: "delivery channel twice", edits: []string{"delivery: [counter, post, elicence]", "delivery: [counter, counter] #<"},
			want: `delivery[1] counter is listed twice`},
		{name: "elicence needs a result licence", edits: []string{", licence: pension_decision}", "}", "delivery: [counter, post, elicence]", "delivery: [counter, elicence] #<"},
			want: `delivery[1] is elicence, but result.licence is not set`},

		// Across entries and files.
		{name: "duplicate matter version", files: map[string]string{"d.yaml": strings.Replace(goodMatter, "  - code: HRSS-001\n    version: 1\n", "  - code: HRSS-001\n    version: 1 #<\n", 1)}, file: "d.yaml",
			want: `matter HRSS-001 version 1 is defined twice: here and at c.yaml:2`},
		{name: "later version keeps the subject", files: map[string]string{"d.yaml": edit(t, goodMatter, "version: 1", "version: 2", "subject: natural", "subject: legal #<",
			`    condition: "age >= 50"`+"\n", "")}, file: "d.yaml",
			want: `Matter HRSS-001 v2: subject is legal, but version 1 (c.yaml:2) serves natural`},
		{name: "duplicate department", files: map[string]string{"d.yaml": "departments:\n  - code: hrss #<\n    name: {zh: 人社, en: HRSS}\n"}, file: "d.yaml",
			want: `department hrss is defined twice: here and at base.yaml:2`},
		{name: "duplicate licence type", files: map[string]string{"d.yaml": "licence_types:\n  - code: id_card #<\n    name: {zh: 身份证, en: ID}\n    department: hrss\n"}, file: "d.yaml",
			want: `licence type id_card is defined twice: here and at base.yaml:7`},
		{name: "licence type department", files: map[string]string{"d.yaml": "licence_types:\n  - code: permit\n    name: {zh: 许可证, en: Permit}\n    department: ps #<\n"}, file: "d.yaml",
			want: `Licence type permit: department "ps" is not a department of the catalog`},
		{name: "licence type validity", files: map[string]string{"d.yaml": "licence_types:\n  - code: permit\n    name: {zh: 许可证, en: Permit}\n    department: hrss\n    valid_years: -1 #<\n"}, file: "d.yaml",
			want: `valid_years is -1`},

		// Bundles.
		{name: "bundle code", files: map[string]string{"d.yaml": edit(t, goodBundle, "code: BD-RETIRE", "code: BD-1 #<")}, file: "d.yaml",
			want: `Bundle BD-1 v1: code "BD-1" is not valid; it must be a bundle code`},
		{name: "bundle version", files: map[string]string{"d.yaml": edit(t, goodBundle, "version: 1", "version: 0 #<")}, file: "d.yaml",
			want: `version is 0; versions start at 1`},
		{name: "bundle name", files: map[string]string{"d.yaml": edit(t, goodBundle, "name: {zh: 退休一件事, en: Retiring}", "name: {zh: 退休一件事} #<")}, file: "d.yaml",
			want: `name.en is empty`},
		{name: "bundle subject", files: map[string]string{"d.yaml": edit(t, goodBundle, "subject: natural", "subject: both #<")}, file: "d.yaml",
			want: `subject "both" is not valid`},
		{name: "bundle needs two matters", files: map[string]string{"d.yaml": edit(t, goodBundle, "matters: [HRSS-001, MED-001]", "matters: [HRSS-001] #<")}, file: "d.yaml",
			want: `matters lists 1 matter(s); a bundle joins at least 2`},
		{name: "bundle member exists", files: map[string]string{"d.yaml": edit(t, goodBundle, "matters: [HRSS-001, MED-001]", "matters: [HRSS-001, MED-001, MED-002] #<")}, file: "d.yaml",
			want: `matters[2] "MED-002" is not a matter of the catalog`},
		{name: "bundle member twice", files: map[string]string{"d.yaml": edit(t, goodBundle, "matters: [HRSS-001, MED-001]", "matters: [HRSS-001, MED-001, HRSS-001] #<")}, file: "d.yaml",
			want: `matters[2] HRSS-001 is listed twice`},
		{name: "bundle member subject", files: map[string]string{"d.yaml": edit(t, goodBundle, "subject: natural", "subject: legal",
			"matters: [HRSS-001, MED-001]", "matters: [HRSS-001, MED-001] #<")}, file: "d.yaml", n: 2,
			want: `matters[0] HRSS-001 serves subject natural, but the bundle serves legal`},
		{name: "bundle delivery supported by members", files: map[string]string{"d.yaml": edit(t, goodBundle, "delivery: [counter]", "delivery: [counter, post] #<")}, file: "d.yaml",
			want: `delivery[1] is post, which member matter MED-001 does not offer`},
		{name: "bundle delivery empty", files: map[string]string{"d.yaml": edit(t, goodBundle, "delivery: [counter]", "delivery: [] #<")}, file: "d.yaml",
			want: `Bundle BD-RETIRE v1: delivery is empty`},
		{name: "duplicate bundle version", files: map[string]string{"d.yaml": goodBundle, "e.yaml": edit(t, goodBundle, "version: 1", "version: 1 #<")}, file: "e.yaml",
			want: `bundle BD-RETIRE version 1 is defined twice: here and at d.yaml:2`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"base.yaml": baseYAML, "c.yaml": goodMatter}
			files["c.yaml"] = edit(t, goodMatter, c.edits...)
			for name, data := range c.files {
				files[name] = data
			}
			if strings.HasPrefix(c.name, "bundle") || c.name == "duplicate bundle version" {
				files["c.yaml"] += secondMatter
			}
			file := c.file
			if file == "" {
				file = "c.yaml"
			}
			line := marked(files[file])

			cat, err := loadFiles(files)
			if cat != nil {
				t.Errorf("Load returned a catalog along with problems")
			}
			var ps catalog.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Load error = %v, want Problems", err)
			}
			n := max(c.n, 1)
			if len(ps) != n || ps[0].File != file || ps[0].Line != line || !strings.Contains(ps[0].Message, c.want) {
				t.Errorf("got %d problem(s):\n%v\nwant %d, the first %s:%d: …%s…", len(ps), ps, n, file, line, c.want)
			}
		})
	}
}

func TestLintReportsEverythingAtOnce(t *testing.T) {
	bad := edit(t, goodMatter+secondMatter,
		"statutory_limit: 20", "statutory_limit: 0",
		"role: officer", "role: clerk",
		"licence: id_card", "licence: idcard",
		"kind: benefit", "kind: grant",
		"delivery: [counter]\n", "delivery: [counter]\n    fees: [{code: f, name: {zh: 费, en: Fee}, amount: -1, basis: x}]\n",
	) + "departments:\n  - code: hrss\n    name: {zh: 人社, en: HRSS}\nbundles:\n  - {code: BD-X, version: 1, name: {zh: 一件事, en: One}, subject: natural, matters: [HRSS-001], delivery: [counter]}\n"
	files := map[string]string{"base.yaml": baseYAML, "c.yaml": bad, "z.yaml": "matters: [oops\n"}
	_, err := loadFiles(files)
	var ps catalog.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load error = %v, want Problems", err)
	}
	want := []string{
		"c.yaml:12: Matter HRSS-001 v1: statutory_limit is 0",
		"c.yaml:20: Matter HRSS-001 v1: materials[0].licence \"idcard\"",
		"c.yaml:27: Matter HRSS-001 v1: steps[0].role is \"clerk\"",
		"c.yaml:49: Matter MED-001 v1: kind \"grant\"",
		"c.yaml:57: Matter MED-001 v1: fees[0].amount is -1",
		"c.yaml:59: Department hrss: department hrss is defined twice",
		"c.yaml:62: Bundle BD-X v1: matters lists 1 matter(s)",
		"z.yaml:2: The file is not valid YAML",
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q", w)
		}
	}
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ps), len(want), got)
	}
	// Problems come sorted by file and line, one per line of Error.
	if lines := strings.Split(got, "\n"); len(lines) != len(ps) || !strings.HasPrefix(lines[0], "c.yaml:12: ") {
		t.Errorf("Error() is not one sorted problem per line:\n%s", got)
	}
}
