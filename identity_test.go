package onedoor_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"onedoor"
)

// All identity numbers and codes below are synthetic: either the examples
// printed in the standards, or numbers made up for these tests with check
// characters computed by an independent script.

// testNow is the clerk's "now" for the table tests: 15 June 2025, noon in
// Beijing.
var testNow = time.Date(2025, time.June, 15, 12, 0, 0, 0, shanghai)

var shanghai = time.FixedZone("CST", 8*60*60)

// mkID builds a synthetic identity number with a valid check character.
func mkID(region, birth, seq string) string {
	first17 := region + birth + seq
	return first17 + string(onedoor.IDCheckChar(first17))
}

func date(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// checkInvalid fails t unless err is an EINVALID error about field whose
// message contains want.
func checkInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want error containing %q", want)
	}
	if code := onedoor.ErrorCode(err); code != onedoor.EINVALID {
		t.Errorf("code = %q, want %q (err: %v)", code, onedoor.EINVALID, err)
	}
	if f := onedoor.ErrorField(err); f != field {
		t.Errorf("field = %q, want %q", f, field)
	}
	if msg := onedoor.ErrorMessage(err); !strings.Contains(msg, want) {
		t.Errorf("message = %q, want it to contain %q", msg, want)
	}
}

func TestIDCheckChar_StandardExample(t *testing.T) {
	// The worked example of GB 11643-1999 (Beijing, Chaoyang district).
	if got := onedoor.IDCheckChar("11010519491231002"); got != 'X' {
		t.Errorf("IDCheckChar(11010519491231002) = %q, want 'X'", got)
	}
	// The standard's second example, born 1880: the check character holds
	// even though ParseIDNumber refuses births before 1900.
	if got := onedoor.IDCheckChar("44052418800101001"); got != '4' {
		t.Errorf("IDCheckChar(44052418800101001) = %q, want '4'", got)
	}
}

func TestIDCheckChar_Malformed(t *testing.T) {
	for _, s := range []string{"", "1101051949123100", "110105194912310021", "1101051949123100A", "1101051949123100２"} {
		if got := onedoor.IDCheckChar(s); got != 0 {
			t.Errorf("IDCheckChar(%q) = %q, want 0", s, got)
		}
	}
}

