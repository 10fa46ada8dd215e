package fetch

import (
	"testing"

	"synco/chunkstore"
)

// A list of chunks is ready once each of them not cached at watch time was
// cached, counting a chunk it has twice, or shares with another list, once.
func TestTracker(t *testing.T) {
	a, b, c := chunkstore.ID{1}, chunkstore.ID{2}, chunkstore.ID{3}
	tr := newTracker(&locTable{ls: []cloc{{id: a}, {id: b}, {id: c}}})
	stream := func(ids ...chunkstore.ID) []chunkstore.ID { return ids }
	isC := func(id chunkstore.ID) bool { return id == c }
	one := tr.watch(stream(a, b, a, c), isC)
	two := tr.watch(stream(b, b), isC)
	three := tr.watch(stream(c), isC)
	ready := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	if ready(one) || ready(two) || !ready(three) {
		t.Fatalf("at start: ready %v %v %v, want false false true", ready(one), ready(two), ready(three))
	}
	tr.cached(b)
	if ready(one) || !ready(two) {
		t.Fatalf("after b: ready %v %v, want false true", ready(one), ready(two))
	}
	tr.cached(a)
	if !ready(one) {
		t.Fatal("after a and b: stream one not ready")
	}
	tr.cached(a) // again (a retried span): no panic on a closed channel
}
