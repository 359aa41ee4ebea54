// Package pii keeps personal identifiers — identity numbers and phone
// numbers — out of plain text. Values are sealed with AES-256-GCM for storage
// and found again through a blind index: a keyed hash of the normalised value
// that can be compared in SQL without revealing it. Logs and pages show only
// the masked forms.
package pii

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Kinds of value. The kind is bound into every sealed value and index, so an
// identity number sealed as KindID cannot be opened as a phone number, and
// equal strings of different kinds have unrelated indexes.
const (
	KindID    = "id"
	KindPhone = "phone"
)

// version prefixes the text forms so that keys or algorithms can change
// later without guessing what old values are.
const version = "v1"

// b64 is the encoding of keys and sealed values. Strict refuses non-canonical
// encodings, so each value has exactly one text form.
var b64 = base64.StdEncoding.Strict()

// Keys are the two secrets of the package: Enc encrypts, Index keys the
// blind index. They are independent so that an index key shared with a
// reporting database does not expose the encryption key.
type Keys struct {
	Enc   [32]byte
	Index [32]byte
}

// GenerateKeys returns new random keys.
func GenerateKeys() (Keys, error) {
	var k Keys
	// crypto/rand.Read never fails on supported systems; the error is kept
	// in the signature so that callers need not change if that ever does.
	if _, err := rand.Read(k.Enc[:]); err != nil {
		return Keys{}, fmt.Errorf("pii: generate keys: %w", err)
	}
	if _, err := rand.Read(k.Index[:]); err != nil {
		return Keys{}, fmt.Errorf("pii: generate keys: %w", err)
	}
	return k, nil
}

// check reports keys that must not be used: unset or equal.
func (k Keys) check() error {
	var zero [32]byte
	switch {
	case k.Enc == zero:
		return errors.New("pii: keys: the encryption key is all zeros (not set)")
	case k.Index == zero:
		return errors.New("pii: keys: the index key is all zeros (not set)")
	case k.Enc == k.Index:
		return errors.New("pii: keys: the encryption and index keys are equal; they must be independent")
	}
	return nil
}

// MarshalText returns the one-line form "v1:<base64 Enc>:<base64 Index>"
// for a secrets file.
func (k Keys) MarshalText() ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return []byte(version + ":" + b64.EncodeToString(k.Enc[:]) + ":" + b64.EncodeToString(k.Index[:])), nil
}

// UnmarshalText reads the form written by MarshalText. Surrounding white
// space, such as the newline at the end of a secrets file, is ignored.
func (k *Keys) UnmarshalText(text []byte) error {
	parts := strings.Split(string(bytes.TrimSpace(text)), ":")
	if len(parts) != 3 {
		return errors.New(`pii: keys: want the form "v1:<base64 encryption key>:<base64 index key>"`)
	}
	if parts[0] != version {
		return fmt.Errorf("pii: keys: unknown version %q; want %q", parts[0], version)
	}
	var nk Keys
	for i, dst := range []*[32]byte{&nk.Enc, &nk.Index} {
		name := [...]string{"encryption", "index"}[i]
		b, err := b64.DecodeString(parts[i+1])
		if err != nil {
			return fmt.Errorf("pii: keys: the %s key is not valid base64", name)
		}
		if len(b) != 32 {
			return fmt.Errorf("pii: keys: the %s key has %d bytes; want 32", name, len(b))
		}
		copy(dst[:], b)
	}
	if err := nk.check(); err != nil {
		return err
	}
	*k = nk
	return nil
}

// String hides the keys from fmt verbs and logs.
func (k Keys) String() string { return "pii.Keys{REDACTED}" }

// GoString hides the keys from %#v.
func (k Keys) GoString() string { return k.String() }

// LogValue hides the keys from slog.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Box seals, opens and indexes values. It is safe for concurrent use.
type Box struct {
	aead     cipher.AEAD // AES-256-GCM with random nonces; safe for concurrent use
	indexKey [32]byte
	macs     sync.Pool // of hash.Hash, HMAC-SHA256 keyed with indexKey
}

// NewBox returns a Box for k.
func NewBox(k Keys) (*Box, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k.Enc[:])
	if err != nil {
		return nil, fmt.Errorf("pii: new box: %w", err)
	}
	// The AEAD draws a fresh 96-bit nonce for every Seal and prepends it,
	// which is exactly the nonce|ciphertext layout stored.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("pii: new box: %w", err)
	}
	b := &Box{aead: aead, indexKey: k.Index}
	b.macs.New = func() any { return hmac.New(sha256.New, b.indexKey[:]) }
	return b, nil
}

