package chunkstore

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIDTable runs random adds, replacements and deletions against a map,
// with IDs that share their first bytes (long probe runs that wrap around the
// table) and random ones.
func TestIDTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, clustered := range []bool{false, true} {
		var tb idTable
		want := map[ID]entry{}
		var ids []ID
		newID := func() ID {
			var id ID
			for i := range id {
				id[i] = byte(rng.UintN(256))
			}
			if clustered { // homes crowd the last slots: runs wrap to the first
				binary.LittleEndian.PutUint64(id[:8], ^uint64(rng.UintN(64)))
			}
			return id
		}
		steps := 60_000
		if clustered {
			steps = 6_000
		}
		for step := range steps {
			switch op := rng.UintN(10); {
			case op < 6 || len(ids) == 0:
				id := newID()
				e := entry{pack: uint32(step), off: uint32(rng.UintN(1 << 20)), len: 1}
				tb.set(id, e)
				want[id] = e
				ids = append(ids, id)
			case op < 7:
				id := ids[rng.IntN(len(ids))]
				e := entry{pack: uint32(step), off: 7, len: 2}
				tb.set(id, e)
				want[id] = e
			default:
				k := rng.IntN(len(ids))
				tb.del(ids[k])
				delete(want, ids[k])
				ids = slices.Delete(ids, k, k+1)
			}
			if step%1000 == 0 || step == steps-1 {
				check(t, &tb, want)
			}
		}
	}
}

func check(t *testing.T, tb *idTable, want map[ID]entry) {
	t.Helper()
	if tb.len() != len(want) {
		t.Fatalf("len %d, want %d", tb.len(), len(want))
	}
	for id, e := range want {
		if got, ok := tb.get(id); !ok || got != e {
			t.Fatalf("get %s = %v %v, want %v", id, got, ok, e)
		}
	}
	n := 0
	for e := range tb.all {
		if want[e.id] != e.entry {
			t.Fatalf("all: %s %v, want %v", e.id, e.entry, want[e.id])
		}
		n++
	}
	order := tb.byLocation()
	if n != len(want) || len(order) != n {
		t.Fatalf("all yields %d, byLocation %d, want %d", n, len(order), len(want))
	}
	for k := 1; k < len(order); k++ {
		a, b := tb.at(order[k-1]), tb.at(order[k])
		if a.pack > b.pack || a.pack == b.pack && a.off > b.off {
			t.Fatalf("byLocation out of order at %d", k)
		}
	}
	var missing ID
	missing[0] = 1
	if _, ok := tb.get(missing); ok && want[missing] == (entry{}) {
		t.Fatal("found an ID never added")
	}
}
