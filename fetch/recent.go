package fetch

import (
	"sync"

	"synco/chunkstore"
)

// recentBytes bounds the plaintexts a recent keeps.
const recentBytes = 8 << 20

// recent keeps the plaintexts of the chunks read from the cache last. A delta
// install reads a table's old and new snapshot side by side (each through a
// pipe, so neither runs more than a chunk ahead of the diff), and most of
// their chunks are the same: each is then read and opened once, not twice. On
// the 470 MB bench's day 2, re-reading both snapshots was 65 % of the fetch's
// CPU (bench/RESULTS.md). The plaintexts were verified when opened; callers
// must not change them. Safe for concurrent use.
type recent struct {
	mu    sync.Mutex
	at    map[chunkstore.ID]int // slot in ring
	ring  []recentChunk         // oldest at head
	head  int
	bytes int
}

type recentChunk struct {
	id    chunkstore.ID
	plain []byte
}

// get returns the plaintext of id if it was kept.
func (r *recent) get(id chunkstore.ID) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.at[id]
	if !ok {
		return nil, false
	}
	return r.ring[i].plain, true
}

// add keeps plain as id's plaintext, dropping the oldest ones beyond recentBytes.
func (r *recent) add(id chunkstore.ID, plain []byte) {
	if len(plain) > recentBytes/4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.at == nil {
		r.at = map[chunkstore.ID]int{}
	}
	if _, ok := r.at[id]; ok {
		return
	}
	for r.bytes+len(plain) > recentBytes && r.head < len(r.ring) {
		old := &r.ring[r.head]
		delete(r.at, old.id)
		r.bytes -= len(old.plain)
		*old = recentChunk{}
		r.head++
	}
	if r.head > len(r.ring)/2 { // compact: the ring's live part to the front
		n := copy(r.ring, r.ring[r.head:])
		clear(r.ring[n:])
		r.ring = r.ring[:n]
		r.head = 0
		for i, c := range r.ring {
			r.at[c.id] = i
		}
	}
	r.at[id] = len(r.ring)
	r.ring = append(r.ring, recentChunk{id, plain})
	r.bytes += len(plain)
}
