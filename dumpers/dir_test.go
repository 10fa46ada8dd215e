package dumpers_test

import (
	"io"
	"testing"

	"synco/dumpers"
)

func TestTableOfInvertsDataStream(t *testing.T) {
	for _, table := range []string{"film", "public.film", "t 2", "we/ird `name` ü", ".hidden", "100%", "a%2Fb"} {
		got, ok := dumpers.TableOf(dumpers.DataStream(table))
		if !ok || got != table {
			t.Errorf("TableOf(DataStream(%q)) = %q, %v", table, got, ok)
		}
	}
	for _, bad := range []string{"schema.sql", "post.sql", "data/.sql", "data/a/b.sql", "data/x.txt", "data/%4.sql", "data/%zz.sql"} {
		if table, ok := dumpers.TableOf(bad); ok {
			t.Errorf("TableOf(%q) = %q, want not a data stream", bad, table)
		}
	}
}

func TestMatchTable(t *testing.T) {
	tests := []struct {
		globs []string
		table string
		want  bool
	}{
		{[]string{"cache_*"}, "cache_items", true},
		{[]string{"cache_*"}, "public.cache_items", true},
		{[]string{"public.cache_*"}, "public.cache_items", true},
		{[]string{"other.cache_*"}, "public.cache_items", false},
		{[]string{"posts"}, "wp_posts", false},
		{nil, "x", false},
	}
	for _, tt := range tests {
		if got := dumpers.MatchTable(tt.globs, tt.table); got != tt.want {
			t.Errorf("MatchTable(%v, %q) = %v, want %v", tt.globs, tt.table, got, tt.want)
		}
	}
}

func TestDirSinkSource(t *testing.T) {
	d := &dumpers.Dir{Root: t.TempDir()}
	for _, name := range []string{dumpers.SchemaStream, dumpers.DataStream("t")} {
		w, err := d.Create(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "x "+name)
		w.Close()
	}
	if _, err := d.Create(t.Context(), "../escape"); err == nil {
		t.Error("Create accepted ../escape")
	}
	again := &dumpers.Dir{Root: d.Root}
	if names := again.Names(); len(names) != 2 || names[0] != dumpers.DataStream("t") {
		t.Fatalf("Names of a written dir: %v", names)
	}
	r, err := again.Open(t.Context(), dumpers.SchemaStream)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "x "+dumpers.SchemaStream {
		t.Errorf("read back %q", b)
	}
}

func TestWhereFor(t *testing.T) {
	where := map[string]string{
		"wp_options":            "exact",
		"wp_[1-9]_options":      "site",
		"wp_[1-9][0-9]_options": "site2",
		"public.users":          "qualified",
		"*_log":                 "log",
	}
	for table, want := range map[string]string{
		"wp_options":       "exact",
		"wp_2_options":     "site",
		"wp_12_options":    "site2",
		"wp_2_foo_options": "",
		"public.users":     "qualified",
		"users":            "",
		"app.users":        "",
		"public.audit_log": "log",
		"wp_posts":         "",
	} {
		if got := dumpers.WhereFor(where, table); got != want {
			t.Errorf("WhereFor(%q) = %q, want %q", table, got, want)
		}
	}
}
