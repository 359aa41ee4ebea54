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
// Events at or before the sequence number the index has reached (at first
// the one it was built at) are skipped, so a build may subscribe before it
// reads the store, and an event read from the store (Config.Since) and
// handed over by OnCommit as well counts once.
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
	stop := ix.drain(nil)
	ix.mu.Unlock()
	if stop != drained {
		go ix.sync() // a new applicant to look up, or a gap to read from the store
	}
}

// fresh brings the index up to the store's head before an answer (see
// Config.Head), then applies what is queued. With Config.Since it reads
// what it lacks from the store (other nodes' commits); without, it waits
// for OnCommit to hand the events over.
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
	reading := ix.cfg.Since != nil
	for pause := 50 * time.Microsecond; ; pause = min(2*pause, 5*time.Millisecond) {
		seq := ix.seqNow()
		if seq >= head {
			return
		}
		if reading && ctx.Err() == nil {
			ix.syncMu.Lock()
			ix.syncLocked(ctx, true)
			ix.syncMu.Unlock()
			if ix.seqNow() > seq {
				continue // read on until the head
			}
			// The read failed (and warned) or found nothing new: wait
			// for OnCommit instead of asking the store again.
			reading = false
		}
		if head <= ix.behind.Load() {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			ix.behind.Store(head)
			ix.log.Warn("segment: the index has not received the store's latest events; answering without them",
				"index", ix.seqNow(), "store", head)
			return
		}
		time.Sleep(pause)
		ix.sync()
	}
}

func (ix *Index) seqNow() int64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.seq
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ix.syncLocked(ctx, false)
}

// syncLocked applies what is queued: it looks up new applicants without
// holding the index, and reads the store (Config.Since; first, with pull)
// where the queue has a gap. The caller holds syncMu, which keeps ix.seq
// still: only drain moves it, and drain runs under syncMu once the index
// is built.
func (ix *Index) syncLocked(ctx context.Context, pull bool) {
	for range 4 {
		if pull && !ix.pull(ctx) {
			return
		}
		ix.pendMu.Lock()
		evs := ix.pending
		ix.pendMu.Unlock()
		if len(evs) == 0 {
			return
		}
		ix.mu.RLock()
		if !ix.built {
			ix.mu.RUnlock()
			return
		}
		persons, orgs, lics := ix.unknown(evs)
		ix.mu.RUnlock()
		found := ix.resolve(persons, orgs, lics)
		ix.mu.Lock()
		stop := ix.drain(found)
		ix.mu.Unlock()
		switch stop {
		case drained:
			return
		case stopGap:
			pull = true
		case stopLookup:
			pull = false // an applicant or licence queued after evs was read
		}
	}
}

// pullLimit is how many events one read from the store takes.
const pullLimit = 5000

// pull reads the store's events after the index's sequence number
// (Config.Since) and queues them ahead of the rest, in sequence order;
// what the queue already held of them is skipped as applied. It reports
// whether the read succeeded. The caller holds syncMu.
func (ix *Index) pull(ctx context.Context) bool {
	if ix.cfg.Since == nil {
		return false
	}
	ix.mu.RLock()
	seq, built := ix.seq, ix.built
	ix.mu.RUnlock()
	if !built {
		return false
	}
	var queued int64
	ix.pendMu.Lock()
	for i := range ix.pending {
		queued = max(queued, ix.pending[i].Seq)
	}
	ix.pendMu.Unlock()
	evs, err := ix.cfg.Since(ctx, seq, pullLimit)
	if err != nil {
		if ctx.Err() == nil {
			ix.log.Warn("segment: read the store's events", "after", seq, "err", err)
		}
		return false
	}
	// The store numbers events in commit order (see sqldb.DB.EventsAfter):
	// what it returns is every event it holds after seq up to the last one
	// returned, and — when the read was not cut at the limit — up to the
	// events queued before the read too, which were committed before it.
	// A number missing there is missing from the store; waiting for it
	// would stall the index for good.
	covered := seq
	if len(evs) > 0 {
		covered = evs[len(evs)-1].Seq
	}
	if len(evs) < pullLimit {
		covered = max(covered, queued)
	}
	ix.pendMu.Lock()
	ix.pending = append(evs[:len(evs):len(evs)], ix.pending...)
	ix.covered = max(ix.covered, covered)
	ix.pendMu.Unlock()
	return true
}

// resolved holds the people, organisations and e-licences looked up for
// a drain; one looked up in vain maps to nil.
type resolved struct {
	persons  map[int64]*onedoor.Person
	orgs     map[int64]*onedoor.Org
	licences map[string]*onedoor.Licence
}