func TestParseIDNumber_Valid(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		number string
		birth  time.Time
		male   bool
	}{
		{"standard example, X check", "11010519491231002X", "11010519491231002X", date(1949, 12, 31), false},
		{"male, odd 17th digit", "320106198506120435", "320106198506120435", date(1985, 6, 12), true},
		{"surrounding spaces trimmed", "  320106198506120435 \t", "320106198506120435", date(1985, 6, 12), true},
		{"lower-case x normalised", "33010619880815101x", "33010619880815101X", date(1988, 8, 15), true},
		{"Feb 29 in 2000, a leap century", "110101200002290018", "110101200002290018", date(2000, 2, 29), true},
		{"Feb 29 in 2024", "110101202402290024", "110101202402290024", date(2024, 2, 29), false},
		{"earliest birth 1900-01-01", "110101190001010030", "110101190001010030", date(1900, 1, 1), true},
		{"Xinjiang", "650102201101010014", "650102201101010014", date(2011, 1, 1), true},
		{"Hong Kong 81", "810000199912310047", "810000199912310047", date(1999, 12, 31), false},
		{"born today", mkID("110101", "20250615", "001"), mkID("110101", "20250615", "001"), date(2025, 6, 15), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := onedoor.ParseIDNumberAt("id_number", tt.in, testNow)
			if err != nil {
				t.Fatalf("ParseIDNumberAt(%q): %v", tt.in, err)
			}
			want := onedoor.IDNumber{Number: tt.number, Region: tt.number[:6], Birth: tt.birth, Male: tt.male}
			if got != want {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestParseIDNumber_Invalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // part of the message
	}{
		{"empty", "", "is required"},
		{"only spaces", "   ", "is required"},
		{"17 characters", "11010519491231002", "has 18 characters; this one has 17"},
		{"19 characters", "11010519491231002X1", "has 18 characters; this one has 19"},
		{"15-digit old format", "110105491231002", "this one has 15"},
		{"letter inside", "1101012000A2290018", "character 11 is 'A'"},
		{"X not last", "11010519491231X02X", "character 15 is 'X'"},
		{"full-width digit", "11010519491231002２", "last character of an identity number must be a digit or X"},
		{"inner space", "110105 9491231002X", "character 7 is ' '"},
		{"bad last character", "11010519491231002Y", "last character of an identity number must be a digit or X; it is 'Y'"},
		{"province 00", mkID("000101", "19900101", "001"), "starts with 00, which is not a province code"},
		{"province 16", mkID("160101", "19900101", "001"), "starts with 16, which is not a province code"},
		{"province 72", mkID("720101", "19900101", "001"), "starts with 72, which is not a province code"},
		{"province 91", mkID("910101", "19900101", "001"), "starts with 91, which is not a province code"},
		{"Feb 29 in 1900, not a leap year", mkID("110101", "19000229", "001"), "1900-02-29, is not a real calendar date"},
		{"Feb 29 in 2023", mkID("110101", "20230229", "001"), "2023-02-29, is not a real calendar date"},
		{"Feb 30", mkID("110101", "20240230", "001"), "2024-02-30, is not a real calendar date"},
		{"April 31", mkID("110101", "19990431", "001"), "1999-04-31, is not a real calendar date"},
		{"month 13", mkID("110101", "19991301", "001"), "1999-13-01, is not a real calendar date"},
		{"month 00", mkID("110101", "19990001", "001"), "1999-00-01, is not a real calendar date"},
		{"day 00", mkID("110101", "19990100", "001"), "1999-01-00, is not a real calendar date"},
		{"tomorrow", mkID("110101", "20250616", "001"), "2025-06-16, is in the future"},
		{"next century", mkID("110101", "21000101", "001"), "2100-01-01, is in the future"},
		{"before 1900", mkID("110101", "18991231", "001"), "1899-12-31, is before 1900-01-01"},
		{"standard example from 1880", "440524188001010014", "before 1900-01-01"},
		{"wrong check digit", "110101200002290019", "The check character is 9, expected 8"},
		{"X instead of digit", "11010120000229001X", "The check character is X, expected 8"},
		{"digit instead of X", "110105194912310020", "The check character is 0, expected X"},
		{"two digits swapped", "11010519491213002X", "The check character is X, expected 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := onedoor.ParseIDNumberAt("id_number", tt.in, testNow)
			checkInvalid(t, err, "id_number", tt.want)
		})
	}
}

func TestParseIDNumber_TodayIsTheClerksToday(t *testing.T) {
	// 00:30 on 16 June in Beijing is still 15 June in UTC; a baby born on
	// 16 June is registered that morning.
	now := time.Date(2025, time.June, 16, 0, 30, 0, 0, shanghai)
	id := mkID("110101", "20250616", "002")
	if _, err := onedoor.ParseIDNumberAt("id_number", id, now); err != nil {
		t.Errorf("birth on the clerk's today refused: %v", err)
	}
	_, err := onedoor.ParseIDNumberAt("id_number", mkID("110101", "20250617", "002"), now)
	checkInvalid(t, err, "id_number", "is in the future")
}

func TestParseIDNumber_UsesCurrentTime(t *testing.T) {
	if _, err := onedoor.ParseIDNumber("id", "11010519491231002X"); err != nil {
		t.Errorf("ParseIDNumber: %v", err)
	}
	next := time.Now().AddDate(0, 0, 2).Format("20060102")
	_, err := onedoor.ParseIDNumber("id", mkID("110101", next, "001"))
	checkInvalid(t, err, "id", "is in the future")
}

