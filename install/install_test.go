package install_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"synco/dumpers"
	"synco/dumpers/rewrite"
	"synco/fetch"
	"synco/frameworks"
	"synco/install"
)

func TestTables(t *testing.T) {
	tests := []struct {
		sel     install.Tables
		partial bool
		pub     map[string]bool
	}{
		{install.Tables{}, false, map[string]bool{"wp_posts": true, "cache": true}},
		{install.Tables{Include: []string{"wp_post*"}}, true, map[string]bool{"wp_posts": true, "wp_postmeta": true, "wp_users": false}},
		{install.Tables{Exclude: []string{"cache_*"}}, true, map[string]bool{"cache_pages": false, "cache": true, "users": true}},
		{install.Tables{Include: []string{"wp_*"}, Exclude: []string{"wp_users"}}, true, map[string]bool{"wp_posts": true, "wp_users": false, "other": false}},
	}
	for _, tt := range tests {
		if got := tt.sel.Partial(); got != tt.partial {
			t.Errorf("%+v: Partial %v, want %v", tt.sel, got, tt.partial)
		}
		for table, want := range tt.pub {
			if got := tt.sel.Published(table); got != want {
				t.Errorf("%+v: Published(%s) %v, want %v", tt.sel, table, got, want)
			}
		}
	}
}

func TestParseAnswer(t *testing.T) {
	for a, want := range map[string]install.Answer{
		"y": install.Yes, "YES": install.Yes, " yes\n": install.Yes,
		"s": install.Select, "Select": install.Select,
		"": install.No, "n": install.No, "no": install.No, "yess": install.No, "maybe": install.No,
	} {
		if got := install.ParseAnswer(a); got != want {
			t.Errorf("ParseAnswer(%q) = %v, want %v", a, got, want)
		}
	}
	for a, want := range map[string]bool{"": true, "y": true, "n": false, " N ": false, "no": true} {
		if got := install.Included(a); got != want {
			t.Errorf("Included(%q) = %v, want %v", a, got, want)
		}
	}
}

