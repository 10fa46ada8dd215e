package chunkstore_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"synco/chunkstore"
)

var classes = []chunkstore.Class{chunkstore.ClassDB, chunkstore.ClassMeta, chunkstore.ClassFile}

// benchData is 32 MiB of SQL and its chunks per class.
var benchData = sync.OnceValues(func() ([]byte, map[chunkstore.Class][][]byte) {
	data := sqlDump(1, 32<<20)
	chunks := make(map[chunkstore.Class][][]byte)
	for _, c := range classes {
		chunks[c] = split(testSplitter(), c, data)
	}
	return data, chunks
})

func testSplitter() *chunkstore.Splitter {
	pol, err := chunkstore.DerivePolynomial([32]byte{1})
	if err != nil {
		panic(err)
	}
	return chunkstore.NewSplitter(pol)
}

func testKeys() *chunkstore.Keys { return chunkstore.NewKeys([32]byte{2}) }

// split returns copies of data's chunks.
func split(s *chunkstore.Splitter, c chunkstore.Class, data []byte) [][]byte {
	var out [][]byte
	err := s.Split(context.Background(), bytes.NewReader(data), c, func(b []byte) error {
		out = append(out, bytes.Clone(b))
		return nil
	})
	if err != nil {
		panic(err)
	}
	return out
}

func BenchmarkSplit(b *testing.B) {
	data, _ := benchData()
	s := testSplitter()
	for _, c := range classes {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				err := s.Split(b.Context(), bytes.NewReader(data), c, func([]byte) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkID(b *testing.B) {
	data, chunks := benchData()
	k := testKeys()
	for _, c := range classes {
		b.Run(c.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for _, ch := range chunks[c] {
					k.ID(ch)
				}
			}
		})
	}
}

// BenchmarkSeal seals each class's chunks of benchData; "db-dict" seals the
// ClassDB chunks with a dictionary trained on other SQL (another seed), and
// "file-random" seals 8 MiB of incompressible bytes in ClassFile-sized chunks
// (the cost of trying to compress JPEGs).
func BenchmarkSeal(b *testing.B) {
	_, chunks := benchData()
	k := testKeys()
	did := benchDict(b, k)
	random := randBytes(3, 8<<20)
	type bench struct {
		name   string
		chunks [][]byte
		dict   chunkstore.DictID
	}
	var benches []bench
	for _, c := range classes {
		benches = append(benches, bench{c.String(), chunks[c], chunkstore.DictID{}})
	}
	benches = append(benches,
		bench{"db-dict", chunks[chunkstore.ClassDB], did},
		bench{"file-random", split(testSplitter(), chunkstore.ClassFile, random), chunkstore.DictID{}})
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			var buf []byte
			sealed, n := 0, 0
			for _, ch := range bc.chunks {
				n += len(ch)
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				sealed = 0
				for _, ch := range bc.chunks {
					buf = k.SealWith(buf[:0], chunkstore.ID{}, ch, bc.dict)
					sealed += len(buf)
				}
			}
			b.ReportMetric(float64(n)/float64(sealed), "ratio")
		})
	}
}

// benchDict registers with k a dictionary trained on every 16th ClassDB chunk
// of benchData (2 MiB), as a store trains on its first dump.
func benchDict(b *testing.B, k *chunkstore.Keys) chunkstore.DictID {
	_, chunks := benchData()
	var samples [][]byte
	for i := 0; i < len(chunks[chunkstore.ClassDB]); i += 16 {
		samples = append(samples, chunks[chunkstore.ClassDB][i])
	}
	d, err := chunkstore.BuildDict(samples)
	if err != nil {
		b.Fatal(err)
	}
	id, err := k.AddDict(d)
	if err != nil {
		b.Fatal(err)
	}
	return id
}

func BenchmarkOpen(b *testing.B) {
	data, chunks := benchData()
	k := testKeys()
	did := benchDict(b, k)
	for _, name := range []string{"db", "meta", "file", "db-dict"} {
		c, dict := chunkstore.ClassDB, chunkstore.DictID{}
		switch name {
		case "meta":
			c = chunkstore.ClassMeta
		case "file":
			c = chunkstore.ClassFile
		case "db-dict":
			dict = did
		}
		b.Run(name, func(b *testing.B) {
			var ids []chunkstore.ID
			var sealed [][]byte
			for _, ch := range chunks[c] {
				id := k.ID(ch)
				ids = append(ids, id)
				sealed = append(sealed, k.SealWith(nil, id, ch, dict))
			}
			var buf []byte
			var err error
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for i, s := range sealed {
					if buf, err = k.Open(buf[:0], ids[i], s); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkZstdLevel measures the choice of chunkstore's zstd level: speed
// (MB/s of plaintext) and ratio per level on each class's chunks of SQL.
func BenchmarkZstdLevel(b *testing.B) {
	data, chunks := benchData()
	for _, lvl := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(lvl), zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1))
		if err != nil {
			b.Fatal(err)
		}
		dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		for _, c := range classes {
			name := fmt.Sprintf("%s/%s", lvl, c)
			var comp [][]byte
			b.Run(name+"/encode", func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					comp = comp[:0]
					n := 0
					for _, ch := range chunks[c] {
						out := enc.EncodeAll(ch, nil)
						comp = append(comp, out)
						n += len(out)
					}
					b.ReportMetric(float64(len(data))/float64(n), "ratio")
				}
			})
			b.Run(name+"/decode", func(b *testing.B) {
				var buf []byte
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					for _, cb := range comp {
						if buf, err = dec.DecodeAll(cb, buf[:0]); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