func TestIDNumber_AgeAt(t *testing.T) {
	leapling := onedoor.IDNumber{Birth: date(2000, 2, 29)}
	june := onedoor.IDNumber{Birth: date(1990, 6, 15)}
	tests := []struct {
		name string
		id   onedoor.IDNumber
		at   time.Time
		want int
	}{
		{"day before birthday", june, date(2025, 6, 14), 34},
		{"on birthday", june, date(2025, 6, 15), 35},
		{"day after birthday", june, date(2025, 6, 16), 35},
		{"birthday starts at local midnight", june, time.Date(2025, 6, 15, 0, 30, 0, 0, shanghai), 35},
		{"on the birth day", june, date(1990, 6, 15), 0},
		{"before birth", june, date(1980, 1, 1), 0},
		{"leapling on Feb 28, common year", leapling, date(2018, 2, 28), 17},
		{"leapling on Mar 1, common year", leapling, date(2018, 3, 1), 18},
		{"leapling on Feb 28, leap year", leapling, date(2020, 2, 28), 19},
		{"leapling on Feb 29, leap year", leapling, date(2020, 2, 29), 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.AgeAt(tt.at); got != tt.want {
				t.Errorf("AgeAt(%v) = %d, want %d", tt.at, got, tt.want)
			}
		})
	}
}

var provinceCodes = []string{
	"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
	"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
	"71", "81", "82",
}

func randDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// TestIDCheckChar_Property checks generated numbers against the definition of
// ISO 7064 MOD 11-2 computed here from first principles (weights 2^(18-i) mod
// 11, total including the check value ≡ 1 mod 11), checks that ParseIDNumber
// accepts them and reports their parts, and that every single-digit typo
// in the first 17 digits changes the check character.
func TestIDCheckChar_Property(t *testing.T) {
	r := rand.New(rand.NewPCG(11643, 1999))
	lo, hi := date(1900, 1, 1), date(2025, 6, 15)
	days := int(hi.Sub(lo).Hours()/24) + 1
	for range 5000 {
		birth := lo.AddDate(0, 0, r.IntN(days))
		first17 := provinceCodes[r.IntN(len(provinceCodes))] + randDigits(r, 4) + birth.Format("20060102") + randDigits(r, 3)
		c := onedoor.IDCheckChar(first17)

		sum, w := 0, 1
		for i := 16; i >= 0; i-- {
			w = w * 2 % 11
			sum += int(first17[i]-'0') * w
		}
		v := int(c - '0')
		if c == 'X' {
			v = 10
		}
		if (sum+v)%11 != 1 {
			t.Fatalf("IDCheckChar(%s) = %c does not satisfy MOD 11-2", first17, c)
		}

		got, err := onedoor.ParseIDNumberAt("id", first17+string(c), testNow)
		if err != nil {
			t.Fatalf("generated %s%c refused: %v", first17, c, err)
		}
		if got.Region != first17[:6] || !got.Birth.Equal(birth) || got.Male != ((first17[16]-'0')%2 == 1) {
			t.Fatalf("generated %s%c parsed as %+v", first17, c, got)
		}

		pos := r.IntN(17)
		d := byte('0' + (int(first17[pos]-'0')+1+r.IntN(9))%10)
		typo := first17[:pos] + string(d) + first17[pos+1:]
		if onedoor.IDCheckChar(typo) == c {
			t.Fatalf("typo %s of %s has the same check character %c", typo, first17, c)
		}
	}
}

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "33010619880815101x", "110101200002290018", " 320106198506120435 ",
		"", "11010519491231002", "1101012000A2290018", "110101190002290011", "11010519491231002Y",
		"110105194912310020", "１１０１０５１９４９１２３１００２X",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := onedoor.ParseIDNumberAt("id", s, testNow)
		if err != nil {
			if onedoor.ErrorCode(err) != onedoor.EINVALID || onedoor.ErrorField(err) != "id" || onedoor.ErrorMessage(err) == "" {
				t.Fatalf("error %#v is not a field error about id", err)
			}
			return
		}
		n := got.Number
		if len(n) != 18 || n != strings.ToUpper(strings.TrimSpace(s)) {
			t.Fatalf("Number %q from input %q", n, s)
		}
		if onedoor.IDCheckChar(n[:17]) != n[17] {
			t.Fatalf("accepted %q with a wrong check character", n)
		}
		if got.Region != n[:6] || got.Birth.Format("20060102") != n[6:14] || got.Male != ((n[16]-'0')%2 == 1) {
			t.Fatalf("parts of %q: %+v", n, got)
		}
		if got.Birth.Before(date(1900, 1, 1)) || got.Birth.After(date(2025, 6, 15)) {
			t.Fatalf("birth date %v out of range", got.Birth)
		}
		again, err := onedoor.ParseIDNumberAt("id", n, testNow)
		if err != nil || again != got {
			t.Fatalf("re-parsing %q: %+v, %v", n, again, err)
		}
	})
}

