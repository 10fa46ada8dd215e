package chunkstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// PruneStats says what Prune did.
type PruneStats struct {
	Dropped  int   // packs deleted
	Moved    int   // live chunks copied out of mostly dead packs
	Freed    int64 // bytes of pack files deleted
	Remained int   // committed packs left
}

// Prune keeps the store from growing with history: it deletes every committed pack
// that holds no chunk live reports as live, and copies the live chunks out of packs
// that are a quarter or more dead into new packs, then deletes those too. Dense
// packs keep a cold fetch to few range requests: on the bench's day 2 (29 % of the
// chunks changed, scattered) a threshold of ½ left 543 requests for a cold fetch,
// ¾ leaves 48 — for copying ≈70 MB of sealed chunks on the source, no re-sealing. Dead chunks leave the index. Prune commits before and after; the index is
// written before any pack file is deleted, so a crash leaves only files the next
// OpenPackStore removes.
//
// Prune must not run concurrently with other calls on the store, and a pack it
// deletes must not be served any more: call it between building a publication's
// content and listing its packs. Moving a chunk changes its Loc, not its ID, so a
// destination that cached it does not fetch it again.
func (p *PackStore) Prune(ctx context.Context, live func(ID) bool) (PruneStats, error) {
	var st PruneStats
	if err := p.Commit(); err != nil {
		return st, err
	}
	type packUse struct{ live, total int64 }
	p.mu.Lock()
	use := make([]packUse, p.committed)
	var moveIDs []ID
	for e := range p.index.all {
		u := &use[e.pack]
		u.total += int64(e.len)
		if live(e.id) {
			u.live += int64(e.len)
		}
	}
	victim := make([]bool, len(p.packs))
	for n, u := range use {
		victim[n] = u.live*4 < u.total*3
	}
	for e := range p.index.all {
		if victim[e.pack] && live(e.id) {
			moveIDs = append(moveIDs, e.id)
		}
	}
	// Copy in on-disk order, so chunks that were neighbours stay neighbours.
	slices.SortFunc(moveIDs, func(a, b ID) int {
		ea, _ := p.index.get(a)
		eb, _ := p.index.get(b)
		if ea.pack != eb.pack {
			return int(ea.pack) - int(eb.pack)
		}
		return int(ea.off) - int(eb.off)
	})
	p.mu.Unlock()

	for _, id := range moveIDs {
		sealed, err := p.get(ctx, id)
		if err != nil {
			return st, fmt.Errorf("prune pack store: move chunk %s: %w", id, err)
		}
		p.mu.Lock()
		p.index.del(id)
		p.mu.Unlock()
		if _, err := p.put(ctx, id, sealed, laneMain); err != nil {
			return st, fmt.Errorf("prune pack store: move chunk %s: %w", id, err)
		}
		st.Moved++
	}

	p.mu.Lock()
	var doomed []string
	renum := make([]uint32, len(p.packs))
	var packs []string
	for n, name := range p.packs {
		if n < len(victim) && victim[n] {
			doomed = append(doomed, name)
			delete(p.byName, name)
			continue
		}
		renum[n] = uint32(len(packs))
		p.byName[name] = renum[n]
		packs = append(packs, name)
	}
	var dead []ID
	for e := range p.index.all {
		if int(e.pack) < len(victim) && victim[e.pack] {
			dead = append(dead, e.id) // dead: its live chunks were moved above
		}
	}
	for _, id := range dead {
		p.index.del(id)
	}
	for i := range p.index.n {
		if e := p.index.at(i); e.pack != deadPack {
			e.pack = renum[e.pack]
		}
	}
	for _, c := range p.cur {
		if c != nil {
			c.num = renum[c.num]
		}
	}
	p.committed -= len(doomed)
	p.packs = packs
	p.dirty = p.dirty || len(doomed) > 0
	st.Remained = p.committed
	p.mu.Unlock()

	if err := p.Commit(); err != nil {
		return st, err
	}
	for _, name := range doomed {
		path := filepath.Join(p.packDir, name)
		if fi, err := os.Stat(path); err == nil {
			st.Freed += fi.Size()
		}
		if err := os.Remove(path); err != nil {
			return st, fmt.Errorf("prune pack store: %w", err)
		}
		st.Dropped++
	}
	st.Remained = len(p.packs)
	return st, nil
}
