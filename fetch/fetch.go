// Package fetch is the destination side of synco: it reads a publication through its
// token, downloads the chunks its cache lacks with few coalesced range requests,
// verifies everything against the signed root, and writes the streams into a target
// directory without ever leaving a half-written version of a file it replaces there
// (new files are written in place and taken back if the fetch fails: stage.go).
//
// It reads through a Remote: HTTP(S) from the token's URL by default
// (*httpsrv.Client), a publish --out directory (DirRemote), or any other
// implementation; retries and counting are wrappers around it (remotewrap.go),
// and fetch/remotetest holds the conformance suite and a fault injector.
//
// Memory grows with the publication's chunks, not their bytes: the locations
// (locTable, 56 bytes a chunk), the streams' chunk lists (36), where each chunk
// is staged (≈ 25) and the cache's index (≈ 50 a cached chunk); lists of chunks
// to fetch are indexes into the locations (bench/RESULTS.md, "Memory (issue 15
// §3)").
//
// Size: ≈2,800 lines without tests, above the house guide of ~1,500, in files by
// phase (fetch.go open/plan/run, download.go, stage.go, write.go, dump.go,
// remote*.go, select.go, replay.go, reopen.go): the phases share the fetcher's
// verified state (keys, locations, cache), which would otherwise be exported.
//
// Trust chain: the root is authenticated (AEAD with the token's read key, Ed25519 with
// its public key); it names the manifest's chunks by keyed ID and the manifest's keyed
// hash; the manifest names every stream's chunks by keyed ID and every stream's keyed
// hash. A chunk is checked (AEAD, then its ID recomputed) when it arrives, before it is
// cached, and again when it is used.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/httpsrv"
	"synco/manifest"
)

// Errors that name what went wrong for the user (and the exit code in cmd).
var (
	// ErrTampered: data does not match what the source signed.
	ErrTampered = errors.New("fetch: data does not match what the source signed")
	// ErrCacheDamaged: a chunk in the local cache no longer verifies (it did when it
	// was stored, so the damage is local); it has been removed and a re-run fetches it.
	ErrCacheDamaged = errors.New("fetch: cached chunk damaged on disk; it was removed, run again")
	// ErrStalled: the source's root stayed in Created or Initializing without
	// any progress (same state, phase and counts) for Options.StallAfter: its
	// publisher was most likely killed.
	ErrStalled = errors.New("fetch: the source shows no progress")
	// ErrTargetLocked: another fetch is writing into the same target directory.
	ErrTargetLocked = errors.New("fetch: another fetch is writing into the target directory")
)

// SourceFailedError is a publication the source gave up on.
type SourceFailedError struct{ Reason string }

func (e *SourceFailedError) Error() string { return "source failed to publish: " + e.Reason }

// Options configure a fetch.
type Options struct {
	Token    manifest.Token
	To       string            // for Run: directory the streams are written into (Selection.To)
	Cache    *chunkstore.Cache // where verified sealed chunks are kept between runs
	Parallel int               // concurrent range requests (<1: 4)
	// Remote is where the publication is read from; nil: over HTTP(S) from the
	// token's URL with its certificate pin (httpsrv.NewClientWith with
	// Parallel and Idle). Fetch retries what it fails at (Backoff,
	// FirstContact) and counts what it delivers; a Remote that reports
	// the bytes it received itself (a Downloaded() int64 method, as
	// *httpsrv.Client has) is counted by those. The token still gives the keys
	// and the address remote files are checked against.
	Remote  Remote
	Backoff httpsrv.Backoff // zero: httpsrv.DefaultBackoff
	// Poll is the longest wait between two reads of the root while the source
	// prepares (zero: 500ms). The first reads come quicker (pollInterval): a
	// destination started right after the source would otherwise wait up to
	// Poll for a publication that is ready in a few hundred milliseconds.
	Poll time.Duration
	// FirstContact bounds the retries of a source that was never reached (the
	// first requests fail with httpsrv.ErrUnreachable: wrong address, nothing
	// listening); once it answered, Backoff applies. Zero: 3s.
	FirstContact time.Duration
	// Idle bounds how long a request waits for a response header and each
	// body read for a byte (httpsrv.ErrIdle, retried up to three times).
	// Zero: httpsrv.DefaultIdle.
	Idle time.Duration
	// StallAfter bounds how long a source preparing its publication may show
	// no progress (ErrStalled). A source whose phase or counts change keeps
	// the wait alive however long it takes. Zero: 5 minutes.
	StallAfter time.Duration
	Progress   func(Progress) // optional
	// Ahead lets a fetch with a Cache download the packs the source lists as
	// finished while it still builds (see prefetch.go). Set it when the whole
	// publication will be fetched (no table or file-set selection that would
	// leave most of it unread).
	Ahead bool
	// Downloaded, if set, is called once in Run, when every chunk the plan
	// needs is in the cache, verified: the source is not read again (the
	// imports, the files and the deletions that may still run read the cache).
	// synco pull ends its agent then, while the install goes on.
	Downloaded func()

	// Import and Delete are Run's selection (Selection.Import, Selection.Delete),
	// as To is; Open does not use them.
	Import func(ctx context.Context, d Dump, src dumpers.Source) error
	Delete bool
}

