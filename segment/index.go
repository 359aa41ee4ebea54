// Package segment is Onedoor's analytics engine: a live, exact, in-memory
// index of the district's residents, enterprises and cases, answering the
// questions of demand analysis, cross-matching and policy what-ifs while
// the asker waits.
//
// Every resident and enterprise keeps its store ID as a dense integer ID.
// Every attribute value (age band, sex, residency, street, community,
// living alone, household…) is a compressed bitmap of the people who have
// it, and every matter has bitmaps of the people who applied for it, were
// approved, were rejected or still wait — overall, by year and by month of
// receipt. A segment is an expression over these bitmaps; a cross-match is
// an AND and a count; a breakdown walks the segment against dense
// attribute arrays. Counts are exact: there is no sampling and no sketch.
//
// The index is built from the store at start-up and then follows the
// store's committed events (Apply), so the next answer includes the case
// accepted a moment ago. A restart rebuilds it from the store and gives the
// same answers for the same reference date.
//
// Answers for analysts pass through disclosure control (see Protection and
// disclosure.go): small cells are suppressed, with secondary suppression
// and a guard against differencing between releases.
package segment

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
	"onedoor/calendar"
)

// Event classes of a matter: every case counts as applied, and as one of
// approved (completed or delivered), rejected or open (anything else).
const (
	clsApplied = iota
	clsApproved
	clsRejected
	clsOpen
	nClass
)

var classNames = [nClass]string{"applied", "approved", "rejected", "open"}

// classOf is the class a case in status s counts in, besides applied.
func classOf(s onedoor.Status) int {
	switch s {
	case onedoor.StatusCompleted, onedoor.StatusDelivered:
		return clsApproved
	case onedoor.StatusRejected:
		return clsRejected
	}
	return clsOpen
}

// monthKey is the month a moment falls in, in China Standard Time.
func monthKey(t time.Time) int32 {
	y, m, _ := t.In(calendar.Location).Date()
	return int32(y)*12 + int32(m) - 1
}

