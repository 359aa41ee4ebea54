package onedoor

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// IDNumber is a validated resident identity number (GB 11643-1999).
type IDNumber struct {
	Number string    // the 18 characters, check character upper-case
	Region string    // the 6-digit address code (GB/T 2260)
	Birth  time.Time // the birth date, at midnight UTC
	Male   bool      // the 17th digit is odd
}

// idWeights are the ISO 7064 MOD 11-2 weights 2^(17-i) mod 11 for the first
// 17 characters of an identity number.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// provinces holds the first two digits of every province-level address code
// in GB/T 2260, including Taiwan (71), Hong Kong (81) and Macao (82).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}

// earliestBirth is the earliest birth date accepted; older dates are far
// more likely to be typing mistakes than living residents.
var earliestBirth = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)

// IDCheckChar returns the check character ('0'–'9' or 'X') for the first 17
// digits of an identity number, or 0 if first17 is not exactly 17 ASCII
// digits. It is exported so that synthetic test data can be made valid.
func IDCheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11]
}

// ParseIDNumber validates s as an identity number, judging the birth date
// against the current time. See ParseIDNumberAt.
func ParseIDNumber(field, s string) (IDNumber, error) {
	return ParseIDNumberAt(field, s, time.Now())
}

// ParseIDNumberAt validates s as an 18-character identity number as if the
// current time were now. Surrounding spaces are ignored and a lower-case
// check character x is accepted as X. The birth date must be a real calendar
// date between 1900-01-01 and now's calendar date (in now's location, so a
// clerk's "today" is what counts). Errors are EINVALID *Error values about
// field whose message names the reason.
func ParseIDNumberAt(field, s string, now time.Time) (IDNumber, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return IDNumber{}, FieldErrorf(field, "An identity number is required.")
	}
	if n := utf8.RuneCountInString(s); n != 18 {
		return IDNumber{}, FieldErrorf(field, "An identity number has 18 characters; this one has %d.", n)
	}
	// Every rune is counted above; a multi-byte rune makes len(s) > 18 and is
	// reported below as a non-digit at its rune position.
	for i, r := range []rune(s) {
		switch {
		case r >= '0' && r <= '9':
		case i == 17 && (r == 'X' || r == 'x'):
		case i == 17:
			return IDNumber{}, FieldErrorf(field, "The last character of an identity number must be a digit or X; it is %q.", r)
		default:
			return IDNumber{}, FieldErrorf(field, "The first 17 characters of an identity number must be digits; character %d is %q.", i+1, r)
		}
	}
	s = strings.ToUpper(s) // only the check character can be a letter

	if !provinces[s[:2]] {
		return IDNumber{}, FieldErrorf(field, "The identity number starts with %s, which is not a province code; check the first two digits.", s[:2])
	}

	date := s[6:14]
	y, m, d := atoi(date[:4]), atoi(date[4:6]), atoi(date[6:])
	birth := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || birth.Day() != d {
		return IDNumber{}, FieldErrorf(field, "The birth date in the identity number, %s, is not a real calendar date.", formatYMD(date))
	}
	ny, nm, nd := now.Date()
	if birth.After(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) {
		return IDNumber{}, FieldErrorf(field, "The birth date in the identity number, %s, is in the future.", formatYMD(date))
	}
	if birth.Before(earliestBirth) {
		return IDNumber{}, FieldErrorf(field, "The birth date in the identity number, %s, is before 1900-01-01.", formatYMD(date))
	}

	if want := IDCheckChar(s[:17]); s[17] != want {
		return IDNumber{}, FieldErrorf(field, "The check character is %c, expected %c; the number has probably been mistyped.", s[17], want)
	}

	return IDNumber{
		Number: s,
		Region: s[:6],
		Birth:  birth,
		Male:   (s[16]-'0')%2 == 1,
	}, nil
}

// AgeAt returns the age in completed years on t's calendar date (in t's
// location). A person born on 29 February becomes a year older on 1 March in
// common years. AgeAt returns 0 for dates before the birth date.
func (n IDNumber) AgeAt(t time.Time) int {
	ty, tm, td := t.Date()
	by, bm, bd := n.Birth.Date()
	age := ty - by
	if tm < bm || (tm == bm && td < bd) {
		age--
	}
	return max(age, 0)
}

// atoi converts a string of ASCII digits, already checked, to an int.
func atoi(s string) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// formatYMD writes YYYYMMDD as YYYY-MM-DD for messages.
func formatYMD(s string) string {
	return s[:4] + "-" + s[4:6] + "-" + s[6:]
}