// Progress reports a fetch. Phase is one of "waiting" (Done/Total are the source's
// progress), "manifest", "download" (sealed bytes), "import" (bytes of the dumps
// read by the importers, reported once the download is complete), "write"
// (moving the verified files into place; no counts), and "retrying": a request
// failed and is tried again after a backoff wait (Attempt, Reason; the phase
// before it goes on).
type Progress struct {
	Phase       string
	SourcePhase string // the source's phase while waiting
	Done, Total int64
	Ahead       int64 // while waiting: bytes downloaded ahead (Options.Ahead)
	// Retrying: how many tries failed in a row, and why the last one did:
	// "unreachable" (no connection could be made), "stalled" (nothing
	// arrived for the idle time), "error" (the server answered with a
	// temporary error, e.g. 503 from a proxy), "lost" (the connection broke).
	Attempt int
	Reason  string
}

// retryReason is Progress.Reason for err.
func retryReason(err error) string {
	var se *httpsrv.StatusError
	switch {
	case errors.Is(err, httpsrv.ErrUnreachable):
		return "unreachable"
	case errors.Is(err, httpsrv.ErrIdle):
		return "stalled"
	case errors.As(err, &se):
		return "error"
	}
	return "lost"
}

// Stats is what a fetch did; the JSON names are a contract (synco fetch --json).
type Stats struct {
	BytesDownloaded int64 `json:"bytes_downloaded"`
	// ManifestBytes are the bytes of BytesDownloaded that were the
	// manifest's (sealed chunks the cache lacked).
	ManifestBytes    int64 `json:"manifest_bytes"`
	ChunksTotal      int   `json:"chunks_total"`
	ChunksDownloaded int   `json:"chunks_downloaded"`
	ChunksFromCache  int   `json:"chunks_from_cache"`
	// ChunksSpliced counts the downloaded chunks that came as a splice of a
	// chunk the cache held (manifest variants); they count as downloaded too.
	ChunksSpliced int `json:"chunks_spliced"`
	// ChunksLocal counts the chunks taken from the target's own files, at
	// the published offsets (seed.go): not downloaded, not counted in
	// ChunksFromCache.
	ChunksLocal    int   `json:"chunks_from_local_files,omitempty"`
	Requests       int64 `json:"requests"`
	FilesWritten   int   `json:"files_written"`
	FilesDeleted   int   `json:"files_deleted"`
	FilesUnchanged int   `json:"files_unchanged"`
	BytesWritten   int64 `json:"bytes_written"`
	DurationMS     int64 `json:"duration_ms"`
	// AheadBytes are the bytes of BytesDownloaded downloaded ahead
	// (Options.Ahead): packs the source listed as finished before it was
	// ready; their downloads may end after that.
	AheadBytes int64 `json:"bytes_ahead,omitempty"`
	// Dumps are the publication's database dumps, with whether they were scrubbed.
	Dumps []Dump `json:"dumps,omitempty"`
}

