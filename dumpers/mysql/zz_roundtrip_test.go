package mysql_test

import (
	"bytes"
	"testing"

	"synco/dumpers"
)

func TestZZDumpRoundTripBytes(t *testing.T) {
	src, _ := deltaSource(t)
	sak := loadSakila(t, server(t))
	for _, s := range []string{src, sak} {
		target, _ := installed(t, s)
		a := dump(t, s, dumpers.Options{})
		b := dump(t, target, dumpers.Options{})
		for n, v := range a.Streams {
			if !bytes.Equal(v, b.Streams[n]) {
				t.Errorf("%s: %s differs: %d vs %d bytes", s, n, len(v), len(b.Streams[n]))
			}
		}
		t.Logf("%s: %d streams", s, len(a.Streams))
	}
}