// String hides the keys in b from fmt verbs and logs.
func (b *Box) String() string { return "pii.Box{REDACTED}" }

// GoString hides the keys in b from %#v.
func (b *Box) GoString() string { return b.String() }

// checkKind refuses kinds that would make "kind\x00value" ambiguous.
func checkKind(kind string) error {
	if kind == "" || strings.IndexByte(kind, 0) >= 0 {
		return fmt.Errorf("pii: kind %q must be non-empty and contain no NUL byte", kind)
	}
	return nil
}

// Seal encrypts plaintext and returns "v1:" + base64(nonce|ciphertext|tag).
// The kind is authenticated as additional data, so the value opens only as
// the same kind. Sealing the same value twice gives different results; use
// Index to find values.
func (b *Box) Seal(kind, plaintext string) (string, error) {
	if err := checkKind(kind); err != nil {
		return "", fmt.Errorf("pii: seal: %w", err)
	}
	ct := b.aead.Seal(nil, nil, []byte(plaintext), []byte(kind))
	out := make([]byte, len(version)+1+b64.EncodedLen(len(ct)))
	copy(out, version+":")
	b64.Encode(out[len(version)+1:], ct)
	return string(out), nil
}

// Open decrypts a value made by Seal with the same kind. It fails if the
// value is malformed, was altered, was sealed under other keys or as another
// kind; the last three cannot be told apart, by design of GCM.
func (b *Box) Open(kind, sealed string) (string, error) {
	if err := checkKind(kind); err != nil {
		return "", fmt.Errorf("pii: open: %w", err)
	}
	rest, ok := strings.CutPrefix(sealed, version+":")
	if !ok {
		return "", errors.New(`pii: open: the sealed value does not start with "v1:"`)
	}
	ct, err := b64.DecodeString(rest)
	if err != nil {
		return "", errors.New("pii: open: the sealed value is not valid base64")
	}
	if len(ct) < b.aead.Overhead() {
		return "", fmt.Errorf("pii: open: the sealed value is %d bytes, shorter than the %d of nonce and tag", len(ct), b.aead.Overhead())
	}
	pt, err := b.aead.Open(nil, nil, ct, []byte(kind))
	if err != nil {
		return "", fmt.Errorf("pii: open: authentication failed: the value was altered, sealed under other keys, or sealed as a kind other than %q", kind)
	}
	return string(pt), nil
}

// Index returns the blind index of a normalised value: the hex HMAC-SHA256,
// under the index key, of kind, a NUL byte and the value. It is
// deterministic, so equal values of one kind have equal indexes. Callers must
// normalise first (ParseIDNumber, ParsePhone), or equal values written
// differently will not match.
//
// Index panics if kind is empty or contains a NUL byte: kinds are constants
// in the program, so that is a programming error.
func (b *Box) Index(kind, normalised string) string {
	if err := checkKind(kind); err != nil {
		panic(err)
	}
	msg := make([]byte, 0, len(kind)+1+len(normalised))
	msg = append(append(append(msg, kind...), 0), normalised...)
	mac := b.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(msg)
	var sum [sha256.Size]byte
	out := hex.EncodeToString(mac.Sum(sum[:0]))
	b.macs.Put(mac)
	return out
}

// MaskID shows the first 4 and last 4 characters of an identity number,
// "4406**********123X"; a value of 8 characters or fewer, which would be
// shown whole, is masked entirely.
func MaskID(id string) string {
	return mask(strings.TrimSpace(id), 4, 4)
}

// MaskPhone shows the first 3 and last 4 digits of a phone number,
// "138****5678"; a value of 7 characters or fewer is masked entirely.
func MaskPhone(p string) string {
	return mask(strings.TrimSpace(p), 3, 4)
}

// mask keeps head and tail runes of s and stars the rest, or stars all of s
// if at least one rune would not be hidden.
func mask(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		return strings.Repeat("*", len(r))
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}

// MaskName shows only the first character of a name. Names in Chinese (or
// another CJK script) keep their length: 张三 → 张*, 欧阳修 → 欧**. Other
// names get a fixed "***", which hides their length: Alice → A***. A name of
// one character still gets a star, so no name is shown whole.
func MaskName(n string) string {
	n = strings.TrimSpace(n)
	first, size := utf8.DecodeRuneInString(n)
	if size == 0 {
		return ""
	}
	if !isCJK(first) {
		return string(first) + "***"
	}
	rest := max(utf8.RuneCountInString(n[size:]), 1)
	return string(first) + strings.Repeat("*", rest)
}

// isCJK reports whether r is written in a script whose names are counted
// in characters.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}