type fetcher struct {
	opt    Options
	remote Remote          // retry(count(opt.Remote))
	count  *countingRemote // of opt.Remote
	wire   func() int64    // bytes received, if opt.Remote counts them itself
	keys   *chunkstore.Keys
	stats  Stats

	remoteOrigin string // of the remote files (remoteOrigin)

	locs       *locTable           // every chunk of the manifest
	variants   []manifest.Variant  // sorted by chunk ID (manifest.Decode checked)
	splices    sync.Map            // Obj ID → manifest.Variant being downloaded
	splicedIDs sync.Map            // chunks opened from a splice (Stats.ChunksSpliced)
	onCached   func(chunkstore.ID) // set before downloads start; called for every chunk cached

	mu          sync.Mutex   // guards stats.FilesWritten, stats.BytesWritten
	downloaded  atomic.Int64 // chunks fetched
	seeded      atomic.Int64 // chunks taken from the target's files (seed.go)
	remoteBytes atomic.Int64 // body bytes of remote files
	ahead       *prefetcher  // downloads finished packs while the source builds; nil: off
	recent      recent       // plaintexts chunk read last
}

// Run fetches the publication named by opt.Token into opt.To: Open, Plan with
// opt's To, Import and Delete, and Run. It returns stats also on error (what was
// done so far).
func Run(ctx context.Context, opt Options) (*Stats, error) {
	pub, err := open(ctx, opt) // also on error: it has the stats so far
	if err != nil {
		pub.Close()
		return pub.stats(), err
	}
	defer pub.Close()
	p, err := pub.Plan(ctx, Selection{To: opt.To, Import: opt.Import, Delete: opt.Delete})
	if err != nil {
		return pub.stats(), err
	}
	return p.Run(ctx)
}

// Publication is an opened publication: the source said it is ready, and its
// root and manifest are verified. Plan it against the local state (as often as
// needed, e.g. again with what the user chose), then run one of the plans.
// Close it when done.
type Publication struct {
	f      *fetcher
	pub    *publication
	start  time.Time
	before int64  // bytes received before Open
	close  func() // of the client Open made; nil if opt.Remote was given
	ran    bool
}

// Open waits until the source is ready (reporting its progress), reads and
// verifies the root and the manifest, and registers the publication's
// dictionaries. Without opt.Remote it reads over HTTP(S) from the token's URL.
// The errors are those of Run before anything is planned: ErrStalled,
// *SourceFailedError, ErrTampered, ErrCacheDamaged, ErrReplay, the remote's.
// opt.To, opt.Import and opt.Delete are not used (they are Run's; see Plan).
func Open(ctx context.Context, opt Options) (*Publication, error) {
	pub, err := open(ctx, opt)
	if err != nil {
		pub.Close()
		return nil, err
	}
	return pub, nil
}

// open is Open, also returning the publication (for its stats) on error.
func open(ctx context.Context, opt Options) (*Publication, error) {
	start := time.Now()
	if opt.Parallel < 1 {
		opt.Parallel = 4
	}
	if opt.Backoff.Attempts == 0 {
		opt.Backoff = httpsrv.DefaultBackoff
	}
	if opt.Poll == 0 {
		opt.Poll = 500 * time.Millisecond
	}
	if opt.FirstContact == 0 {
		opt.FirstContact = 3 * time.Second
	}
	if opt.StallAfter == 0 {
		opt.StallAfter = 5 * time.Minute
	}
	pub := &Publication{start: start, f: &fetcher{opt: opt}}
	if opt.Remote == nil {
		client, err := httpsrv.NewClientWith(opt.Token.URL, httpsrv.ClientOptions{
			Pin: opt.Token.CertPin, Parallel: opt.Parallel, Idle: opt.Idle,
		})
		if err != nil {
			return pub, err
		}
		pub.close = func() { client.Close() }
		opt.Remote = client
	}
	f := &fetcher{opt: opt, count: &countingRemote{r: opt.Remote}, keys: chunkstore.NewKeys(opt.Token.ReadKey)}
	retry := newRetryRemote(f.count, opt.Backoff, opt.FirstContact)
	retry.onRetry = func(attempt int, err error) {
		f.report(Progress{Phase: "retrying", Attempt: attempt, Reason: retryReason(err)})
	}
	f.remote = retry
	if opt.Ahead && opt.Cache != nil {
		if pre, err := newPrefetcher(opt.Cache.Root(), retry); err == nil {
			f.ahead, f.remote = pre, pre
		} // else: fetch as without
	}
	f.wire = f.count.bytes.Load
	if w, ok := opt.Remote.(interface{ Downloaded() int64 }); ok {
		f.wire = w.Downloaded // also the bytes around ranges a server sent anyway
	}
	pub.f, pub.before = f, f.wire()
	var err error
	pub.pub, err = f.open(ctx)
	return pub, err
}

