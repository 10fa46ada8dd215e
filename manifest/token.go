package manifest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zeebo/blake3"
)

var (
	// ErrTokenMistyped means a token is damaged: wrong characters, wrong length or a
	// checksum mismatch.
	ErrTokenMistyped = errors.New("manifest: token is mistyped or incomplete")
	// ErrTokenVersion means a well-formed token of another synco version.
	ErrTokenVersion = errors.New("manifest: token is for another synco version")
)

const (
	tokenHead     = "synco1" // "synco" and the version digit
	tokenRedacted = tokenHead + "…(redacted)"
	tokenSumLen   = 4
	tokenBound    = 3  // payload version: URL, keys, publication ID
	tokenPinned   = 4  // payload version: as tokenBound, plus a certificate pin
	PinSize       = 32 // bytes of Token.CertPin: SHA-256
)

var tokenB32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is what the user copies from source to destination: the publication's URL,
// its read key, the public key that signs its root, the ID of the publication (a
// root with another PubID is refused, so a host cannot answer with an older
// publication of the same store), and for a source that serves HTTPS itself with a
// certificate of its own, that certificate's pin.
//
// String returns the token text. Every fmt verb (%v, %+v, %#v, %s, …) and log/slog
// print a redacted form instead, so a token cannot leak into logs by accident; call
// String explicitly to show it.
type Token struct {
	URL     string
	ReadKey [32]byte
	SignPub ed25519.PublicKey
	PubID   [16]byte // Root.PubID of the publication the token was printed for
	// CertPin is nil, or the SHA-256 of the SubjectPublicKeyInfo of the only TLS
	// certificate the destination accepts at URL (which then is https). A token with
	// a pin has payload version 4 (without: 3), so a synco that knows no pins
	// rejects it as a token of another version instead of connecting without one.
	CertPin []byte
}

// String returns the token text: "synco1" followed by lower-case base32 without
// padding of the payload (see SPEC.md). It contains only [a-z2-7] and digits, so it
// is shell safe and a double click selects it whole. String panics if SignPub is not
// ed25519.PublicKeySize bytes or CertPin is neither nil nor PinSize bytes.
func (t Token) String() string {
	if len(t.SignPub) != ed25519.PublicKeySize {
		panic(fmt.Sprintf("manifest: token signing key has %d bytes, want %d", len(t.SignPub), ed25519.PublicKeySize))
	}
	if t.CertPin != nil && len(t.CertPin) != PinSize {
		panic(fmt.Sprintf("manifest: token certificate pin has %d bytes, want %d", len(t.CertPin), PinSize))
	}
	p := make([]byte, 0, 1+binary.MaxVarintLen64+len(t.URL)+len(t.ReadKey)+len(t.SignPub)+len(t.PubID)+len(t.CertPin)+tokenSumLen)
	if t.CertPin != nil {
		p = append(p, tokenPinned)
	} else {
		p = append(p, tokenBound)
	}
	p = binary.AppendUvarint(p, uint64(len(t.URL)))
	p = append(p, t.URL...)
	p = append(p, t.ReadKey[:]...)
	p = append(p, t.SignPub...)
	p = append(p, t.PubID[:]...)
	p = append(p, t.CertPin...)
	p = append(p, tokenSum(tokenHead, p)...)
	return tokenHead + tokenB32.EncodeToString(p)
}

// tokenSum is the checksum of a token: the first 4 bytes of BLAKE3-256 over the
// head ("synco" and version digit) and the payload before the checksum.
func tokenSum(head string, body []byte) []byte {
	h := blake3.New()
	_, _ = h.WriteString(head)
	_, _ = h.Write(body)
	return h.Sum(nil)[:tokenSumLen]
}

// ParseToken parses a token. It ignores whitespace anywhere (a token may be pasted
// with a line break) and letter case. It returns ErrTokenMistyped for any damage
// and ErrTokenVersion for an intact token of another version (also for the payload
// versions 1 and 2 of earlier releases, which did not bind the publication). Errors
// never contain the token.
func ParseToken(s string) (Token, error) {
	mistyped := fmt.Errorf("parse token: %w", ErrTokenMistyped)
	s, ok := compactLower(s)
	if !ok || len(s) <= len(tokenHead) || s[:len(tokenHead)-1] != tokenHead[:len(tokenHead)-1] {
		return Token{}, mistyped
	}
	head, text := s[:len(tokenHead)], s[len(tokenHead):]
	if v := head[len(head)-1]; v < '0' || v > '9' {
		return Token{}, mistyped
	}
	p, err := tokenB32.DecodeString(text)
	if err != nil || len(p) < 1+tokenSumLen || tokenB32.EncodeToString(p) != text {
		return Token{}, mistyped
	}
	body, sum := p[:len(p)-tokenSumLen], p[len(p)-tokenSumLen:]
	if !bytes.Equal(tokenSum(head, body), sum) {
		return Token{}, mistyped
	}
	if head != tokenHead || body[0] != tokenBound && body[0] != tokenPinned {
		return Token{}, fmt.Errorf("parse token: %w", ErrTokenVersion)
	}
	n, k := binary.Uvarint(body[1:])
	if k <= 0 || k != len(binary.AppendUvarint(nil, n)) {
		return Token{}, mistyped
	}
	rest := body[1+k:]
	pin := 0
	if body[0] == tokenPinned {
		pin = PinSize
	}
	if keys := 32 + ed25519.PublicKeySize + 16 + pin; len(rest) < keys || n != uint64(len(rest)-keys) {
		return Token{}, mistyped
	}
	t := Token{URL: string(rest[:n]), SignPub: ed25519.PublicKey(bytes.Clone(rest[n+32 : n+32+ed25519.PublicKeySize]))}
	copy(t.ReadKey[:], rest[n:])
	copy(t.PubID[:], rest[n+32+ed25519.PublicKeySize:])
	if pin > 0 {
		t.CertPin = bytes.Clone(rest[len(rest)-pin:])
	}
	return t, nil
}

// compactLower removes all whitespace from s and lower-cases ASCII letters; it
// reports false if s has other non-ASCII characters.
func compactLower(s string) (string, bool) {
	var b strings.Builder
	for _, f := range strings.Fields(s) {
		for i := 0; i < len(f); i++ {
			c := f[i]
			switch {
			case c >= 0x80:
				return "", false
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// Format prints a redacted form for every verb.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, t.GoString())
		return
	}
	_, _ = io.WriteString(f, tokenRedacted)
}

// GoString returns a redacted form.
func (t Token) GoString() string { return "manifest.Token{" + tokenRedacted + "}" }

// MarshalJSON encodes the redacted form, so that JSON logs (log/slog's JSON handler
// included) and JSON output cannot carry the token by accident. (Not LogValue: that
// would link log/slog into synco-lite for this one method.)
func (t Token) MarshalJSON() ([]byte, error) { return []byte(`"` + tokenRedacted + `"`), nil }
