package publish

import (
	"testing"

	"synco/chunkstore"
)

func TestAligner(t *testing.T) {
	id := func(c byte) chunkstore.ID { return chunkstore.ID{c} }
	a := newAligner([]chunkstore.ID{id('a'), id('b'), id('c'), id('d'), id('e')})
	// New version: b edited (B), d and e replaced by three chunks, one appended.
	for _, step := range []struct {
		chunk, base byte // base 0: none
	}{
		{'a', 0}, {'B', 'b'}, {'c', 0}, {'D', 'd'}, {'E', 'e'}, {'X', 0}, {'a', 0}, {'Y', 'b'},
	} {
		got, ok := a.base(id(step.chunk))
		if want := step.base != 0; ok != want || (ok && got != id(step.base)) {
			t.Errorf("chunk %c: base %c, %v; want %c", step.chunk, got[0], ok, step.base)
		}
	}
}
