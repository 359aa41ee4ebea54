package supervise_test

import (
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/supervise"
	"onedoor/workflow"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, err string
		check         func(supervise.Rules) bool
	}{
		{"defaults", `{}`, "", func(r supervise.Rules) bool {
			return r.Case.WarnShare == 0.8 && r.Case.RedAfterDays == 3 && r.UnlistedFee.Level == supervise.Red
		}},
		{"override one value", `{"step": {"warn_share": 0.5, "red_after_days": 2}}`, "", func(r supervise.Rules) bool {
			return r.Step.WarnShare == 0.5 && r.Step.RedAfterDays == 2 && r.Case.RedAfterDays == 3
		}},
		{"unknown field", `{"case": {"warn": 0.5}}`, "unknown field", nil},
		{"share of one", `{"case": {"warn_share": 1, "red_after_days": 3}}`, "warn_share", nil},
		{"red margin zero", `{"case": {"warn_share": 0.5, "red_after_days": 0}}`, "red_after_days", nil},
		{"bad level", `{"reject_reason": {"level": "orange"}}`, "level", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := supervise.Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil || !tt.check(r) {
				t.Fatalf("rules %+v, err %v", r, err)
			}
		})
	}
}

// TestEvaluateWarnShare: a stricter configuration warns earlier, on the
// working day the share is reached; the 2026 National Day holiday does not
// count.
func TestEvaluateWarnShare(t *testing.T) {
	m := &onedoor.Matter{Code: "X", Version: 1, PromisedLimit: 5, Department: "d",
		Steps: []onedoor.Step{{Code: "s", Role: onedoor.RoleOfficer, Department: "d", Limit: 5}}}
	accepted := time.Date(2026, 9, 28, 9, 0, 0, 0, calendar.Location)
	c := onedoor.Case{Number: "N", Matter: "X", MatterVersion: 1, Status: onedoor.StatusInProgress, AcceptedAt: &accepted,
		Due: "2026-10-10", StepStarted: "2026-09-28", StepDue: "2026-10-10"}
	r, err := supervise.Parse([]byte(`{"case": {"warn_share": 0.4, "red_after_days": 1}, "step": {"off": true, "warn_share": 0.4, "red_after_days": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		day  string
		want supervise.Level
	}{
		{"2026-09-29", ""},
		{"2026-09-30", supervise.Warning}, // 2 of 5
		{"2026-10-07", supervise.Warning}, // holiday week: still 2 of 5
		{"2026-10-10", supervise.Warning}, // due today (a working Saturday)
		{"2026-10-11", supervise.Warning}, // Sunday: not over yet
		{"2026-10-12", supervise.Red},     // 1 day over with red_after_days 1
	} {
		d, _ := calendar.ParseDate(tt.day)
		now := d.Add(10 * time.Hour)
		fs := supervise.Evaluate(r, c, m, nil, now, calendar.Official())
		var got supervise.Level
		if len(fs) == 1 {
			got = fs[0].Level
		} else if len(fs) > 1 {
			t.Fatalf("%s: %d findings %+v; the step rule is off", tt.day, len(fs), fs)
		}
		if got != tt.want {
			t.Errorf("%s: level %q; want %q", tt.day, got, tt.want)
		}
	}
}

func TestCheckFee(t *testing.T) {
	m := &onedoor.Matter{Department: "d", Fees: []onedoor.Fee{{Code: "cert", Amount: 1000}}}
	r := supervise.Default()
	if _, bad := supervise.CheckFee(r, m, "cert", 1000); bad {
		t.Error("the catalog fee was flagged")
	}
	if f, bad := supervise.CheckFee(r, m, "cert", 1500); !bad || f.Level != supervise.Red {
		t.Error("a different amount was not flagged")
	}
	if _, bad := supervise.CheckFee(r, m, "other", 1000); !bad {
		t.Error("an unlisted fee was not flagged")
	}
}

// TestEvaluateAfterHours: a same-day matter (即办件) applied for online on
// Friday night is received on Monday morning, so it earns no card on
// Monday; left undone, it is one working day over on Tuesday. A five-day
// one applied for on Saturday counts from Monday too.
func TestEvaluateAfterHours(t *testing.T) {
	cal := calendar.Official()
	cst := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	matter := func(limit int) *onedoor.Matter {
		return &onedoor.Matter{Code: "X", Version: 1, Subject: onedoor.Natural, PromisedLimit: limit, StatutoryLimit: limit + 5, Department: "d",
			Steps:    []onedoor.Step{{Code: "s", Role: onedoor.RoleOfficer, Department: "d", Limit: limit}},
			Delivery: []onedoor.Channel{onedoor.ChannelCounter}}
	}
	r := supervise.Default()
	for _, tt := range []struct {
		name    string
		limit   int
		applied string
		now     string
		want    supervise.Level
	}{
		{"same-day, Friday night, judged on Saturday", 0, "2026-03-06 22:00", "2026-03-07 10:00", ""},
		{"same-day, Friday night, judged on Monday afternoon", 0, "2026-03-06 22:00", "2026-03-09 16:00", ""},
		{"same-day, Friday night, judged on Tuesday", 0, "2026-03-06 22:00", "2026-03-10 10:00", supervise.Yellow},
		{"same-day, Friday in office hours, judged on Monday", 0, "2026-03-06 10:00", "2026-03-09 10:00", supervise.Yellow},
		{"five days, Saturday, judged on the fifth working day after Monday", 5, "2026-03-07 10:00", "2026-03-16 10:00", supervise.Warning},
		{"five days, Saturday, judged the day after", 5, "2026-03-07 10:00", "2026-03-17 10:00", supervise.Yellow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := matter(tt.limit)
			c, _, err := workflow.Intake(workflow.IntakeInput{Matter: m, Number: "N", Subject: onedoor.Natural, ApplicantID: 1,
				Channel: workflow.Online, At: cst(tt.applied)}, cal)
			if err != nil {
				t.Fatal(err)
			}
			var got supervise.Level
			for _, f := range supervise.Evaluate(r, c, m, nil, cst(tt.now), cal) {
				if f.Rule == supervise.RuleCaseLimit {
					got = f.Level
				}
			}
			if got != tt.want {
				t.Errorf("case due %s judged at %s: level %q, want %q", c.Due, tt.now, got, tt.want)
			}
		})
	}
}