func TestUSCCCheckChar_StandardExample(t *testing.T) {
	// The example code printed with GB 32100-2015; its characters 9–17 are
	// the organisation code M000100Y4.
	if got := onedoor.USCCCheckChar("91350100M000100Y4"); got != '3' {
		t.Errorf("USCCCheckChar(91350100M000100Y4) = %q, want '3'", got)
	}
	if got := onedoor.OrgCodeCheckChar("M000100Y"); got != '4' {
		t.Errorf("OrgCodeCheckChar(M000100Y) = %q, want '4'", got)
	}
}

func TestUSCCCheckChar_Malformed(t *testing.T) {
	for _, s := range []string{"", "91350100M000100Y", "91350100M000100Y43", "91350100m000100Y4", "91350100M000100I4", "91350100M000100Ｙ4"} {
		if got := onedoor.USCCCheckChar(s); got != 0 {
			t.Errorf("USCCCheckChar(%q) = %q, want 0", s, got)
		}
	}
	for _, s := range []string{"", "M000100", "M000100Y4", "m000100Y", "M000-00Y"} {
		if got := onedoor.OrgCodeCheckChar(s); got != 0 {
			t.Errorf("OrgCodeCheckChar(%q) = %q, want 0", s, got)
		}
	}
}

func TestParseUSCC_Valid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want onedoor.USCC
	}{
		{"standard example", "91350100M000100Y43", onedoor.USCC{Code: "91350100M000100Y43", Authority: '9', Kind: '1', Region: "350100"}},
		{"lower case and spaces", " 91350100m000100y43\n", onedoor.USCC{Code: "91350100M000100Y43", Authority: '9', Kind: '1', Region: "350100"}},
		{"letters in organisation code", "5232010077AB11CD6H", onedoor.USCC{Code: "5232010077AB11CD6H", Authority: '5', Kind: '2', Region: "320100"}},
		{"organisation check X", "934411772BR2DW40XQ", onedoor.USCC{Code: "934411772BR2DW40XQ", Authority: '9', Kind: '3', Region: "441177"}},
		{"check value 31 written 0", "91915248FRR1B763X0", onedoor.USCC{Code: "91915248FRR1B763X0", Authority: '9', Kind: '1', Region: "915248"}},
		{"organisation check 11 written 0", "121100001234000202", onedoor.USCC{Code: "121100001234000202", Authority: '1', Kind: '2', Region: "110000"}},
	}
	for _, tt := range tests {
		for _, legacy := range []bool{false, true} {
			got, err := onedoor.ParseUSCC("uscc", tt.in, legacy)
			if err != nil {
				t.Errorf("%s (allowLegacy=%v): %v", tt.name, legacy, err)
				continue
			}
			if got != tt.want {
				t.Errorf("%s (allowLegacy=%v): got %+v, want %+v", tt.name, legacy, got, tt.want)
			}
		}
	}
}

