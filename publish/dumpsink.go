package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// dump runs a database dumper with a sink that turns each stream into a manifest stream.
func (b *builder) dump(ctx context.Context, d Dump) error {
	sink := &dumpSink{b: b, prefix: d.Prefix}
	sink.g, sink.ctx = errgroup.WithContext(ctx)
	ctx = sink.ctx
	err := d.Run(ctx, sink)
	if err == nil {
		err = writeMarker(ctx, sink, d)
	}
	if b.gate != nil { // no more streams: the gate may train on what they held
		if gerr := b.gate.produced(); err == nil {
			err = gerr
		}
	}
	// A dumper that failed (or forgot a Close) must not leave a stream reader waiting.
	abort := err
	if abort == nil {
		abort = errors.New("dump stream not closed by the dumper")
	}
	sink.closeAll(abort)
	if werr := sink.g.Wait(); err == nil {
		err = werr
	}
	b.dumping.Add(-1) // its streams' sizes are in b.total now
	if err != nil {
		return fmt.Errorf("dump database: %w", err)
	}
	return nil
}

func writeMarker(ctx context.Context, sink dumpers.Sink, d Dump) error {
	w, err := sink.Create(ctx, manifest.DumpMarker)
	if err != nil {
		return err
	}
	m := manifest.DumpMarkerInfo{Engine: d.Engine}
	if d.Scrub != nil {
		on, cols := d.Scrub()
		m.Scrub, m.Scrubbed = "off", cols
		if on {
			m.Scrub = "on"
		}
	}
	if d.Lacks != nil {
		m.Lacks = d.Lacks()
	}
	if _, err := w.Write(manifest.DumpMarkerJSON(m)); err != nil {
		return err
	}
	return w.Close()
}

type dumpSink struct {
	b      *builder
	prefix string
	g      *errgroup.Group
	ctx    context.Context // the consumers' context: Create's may end with the dumper's worker

	mu      sync.Mutex
	writers []*io.PipeWriter
}

// closeAll ends every stream the dumper left open with err (a no-op for closed ones).
func (s *dumpSink) closeAll(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.writers {
		w.CloseWithError(err)
	}
}

func (s *dumpSink) Create(_ context.Context, name string) (io.WriteCloser, error) {
	ctx := s.ctx
	p := path.Join(s.prefix, name)
	if err := manifest.ValidPath(p); err != nil || !isUnder(p, s.prefix) {
		return nil, fmt.Errorf("dump stream %q: invalid name", name)
	}
	pr, pw := io.Pipe()
	s.mu.Lock()
	s.writers = append(s.writers, pw)
	s.mu.Unlock()
	s.g.Go(func() error {
		refs, hash, n, err := s.b.stream(ctx, pr, chunkstore.ClassDB, p, nil)
		if err != nil {
			pr.CloseWithError(err) // unblocks the dumper's writes
			return fmt.Errorf("stream %s: %w", name, err)
		}
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		s.b.streams = append(s.b.streams, manifest.Stream{Path: p, Kind: manifest.KindDump, Class: chunkstore.ClassDB, Mode: 0o644, Size: n, Hash: hash, Chunks: refs})
		// Its chunk list, for the next publish to split the stream by (SplitKnown):
		// under a key no file's ("class:path") can be, found again by its Path.
		s.b.cacheOut[dumpCacheKey+p] = statEntry{Class: chunkstore.ClassDB, Size: int64(n), Hash: hash, Refs: refs, Path: p}
		s.b.res.Bytes += n
		s.b.total.Add(n)
		return nil
	})
	return pw, nil
}

// dumpCacheKey + a dump stream's path is its entry in the stat cache.
const dumpCacheKey = "dump:"

func isUnder(p, dir string) bool { return len(p) > len(dir)+1 && p[:len(dir)+1] == dir+"/" }
