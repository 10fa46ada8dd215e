package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"

	"synco/chunkstore"
	"synco/manifest"
)

// ErrReservedName is returned for an input named manifest.ReservedDir.
var ErrReservedName = errors.New("publish: the name " + manifest.ReservedDir + " is reserved")

func reserved(p string) bool { return manifest.IsReserved(p) }

// Dictionary training (chunkstore SPEC.md, "Dictionaries"). A store's first
// publish with at least minDictData bytes of database streams trains the store's
// dictionary before it seals them, and seals every ClassDB chunk with it (a cold
// fetch of that publication is ≈ 8 % smaller than without: bench/RESULTS.md,
// run 19). The samples are the publication's own database chunks, or pieces of
// its own database stream files: the dictionary, which travels with every
// publication, holds only what the publication it first ships with holds.
// Training is on the critical path of that first publish: 128 samples instead
// of 256 halve its time (≈ 0.9 → 0.45 s of a 20 MB database's first
// publish → fetch, bench/RESULTS.md run 20) for 0.2 % (run 19's 310 MB dump)
// to 0.3–0.9 % (run 20's 28 MB one) more bytes of the first fetch.
const (
	minDictData = 1 << 20
	dictSamples = 128 // × ≤ chunkstore.DictSampleSize: at most 2 MiB held
	// trainAt is how much database data the gate holds back, unsealed, before it
	// trains on a sample of it: the first chunks of every table stream a dump
	// runs at once.
	trainAt = 8 << 20
	// trainAhead is how much more it holds while the training runs (in a
	// goroutine of its own), so the dump goes on meanwhile instead of waiting
	// for it: at most trainAt + trainAhead bytes are ever held.
	trainAheadDefault = 24 << 20
)

var trainAhead int64 = trainAheadDefault // tests make it small

// beforeTrain, if set, is called by a training goroutine before it trains
// (tests hold the training back with it).
var beforeTrain func()

// sampler keeps a uniform random sample (reservoir) of the chunks it is shown.
type sampler struct {
	rng     *rand.Rand
	seen    int
	bytes   int64
	samples [][]byte
}

func newSampler() *sampler { return &sampler{rng: rand.New(rand.NewPCG(rand.Uint64(), 0))} }

func (s *sampler) add(c []byte) {
	s.seen++
	s.bytes += int64(len(c))
	i := len(s.samples)
	if i >= dictSamples {
		if i = s.rng.IntN(s.seen); i >= dictSamples {
			return
		}
	}
	c = bytes.Clone(c[:min(len(c), chunkstore.DictSampleSize)])
	if i == len(s.samples) {
		s.samples = append(s.samples, c)
	} else {
		s.samples[i] = c
	}
}

// A dictGate holds back the database chunks of a store's first publish until
// the store's dictionary is trained, so that they are all sealed with it. Each
// database stream's sealer holds its chunks (hold) until the gate opens. When
// trainAt bytes were held, a goroutine trains on a sample of them while the
// streams go on being held, up to trainAhead more bytes (then they wait for
// it), so the dump overlaps the training; the gate opens with the dictionary
// when it is trained.
//
// A dump that ends first — every gated stream ended and no dump will start
// another (wait, produced, leave) while the training is under way or before
// trainAt bytes came (a small database) — does not wait for the training: the
// gate opens at once without a dictionary, the publication's chunks are sealed
// without one (as a store's first publication was before bench/RESULTS.md run
// 19: ≈ 8 % more bytes on its cold fetch) and it is Ready without waiting, and
// the dictionary is trained, or its training finished, after Ready (trainLate)
// for the store's next publications. Training on too little data
// (minDictData), or a failed training, opens the gate with no dictionary: the
// chunks are sealed without, as a store's chunks were before.
type dictGate struct {
	st *State

	mu              sync.Mutex
	sampler         *sampler
	training        bool
	active, waiting int   // gated sealers, and those of them that ended
	producers       int   // dumps still running: they may start more streams
	ahead           int64 // bytes held since the training started
	open            chan struct{}
	trained         bool  // a dictionary was trained (the store has it)
	err             error // the training's failure, read once open is closed
	// late: the gate opened without a dictionary before a training was done
	// (or started); trainLate trains after Ready. A training under way then
	// keeps its dictionary in lateDict instead of giving it to the store, and
	// closes computed.
	late     bool
	lateDict []byte
	computed chan struct{} // closed when a training goroutine has its dictionary; nil: none started
	tid      int           // the training goroutine's OS thread (idleThread), until computed
}

func newDictGate(st *State, dumps int) *dictGate {
	return &dictGate{st: st, sampler: newSampler(), open: make(chan struct{}), producers: dumps}
}

// allEnded reports whether no gated stream can send more data: the gate must
// open now or never. g.mu is held.
func (g *dictGate) allEnded() bool { return g.producers == 0 && g.waiting >= g.active }

