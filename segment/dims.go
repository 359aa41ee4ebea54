package segment

import (
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"onedoor"
)

// dimension is an attribute whose values partition the residents (or the
// enterprises): a breakdown dimension and a segment attribute.
type dimension struct {
	name    string
	subject onedoor.SubjectType
	labels  func(ix *Index) []string
	// codes writes the value number of each ID; the IDs exist.
	codes func(ix *Index, ids []uint32, out []int32)
	// bitmap is the set of those with value v; it must not be changed.
	// owned reports that the bitmap was made for the caller.
	bitmap func(ix *Index, v int) (bm *roaring.Bitmap, owned bool)
	// parent is the coarser dimension this one nests in (community in
	// street, 5-year in policy age bands), and up maps a value to its
	// parent value.
	parent string
	up     func(ix *Index, v int) int
	// dict marks dictionary dimensions, whose value 0 is "not recorded".
	dict bool
	// public marks the dimensions of published statistics (geography,
	// age, residency, sex): disclosure control builds its tables on them.
	public bool
}

func fixed(ls []string) func(*Index) []string { return func(*Index) []string { return ls } }

func yesNo(name string, bit uint8, bm func(ix *Index) *roaring.Bitmap) *dimension {
	return &dimension{name: name, subject: onedoor.Natural, labels: fixed([]string{"yes", "no"}),
		codes: func(ix *Index, ids []uint32, out []int32) {
			f := ix.people.flags
			for i, id := range ids {
				if f[id]&bit != 0 {
					out[i] = 0
				} else {
					out[i] = 1
				}
			}
		},
		bitmap: func(ix *Index, v int) (*roaring.Bitmap, bool) {
			if v == 0 {
				return bm(ix), false
			}
			return ix.cached(name+"=no", func() *roaring.Bitmap { return roaring.AndNot(ix.people.exists, bm(ix)) }), false
		}}
}

func arrayBitmap(bs func(ix *Index) []*roaring.Bitmap) func(*Index, int) (*roaring.Bitmap, bool) {
	return func(ix *Index, v int) (*roaring.Bitmap, bool) {
		b := bs(ix)
		if v < 0 || v >= len(b) {
			return empty, false
		}
		return b[v], false
	}
}

var personDims = []*dimension{
	{name: "street", subject: onedoor.Natural, dict: true, public: true,
		labels: func(ix *Index) []string { return ix.streets.names },
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.street
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.streetBm })},
	{name: "community", subject: onedoor.Natural, dict: true, public: true, parent: "street",
		labels: func(ix *Index) []string {
			out := make([]string, len(ix.comms.names))
			for i := range out {
				out[i] = ix.commName(i)
			}
			return out
		},
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.comm
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.commBm }),
		up:     func(ix *Index, v int) int { return int(ix.commSt[v]) }},
	{name: "age_policy", subject: onedoor.Natural, public: true, labels: fixed(policyLabels),
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.age
			for i, id := range ids {
				out[i] = int32(policyOf(a[id]))
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.policy[:] })},
	{name: "age5", subject: onedoor.Natural, public: true, labels: fixed(age5Labels), parent: "age_policy",
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.age
			for i, id := range ids {
				out[i] = int32(age5Of(a[id]))
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.age5[:] }),
		up:     func(ix *Index, v int) int { return policyOf(uint8(v * 5)) }},
	{name: "residency", subject: onedoor.Natural, public: true, labels: fixed([]string{"local", "non_local"}),
		codes: func(ix *Index, ids []uint32, out []int32) {
			f := ix.people.flags
			for i, id := range ids {
				if f[id]&fLocal != 0 {
					out[i] = 0
				} else {
					out[i] = 1
				}
			}
		},
		bitmap: func(ix *Index, v int) (*roaring.Bitmap, bool) {
			if v == 0 {
				return ix.people.local, false
			}
			return ix.cached("non_local", func() *roaring.Bitmap { return roaring.AndNot(ix.people.exists, ix.people.local) }), false
		}},
	{name: "sex", subject: onedoor.Natural, public: true, labels: fixed(sexLabels),
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.sex
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.sexBm[:] })},
	yesNo("lives_alone", fAlone, func(ix *Index) *roaring.Bitmap { return ix.people.alone }),
	yesNo("disabled", fDisabled, func(ix *Index) *roaring.Bitmap { return ix.people.disabled }),
	yesNo("dishonest", fDishonest, func(ix *Index) *roaring.Bitmap { return ix.people.dishonest }),
	{name: "household_size", subject: onedoor.Natural, labels: fixed(hhSizeLabels),
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.hhCat
			for i, id := range ids {
				out[i] = int32(a[id] >> 4)
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.hhSizeBm[:] })},
	{name: "household_type", subject: onedoor.Natural, labels: fixed(hhTypeLabels),
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.people.hhCat
			for i, id := range ids {
				out[i] = int32(a[id] & 15)
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.people.hhTypeBm[:] })},
}

