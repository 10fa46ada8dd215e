package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"synco/chunkstore"
	"synco/manifest"
)

// ErrReservedName is returned for an input named manifest.ReservedDir.
var ErrReservedName = errors.New("publish: the name " + manifest.ReservedDir + " is reserved")

func reserved(p string) bool { return manifest.IsReserved(p) }

// Dictionary training (chunkstore SPEC.md, "Dictionaries"): after the first publish
// with at least minDictData bytes of database streams, TrainDict trains the store's
// dictionary on a uniform sample of dictSamples of their chunks; later publishes
// seal ClassDB chunks with it.
const (
	minDictData = 1 << 20
	dictSamples = 256 // × ≤ chunkstore.DictSampleSize: at most 4 MiB held
)

// sampler keeps a uniform random sample (reservoir) of the chunks it is shown.
type sampler struct {
	mu      sync.Mutex
	rng     *rand.Rand
	seen    int
	bytes   int64
	samples [][]byte
}

func newSampler() *sampler { return &sampler{rng: rand.New(rand.NewPCG(rand.Uint64(), 0))} }

func (s *sampler) add(c []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
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

// keepSamples hands the sampled database chunks to the state for TrainDict if the
// store has no dictionary yet and this run saw enough database data.
func (b *builder) keepSamples() {
	if b.st.dict == (chunkstore.DictID{}) && b.sampler.bytes >= minDictData {
		b.st.pending = b.sampler.samples
	}
	b.sampler.samples = nil
}

// TrainDict gives the store its dictionary from the database chunks the last Build
// sampled, if the store has none and that Build saw enough database data; it
// reports whether it trained one. Build leaves this to the caller so that training
// (≈1 s, once per store) does not delay the publication: call it once the
// publication is Ready. The next publishes seal new database chunks with it and
// ship it (64 KiB, once) to the destination. A failed training is not an error:
// sealing goes on without a dictionary.
func (s *State) TrainDict() (bool, error) {
	samples := s.pending
	s.pending = nil
	if s.dict != (chunkstore.DictID{}) || samples == nil {
		return false, nil
	}
	d, err := chunkstore.BuildDict(samples)
	if err != nil {
		return false, nil
	}
	if err := s.saveDict(d); err != nil {
		return false, fmt.Errorf("train dictionary: %w", err)
	}
	return true, nil
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
	p := manifest.DictStream(b.st.dict)
	b.streams = append(b.streams, manifest.Stream{Path: p, Kind: manifest.KindFile, Class: chunkstore.ClassMeta, Mode: 0o600, Size: n, Hash: hash, Chunks: refs})
	return nil
}
