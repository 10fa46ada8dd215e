package publish

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/manifest"
)

// FileSet publishes the tree under Dir as <Name>/… .
type FileSet struct {
	Name, Dir string
	// Skip, if set, leaves out the regular files for which it returns true (rel is the
	// slash path below Dir), e.g. derived files the application regenerates.
	Skip func(rel string) bool
	// Public, if set, returns the public URL of a file the application already
	// serves: it is published as a remote file (the destination downloads it from
	// there and checks it against the signed hash) instead of as chunks.
	Public func(rel string) (url string, ok bool)
}

// StreamFile publishes the single file Path as Name.
type StreamFile struct {
	Name, Path string
	Class      chunkstore.Class
}

// Dump publishes the streams a database dumper writes, under Prefix/, plus a marker
// stream Prefix/dump.json that tells the destination which importer the streams
// are for and whether personal data was scrubbed:
//
//	{"engine": Engine, "format": 1, "scrub": "on"|"off", "scrubbed": ["TABLE.COLUMN=RULE", …]}
//
// ("scrub" and "scrubbed" are left out when Scrub is nil). The marker is written
// after Run, so it lists what the dump really scrubbed.
type Dump struct {
	Prefix string
	Engine string // "mysql" or "postgres"
	Run    func(ctx context.Context, sink dumpers.Sink) error
	// Scrub, if set, is called after Run: whether the dump was scrubbed and which
	// columns by which rule.
	Scrub func() (on bool, scrubbed []string)
	// Lacks, if set, is called after Run: what of the source the dump left
	// out (dumpers.Options.Left), for the destination to say.
	Lacks func() []string
}

// Inputs say what a publication contains.
type Inputs struct {
	FileSets []FileSet
	Streams  []StreamFile
	Dumps    []Dump
}

// Progress is reported while building; Total is 0 while unknown.
type Progress struct {
	Phase       string
	Done, Total uint64
}

// PhaseDict is the phase Build reports after Ready while it trains the store's
// compression dictionary for its next publications (the dump of a first
// publication ended before the dictionary was trained: a small database).
// Build returns when that is done, whatever ctx does.
const PhaseDict = "training the dictionary for the next publish"

// Result summarises a build.
type Result struct {
	Streams     int                   // files, directories and dump streams
	Bytes       uint64                // plaintext bytes published
	Chunks      int                   // distinct chunks referenced
	NewChunks   int64                 // distinct chunks sealed in this run, manifest included (the rest were in the store)
	Reused      int                   // files taken from the stat cache without reading them
	Splices     int                   // new chunks also stored as a splice of the chunk they replaced
	DictTrained bool                  // the store's dictionary was trained by this build: before its first seal (its database chunks are sealed with it), or after Ready when the dump ended first (DictSealed false)
	DictSealed  bool                  // this build's new database chunks are sealed with the store's dictionary
	Left        int                   // files left out by a FileSet's Skip
	Remote      int                   // files published by their public URL
	Skipped     []string              // source entries left out (symlinks, devices, sockets, files deleted while publishing)
	Pruned      chunkstore.PruneStats // what the store dropped from earlier runs
	Ready       time.Time             // when the publication turned Ready (the state was saved after it)
	// StateErr is a failure to save what the next publish reuses (stat cache,
	// database chunk list). The publication is Ready and complete all the same;
	// the next publish only re-reads more and publishes fewer splices.
	StateErr error
}

// reportEvery is how often a build reports its progress (and lists the packs
// it filled since, if any were not reported at once).
var reportEvery = 500 * time.Millisecond

