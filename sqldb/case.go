package sqldb

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/rules"
	"onedoor/workflow"
)

// codeAlphabet leaves out characters people confuse (0/O, 1/I/L).
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newVerificationCode() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sqldb: crypto/rand failed: " + err.Error())
	}
	out := make([]byte, len(b))
	for i, x := range b {
		out[i] = codeAlphabet[int(x)%len(codeAlphabet)]
	}
	return string(out)
}

// verifyHash is how a verification code is stored: keyed, so a copy of the
// database does not let anyone track cases.
func (db *DB) verifyHash(number, code string) string {
	m := hmac.New(sha256.New, db.keys.Index[:])
	m.Write([]byte("track\x00" + number + "\x00" + strings.ToUpper(strings.TrimSpace(code))))
	return hex.EncodeToString(m.Sum(nil))
}

// nextCaseNumber gives the next number of the day: region code, date, sequence.
func (tx *Tx) nextCaseNumber(day time.Time) (string, error) {
	name := "case-" + day.Format("20060102")
	var n int64
	err := tx.QueryRowContext(tx.ctx, `INSERT INTO counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`, name).Scan(&n)
	if err != nil {
		return "", internal("next case number", err)
	}
	return fmt.Sprintf("440604%s%06d", day.Format("060102"), n), nil
}