// Close releases what Open holds (the HTTP client it made). It is safe on nil.
func (p *Publication) Close() error {
	if p == nil {
		return nil
	}
	if p.f != nil && p.f.ahead != nil {
		p.f.ahead.close()
		p.f.ahead = nil
	}
	if p.close != nil {
		p.close()
		p.close = nil
	}
	return nil
}

// Stats are what the fetch did so far (before a plan runs: reading the root,
// the manifest and the dictionaries).
func (p *Publication) Stats() *Stats { s := *p.stats(); return &s }

// Dumps are the publication's database dumps.
func (p *Publication) Dumps() []Dump { return slices.Clone(p.f.stats.Dumps) }

// stats completes and returns the publication's statistics so far.
func (p *Publication) stats() *Stats {
	f := p.f
	if f.wire != nil {
		f.stats.BytesDownloaded = f.wire() - p.before + f.remoteBytes.Load()
		f.stats.Requests = f.count.requests.Load()
	}
	f.stats.ChunksDownloaded = int(f.downloaded.Load())
	f.stats.ChunksLocal = int(f.seeded.Load())
	if f.ahead != nil {
		f.stats.AheadBytes = f.ahead.bytes.Load()
	}
	f.stats.ChunksSpliced = 0
	f.splicedIDs.Range(func(any, any) bool { f.stats.ChunksSpliced++; return true })
	f.stats.DurationMS = time.Since(p.start).Milliseconds()
	return &f.stats
}

// Selection is what a plan installs and where.
type Selection struct {
	To string // directory the streams are written into; "" for none (Import only)
	// Import, if set, restores each database dump of the publication. It runs while
	// the chunks arrive (src.Open waits for a stream's chunks); files are written to
	// To only after every import succeeded. Without Import, a dump is written to To
	// as one plain <prefix>.sql file that the engine's own client loads.
	Import func(ctx context.Context, d Dump, src dumpers.Source) error
	// Map, if set, says where each published top-level entry (a file set such as
	// "persistent", a stream, a dump's "<prefix>.sql") goes, as a slash path
	// relative to To; entries it rejects are not fetched (they are named in
	// Summary.Skipped). Without Map everything goes to To/<name>.
	Map func(top string) (string, bool)
	// Delete removes files under the published directories that the source does not
	// have, after a successful install.
	Delete bool
}

// Plan is what a fetch will do with an opened publication: it is what
// synco fetch --dry-run shows (Summary). It holds the target directory open:
// Run or Close it.
type Plan struct {
	pub *Publication
	w   *work
}

// Plan decides what to fetch and write for sel, against the target directory
// and the cache; nothing is downloaded, and nothing is changed but the cache,
// which gets the chunks the target's files already hold (seed.go). Unsafe
// published paths are ErrUnsafePath.
func (p *Publication) Plan(ctx context.Context, sel Selection) (*Plan, error) {
	w, err := p.f.plan(p.pub, sel)
	if err != nil {
		w.close()
		return nil, err
	}
	p.f.seed(ctx, w)
	return &Plan{pub: p, w: w}, nil
}

// Close releases the target directory; Run does it too. It is safe to call
// more than once.
func (pl *Plan) Close() error {
	pl.w.close()
	return nil
}

// Summary describes the plan.
func (pl *Plan) Summary(ctx context.Context) (*Summary, error) {
	return pl.pub.f.summarize(ctx, pl.w)
}

// Run carries the plan out: downloads what the cache lacks while the imports
// run, then writes the files into the target. One plan of a publication runs
// (a second Run is an error). It returns stats also on error.
func (pl *Plan) Run(ctx context.Context) (*Stats, error) {
	defer pl.Close()
	p := pl.pub
	if p.ran {
		return p.stats(), errors.New("fetch: a publication runs one plan")
	}
	p.ran = true
	p.f.stats.FilesUnchanged = pl.w.unchanged
	err := p.f.execute(ctx, p.pub, pl.w)
	return p.stats(), err
}

// publication is an opened publication: its verified root and manifest, its
// database dumps and its other streams (synco's own ones left out).
type publication struct {
	root  *manifest.Root
	dumps []*Dump
	rest  []manifest.Stream
}

