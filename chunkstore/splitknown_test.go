package chunkstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"

	"synco/chunkstore"
)

// splitKnown returns copies of the chunks SplitKnown gives fn, checking that
// each comes with its ID.
func splitKnown(t *testing.T, s *chunkstore.Splitter, k *chunkstore.Keys, c chunkstore.Class, r io.Reader, known chunkstore.KnownChunks) [][]byte {
	t.Helper()
	var out [][]byte
	err := s.SplitKnown(t.Context(), r, c, known, k, func(b []byte, id chunkstore.ID) error {
		if id != k.ID(b) {
			t.Fatalf("chunk %d: wrong ID", len(out))
		}
		out = append(out, bytes.Clone(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// knownList is a KnownChunks.
type knownList []known

type known struct {
	id chunkstore.ID
	n  uint32
}

func (l knownList) Len() int                         { return len(l) }
func (l knownList) At(i int) (chunkstore.ID, uint32) { return l[i].id, l[i].n }

func knownOf(k *chunkstore.Keys, chunks [][]byte) knownList {
	kn := make(knownList, len(chunks))
	for i, c := range chunks {
		kn[i] = known{k.ID(c), uint32(len(c))}
	}
	return kn
}

// pipeOf returns a reader of data written to a pipe in pieces of random size.
func pipeOf(data []byte, seed uint64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		r := rand.New(rand.NewPCG(seed, 1))
		for len(data) > 0 {
			n := min(len(data), 1+r.IntN(300<<10))
			if _, err := pw.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
		}
		pw.Close()
	}()
	return pr
}

// TestSplitKnownExact: SplitKnown gives exactly Split's chunks, whatever the
// stream's last version was: the same, edited in places, shorter, longer,
// reordered, unrelated, empty; with a chunk list that lies about lengths or
// IDs; through readers that return little at a time.
func TestSplitKnownExact(t *testing.T) {
	s, k := testSplitter(), testKeys()
	base := sqlDump(3, 3*seg+12_345)
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(base)) }
	versions := map[string][]byte{
		"same": base,
		"edited": edit(func(b []byte) []byte {
			for _, at := range []int{100, 70_000, seg, 2*seg + 5, len(b) - 10} {
				b[at] ^= 0x20
			}
			return b
		}),
		"inserted":  slices.Insert(bytes.Clone(base), seg/2, []byte("INSERT INTO t VALUES (1,'new row');\n")...),
		"deleted":   slices.Delete(bytes.Clone(base), seg, seg+30_000),
		"truncated": base[:2*seg+777],
		"extended":  append(bytes.Clone(base), sqlDump(4, seg/3)...),
		"prefixed":  append([]byte("-- a new first line\n"), base...),
		"reordered": append(bytes.Clone(base[len(base)/2:]), base[:len(base)/2]...),
		"unrelated": randBytes(5, 2*seg),
		"zeros":     make([]byte, seg+99),
		"tiny":      base[:700],
		"empty":     nil,
	}
	knowns := map[string]func(chunks [][]byte) knownList{
		"true": func(chunks [][]byte) knownList { return knownOf(k, chunks) },
		"lengths off by one": func(chunks [][]byte) knownList {
			kn := knownOf(k, chunks)
			for i := range kn {
				kn[i].n++
			}
			return kn
		},
		"wrong IDs": func(chunks [][]byte) knownList {
			kn := knownOf(k, chunks)
			for i := range kn {
				kn[i].id[0] ^= 1
			}
			return kn
		},
		"zero and huge lengths": func(chunks [][]byte) knownList {
			kn := knownOf(k, chunks)
			for i := range kn {
				kn[i].n = uint32(i%2) * (1 << 31)
			}
			return kn
		},
	}
	for _, c := range classes {
		baseChunks := split(s, c, base)
		for kname, kf := range knowns {
			known := kf(baseChunks)
			for vname, v := range versions {
				t.Run(fmt.Sprintf("%s/%s/%s", c, kname, vname), func(t *testing.T) {
					want := split(s, c, v)
					readers := map[string]io.Reader{
						"bytes": bytes.NewReader(v),
						"half":  iotest.HalfReader(bytes.NewReader(v)),
						"pipe":  pipeOf(v, uint64(len(v))),
					}
					for rname, r := range readers {
						if got := splitKnown(t, s, k, c, r, known); !equalChunks(got, want) {
							t.Errorf("%s reader: %d chunks, Split %d; not the same", rname, len(got), len(want))
						}
					}
				})
			}
		}
	}
}

// TestSplitKnownTakesKnownChunks: where the stream repeats its known chunks,
// they are taken whole, not cut again. Known chunks cut with another
// polynomial show it: the chunker would cut elsewhere.
func TestSplitKnownTakesKnownChunks(t *testing.T) {
	s, k := testSplitter(), testKeys()
	pol, err := chunkstore.DerivePolynomial([32]byte{77})
	if err != nil {
		t.Fatal(err)
	}
	other := chunkstore.NewSplitter(pol)
	data := sqlDump(6, 2*seg)
	theirs := split(other, chunkstore.ClassDB, data)
	if equalChunks(theirs, split(s, chunkstore.ClassDB, data)) {
		t.Fatal("both polynomials cut alike: the test shows nothing")
	}
	got := splitKnown(t, s, k, chunkstore.ClassDB, pipeOf(data, 3), knownOf(k, theirs))
	// All but the last known chunk, which the stream's end may have cut.
	n := len(theirs) - 1
	if len(got) < n || !equalChunks(got[:n], theirs[:n]) {
		t.Errorf("the known chunks were not taken whole")
	}
	if !bytes.Equal(bytes.Join(got, nil), data) {
		t.Error("chunks do not make up the stream")
	}
}

func TestSplitKnownErrors(t *testing.T) {
	s, k := testSplitter(), testKeys()
	data := sqlDump(8, seg)
	known := knownOf(k, split(s, chunkstore.ClassDB, data))
	boom := errors.New("boom")

	// A read error after some bytes: the chunks before it, then the error.
	r := io.MultiReader(bytes.NewReader(data[:seg/2]), iotest.ErrReader(boom))
	var n int
	err := s.SplitKnown(t.Context(), r, chunkstore.ClassDB, known, k, func(b []byte, _ chunkstore.ID) error {
		n += len(b)
		return nil
	})
	if !errors.Is(err, boom) || n == 0 || n > seg/2 {
		t.Errorf("read error: %v after %d bytes", err, n)
	}

	// fn's error, unchanged.
	err = s.SplitKnown(t.Context(), bytes.NewReader(data), chunkstore.ClassDB, known, k, func([]byte, chunkstore.ID) error { return boom })
	if err != boom {
		t.Errorf("fn error: %v", err)
	}

	// A cancelled context.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = s.SplitKnown(ctx, bytes.NewReader(data), chunkstore.ClassDB, known, k, func([]byte, chunkstore.ID) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	// An unknown class.
	if err := s.SplitKnown(t.Context(), bytes.NewReader(data), 99, known, k, func([]byte, chunkstore.ID) error { return nil }); err == nil {
		t.Error("unknown class: no error")
	}
}

// BenchmarkSplitKnown: 32 MiB of SQL, split by its chunk list (same), with a
// row edited in one chunk of 20 (edited), and by Split.
func BenchmarkSplitKnown(b *testing.B) {
	data, _ := benchData()
	s, k := testSplitter(), testKeys()
	chunks := split(s, chunkstore.ClassDB, data)
	known := knownOf(k, chunks)
	edited := bytes.Clone(data)
	for off, i := 0, 0; i < len(chunks); i++ {
		if i%20 == 10 {
			edited[off+len(chunks[i])/2] ^= 0x20
		}
		off += len(chunks[i])
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"same", data}, {"edited", edited}} {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				err := s.SplitKnown(b.Context(), bytes.NewReader(in.data), chunkstore.ClassDB, known, k, func([]byte, chunkstore.ID) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("split+id", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			err := s.Split(b.Context(), bytes.NewReader(edited), chunkstore.ClassDB, func(c []byte) error { k.ID(c); return nil })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
