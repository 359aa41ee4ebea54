package http

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"onedoor"
)

// testCatalog is a small, complete catalog: one department, one matter
// (catalog/testdata/small, shared with the store's and the command's tests).
var testCatalog = func() string {
	b, err := os.ReadFile("../catalog/testdata/small/demo.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func matterRows(t *testing.T, e *webEnv) int {
	t.Helper()
	var n int
	if err := e.db.RawRead().QueryRow(`SELECT COUNT(*) FROM matters`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCatalogImport: lint errors are shown with file and line before
// anything is applied; a clean catalog is shown, then applied; a changed
// definition under a recorded version is refused.
func TestCatalogImport(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		admin := e.agent(t).login("admin")
		before := matterRows(t, e)

		// A broken catalog: every problem listed, nothing imported.
		broken := strings.Replace(testCatalog, "promised_limit: 3", "promised_limit: 30", 1)
		broken = strings.Replace(broken, "role: officer", "role: clerk", 1)
		admin.get("/admin/catalog/import").want(200)
		admin.post("/admin/catalog/import", url.Values{"yaml": {broken}}).want(400)
		admin.see("发现 2 个问题", "pasted.yaml:14", "longer than statutory_limit", "pasted.yaml:17", "a step is worked by an officer or a leader", "没有任何内容被导入").notSee("确认导入")
		if n := matterRows(t, e); n != before {
			t.Fatalf("a catalog with problems changed the matters table: %d → %d rows", before, n)
		}

		// A clean one, uploaded: previewed first, applied on confirmation.
		admin.get("/admin/catalog/import")
		admin.postMultipart("/admin/catalog/import", nil, map[string]string{"demo.yaml": testCatalog}).want(200)
		admin.see("检查通过", "DEMO-001", "新版本", "确认导入", "不在新目录中", "HRSS-001")
		if n := matterRows(t, e); n != before {
			t.Fatal("the preview imported something")
		}
		admin.post("/admin/catalog/import", url.Values{"apply": {"yes"}, "file_name": {admin.match(`name="file_name" value="([^"]+)"`)},
			"file_content": {testCatalog}}).want(200).see("记录了 1 个新版本")
		if n := matterRows(t, e); n != before+1 {
			t.Fatalf("matters: %d → %d rows, want one more", before, n)
		}
		// In force at once, with nothing restarted: the new matter has a
		// guide, and what the import left out takes no new applications.
		e.agent(t).get("/matters/DEMO-001").want(200).see("演示事项")
		e.agent(t).get("/matters/HRSS-010").want(404)
		if src, err := e.db.LatestCatalogSource(context.Background()); err != nil || len(src.Files) != 1 || src.Files[0].Content != testCatalog {
			t.Fatalf("the imported files are not kept: %+v, %v", src, err)
		}

		// The repository's test catalog redefines HRSS-001 version 1: shown as
		// changed, and refused as a whole.
		files := map[string]string{}
		for _, f := range []string{"00-base.yaml", "bundles.yaml", "hrss/matters.yaml", "med/matters.yaml"} {
			b, err := os.ReadFile("../catalog/testdata/good/" + f)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.ReplaceAll(f, "/", "-")] = string(b)
		}
		admin.get("/admin/catalog/import")
		admin.postMultipart("/admin/catalog/import", map[string]string{"apply": "yes"}, files).want(409)
		admin.see("与现有同号版本不同", "HRSS-001")
		if n := matterRows(t, e); n != before+1 {
			t.Fatal("a refused import changed the matters table")
		}
	})
}

