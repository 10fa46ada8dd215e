package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/httpsrv"
	"synco/manifest"
)

// Coalescing: neighbouring missing chunks of a pack are fetched with one range request
// when the gap between them is at most maxGap bytes (the gap is downloaded and thrown
// away) and the request stays below maxSpan bytes.
const (
	maxGap  = 4 << 10
	maxSpan = 8 << 20
)

// errProgress ends a round of retries that made progress, so that a flaky link
// which keeps delivering is not given up on.
var errProgress = errors.New("fetch: progress made")

// span is one range request: chunks of one pack in offset order.
type span struct {
	pack   string
	chunks []manifest.Loc
}

func (s span) off() int64 { return int64(s.chunks[0].Off) }
func (s span) end() int64 {
	l := s.chunks[len(s.chunks)-1]
	return int64(l.Off) + int64(l.SealedLen)
}

// plan groups the chunks into coalesced range requests.
func planSpans(locs []manifest.Loc) []span {
	byPack := map[string][]manifest.Loc{}
	var packs []string // in order of first need: what is needed first is fetched first
	for _, l := range locs {
		if byPack[l.Pack] == nil {
			packs = append(packs, l.Pack)
		}
		byPack[l.Pack] = append(byPack[l.Pack], l)
	}
	var spans []span
	for _, p := range packs {
		ls := byPack[p]
		sort.Slice(ls, func(i, j int) bool { return ls[i].Off < ls[j].Off })
		cur := span{pack: p}
		for _, l := range ls {
			if len(cur.chunks) > 0 {
				gap := int64(l.Off) - cur.end()
				if gap < 0 || gap > maxGap || int64(l.Off)+int64(l.SealedLen)-cur.off() > maxSpan {
					spans = append(spans, cur)
					cur = span{pack: p}
				}
			}
			cur.chunks = append(cur.chunks, l)
		}
		spans = append(spans, cur)
	}
	return spans
}

// ensure makes every chunk in locs present and verified in the cache, downloading
// the missing ones in parallel. Duplicate IDs are fetched once.
func (f *fetcher) ensure(ctx context.Context, locs []manifest.Loc, phase string) error {
	seen := make(map[chunkstore.ID]bool, len(locs))
	var missing []manifest.Loc
	var total int64
	for _, l := range locs {
		if seen[l.ID] {
			continue
		}
		seen[l.ID] = true
		ok, err := f.opt.Cache.Has(ctx, l.ID)
		if err != nil {
			return fmt.Errorf("read cache: %w", err)
		}
		if ok {
			f.stats.ChunksFromCache++
			continue
		}
		missing = append(missing, l)
		total += int64(l.SealedLen)
	}
	if len(missing) == 0 {
		return nil
	}
	var done atomic.Int64
	f.report(Progress{Phase: phase, Total: total})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(f.opt.Parallel)
	for _, s := range planSpans(missing) {
		g.Go(func() error {
			for {
				err := httpsrv.Retry(gctx, f.opt.Backoff, func(int) error {
					// Each try asks only for the chunks the previous tries did not get.
					n, err := f.fetchSpan(gctx, s)
					d := sealedLen(s.chunks[:n])
					s.chunks = s.chunks[n:]
					f.report(Progress{Phase: phase, Done: done.Add(d), Total: total})
					if n > 0 && httpsrv.IsTransient(err) {
						return errProgress // a slow but working link: start counting tries afresh
					}
					return err
				})
				if err != errProgress {
					return err
				}
			}
		})
	}
	return g.Wait()
}

func sealedLen(ls []manifest.Loc) (n int64) {
	for _, l := range ls {
		n += int64(l.SealedLen)
	}
	return n
}

// fetchSpan downloads s with one range request, verifies each chunk and puts it in
// the cache. It returns how many leading chunks of s are now cached, also on error.
func (f *fetcher) fetchSpan(ctx context.Context, s span) (int, error) {
	if len(s.chunks) == 0 {
		return 0, nil
	}
	f.requests.Add(1)
	body, err := f.client.Range(ctx, s.pack, s.off(), s.end()-s.off())
	if err != nil {
		return 0, err
	}
	defer body.Close()
	pos := s.off()
	buf := make([]byte, 0, 64<<10)
	for i, l := range s.chunks {
		if gap := int64(l.Off) - pos; gap > 0 {
			if _, err := io.CopyN(io.Discard, body, gap); err != nil {
				return i, fmt.Errorf("get pack %s: %w", s.pack, err)
			}
		}
		if cap(buf) < int(l.SealedLen) {
			buf = make([]byte, l.SealedLen)
		}
		sealed := buf[:l.SealedLen]
		if _, err := io.ReadFull(body, sealed); err != nil {
			return i, fmt.Errorf("get pack %s: %w", s.pack, err)
		}
		pos = int64(l.Off) + int64(l.SealedLen)
		if _, err := f.keys.Open(nil, l.ID, sealed); err != nil {
			return i, err // tampered in transit or at rest on the source: permanent
		}
		if err := f.opt.Cache.Put(ctx, l.ID, sealed); err != nil {
			return i, fmt.Errorf("write cache: %w", err)
		}
		f.downloaded.Add(1)
		if f.onCached != nil {
			f.onCached(l.ID)
		}
	}
	return len(s.chunks), nil
}
