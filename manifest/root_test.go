package manifest_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"strings"
	"testing"

	"synco/manifest"
)

// Fixed keys of the test vectors.
var (
	readKey  = [32]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
	signPriv = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x5e}, ed25519.SeedSize))
	signPub  = signPriv.Public().(ed25519.PublicKey)
	nonce    = [24]byte{0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57}
)

// sampleRoot is a Ready root whose manifest chunks use both Loc forms.
func sampleRoot() *manifest.Root {
	return &manifest.Root{
		PubID:   [16]byte{0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xaf},
		State:   manifest.StateReady,
		Phase:   "ready",
		Done:    123456789,
		Total:   123456789,
		Created: 1_790_000_000_123_456_789,
		Manifest: []manifest.Loc{
			{ID: id("m1"), Len: 40000, Pack: "00ff", Off: 4096, SealedLen: 9000},
			{ID: id("m2"), Len: 50000, Pack: "00ff", Off: 13096, SealedLen: 11000},
			{ID: id("m3"), Len: 123, Pack: "00ff", Off: 0, SealedLen: 160},
			{ID: id("m4"), Len: 7, Pack: "1234567890abcdefghijklmnopqrstuvwxyz", Off: 1 << 40, SealedLen: 40},
		},
		ManifestSize: 90130,
		ManifestHash: id("manifest"),
	}
}

func TestRootRoundTrip(t *testing.T) {
	for name, r := range map[string]*manifest.Root{
		"ready":        sampleRoot(),
		"created":      {State: manifest.StateCreated, Created: -1},
		"initializing": {State: manifest.StateInitializing, Phase: "database", Done: 1 << 33, Total: 1 << 34},
		"failed":       {State: manifest.StateFailed, Reason: strings.Repeat("\xff", 1024), Phase: strings.Repeat("p", 128)},
		"finished packs": {State: manifest.StateInitializing, Phase: "reading", Done: 9 << 20, Finished: []manifest.FinishedPack{
			{Name: "00ff", Size: 8 << 20}, {Name: strings.Repeat("z", 64), Size: 1},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := r.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := manifest.DecodeRoot(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Fatalf("decoded root differs:\n got %+v\nwant %+v", got, r)
			}
			for n := range len(b) {
				if _, err := manifest.DecodeRoot(b[:n]); !errors.Is(err, manifest.ErrFormat) {
					t.Fatalf("DecodeRoot of %d/%d bytes: error %v, want ErrFormat", n, len(b), err)
				}
			}
			if _, err := manifest.DecodeRoot(append(b, 0)); !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("DecodeRoot with a trailing byte: error %v, want ErrFormat", err)
			}
		})
	}
}

func TestRootInvalid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *manifest.Root)
	}{
		{"state 0", func(r *manifest.Root) { r.State = 0 }},
		{"state 5", func(r *manifest.Root) { r.State = 5 }},
		{"reason too long", func(r *manifest.Root) { r.Reason = strings.Repeat("x", 1025) }},
		{"phase too long", func(r *manifest.Root) { r.Phase = strings.Repeat("x", 129) }},
		{"manifest while initializing", func(r *manifest.Root) { r.State = manifest.StateInitializing }},
		{"hash while failed", func(r *manifest.Root) { *r = manifest.Root{State: manifest.StateFailed, ManifestHash: id("x")} }},
		{"ready without manifest", func(r *manifest.Root) { r.Manifest, r.ManifestSize = nil, 0 }},
		{"size mismatch", func(r *manifest.Root) { r.ManifestSize++ }},
		{"bad pack name", func(r *manifest.Root) { r.Manifest[1].Pack = "a-b" }},
		{"sealed length 0", func(r *manifest.Root) { r.Manifest[1].SealedLen = 0 }},
		{"finished packs when ready", func(r *manifest.Root) { r.Finished = []manifest.FinishedPack{{Name: "ab", Size: 1}} }},
		{"finished pack size 0", func(r *manifest.Root) {
			*r = manifest.Root{State: manifest.StateInitializing, Finished: []manifest.FinishedPack{{Name: "ab"}}}
		}},
		{"finished pack name", func(r *manifest.Root) {
			*r = manifest.Root{State: manifest.StateInitializing, Finished: []manifest.FinishedPack{{Name: "A", Size: 1}}}
		}},
		{"too many finished packs", func(r *manifest.Root) {
			*r = manifest.Root{State: manifest.StateInitializing, Finished: make([]manifest.FinishedPack, manifest.MaxFinished+1)}
			for i := range r.Finished {
				r.Finished[i] = manifest.FinishedPack{Name: "ab", Size: 1}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleRoot()
			tc.change(r)
			if _, err := r.Encode(); !errors.Is(err, manifest.ErrFormat) {
				t.Fatalf("Encode error %v, want ErrFormat", err)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[manifest.State]string{
		manifest.StateCreated: "created", manifest.StateInitializing: "initializing",
		manifest.StateReady: "ready", manifest.StateFailed: "failed", 9: "state(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}

func TestSealRoot(t *testing.T) {
	r := sampleRoot()
	sealed, err := manifest.SealRoot(r, readKey, signPriv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.OpenRoot(sealed, readKey, signPub)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("opened root differs:\n got %+v\nwant %+v", got, r)
	}
	again, _ := manifest.SealRoot(r, readKey, signPriv)
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals are identical: nonce not random")
	}

	authFails := func(t *testing.T, b []byte, key [32]byte, pub ed25519.PublicKey) error {
		t.Helper()
		_, err := manifest.OpenRoot(b, key, pub)
		if !errors.Is(err, manifest.ErrRootAuth) {
			t.Fatalf("OpenRoot error %v, want ErrRootAuth", err)
		}
		return err
	}
	t.Run("every byte flipped", func(t *testing.T) {
		for i := range sealed {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				b := bytes.Clone(sealed)
				b[i] ^= x
				authFails(t, b, readKey, signPub)
			}
		}
	})
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(sealed) {
			authFails(t, sealed[:n], readKey, signPub)
		}
		authFails(t, append(bytes.Clone(sealed), 0), readKey, signPub)
	})
	t.Run("wrong read key", func(t *testing.T) {
		k := readKey
		k[31] ^= 1
		authFails(t, sealed, k, signPub)
	})
	t.Run("wrong public key", func(t *testing.T) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey)
		authFails(t, sealed, readKey, other)
		authFails(t, sealed, readKey, signPub[:31])
		authFails(t, sealed, readKey, nil)
	})
	t.Run("signed by another key", func(t *testing.T) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
		b, err := manifest.SealRoot(r, readKey, other)
		if err != nil {
			t.Fatal(err)
		}
		authFails(t, b, readKey, signPub)
	})
	t.Run("other version", func(t *testing.T) {
		b := bytes.Clone(sealed)
		b[0] = 2
		if err := authFails(t, b, readKey, signPub); !errors.Is(err, manifest.ErrVersion) {
			t.Fatalf("OpenRoot error %v, want also ErrVersion", err)
		}
	})
	t.Run("invalid root", func(t *testing.T) {
		if _, err := manifest.SealRoot(&manifest.Root{}, readKey, signPriv); !errors.Is(err, manifest.ErrFormat) {
			t.Fatalf("SealRoot error %v, want ErrFormat", err)
		}
		if _, err := manifest.SealRoot(r, readKey, signPriv[:10]); err == nil {
			t.Fatal("SealRoot accepted a short signing key")
		}
	})
}
