package workflow

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"onedoor"
)

// maxName bounds short free-text inputs: licence numbers and names.
const maxName = 200

// cleanText checks free text typed by a person (a reason, a note, a tracking
// number): it normalises line ends to "\n" (browsers send "\r\n" from a text
// area), trims it, and refuses text that is not UTF-8, longer than limit
// characters, or holding control characters other than newline and tab.
func cleanText(field string, label onedoor.Text, s string, limit int) (string, error) {
	if !utf8.ValidString(s) {
		return "", onedoor.FieldErrorf(field, "The %s is not valid UTF-8 text.", label)
	}
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > limit {
		return "", onedoor.FieldErrorf(field, "The %s has %d characters; at most %d are allowed.", label, n, limit)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", onedoor.FieldErrorf(field, "The %s contains the control character U+%04X; only line breaks and tabs are allowed.", label, r)
	}
	return s, nil
}

// needReason refuses an action that needs a reason without one; what
// names the action ("return the case to the previous step").
func needReason(what onedoor.Text) error {
	return onedoor.FieldErrorf("reason", "A reason is required to %s.", what)
}

// conflict refuses an action the case's status does not allow.
func conflict(c onedoor.Case, action onedoor.Action) error {
	if c.Status.Final() {
		return onedoor.Errorf(onedoor.ECONFLICT, "Action %q is not possible: case %s is %s, which is final.", action, c.Number, c.Status)
	}
	return onedoor.Errorf(onedoor.ECONFLICT, "Action %q is not possible while case %s is %q.", action, c.Number, c.Status)
}

func forbidden(format string, args ...any) error {
	return onedoor.Errorf(onedoor.EFORBIDDEN, format, args...)
}

// stepForbidden refuses an actor who is not the role and department of a
// step: "Step 'Review' (review) is worked by an officer of civil; you are an
// officer of hrss."
func stepForbidden(s onedoor.Step, a onedoor.Actor) error {
	return forbidden("Step %s is worked by %s; %s.", stepLabel(s), roleOf(s.Role, s.Department), you(a))
}

// you describes the actor to themselves.
func you(a onedoor.Actor) onedoor.Text {
	if a.Role == "" {
		return onedoor.Text{Zh: "您没有工作人员角色", En: "you act without a staff role"}
	}
	r := roleOf(a.Role, a.Department)
	return onedoor.Text{Zh: "您是" + r.Zh, En: "you are " + r.En}
}

// roleNames are the roles in Chinese, as the pages name them.
var roleNames = map[onedoor.Role]string{
	onedoor.RoleClerk: "综合窗口", onedoor.RoleOfficer: "审批人员",
	onedoor.RoleLeader: "部门负责人", onedoor.RoleSupervisor: "电子监察", onedoor.RoleAnalyst: "数据分析",
	onedoor.RoleAdmin: "系统管理员",
}

// roleOf is "an officer of civil" (civil的审批人员), "a clerk".
func roleOf(r onedoor.Role, dept string) onedoor.Text {
	s := string(r)
	if r == onedoor.RoleSystem {
		return onedoor.Text{Zh: "系统", En: "the system"}
	}
	if s == "" {
		s = "staff member with no role"
	}
	zh := roleNames[r]
	if zh == "" {
		zh = "无角色的工作人员"
		if r != "" {
			zh = s
		}
	}
	art := "a "
	if strings.ContainsRune("aeiou", rune(s[0])) {
		art = "an "
	}
	if dept != "" {
		return onedoor.Text{Zh: dept + "的" + zh, En: art + s + " of " + dept}
	}
	return onedoor.Text{Zh: zh, En: art + s}
}

// stepLabel is "'Review' (review)", “审查”（review）.
func stepLabel(s onedoor.Step) onedoor.Text {
	if s.Name.En == "" && s.Name.Zh == "" {
		q := fmt.Sprintf("%q", s.Code)
		return onedoor.Text{Zh: q, En: q}
	}
	return onedoor.Text{
		Zh: fmt.Sprintf("“%s”（%s）", cmp.Or(s.Name.Zh, s.Name.En), s.Code),
		En: fmt.Sprintf("'%s' (%s)", s.Name, s.Code),
	}
}

// materialList names materials by code and name: "photo (Photo), lease
// (Tenancy contract)", "photo（照片）、lease（租赁合同）".
func materialList(m *onedoor.Matter, codes []string) onedoor.Text {
	zh, en := make([]string, len(codes)), make([]string, len(codes))
	for i, code := range codes {
		zh[i], en[i] = code, code
		if x, ok := m.Material(code); ok {
			if n := cmp.Or(x.Name.Zh, x.Name.En); n != "" {
				zh[i] += "（" + n + "）"
			}
			if n := x.Name.String(); n != "" {
				en[i] += " (" + n + ")"
			}
		}
	}
	return onedoor.Text{Zh: strings.Join(zh, "、"), En: strings.Join(en, ", ")}
}

func channelPhrase(ch onedoor.Channel) onedoor.Text {
	switch ch {
	case onedoor.ChannelCounter:
		return onedoor.Text{Zh: "在窗口", En: "at the counter"}
	case onedoor.ChannelPost:
		return onedoor.Text{Zh: "邮寄", En: "by post"}
	case onedoor.ChannelELicence:
		return onedoor.Text{Zh: "通过电子证照库", En: "into the e-licence registry"}
	}
	q := fmt.Sprintf("%q", ch)
	return onedoor.Text{Zh: "以" + q + "方式", En: "by " + q}
}

func actionList() string {
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = string(a)
	}
	return strings.Join(parts, ", ")
}

// internal reports a case or matter that breaks the package's own
// invariants: a corrupted row or a wrong definition, never user input.
func internal(format string, args ...any) error {
	return onedoor.Errorf(onedoor.EINTERNAL, "workflow: "+format, args...)
}
