package http

import (
	"io/fs"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onedoor"
)

// TestMessageCatalogs: both languages have exactly the same keys, every
// key the templates and handlers name exists, and every key of the
// families built at run time (statuses, actions, roles…) exists.
func TestMessageCatalogs(t *testing.T) {
	zh, en := messages()["zh"], messages()["en"]
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q is in zh but not en", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is in en but not zh", k)
		}
	}
	// Placeholders agree, so a translation cannot drop an argument.
	verbs := regexp.MustCompile(`%[dsvq]`)
	for k, z := range zh {
		if a, b := verbs.FindAllString(z, -1), verbs.FindAllString(en[k], -1); !slices.Equal(a, b) {
			t.Errorf("key %q: zh has %v, en has %v", k, a, b)
		}
	}
	// Static keys named in templates and Go code.
	used := map[string]bool{}
	keyRE := regexp.MustCompile(`(?:\.T|webErr\([A-Za-z.]+,|fieldErr\("[a-z_.]+",)\(?\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)"`)
	fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, p)
			for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
		return nil
	})
	goFiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	if len(used) < 200 {
		t.Fatalf("found only %d message keys in use; the scan is broken", len(used))
	}
	for k := range used {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q is used but not in the catalogs", k)
		}
	}
	// Families built at run time.
	var family []string
	for _, s := range []onedoor.Status{onedoor.StatusReceived, onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended,
		onedoor.StatusApproved, onedoor.StatusCompleted, onedoor.StatusDelivered, onedoor.StatusRejected} {
		family = append(family, "status."+string(s))
	}
	for _, a := range append([]onedoor.Action{onedoor.ActionIntake}, actions()...) {
		family = append(family, "action."+string(a))
	}
	for _, r := range append(slices.Clone(staffRoles), onedoor.RoleSystem) {
		family = append(family, "role."+string(r))
	}
	for code := range maps.Keys(statusOf) {
		family = append(family, "err."+code)
	}
	family = append(family, []string{"channel.counter", "channel.post", "channel.elicence", "subject.natural", "subject.legal",
		"kind.licensing", "kind.confirmation", "kind.benefit", "kind.service", "kind.other",
		"mstate.provided", "mstate.waived", "mstate.tolerated", "mstate.missing", "mstate.absent",
		"progress.done", "progress.current", "progress.todo", "progress.stopped",
		"left.days", "left.today", "left.over", "left.paused", "left.done", "left.none",
		"calendar.work", "calendar.weekend", "calendar.holiday", "calendar.adjusted",
		"import.state.new", "import.state.same", "import.state.changed", "import.kind.matter", "import.kind.bundle"}...)
	for _, p := range []string{"identify", "intake", "view", "unmask", "other"} {
		family = append(family, "access.purpose."+p)
	}
	for _, k := range family {
		if _, ok := zh[k]; !ok {
			t.Errorf("run-time key %q is not in the catalogs", k)
		}
	}
}

// actions lists the workflow actions the case page words.
func actions() []onedoor.Action {
	return []onedoor.Action{onedoor.ActionSupply, onedoor.ActionApprove, onedoor.ActionReturn, onedoor.ActionRequestSupplement,
		onedoor.ActionSuspend, onedoor.ActionResume, onedoor.ActionExtend, onedoor.ActionReject, onedoor.ActionComplete, onedoor.ActionDeliver}
}

