// Command deltachunk measures what delta forms of changed chunks save on a
// day-1/day-2 pair of an SQL dump (bench/gen): each day-2 ClassDB chunk that day
// 1 lacks is sealed as a chunk (chunkstore.Keys.SealWith, with a dictionary
// trained on day-1 chunks as publish does), as a splice of the day-1 chunk it
// replaced (chunkstore.Keys.SealSplice, what synco publishes), and compressed
// with that chunk as a raw zstd dictionary (an alternative synco does not use).
// The replaced chunk is found by position here: the day-1 chunk that follows the
// last chunk both days share (publish finds it by its first or last bytes).
//
//	deltachunk -old day1.sql -new day2.sql
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"

	"synco/chunkstore"
)

// deltaRef is what a delta chunk would carry besides its payload: the base
// chunk's ID.
const deltaRef = 32

func main() {
	oldPath := flag.String("old", "", "day-1 file")
	newPath := flag.String("new", "", "day-2 file")
	flag.Parse()
	if err := run(*oldPath, *newPath); err != nil {
		fmt.Fprintln(os.Stderr, "deltachunk:", err)
		os.Exit(1)
	}
}

func run(oldPath, newPath string) error {
	d1, err := os.ReadFile(oldPath)
	if err != nil {
		return err
	}
	d2, err := os.ReadFile(newPath)
	if err != nil {
		return err
	}
	pol, err := chunkstore.DerivePolynomial([32]byte{7})
	if err != nil {
		return err
	}
	keys := chunkstore.NewKeys([32]byte{8})
	sp := chunkstore.NewSplitter(pol)
	split := func(data []byte) (chunks [][]byte, err error) {
		err = sp.Split(context.Background(), bytes.NewReader(data), chunkstore.ClassDB, func(c []byte) error {
			chunks = append(chunks, bytes.Clone(c))
			return nil
		})
		return chunks, err
	}
	old, err := split(d1)
	if err != nil {
		return err
	}
	cur, err := split(d2)
	if err != nil {
		return err
	}

	// The store's dictionary, trained on day 1 as publish does (256 samples).
	rng := rand.New(rand.NewPCG(1, 2))
	var samples [][]byte
	for range 256 {
		samples = append(samples, old[rng.IntN(len(old))])
	}
	dictBytes, err := chunkstore.BuildDict(samples)
	if err != nil {
		return err
	}
	dict, err := keys.AddDict(dictBytes)
	if err != nil {
		return err
	}

	at := make(map[chunkstore.ID]int, len(old))
	for i, c := range old {
		if _, ok := at[keys.ID(c)]; !ok {
			at[keys.ID(c)] = i
		}
	}
	var (
		next                            int // day-1 chunk after the last shared one
		fresh, withBase, deltaWins      int
		freshPlain, sealed, best, delta int64
		splice, spliceWins              int
		spliceBest                      int64
		encTime, decTime                time.Duration
		sizes                           []float64
		seen                            = map[chunkstore.ID]bool{}
		buf, out                        []byte
	)
	for _, c := range cur {
		id := keys.ID(c)
		if i, ok := at[id]; ok {
			next = i + 1
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		fresh++
		freshPlain += int64(len(c))
		buf = keys.SealWith(buf[:0], id, c, dict)
		s := int64(len(buf))
		sealed += s
		b := s
		if next < len(old) {
			withBase++
			base := old[next]
			next++
			t0 := time.Now()
			enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false),
				zstd.WithAllLitEntropyCompression(true), zstd.WithEncoderDictRaw(1, base))
			if err != nil {
				return err
			}
			out = enc.EncodeAll(c, out[:0])
			encTime += time.Since(t0)
			t0 = time.Now()
			dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDictRaw(1, base))
			if err != nil {
				return err
			}
			got, err := dec.DecodeAll(out, nil)
			decTime += time.Since(t0)
			dec.Close()
			if err != nil || !bytes.Equal(got, c) {
				return fmt.Errorf("delta round trip failed: %v", err)
			}
			// Sealed delta: today's overhead minus the dictionary ID, plus the base ID.
			d := int64(len(out)) + chunkstore.Overhead + deltaRef
			sizes = append(sizes, float64(d)/float64(s))
			delta += d
			if d < s {
				deltaWins++
				b = d
			}
			// Splice, as publish stores it (when smaller than the chunk).
			sb := s
			if sp, ok := keys.SealSplice(buf[:0], id, c, keys.ID(base), base, dict); ok {
				splice++
				if int64(len(sp)) < s {
					spliceWins++
					sb = int64(len(sp))
				}
			}
			spliceBest += sb
		} else {
			spliceBest += s
		}
		best += b
	}
	sort.Float64s(sizes)
	fmt.Printf("day 1: %d chunks, day 2: %d chunks, %d new (%.2f MB plain), %d with a day-1 base\n",
		len(old), len(cur), fresh, float64(freshPlain)/1e6, withBase)
	fmt.Printf("new chunks sealed as today (dictionary): %.2f MB\n", float64(sealed)/1e6)
	fmt.Printf("new chunks, raw-dictionary zstd delta where smaller: %.2f MB (%d chunks)\n", float64(best)/1e6, deltaWins)
	fmt.Printf("new chunks, splice where smaller:        %.2f MB (%d splices smaller than their chunk, of %d offered)\n", float64(spliceBest)/1e6, spliceWins, splice)
	if len(sizes) > 0 {
		fmt.Printf("delta / sealed size per chunk: p10 %.2f, median %.2f, p90 %.2f\n",
			sizes[len(sizes)/10], sizes[len(sizes)/2], sizes[len(sizes)*9/10])
		fmt.Printf("per delta chunk, with a new zstd encoder/decoder each: encode %.0f µs, decode %.0f µs\n",
			float64(encTime.Microseconds())/float64(withBase), float64(decTime.Microseconds())/float64(withBase))
	}
	return nil
}
