package manifest_test

import (
	"bytes"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/zeebo/blake3"

	"synco/manifest"
)

const b32chars = "abcdefghijklmnopqrstuvwxyz234567"

func sampleToken() manifest.Token {
	tok := manifest.Token{URL: "https://example.com:8443/p/ab3dxk2q7vmwz5", ReadKey: readKey, SignPub: signPub}
	for i := range tok.PubID {
		tok.PubID[i] = 0x60 + byte(i)
	}
	return tok
}

// pinnedToken is sampleToken with a certificate pin: bytes 0x80…0x9f.
func pinnedToken() manifest.Token {
	tok := sampleToken()
	tok.CertPin = make([]byte, manifest.PinSize)
	for i := range tok.CertPin {
		tok.CertPin[i] = 0x80 + byte(i)
	}
	return tok
}

func TestTokenRoundTrip(t *testing.T) {
	for _, tok := range []manifest.Token{
		sampleToken(),
		pinnedToken(),
		{URL: "", SignPub: signPub},
		{URL: strings.Repeat("u", 300), ReadKey: [32]byte{0xff}, SignPub: signPub},
	} {
		s := tok.String()
		if !strings.HasPrefix(s, "synco1") || strings.Trim(s[6:], b32chars) != "" {
			t.Fatalf("token %q has characters outside [a-z2-7]", s)
		}
		for _, in := range []string{s, strings.ToUpper(s), " \t" + s + "\r\n", s[:20] + "\n" + s[20:] + "\n"} {
			got, err := manifest.ParseToken(in)
			if err != nil {
				t.Fatalf("ParseToken: %v", err)
			}
			if !reflect.DeepEqual(got, tok) {
				t.Fatal("parsed token differs")
			}
		}
	}
}

func TestTokenMistyped(t *testing.T) {
	for _, tok := range []manifest.Token{sampleToken(), pinnedToken()} {
		testMistyped(t, tok)
	}
}

func testMistyped(t *testing.T, tok manifest.Token) {
	s := tok.String()
	mistyped := func(in string) {
		t.Helper()
		_, err := manifest.ParseToken(in)
		if !errors.Is(err, manifest.ErrTokenMistyped) {
			t.Fatalf("ParseToken(%q) error %v, want ErrTokenMistyped", in, err)
		}
		noSecrets(t, err.Error(), tok)
	}
	for i := range len(s) {
		for _, c := range b32chars + "0189" {
			if byte(c) != s[i] {
				mistyped(s[:i] + string(c) + s[i+1:])
			}
		}
	}
	for n := range len(s) {
		mistyped(s[:n])
	}
	for i := range len(s) - 1 {
		if s[i] != s[i+1] {
			mistyped(s[:i] + s[i+1:i+2] + s[i:i+1] + s[i+2:]) // transposition
		}
	}
	mistyped(s + "a")
	mistyped(s + "aaaaaaaa")
	mistyped(s[:40] + "-" + s[40:])
	mistyped(s[:40] + "é" + s[40:])
	mistyped("https://example.com/")
}

func TestTokenVersion(t *testing.T) {
	// A well-formed token of a future version: head "synco2", version byte 2, valid
	// checksum. The payload layout after the version byte is unknown to this reader.
	body := []byte{2, 0xde, 0xad}
	sum := blake3.Sum256(append([]byte("synco2"), body...))
	enc := base32.NewEncoding(b32chars).WithPadding(base32.NoPadding)
	s := "synco2" + enc.EncodeToString(append(body, sum[:4]...))
	if _, err := manifest.ParseToken(s); !errors.Is(err, manifest.ErrTokenVersion) {
		t.Fatalf("ParseToken error %v, want ErrTokenVersion", err)
	}
}

