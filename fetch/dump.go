package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// Dump is a database dump in a publication: the streams under Prefix/ written by a
// dumper of Engine (manifest "Publication layout").
type Dump struct {
	Prefix string `json:"prefix"`
	Engine string `json:"engine"`
	// Scrub is "on" when the source scrubbed personal data from the dump (then
	// Scrubbed lists TABLE.COLUMN=RULE), "off" when it was told not to (--no-scrub),
	// "" when the publication does not say (an older synco-lite, or --db without a
	// framework and without rules).
	Scrub    string   `json:"scrub,omitempty"`
	Scrubbed []string `json:"scrubbed,omitempty"`
	// Tables counts the tables whose rows the dump carries (its data streams).
	Tables int `json:"tables,omitempty"`
	// Lacks says what of the source database the dump leaves out, so the copy
	// lacks it (text from the source; manifest.DumpMarkerInfo.Lacks).
	Lacks []string          `json:"lacks,omitempty"`
	parts []manifest.Stream // schema.sql, data/* in name order, post.sql
}

// TableNames are the tables whose rows the dump carries (its data streams), in
// name order: the tables a partial install can select, known from the manifest
// before anything is downloaded. An empty table has no rows and no data stream.
func (d Dump) TableNames() []string {
	var names []string
	for _, s := range d.parts {
		if t, ok := dumpers.TableOf(strings.TrimPrefix(s.Path, d.Prefix+"/")); ok {
			names = append(names, t)
		}
	}
	slices.Sort(names)
	return names
}

// findDumps splits the streams of m into database dumps and everything else. A dump
// is recognised only from streams of kind manifest.KindDump, which only a database
// publish writes: a dump.json among uploaded files is just a file. A dump stream
// outside a dump (no marker above it) is ErrTampered.
func (f *fetcher) findDumps(ctx context.Context, m *manifest.Manifest) ([]*Dump, []manifest.Stream, error) {
	var dumps []*Dump
	for _, s := range m.Streams {
		if prefix, ok := manifest.IsDumpMarker(s); ok {
			d := &Dump{Prefix: prefix}
			if err := f.readMarker(ctx, s, d); err != nil {
				return nil, nil, err
			}
			dumps = append(dumps, d)
		}
	}
	var rest []manifest.Stream
	for _, s := range m.Streams {
		if s.Kind != manifest.KindDump {
			rest = append(rest, s)
			continue
		}
		var d *Dump
		for _, c := range dumps {
			if strings.HasPrefix(s.Path, c.Prefix+"/") {
				d = c
			}
		}
		switch {
		case d == nil:
			return nil, nil, fmt.Errorf("database dump stream %s outside a dump: %w", s.Path, ErrTampered)
		case path.Base(s.Path) != manifest.DumpMarker:
			d.parts = append(d.parts, s)
			if strings.HasPrefix(s.Path, d.Prefix+"/"+dumpers.DataDir) {
				d.Tables++
			}
		}
	}
	for _, d := range dumps {
		manifest.SortDumpStreams(d.Prefix, d.parts)
	}
	return dumps, rest, nil
}

func (f *fetcher) readMarker(ctx context.Context, s manifest.Stream, d *Dump) error {
	if err := f.ensure(ctx, f.locs, f.locs.indexes(s), "manifest"); err != nil {
		return err
	}
	f.stats.ChunksTotal += len(s.Chunks)
	var buf bytes.Buffer
	if err := f.copyStream(ctx, &buf, s); err != nil {
		return err
	}
	marker, err := manifest.ParseDumpMarker(buf.Bytes())
	if err != nil {
		return fmt.Errorf("database dump %s: unknown dump format (newer synco-lite?)", d.Prefix)
	}
	d.Engine, d.Scrub, d.Scrubbed, d.Lacks = marker.Engine, marker.Scrub, marker.Scrubbed, marker.Lacks
	return nil
}

// copyStream writes the verified content of s to w and checks its signed hash.
func (f *fetcher) copyStream(ctx context.Context, w io.Writer, s manifest.Stream) error {
	return f.copyArriving(ctx, w, s, nil)
}

