// Package fetch is the destination side of synco: it reads a publication through its
// token, downloads the chunks its cache lacks with few coalesced range requests,
// verifies everything against the signed root, and writes the streams into a target
// directory without ever leaving a half-written file there.
//
// It reads through a Remote: HTTP(S) from the token's URL by default
// (*httpsrv.Client), a publish --out directory (DirRemote), or any other
// implementation; retries and counting are wrappers around it (remotewrap.go),
// and fetch/remotetest holds the conformance suite and a fault injector.
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
	To       string            // directory the streams are written into
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
	Poll    time.Duration   // how often to re-read the root while the source prepares (zero: 500ms)
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
	// Confirm, if set, is called with what the fetch will do once the manifest is
	// known and before anything is downloaded or changed; an error stops the fetch
	// (return ErrStopped for "no" or a dry run).
	Confirm func(*Summary) error
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
	BytesDownloaded  int64 `json:"bytes_downloaded"`
	ManifestBytes    int64 `json:"manifest_bytes"`
	ChunksTotal      int   `json:"chunks_total"`
	ChunksDownloaded int   `json:"chunks_downloaded"`
	ChunksFromCache  int   `json:"chunks_from_cache"`
	// ChunksSpliced counts the downloaded chunks that came as a splice of a
	// chunk the cache held (manifest variants); they count as downloaded too.
	ChunksSpliced  int   `json:"chunks_spliced"`
	Requests       int64 `json:"requests"`
	FilesWritten   int   `json:"files_written"`
	FilesDeleted   int   `json:"files_deleted"`
	FilesUnchanged int   `json:"files_unchanged"`
	BytesWritten   int64 `json:"bytes_written"`
	DurationMS     int64 `json:"duration_ms"`
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

	locs       map[chunkstore.ID]manifest.Loc     // every chunk of the manifest
	variants   map[chunkstore.ID]manifest.Variant // by chunk ID
	splices    sync.Map                           // Obj ID → manifest.Variant being downloaded
	splicedIDs sync.Map                           // chunks opened from a splice (Stats.ChunksSpliced)
	onCached   func(chunkstore.ID)                // set before downloads start; called for every chunk cached

	mu          sync.Mutex   // guards stats.FilesWritten, stats.BytesWritten
	downloaded  atomic.Int64 // chunks fetched
	remoteBytes atomic.Int64 // body bytes of remote files
}

// Run fetches the publication named by opt.Token into opt.To. It returns stats also
// on error (what was done so far).
func Run(ctx context.Context, opt Options) (*Stats, error) {
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
	if opt.Remote == nil {
		client, err := httpsrv.NewClientWith(opt.Token.URL, httpsrv.ClientOptions{
			Pin: opt.Token.CertPin, Parallel: opt.Parallel, Idle: opt.Idle,
		})
		if err != nil {
			return nil, err
		}
		defer client.Close()
		opt.Remote = client
	}
	f := &fetcher{opt: opt, count: &countingRemote{r: opt.Remote}, keys: chunkstore.NewKeys(opt.Token.ReadKey)}
	retry := newRetryRemote(f.count, opt.Backoff, opt.FirstContact)
	retry.onRetry = func(attempt int, err error) {
		f.report(Progress{Phase: "retrying", Attempt: attempt, Reason: retryReason(err)})
	}
	f.remote = retry
	f.wire = f.count.bytes.Load
	if w, ok := opt.Remote.(interface{ Downloaded() int64 }); ok {
		f.wire = w.Downloaded // also the bytes around ranges a server sent anyway
	}
	before := f.wire()
	err := f.run(ctx)
	f.stats.BytesDownloaded = f.wire() - before + f.remoteBytes.Load()
	f.stats.ChunksDownloaded = int(f.downloaded.Load())
	f.splicedIDs.Range(func(any, any) bool { f.stats.ChunksSpliced++; return true })
	f.stats.Requests = f.count.requests.Load()
	f.stats.DurationMS = time.Since(start).Milliseconds()
	return &f.stats, err
}