func TestParseUSCC_Invalid(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		legacy bool // also refused with allowLegacy
		want   string
	}{
		{"empty", "", true, "is required"},
		{"17 characters", "91350100M000100Y4", true, "has 18 characters; this one has 17"},
		{"19 characters", "91350100M000100Y430", true, "has 18 characters; this one has 19"},
		{"letter I", "91350100M000I00Y43", true, "Character 13 of the unified social credit code, 'I', is not allowed"},
		{"letter O, lower case", "91350100o000100Y43", true, "Character 9 of the unified social credit code, 'O', is not allowed"},
		{"letter S", "S1350100M000100Y43", true, "Character 1 of the unified social credit code, 'S', is not allowed"},
		{"letter V", "91350100M000100V43", true, "'V', is not allowed"},
		{"letter Z", "91350100M000100Y4Z", true, "'Z', is not allowed"},
		{"dash", "91350100-000100Y43", true, "'-', is not allowed"},
		{"full-width", "91350100Ｍ000100Y43", true, "'Ｍ', is not allowed"},
		{"letter in region", "913501A0M000100Y43", true, "character 7 is 'A'"},
		{"wrong check character", "91350100M000100Y44", false, "The check character is 4, expected 3"},
		{"wrong organisation check", "91350100M000100Y56", false, "has check character 5, expected 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := onedoor.ParseUSCC("uscc", tt.in, false)
			checkInvalid(t, err, "uscc", tt.want)
			if !tt.legacy {
				if !strings.Contains(onedoor.ErrorMessage(err), "legacy") {
					t.Errorf("message %q does not mention accepting it as a legacy code", onedoor.ErrorMessage(err))
				}
				return
			}
			_, err = onedoor.ParseUSCC("uscc", tt.in, true)
			checkInvalid(t, err, "uscc", tt.want)
		})
	}
}

func TestParseUSCC_Legacy(t *testing.T) {
	for _, in := range []string{"91350100M000100Y44", "91350100M000100Y56", "91350100m000100y4x"} {
		got, err := onedoor.ParseUSCC("uscc", in, true)
		if err != nil {
			t.Errorf("ParseUSCC(%q, legacy): %v", in, err)
			continue
		}
		want := onedoor.USCC{Code: strings.ToUpper(in), Authority: '9', Kind: '1', Region: "350100", Legacy: true}
		if got != want {
			t.Errorf("ParseUSCC(%q, legacy) = %+v, want %+v", in, got, want)
		}
		if _, err := onedoor.ParseUSCC("uscc", in, false); err == nil {
			t.Errorf("ParseUSCC(%q) without the legacy flag accepted it", in)
		}
	}
}

// TestUSCCCheckChar_Property checks generated codes against the definitions
// computed here (USCC weights 3^i mod 31 with total ≡ 0 mod 31; organisation
// code weights 2^(9-i) mod 11 with total ≡ 0 mod 11), that ParseUSCC accepts
// them without the legacy flag, and that any single-character typo is caught.
func TestUSCCCheckChar_Property(t *testing.T) {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	r := rand.New(rand.NewPCG(32100, 2015))
	pick := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 5000 {
		org8 := pick(8)
		oc := onedoor.OrgCodeCheckChar(org8)
		osum, w := 0, 1
		for i := 7; i >= 0; i-- {
			w = w * 2 % 11
			osum += strings.IndexByte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", org8[i]) * w
		}
		ov := strings.IndexByte("0123456789X", oc)
		if ov < 0 || (osum+ov)%11 != 0 {
			t.Fatalf("OrgCodeCheckChar(%s) = %c does not satisfy MOD 11", org8, oc)
		}

		first17 := pick(2) + randDigits(r, 6) + org8 + string(oc)
		c := onedoor.USCCCheckChar(first17)
		sum, w := 0, 1
		for i := range 17 {
			sum += strings.IndexByte(alphabet, first17[i]) * w
			w = w * 3 % 31
		}
		if (sum+strings.IndexByte(alphabet, c))%31 != 0 {
			t.Fatalf("USCCCheckChar(%s) = %c does not satisfy MOD 31", first17, c)
		}

		code := first17 + string(c)
		got, err := onedoor.ParseUSCC("uscc", code, false)
		if err != nil || got.Legacy || got.Code != code || got.Region != code[2:8] {
			t.Fatalf("generated %s: %+v, %v", code, got, err)
		}

		pos := r.IntN(17)
		d := alphabet[(strings.IndexByte(alphabet, first17[pos])+1+r.IntN(30))%31]
		typo := first17[:pos] + string(d) + first17[pos+1:]
		if onedoor.USCCCheckChar(typo) == c {
			t.Fatalf("typo %s of %s has the same check character %c", typo, first17, c)
		}
	}
}