// copyArriving is copyStream that, when a chunk is not in the cache yet and
// wait is not nil, waits for it with wait and reads it then: a stream is read
// as its chunks arrive.
func (f *fetcher) copyArriving(ctx context.Context, w io.Writer, s manifest.Stream, wait func(context.Context, chunkstore.ID) error) error {
	h := f.keys.StreamHash()
	var n uint64
	for _, r := range s.Chunks {
		plain, err := f.chunk(ctx, r.ID)
		if wait != nil && errors.Is(err, chunkstore.ErrNotFound) {
			if err := wait(ctx, r.ID); err != nil {
				return err
			}
			plain, err = f.chunk(ctx, r.ID)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.Path, err)
		}
		h.Write(plain)
		n += uint64(len(plain))
		if _, err := w.Write(plain); err != nil {
			return fmt.Errorf("write %s: %w", s.Path, err)
		}
	}
	if n != s.Size || !bytes.Equal(h.Sum(nil), s.Hash[:]) {
		return fmt.Errorf("%s: %w", s.Path, ErrTampered)
	}
	return nil
}

// tracker tells when chunks are in the cache, so that an import can read a
// stream as far as it has arrived while the rest is still downloading.
type tracker struct {
	mu      sync.Mutex
	locs    *locTable
	waiting []*waiter           // by index in locs: the stream waiting for the chunk; 8 bytes a chunk
	more    map[int32][]*waiter // the further streams waiting for a chunk in several
}

type waiter struct {
	missing int
	ready   chan struct{}
}

func newTracker(locs *locTable) *tracker {
	return &tracker{locs: locs, waiting: make([]*waiter, len(locs.ls)), more: map[int32][]*waiter{}}
}

// wait returns once chunk id is in the cache (cached tells whether it is
// already), or ctx is done.
func (t *tracker) wait(ctx context.Context, id chunkstore.ID, cached func(chunkstore.ID) bool) error {
	ready := t.watch([]chunkstore.ID{id}, cached)
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watch returns a channel closed once every chunk of ids not cached yet is.
func (t *tracker) watch(ids []chunkstore.ID, cached func(chunkstore.ID) bool) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := &waiter{ready: make(chan struct{})}
	for _, id := range ids {
		i, ok := t.locs.find(id)
		if !ok || t.waits(i, w) || cached(id) {
			continue
		}
		w.missing++
		if t.waiting[i] == nil {
			t.waiting[i] = w
		} else {
			t.more[i] = append(t.more[i], w)
		}
	}
	if w.missing == 0 {
		close(w.ready)
	}
	return w.ready
}

// waits reports whether w waits for chunk i already (a chunk twice in a
// stream): w is the last waiter added for it.
func (t *tracker) waits(i int32, w *waiter) bool {
	if m := t.more[i]; len(m) > 0 {
		return m[len(m)-1] == w
	}
	return t.waiting[i] == w
}

// cached records that id is now in the cache.
func (t *tracker) cached(id chunkstore.ID) {
	i, ok := t.locs.find(id)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.waiting[i]; w != nil {
		t.waiting[i] = nil
		if w.missing--; w.missing == 0 {
			close(w.ready)
		}
	}
	for _, w := range t.more[i] {
		if w.missing--; w.missing == 0 {
			close(w.ready)
		}
	}
	delete(t.more, i)
}

// dumpSource serves a dump's streams to an importer as their chunks arrive.
type dumpSource struct {
	f     *fetcher
	d     *Dump
	read  *atomic.Int64 // bytes handed to the importer, for progress
	wait  func(context.Context, chunkstore.ID) error
	parts map[string]manifest.Stream
	names []string
}

func (s *dumpSource) Names() []string { return s.names }

func (s *dumpSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	st, ok := s.parts[name]
	if !ok {
		return nil, fmt.Errorf("database dump %s: no stream %s", s.d.Prefix, name)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(s.f.copyArriving(ctx, countingWriter{pw, s.read}, st, s.wait)) }()
	return pr, nil
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// importProgress reports how much of the dumps the importers have read, as phase
// "import", once the download is complete (before that, "download" is the news).
type importProgress struct {
	done, total atomic.Int64
}

func (ip *importProgress) report(f *fetcher, downloaded, stop <-chan struct{}) {
	select {
	case <-downloaded:
	case <-stop:
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		f.report(Progress{Phase: "import", Done: ip.done.Load(), Total: ip.total.Load()})
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}
