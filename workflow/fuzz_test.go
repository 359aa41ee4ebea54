package workflow_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"onedoor"
	"onedoor/calendar"
	"onedoor/workflow"
)

// source hands out fuzz bytes as small choices; past the end it gives zeros.
type source struct{ b []byte }

func (s *source) more() bool { return len(s.b) > 0 }

func (s *source) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	x := s.b[0]
	s.b = s.b[1:]
	return x
}

func (s *source) intn(n int) int { return int(s.byte()) % n }

func pick[T any](s *source, xs ...T) T { return xs[s.intn(len(xs))] }

var fuzzTexts = []string{"", "Checked.", "  padded  ", strings.Repeat("长", 2001), "bell\a", "line\r\nline", "bad \xff", "\t"}

// FuzzApply drives random, mostly invalid, command sequences through the
// workflow. Nothing may panic; every refusal is an *onedoor.Error that
// leaves the case alone; every accepted command keeps the invariants; and
// the events replay to the same case.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 0xff, 1, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3, 1, 1, 5, 0, 0, 0, 0})
	f.Add([]byte{0, 0x3f, 0, 1, 1, 1, 1, 2, 0, 9, 0, 1, 1, 0, 2, 0, 7, 1, 0, 2, 0, 3, 1, 0, 1, 7, 1, 1, 2, 0, 3})
	f.Add([]byte{1, 0xff, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 8, 2, 0, 0, 0, 0, 0, 0})
	f.Add(happyPathSeed())
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice over the lazy dog"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &source{data}
		ms := matters()
		m := ms[s.intn(len(ms))]
		in := workflow.IntakeInput{
			Matter: m, Number: pick(s, "N1", "", "N2"), Subject: pick(s, onedoor.Natural, onedoor.Legal, onedoor.Natural),
			ApplicantID: int64(s.intn(3)), Channel: pick(s, "", "counter", "online", "fax"),
			Delivery: pick(s, "", onedoor.ChannelCounter, onedoor.ChannelPost, onedoor.ChannelELicence, "drone"),
			Actor:    actors[s.intn(len(actors))], Tolerate: s.intn(2) == 0, Dishonest: s.intn(4) == 0,
			Commitment: pick(s, fuzzTexts...),
			At:         at("2026-01-01 00:00").Add(time.Duration(s.intn(256)) * 37 * time.Hour),
		}
		mask := s.byte()
		for i, x := range m.Materials {
			if mask&(1<<i) != 0 {
				in.Provided = append(in.Provided, x.Code)
			}
		}
		if mask&0x80 != 0 {
			in.Provided = append(in.Provided, "bogus")
		}
		if s.intn(2) == 0 {
			in.Licences = []onedoor.Licence{{Number: "SFZ", Type: "resident_id", ValidFrom: "2016-01-01", ValidUntil: pick(s, "", "2026-02-01", "2099-01-01")}}
		}
		c, ev, err := workflow.Intake(in, cal)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkInvariants(t, m, c, ev, 1)
		events := []onedoor.Event{ev}
		now := in.At
		for s.more() {
			cmd := onedoor.Command{
				Action: pick(s, append(workflow.Actions(), onedoor.ActionIntake, "bogus")...),
				Actor:  actors[s.intn(len(actors))],
				Reason: pick(s, fuzzTexts...), Note: pick(s, fuzzTexts...),
				Days:       int(int8(s.byte())),
				Channel:    pick(s, "", onedoor.ChannelCounter, onedoor.ChannelPost, onedoor.ChannelELicence, "drone"),
				TrackingNo: pick(s, "", "SF1", "\x00"), Licence: pick(s, "", "LIC", " "),
			}
			now = now.Add(time.Duration(int8(s.byte())) * 3 * time.Hour) // sometimes backwards
			cmd.At = now
			mask := s.byte()
			for i, x := range m.Materials {
				if mask&(1<<i) != 0 {
					cmd.Materials = append(cmd.Materials, x.Code)
				}
			}
			if mask&0x80 != 0 {
				cmd.Materials = append(cmd.Materials, "bogus")
			}
			before := deepCopy(c)
			n, ev, err := workflow.Apply(c, m, cmd, cal)
			if !reflect.DeepEqual(c, before) {
				t.Fatalf("Apply changed its input case")
			}
			if err != nil {
				checkRefusal(t, err)
				continue
			}
			if c.Status.Final() {
				t.Fatalf("%s applied to a %s case", cmd.Action, c.Status)
			}
			checkInvariants(t, m, n, ev, c.Version+1)
			events = append(events, ev)
			c = n
		}
		got, err := workflow.Replay(m, events, cal)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("replay:\n got %+v\nwant %+v", got, c)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var e *onedoor.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *onedoor.Error", err)
	}
	switch e.Code {
	case onedoor.EINVALID, onedoor.ECONFLICT, onedoor.EFORBIDDEN:
	default:
		t.Fatalf("a valid case refused with %s: %v", e.Code, err)
	}
	if e.Message == "" || (e.Code == onedoor.EINVALID) == (e.Field == "") {
		t.Fatalf("refusal %+v: invalid input must name its field, and only invalid input", e)
	}
}