// openLate opens the gate without a dictionary for a dump that ended before it
// was trained; trainLate trains it after Ready. g.mu is held.
func (g *dictGate) openLate() {
	if g.opened() {
		return
	}
	g.late = true
	close(g.open)
	if g.tid != 0 { // the training under way is no longer awaited: it gets idle CPU only
		idle(g.tid)
	}
}

// produced is called when a dump's dumper has returned: it starts no more
// streams.
func (g *dictGate) produced() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.producers--
	if g.allEnded() { // its streams have all ended: they do not wait for a training
		g.openLate()
	}
	return nil
}

// settle makes sure no training writes to the store's state once it returns:
// a training under way keeps its dictionary for trainLate, which a build that
// failed does not call (its saving happens under g.mu, so settle waits for it).
func (g *dictGate) settle() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.openLate()
}

// opened reports whether the gate is open.
func (g *dictGate) opened() bool {
	select {
	case <-g.open:
		return true
	default:
		return false
	}
}

// join registers a new database stream's sealer; it reports false when the gate
// is already open (the sealer need not hold anything).
func (g *dictGate) join() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opened() {
		return false
	}
	g.active++
	return true
}

// preload adds samples taken before the build (pieces of database stream
// files), which stand for n bytes of data.
func (g *dictGate) preload(samples [][]byte, n int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range samples {
		g.sampler.add(c)
	}
	g.sampler.bytes = max(g.sampler.bytes, n)
}

// hold samples chunk c of a gated stream. It reports true when the gate is open
// (c and the chunks held before it are to be sealed now), possibly after waiting
// for a training under way once trainAhead bytes were held during it; false when
// c is to be held. The chunk that brings the data held to trainAt starts the
// training in a goroutine and is held.
func (g *dictGate) hold(ctx context.Context, c []byte) (bool, error) {
	g.mu.Lock()
	if g.opened() {
		g.mu.Unlock()
		return true, g.err
	}
	if g.training {
		if g.ahead+int64(len(c)) <= trainAhead {
			g.ahead += int64(len(c))
			g.mu.Unlock()
			return false, nil
		}
		g.mu.Unlock()
		return true, g.await(ctx)
	}
	g.sampler.add(c)
	if g.sampler.bytes < trainAt {
		g.mu.Unlock()
		return false, nil
	}
	g.training = true
	samples, enough := g.takeSamples()
	g.computed = make(chan struct{})
	g.mu.Unlock()
	go g.trainAsync(samples, enough)
	return false, nil
}

// wait is hold for a gated stream that ended: it returns when the gate is open,
// opening it without a dictionary if every gated stream has ended.
func (g *dictGate) wait(ctx context.Context) error {
	g.mu.Lock()
	if g.opened() {
		g.mu.Unlock()
		return g.err
	}
	g.waiting++
	if g.allEnded() {
		g.openLate()
		g.mu.Unlock()
		return nil
	}
	g.mu.Unlock()
	return g.await(ctx)
}

// leave is wait for a gated stream that failed: it no longer holds anything.
func (g *dictGate) leave() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opened() {
		return nil
	}
	g.active--
	if g.waiting > 0 && g.allEnded() {
		g.openLate() // the others have all ended: they do not wait
	}
	return nil
}

// trainNow trains on the preloaded samples before any stream is read.
func (g *dictGate) trainNow() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.training = true
	samples, enough := g.takeSamples()
	d := trainDict(samples, enough)
	g.err = g.save(d)
	close(g.open)
	return g.err
}

