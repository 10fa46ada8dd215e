package install

import (
	"testing"

	"synco/dumpers/rewrite"
)

// The line after an install says "1 value", not "1 values".
func TestRewriteDoneSingular(t *testing.T) {
	p := rewrite.Pair{From: "https://www.example.com", To: "http://example.test"}
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{"see https://www.example.com/a"}, "rewrote https://www.example.com → http://example.test in 1 value of the database"},
		{[]string{"https://www.example.com/a", "https://www.example.com/b"}, "rewrote https://www.example.com → http://example.test in 2 values of the database"},
		{nil, "rewrote https://www.example.com → http://example.test in 0 values of the database"},
	} {
		r, err := rewrite.New(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range c.values {
			if _, ok := r.Value([]byte(v)); !ok {
				t.Fatalf("%q not rewritten", v)
			}
		}
		rw := &Rewrite{applied: r.Pairs()}
		if got := rw.done(r); got != c.want {
			t.Errorf("done after %d values:\n got %q\nwant %q", len(c.values), got, c.want)
		}
	}
}
