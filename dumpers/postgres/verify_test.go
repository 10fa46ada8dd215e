package postgres_test

import (
	"bytes"
	"testing"

	"synco/dumpers"
	"synco/dumpers/postgres"
)

// What a delta that reads a locally changed table's rows from the target
// builds on: a database installed from a dump dumps back, data stream for data
// stream, byte for byte as the source did (the delta tests' values and
// Pagila's).
func TestInstalledDumpsAsInstalled(t *testing.T) {
	src, _ := deltaSource(t)
	for _, s := range []*postgres.Config{src, loadPagila(t, false)} {
		target, _ := installed(t, s)
		a := dump(t, s, dumpers.Options{})
		b := dump(t, target, dumpers.Options{})
		n := 0
		for name, v := range a.Streams {
			if _, ok := dumpers.TableOf(name); !ok {
				continue
			}
			n++
			if !bytes.Equal(v, b.Streams[name]) {
				t.Errorf("%s: %s of the installed copy differs: %d bytes, %d at the source", s.Database, name, len(b.Streams[name]), len(v))
			}
		}
		if n < 3 {
			t.Errorf("%s: %d data streams", s.Database, n)
		}
	}
}
