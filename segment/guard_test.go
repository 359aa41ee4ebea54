package segment

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestGuardFindsEveryNestedPair checks the guard's index of least members
// against the definition: a new set conflicts exactly when some remembered
// set is nested with it (one holds the other) and their sizes differ by 1
// to k-1. The sets are random, with many near misses: subsets and supersets
// of remembered sets differing by a few members anywhere (among the least
// members too), sets of the same size that are not nested, and big sets
// the guard keeps as recipes.
func TestGuardFindsEveryNestedPair(t *testing.T) {
	for _, k := range []int{2, 10, headLen, headLen + 4} {
		t.Run("k="+strconv.Itoa(k), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(k), 7))
			g := NewGuard(0)
			var shown []*roaring.Bitmap
			random := func() *roaring.Bitmap {
				b := roaring.New()
				n := k + rng.IntN(200)
				if rng.IntN(20) == 0 {
					n = 70000 + rng.IntN(3000) // across containers
				}
				span := uint32(n * (1 + rng.IntN(8)))
				lo := uint32(rng.IntN(1 << 20))
				for b.GetCardinality() < uint64(n) {
					b.Add(lo + rng.Uint32N(span))
				}
				return b
			}
			// near returns a set nested with b, or of b's size but not nested.
			near := func(b *roaring.Bitmap) *roaring.Bitmap {
				c := b.Clone()
				d := 1 + rng.IntN(k+2) // sometimes k or more: no conflict
				switch rng.IntN(3) {
				case 0: // fewer: drop d members, often the least
					for range min(d, int(c.GetCardinality())-1) {
						if rng.IntN(2) == 0 {
							c.Remove(c.Minimum())
						} else {
							x, _ := c.Select(uint32(rng.IntN(int(c.GetCardinality()))))
							c.Remove(x)
						}
					}
				case 1: // more: add d members, often below the least
					for c.GetCardinality() < b.GetCardinality()+uint64(d) {
						if rng.IntN(2) == 0 && c.Minimum() > 0 {
							c.Add(c.Minimum() - 1 - rng.Uint32N(min(c.Minimum(), 50)))
						} else {
							c.Add(rng.Uint32N(1 << 21))
						}
					}
				default: // same size, one member swapped: not nested
					c.Remove(c.Minimum())
					for c.GetCardinality() < b.GetCardinality() {
						c.Add(rng.Uint32N(1 << 21))
					}
					if c.GetCardinality() == b.GetCardinality() && rng.IntN(2) == 0 {
						c.Remove(c.Maximum()) // one fewer, not a subset
						c.Add(c.Maximum() + 1)
					}
				}
				return c
			}
			want := func(s *roaring.Bitmap) bool {
				card := s.GetCardinality()
				for _, o := range shown {
					oc := o.GetCardinality()
					d := max(card, oc) - min(card, oc)
					if d > 0 && d < uint64(k) && s.AndCardinality(o) == min(card, oc) {
						return true
					}
				}
				return false
			}
			conflicts, checked := 0, 0
			for i := range 600 {
				var s *roaring.Bitmap
				if len(shown) > 0 && rng.IntN(3) > 0 {
					s = near(shown[rng.IntN(len(shown))])
				} else {
					s = random()
				}
				card := s.GetCardinality()
				// Sets come as two parts whose intersection they are.
				extra := roaring.New()
				extra.AddRange(0, 1<<22)
				parts := func() []*roaring.Bitmap { return []*roaring.Bitmap{s, extra} }
				got := g.conflicts(card, k, least(s), parts)
				checked++
				if w := want(s); got != w {
					t.Fatalf("set %d (%d members, least %d): conflicts = %v, want %v", i, card, s.Minimum(), got, w)
				}
				if got {
					conflicts++
					continue
				}
				base := s.Clone()
				g.remember(card, base, g.contentKey(base), strconv.Itoa(i), least(s),
					func(b *roaring.Bitmap) []*roaring.Bitmap { return []*roaring.Bitmap{b, extra} })
				shown = append(shown, s)
			}
			if conflicts < checked/10 || conflicts == checked {
				t.Fatalf("%d conflicts in %d sets: the test does not exercise both answers", conflicts, checked)
			}
		})
	}
}

// TestGuardForgetsOldestFirst checks that a guard over its budget forgets
// the oldest sets entirely: a set nested with a forgotten one no longer
// conflicts, one nested with a kept one still does.
func TestGuardForgetsOldestFirst(t *testing.T) {
	set := func(lo, n uint32) *roaring.Bitmap {
		b := roaring.New()
		b.AddRange(uint64(lo), uint64(lo+n))
		return b
	}
	g := NewGuard(1) // over budget with the second set
	for i, b := range []*roaring.Bitmap{set(0, 100), set(1000, 100)} {
		g.remember(b.GetCardinality(), b, g.contentKey(b), strconv.Itoa(i), least(b),
			func(x *roaring.Bitmap) []*roaring.Bitmap { return []*roaring.Bitmap{x} })
	}
	if g.Remembered() != 1 || len(g.heads) != headLen || len(g.byCard) != 1 {
		t.Fatalf("after forgetting: %d remembered, %d least members indexed, %d sizes", g.Remembered(), len(g.heads), len(g.byCard))
	}
	conflicts := func(b *roaring.Bitmap) bool {
		return g.conflicts(b.GetCardinality(), 10, least(b), func() []*roaring.Bitmap { return []*roaring.Bitmap{b} })
	}
	if conflicts(set(0, 95)) {
		t.Fatal("a subset of the forgotten set conflicts")
	}
	if !conflicts(set(1000, 95)) {
		t.Fatal("a subset of the kept set does not conflict")
	}
}

// least is the headLen least members of b.
func least(b *roaring.Bitmap) []uint32 {
	all := b.ToArray()
	return all[:min(len(all), headLen)]
}

// TestLeastOf checks the merge of least members against the union made.
func TestLeastOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		a, b := roaring.New(), roaring.New()
		for range rng.IntN(40) {
			a.Add(rng.Uint32N(200))
		}
		for range rng.IntN(40) {
			b.Add(rng.Uint32N(200))
		}
		got, want := leastOf(least(a), least(b)), least(roaring.Or(a, b))
		if !slices.Equal(got, want) {
			t.Fatalf("leastOf(%v, %v) = %v; want %v", least(a), least(b), got, want)
		}
	}
}