// USCC is a unified social credit code (GB 32100-2015).
type USCC struct {
	Code      string // the 18 characters, upper-case
	Authority byte   // registration authority code, 1st character
	Kind      byte   // organisation kind within that authority, 2nd character
	Region    string // the registering authority's address code, characters 3–8
	Legacy    bool   // a check character failed and the code was accepted as legacy
}

// usccAlphabet lists the characters of a USCC in order of their value 0–30;
// I, O, Z, S and V are left out as too easily confused.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^i mod 31 for the first 17 characters.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights for the first 8 characters of an
// organisation code.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// usccValue returns the value of c in the USCC alphabet, or -1.
func usccValue(c byte) int {
	return strings.IndexByte(usccAlphabet, c)
}

// USCCCheckChar returns the 18th (check) character of a unified social credit
// code for its first 17 characters, or 0 if first17 is not exactly 17
// characters of the USCC alphabet (upper-case).
func USCCCheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		v := usccValue(first17[i])
		if v < 0 {
			return 0
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// OrgCodeCheckChar returns the 9th (check) character of a GB 11714
// organisation code for its first 8 characters (digits or upper-case letters),
// or 0 if first8 is not of that form. Characters 9–17 of a USCC are an
// organisation code, so synthetic USCCs need this to be valid.
func OrgCodeCheckChar(first8 string) byte {
	if len(first8) != 8 {
		return 0
	}
	sum := 0
	for i := range 8 {
		var v int
		switch c := first8[i]; {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10 // GB 11714 values letters A–Z as 10–35
		default:
			return 0
		}
		sum += v * orgWeights[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + r)
	}
}

// ParseUSCC validates s as an 18-character unified social credit code.
// Surrounding spaces are ignored and letters are upper-cased. The code's own
// check character (18th) and that of the organisation code inside it
// (characters 9–17) must both hold, unless allowLegacy is set: then a code
// with the right structure but a failing check character is returned with
// Legacy set, because some codes issued early do not satisfy the checks and
// a clerk who has seen the certificate may accept them explicitly.
func ParseUSCC(field, s string, allowLegacy bool) (USCC, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return USCC{}, FieldErrorf(field, "A unified social credit code is required.")
	}
	if n := utf8.RuneCountInString(s); n != 18 {
		return USCC{}, FieldErrorf(field, "A unified social credit code has 18 characters; this one has %d.", n)
	}
	for i, r := range []rune(s) {
		if r >= utf8.RuneSelf || usccValue(byte(r)) < 0 {
			return USCC{}, FieldErrorf(field, "Character %d of the unified social credit code, %q, is not allowed; only digits and capital letters other than I, O, S, V and Z are used.", i+1, r)
		}
	}
	for i := 2; i < 8; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return USCC{}, FieldErrorf(field, "Characters 3 to 8 of a unified social credit code are a region code of digits; character %d is %q.", i+1, c)
		}
	}

	u := USCC{Code: s, Authority: s[0], Kind: s[1], Region: s[2:8]}
	legacyHint := Text{
		Zh: "如证照上确实是此代码，可能是校验规则实施前的早期代码；窗口人员核验证照原件后，可勾选“代码未通过校验但已核验证照原件（旧版代码）”受理。",
		En: "If the certificate really shows this code, it may be an early code that predates the check; a clerk can accept it as a legacy code with the explicit legacy option.",
	}
	if want := USCCCheckChar(s[:17]); s[17] != want {
		if !allowLegacy {
			return USCC{}, FieldErrorf(field, "The check character is %c, expected %c; the code has probably been mistyped. %s", s[17], want, legacyHint)
		}
		u.Legacy = true
	}
	if want := OrgCodeCheckChar(s[8:16]); s[16] != want {
		if !allowLegacy {
			return USCC{}, FieldErrorf(field, "The organisation code inside the unified social credit code (characters 9 to 17) has check character %c, expected %c. %s", s[16], want, legacyHint)
		}
		u.Legacy = true
	}
	return u, nil
}

// ParsePhone validates s as a mainland mobile number and returns its 11
// digits. Spaces and dashes are ignored, as is a leading +86.
func ParsePhone(field, s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(s, "+86")
	if s == "" {
		return "", FieldErrorf(field, "A mobile number is required.")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", FieldErrorf(field, "A mobile number may contain only digits, spaces, dashes and a leading +86; it contains %q.", r)
		}
	}
	if len(s) != 11 {
		return "", FieldErrorf(field, "A mobile number has 11 digits; this one has %d.", len(s))
	}
	if s[0] != '1' || s[1] < '3' {
		return "", FieldErrorf(field, "A mobile number starts with 13 to 19; this one starts with %s.", s[:2])
	}
	return s, nil
}
