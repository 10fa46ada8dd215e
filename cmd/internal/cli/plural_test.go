package cli

import (
	"strings"
	"testing"

	"synco/dumpers/scrub"
)

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "file", "0 files"},
		{1, "file", "1 file"},
		{2, "file", "2 files"},
		{1, "entry", "1 entry"},
		{3, "entry", "3 entries"},
		{2, "key", "2 keys"},
		{2, "new chunk", "2 new chunks"},
	} {
		if got := Plural(c.n, c.noun); got != c.want {
			t.Errorf("Plural(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
	if got := Plural(int64(1), "pack"); got != "1 pack" {
		t.Errorf("Plural(int64(1)) = %q", got)
	}
}

// One column that looks personal is said in the singular (it said "1 columns
// look personal").
func TestScrubWarningsPlural(t *testing.T) {
	var b strings.Builder
	writeWarnings(&b, "synco-lite: ", []scrub.Warning{{Table: "wp_leads", Column: "phone", Why: "phone number"}})
	if want := "synco-lite: warning: 1 column looks personal but has no scrub rule ("; !strings.HasPrefix(b.String(), want) {
		t.Errorf("one warning:\n%s\nwant it to start with %q", b.String(), want)
	}
	b.Reset()
	w := scrub.Warning{Table: "t", Column: "email", Why: "e-mail address"}
	writeWarnings(&b, "synco-lite: ", []scrub.Warning{w, w})
	if want := "synco-lite: warning: 2 columns look personal but have no scrub rule ("; !strings.HasPrefix(b.String(), want) {
		t.Errorf("two warnings:\n%s\nwant it to start with %q", b.String(), want)
	}
}

// The rules of a key-value table's value column count as one column (a
// WordPress publish said "scrubbed 24 columns" for 5 and 19 meta_key rules).
func TestScrubbedColumns(t *testing.T) {
	rules := []string{"wp_users.user_email=email", "wp_users.user_pass=password",
		"wp_usermeta.meta_value[meta_key=billing_email]=email", "wp_usermeta.meta_value[meta_key=billing_phone]=phone",
		"wp_postmeta.meta_value[meta_key=_billing_*]=text"}
	if n := ScrubbedColumns(rules); n != 4 {
		t.Errorf("ScrubbedColumns = %d, want 4", n)
	}
}
