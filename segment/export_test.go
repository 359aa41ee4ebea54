package segment

import (
	"context"
	"fmt"
	"slices"
)

// CheckTableHeads builds the protected table a breakdown q is answered
// from, with a guard, and reports the first entry (cell or margin) whose
// least members, gathered while counting, are not the least members of
// its set of people made from the index.
func CheckTableHeads(ix *Index, q Query) (entries int, err error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	pq, err := ix.prepare(q)
	if err != nil {
		return 0, err
	}
	r := ix.newRequest(context.Background(), &Protection{Guard: NewGuard(0)})
	c, err := r.canon(pq.subject, pq.pop, pq.seg, pq.by)
	if err != nil {
		return 0, err
	}
	t, err := r.table(c.base, c.dims)
	if err != nil {
		return 0, err
	}
	for e := range t.vals {
		all := t.set(e).ToArray()
		want := all[:min(len(all), headLen)]
		if uint64(len(all)) != uint64(t.vals[e]) || !slices.Equal(t.heads[e], want) {
			return e, fmt.Errorf("entry %v: %d people, least %v; the table counted %d, least %v", t.coords(e), len(all), want, t.vals[e], t.heads[e])
		}
	}
	return len(t.vals), nil
}

// ForceBitmaps makes every count by one or two dimensions go through the
// values' bitmaps (countsByBitmaps) until restore is called. Tests using
// it must not run in parallel.
func ForceBitmaps() (restore func()) {
	forceBitmaps = true
	return func() { forceBitmaps = false }
}