// TestStaffAdministration: an administrator creates an account with an
// initial password, the new member of staff signs in and changes it,
// and a disabled account can neither sign in nor keep its session.
func TestStaffAdministration(t *testing.T) {
	e := newWebEnv(t)
	admin := e.agent(t).login("admin")
	admin.get("/admin/staff").want(200).see("clerk", "officer.hrss")
	// An officer needs a department.
	admin.post("/admin/staff", url.Values{"username": {"newbie"}, "name": {"新同事"}, "role": {"officer"}, "password": {"first password 1"}}).want(400)
	admin.post("/admin/staff", url.Values{"username": {"newbie"}, "name": {"新同事"}, "role": {"officer"}, "department": {"civil"}, "password": {"first password 1"}}).want(200)
	admin.see("账号 newbie 已创建", "API 令牌", "od_")

	nb := e.agent(t)
	nb.get("/login")
	nb.post("/login", url.Values{"username": {"newbie"}, "password": {"first password 1"}}).want(303).follow().want(303)
	if nb.loc != "/inbox" {
		t.Fatalf("an officer's home is %q", nb.loc)
	}
	nb.get("/account/password").want(200)
	nb.post("/account/password", url.Values{"current": {"wrong one!!"}, "new": {"second password 2"}, "confirm": {"second password 2"}}).want(400).see("当前密码错误")
	nb.post("/account/password", url.Values{"current": {"first password 1"}, "new": {"short"}, "confirm": {"short"}}).want(400).see("至少 10 个字符")
	old := nb.cookie(sessionCookie)
	nb.post("/account/password", url.Values{"current": {"first password 1"}, "new": {"second password 2"}, "confirm": {"second password 2"}}).want(200).see("密码已修改")
	if nb.cookie(sessionCookie) == old {
		t.Fatal("the session id did not change with the password")
	}
	nb.get("/inbox").want(200)
	e.agent(t).get("/login").post("/login", url.Values{"username": {"newbie"}, "password": {"first password 1"}}).want(401)

	// Disable: the live session ends, and so does the API token.
	id := e.staffID(t, "newbie")
	admin.get("/admin/staff")
	admin.post("/admin/staff/"+id+"/disabled", url.Values{"disabled": {"true"}}).want(303).follow().see("已停用")
	nb.get("/inbox").want(303)
	e.agent(t).get("/login").post("/login", url.Values{"username": {"newbie"}, "password": {"second password 2"}}).want(401)
	// Administrators cannot lock themselves out.
	admin.get("/admin/staff")
	admin.post("/admin/staff/"+e.staffID(t, "admin")+"/disabled", url.Values{"disabled": {"true"}}).want(409)
}

func (e *webEnv) staffID(t *testing.T, username string) string {
	all, err := e.db.FindStaff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.Username == username {
			return strconv.FormatInt(s.ID, 10)
		}
	}
	t.Fatalf("no staff %s", username)
	return ""
}