// open waits until the source is ready, reads and verifies the manifest,
// registers the publication's compression dictionaries and finds its dumps.
func (f *fetcher) open(ctx context.Context) (*publication, error) {
	root, err := f.waitReady(ctx)
	if err != nil {
		return nil, err
	}
	m, err := f.manifest(ctx, root)
	if err != nil {
		return nil, err
	}
	if f.remoteOrigin, err = remoteOrigin(m.Streams); err != nil {
		return nil, err
	}
	f.locs = newLocTable(m)
	f.variants = m.Variants
	m.Packs = nil // f.locs has what the rest needs
	// Synco's own streams (manifest.ReservedDir) are never written: register the
	// compression dictionaries before any chunk that needs one is opened.
	var own []manifest.Stream
	m.Streams = slices.DeleteFunc(m.Streams, func(s manifest.Stream) bool {
		if manifest.IsReserved(s.Path) {
			own = append(own, s)
			return true
		}
		return false
	})
	if err := f.addDicts(ctx, own); err != nil {
		return nil, err
	}
	dumps, rest, err := f.findDumps(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, d := range dumps {
		f.stats.Dumps = append(f.stats.Dumps, *d)
	}
	return &publication{root: root, dumps: dumps, rest: rest}, nil
}

// addDicts registers the dictionaries among synco's own streams.
func (f *fetcher) addDicts(ctx context.Context, own []manifest.Stream) error {
	for _, s := range own {
		hexID, ok := manifest.DictStreamID(s.Path)
		if !ok || s.Kind != manifest.KindFile {
			continue // not a dictionary: nothing this version uses
		}
		f.stats.ChunksTotal += len(s.Chunks)
		var buf bytes.Buffer
		if err := f.ensure(ctx, f.locs, f.locs.indexes(s), "manifest"); err != nil {
			return err
		}
		if err := f.copyStream(ctx, &buf, s); err != nil {
			return err
		}
		if id, err := f.keys.AddDict(buf.Bytes()); err != nil {
			return fmt.Errorf("fetch: dictionary %s: %w", s.Path, err)
		} else if id.String() != hexID {
			return fmt.Errorf("fetch: dictionary %s has ID %s", s.Path, id)
		}
	}
	return nil
}

// work is what a fetch will do: the selection, the target's plan (nil without
// a target directory), the chunks to have in the cache (database streams
// first), the top-level entries the selection leaves out and the number of
// files the target already has as published.
type work struct {
	sel       Selection
	dumps     []*Dump // imported (sel.Import set)
	p         *plan
	need      []int32 // indexes into the fetcher's locs
	skipped   []string
	unchanged int
}

// close releases the target; safe on nil and more than once.
func (w *work) close() {
	if w != nil && w.p != nil {
		w.p.close()
		w.p = nil
	}
}

// plan decides what to fetch and write for sel. The work it returns (also
// with an error) holds the target open: the caller closes it.
func (f *fetcher) plan(pub *publication, sel Selection) (*work, error) {
	dumps := pub.dumps
	if sel.To == "" && (sel.Import == nil || len(dumps) == 0) {
		return nil, errors.New("fetch: nothing to do: the publication has no database to import, and no target directory was given")
	}
	rest, skipped := mapStreams(sel.Map, pub.rest)
	w := &work{sel: sel, skipped: skipped}
	if sel.Import != nil {
		w.dumps = dumps
	}
	if sel.To != "" {
		sqlDumps := dumps
		if sel.Map != nil {
			sqlDumps = nil // a project install imports the database; no .sql file
			for _, d := range dumps {
				if dst, ok := sel.Map(d.Prefix + ".sql"); ok && dst != "" {
					sqlDumps = append(sqlDumps, &Dump{Prefix: strings.TrimSuffix(dst, ".sql"), Engine: d.Engine, parts: d.parts})
				}
			}
		}
		var err error
		if w.p, err = newPlan(rest, sqlDumps, sel.To, pub.root.Created); err != nil {
			return w, err
		}
	}
	// Database streams first (schema, data, post), so an import can start early.
	seen := newBitset(len(f.locs.ls))
	addStream := func(s manifest.Stream) {
		for _, r := range s.Chunks {
			if i, ok := f.locs.find(r.ID); ok && seen.add(i) {
				w.need = append(w.need, i)
			}
		}
	}
	for _, d := range w.dumps {
		for _, s := range d.parts {
			addStream(s)
		}
	}
	if w.p != nil {
		w.unchanged = w.p.skipUnchanged(f.keys.StreamHash)
		for _, o := range w.p.outputs {
			for _, s := range o.parts {
				addStream(s)
			}
		}
	}
	return w, nil
}

// execute carries w out: downloads the chunks (verified plaintext goes
// straight into the staged files) and the remote files while the imports
// run, then writes the staged files into the target.
func (f *fetcher) execute(ctx context.Context, pub *publication, w *work) error {
	f.stats.ChunksTotal += len(w.need)
	var st *stage
	if w.p != nil {
		var err error
		if st, err = f.newStage(pub.root, w.p); err != nil {
			return err
		}
		defer st.cleanup()
	}
	g, gctx := errgroup.WithContext(ctx)
	downloaded := make(chan struct{})
	if len(w.dumps) > 0 {
		t := newTracker(f.locs)
		f.onCached = t.cached
		var imp importProgress
		for _, d := range w.dumps {
			src := f.source(gctx, d, t, &imp)
			g.Go(func() error { return w.sel.Import(gctx, *d, src) })
		}
		stop, stopped := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-stopped }() // no Progress call after Run returns
		go func() { defer close(stopped); imp.report(f, downloaded, stop) }()
	}
	g.Go(func() error {
		err := f.ensureInto(gctx, f.locs, w.need, "download", st)
		close(downloaded)
		if err == nil {
			// The source is not read again: say so (a publisher's --once
			// waits for it; best effort).
			if fr, ok := f.opt.Remote.(interface{ Finished(context.Context) error }); ok {
				_ = fr.Finished(gctx)
			}
			if f.opt.Downloaded != nil {
				f.opt.Downloaded()
			}
			if f.ahead != nil {
				f.keepAhead(gctx)
			}
		}
		return err
	})
	g.Go(func() error { return f.fetchRemote(gctx, st) })
	if err := g.Wait(); err != nil {
		return err
	}
	if w.p == nil {
		return nil
	}
	if err := f.write(ctx, st); err != nil {
		return err
	}
	if w.sel.Delete {
		return f.deleteExtra(w.p)
	}
	return nil
}

