package install_test

import (
	"slices"
	"testing"

	"synco/install"
)

func TestTablesUnmatched(t *testing.T) {
	published := []string{"posts", "users", "public.wp_options"}
	sel := install.Tables{
		Include: []string{"posts", "nosuch*", "Posts", "wp_*", "public.wp_options", "u?ers"},
		Exclude: []string{"users", "cache_*"},
	}
	inc, exc := sel.Unmatched(published)
	if want := []string{"nosuch*", "Posts"}; !slices.Equal(inc, want) {
		t.Errorf("unmatched --tables %q, want %q", inc, want)
	}
	if want := []string{"cache_*"}; !slices.Equal(exc, want) {
		t.Errorf("unmatched --exclude-tables %q, want %q", exc, want)
	}
	if inc, exc := (install.Tables{}).Unmatched(published); inc != nil || exc != nil {
		t.Errorf("no selection: %q, %q", inc, exc)
	}
	if inc, _ := (install.Tables{Include: []string{"posts"}}).Unmatched(nil); !slices.Equal(inc, []string{"posts"}) {
		t.Errorf("no published tables: %q", inc)
	}
}

func TestFoldMatches(t *testing.T) {
	published := []string{"posts", "Users", "wp_posts"}
	for glob, want := range map[string][]string{
		"Posts":   {"posts"},
		"users":   {"Users"},
		"WP_*":    {"wp_posts"},
		"*POSTS":  {"posts", "wp_posts"},
		"nothing": nil,
	} {
		if got := install.FoldMatches(glob, published); !slices.Equal(got, want) {
			t.Errorf("FoldMatches(%q) = %q, want %q", glob, got, want)
		}
	}
}
