package chunkstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"

	"synco/chunkstore"
)

func TestDerivePolynomial(t *testing.T) {
	a, err := chunkstore.DerivePolynomial([32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := chunkstore.DerivePolynomial([32]byte{1})
	b, _ := chunkstore.DerivePolynomial([32]byte{2})
	if a != again || a == b {
		t.Errorf("polynomials %v, %v, %v: want deterministic and secret-dependent", a, again, b)
	}
	if !a.Irreducible() || a.Deg() != 53 {
		t.Errorf("polynomial %v: degree %d, irreducible %v", a, a.Deg(), a.Irreducible())
	}
}

func TestParams(t *testing.T) {
	for _, c := range classes {
		p := c.Params()
		if p.Min < 64 || p.Min >= p.Max || p.Max > chunkstore.MaxChunkSize || p.AvgBits < 10 {
			t.Errorf("%s: bad params %+v", c, p)
		}
	}
	if p := chunkstore.Class(0).Params(); p != (chunkstore.Params{}) {
		t.Errorf("unknown class params %+v", p)
	}
}

func TestSplitBoundaries(t *testing.T) {
	s := testSplitter()
	for _, c := range classes {
		p := c.Params()
		for _, n := range []int{0, 1, int(p.Min) - 1, int(p.Min), int(p.Min) + 1, int(p.Max), int(p.Max) + 1} {
			t.Run(fmt.Sprintf("%s/%d", c, n), func(t *testing.T) {
				data := randBytes(uint64(n), n)
				chunks := split(s, c, data)
				if got := bytes.Join(chunks, nil); !bytes.Equal(got, data) {
					t.Fatalf("chunks do not concatenate to the input (%d of %d bytes)", len(got), n)
				}
				switch {
				case n == 0 && len(chunks) != 0:
					t.Fatalf("%d chunks for an empty stream", len(chunks))
				case n > 0 && n <= int(p.Min) && len(chunks) != 1:
					t.Fatalf("%d chunks for a stream of %d <= Min bytes", len(chunks), n)
				case n > int(p.Max) && len(chunks) < 2:
					t.Fatalf("%d chunk for a stream of %d > Max bytes", len(chunks), n)
				}
				for i, ch := range chunks {
					if len(ch) > int(p.Max) || i < len(chunks)-1 && len(ch) < int(p.Min) {
						t.Errorf("chunk %d of %d: %d bytes outside [%d, %d]", i, len(chunks), len(ch), p.Min, p.Max)
					}
				}
			})
		}
	}
}

func TestSplitDeterministic(t *testing.T) {
	data := sqlDump(3, 1<<20)
	a := split(testSplitter(), chunkstore.ClassDB, data)
	b := split(testSplitter(), chunkstore.ClassDB, data)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d chunks", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("chunk %d differs", i)
		}
	}
	pol, _ := chunkstore.DerivePolynomial([32]byte{7})
	if other := split(chunkstore.NewSplitter(pol), chunkstore.ClassDB, data); len(other) > 1 && bytes.Equal(other[0], a[0]) {
		t.Error("another polynomial cuts the same first chunk")
	}
}

// TestSplitShift checks that a small edit early in a stream leaves later
// chunks unchanged, and that DB chunks are of the size DESIGN §3 asks for.
func TestSplitShift(t *testing.T) {
	s, k := testSplitter(), testKeys()
	data := sqlDump(4, 4<<20)
	for _, c := range classes {
		t.Run(c.String(), func(t *testing.T) {
			orig := split(s, c, data)
			if c == chunkstore.ClassDB {
				if avg := len(data) / len(orig); avg < 4<<10 || avg > 16<<10 {
					t.Errorf("DB mean chunk size %d, want 4–16 KiB", avg)
				}
			}
			if len(orig) < 4 {
				t.Skipf("%d chunks: stream too short to measure", len(orig))
			}
			seen := make(map[chunkstore.ID]bool)
			for _, ch := range orig {
				seen[k.ID(ch)] = true
			}
			edited := bytes.Clone(data[:1000])
			edited = append(edited, 'X')
			edited = append(edited, data[1000:]...)
			got := split(s, c, edited)
			same := 0
			for _, ch := range got {
				if seen[k.ID(ch)] {
					same++
				}
			}
			if same < len(got)-2 {
				t.Errorf("%d of %d chunks unchanged after a 1-byte insert; want all but 2", same, len(got))
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	s := testSplitter()
	data := randBytes(1, 100<<10)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Split(ctx, bytes.NewReader(data), chunkstore.ClassDB, func([]byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	n := 0
	err := s.Split(ctx, bytes.NewReader(data), chunkstore.ClassDB, func([]byte) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("cancelled after 2 chunks: %v after %d chunks", err, n)
	}

	stop := errors.New("stop")
	if err := s.Split(t.Context(), bytes.NewReader(data), chunkstore.ClassDB, func([]byte) error { return stop }); err != stop {
		t.Errorf("fn error: got %v, want it unchanged", err)
	}

	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom))
	if err := s.Split(t.Context(), r, chunkstore.ClassDB, func([]byte) error { return nil }); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}

	if err := s.Split(t.Context(), bytes.NewReader(data), chunkstore.Class(9), func([]byte) error { return nil }); err == nil {
		t.Error("unknown class: no error")
	}
}

// TestSplitReuse interleaves classes on one Splitter: pooled state must not
// leak between calls.
func TestSplitReuse(t *testing.T) {
	s := testSplitter()
	data := sqlDump(5, 600<<10)
	want := map[chunkstore.Class]int{}
	for _, c := range classes {
		want[c] = len(split(testSplitter(), c, data))
	}
	for range 3 {
		for _, c := range classes {
			if got := len(split(s, c, data)); got != want[c] {
				t.Errorf("%s: %d chunks, want %d", c, got, want[c])
			}
		}
	}
}