// source returns the dumpers.Source of d, fed by the download as it goes.
func (f *fetcher) source(ctx context.Context, d *Dump, t *tracker, imp *importProgress) *dumpSource {
	cached := func(id chunkstore.ID) bool {
		ok, err := f.opt.Cache.Has(ctx, id)
		return ok && err == nil
	}
	src := &dumpSource{f: f, d: d, parts: map[string]manifest.Stream{}, read: &imp.done,
		wait: func(ctx context.Context, id chunkstore.ID) error { return t.wait(ctx, id, cached) }}
	for _, s := range d.parts {
		imp.total.Add(int64(s.Size))
		name := strings.TrimPrefix(s.Path, d.Prefix+"/")
		src.names = append(src.names, name)
		src.parts[name] = s
	}
	return src
}

func (f *fetcher) report(p Progress) {
	if f.opt.Progress != nil {
		f.opt.Progress(p)
	}
}

// waitReady reads the root until the source says Ready, reporting its progress.
// A source that shows no progress for opt.StallAfter is given up on (ErrStalled).
func (f *fetcher) waitReady(ctx context.Context) (*manifest.Root, error) {
	var watch stallWatch
	first := time.Now()
	for {
		sealed, err := f.remote.Root(ctx)
		if err != nil {
			return nil, err
		}
		root, err := manifest.OpenRoot(sealed, f.opt.Token.ReadKey, f.opt.Token.SignPub)
		if err == nil {
			err = f.checkRoot(root)
		}
		if err != nil {
			return nil, err
		}
		if f.ahead != nil && len(root.Finished) > 0 {
			f.ahead.add(root.Finished)
		}
		switch root.State {
		case manifest.StateReady:
			return root, f.checkFresh(root)
		case manifest.StateFailed:
			return nil, &SourceFailedError{Reason: root.Reason}
		}
		if still := watch.still(root, time.Now()); still >= f.opt.StallAfter {
			return nil, fmt.Errorf("%w for %v (state %s, phase %q, %d of %d)", ErrStalled, still.Round(still/10), root.State, root.Phase, root.Done, root.Total)
		}
		p := Progress{Phase: "waiting", SourcePhase: root.Phase, Done: int64(root.Done), Total: int64(root.Total)}
		if f.ahead != nil {
			p.Ahead = f.ahead.bytes.Load()
		}
		f.report(p)
		t := time.NewTimer(pollInterval(time.Since(first), f.opt.Poll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Polling the root: the wait between two reads grows with the time waited so
// far, from minPoll to the Options' Poll, so that the time a destination loses
// after the source turned Ready is at most about 1/pollShare of what it waited
// anyway (a publish ready after 1 s is seen within ≈ 80 ms, not up to 500 ms).
// That is about 50 reads in the first 6 s of a wait, then 2 a second.
const (
	minPoll   = 20 * time.Millisecond
	pollShare = 12
)

// pollInterval is the wait before the next read of the root after waiting for
// waited, at most longest.
func pollInterval(waited, longest time.Duration) time.Duration {
	return min(max(waited/pollShare, minPoll), longest)
}

// stallWatch tells how long a source's root has stayed the same.
type stallWatch struct {
	last  rootProgress
	since time.Time
}

// rootProgress is what changes while a source makes progress.
type rootProgress struct {
	state       manifest.State
	phase       string
	done, total uint64
}

// still records root as seen at now and returns for how long the source has
// shown it unchanged.
func (w *stallWatch) still(root *manifest.Root, now time.Time) time.Duration {
	p := rootProgress{root.State, root.Phase, root.Done, root.Total}
	if w.since.IsZero() || p != w.last {
		w.last, w.since = p, now
	}
	return now.Sub(w.since)
}

// manifest downloads the manifest chunks the cache lacks and decodes the manifest.
func (f *fetcher) manifest(ctx context.Context, root *manifest.Root) (*manifest.Manifest, error) {
	// The bytes of the manifest chunks the cache lacks, not the wire's count
	// meanwhile: packs downloaded ahead share the wire (they made a day-2
	// manifest of 2.0 MB count 4.9 MB).
	seen := map[chunkstore.ID]bool{}
	for _, l := range root.Manifest {
		if seen[l.ID] {
			continue
		}
		seen[l.ID] = true
		if ok, err := f.opt.Cache.Has(ctx, l.ID); err == nil && !ok {
			f.stats.ManifestBytes += int64(l.SealedLen)
		}
	}
	mt := tableOf(root.Manifest)
	if err := f.ensure(ctx, mt, mt.all(), "manifest"); err != nil {
		return nil, err
	}
	f.stats.ChunksTotal += len(root.Manifest)
	// Sized at once (a manifest of a million chunks is ≈ 40 MB: grown by
	// doubling, it would briefly take twice that), up to a bound, since the
	// lengths are only checked as the chunks are read.
	var want uint64
	for _, l := range root.Manifest {
		want += uint64(l.Len)
	}
	var buf bytes.Buffer
	buf.Grow(int(min(want, root.ManifestSize, maxManifestPrealloc)))
	h := f.keys.StreamHash()
	for _, l := range root.Manifest {
		plain, err := f.chunk(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		if len(plain) != int(l.Len) {
			return nil, fmt.Errorf("manifest chunk %s: %w", l.ID, ErrTampered)
		}
		buf.Write(plain)
		h.Write(plain)
	}
	if uint64(buf.Len()) != root.ManifestSize || !bytes.Equal(h.Sum(nil), root.ManifestHash[:]) {
		return nil, fmt.Errorf("manifest: %w", ErrTampered)
	}
	m, err := manifest.Decode(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return m, nil
}

// maxManifestPrealloc bounds the memory reserved for a manifest before its
// chunks are read: a manifest of ≈ 6M chunks; a larger one grows as it is read.
const maxManifestPrealloc = 256 << 20

// chunk returns the verified plaintext of a cached chunk.
func (f *fetcher) chunk(ctx context.Context, id chunkstore.ID) ([]byte, error) {
	if plain, ok := f.recent.get(id); ok {
		return plain, nil
	}
	sealed, err := f.opt.Cache.Get(ctx, id)
	if err == nil {
		var plain []byte
		if plain, err = f.keys.Open(nil, id, sealed); err == nil {
			f.recent.add(id, plain)
			return plain, nil
		}
	}
	if errors.Is(err, chunkstore.ErrCorrupt) {
		f.opt.Cache.Remove(ctx, id)
		return nil, fmt.Errorf("chunk %s: %w", id, ErrCacheDamaged)
	}
	return nil, fmt.Errorf("read cached chunk %s: %w", id, err)
}