// TestFirstAdministrator: an account created with an API token only (as
// cmd/onedoor makes the first administrator) signs in with the token once
// and sets a password without a current one.
func TestFirstAdministrator(t *testing.T) {
	e := newWebEnv(t)
	st := &onedoor.Staff{Username: "root", Name: "首任管理员", Role: onedoor.RoleAdmin}
	token, err := e.db.CreateStaff(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	a := e.agent(t)
	a.get("/login")
	a.post("/login", url.Values{"username": {"root"}, "password": {"anything at all"}}).want(401)
	a.post("/login", url.Values{"token": {"od_not-the-token"}}).want(401)
	a.post("/login", url.Values{"token": {token}}).want(303)
	if a.loc != "/account/password" {
		t.Fatalf("token sign-in went to %q", a.loc)
	}
	a.follow().want(200).see("还没有密码").notSee(`name="current"`)
	a.post("/account/password", url.Values{"new": {"root password 1"}, "confirm": {"root password 1"}}).want(200).see("密码已修改")
	b := e.agent(t)
	b.get("/login")
	b.post("/login", url.Values{"username": {"root"}, "password": {"root password 1"}}).want(303)
}

// TestWindowLegalPerson: an enterprise is identified by its unified social
// credit code, and a code failing its check is refused unless the clerk
// confirms a legacy code.
func TestWindowLegalPerson(t *testing.T) {
	e := newWebEnv(t)
	clerk := e.agent(t).login("clerk")
	org8 := "MA000123"
	first := "91440604" + org8 + string(onedoor.OrgCodeCheckChar(org8))
	code := first + string(onedoor.USCCCheckChar(first))
	bad := code[:17] + map[bool]string{true: "1", false: "0"}[code[17] == '0']
	clerk.get("/window")
	clerk.post("/window/identify", url.Values{"subject": {"legal"}, "uscc": {bad}, "name": {"禅城示例科技有限公司"}}).want(400).
		see("代码可能输入有误", "旧版代码").notSee("mistyped")
	// The same refusal in English, for a reader who switched.
	clerk.setCookie(langCookie, "en")
	clerk.post("/window/identify", url.Values{"subject": {"legal"}, "uscc": {bad}, "name": {"禅城示例科技有限公司"}}).want(400).
		see("the code has probably been mistyped", "legacy code").notSee("输入有误")
	clerk.setCookie(langCookie, "zh")
	clerk.post("/window/identify", url.Values{"subject": {"legal"}, "uscc": {bad}, "allow_legacy": {"on"}, "name": {"禅城示例科技有限公司"}}).want(303)
	clerk.post("/window/clear", url.Values{"csrf": {clerk.csrfFrom("/window")}}).want(303)
	clerk.get("/window")
	clerk.post("/window/identify", url.Values{"subject": {"legal"}, "uscc": {code}, "name": {"禅城示例科技有限公司"}}).want(303).follow()
	clerk.see("统一社会信用代码", "禅城示例科技有限公司", code[:4]+"**********"+code[14:]).notSee(code)
	clerk.get("/window?q=营业执照").want(200).see("/window/apply?bundle=BD-BUSINESS")
	clerk.get("/window/apply?matter=HRSS-010").want(400).see("不适用")
}

// csrfFrom fetches a page and returns its CSRF token.
func (a *agent) csrfFrom(path string) string {
	a.get(path)
	return a.token()
}

// seedLate takes an application through the store on an earlier day, so
// that by the test's today it is overdue (or near due).
func (e *webEnv) seedLate(t testing.TB, day, matter, id string) string {
	t.Helper()
	now := e.clock.Now()
	defer e.clock.t.Store(&now)
	e.clock.Set(day + " 10:00")
	rc, err := e.db.Intake(context.Background(), onedoor.IntakeRequest{Matter: matter,
		Applicant: onedoor.Applicant{Subject: onedoor.Natural, IDNumber: id, Name: "迟到件", Phone: "13800000077"},
		Materials: []string{"photo"}, Actor: onedoor.Actor{StaffID: 1, Name: "窗口一号", Role: onedoor.RoleClerk}})
	if err != nil {
		t.Fatal(err)
	}
	return rc.Cases[0].Number
}

// TestSupervision: overdue and near-due cases are counted by department,
// shown first in the drill-down and the inbox, in words and colour.
func TestSupervision(t *testing.T) {
	forEachWebStore(t, func(t *testing.T, e *webEnv) {
		// Five working days each; 28 February 2026 is an adjusted working day.
		late := e.seedLate(t, "2026-02-02", "HRSS-010", idNumber("440604", "19600101", 71))   // due 9 Feb: overdue
		near := e.seedLate(t, "2026-02-25", "HRSS-010", idNumber("440604", "19600101", 72))   // due 3 Mar: one working day left
		ontime := e.seedLate(t, "2026-03-02", "HRSS-010", idNumber("440604", "19600101", 73)) // due 9 Mar
		sup := e.agent(t).login("supervisor")
		sup.get("/supervision").want(200).see("区人力资源和社会保障局", `<strong class="left over">▲ 1</strong>`, `<span class="left near">◆ 1</span>`)
		sup.get("/supervision/hrss").want(200).see("在办 3 件，其中超期 1 件，临近到期 1 件", late, near, ontime, "已超期", "剩余 1 个工作日", "剩余 5 个工作日")
		if strings.Index(sup.last, late) > strings.Index(sup.last, near) {
			t.Error("the overdue case is not listed first")
		}
		sup.get("/cases/" + late).want(200).notSee(`value="approve"`)
		off := e.agent(t).login("officer.hrss")
		off.get("/inbox").want(200).see("已超期", late)
		off.get("/inbox?urgency=over").want(200).see(late, near).notSee(ontime) // by the step's own limit
		e.agent(t).login("analyst").get("/analyst").want(200).see("区人力资源和社会保障局", "仅显示汇总数据").notSee(late)
	})
}
