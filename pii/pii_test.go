package pii_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"

	"onedoor/pii"
)

// Synthetic values only: the identity number is the worked example of
// GB 11643-1999, the phone number is made up.
const (
	testID    = "11010519491231002X"
	testPhone = "13800138000"
)

// fixedKeys returns distinct, non-zero keys derived from seed, so that tests
// do not depend on randomness where they need not.
func fixedKeys(seed byte) pii.Keys {
	var k pii.Keys
	for i := range 32 {
		k.Enc[i] = seed + byte(i)
		k.Index[i] = seed + byte(i) + 100
	}
	return k
}

func newBox(t testing.TB, k pii.Keys) *pii.Box {
	t.Helper()
	b, err := pii.NewBox(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateKeys(t *testing.T) {
	k1, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 || k1.Enc == k1.Index {
		t.Error("generated keys repeat")
	}
	if _, err := pii.NewBox(k1); err != nil {
		t.Errorf("NewBox(generated keys): %v", err)
	}
}

func TestNewBox_RefusesUnsetKeys(t *testing.T) {
	good := fixedKeys(1)
	noEnc, noIndex, same := good, good, good
	noEnc.Enc = [32]byte{}
	noIndex.Index = [32]byte{}
	same.Index = same.Enc
	for name, k := range map[string]pii.Keys{"zero": {}, "no enc": noEnc, "no index": noIndex, "equal": same} {
		if _, err := pii.NewBox(k); err == nil {
			t.Errorf("NewBox(%s keys) accepted", name)
		}
	}
}

func TestSealOpen_RoundTrip(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	for _, tt := range []struct{ kind, value string }{
		{pii.KindID, testID},
		{pii.KindPhone, testPhone},
		{pii.KindID, ""},
		{pii.KindID, "张三 with ünïcode"},
		{pii.KindPhone, strings.Repeat("9", 10000)},
	} {
		sealed, err := b.Seal(tt.kind, tt.value)
		if err != nil {
			t.Fatalf("Seal(%q, %q): %v", tt.kind, tt.value, err)
		}
		if !strings.HasPrefix(sealed, "v1:") {
			t.Errorf("Seal = %q, want a v1: prefix", sealed)
		}
		if tt.value != "" && strings.Contains(sealed, tt.value) {
			t.Errorf("sealed value %q contains the plain text", sealed)
		}
		raw, err := base64.StdEncoding.DecodeString(sealed[3:])
		if err != nil {
			t.Fatalf("sealed value is not base64: %v", err)
		}
		if want := 12 + len(tt.value) + 16; len(raw) != want {
			t.Errorf("sealed %d bytes, want nonce+ciphertext+tag = %d", len(raw), want)
		}
		got, err := b.Open(tt.kind, sealed)
		if err != nil || got != tt.value {
			t.Errorf("Open(Seal(%q)) = %q, %v", tt.value, got, err)
		}
	}
}

func TestSeal_FreshNonceEachTime(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	seen := map[string]bool{}
	nonces := map[string]bool{}
	for range 1000 {
		s, err := b.Seal(pii.KindID, testID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(s[3:])
		if seen[s] || nonces[string(raw[:12])] {
			t.Fatalf("sealing the same value twice gave a repeated result or nonce: %s", s)
		}
		seen[s], nonces[string(raw[:12])] = true, true
	}
}

func TestOpen_Refuses(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	sealed, err := b.Seal(pii.KindID, testID)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(sealed[3:])
	flip := func(i int) string {
		c := bytes.Clone(raw)
		c[i] ^= 0x01
		return "v1:" + base64.StdEncoding.EncodeToString(c)
	}
	otherKeys, err := newBox(t, fixedKeys(2)).Seal(pii.KindID, testID)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, kind, sealed, want string
	}{
		{"nonce byte flipped", pii.KindID, flip(0), "authentication failed"},
		{"ciphertext byte flipped", pii.KindID, flip(12), "authentication failed"},
		{"tag byte flipped", pii.KindID, flip(len(raw) - 1), "authentication failed"},
		{"truncated", pii.KindID, "v1:" + base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), "authentication failed"},
		{"wrong kind", pii.KindPhone, sealed, `sealed as a kind other than "phone"`},
		{"other keys", pii.KindID, otherKeys, "authentication failed"},
		{"empty", pii.KindID, "", `does not start with "v1:"`},
		{"no version", pii.KindID, sealed[3:], `does not start with "v1:"`},
		{"future version", pii.KindID, "v2:" + sealed[3:], `does not start with "v1:"`},
		{"not base64", pii.KindID, "v1:not*base64", "not valid base64"},
		{"too short", pii.KindID, "v1:" + base64.StdEncoding.EncodeToString(raw[:27]), "shorter than the 28 of nonce and tag"},
		{"only prefix", pii.KindID, "v1:", "shorter than"},
		{"empty kind", "", sealed, "must be non-empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.Open(tt.kind, tt.sealed)
			if err == nil {
				t.Fatalf("Open accepted it and returned %q", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if got != "" {
				t.Errorf("Open returned %q with its error", got)
			}
		})
	}
}

func TestSeal_RefusesBadKind(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	for _, kind := range []string{"", "id\x00phone"} {
		if _, err := b.Seal(kind, testID); err == nil {
			t.Errorf("Seal(%q) accepted the kind", kind)
		}
	}
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestIndex(t *testing.T) {
	b1 := newBox(t, fixedKeys(1))
	b1again := newBox(t, fixedKeys(1))
	other := fixedKeys(1)
	other.Index[0] ^= 0xff // same encryption key, other index key
	b2 := newBox(t, other)

	idx := b1.Index(pii.KindID, testID)
	if !hex64.MatchString(idx) {
		t.Fatalf("Index = %q, want 64 lower-case hex digits", idx)
	}
	if got := b1.Index(pii.KindID, testID); got != idx {
		t.Errorf("Index not deterministic: %s then %s", idx, got)
	}
	if got := b1again.Index(pii.KindID, testID); got != idx {
		t.Errorf("Index differs between boxes with the same keys: %s and %s", idx, got)
	}
	if got := b1.Index(pii.KindPhone, testID); got == idx {
		t.Error("Index is the same for two kinds")
	}
	if got := b2.Index(pii.KindID, testID); got == idx {
		t.Error("Index is the same under two index keys")
	}
	if got := b1.Index(pii.KindID, "11010519491231002x"); got == idx {
		t.Error("Index ignores a difference in the value")
	}
	// The NUL separator keeps kind and value apart.
	if b1.Index("ab", "c") == b1.Index("a", "bc") {
		t.Error("Index confuses kind/value boundaries")
	}
}

func TestIndex_PanicsOnBadKind(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	for _, kind := range []string{"", "a\x00b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Index(%q) did not panic", kind)
				}
			}()
			b.Index(kind, testID)
		}()
	}
}