func checkInvariants(t *testing.T, m *onedoor.Matter, c onedoor.Case, ev onedoor.Event, version int) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s case at step %d: "+format, append([]any{c.Status, c.Step}, args...)...)
	}
	n := len(m.Steps)
	switch {
	case c.Step < 0 || c.Step > n:
		fail("step outside 0..%d", n)
	case c.Version != version || ev.Version != version:
		fail("version %d (event %d), want %d", c.Version, ev.Version, version)
	case ev.Status != c.Status || ev.Step != c.Step || ev.StateHash != c.StateHash() || ev.Type != ev.Command.Action:
		fail("event %+v does not record the case", ev)
	case c.AcceptedAt != nil && c.Due < c.AcceptedAt.In(calendar.Location).Format(time.DateOnly):
		fail("due %s before the accepted date %v", c.Due, c.AcceptedAt)
	case c.PausedDays < 0 || c.StepPaused < 0 || c.ExtendedDays < 0:
		fail("negative days %d/%d/%d", c.PausedDays, c.StepPaused, c.ExtendedDays)
	case m.PromisedLimit+c.ExtendedDays > max(m.StatutoryLimit, m.PromisedLimit):
		fail("extended past the statutory limit")
	}
	switch c.Status {
	case onedoor.StatusReceived:
		if c.AcceptedAt != nil || len(c.Awaiting) == 0 || c.Due != "" {
			fail("received with a clock or nothing awaited")
		}
	case onedoor.StatusInProgress, onedoor.StatusSupplement, onedoor.StatusSuspended:
		if c.AcceptedAt == nil || c.Step >= n || c.StepDue < c.StepStarted {
			fail("open without a clock or a step")
		}
		paused := c.Status != onedoor.StatusInProgress || m.Steps[c.Step].Special
		if paused != (c.PausedSince != "") {
			fail("paused since %q", c.PausedSince)
		}
		if (c.Status == onedoor.StatusSupplement) != (len(c.Awaiting) > 0) {
			fail("awaiting %q", c.Awaiting)
		}
	case onedoor.StatusApproved, onedoor.StatusCompleted, onedoor.StatusDelivered:
		if c.Step != n || c.PausedSince != "" {
			fail("done but not past the last step")
		}
	}
	for _, x := range c.Materials {
		if x.State == onedoor.MaterialTolerated && c.Step == n {
			fail("past the last step with %s under commitment", x.Code)
		}
	}
	if c.Status.Final() != (c.ClosedAt != nil) {
		fail("closed at %v", c.ClosedAt)
	}
}

// happyPathSeed encodes a whole valid life of an allowance case in the
// fuzzer's byte layout, so that fuzzing starts from deep states.
func happyPathSeed() []byte {
	// matter, number, subject, applicant, channel, delivery, actor,
	// tolerate, dishonest, commitment, at, materials, licence.
	b := []byte{0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 40, 0x1f, 1}
	// action, actor, reason, note, days, channel, tracking, licence, hours/3, materials.
	const (
		supply, approve, requestSupplement, suspend, resume, extend, complete, deliver = 0, 1, 3, 4, 5, 6, 8, 9
		clerk, civilOfficer, civilLeader, housingOfficer, housingLeader                = 0, 2, 3, 4, 5
	)
	for _, c := range [][10]byte{
		{requestSupplement, civilOfficer, 1, 0, 0, 0, 0, 0, 2, 0x08},
		{supply, clerk, 1, 0, 0, 0, 0, 0, 30, 0x08},
		{approve, civilOfficer, 1, 0, 0, 0, 0, 0, 2, 0},
		{suspend, housingOfficer, 1, 0, 0, 0, 0, 0, 8, 0},
		{extend, housingLeader, 1, 0, 3, 0, 0, 0, 1, 0},
		{resume, housingOfficer, 1, 0, 0, 0, 0, 0, 8, 0},
		{approve, housingOfficer, 1, 0, 0, 0, 0, 0, 8, 0},
		{approve, civilLeader, 1, 0, 0, 0, 0, 0, 8, 0},
		{complete, civilOfficer, 1, 0, 0, 0, 0, 1, 1, 0},
		{deliver, clerk, 0, 0, 0, 0, 0, 0, 8, 0},
	} {
		b = append(b, c[:]...)
	}
	return b
}