// TestPagesInBothLanguages renders every main page in Chinese and
// English: the language sticks through its cookie, the lang attribute
// follows, dates are written the language's way, and no message is
// missing.
func TestPagesInBothLanguages(t *testing.T) {
	var mu sync.Mutex
	var missing []string
	onMissing = func(lang, key string) {
		mu.Lock()
		missing = append(missing, lang+":"+key)
		mu.Unlock()
	}
	t.Cleanup(func() { onMissing = nil })

	e := newWebEnv(t)
	id := idNumber("440604", "19660606", 66)
	clerk := e.agent(t).login("clerk")
	number, code := clerk.intake(id, "周九", "13800000066", "HRSS-010", url.Values{"delivery": {"counter"}, "material": {"photo"}})
	receiptZh := clerk.last
	r := e.agent(t).residentLogin(id, "", "13800000066")

	pages := []struct {
		who   *agent
		paths []string
	}{
		{e.agent(t), []string{"/", "/matters", "/matters?q=%E5%87%BA%E7%94%9F", "/matters/HRSS-001", "/bundles/BD-NEWBORN", "/track",
			"/track?number=" + number + "&code=" + code, "/login", "/my/login", "/no/such/page"}},
		{r, []string{"/my", "/my/cases/" + number, "/my/access", "/my/apply?matter=HRSS-010", "/my/apply?bundle=BD-NEWBORN"}},
		{clerk, []string{"/window", "/window?q=card", "/window/apply?matter=HRSS-010", "/cases/" + number, "/account/password"}},
		{e.agent(t).login("officer.hrss"), []string{"/inbox", "/cases/" + number}},
		{e.agent(t).login("supervisor"), []string{"/supervision", "/supervision/hrss", "/analyst"}},
		{e.agent(t).login("admin"), []string{"/admin", "/admin/staff", "/admin/catalog", "/admin/catalog/HRSS-010", "/admin/catalog/import", "/admin/calendar"}},
	}
	controls := 0
	for _, lang := range []string{"zh", "en"} {
		for _, p := range pages {
			p.who.get("/lang/" + lang + "?next=/").want(303)
			for _, path := range p.paths {
				p.who.get(path)
				if p.who.status != 200 && !(path == "/no/such/page" && p.who.status == 404) {
					t.Errorf("%s %s: status %d", lang, path, p.who.status)
				}
				controls += len(controlRE.FindAllString(p.who.last, -1))
				if bad := unlabelled(p.who.last); len(bad) > 0 {
					t.Errorf("%s %s: controls without a label: %v", lang, path, bad)
				}
				wantLang := map[string]string{"zh": `<html lang="zh-CN">`, "en": `<html lang="en">`}[lang]
				if !strings.Contains(p.who.last, wantLang) {
					t.Errorf("%s %s: no %s", lang, path, wantLang)
				}
			}
		}
	}
	if controls < 50 {
		t.Errorf("only %d form controls seen; the label check is not looking", controls)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("missing messages: %v", slices.Compact(missing))
	}

	// Dates: Chinese style in Chinese, in Asia/Shanghai.
	if !strings.Contains(receiptZh, "2026年3月9日（周一）") || !strings.Contains(receiptZh, "2026年3月2日 09:00") {
		t.Errorf("the Chinese receipt does not write dates the Chinese way")
	}
	en := e.agent(t)
	en.get("/lang/en?next=/track").want(303).follow()
	en.get("/track?number="+number+"&code="+code).see("Mon 9 Mar 2026", "2 Mar 2026, 09:00", "Application accepted")
	// The English page keeps Chinese-only data as it is, marked up in English.
	en.see("Promised by")
}

// TestDateFormats: dates and times are Chinese Standard Time, written the
// language's way.
func TestDateFormats(t *testing.T) {
	utc := time.Date(2026, 2, 16, 17, 30, 0, 0, time.UTC) // 01:30 on the 17th in Shanghai
	if got := formatTime("zh", utc); got != "2026年2月17日 01:30" {
		t.Errorf("zh time = %q", got)
	}
	if got := formatTime("en", utc); got != "17 Feb 2026, 01:30" {
		t.Errorf("en time = %q", got)
	}
	if got := formatDay("zh", "2026-02-17"); got != "2026年2月17日（周二）" {
		t.Errorf("zh day = %q", got)
	}
	if got := formatDay("en", "2026-02-17"); got != "Tue 17 Feb 2026" {
		t.Errorf("en day = %q", got)
	}
}

var (
	controlRE = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRE      = regexp.MustCompile(`\sid="([^"]+)"`)
	typeRE    = regexp.MustCompile(`\stype="([^"]+)"`)
)

// unlabelled lists the form controls of a page that no label names: every
// visible input, select and textarea needs an id and a <label for>.
func unlabelled(html string) []string {
	var out []string
	for _, tag := range controlRE.FindAllString(html, -1) {
		if m := typeRE.FindStringSubmatch(tag); m != nil && (m[1] == "hidden" || m[1] == "submit" || m[1] == "button") {
			continue
		}
		if strings.Contains(tag, " hidden") {
			continue
		}
		m := idRE.FindStringSubmatch(tag)
		if m == nil || !strings.Contains(html, `for="`+m[1]+`"`) {
			out = append(out, tag)
		}
	}
	return out
}