// Build reads the inputs, chunks and seals what the store lacks, writes the manifest
// and makes pub Ready, then saves what the next publish reuses (a failure there is
// Result.StateErr, not an error). workers bounds the goroutines that read and seal
// (<1: 2). progress may be nil. On error pub is left as it was; the caller decides
// whether to mark it Failed.
func Build(ctx context.Context, pub *Publication, in Inputs, workers int, progress func(Progress)) (*Result, error) {
	if workers < 1 {
		workers = 2
	}
	b := &builder{
		st:       pub.state,
		sem:      make(chan struct{}, 2*workers),
		cacheOut: map[string]statEntry{},
		lastRefs: lastRefs(pub.state.cache),
		lastDB:   lastDBRefs(pub.state.cache),
		dbChunks: baseLog{dir: pub.state.dir},
		res:      &Result{},
	}
	defer b.dbChunks.close()
	pub.state.useBases()
	if err := b.startGate(in); err != nil {
		return nil, err
	}
	b.dumping.Store(int32(len(in.Dumps)))
	report := func(phase string) {
		done, total := b.done.Load(), b.total.Load()
		if b.dumping.Load() > 0 {
			total = 0 // a dump's size is known when it ends: the total so far is the files'
		}
		if progress != nil {
			progress(Progress{phase, done, total})
		}
		pub.progress(phase, done, total)
	}
	report("scanning")
	files, ids, err := b.scan(in)
	if err != nil {
		return nil, err
	}
	stop, ticking := make(chan struct{}), make(chan struct{})
	filled := make(chan struct{}, 1)
	go func() {
		defer close(ticking)
		t := time.NewTicker(reportEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			case <-filled:
			}
			report("reading")
		}
	}()

	// Packs filled from now on are served and listed while the build goes on
	// (Publication.serveEarly); the last one, filled or not, waits for Ready.
	// A filled pack is reported at once, not at the next tick: a destination
	// downloading ahead has nothing else to do (the first pack of a day-2
	// publish waited 0.46 s for its tick).
	b.st.packs.OnFull(func(name, path string, size int64) {
		pub.packFull(name, path, size)
		select {
		case filled <- struct{}{}:
		default: // a report is due already
		}
	})
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers + len(in.Dumps))
	for _, d := range in.Dumps {
		g.Go(func() error { return b.dump(gctx, d) })
	}
	// The files go to workers goroutines that take the next one in turn, not a
	// goroutine each: each new one grew its stack twice, 6.5 % of the CPU of a
	// publish of 100,000 small files (bench/RESULTS.md, small files, pass 2).
	var next atomic.Int64
	for range min(workers, len(files)) {
		g.Go(func() error {
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				if err := b.file(gctx, &files[i], ids[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = g.Wait()
	b.st.packs.OnFull(nil)
	if b.gate != nil {
		b.gate.settle()
	}
	close(stop)
	<-ticking // no progress report may follow the Ready root
	if err != nil {
		return nil, err
	}
	// The files' streams become the manifest's without a copy (the finish
	// sorts them all).
	files = slices.DeleteFunc(files, func(f manifest.Stream) bool { return b.vanished[f.Path] })
	b.streams = append(files, b.streams...)
	b.res.DictTrained = b.gate != nil && b.gate.trained
	b.res.DictSealed = b.st.dict != (chunkstore.DictID{})
	if err := b.dictStream(ctx); err != nil {
		return nil, err
	}
	report("writing manifest")
	root, packs, err := b.finish(ctx)
	if err != nil {
		return nil, err
	}
	b.res.NewChunks = b.newChunks.Load()
	if err := pub.ready(root, packs); err != nil {
		return nil, err
	}
	b.res.Ready = time.Now()
	if err := b.st.saveCache(b.cacheOut); err != nil {
		b.res.StateErr = fmt.Errorf("save stat cache: %w", err)
	}
	if err := b.st.saveBases(&b.dbChunks, b.carried()); err != nil && b.res.StateErr == nil {
		b.res.StateErr = fmt.Errorf("save database chunk lists: %w", err)
	}
	if b.gate != nil { // a dump that ended before the dictionary was trained: train it now
		if b.gate.isLate() && progress != nil {
			total := b.total.Load() // all published
			progress(Progress{PhaseDict, total, total})
		}
		if err := b.gate.trainLate(); err != nil && b.res.StateErr == nil {
			b.res.StateErr = err
		}
		b.res.DictTrained = b.gate.trained
	}
	for _, s := range b.streams {
		if !reserved(s.Path) {
			b.res.Streams++
		}
	}
	return b.res, nil
}

type builder struct {
	st          *State
	sem         chan struct{} // bounds the chunks being sealed at once: 2 per worker (measured: CPU use 150 → 177 % on 2 cores, with the pools)
	done, total atomic.Uint64
	dumping     atomic.Int32 // dumps still running
	newChunks   atomic.Int64 // chunks put in this run (Result.NewChunks)

	streamSrc map[string]string // a stream's manifest path → its source file
	fileSets  []FileSet         // the sources of the other files (source)
	mu        sync.Mutex
	streams   []manifest.Stream
	cacheOut  map[string]statEntry
	lastRefs  map[string][]manifest.Ref // published path → its chunks in the last run (from the stat cache)
	lastDB    map[string][]manifest.Ref // the same for ClassDB streams only: what SplitKnown may split by
	variants  []manifest.Variant        // splices put in this run (guarded by mu)
	dbChunks  baseLog                   // this run's database chunks, the next run's bases
	vanished  map[string]bool           // files deleted between scan and read (guarded by mu)
	res       *Result
	gate      *dictGate // a store's first publish: database chunks wait for the dictionary; nil: the store has one
}

// lastDBRefs indexes the ClassDB streams of the stat cache of the last run (dump
// streams and --stream files) by published path: their chunk lists were cut with
// ClassDB's parameters, which chunkstore.SplitKnown relies on.
func lastDBRefs(cache map[string]statEntry) map[string][]manifest.Ref {
	m := map[string][]manifest.Ref{}
	for _, e := range cache {
		if e.Path != "" && e.Class == chunkstore.ClassDB {
			m[e.Path] = e.Refs
		}
	}
	return m
}

// carried returns the chunks of the database streams, if this publish took
// some file from the stat cache without reading it (State.saveBases), else nil.
func (b *builder) carried() *idSet {
	if b.res.Reused == 0 {
		return nil
	}
	var ids []chunkstore.ID
	for _, s := range b.streams {
		if s.Class == chunkstore.ClassDB {
			for _, c := range s.Chunks {
				ids = append(ids, c.ID)
			}
		}
	}
	return newIDSet(ids)
}
