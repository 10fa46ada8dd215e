package postgres_test

import (
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/scrub"
)

// TestScrubCopyRows: rows leave the dumper scrubbed, with the COPY escapes of the
// fields no rule touches kept byte for byte, and NULL kept.
func TestScrubCopyRows(t *testing.T) {
	cfg := newDB(t, "scrub")
	c := dbConn(t, cfg)
	for _, q := range []string{
		`CREATE TABLE users (id int PRIMARY KEY, email varchar(255), ip inet, notes text, doc jsonb)`,
		`INSERT INTO users VALUES (1, 'Anna.Secret@corp.example', '192.0.2.77', E'tab\there\\back\nline', '{"mail": "anna.secret@corp.example", "n": 1}'),
			(2, NULL, NULL, NULL, NULL), (3, E'odd\\\\mail@x.example', '2a00:1450::1', '', '[]')`,
	} {
		if _, err := c.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	plain := string(dump(t, cfg, dumpers.Options{}).Concat())
	specs := []scrub.Spec{}
	for _, s := range []string{"users.email=email", "users.ip=ip", "users.doc=email"} {
		sp, err := scrub.ParseSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, sp)
	}
	rules := scrub.New([32]byte{7}, "", specs)
	out := string(dump(t, cfg, dumpers.Options{Scrub: rules}).Concat())
	for _, secret := range []string{"Secret@corp", "secret@corp", "192.0.2.77", "2a00:1450", "odd"} {
		if strings.Contains(out, secret) {
			t.Errorf("scrubbed dump holds %q:\n%s", secret, out)
		}
	}
	for _, kept := range []string{`tab\there\\back\nline`, "2\t\\N\t\\N\t\\N\t\\N\n"} {
		if !strings.Contains(out, kept) || !strings.Contains(plain, kept) {
			t.Errorf("dump lost %q:\n%s", kept, out)
		}
	}
	if got := rules.Scrubbed(); len(got) != 3 {
		t.Errorf("Scrubbed() = %q", got)
	}
}
