package http

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/workflow"
)

// Languages the pages speak; the first is the default.
var languages = []string{"zh", "en"}

// i18nFS holds one message catalog per language: a flat JSON object from
// message key to text (fmt verbs for arguments).
//
//go:embed i18n/*.json
var i18nFS embed.FS

// messages is every catalog, by language. A catalog that does not parse is
// a build defect; TestMessageCatalogs keeps it from shipping.
var messages = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range languages {
		b, err := fs.ReadFile(i18nFS, "i18n/"+lang+".json")
		if err != nil {
			panic("http: message catalog " + lang + ": " + err.Error())
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic("http: message catalog " + lang + ": " + err.Error())
		}
		out[lang] = m
	}
	return out
})

// translate looks key up in lang's catalog, falling back to Chinese and
// then to the key itself, so a missing message shows as its key (the
// catalog test catches it first).
func translate(lang, key string, args ...any) string {
	msg, ok := messages()[lang][key]
	if !ok {
		if onMissing != nil {
			onMissing(lang, key)
		}
		if msg, ok = messages()["zh"][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// domainCatalog is the wording of the domain's messages in lang: a flat
// JSON object from the English format a package gives onedoor.Errorf or
// FieldErrorf to the format in lang, with the same arguments (%[n]s to
// reorder them). English needs none; TestDomainMessagesTranslated keeps
// the Chinese one complete.
func domainCatalog(lang string) map[string]string { return domainMessages()[lang] }

var domainMessages = sync.OnceValue(func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range languages {
		b, err := fs.ReadFile(i18nFS, "i18n/domain."+lang+".json")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		m := map[string]string{}
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			panic("http: domain message catalog " + lang + ": " + err.Error())
		}
		out[lang] = m
	}
	return out
})

// domainMessage words a domain error's message in lang, from its format
// and arguments, or gives its English message when lang has no wording.
func domainMessage(lang string, err error) string {
	var e *onedoor.Error
	if errors.As(err, &e) {
		if format, args, ok := e.Format(); ok {
			if f, ok := domainCatalog(lang)[format]; ok {
				return fmt.Sprintf(f, domainArgs(lang, args)...)
			}
		}
	}
	return onedoor.ErrorMessage(err)
}

// domainArgs words the arguments of a domain message that have words in
// lang: texts in both languages, and terms, statuses, actions, roles and
// subject types by the pages' names for them. Others, and values no
// catalog names, are shown as they are.
func domainArgs(lang string, args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
		key := ""
		switch a := a.(type) {
		case onedoor.Text:
			out[i] = a.In(lang)
		case onedoor.Status:
			if a.Valid() {
				key = "status." + string(a)
			}
		case onedoor.Action:
			// Only real actions: "note" is what a caller may have typed,
			// and action.note is a form label.
			if a == onedoor.ActionIntake || slices.Contains(workflow.Actions(), a) {
				key = "action." + string(a)
			}
		case onedoor.Role:
			if a == onedoor.RoleSystem || slices.Contains(staffRoles, a) {
				key = "role." + string(a)
			}
		case onedoor.SubjectType:
			if a == onedoor.Natural || a == onedoor.Legal {
				key = "subject." + string(a)
			}
		case onedoor.Term:
			key = a.Set + "." + a.Value
		}
		if _, ok := messages()[lang][key]; ok && key != "" {
			out[i] = translate(lang, key)
		}
	}
	return out
}

// onMissing, when set (by tests), hears of every key a catalog lacks.
var onMissing func(lang, key string)

const langCookie = "od_lang"

// langOf is the language of a request: the cookie set by the switch, else
// Chinese.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		for _, l := range languages {
			if c.Value == l {
				return l
			}
		}
	}
	return languages[0]
}

// switchLang sets the language cookie and goes back to the page the switch
// was on (a local path only).
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	ok := false
	for _, l := range languages {
		ok = ok || l == lang
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
}

// localPath returns p if it is a path on this site, else def: redirects
// never leave the site.
func localPath(p, def string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n\\") {
		return def
	}
	return p
}

var monthsEn = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
var weekdaysZh = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// formatDate writes a calendar date the way the language does:
// 2026年3月9日 or 9 Mar 2026.
func formatDate(lang string, t time.Time) string {
	if lang == "zh" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), monthsEn[t.Month()-1], t.Year())
}

// formatDateWeek adds the day of the week: 2026年3月9日（周一）, Mon 9 Mar 2026.
func formatDateWeek(lang string, t time.Time) string {
	if lang == "zh" {
		return formatDate(lang, t) + "（周" + weekdaysZh[t.Weekday()] + "）"
	}
	return t.Weekday().String()[:3] + " " + formatDate(lang, t)
}

// formatTime writes an instant in China Standard Time.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(calendar.Location)
	if lang == "zh" {
		return fmt.Sprintf("%s %02d:%02d", formatDate(lang, t), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s, %02d:%02d", formatDate(lang, t), t.Hour(), t.Minute())
}

// formatDay formats a YYYY-MM-DD date string; a bad one is shown as it is.
func formatDay(lang, day string) string {
	t, err := time.ParseInLocation("2006-01-02", day, calendar.Location)
	if err != nil {
		return day
	}
	return formatDateWeek(lang, t)
}

// yuan formats an amount in fen.
func yuan(lang string, fen int64) string {
	if fen == 0 {
		return translate(lang, "fee.free")
	}
	s := fmt.Sprintf("%d.%02d", fen/100, fen%100)
	if lang == "zh" {
		return s + " 元"
	}
	return "¥" + s
}

// text picks the language of a two-language text.
func text(lang string, t onedoor.Text) string { return t.In(lang) }
