package segment

import (
	"context"
	"time"

	"onedoor"
	"onedoor/calendar"
)

// Apply takes committed events, in commit order, as the store's OnCommit
// hands them over. It never blocks on a running query: the events are
// queued and applied at once if no query holds the index, or else before
// the next query starts — so the next answer includes them either way.
// Events at or before the sequence number the index was built at are
// skipped, so a build may subscribe before it reads the store.
func (ix *Index) Apply(evs []onedoor.Event) {
	if len(evs) == 0 {
		return
	}
	ix.pendMu.Lock()
	ix.pending = append(ix.pending, evs...)
	ix.pendMu.Unlock()
	if !ix.syncMu.TryLock() {
		return // a sync is running and will see these
	}
	defer ix.syncMu.Unlock()
	if !ix.mu.TryLock() {
		return // queries are running; the next one applies the events
	}
	if !ix.built {
		ix.mu.Unlock()
		return // Finish applies what came in during the build
	}
	needs := ix.drain(nil)
	ix.mu.Unlock()
	if needs {
		go ix.sync() // a new applicant must be looked up in the store first
	}
}

// fresh brings the index up to the store's head before an answer (see
// Config.Head), then applies what is queued.
func (ix *Index) fresh(ctx context.Context) {
	ix.sync()
	if ix.cfg.Head == nil {
		return
	}
	head, err := ix.cfg.Head(ctx)
	if err != nil {
		ix.log.Warn("segment: read the store's head", "err", err)
		return
	}
	wait := ix.cfg.MaxWait
	if wait <= 0 {
		wait = time.Second
	}
	deadline := time.Now().Add(wait)
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 5*time.Millisecond) {
		ix.mu.RLock()
		seq := ix.seq
		ix.mu.RUnlock()
		if seq >= head || head <= ix.behind.Load() {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			ix.behind.Store(head)
			ix.log.Warn("segment: the index has not received the store's latest events; answering without them",
				"index", seq, "store", head)
			return
		}
		time.Sleep(pause)
		ix.sync()
	}
}

// sync applies every queued event. Queries call it before they take the
// read lock.
func (ix *Index) sync() {
	ix.pendMu.Lock()
	n := len(ix.pending)
	ix.pendMu.Unlock()
	if n == 0 {
		return
	}
	ix.syncMu.Lock()
	defer ix.syncMu.Unlock()
	for range 3 {
		ix.pendMu.Lock()
		evs := ix.pending
		ix.pendMu.Unlock()
		if len(evs) == 0 {
			return
		}
		// Look up new applicants without holding the index.
		ix.mu.RLock()
		if !ix.built {
			ix.mu.RUnlock()
			return
		}
		persons, orgs := ix.unknown(evs)
		ix.mu.RUnlock()
		found := ix.resolve(persons, orgs)
		ix.mu.Lock()
		needs := ix.drain(found)
		ix.mu.Unlock()
		if !needs {
			return
		}
	}
}

// resolved holds the people and organisations looked up for a drain.
type resolved struct {
	persons map[int64]*onedoor.Person
	orgs    map[int64]*onedoor.Org
}

// unknown lists the applicants of queued intakes the index does not know.
func (ix *Index) unknown(evs []onedoor.Event) (persons, orgs []int64) {
	for i := range evs {
		rec := evs[i].Command.Intake
		if evs[i].Type != onedoor.ActionIntake || rec == nil || evs[i].Seq <= ix.seq {
			continue
		}
		id := rec.ApplicantID
		if id <= 0 || id > maxID || ix.popOf(rec.Subject).exists.Contains(uint32(id)) {
			continue
		}
		if rec.Subject == onedoor.Legal {
			orgs = append(orgs, id)
		} else {
			persons = append(persons, id)
		}
	}
	return persons, orgs
}

func (ix *Index) resolve(persons, orgs []int64) *resolved {
	r := &resolved{persons: map[int64]*onedoor.Person{}, orgs: map[int64]*onedoor.Org{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range persons {
		if ix.cfg.ResolvePerson == nil {
			break
		}
		p, err := ix.cfg.ResolvePerson(ctx, id)
		if err != nil {
			ix.log.Error("segment: look up new applicant", "person", id, "err", err)
			continue
		}
		r.persons[id] = p
	}
	for _, id := range orgs {
		if ix.cfg.ResolveOrg == nil {
			break
		}
		o, err := ix.cfg.ResolveOrg(ctx, id)
		if err != nil {
			ix.log.Error("segment: look up new applicant", "org", id, "err", err)
			continue
		}
		r.orgs[id] = o
	}
	return r
}

// drain applies queued events under the write lock, in order. It stops at
// an intake by an applicant the index does not know and that found does
// not hold, and reports whether it stopped there; with a non-nil found
// (the second attempt) such a case is skipped instead, and counted.
func (ix *Index) drain(found *resolved) (needsLookup bool) {
	ix.pendMu.Lock()
	defer ix.pendMu.Unlock()
	i := 0
	for ; i < len(ix.pending); i++ {
		e := &ix.pending[i]
		if e.Seq != 0 && e.Seq <= ix.seq {
			continue
		}
		if !ix.apply(e, found) {
			needsLookup = true
			break
		}
		if e.Seq > ix.seq {
			ix.seq = e.Seq
		}
	}
	ix.pending = append(ix.pending[:0:0], ix.pending[i:]...)
	return needsLookup
}

// apply applies one event; false means its applicant must be looked up.
func (ix *Index) apply(e *onedoor.Event, found *resolved) bool {
	if e.Type == onedoor.ActionIntake && e.Command.Intake != nil {
		rec := e.Command.Intake
		p := ix.popOf(rec.Subject)
		id := rec.ApplicantID
		if id > 0 && id <= maxID && !p.exists.Contains(uint32(id)) {
			if found == nil {
				return false
			}
			if rec.Subject == onedoor.Legal {
				if o := found.orgs[id]; o != nil {
					ix.addOrg(o)
				}
			} else if x := found.persons[id]; x != nil {
				ix.addPerson(x)
			}
		}
		at := e.At
		if at.IsZero() {
			at = e.Command.At
		}
		ix.addCase(Case{ID: e.CaseID, Subject: rec.Subject, ApplicantID: id, Matter: rec.Matter, Status: e.Status, ReceivedAt: at})
		return true
	}
	oc, ok := ix.open[e.CaseID]
	if !ok {
		return true // final already, or never indexed
	}
	if c := classOf(e.Status); c != clsOpen {
		oc.m.cls[clsOpen].remove(oc.who, oc.month)
		oc.m.cls[c].add(oc.who, oc.month)
		delete(ix.open, e.CaseID)
	}
	return true
}

// RunDaily moves the reference date to the new day shortly after each
// midnight (China Standard Time) until ctx ends, so that ages stay right
// on a server that runs for days. The index is built at today's date.
func (ix *Index) RunDaily(ctx context.Context) {
	for {
		now := time.Now().In(calendar.Location)
		next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 5, 0, calendar.Location)
		select {
		case <-ctx.Done():
			return
		case <-time.After(next.Sub(now)):
		}
		start := time.Now()
		ix.SetReference(time.Now())
		ix.log.Info("analytics index moved to the new day", "reference", ix.Reference().Format(time.DateOnly), "seconds", time.Since(start).Seconds())
	}
}
