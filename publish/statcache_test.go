package publish

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

func TestStatCache(t *testing.T) {
	refs := make([]manifest.Ref, 3000) // more than a piece of the writer
	for i := range refs {
		refs[i] = manifest.Ref{ID: chunkstore.ID{byte(i), byte(i >> 8)}, Len: uint32(i * 1000)}
	}
	m := map[string]statEntry{
		"db\x00/srv/dump.sql": {Class: chunkstore.ClassDB, Size: 1 << 40, MTime: -5, CTime: 7, Ino: 1 << 60, Dev: 3, Hash: chunkstore.ID{9}, Refs: refs, Path: "dump.sql", Publication: 4},
		"files\x00a/b":        {Class: chunkstore.ClassFile, Refs: []manifest.Ref{}, Path: "files/a/b"},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "files.cache")
	var buf bytes.Buffer
	if err := writeStatCache(&buf, m); err != nil {
		t.Fatal(err)
	}
	read := func(b []byte) (map[string]statEntry, error) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return readStatCache(f)
	}
	got, err := read(buf.Bytes())
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip: %v, equal %v", err, reflect.DeepEqual(got, m))
	}
	b := buf.Bytes()
	for _, bad := range [][]byte{b[:len(b)-1], b[:len(b)-33], append(bytes.Clone(b[:100]), b[101:]...), append(bytes.Clone(b), 0)} {
		if _, err := read(bad); err == nil {
			t.Errorf("a damaged cache of %d bytes read", len(bad))
		}
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 1
	if _, err := read(flipped); err == nil {
		t.Error("a cache with a flipped bit read")
	}
	old, _ := json.Marshal(m) // an earlier release's cache
	if got, err := read(old); err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("JSON cache: %v, equal %v", err, reflect.DeepEqual(got, m))
	}
}
