package manifest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"synco/dumpers"
	"synco/manifest"
)

// TestDumpStreamNames: the layout's names of a dump's streams are the ones the
// dumpers write.
func TestDumpStreamNames(t *testing.T) {
	if manifest.DumpSchemaStream != dumpers.SchemaStream || manifest.DumpPostStream != dumpers.PostStream {
		t.Errorf("layout names %q, %q; dumpers write %q, %q", manifest.DumpSchemaStream, manifest.DumpPostStream, dumpers.SchemaStream, dumpers.PostStream)
	}
}

// TestDumpMarker pins the marker's bytes (SPEC.md, "Publication layout").
func TestDumpMarker(t *testing.T) {
	b := manifest.DumpMarkerJSON(manifest.DumpMarkerInfo{Engine: "mysql"})
	if string(b) != `{"engine":"mysql","format":1}`+"\n" {
		t.Errorf("marker %q", b)
	}
	if m, err := manifest.ParseDumpMarker(b); err != nil || m.Engine != "mysql" || m.Scrub != "" {
		t.Errorf("parse: %+v, %v", m, err)
	}
	scrubbed := manifest.DumpMarkerJSON(manifest.DumpMarkerInfo{Engine: "postgres", Scrub: "on", Scrubbed: []string{"users.email=email"}})
	if m, err := manifest.ParseDumpMarker(scrubbed); err != nil || m.Scrub != "on" || len(m.Scrubbed) != 1 {
		t.Errorf("parse scrubbed: %+v, %v", m, err)
	}
	if m, err := manifest.ParseDumpMarker([]byte(`{"engine":"mysql","format":1,"scrub":"\u001b[2J"}`)); err != nil || m.Scrub != "" {
		t.Errorf("parse an unknown scrub state: %+v, %v", m, err)
	}
	// What the copy lacks is the source's text: a reader keeps MaxLacks
	// entries of at most MaxLackLen bytes (and a whole last rune).
	var lacks []string
	for range manifest.MaxLacks + 5 {
		lacks = append(lacks, strings.Repeat("ü", manifest.MaxLackLen))
	}
	m, err := manifest.ParseDumpMarker(manifest.DumpMarkerJSON(manifest.DumpMarkerInfo{Engine: "postgres", Lacks: lacks}))
	if err != nil || len(m.Lacks) != manifest.MaxLacks {
		t.Fatalf("parse lacks: %d entries, %v", len(m.Lacks), err)
	}
	for _, l := range m.Lacks {
		if len(l) > manifest.MaxLackLen+len("…") || !utf8.ValidString(l) || !strings.HasSuffix(l, "…") {
			t.Fatalf("a lack of %d bytes kept as %d: %q…", len(lacks[0]), len(l), l[:20])
		}
	}
	for _, bad := range []string{``, `{}`, `{"engine":"mysql","format":2}`, `{"engine":"","format":1}`, `[1]`} {
		if _, err := manifest.ParseDumpMarker([]byte(bad)); !errors.Is(err, manifest.ErrDumpFormat) {
			t.Errorf("parse %q: %v", bad, err)
		}
	}
	for _, c := range []struct {
		s      manifest.Stream
		prefix string
	}{
		{manifest.Stream{Path: "db/dump.json", Kind: manifest.KindDump}, "db"},
		{manifest.Stream{Path: "a/b/dump.json", Kind: manifest.KindDump}, "a/b"},
		{manifest.Stream{Path: "db/dump.json", Kind: manifest.KindFile}, ""},
		{manifest.Stream{Path: "dump.json", Kind: manifest.KindDump}, ""},
		{manifest.Stream{Path: "db/schema.sql", Kind: manifest.KindDump}, ""},
	} {
		if p, ok := manifest.IsDumpMarker(c.s); p != c.prefix || ok != (c.prefix != "") {
			t.Errorf("IsDumpMarker(%s kind %d) = %q, %v", c.s.Path, c.s.Kind, p, ok)
		}
	}
}

func TestSortDumpStreams(t *testing.T) {
	var parts []manifest.Stream
	for _, p := range []string{"db/post.sql", "db/data/b.sql", "db/schema.sql", "db/data/a.sql", "db/data/post.sql"} {
		parts = append(parts, manifest.Stream{Path: p})
	}
	manifest.SortDumpStreams("db", parts)
	var got []string
	for _, s := range parts {
		got = append(got, s.Path)
	}
	want := []string{"db/schema.sql", "db/data/a.sql", "db/data/b.sql", "db/data/post.sql", "db/post.sql"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestReserved(t *testing.T) {
	for p, want := range map[string]bool{".synco": true, ".synco/zstd-dict-00": true, ".syncox": false, "a/.synco": false} {
		if manifest.IsReserved(p) != want {
			t.Errorf("IsReserved(%q) = %v", p, !want)
		}
	}
	if id, ok := manifest.DictStreamID(".synco/zstd-dict-0123"); !ok || id != "0123" {
		t.Errorf("DictStreamID: %q %v", id, ok)
	}
	if manifest.PackObject("abc") != "p/abc" || manifest.RootObject != "root" {
		t.Error("object names")
	}
}
