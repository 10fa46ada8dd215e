package manifest_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"synco/manifest"
)

func FuzzDecode(f *testing.F) {
	for _, m := range []*manifest.Manifest{sample(), sampleVariants()} {
		if b, err := m.Encode(); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := manifest.Decode(b)
		if err != nil {
			if !errors.Is(err, manifest.ErrFormat) && !errors.Is(err, manifest.ErrVersion) {
				t.Fatalf("error %v wraps neither ErrFormat nor ErrVersion", err)
			}
			return
		}
		again, err := m.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded manifest does not re-encode to the input (err %v)", err)
		}
		_ = m.Locate()
	})
}

func FuzzDecodeRoot(f *testing.F) {
	if b, err := sampleRoot().Encode(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := manifest.DecodeRoot(b)
		if err != nil {
			if !errors.Is(err, manifest.ErrFormat) && !errors.Is(err, manifest.ErrVersion) {
				t.Fatalf("error %v wraps neither ErrFormat nor ErrVersion", err)
			}
			return
		}
		again, err := r.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded root does not re-encode to the input (err %v)", err)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add(sampleToken().String())
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := manifest.ParseToken(s)
		if err != nil {
			if !errors.Is(err, manifest.ErrTokenMistyped) && !errors.Is(err, manifest.ErrTokenVersion) {
				t.Fatalf("unexpected error %v", err)
			}
			if len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q contains the input", err)
			}
			return
		}
		text := tok.String()
		if norm := strings.ToLower(strings.Join(strings.Fields(s), "")); norm != text {
			t.Fatalf("accepted %q, canonical form is %q", norm, text)
		}
		again, err := manifest.ParseToken(text)
		if err != nil || !reflect.DeepEqual(again, tok) {
			t.Fatalf("token does not round-trip (err %v)", err)
		}
	})
}
