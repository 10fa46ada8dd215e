package manifest_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"synco/manifest"
)

var update = flag.Bool("update", false, "rewrite the test vectors and fuzz seed corpora in testdata")

// TestVectors pins the formats: testdata/manifest.bin is sample(),
// manifest-variants.bin is sampleVariants(), root.bin is sampleRoot(), root.sealed
// is root.bin sealed with readKey, signPriv and nonce, token.txt is
// sampleToken() and token-pinned.txt pinnedToken(). See SPEC.md.
func TestVectors(t *testing.T) {
	mb, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	vb, err := sampleVariants().Encode()
	if err != nil {
		t.Fatal(err)
	}
	rb, err := sampleRoot().Encode()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := manifest.SealRootWithNonce(sampleRoot(), readKey, signPriv, nonce)
	if err != nil {
		t.Fatal(err)
	}
	tok := []byte(sampleToken().String() + "\n")
	pinned := []byte(pinnedToken().String() + "\n")
	vectors := map[string][]byte{
		"manifest.bin": mb, "manifest-variants.bin": vb, "root.bin": rb, "root.sealed": sealed,
		"token.txt": tok, "token-pinned.txt": pinned,
	}
	if *update {
		for name, b := range vectors {
			writeFile(t, filepath.Join("testdata", name), b)
		}
		writeSeeds(t, mb, vb, rb, string(tok), string(pinned))
	}
	for name, want := range vectors {
		got, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s differs from the encoding (run go test -update after an intended format change)", name)
		}
	}

	m, err := manifest.Decode(readFile(t, "manifest.bin"))
	if err != nil || !reflect.DeepEqual(m, sample()) {
		t.Errorf("Decode(manifest.bin) = %+v, %v; want sample()", m, err)
	}
	m, err = manifest.Decode(readFile(t, "manifest-variants.bin"))
	if err != nil || !reflect.DeepEqual(m, sampleVariants()) {
		t.Errorf("Decode(manifest-variants.bin) = %+v, %v; want sampleVariants()", m, err)
	}
	r, err := manifest.DecodeRoot(readFile(t, "root.bin"))
	if err != nil || !reflect.DeepEqual(r, sampleRoot()) {
		t.Errorf("DecodeRoot(root.bin) = %+v, %v; want sampleRoot()", r, err)
	}
	r, err = manifest.OpenRoot(readFile(t, "root.sealed"), readKey, signPub)
	if err != nil || !reflect.DeepEqual(r, sampleRoot()) {
		t.Errorf("OpenRoot(root.sealed) = %+v, %v; want sampleRoot()", r, err)
	}
	k, err := manifest.ParseToken(string(readFile(t, "token.txt")))
	if err != nil || !reflect.DeepEqual(k, sampleToken()) {
		t.Errorf("ParseToken(token.txt) failed or differs: %v", err)
	}
	k, err = manifest.ParseToken(string(readFile(t, "token-pinned.txt")))
	if err != nil || !reflect.DeepEqual(k, pinnedToken()) {
		t.Errorf("ParseToken(token-pinned.txt) failed or differs: %v", err)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeSeeds writes the seed corpora of the fuzz targets.
func writeSeeds(t *testing.T, manifestBin, variantsBin, rootBin []byte, token, pinned string) {
	seed := func(target, name, typ string, v any) {
		writeFile(t, filepath.Join("testdata", "fuzz", target, name), fmt.Appendf(nil, "go test fuzz v1\n%s(%q)\n", typ, v))
	}
	empty, _ := (&manifest.Manifest{}).Encode()
	smallBig, _ := big(2, 5, 3, 7).Encode()
	seed("FuzzDecode", "sample", "[]byte", manifestBin)
	seed("FuzzDecode", "variants", "[]byte", variantsBin)
	seed("FuzzDecode", "empty", "[]byte", empty)
	seed("FuzzDecode", "small", "[]byte", smallBig)
	created, _ := (&manifest.Root{State: manifest.StateCreated, Phase: "files", Done: 1, Total: 2}).Encode()
	seed("FuzzDecodeRoot", "ready", "[]byte", rootBin)
	seed("FuzzDecodeRoot", "created", "[]byte", created)
	seed("FuzzParseToken", "token", "string", token)
	seed("FuzzParseToken", "upper", "string", strings.ToUpper(token))
	seed("FuzzParseToken", "wrapped", "string", "  "+token[:30]+"\n"+token[30:])
	seed("FuzzParseToken", "head", "string", "synco1")
	seed("FuzzParseToken", "pinned", "string", pinned)
}