var orgDims = []*dimension{
	{name: "street", subject: onedoor.Legal, dict: true, public: true,
		labels: func(ix *Index) []string { return ix.streets.names },
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.orgs.street
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.orgs.streetBm })},
	{name: "org_kind", subject: onedoor.Legal, dict: true, public: true,
		labels: func(ix *Index) []string { return ix.orgs.kinds.names },
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.orgs.kind
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.orgs.kindBm })},
	{name: "org_size", subject: onedoor.Legal, dict: true, public: true,
		labels: func(ix *Index) []string { return ix.orgs.sizes.names },
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.orgs.size_
			for i, id := range ids {
				out[i] = int32(a[id])
			}
		},
		bitmap: arrayBitmap(func(ix *Index) []*roaring.Bitmap { return ix.orgs.sizeBm })},
	{name: "dishonest", subject: onedoor.Legal, labels: fixed([]string{"yes", "no"}),
		codes: func(ix *Index, ids []uint32, out []int32) {
			a := ix.orgs.dishonest
			for i, id := range ids {
				if a[id] {
					out[i] = 0
				} else {
					out[i] = 1
				}
			}
		},
		bitmap: func(ix *Index, v int) (*roaring.Bitmap, bool) {
			if v == 0 {
				return ix.orgs.dishBm, false
			}
			return ix.cached("org:dishonest=no", func() *roaring.Bitmap { return roaring.AndNot(ix.orgs.exists, ix.orgs.dishBm) }), false
		}},
}

func dimsOf(s onedoor.SubjectType) []*dimension {
	if s == onedoor.Legal {
		return orgDims
	}
	return personDims
}

func findDim(s onedoor.SubjectType, name string) *dimension {
	for _, d := range dimsOf(s) {
		if d.name == name {
			return d
		}
	}
	return nil
}

func dimNames(s onedoor.SubjectType) string {
	var names []string
	for _, d := range dimsOf(s) {
		names = append(names, d.name)
	}
	if s != onedoor.Legal {
		names = append(names, "age")
	}
	return strings.Join(names, ", ")
}

// valueIndex finds the value numbers a label names in dimension d:
// communities of the same name in two streets give two numbers.
func (ix *Index) valueIndex(d *dimension, label string) []int {
	switch d.name {
	case "community":
		return ix.byName[label]
	case "lives_alone", "disabled", "dishonest":
		switch strings.ToLower(label) {
		case "yes", "true":
			return []int{0}
		case "no", "false":
			return []int{1}
		}
		return nil
	case "residency":
		switch label {
		case "local", "true":
			return []int{0}
		case "non_local", "false":
			return []int{1}
		}
		return nil
	}
	ls := d.labels(ix)
	if d.dict {
		if label == "" {
			return nil
		}
		for i, l := range ls {
			if l == label {
				return []int{i}
			}
		}
		return nil
	}
	if i := slices.Index(ls, label); i >= 0 {
		return []int{i}
	}
	return nil
}

// Dimension describes a breakdown dimension and its values, for clients
// that build queries.
type Dimension struct {
	Name    string   `json:"name"`
	Values  []string `json:"values"`
	Parent  string   `json:"parent,omitempty"`
	Parents []string `json:"parents,omitzero"` // with Parent: the parent value of each value
	Public  bool     `json:"public"`
}

// Dimensions lists the breakdown dimensions of residents or enterprises
// with their current values (dictionary values no one has are left out).
func (ix *Index) Dimensions(s onedoor.SubjectType) []Dimension {
	ix.sync()
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []Dimension
	for _, d := range dimsOf(s) {
		vals := ix.values(d)
		ls := d.labels(ix)
		x := Dimension{Name: d.name, Parent: d.parent, Public: d.public, Values: []string{}}
		if d.up != nil {
			x.Parents = []string{}
		}
		for _, v := range vals {
			x.Values = append(x.Values, ls[v])
			if d.up != nil {
				x.Parents = append(x.Parents, findDim(s, d.parent).labels(ix)[d.up(ix, v)])
			}
		}
		out = append(out, x)
	}
	return out
}

// values lists the value numbers of d shown in tables: every fixed value,
// and the dictionary values someone has. For communities the order is by
// street, then name.
func (ix *Index) values(d *dimension) []int {
	n := len(d.labels(ix))
	out := make([]int, 0, n)
	for v := range n {
		if d.dict || v == 2 && d.name == "sex" {
			if bm, _ := d.bitmap(ix, v); bm.IsEmpty() {
				continue
			}
		}
		out = append(out, v)
	}
	if d.dict {
		ls := d.labels(ix)
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if d.up != nil && d.up(ix, a) != d.up(ix, b) {
				return ix.streets.names[d.up(ix, a)] < ix.streets.names[d.up(ix, b)]
			}
			return ls[a] < ls[b]
		})
	}
	return out
}
