package install

import (
	"strings"
	"testing"

	"synco/dumpers/dumperstest"
)

// A source whose siteurl is its home URL cannot be rewritten to a local
// siteurl of its own (one FROM, two TOs): home's wins, and a note says so
// (the plan promised the local siteurl, and the note said nothing).
func TestSourcePairsOneURLForBoth(t *testing.T) {
	src := dumperstest.NewMem()
	src.Streams["data/wp_options.sql"] = []byte("INSERT INTO `wp_options` (`option_id`,`option_name`,`option_value`) VALUES (1,'home','https://www.example.com'),(2,'siteurl','https://www.example.com');\n")
	rw := &Rewrite{options: "wp_options", local: map[string]string{"home": "http://example.test", "siteurl": "http://example.test/wp"}, from: "wp-config.php (WP_HOME, WP_SITEURL)"}
	var notes []string
	pairs, err := rw.sourcePairs(t.Context(), "mysql", src, func(s string) { notes = append(notes, s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1 || pairs[0].From != "https://www.example.com" || pairs[0].To != "http://example.test" {
		t.Errorf("pairs %v", pairs)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "the source's siteurl is its home (https://www.example.com): rewritten to http://example.test like it, not to the local siteurl http://example.test/wp (wp-config.php still sets it for WordPress)") {
		t.Errorf("notes %q", notes)
	}
}