// Intake takes one application for a matter or a bundle through the one
// window: it identifies the applicant, checks eligibility, attaches the
// e-licences the registry holds, and either accepts (possibly under 容缺) or
// records a single supplement notice. A bundle creates all its cases in one
// transaction with one verification code.
func (db *DB) Intake(ctx context.Context, req onedoor.IntakeRequest) (*onedoor.Receipt, error) {
	matters, bundle, err := db.intakeMatters(req)
	if err != nil {
		return nil, err
	}
	ref, err := db.checkApplicant(req.Applicant)
	if err != nil {
		return nil, err
	}
	if req.Channel == "" {
		req.Channel = "counter"
	}
	if req.Channel != "counter" && req.Channel != "online" {
		return nil, onedoor.FieldErrorf("channel", "The channel must be \"counter\" or \"online\".")
	}
	if req.Commitment, err = onedoor.CleanText("commitment", req.Commitment); err != nil {
		return nil, err
	}
	for _, code := range req.Materials {
		if !anyMatterHas(matters, code) {
			return nil, onedoor.FieldErrorf("materials", "%q is not a material of this application.", code)
		}
	}
	code := newVerificationCode()
	receipt := &onedoor.Receipt{Code: code}
	err = db.update(ctx, func(tx *Tx) error {
		receipt.Cases = receipt.Cases[:0]
		now := db.now()
		day := now.In(calendar.Location)
		var holder int64
		var dishonest bool
		var attrs map[string]any
		switch ref.subject {
		case onedoor.Natural:
			p, err := tx.findOrCreatePerson(ref)
			if err != nil {
				return err
			}
			holder, dishonest = p.ID, p.Dishonest
			attrs = personAttrs(p, now)
		default:
			o, err := tx.findOrCreateOrg(ref)
			if err != nil {
				return err
			}
			holder, dishonest = o.ID, o.Dishonest
			attrs = orgAttrs(o, now)
		}
		licences, err := queryLicences(tx.ctx, tx, ref.subject, holder)
		if err != nil {
			return err
		}
		if err := tx.historyAttrs(attrs, ref.subject, holder, licences, day.Format("2006-01-02"), db.needsHistory(matters)); err != nil {
			return err
		}
		bundleNo := ""
		if bundle != nil {
			n, err := tx.nextCaseNumber(day)
			if err != nil {
				return err
			}
			bundleNo = "BD" + n
			receipt.Bundle = bundleNo
		}
		var taken []workflow.Issuer
		for _, m := range matters {
			if err := db.checkEligible(m, attrs); err != nil {
				return err
			}
			number, err := tx.nextCaseNumber(day)
			if err != nil {
				return err
			}
			in := workflow.IntakeInput{
				Matter: m, Number: number, Bundle: bundleNo, Subject: ref.subject, ApplicantID: holder,
				Provided: materialsOf(m, req.Materials), Licences: licences, Tolerate: req.Tolerate, Commitment: req.Commitment,
				Dishonest: dishonest, Channel: req.Channel, Delivery: req.Delivery, Actor: req.Actor, At: now,
			}
			if bundle != nil {
				in.BundleCode = bundle.Code
			}
			c, ev, err := workflow.Intake(in, db.cal)
			if err != nil {
				return err
			}
			if err := tx.insertCase(&c, m, db.verifyHash(number, code)); err != nil {
				return err
			}
			ev.CaseID = c.ID
			if err := tx.appendEvent(&ev); err != nil {
				return err
			}
			if err := tx.notifyApplicant(&c, m, ev.Type); err != nil {
				return err
			}
			receipt.Cases = append(receipt.Cases, receiptCase(&c, m))
			taken = append(taken, workflow.Issuer{Case: &c, Matter: m})
		}
		// What one case of the bundle will issue, its siblings do not ask for.
		for i := range receipt.Cases {
			rc := &receipt.Cases[i]
			rc.Notice, rc.Coming = workflow.FromBundle(*taken[i].Case, rc.Notice, taken)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return receipt, nil
}

// intakeMatters resolves the matter or bundle of a request to the latest
// matter definitions.
func (db *DB) intakeMatters(req onedoor.IntakeRequest) ([]*onedoor.Matter, *onedoor.Bundle, error) {
	switch {
	case req.Matter != "" && req.Bundle != "":
		return nil, nil, onedoor.FieldErrorf("matter", "Give a matter or a bundle, not both.")
	case req.Matter != "":
		m, ok := db.Catalog().Matter(req.Matter)
		if !ok {
			return nil, nil, onedoor.FieldErrorf("matter", "No matter with code %q exists.", req.Matter)
		}
		if m.Subject != req.Applicant.Subject && req.Applicant.Subject != "" {
			return nil, nil, onedoor.FieldErrorf("applicant.subject", "Matter %s serves %s persons, not %s persons.", m.Code, m.Subject, req.Applicant.Subject)
		}
		return []*onedoor.Matter{m}, nil, nil
	case req.Bundle != "":
		b, ok := db.Catalog().Bundle(req.Bundle)
		if !ok {
			return nil, nil, onedoor.FieldErrorf("bundle", "No bundle with code %q exists.", req.Bundle)
		}
		if b.Subject != req.Applicant.Subject && req.Applicant.Subject != "" {
			return nil, nil, onedoor.FieldErrorf("applicant.subject", "Bundle %s serves %s persons, not %s persons.", b.Code, b.Subject, req.Applicant.Subject)
		}
		var ms []*onedoor.Matter
		for _, code := range b.Matters {
			m, ok := db.Catalog().Matter(code)
			if !ok {
				return nil, nil, onedoor.Errorf(onedoor.EINTERNAL, "bundle %s names unknown matter %s", b.Code, code)
			}
			ms = append(ms, m)
		}
		return ms, b, nil
	}
	return nil, nil, onedoor.FieldErrorf("matter", "A matter or a bundle is required.")
}

func anyMatterHas(ms []*onedoor.Matter, code string) bool {
	for _, m := range ms {
		if _, ok := m.Material(code); ok {
			return true
		}
	}
	return false
}

// materialsOf keeps the handed-in codes that belong to m (a bundle's form
// collects the materials of all its matters at once).
func materialsOf(m *onedoor.Matter, codes []string) []string {
	var out []string
	for _, c := range codes {
		if _, ok := m.Material(c); ok {
			out = append(out, c)
		}
	}
	return out
}

func receiptCase(c *onedoor.Case, m *onedoor.Matter) onedoor.ReceiptCase {
	rc := onedoor.ReceiptCase{Number: c.Number, Matter: m.Code, Name: m.Name, Status: c.Status, Due: c.Due}
	for _, x := range c.Materials {
		switch x.State {
		case onedoor.MaterialWaived:
			rc.Waived = append(rc.Waived, x)
		case onedoor.MaterialTolerated:
			rc.Tolerate = append(rc.Tolerate, x)
		}
	}
	rc.Notice = workflow.Notice(*c, m)
	return rc
}

// personAttrs are the CEL attributes of a natural person (rules.Person).
func personAttrs(p *onedoor.Person, now time.Time) map[string]any {
	id := onedoor.IDNumber{Birth: p.Birth}
	return map[string]any{
		"age": int64(id.AgeAt(now)), "sex": p.Sex, "local": p.Local, "street": p.Street, "community": p.Community,
		"lives_alone": p.LivesAlone, "disabled": p.Disabled, "dishonest": p.Dishonest,
	}
}

// orgAttrs are the CEL attributes of a legal person (rules.Org).
func orgAttrs(o *onedoor.Org, now time.Time) map[string]any {
	years := 0
	if !o.Registered.IsZero() {
		years = int(now.Sub(o.Registered).Hours() / 24 / 365.25)
	}
	return map[string]any{
		"org_kind": o.Kind, "org_size": o.Size, "years_registered": int64(years), "street": o.Street, "dishonest": o.Dishonest,
	}
}

// historyAttrs adds what the registry and the case history know: valid
// licences, matters applied for and approved.
func (tx *Tx) historyAttrs(attrs map[string]any, subject onedoor.SubjectType, holder int64, licences []onedoor.Licence, day string, history bool) error {
	var held []string
	for _, l := range licences {
		if l.ValidOn(day) {
			held = append(held, l.Type)
		}
	}
	attrs["licences"] = held
	if !history {
		attrs["applied"], attrs["approved"] = []string{}, []string{}
		return nil
	}
	rows, err := tx.QueryContext(tx.ctx, `SELECT matter, status FROM cases WHERE subject = $1 AND applicant_id = $2`, string(subject), holder)
	if err != nil {
		return internal("query history", err)
	}
	defer rows.Close()
	applied, approved := []string{}, []string{}
	for rows.Next() {
		var m, s string
		if err := rows.Scan(&m, &s); err != nil {
			return internal("scan history", err)
		}
		applied = append(applied, m)
		if s == string(onedoor.StatusCompleted) || s == string(onedoor.StatusDelivered) {
			approved = append(approved, m)
		}
	}
	attrs["applied"], attrs["approved"] = applied, approved
	return internal("query history", rows.Err())
}

// needsHistory reports whether any of the matters' conditions reads the
// applicant's case history; reading it is skipped otherwise.
func (db *DB) needsHistory(ms []*onedoor.Matter) bool {
	for _, m := range ms {
		if r := db.Catalog().Condition(m.Code, m.Version); r != nil {
			for _, v := range r.Vars() {
				if v == "applied" || v == "approved" {
					return true
				}
			}
		}
	}
	return false
}

// checkEligible refuses an applicant who fails the matter's condition, with
// the condition in words.
func (db *DB) checkEligible(m *onedoor.Matter, attrs map[string]any) error {
	rule := db.Catalog().Condition(m.Code, m.Version)
	if rule == nil {
		return nil
	}
	schema := rules.Person
	if m.Subject == onedoor.Legal {
		schema = rules.Org
	}
	a := rules.NewAttrs(schema)
	if err := a.FromMap(attrs); err != nil {
		return internal("eligibility attributes", err)
	}
	ok, err := rule.Eval(a)
	if err != nil {
		return internal("eligibility", err)
	}
	if !ok {
		return onedoor.FieldErrorf("applicant", "The applicant does not meet the condition of %s %s: %s (%s)",
			m.Code, m.Name, m.ConditionText.En, m.ConditionText.Zh)
	}
	return nil
}

// matter returns the definition a case was accepted under.
func (db *DB) matter(code string, version int) (*onedoor.Matter, error) {
	if m, ok := db.Catalog().MatterVersion(code, version); ok {
		return m, nil
	}
	db.mattersMu.RLock()
	m := db.matters[matterKey{code, version}]
	db.mattersMu.RUnlock()
	if m != nil {
		return m, nil
	}
	var def string
	err := db.read.QueryRow(`SELECT definition FROM matters WHERE code = $1 AND version = $2`, code, version).Scan(&def)
	if isNoRows(err) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "Matter %s version %d is not recorded.", code, version)
	}
	if err != nil {
		return nil, internal(fmt.Sprintf("load matter %s v%d", code, version), err)
	}
	m = new(onedoor.Matter)
	if err := json.Unmarshal([]byte(def), m); err != nil {
		return nil, internal("decode matter", err)
	}
	db.mattersMu.Lock()
	db.matters[matterKey{code, version}] = m
	db.mattersMu.Unlock()
	return m, nil
}

func stepDepartment(c *onedoor.Case, m *onedoor.Matter) string {
	if c.Step < len(m.Steps) {
		return m.Steps[c.Step].Department
	}
	if len(m.Steps) > 0 {
		return m.Steps[len(m.Steps)-1].Department
	}
	return m.Department
}

func optTS(t *time.Time) string {
	if t == nil {
		return ""
	}
	return ts(*t)
}

func (tx *Tx) insertCase(c *onedoor.Case, m *onedoor.Matter, verify string) error {
	state, err := json.Marshal(c)
	if err != nil {
		return internal("marshal case", err)
	}
	err = tx.QueryRowContext(tx.ctx, `INSERT INTO cases (number, verify_hash, matter, matter_version, bundle, subject, applicant_id, status, step, department, due, step_due, received_at, accepted_at, closed_at, version, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
		c.Number, verify, c.Matter, c.MatterVersion, c.Bundle, string(c.Subject), c.ApplicantID, string(c.Status), c.Step,
		stepDepartment(c, m), c.Due, c.StepDue, ts(c.ReceivedAt), optTS(c.AcceptedAt), optTS(c.ClosedAt), c.Version, string(state)).Scan(&c.ID)
	return internal("insert case", err)
}

// updateCase writes the new state if nobody changed the case meanwhile.
func (tx *Tx) updateCase(c *onedoor.Case, m *onedoor.Matter, prevVersion int) error {
	state, err := json.Marshal(c)
	if err != nil {
		return internal("marshal case", err)
	}
	res, err := tx.ExecContext(tx.ctx, `UPDATE cases SET status = $1, step = $2, department = $3, due = $4, step_due = $5, accepted_at = $6, closed_at = $7, version = $8, state = $9
		WHERE id = $10 AND version = $11`,
		string(c.Status), c.Step, stepDepartment(c, m), c.Due, c.StepDue, optTS(c.AcceptedAt), optTS(c.ClosedAt), c.Version, string(state), c.ID, prevVersion)
	if err != nil {
		return internal("update case", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return onedoor.Errorf(onedoor.ECONFLICT, "Case %s was changed by someone else meanwhile; reload it and try again.", c.Number)
	}
	return nil
}

func scanCase(row interface{ Scan(...any) error }) (*onedoor.Case, error) {
	var id int64
	var state string
	if err := row.Scan(&id, &state); err != nil {
		return nil, err
	}
	c := new(onedoor.Case)
	if err := json.Unmarshal([]byte(state), c); err != nil {
		return nil, fmt.Errorf("decode case %d: %w", id, err)
	}
	c.ID = id
	return c, nil
}

func (tx *Tx) caseByNumber(number string) (*onedoor.Case, error) {
	c, err := scanCase(tx.QueryRowContext(tx.ctx, `SELECT id, state FROM cases WHERE number = $1`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No case with number %q exists.", number)
	}
	return c, internal("find case", err)
}

// FindCase returns a case by its number.
func (db *DB) FindCase(ctx context.Context, number string) (*onedoor.Case, error) {
	c, err := scanCase(db.read.QueryRowContext(ctx, `SELECT id, state FROM cases WHERE number = $1`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No case with number %q exists.", number)
	}
	return c, internal("find case", err)
}

// FindCases lists cases by filter, the most urgent (earliest step due) first.
func (db *DB) FindCases(ctx context.Context, f onedoor.CaseFilter) ([]*onedoor.Case, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Department != "" {
		where = append(where, "department = "+arg(f.Department))
	}
	if f.Open {
		where = append(where, "status NOT IN ('delivered', 'rejected')")
	}
	if len(f.Status) > 0 {
		var ph []string
		for _, s := range f.Status {
			ph = append(ph, arg(string(s)))
		}
		where = append(where, "status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Subject != "" {
		where = append(where, "subject = "+arg(string(f.Subject))+" AND applicant_id = "+arg(f.ApplicantID))
	}
	if f.Bundle != "" {
		where = append(where, "bundle = "+arg(f.Bundle))
	}
	if f.Matter != "" {
		where = append(where, "matter = "+arg(f.Matter))
	}
	q := `SELECT id, state FROM cases`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q += " ORDER BY CASE WHEN step_due = '' THEN '9999' ELSE step_due END, id LIMIT " + arg(f.Limit) + " OFFSET " + arg(max(f.Offset, 0))
	return queryCases(ctx, db.read, "find cases", q, args...)
}

// queryCases runs a query selecting the id and state of cases, and reads
// the cases; what names the query in errors.
func queryCases(ctx context.Context, q querier, what, query string, args ...any) ([]*onedoor.Case, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, internal(what, err)
	}
	defer rows.Close()
	var out []*onedoor.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, internal("scan case", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(what, err)
	}
	return out, nil
}

// Events returns the events of a case, oldest first.
func (db *DB) Events(ctx context.Context, caseID int64) ([]onedoor.Event, error) {
	return queryEvents(ctx, db.read, `WHERE case_id = $1 ORDER BY seq`, caseID)
}

// Act performs one workflow command on a case. Completing a case whose
// matter issues an e-licence creates the licence in the same transaction,
// and passes it on to the cases of the same bundle that await it
// (passLicence); a result delivered as e-licence is delivered at once.
func (db *DB) Act(ctx context.Context, number string, cmd onedoor.Command) (*onedoor.Case, error) {
	if cmd.Action == onedoor.ActionIntake {
		return nil, onedoor.FieldErrorf("action", "Cases are created through intake, not as an action.")
	}
	var out *onedoor.Case
	err := db.update(ctx, func(tx *Tx) error {
		c, err := tx.caseByNumber(number)
		if err != nil {
			return err
		}
		if cmd.Action == onedoor.ActionDeliver && c.Bundle != "" {
			return onedoor.Errorf(onedoor.ECONFLICT, "Case %s belongs to bundle %s, whose results are delivered together; deliver the bundle.", c.Number, c.Bundle)
		}
		out, err = tx.act(c, cmd)
		return err
	})
	return out, err
}

// act applies cmd to c within tx: workflow, licence, state, event, outbox.
func (tx *Tx) act(c *onedoor.Case, cmd onedoor.Command) (*onedoor.Case, error) {
	db := tx.db
	m, err := db.matter(c.Matter, c.MatterVersion)
	if err != nil {
		return nil, err
	}
	cmd.At = db.now()
	var lic *onedoor.Licence
	if cmd.Action == onedoor.ActionComplete && m.Result.Licence != "" {
		lic = db.newLicence(c, m, cmd.At)
		cmd.Licence = lic.Number
	}
	next, ev, err := workflow.Apply(*c, m, cmd, db.cal)
	if err != nil {
		return nil, err
	}
	if lic != nil {
		if err := tx.insertLicence(lic); err != nil {
			return nil, err
		}
	}
	if err := tx.updateCase(&next, m, c.Version); err != nil {
		return nil, err
	}
	if err := tx.appendEvent(&ev); err != nil {
		return nil, err
	}
	if err := tx.notifyApplicant(&next, m, ev.Type); err != nil {
		return nil, err
	}
	if lic != nil && next.Bundle != "" {
		if err := tx.passLicence(&next, lic); err != nil {
			return nil, err
		}
	}
	if next.Status == onedoor.StatusCompleted && next.Delivery == onedoor.ChannelELicence && next.Bundle == "" {
		return tx.act(&next, onedoor.Command{Action: onedoor.ActionDeliver, Actor: systemActor, Channel: onedoor.ChannelELicence})
	}
	return &next, nil
}

// systemActor is Onedoor itself, acting on its own records.
var systemActor = onedoor.Actor{Role: onedoor.RoleSystem, Name: "Onedoor"}

// passLicence hands the e-licence a case of a bundle has just issued to
// the other cases of the same bundle application that await a material it
// replaces, or hold one under commitment (容缺): the pension decision of
// BD-RETIRE for medical insurance and the provident fund. Nobody is asked
// for what the government has just issued (免提交): the system supplies
// it from the registry, as an event of each of those cases, in the
// transaction that issued the licence, and each goes on as the workflow
// says — accepted, its clock started, when it was the last thing awaited.
func (tx *Tx) passLicence(issuer *onedoor.Case, lic *onedoor.Licence) error {
	cs, err := bundleCases(tx.ctx, tx, issuer.Bundle, issuer.ID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		switch c.Status {
		case onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended:
		default:
			continue // nothing can be supplied to it any more
		}
		if c.Subject != lic.Subject || c.ApplicantID != lic.HolderID {
			continue
		}
		m, err := tx.db.matter(c.Matter, c.MatterVersion)
		if err != nil {
			return err
		}
		var codes []string
		for _, x := range c.Materials {
			owed := x.State == onedoor.MaterialTolerated || slices.Contains(c.Awaiting, x.Code)
			if def, ok := m.Material(x.Code); owed && ok && def.Licence == lic.Type {
				codes = append(codes, x.Code)
			}
		}
		if len(codes) == 0 {
			continue
		}
		if _, err := tx.act(c, onedoor.Command{Action: onedoor.ActionSupply, Actor: systemActor, Materials: codes, Licence: lic.Number}); err != nil {
			return err
		}
	}
	return nil
}

// bundleCases loads the cases of a bundle application, in the order they
// were taken, leaving out the case with id except.
func bundleCases(ctx context.Context, q querier, bundle string, except int64) ([]*onedoor.Case, error) {
	return queryCases(ctx, q, "bundle cases", `SELECT id, state FROM cases WHERE bundle = $1 AND id <> $2 ORDER BY id`, bundle, except)
}

// comingFrom splits what a case of a bundle awaits: what the applicant is
// to bring, and what another case of the bundle, still open, will issue
// as an e-licence and pass on (passLicence).
func (db *DB) comingFrom(ctx context.Context, q querier, c *onedoor.Case, notice []onedoor.Material) ([]onedoor.Material, []onedoor.Forthcoming, error) {
	if c.Bundle == "" || len(notice) == 0 {
		return notice, nil, nil
	}
	cs, err := bundleCases(ctx, q, c.Bundle, c.ID)
	if err != nil {
		return nil, nil, err
	}
	var issuers []workflow.Issuer
	for _, s := range cs {
		m, err := db.matter(s.Matter, s.MatterVersion)
		if err != nil {
			return nil, nil, err
		}
		issuers = append(issuers, workflow.Issuer{Case: s, Matter: m})
	}
	rest, coming := workflow.FromBundle(*c, notice, issuers)
	return rest, coming, nil
}

// DeliverBundle hands over the results of all the cases of a bundle at once;
// it is refused until every one of them is completed (rejected ones aside).
func (db *DB) DeliverBundle(ctx context.Context, bundle string, cmd onedoor.Command) ([]*onedoor.Case, error) {
	cmd.Action = onedoor.ActionDeliver
	var out []*onedoor.Case
	err := db.update(ctx, func(tx *Tx) error {
		out = out[:0]
		cs, err := bundleCases(tx.ctx, tx, bundle, 0)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return onedoor.Errorf(onedoor.ENOTFOUND, "No bundle with number %q exists.", bundle)
		}
		var waiting []string
		for _, c := range cs {
			if c.Status != onedoor.StatusCompleted && c.Status != onedoor.StatusRejected {
				waiting = append(waiting, c.Number+" ("+string(c.Status)+")")
			}
		}
		if len(waiting) > 0 {
			return onedoor.Errorf(onedoor.ECONFLICT, "The bundle is delivered once, when all its cases are completed; still open: %s.", strings.Join(waiting, ", "))
		}
		for _, c := range cs {
			if c.Status == onedoor.StatusRejected {
				continue
			}
			bc := cmd
			if bc.Channel == "" {
				bc.Channel = c.Delivery
			}
			next, err := tx.act(c, bc)
			if err != nil {
				return err
			}
			out = append(out, next)
		}
		return nil
	})
	return out, err
}

// Track is the public lookup: case number plus verification code. A wrong
// code or an unknown number get the same answer, so nothing is revealed.
func (db *DB) Track(ctx context.Context, number, code string) (*onedoor.Tracking, error) {
	notFound := onedoor.Errorf(onedoor.ENOTFOUND, "No case matches this number and verification code.")
	number = strings.TrimSpace(number)
	if number == "" || len(number) > 40 || strings.TrimSpace(code) == "" || len(code) > 40 {
		return nil, notFound
	}
	var id int64
	var state, verify string
	err := db.read.QueryRowContext(ctx, `SELECT id, state, verify_hash FROM cases WHERE number = $1`, number).Scan(&id, &state, &verify)
	if errors.Is(err, sql.ErrNoRows) {
		db.verifyHash(number, code) // same work either way
		return nil, notFound
	}
	if err != nil {
		return nil, internal("track", err)
	}
	if subtle.ConstantTimeCompare([]byte(verify), []byte(db.verifyHash(number, code))) != 1 {
		return nil, notFound
	}
	c, err := scanCase(db.read.QueryRowContext(ctx, `SELECT id, state FROM cases WHERE id = $1`, id))
	if err != nil {
		return nil, internal("track", err)
	}
	return db.Tracking(ctx, c)
}

// Tracking assembles the public view of a case.
func (db *DB) Tracking(ctx context.Context, c *onedoor.Case) (*onedoor.Tracking, error) {
	m, err := db.matter(c.Matter, c.MatterVersion)
	if err != nil {
		return nil, err
	}
	events, err := db.Events(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	awaiting, coming, err := db.comingFrom(ctx, db.read, c, workflow.Notice(*c, m))
	if err != nil {
		return nil, err
	}
	t := &onedoor.Tracking{
		Number: c.Number, Matter: m.Code, Name: m.Name, Status: c.Status, StatusText: m.StatusText(c.Status),
		Due: c.Due, Delivery: c.Delivery, TrackingNo: c.TrackingNo, Licence: c.Licence,
		Awaiting: awaiting, Coming: coming, Timeline: onedoor.Timeline(m, events),
	}
	if !c.Status.Final() && c.Step < len(m.Steps) {
		s := m.Steps[c.Step]
		t.Step = s.Name
		if d, ok := db.Catalog().Department(s.Department); ok {
			t.Department = d.Name
		}
	}
	return t, nil
}

// notifyApplicant queues the message telling the applicant what happened.
// The body names the case, never the person.
func (tx *Tx) notifyApplicant(c *onedoor.Case, m *onedoor.Matter, action onedoor.Action) error {
	body, _ := json.Marshal(map[string]any{
		"case": c.Number, "matter": m.Code, "status": c.Status, "due": c.Due,
		"text": m.StatusText(c.Status),
	})
	return tx.enqueue("log", fmt.Sprintf("%s:%d", c.Subject, c.ApplicantID), "case."+string(action), body)
}