func TestBox_Concurrent(t *testing.T) {
	b := newBox(t, fixedKeys(1))
	want := b.Index(pii.KindPhone, testPhone)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			v := fmt.Sprintf("1380013%04d", g)
			for range 200 {
				s, err := b.Seal(pii.KindPhone, v)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := b.Open(pii.KindPhone, s); err != nil || got != v {
					t.Errorf("Open = %q, %v; want %q", got, err, v)
					return
				}
				if got := b.Index(pii.KindPhone, testPhone); got != want {
					t.Errorf("concurrent Index = %s, want %s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestKeys_TextRoundTrip(t *testing.T) {
	k, err := pii.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	text, err := k.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^v1:[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$`).Match(text) {
		t.Errorf("MarshalText = %q, want v1:<base64>:<base64>", text)
	}
	for _, in := range [][]byte{text, append(bytes.Clone(text), '\n'), append([]byte("  "), text...)} {
		var got pii.Keys
		if err := got.UnmarshalText(in); err != nil {
			t.Fatalf("UnmarshalText(%q): %v", in, err)
		}
		if got != k {
			t.Errorf("UnmarshalText(%q) did not give the keys back", in)
		}
	}
	if _, err := (pii.Keys{}).MarshalText(); err == nil {
		t.Error("MarshalText wrote zero keys")
	}
}

func TestKeys_UnmarshalTextRefuses(t *testing.T) {
	good, _ := fixedKeys(1).MarshalText()
	parts := strings.Split(string(good), ":")
	key32 := parts[1]
	key31 := base64.StdEncoding.EncodeToString(make([]byte, 31))
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct{ name, in, want string }{
		{"empty", "", "want the form"},
		{"two parts", "v1:" + key32, "want the form"},
		{"four parts", string(good) + ":" + key32, "want the form"},
		{"version", "v2:" + key32 + ":" + parts[2], `unknown version "v2"`},
		{"bad base64 enc", "v1:***:" + parts[2], "encryption key is not valid base64"},
		{"bad base64 index", "v1:" + key32 + ":" + key32[:42] + "!=", "index key is not valid base64"},
		{"unpadded", "v1:" + strings.TrimRight(key32, "=") + ":" + parts[2], "encryption key is not valid base64"},
		{"short enc", "v1:" + key31 + ":" + parts[2], "encryption key has 31 bytes; want 32"},
		{"zero enc", "v1:" + zero + ":" + parts[2], "encryption key is all zeros"},
		{"equal keys", "v1:" + key32 + ":" + key32, "must be independent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := fixedKeys(7)
			err := k.UnmarshalText([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("UnmarshalText(%q) = %v, want an error containing %q", tt.in, err, tt.want)
			}
			if k != fixedKeys(7) {
				t.Error("a refused UnmarshalText changed the keys")
			}
		})
	}
}

func TestKeys_NotPrinted(t *testing.T) {
	k := fixedKeys(1)
	b := newBox(t, k)
	enc := base64.StdEncoding.EncodeToString(k.Enc[:])
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start", "keys", k, "box", b)
	for _, s := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k),
		fmt.Sprint(b), fmt.Sprintf("%v %+v %#v", b, b, b),
		logged.String(),
	} {
		// A printed key would show its bytes: 1 2 3 … or 0x1, 0x2 ….
		if strings.Contains(s, "1 2 3") || strings.Contains(s, "0x1, 0x2") || strings.Contains(s, enc) {
			t.Errorf("key material printed: %s", s)
		}
		if !strings.Contains(s, "REDACTED") {
			t.Errorf("expected a redacted form, got %s", s)
		}
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"440601199001011230", "4406**********1230"},
		{"11010519491231002X", "1101**********002X"},
		{" 11010519491231002X ", "1101**********002X"},
		{"110105491231002", "1101*******1002"}, // old 15-digit number
		{"123456789", "1234*6789"},
		{"12345678", "********"}, // would be shown whole
		{"123", "***"},
		{"", ""},
		{"一二三四五六七八九十", "一二三四**七八九十"},
		{"\xff\xfe1234567", "\ufffd\ufffd12*4567"},
	}
	for _, tt := range tests {
		if got := pii.MaskID(tt.in); got != tt.want {
			t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{" 13812345678\n", "138****5678"},
		{"12345678", "123*5678"},
		{"1234567", "*******"},
		{"1", "*"},
		{"", ""},
		{"１３８１２３４５６７８", "１３８****５６７８"},
	}
	for _, tt := range tests {
		if got := pii.MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三", "张*"},
		{"欧阳修", "欧**"},
		{"司马相如", "司***"},
		{"李", "李*"}, // never shown whole
		{" 王五 ", "王*"},
		{"Alice", "A***"},
		{"Bo", "B***"},
		{"X", "X***"},
		{"Émile Zola", "É***"},
		{"", ""},
		{"   ", ""},
		{"\xff", "\ufffd***"},
		{"阿依古丽·买买提", "阿*******"},
		{"김민준", "김**"},
	}
	for _, tt := range tests {
		if got := pii.MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMask checks that no mask panics or shows more than it should: the
// masked form has as many characters as the input (names aside), and every
// hidden position is a star.
func FuzzMask(f *testing.F) {
	for _, s := range []string{"", "张三", "Alice", testID, testPhone, "\xff\xfe", "a\u0301", "壼*", " 12345678 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := []rune(strings.TrimSpace(s))
		for name, m := range map[string]struct {
			mask       func(string) string
			head, tail int
		}{"MaskID": {pii.MaskID, 4, 4}, "MaskPhone": {pii.MaskPhone, 3, 4}} {
			out := []rune(m.mask(s))
			if len(out) != len(in) {
				t.Fatalf("%s(%q) = %q changes the length", name, s, string(out))
			}
			head, tail := m.head, m.tail
			if len(in) <= head+tail {
				head, tail = 0, 0
			}
			for i, r := range out {
				if i >= head && i < len(out)-tail && r != '*' {
					t.Fatalf("%s(%q) = %q shows character %d", name, s, string(out), i+1)
				}
			}
		}
		out := []rune(pii.MaskName(s))
		if (len(in) == 0) != (len(out) == 0) {
			t.Fatalf("MaskName(%q) = %q", s, string(out))
		}
		if len(out) > 0 && (len(out) < 2 || strings.Trim(string(out[1:]), "*") != "") {
			t.Fatalf("MaskName(%q) = %q shows more than the first character", s, string(out))
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	box := newBox(b, fixedKeys(1))
	for b.Loop() {
		if _, err := box.Seal(pii.KindID, testID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	box := newBox(b, fixedKeys(1))
	sealed, err := box.Seal(pii.KindID, testID)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := box.Open(pii.KindID, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIndex(b *testing.B) {
	box := newBox(b, fixedKeys(1))
	for b.Loop() {
		box.Index(pii.KindID, testID)
	}
}

func BenchmarkIndexParallel(b *testing.B) {
	box := newBox(b, fixedKeys(1))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			box.Index(pii.KindID, testID)
		}
	})
}