// run fetches in three phases: open the publication (root, manifest,
// dictionaries, dumps), plan against the target and the cache, and carry the
// plan out.
func (f *fetcher) run(ctx context.Context) error {
	pub, err := f.open(ctx)
	if err != nil {
		return err
	}
	w, err := f.plan(ctx, pub)
	if w != nil && w.p != nil {
		defer w.p.close()
	}
	if err != nil {
		return err
	}
	return f.execute(ctx, pub, w)
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
	f.locs = m.Locate()
	f.variants = make(map[chunkstore.ID]manifest.Variant, len(m.Variants))
	for _, v := range m.Variants {
		f.variants[v.ID] = v
	}
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
		locs := make([]manifest.Loc, 0, len(s.Chunks))
		for _, r := range s.Chunks {
			locs = append(locs, f.locs[r.ID])
		}
		f.stats.ChunksTotal += len(locs)
		var buf bytes.Buffer
		if err := f.ensure(ctx, locs, "manifest"); err != nil {
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

// work is what a fetch will do: the target's plan (nil without a target
// directory) and the chunks to have in the cache, database streams first.
type work struct {
	p    *plan
	need []manifest.Loc
}

// plan decides what to fetch and write, and asks opt.Confirm. The plan it
// returns (also with an error) holds the target open: the caller closes it.
func (f *fetcher) plan(ctx context.Context, pub *publication) (*work, error) {
	dumps := pub.dumps
	if f.opt.To == "" && (f.opt.Import == nil || len(dumps) == 0) {
		return nil, errors.New("fetch: nothing to do: the publication has no database to import, and no target directory was given")
	}
	rest, skipped := f.mapStreams(pub.rest)
	w := &work{}
	if f.opt.To != "" {
		sqlDumps := dumps
		if f.opt.Map != nil {
			sqlDumps = nil // a project install imports the database; no .sql file
			for _, d := range dumps {
				if dst, ok := f.opt.Map(d.Prefix + ".sql"); ok && dst != "" {
					sqlDumps = append(sqlDumps, &Dump{Prefix: strings.TrimSuffix(dst, ".sql"), Engine: d.Engine, parts: d.parts})
				}
			}
		}
		var err error
		if w.p, err = newPlan(rest, sqlDumps, f.opt.To, pub.root.Created); err != nil {
			return w, err
		}
	}
	// Database streams first (schema, data, post), so an import can start early.
	seen := map[chunkstore.ID]bool{}
	addStream := func(s manifest.Stream) {
		for _, r := range s.Chunks {
			if !seen[r.ID] {
				seen[r.ID] = true
				w.need = append(w.need, f.locs[r.ID])
			}
		}
	}
	if f.opt.Import != nil {
		for _, d := range dumps {
			for _, s := range d.parts {
				addStream(s)
			}
		}
	}
	if w.p != nil {
		f.stats.FilesUnchanged = w.p.skipUnchanged()
		for _, o := range w.p.outputs {
			for _, s := range o.parts {
				addStream(s)
			}
		}
	}
	if f.opt.Confirm != nil {
		sum, err := f.summarize(ctx, w.p, dumps, w.need, skipped)
		if err != nil {
			return w, err
		}
		if err := f.opt.Confirm(sum); err != nil {
			return w, err
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
	if f.opt.Import != nil && len(pub.dumps) > 0 {
		t := newTracker()
		f.onCached = t.cached
		var imp importProgress
		for _, d := range pub.dumps {
			src := f.source(gctx, d, t, &imp)
			g.Go(func() error { return f.opt.Import(gctx, *d, src) })
		}
		stop, stopped := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-stopped }() // no Progress call after Run returns
		go func() { defer close(stopped); imp.report(f, downloaded, stop) }()
	}
	g.Go(func() error {
		err := f.ensureInto(gctx, w.need, "download", st)
		close(downloaded)
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
	if f.opt.Delete {
		return f.deleteExtra(w.p)
	}
	return nil
}

// source returns the dumpers.Source of d, fed by the download as it goes.
func (f *fetcher) source(ctx context.Context, d *Dump, t *tracker, imp *importProgress) *dumpSource {
	src := &dumpSource{f: f, d: d, ready: map[string]<-chan struct{}{}, parts: map[string]manifest.Stream{}, read: &imp.done}
	for _, s := range d.parts {
		imp.total.Add(int64(s.Size))
		name := strings.TrimPrefix(s.Path, d.Prefix+"/")
		src.names = append(src.names, name)
		src.parts[name] = s
		src.ready[name] = t.watch(s, func(id chunkstore.ID) bool {
			ok, err := f.opt.Cache.Has(ctx, id)
			return ok && err == nil
		})
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
		switch root.State {
		case manifest.StateReady:
			return root, f.checkFresh(root)
		case manifest.StateFailed:
			return nil, &SourceFailedError{Reason: root.Reason}
		}
		if still := watch.still(root, time.Now()); still >= f.opt.StallAfter {
			return nil, fmt.Errorf("%w for %v (state %s, phase %q, %d of %d)", ErrStalled, still.Round(still/10), root.State, root.Phase, root.Done, root.Total)
		}
		f.report(Progress{Phase: "waiting", SourcePhase: root.Phase, Done: int64(root.Done), Total: int64(root.Total)})
		t := time.NewTimer(f.opt.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
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
	before := f.wire()
	if err := f.ensure(ctx, root.Manifest, "manifest"); err != nil {
		return nil, err
	}
	f.stats.ChunksTotal += len(root.Manifest)
	f.stats.ManifestBytes = f.wire() - before
	var buf bytes.Buffer
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

// chunk returns the verified plaintext of a cached chunk.
func (f *fetcher) chunk(ctx context.Context, id chunkstore.ID) ([]byte, error) {
	sealed, err := f.opt.Cache.Get(ctx, id)
	if err == nil {
		var plain []byte
		if plain, err = f.keys.Open(nil, id, sealed); err == nil {
			return plain, nil
		}
	}
	if errors.Is(err, chunkstore.ErrCorrupt) {
		f.opt.Cache.Remove(ctx, id)
		return nil, fmt.Errorf("chunk %s: %w", id, ErrCacheDamaged)
	}
	return nil, fmt.Errorf("read cached chunk %s: %w", id, err)
}
