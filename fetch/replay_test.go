package fetch_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synco/chunkstore"
	"synco/fetch"
	"synco/manifest"
	"synco/publish"
)

// twoDays publishes a secret on day 1 and its deletion on day 2 from one store and
// serves both publications; it returns the day-1 and day-2 tokens and the address
// that serves day 1's objects under day 2's path (a host replaying old objects).
func twoDays(t *testing.T) (day1, day2, replayed manifest.Token, st *publish.State) {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"keep.txt": []byte("public\n"), "secret.txt": []byte("deleted on day 2\n")})
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	build := func() *publish.Publication {
		pub, err := publish.NewPublication(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := publish.Build(t.Context(), pub, publish.Inputs{FileSets: []publish.FileSet{{Name: "f", Dir: dir}}}, 2, nil); err != nil {
			t.Fatal(err)
		}
		return pub
	}
	pub1 := build()
	if err := os.Remove(filepath.Join(dir, "secret.txt")); err != nil {
		t.Fatal(err)
	}
	pub2 := build()
	day1, _ = serve(t, st, pub1)
	day2, _ = serve(t, st, pub2)
	// The host answers day 2's URL with day 1's root (valid: same keys).
	replayed = day2
	replayed.URL = day1.URL
	return day1, day2, replayed, st
}

func fetchInto(t *testing.T, tok manifest.Token, cacheDir string) (string, error) {
	t.Helper()
	cache, err := chunkstore.OpenCache(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	to := t.TempDir()
	_, err = fetch.Run(t.Context(), fetch.Options{Token: tok, To: to, Cache: cache, Parallel: 2})
	return to, err
}

// TestRootOfAnotherPublicationRefused: day 2's token, day 1's objects: refused as
// not this publication, nothing written.
func TestRootOfAnotherPublicationRefused(t *testing.T) {
	_, _, replayed, _ := twoDays(t)
	to, err := fetchInto(t, replayed, t.TempDir())
	if !errors.Is(err, manifest.ErrRootAuth) {
		t.Fatalf("fetch of replayed root: %v, want ErrRootAuth", err)
	}
	if _, err := os.Stat(filepath.Join(to, "f", "secret.txt")); err == nil {
		t.Error("the deleted secret came back")
	}
}

// TestOlderPublicationRefused: after day 2 was fetched, day 1's token (an old
// command from the shell history, or a host replaying it) is refused.
func TestOlderPublicationRefused(t *testing.T) {
	day1, day2, _, _ := twoDays(t)
	cache := t.TempDir()
	to, err := fetchInto(t, day2, cache)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(to, "f", "secret.txt")); err == nil {
		t.Fatal("day 2 has the deleted file")
	}
	if _, err := fetchInto(t, day2, cache); err != nil {
		t.Fatalf("the same publication again: %v", err)
	}
	if _, err := fetchInto(t, day1, cache); !errors.Is(err, fetch.ErrReplay) {
		t.Fatalf("older publication after a newer one: %v, want ErrReplay", err)
	}
}

// TestRotatedKeys: after State.Rotate an old token reads nothing of a new
// publication, and the new token reads it in full.
func TestRotatedKeys(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"a.txt": []byte(strings.Repeat("rotated\n", 1000))})
	st, pub := publishInputs(t, t.TempDir(), publish.Inputs{FileSets: []publish.FileSet{{Name: "f", Dir: dir}}})
	defer st.Close()
	old, _ := serve(t, st, pub)
	if err := st.Rotate(); err != nil {
		t.Fatal(err)
	}
	pub2, err := publish.NewPublication(st)
	if err != nil {
		t.Fatal(err)
	}
	res, err := publish.Build(t.Context(), pub2, publish.Inputs{FileSets: []publish.FileSet{{Name: "f", Dir: dir}}}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused != 0 || int64(res.Chunks) > res.NewChunks {
		t.Errorf("after rotation %d files reused, %d of %d chunks new: want everything sealed anew", res.Reused, res.NewChunks, res.Chunks)
	}
	tok, _ := serve(t, st, pub2)
	stale := old
	stale.URL, stale.PubID = tok.URL, tok.PubID // even knowing the new URL and ID
	if _, err := fetchInto(t, stale, t.TempDir()); !errors.Is(err, manifest.ErrRootAuth) {
		t.Fatalf("old keys on the rotated store: %v, want ErrRootAuth", err)
	}
	if tok.ReadKey == old.ReadKey {
		t.Fatal("read key unchanged by Rotate")
	}
	if _, err := fetchInto(t, tok, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