func (g *dictGate) await(ctx context.Context) error {
	select {
	case <-g.open:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// takeSamples hands the sample over to a training, with whether it stands for
// enough data to train on. g.mu is held.
func (g *dictGate) takeSamples() ([][]byte, bool) {
	samples, enough := g.sampler.samples, g.sampler.bytes >= minDictData
	g.sampler = nil
	return samples, enough
}

// trainAsync is the training started by trainAt bytes: it gives the store the
// dictionary and opens the gate, unless the gate opened without it meanwhile
// (late): then it keeps the dictionary for trainLate. Only a failure to save
// the dictionary is an error; it is kept for those who wait for the gate.
func (g *dictGate) trainAsync(samples [][]byte, enough bool) {
	// Locked to its thread (which ends with it), at normal priority until the
	// gate opens without it (openLate): then the destination's work comes first.
	runtime.LockOSThread()
	g.mu.Lock()
	if g.tid = threadID(); g.late {
		idle(g.tid)
	}
	g.mu.Unlock()
	if beforeTrain != nil {
		beforeTrain()
	}
	d := trainDict(samples, enough)
	g.mu.Lock()
	defer g.mu.Unlock()
	defer close(g.computed)
	g.tid = 0
	if g.late {
		g.lateDict = d
		return
	}
	g.err = g.save(d)
	close(g.open)
}

// trainDict trains a dictionary on samples that stand for enough data; nil if
// they do not, or if training fails (too little or too uniform: sealing goes
// on without).
func trainDict(samples [][]byte, enough bool) []byte {
	if !enough {
		return nil
	}
	d, err := chunkstore.BuildDict(samples)
	if err != nil {
		return nil
	}
	return d
}

// save makes d, if any, the store's dictionary.
func (g *dictGate) save(d []byte) error {
	if d == nil {
		return nil
	}
	if err := g.st.saveDict(d); err != nil {
		return fmt.Errorf("train dictionary: %w", err)
	}
	g.trained = true
	return nil
}

// isLate reports whether the gate opened without a dictionary: trainLate then
// trains one, or waits for the training under way.
func (g *dictGate) isLate() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.late
}

// trainLate is called after the publication is Ready: if the gate opened
// without a dictionary because the dump ended first, it trains the store's
// dictionary (or waits for the training under way) and saves it, for the
// store's next publications. Their new database chunks are sealed with it and
// they ship it (bench/RESULTS.md, "a small database's first sync").
func (g *dictGate) trainLate() error {
	g.mu.Lock()
	late, computed := g.late, g.computed
	var samples [][]byte
	enough := false
	if late && computed == nil && g.sampler != nil {
		samples, enough = g.takeSamples()
	}
	g.mu.Unlock()
	if !late {
		return nil
	}
	if computed == nil && enough {
		c := make(chan struct{})
		go func() {
			defer close(c)
			runtime.LockOSThread() // not unlocked: the thread ends with the goroutine
			idle(threadID())
			g.lateDict = trainDict(samples, enough)
		}()
		computed = c
	}
	if computed != nil {
		<-computed
	}
	return g.save(g.lateDict)
}

// streamPiece is the size of a sample streamSamples reads: about a database
// chunk's (the trainer's time grows with its input: 256 pieces of 16 KiB took
// 2.8× as long as of 8 KiB, for the same dictionary quality).
const streamPiece = 8 << 10

// streamSamples reads samples for the dictionary from the database stream files
// of in, before they are chunked: dictSamples pieces of streamPiece bytes
// spread evenly over all of them. A single dump file
// holds its tables one after the other (mysqldump: in name order, so often a
// cache table of random blobs first), and its first trainAt bytes would stand
// for one table only. It returns the samples and the bytes they stand for; a
// file that cannot be read is left out (its stream fails later, as without).
func streamSamples(in Inputs) ([][]byte, int64) {
	var files []*os.File
	var sizes []int64
	var total int64
	for _, sf := range in.Streams {
		if sf.Class != chunkstore.ClassDB {
			continue
		}
		f, err := os.Open(sf.Path)
		if err != nil {
			continue
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files, sizes = append(files, f), append(sizes, fi.Size())
		total += fi.Size()
	}
	if total < minDictData {
		return nil, total
	}
	var samples [][]byte
	step := total / dictSamples
	var base int64
	for i, f := range files {
		for off := (step - base%step) % step; off < sizes[i]; off += step {
			b := make([]byte, min(streamPiece, sizes[i]-off))
			n, _ := f.ReadAt(b, off)
			if n > 0 {
				samples = append(samples, b[:n])
			}
		}
		base += sizes[i]
	}
	return samples, total
}

// dictStream stores the store's dictionary as the stream that ships it.
func (b *builder) dictStream(ctx context.Context) error {
	if b.st.dict == (chunkstore.DictID{}) {
		return nil
	}
	refs, hash, n, err := b.stream(ctx, bytes.NewReader(b.st.dictBytes), chunkstore.ClassMeta, "", nil)
	if err != nil {
		return fmt.Errorf("store dictionary: %w", err)
	}
	b.total.Add(n)
	p := manifest.DictStream(b.st.dict)
	b.streams = append(b.streams, manifest.Stream{Path: p, Kind: manifest.KindFile, Class: chunkstore.ClassMeta, Mode: 0o600, Size: n, Hash: hash, Chunks: refs})
	return nil
}

// startGate sets up the dictionary gate of a store without a dictionary. A
// build of database stream files alone (no dump) trains at once on pieces
// spread over them (streamSamples); otherwise the dumps' streams are held.
func (b *builder) startGate(in Inputs) error {
	if b.st.dict != (chunkstore.DictID{}) {
		return nil
	}
	b.gate = newDictGate(b.st, len(in.Dumps))
	if len(in.Dumps) > 0 {
		return nil
	}
	samples, n := streamSamples(in)
	b.gate.preload(samples, n)
	return b.gate.trainNow() // with too little data: opens the gate without a dictionary
}
