package chart

import (
	"math"
	"strconv"
	"unicode"
)

// Font sizes in SVG user units. The server cannot measure text, so widths are
// estimated per rune from these sizes (see textWidth).
const (
	fontSize  = 12.0
	smallSize = 11.0
)

// ellipsis marks a label cut to fit; the full label stays in a <title>.
const ellipsis = "…"

// runeEm estimates how wide r is drawn, in em: CJK and full-width forms take
// a full em, Latin letters and digits about 0.6 em, and marks that combine
// with the rune before them take nothing. Overestimating is safe (a label is
// cut a little early); underestimating lets labels overlap.
func runeEm(r rune) float64 {
	switch {
	case r < 0x20:
		return 0
	case r < 0x7f:
		return 0.6
	case wide(r):
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	default:
		return 0.6
	}
}

// wide reports whether r is drawn a full em wide: East Asian wide and
// full-width characters, and the dashes and ellipsis that CJK fonts draw at
// full width.
func wide(r rune) bool {
	switch {
	case r == 0x2014 || r == 0x2026: // — and …, full width in CJK fonts
		return true
	case r >= 0x1100 && r <= 0x115F, // Hangul Jamo initials
		r >= 0x2E80 && r <= 0x303E,   // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF,   // kana, CJK compatibility
		r >= 0x3400 && r <= 0x4DBF,   // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF,   // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF,   // Yi
		r >= 0xAC00 && r <= 0xD7A3,   // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF,   // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F,   // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60,   // full-width forms
		r >= 0xFFE0 && r <= 0xFFE6,   // full-width signs
		r >= 0x1F300 && r <= 0x1FAFF, // emoji
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions B and later
		return true
	}
	return false
}

// textWidth estimates the drawn width of s at the given font size.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeEm(r)
	}
	return w * size
}

// maxWidth is the widest of ss at the given font size.
func maxWidth(ss []string, size float64) float64 {
	w := 0.0
	for _, s := range ss {
		w = max(w, textWidth(s, size))
	}
	return w
}

// fit cuts s to at most maxW wide at the given size, ending it with an
// ellipsis, and reports whether it cut.
func fit(s string, maxW, size float64) (string, bool) {
	if textWidth(s, size) <= maxW {
		return s, false
	}
	budget := maxW - textWidth(ellipsis, size)
	w := 0.0
	for i, r := range s {
		w += runeEm(r) * size
		if w > budget {
			return s[:i] + ellipsis, true
		}
	}
	return s, false
}

// formatNumber prints v for a reader: thousands separators, and one decimal
// only when v is not a whole number (12,345 or 3.5).
func formatNumber(v float64) string {
	r := math.Round(v*10) / 10
	whole := math.Floor(r)
	s := group(strconv.FormatFloat(whole, 'f', 0, 64))
	if tenth := int(math.Round((r - whole) * 10)); tenth > 0 && tenth < 10 {
		s += "." + strconv.Itoa(tenth)
	}
	return s
}

// group puts a comma between each three digits of an unsigned integer.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	b := make([]byte, 0, len(digits)+len(digits)/3)
	lead := len(digits) % 3
	if lead == 0 {
		lead = 3
	}
	b = append(b, digits[:lead]...)
	for i := lead; i < len(digits); i += 3 {
		b = append(b, ',')
		b = append(b, digits[i:i+3]...)
	}
	return string(b)
}

// num prints a coordinate with at most one decimal; a tenth of a user unit is
// below what a screen shows, and short numbers keep the SVG small.
func num(x float64) string {
	r := math.Round(x*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// ticks returns the values of an axis from zero to at least top in at most n
// equal steps, each step 1, 2 or 5 times a power of ten and never below 1, so
// that tick labels are whole numbers a reader can add up. The last tick is
// the top of the scale.
func ticks(top float64, n int) []float64 {
	if !(top > 0) {
		top = 1
	}
	mag := math.Pow10(int(math.Floor(math.Log10(top / float64(n)))))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if math.Ceil(top/(m*mag)) <= float64(n) {
			step = m * mag
			break
		}
	}
	step = max(step, 1)
	k := max(int(math.Ceil(top/step)), 1)
	out := make([]float64, k+1)
	for i := range out {
		out[i] = float64(i) * step
	}
	return out
}

// tickLabels formats tick values for an axis.
func tickLabels(ts []float64) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = formatNumber(t)
	}
	return out
}
