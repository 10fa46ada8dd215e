package manifest_test

import (
	"errors"
	"reflect"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

func TestRemoteStream(t *testing.T) {
	m := sample()
	remote := manifest.Stream{Path: "zz/logo.png", Kind: manifest.KindRemote, Class: chunkstore.ClassFile, Mode: 0o644,
		MTime: 1_790_000_000, Size: 1234, Hash: id("logo"), URL: "https://example.com/_Resources/Persistent/abc/logo.png"}
	m.Streams = append(m.Streams, remote)
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if last := got.Streams[len(got.Streams)-1]; !reflect.DeepEqual(last, remote) {
		t.Errorf("decoded %+v, want %+v", last, remote)
	}
	for name, mutate := range map[string]func(s *manifest.Stream){
		"ftp URL":        func(s *manifest.Stream) { s.URL = "ftp://example.com/x" },
		"relative URL":   func(s *manifest.Stream) { s.URL = "/x" },
		"user info":      func(s *manifest.Stream) { s.URL = "https://u:p@example.com/x" },
		"no URL":         func(s *manifest.Stream) { s.URL = "" },
		"chunks":         func(s *manifest.Stream) { s.Chunks = []manifest.Ref{{ID: id("c1"), Len: 1}} },
		"URL on a file":  func(s *manifest.Stream) { s.Kind = manifest.KindFile; s.Size = 0 },
		"too long a URL": func(s *manifest.Stream) { s.URL = "https://example.com/" + string(make([]byte, manifest.MaxURL)) },
	} {
		bad := sample()
		r := remote
		mutate(&r)
		bad.Streams = append(bad.Streams, r)
		if _, err := bad.Encode(); !errors.Is(err, manifest.ErrFormat) {
			t.Errorf("%s: Encode = %v, want ErrFormat", name, err)
		}
	}
}