// unknown lists the applicants of queued intakes the index does not know,
// and the e-licences queued events issued.
func (ix *Index) unknown(evs []onedoor.Event) (persons, orgs []int64, lics []string) {
	for i := range evs {
		e := &evs[i]
		if e.Seq != 0 && e.Seq <= ix.seq {
			continue
		}
		if e.Command.Licence != "" {
			lics = append(lics, e.Command.Licence)
		}
		rec := e.Command.Intake
		if e.Type != onedoor.ActionIntake || rec == nil {
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
	return persons, orgs, lics
}

func (ix *Index) resolve(persons, orgs []int64, lics []string) *resolved {
	r := &resolved{persons: map[int64]*onedoor.Person{}, orgs: map[int64]*onedoor.Org{}, licences: map[string]*onedoor.Licence{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range persons {
		if ix.cfg.ResolvePerson == nil {
			r.persons[id] = nil
			continue
		}
		p, err := ix.cfg.ResolvePerson(ctx, id)
		if err != nil {
			ix.log.Error("segment: look up new applicant", "person", id, "err", err)
		}
		r.persons[id] = p
	}
	for _, id := range orgs {
		if ix.cfg.ResolveOrg == nil {
			r.orgs[id] = nil
			continue
		}
		o, err := ix.cfg.ResolveOrg(ctx, id)
		if err != nil {
			ix.log.Error("segment: look up new applicant", "org", id, "err", err)
		}
		r.orgs[id] = o
	}
	for _, n := range lics {
		if ix.cfg.ResolveLicence == nil {
			r.licences[n] = nil
			continue
		}
		l, err := ix.cfg.ResolveLicence(ctx, n)
		if err != nil {
			ix.log.Error("segment: look up issued e-licence", "number", n, "err", err)
		}
		r.licences[n] = l
	}
	return r
}

// Why drain stopped.
const (
	drained    = iota // the queue is empty
	stopLookup        // at an intake by an applicant to look up
	stopGap           // at an event after a gap in the sequence
)

// drain applies queued events under the write lock, in order, and says
// why it stopped. It stops at an intake by an applicant the index does not
// know, or at an event that issued an e-licence, when found was not asked
// for them; an applicant looked up in vain has the case skipped, and
// counted, a licence looked up in vain is left out. With Config.Since it applies events
// strictly in sequence order: it stops at an event after a gap (another
// node's commits, which OnCommit never hands over) unless the store was
// read past it (covered), so that no event is passed over.
func (ix *Index) drain(found *resolved) (stop int) {
	ix.pendMu.Lock()
	defer ix.pendMu.Unlock()
	i := 0
	for ; i < len(ix.pending); i++ {
		e := &ix.pending[i]
		if e.Seq != 0 && e.Seq <= ix.seq {
			continue
		}
		if ix.cfg.Since != nil && e.Seq > ix.seq+1 && e.Seq > ix.covered {
			stop = stopGap
			break
		}
		if !ix.apply(e, found) {
			stop = stopLookup
			break
		}
		if e.Seq > ix.seq {
			ix.seq = e.Seq
		}
	}
	ix.pending = append(ix.pending[:0:0], ix.pending[i:]...)
	return stop
}

// apply applies one event; false means its applicant or the licence it
// issued must be looked up first (and nothing was changed).
func (ix *Index) apply(e *onedoor.Event, found *resolved) bool {
	// What must be looked up first.
	var lic *onedoor.Licence
	if n := e.Command.Licence; n != "" {
		if found == nil {
			return false
		}
		var asked bool
		if lic, asked = found.licences[n]; !asked {
			return false
		}
	}
	rec := e.Command.Intake
	if e.Type != onedoor.ActionIntake {
		rec = nil
	}
	var newPerson *onedoor.Person
	var newOrg *onedoor.Org
	if rec != nil {
		id := rec.ApplicantID
		if id > 0 && id <= maxID && !ix.popOf(rec.Subject).exists.Contains(uint32(id)) {
			if found == nil {
				return false
			}
			var asked bool
			if rec.Subject == onedoor.Legal {
				newOrg, asked = found.orgs[id]
			} else {
				newPerson, asked = found.persons[id]
			}
			if !asked {
				return false
			}
		}
	}

	if lic != nil {
		ix.addLicence(Licence{Subject: lic.Subject, HolderID: lic.HolderID, Type: lic.Type, ValidFrom: lic.ValidFrom, ValidUntil: lic.ValidUntil})
	}
	if rec != nil {
		if newOrg != nil {
			ix.addOrg(newOrg)
		}
		if newPerson != nil {
			ix.addPerson(newPerson)
		}
		at := e.At
		if at.IsZero() {
			at = e.Command.At
		}
		ix.addCase(Case{ID: e.CaseID, Subject: rec.Subject, ApplicantID: rec.ApplicantID, Matter: rec.Matter, Status: e.Status, ReceivedAt: at})
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