// TestTokenPayloadVersion: head "synco1" with payload version 3 (no pin) or 4 (pin)
// and a valid checksum. Another version byte is ErrTokenVersion — also 1 and 2, the
// tokens of earlier releases that did not bind the publication ID; a payload whose
// length does not fit its version (a pin too many or too few) is ErrTokenMistyped.
func TestTokenPayloadVersion(t *testing.T) {
	tok := sampleToken()
	plain := []byte{3, byte(len(tok.URL))}
	plain = append(append(append(append(plain, tok.URL...), tok.ReadKey[:]...), tok.SignPub...), tok.PubID[:]...)
	old := []byte{1, byte(len(tok.URL))}
	old = append(append(append(old, tok.URL...), tok.ReadKey[:]...), tok.SignPub...)
	enc := base32.NewEncoding(b32chars).WithPadding(base32.NoPadding)
	text := func(body []byte) string {
		sum := blake3.Sum256(append([]byte("synco1"), body...))
		return "synco1" + enc.EncodeToString(append(body, sum[:4]...))
	}
	pin := bytes.Repeat([]byte{0x77}, manifest.PinSize)
	with := func(version byte, tail []byte) string {
		body := append([]byte{version}, plain[1:]...)
		return text(append(body, tail...))
	}
	for _, c := range []struct {
		name    string
		in      string
		want    error
		wantPin []byte
	}{
		{"version 3", with(3, nil), nil, nil},
		{"version 4 with pin", with(4, pin), nil, pin},
		{"version 4 without pin", with(4, nil), manifest.ErrTokenMistyped, nil},
		{"version 3 with pin", with(3, pin), manifest.ErrTokenMistyped, nil},
		{"version 4 with half a pin", with(4, pin[:16]), manifest.ErrTokenMistyped, nil},
		{"version 3 without publication ID", text(append([]byte{3}, old[1:]...)), manifest.ErrTokenMistyped, nil},
		{"version 1 (unbound, earlier release)", text(old), manifest.ErrTokenVersion, nil},
		{"version 2 (unbound, earlier release)", text(append(append([]byte{2}, old[1:]...), pin...)), manifest.ErrTokenVersion, nil},
		{"version 5", with(5, pin), manifest.ErrTokenVersion, nil},
		{"version 0", with(0, nil), manifest.ErrTokenVersion, nil},
	} {
		got, err := manifest.ParseToken(c.in)
		if !errors.Is(err, c.want) || (c.want != nil) != (err != nil) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
			continue
		}
		if err == nil && (got.URL != tok.URL || !bytes.Equal(got.SignPub, tok.SignPub) || got.PubID != tok.PubID || !bytes.Equal(got.CertPin, c.wantPin)) {
			t.Errorf("%s: parsed wrongly", c.name)
		}
	}
}

func TestTokenPinPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("String accepted a 16-byte pin")
		}
	}()
	tok := sampleToken()
	tok.CertPin = make([]byte, 16)
	_ = tok.String()
}

func TestTokenRedacted(t *testing.T) {
	tok := sampleToken()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("fetch", "token", tok, "ptr", &tok)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("fetch", "token", tok)
	outs := []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", tok, tok, tok, tok, tok, tok, tok, tok),
		fmt.Sprintf("%v %+v %#v", &tok, &tok, &tok),
		fmt.Sprintf("%+v %#v", struct{ T manifest.Token }{tok}, struct{ T manifest.Token }{tok}),
		fmt.Sprintf("%v", []manifest.Token{tok}),
		logged.String(),
	}
	for _, out := range outs {
		if !strings.Contains(out, "redacted") {
			t.Errorf("output %q is not redacted", out)
		}
		noSecrets(t, out, tok)
	}
}

// noSecrets fails if out contains the token text, its URL or its read key.
func noSecrets(t *testing.T, out string, tok manifest.Token) {
	t.Helper()
	s := tok.String()
	for _, secret := range []string{s[6:22], s[len(s)-16:], tok.URL, hex.EncodeToString(tok.ReadKey[:8]), fmt.Sprint(tok.ReadKey[:8])} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
			t.Fatalf("output %q contains secret %q", out, secret)
		}
	}
}