func monthLabel(k int32) string {
	return time.Date(int(k/12), time.Month(k%12+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// Config says how to build an index.
type Config struct {
	// Reference is the date ages are counted at (its calendar date in
	// China Standard Time). The zero time means today. SetReference moves
	// it, for a server that runs past midnight.
	Reference time.Time
	// Matters names the catalog's matters and whom they serve, so that a
	// query may name a matter before its first case.
	Matters map[string]onedoor.SubjectType
	// ResolvePerson and ResolveOrg fetch a person or organisation the
	// index has not seen yet, when a committed case names one (an
	// applicant registered at intake). Without them such cases are
	// skipped.
	ResolvePerson func(ctx context.Context, id int64) (*onedoor.Person, error)
	ResolveOrg    func(ctx context.Context, id int64) (*onedoor.Org, error)
	// ResolveLicence fetches the e-licence a committed event issued (by
	// its number, Command.Licence). With it the index follows the
	// e-licence registry (the builder adds the store's licences with
	// AddLicence) and what-if rules may read licences; without it they
	// may not.
	ResolveLicence func(ctx context.Context, number string) (*onedoor.Licence, error)
	// Head, if set, reports the sequence number of the last event the
	// store committed. Before each answer the index waits (at most
	// MaxWait) until it has applied the events up to it, so an answer
	// includes every case committed before the question was asked, even
	// when the store answers its callers before it hands the events over.
	Head func(ctx context.Context) (int64, error)
	// MaxWait bounds that wait; 0 means one second.
	MaxWait time.Duration
	// Since, if set, reads the store's committed events after a sequence
	// number, in sequence order, at most limit of them
	// (sqldb.DB.EventsAfter). Several nodes may share one store, and each
	// hears only its own commits: with Since the index reads the others'
	// from the store — when an answer finds it behind Head, and when a
	// committed event arrives after a gap in the sequence — and applies
	// events strictly in sequence order, so none is lost or counted twice.
	Since  func(ctx context.Context, seq int64, limit int) ([]onedoor.Event, error)
	Logger *slog.Logger
}

// Case is what the index needs of a case: who, which matter, when it was
// received and where it stands.
type Case struct {
	ID          int64
	Subject     onedoor.SubjectType
	ApplicantID int64
	Matter      string
	Status      onedoor.Status
	ReceivedAt  time.Time
}

// Index is the segment index. All methods are safe for concurrent use:
// queries share a read lock, and committed events are applied under the
// write lock between queries.
type Index struct {
	mu  sync.RWMutex
	cfg Config
	log *slog.Logger

	ref    time.Time // midnight of the reference date, China Standard Time
	refY   int
	refMD  int // month*100 + day of the reference date
	seq    int64
	built  bool
	people people
	orgs   orgs

	streets dict
	comms   dict     // key: street "\x00" community
	commSt  []uint16 // street of each community
	byName  map[string][]int

	open map[int64]openCase

	cases   int64 // cases indexed
	skipped int64 // cases whose applicant was unknown

	pendMu  sync.Mutex
	pending []onedoor.Event
	// covered (under pendMu): every event up to it that the store holds is
	// in pending or applied, so a missing number below it is no gap to
	// wait for (see pull).
	covered int64
	syncMu  sync.Mutex
	behind  atomic.Int64 // a store head the index waited for in vain

	// Derived attribute bitmaps (age ranges, complements) and counts of
	// the whole population are cached until the people or organisations
	// change.
	attrVersion uint64
	cacheMu     sync.Mutex
	cacheVer    uint64
	cache       map[string]any
}

// cached returns the bitmap f makes, from the cache while no attribute
// has changed. Callers hold the index (read or write) lock and must not
// change the result.
func (ix *Index) cached(key string, f func() *roaring.Bitmap) *roaring.Bitmap {
	return cachedAs(ix, key, f)
}

// cachedAs is cached for any value that depends on attributes only.
func cachedAs[T any](ix *Index, key string, f func() T) T {
	ix.cacheMu.Lock()
	if ix.cache == nil || ix.cacheVer != ix.attrVersion || len(ix.cache) > 512 {
		ix.cache, ix.cacheVer = map[string]any{}, ix.attrVersion
	}
	v, ok := ix.cache[key]
	ix.cacheMu.Unlock()
	if ok {
		return v.(T)
	}
	b := f()
	ix.cacheMu.Lock()
	if ix.cacheVer == ix.attrVersion {
		ix.cache[key] = b
	}
	ix.cacheMu.Unlock()
	return b
}

// openCase is a case that may still change class.
type openCase struct {
	m     *matter
	month int32
	who   uint32
}

// matter holds one matter's people by event class.
type matter struct {
	code    string
	subject onedoor.SubjectType
	cls     [nClass]periods
}

// pop is what residents and enterprises have in common: who exists, and
// the matters they applied for.
type pop struct {
	subject onedoor.SubjectType
	exists  *roaring.Bitmap
	matters map[string]*matter
	any     periods             // applied for any matter
	lics    map[string]*licType // e-licences by type
}

func (p *pop) matter(code string) *matter {
	m := p.matters[code]
	if m == nil {
		m = &matter{code: code, subject: p.subject}
		p.matters[code] = m
	}
	return m
}

// codes returns the matter codes in order.
func (p *pop) codes() []string {
	out := make([]string, 0, len(p.matters))
	for c := range p.matters {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// dict numbers strings densely; 0 is always "".
type dict struct {
	names []string
	idx   map[string]int
}

func newDict() dict { return dict{names: []string{""}, idx: map[string]int{"": 0}} }

func (d *dict) id(s string) int {
	if i, ok := d.idx[s]; ok {
		return i
	}
	d.names = append(d.names, s)
	d.idx[s] = len(d.names) - 1
	return len(d.names) - 1
}

// New returns an empty index. Build it with AddPerson, AddOrg, AddCase and
// AddLicence (cmd/onedoor's BuildAnalytics reads them from the store),
// then Finish.
func New(cfg Config) *Index {
	ix := &Index{cfg: cfg, log: cfg.Logger, streets: newDict(), comms: newDict(), commSt: []uint16{0},
		byName: map[string][]int{}, open: map[int64]openCase{}}
	if ix.log == nil {
		ix.log = slog.New(slog.DiscardHandler)
	}
	ix.people.init()
	ix.orgs.init()
	for code, subj := range cfg.Matters {
		ix.popOf(subj).matter(code)
	}
	ix.setRef(cfg.Reference)
	return ix
}

func (ix *Index) setRef(t time.Time) {
	if t.IsZero() {
		t = time.Now()
	}
	y, m, d := t.In(calendar.Location).Date()
	ix.ref = time.Date(y, m, d, 0, 0, 0, 0, calendar.Location)
	ix.refY, ix.refMD = y, int(m)*100+d
}

// Reference is the date ages are counted at.
func (ix *Index) Reference() time.Time {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ref
}

func (ix *Index) popOf(s onedoor.SubjectType) *pop {
	if s == onedoor.Legal {
		return &ix.orgs.pop
	}
	return &ix.people.pop
}

// street returns the dense number of a street name.
func (ix *Index) street(name string) uint16 { return uint16(ix.streets.id(name)) }

// community returns the dense number of a community of a street.
func (ix *Index) community(street uint16, name string) uint16 {
	key := ix.streets.names[street] + "\x00" + name
	if i, ok := ix.comms.idx[key]; ok {
		return uint16(i)
	}
	i := ix.comms.id(key)
	ix.commSt = append(ix.commSt, street)
	ix.byName[name] = append(ix.byName[name], i)
	return uint16(i)
}

// commName is the community part of a community key.
func (ix *Index) commName(i int) string {
	k := ix.comms.names[i]
	for j := 0; j < len(k); j++ {
		if k[j] == 0 {
			return k[j+1:]
		}
	}
	return k
}

// AddPerson adds or replaces a resident.
func (ix *Index) AddPerson(p *onedoor.Person) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addPerson(p)
}

func (ix *Index) addPerson(p *onedoor.Person) {
	ix.attrVersion++
	if p.ID <= 0 || p.ID > maxID {
		ix.log.Warn("segment: person ID out of range; skipped", "id", p.ID)
		return
	}
	st := ix.street(p.Street)
	cm := ix.community(st, p.Community)
	ix.people.set(ix, uint32(p.ID), p, st, cm)
}

// AddOrg adds or replaces an organisation.
func (ix *Index) AddOrg(o *onedoor.Org) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addOrg(o)
}

func (ix *Index) addOrg(o *onedoor.Org) {
	ix.attrVersion++
	if o.ID <= 0 || o.ID > maxID {
		ix.log.Warn("segment: organisation ID out of range; skipped", "id", o.ID)
		return
	}
	ix.orgs.set(uint32(o.ID), o, ix.street(o.Street))
}

// maxID is the largest store ID the index takes: IDs are bitmap members.
const maxID = 1<<32 - 2

// AddCase adds a case as the store holds it now. A case whose applicant is
// not in the index is skipped (and counted in Stats).
func (ix *Index) AddCase(c Case) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.addCase(c)
}

func (ix *Index) addCase(c Case) {
	p := ix.popOf(c.Subject)
	if c.ApplicantID <= 0 || c.ApplicantID > maxID || !p.exists.Contains(uint32(c.ApplicantID)) {
		ix.skipped++
		return
	}
	who := uint32(c.ApplicantID)
	m := p.matter(c.Matter)
	month := monthKey(c.ReceivedAt)
	m.cls[clsApplied].add(who, month)
	p.any.add(who, month)
	cl := classOf(c.Status)
	m.cls[cl].add(who, month)
	if cl == clsOpen {
		ix.open[c.ID] = openCase{m: m, month: month, who: who}
	}
	ix.cases++
}

// Finish completes a build: households are counted and the index is ready.
// seq is the last event sequence number the build includes; Apply skips
// events up to it.
func (ix *Index) Finish(seq int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.people.households(ix)
	ix.attrVersion++
	ix.seq = seq
	ix.built = true
	if ix.drain(nil) != drained {
		go ix.sync()
	}
}

// SetReference moves the date ages are counted at and recomputes age
// bands and household types. A server calls it after midnight.
func (ix *Index) SetReference(t time.Time) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.setRef(t)
	ix.people.reage(ix)
	ix.revalidate()
	ix.attrVersion++
}

// Stats describes the index.
type Stats struct {
	Reference   string `json:"reference"`
	Residents   uint64 `json:"residents"`
	Orgs        uint64 `json:"orgs"`
	Cases       int64  `json:"cases"`
	Skipped     int64  `json:"skipped"`
	OpenCases   int    `json:"open_cases"`
	Matters     int    `json:"matters"`
	Streets     int    `json:"streets"`
	Communities int    `json:"communities"`
	Seq         int64  `json:"seq"`
	// Bytes is the memory the index's arrays and bitmaps take.
	Bytes uint64 `json:"bytes"`
}

// Stats reports the size of the index.
func (ix *Index) Stats() Stats {
	ix.sync()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{Reference: ix.ref.Format(time.DateOnly), Residents: ix.people.exists.GetCardinality(),
		Orgs: ix.orgs.exists.GetCardinality(), Cases: ix.cases, Skipped: ix.skipped, OpenCases: len(ix.open),
		Matters: len(ix.people.matters) + len(ix.orgs.matters), Streets: len(ix.streets.names) - 1,
		Communities: len(ix.comms.names) - 1, Seq: ix.seq}
	s.Bytes = ix.people.size() + ix.orgs.size() + uint64(len(ix.open))*48
	return s
}

func (p *pop) size() uint64 {
	n := p.exists.GetSizeInBytes() + p.any.size() + p.licSize()
	for _, m := range p.matters {
		for c := range m.cls {
			n += m.cls[c].size()
		}
	}
	return n
}

func bmSize(bms ...*roaring.Bitmap) uint64 {
	var n uint64
	for _, b := range bms {
		if b != nil {
			n += b.GetSizeInBytes()
		}
	}
	return n
}