func TestChoose(t *testing.T) {
	sets := []string{"uploads", "cache"}
	tests := []struct {
		name   string
		db     bool
		tables string
		chosen []bool
		want   install.Choice
		ok     bool
	}{
		{"everything", true, "", []bool{true, true}, install.Choice{Sets: sets}, true},
		{"database only", true, "", []bool{false, false}, install.Choice{Only: "db"}, true},
		{"some tables, one set", true, "wp_posts  wp_post*", []bool{true, false}, install.Choice{Sets: []string{"uploads"}, Tables: []string{"wp_posts", "wp_post*"}}, true},
		{"files only", false, "ignored", []bool{false, true}, install.Choice{Only: "files", Sets: []string{"cache"}}, true},
		{"nothing", false, "", []bool{false, false}, install.Choice{}, false},
		{"no sets to ask", true, "", nil, install.Choice{Only: "db"}, true},
	}
	for _, tt := range tests {
		s := sets
		if tt.chosen == nil {
			s = nil
		}
		got, ok := install.Choose(tt.db, tt.tables, s, tt.chosen)
		if ok != tt.ok || got.Only != tt.want.Only || !slices.Equal(got.Sets, tt.want.Sets) || !slices.Equal(got.Tables, tt.want.Tables) {
			t.Errorf("%s: %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFileSets(t *testing.T) {
	root := t.TempDir()
	p := &frameworks.Project{Root: root, FileSets: []frameworks.FileSet{
		{Name: "uploads", Dir: filepath.Join(root, "wp-content", "uploads")},
		{Name: "dotted", Dir: filepath.Join(root, "..data")},
	}}
	all, err := install.FileSets(p, nil)
	if err != nil || len(all) != 2 || all["uploads"] != "wp-content/uploads" || all["dotted"] != "..data" {
		t.Fatalf("all sets: %v, %v", all, err)
	}
	if got := install.SetNames(p, nil); !slices.Equal(got, []string{"uploads", "dotted"}) {
		t.Errorf("SetNames: %v", got)
	}
	some, err := install.FileSets(p, []string{"uploads"})
	if err != nil || len(some) != 1 {
		t.Fatalf("one set: %v, %v", some, err)
	}
	m := install.Map(some)
	if dst, ok := m("uploads"); !ok || dst != "wp-content/uploads" {
		t.Errorf("Map(uploads) = %q, %v", dst, ok)
	}
	if _, ok := m("dump.sql"); ok {
		t.Error("Map takes what is not a selected file set")
	}
	var ue *install.UnknownSetError
	if _, err := install.FileSets(p, []string{"uploads", "nope"}); !errors.As(err, &ue) || ue.Name != "nope" {
		t.Errorf("unknown set: %v", err)
	}
	p.FileSets = append(p.FileSets, frameworks.FileSet{Name: "out", Dir: filepath.Join(root, "..", "elsewhere")})
	if _, err := install.FileSets(p, nil); err == nil {
		t.Error("a file set outside the project was accepted")
	}
}

// memSource is a dumpers.Source in memory.
type memSource map[string]string

func (m memSource) Names() []string {
	var n []string
	for k := range m {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

func (m memSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	s, ok := m[name]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader([]byte(s))), nil
}

func TestOverlay(t *testing.T) {
	remote := memSource{
		"schema.sql":                       "remote schema",
		dumpers.DataStream("posts"):        "remote posts",
		dumpers.DataStream("users"):        "remote users",
		dumpers.DataStream("new_and_kept"): "remote new",
	}
	local := memSource{dumpers.DataStream("users"): "local users", dumpers.DataStream("gone"): "local gone"}
	keep := install.Tables{Exclude: []string{"users", "new_and_kept", "gone"}}
	o := install.Overlay(remote, local, keep.Published)
	want := []string{dumpers.DataStream("posts"), dumpers.DataStream("users"), "schema.sql"}
	if got := o.Names(); !slices.Equal(got, want) {
		t.Errorf("Names: %v, want %v (a kept table new at the source comes without rows; one only local not at all)", got, want)
	}
	for name, want := range map[string]string{"schema.sql": "remote schema", dumpers.DataStream("posts"): "remote posts", dumpers.DataStream("users"): "local users"} {
		rc, err := o.Open(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != want {
			t.Errorf("%s: %q, want %q", name, b, want)
		}
	}
}

func TestRewritePlan(t *testing.T) {
	if got := install.NoRewrite().Plan(); len(got) != 0 {
		t.Errorf("--no-rewrite plans %q", got)
	}
	var none *install.Rewrite
	if got := none.Plan(); got != nil {
		t.Errorf("nil rewrite plans %q", got)
	}
	p, err := rewrite.ParsePair("https://example.com=http://example.test")
	if err != nil {
		t.Fatal(err)
	}
	rw, err := install.NewRewrite([]rewrite.Pair{p})
	if err != nil {
		t.Fatal(err)
	}
	if got := rw.Plan(); len(got) != 1 || got[0] != "rewrite https://example.com → http://example.test in the database" {
		t.Errorf("explicit: %q", got)
	}
	if _, err := install.NewRewrite([]rewrite.Pair{p, {From: "https://example.com", To: "not a url"}}); !errors.Is(err, rewrite.ErrInvalid) {
		t.Errorf("a URL rewritten to a non-URL: %v, want rewrite.ErrInvalid", err)
	}
	wp := &frameworks.Project{Framework: "wordpress", URLs: map[string]string{"home": "http://wp.test", "siteurl": "http://wp.test"}, URLSource: "wp-config.php"}
	auto, _ := install.NewRewrite(nil)
	auto.WordPress(t.Context(), wp)
	if got := auto.Plan(); len(got) != 1 || got[0] != "rewrite the source's WordPress URL (home and siteurl of wp_options in the dump) → http://wp.test (from wp-config.php) in the database" {
		t.Errorf("WordPress: %q", got)
	}
	unknown, _ := install.NewRewrite(nil)
	unknown.WordPress(t.Context(), &frameworks.Project{Framework: "wordpress"})
	if got := unknown.Plan(); len(got) != 1 || got[0] != "leave the database's URLs as published: the local WordPress URL is unknown: define WP_HOME in wp-config.php, or pass --rewrite FROM=TO" {
		t.Errorf("WordPress without a local URL: %q", got)
	}
}

func TestImporterRefuses(t *testing.T) {
	if _, err := install.NewImporter("sqlite://x", install.Tables{}, nil); !errors.Is(err, install.ErrEngine) {
		t.Errorf("sqlite: %v, want ErrEngine", err)
	}
	var de *install.DSNError
	if _, err := install.NewImporter("mysql://root:secret@127.0.0.1:notaport/x", install.Tables{}, nil); !errors.As(err, &de) {
		t.Errorf("bad DSN: %v, want *DSNError", err)
	} else if bytes.Contains([]byte(err.Error()), []byte("secret")) {
		t.Errorf("the DSN error shows the password: %v", err)
	}
	im, err := install.NewImporter("postgres://postgres@127.0.0.1/never_created", install.Tables{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var me *install.EngineMismatchError
	if err := im.Import(t.Context(), fetch.Dump{Engine: "mysql"}, memSource{}); !errors.As(err, &me) || me.Dump != "mysql" || me.Local != "postgres" {
		t.Errorf("a mysql dump into postgres: %v", err)
	}
	if err := im.Import(t.Context(), fetch.Dump{Engine: "postgres"}, memSource{}); !errors.Is(err, install.ErrSeveralDumps) {
		t.Errorf("a second dump: %v, want ErrSeveralDumps", err)
	}
	if n := im.Notes(); len(n) != 0 {
		t.Errorf("notes of refused imports: %+v", n)
	}
}
