package main

import (
	"strings"
	"testing"

	"synco/fetch"
)

// TestScrubNote: the fetch side says what the source did, and not more: no
// column scrubbed is not "scrubbed", and the local password is named only when
// a password column was reset.
func TestScrubNote(t *testing.T) {
	for _, c := range []struct {
		d         fetch.Dump
		want, not string
	}{
		{fetch.Dump{Scrub: "on"}, "no column of this database has a rule", "replaced by fakes"},
		{fetch.Dump{Scrub: "on", Scrubbed: []string{"wp_users.user_email=email", "wp_users.user_pass=password"}}, `2 columns replaced by fakes (passwords: "synco")`, "no column"},
		{fetch.Dump{Scrub: "on", Scrubbed: []string{"users.email=email"}}, "1 column replaced by fakes", "synco"},
		{fetch.Dump{Scrub: "off"}, "NOT scrubbed", "fakes"},
		{fetch.Dump{}, "does not say", "fakes"},
	} {
		got := scrubNote(c.d)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("%+v: %q, want %q and not %q", c.d, got, c.want, c.not)
		}
	}
}
