package chunkstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/iotest"

	"synco/chunkstore"
)

const seg = 1 << 20 // chunkstore's splitSegment

func splitPar(t *testing.T, s *chunkstore.Splitter, c chunkstore.Class, r io.Reader, n int) [][]byte {
	t.Helper()
	var chunks [][]byte
	err := s.SplitParallel(t.Context(), r, c, n, func(b []byte) error {
		chunks = append(chunks, bytes.Clone(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return chunks
}

// TestSplitParallelExact: the parallel splitter gives exactly Split's chunks, for
// every class, on data whose cuts are content-defined (SQL, random), on data with
// no content-defined cut at all (zeros: every chunk is Max long, so a segment's
// fresh chunker agrees with the stream's only by chance), at sizes around
// segment boundaries, and with readers that return little at a time.
func TestSplitParallelExact(t *testing.T) {
	s := testSplitter()
	sql := sqlDump(7, 3*seg+123_457)
	rnd := randBytes(8, 3*seg+54_321)
	zero := make([]byte, 3*seg+999)
	mixed := append(append(bytes.Clone(sql[:seg+77]), zero[:seg/2]...), rnd[:2*seg]...)
	type input struct {
		name string
		data []byte
	}
	periodic := bytes.Repeat(randBytes(9, 4099), 3*seg/4099+7) // cuts repeat with the data, out of phase with segments
	inputs := []input{{"sql", sql}, {"random", rnd}, {"zeros", zero}, {"mixed", mixed}, {"periodic", periodic}}
	for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 2*seg - 1, 2 * seg, 2*seg + 1} {
		inputs = append(inputs, input{fmt.Sprintf("sql-%d", n), sql[:n]})
	}
	for _, c := range classes {
		for _, in := range inputs {
			t.Run(fmt.Sprintf("%s/%s", c, in.name), func(t *testing.T) {
				want := split(s, c, in.data)
				for _, n := range []int{2, 3, 8} {
					// A reader that cannot tell its size: short streams take the parallel path too.
					got := splitPar(t, s, c, struct{ io.Reader }{bytes.NewReader(in.data)}, n)
					if !equalChunks(got, want) {
						t.Fatalf("n=%d: %d chunks, Split gives %d (or they differ)", n, len(got), len(want))
					}
				}
				if got := splitPar(t, s, c, bytes.NewReader(in.data), 2); !equalChunks(got, want) {
					t.Fatalf("bytes.Reader: %d chunks, Split gives %d (or they differ)", len(got), len(want))
				}
				got := splitPar(t, s, c, iotest.HalfReader(bytes.NewReader(in.data)), 2)
				if !equalChunks(got, want) {
					t.Fatalf("half reader: %d chunks, Split gives %d (or they differ)", len(got), len(want))
				}
			})
		}
	}
}

func equalChunks(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestSplitParallelErrors(t *testing.T) {
	s := testSplitter()
	data := sqlDump(9, 4*seg)
	nop := func([]byte) error { return nil }

	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := s.SplitParallel(ctx, bytes.NewReader(data), chunkstore.ClassDB, 2, func([]byte) error {
		if calls++; calls == 200 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 200 {
		t.Errorf("cancelled after 200 chunks: %v after %d chunks", err, calls)
	}

	stop := errors.New("stop")
	calls = 0
	err = s.SplitParallel(t.Context(), bytes.NewReader(data), chunkstore.ClassDB, 2, func([]byte) error {
		if calls++; calls == 300 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 300 {
		t.Errorf("fn error: got %v after %d calls, want it unchanged after 300", err, calls)
	}

	boom := errors.New("boom")
	for _, at := range []int{seg / 2, seg, 2*seg + 5} {
		r := io.MultiReader(bytes.NewReader(data[:at]), iotest.ErrReader(boom))
		if err := s.SplitParallel(t.Context(), r, chunkstore.ClassDB, 2, nop); !errors.Is(err, boom) {
			t.Errorf("read error after %d bytes: %v", at, err)
		}
	}
	if err := s.SplitParallel(t.Context(), bytes.NewReader(data), chunkstore.Class(9), 2, nop); err == nil {
		t.Error("unknown class: no error")
	}
}

// TestSplitParallelBounded: on a long run of zeros out of phase with the
// segments (no join until it ends), the splitter reuses a few segment buffers
// instead of holding every segment it passed.
func TestSplitParallelBounded(t *testing.T) {
	s := testSplitter()
	const n = 64 * seg
	head := randBytes(3, 100_003) // cuts in it put the zeros out of phase with the segments
	r := io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, n))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	chunks := 0
	if err := s.SplitParallel(t.Context(), r, chunkstore.ClassFile, 2, func([]byte) error { chunks++; return nil }); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("split %d MiB of zeros allocating %d MiB", n/seg, alloc/seg)
	if alloc > n/2 { // holding every segment allocates all n
		t.Errorf("split %d MiB of zeros allocating %d MiB", n/seg, alloc/seg)
	}
	if want := len(split(s, chunkstore.ClassFile, append(head, make([]byte, n)...))); chunks != want {
		t.Errorf("%d chunks, Split gives %d", chunks, want)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestSizeOf: SplitParallel splits short files and buffers serially, which needs
// their remaining size; a pipe cannot tell.
func TestSizeOf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(1000, io.SeekStart)
	pr, pw := io.Pipe()
	defer pw.Close()
	br := bytes.NewReader(make([]byte, 300))
	br.Seek(100, io.SeekStart)
	for _, c := range []struct {
		name string
		r    io.Reader
		size int64
		ok   bool
	}{
		{"file after 1000 of 5000 bytes", f, 4000, true},
		{"bytes.Reader after 100 of 300 bytes", br, 200, true},
		{"pipe", pr, 0, false},
		{"reader", struct{ io.Reader }{br}, 0, false},
	} {
		if size, ok := chunkstore.SizeOf(c.r); size != c.size || ok != c.ok {
			t.Errorf("%s: %d, %v; want %d, %v", c.name, size, ok, c.size, c.ok)
		}
	}
}
