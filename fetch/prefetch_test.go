package fetch

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"synco/manifest"
)

// rangeLog is a Remote that serves zeros and records the packs it was asked for.
type rangeLog struct {
	mu    sync.Mutex
	packs []string
}

func (r *rangeLog) Root(context.Context) ([]byte, error) { return nil, io.EOF }

func (r *rangeLog) Range(_ context.Context, pack string, _, n int64) (io.ReadCloser, error) {
	r.mu.Lock()
	r.packs = append(r.packs, pack)
	r.mu.Unlock()
	return io.NopCloser(io.LimitReader(zeros{}, n)), nil
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// A root may list a finished pack of any size; one larger than a pack can be
// is not downloaded ahead (its bytes would be written before anything checks
// them), the others are.
func TestPrefetchRefusesOversizedPacks(t *testing.T) {
	below := &rangeLog{}
	p, err := newPrefetcher(t.TempDir(), below)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	p.add([]manifest.FinishedPack{
		{Name: "huge", Size: 1 << 40},
		{Name: "big", Size: maxAheadPack + 1},
		{Name: "fine", Size: 4096},
	})
	p.wg.Wait()
	if got := strings.Join(below.packs, ","); got != "fine" {
		t.Fatalf("downloaded ahead %q, want only fine", got)
	}
	if p.bytes.Load() != 4096 {
		t.Fatalf("%d bytes downloaded ahead, want 4096", p.bytes.Load())
	}
}
