package publish

import (
	"math/rand/v2"
	"testing"

	"synco/chunkstore"
)

func TestIDSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randID := func() (id chunkstore.ID) {
		for i := range id {
			id[i] = byte(rng.UintN(256))
		}
		return id
	}
	for _, n := range []int{0, 1, 2, 3, 1000, 4097} {
		in := make([]chunkstore.ID, n)
		for i := range in {
			in[i] = randID()
		}
		if n > 2 {
			in[2] = in[0] // a duplicate
		}
		want := map[chunkstore.ID]bool{}
		for _, id := range in {
			want[id] = true
		}
		s := newIDSet(append([]chunkstore.ID(nil), in...))
		if s.len() != len(want) {
			t.Errorf("n=%d: len %d, want %d", n, s.len(), len(want))
		}
		for id := range want {
			if !s.has(id) {
				t.Fatalf("n=%d: %s missing", n, id)
			}
		}
		for range 1000 {
			if id := randID(); s.has(id) != want[id] {
				t.Fatalf("n=%d: has(%s) = %v", n, id, !want[id])
			}
		}
		edge := [2]chunkstore.ID{}
		for i := range edge[1] {
			edge[1][i] = 0xff
		}
		for _, id := range edge {
			if s.has(id) != want[id] {
				t.Fatalf("n=%d: has(%s) wrong", n, id)
			}
		}
	}
}