func FuzzParseUSCC(f *testing.F) {
	for _, s := range []string{
		"91350100M000100Y43", "91350100m000100y43", "91350100M000100Y44", "91350100M000100Y56",
		"", "91350100M000I00Y43", "913501A0M000100Y43", "5232010077AB11CD6H", "91350100Ｍ000100Y43",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, allowLegacy bool) {
		got, err := onedoor.ParseUSCC("uscc", s, allowLegacy)
		if err != nil {
			if onedoor.ErrorCode(err) != onedoor.EINVALID || onedoor.ErrorField(err) != "uscc" {
				t.Fatalf("error %#v is not a field error about uscc", err)
			}
			return
		}
		c := got.Code
		if len(c) != 18 || c != strings.ToUpper(strings.TrimSpace(s)) {
			t.Fatalf("Code %q from input %q", c, s)
		}
		if got.Authority != c[0] || got.Kind != c[1] || got.Region != c[2:8] {
			t.Fatalf("parts of %q: %+v", c, got)
		}
		if got.Legacy && !allowLegacy {
			t.Fatalf("legacy %q returned without the flag", c)
		}
		checks := onedoor.USCCCheckChar(c[:17]) == c[17] && onedoor.OrgCodeCheckChar(c[8:16]) == c[16]
		if checks == got.Legacy {
			t.Fatalf("%q: check characters hold = %v but Legacy = %v", c, checks, got.Legacy)
		}
		strict, err := onedoor.ParseUSCC("uscc", c, false)
		if (err == nil) != !got.Legacy || (err == nil && strict != got) {
			t.Fatalf("re-parsing %q strictly: %+v, %v", c, strict, err)
		}
	})
}

func TestParsePhone(t *testing.T) {
	valid := []struct{ in, want string }{
		{"13812345678", "13812345678"},
		{" 13812345678 ", "13812345678"},
		{"138-1234-5678", "13812345678"},
		{"138 1234 5678", "13812345678"},
		{"+86 138 1234 5678", "13812345678"},
		{"+86-19912345678", "19912345678"},
		{"+8616612345678", "16612345678"},
	}
	for _, tt := range valid {
		got, err := onedoor.ParsePhone("phone", tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	invalid := []struct{ name, in, want string }{
		{"empty", "", "is required"},
		{"only prefix", "+86 ", "is required"},
		{"10 digits", "1381234567", "has 11 digits; this one has 10"},
		{"12 digits", "138123456789", "has 11 digits; this one has 12"},
		{"0086 prefix", "008613812345678", "this one has 15"},
		{"landline", "01012345678", "starts with 13 to 19; this one starts with 01"},
		{"starts 12", "12812345678", "this one starts with 12"},
		{"letter", "138123a5678", "it contains 'a'"},
		{"plus inside", "138+12345678", "it contains '+'"},
		{"other country", "+85213812345678", "it contains '+'"},
		{"parentheses", "(138)12345678", "it contains '('"},
		{"full-width digits", "１３８１２３４５６７８", "it contains '１'"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := onedoor.ParsePhone("phone", tt.in)
			checkInvalid(t, err, "phone", tt.want)
		})
	}
}
