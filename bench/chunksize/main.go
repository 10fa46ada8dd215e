// Command chunksize measures, on a day-1/day-2 pair of the same stream (an
// SQL dump from bench/gen), how many bytes a day-2 update costs for several
// content-defined chunk sizes: the sealed size (chunkstore.Keys.Seal:
// per-chunk zstd + XChaCha20-Poly1305) of every day-2 chunk that day 1 does
// not have. It justifies the chunking parameters of chunkstore.ClassDB.
//
//	chunksize -old day1.sql -new day2.sql [-json out.json]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/restic/chunker"

	"synco/chunkstore"
)

type config struct {
	Name    string `json:"name"`
	Min     uint   `json:"min"`
	Max     uint   `json:"max"`
	AvgBits int    `json:"avg_bits"`
}

var configs = []config{
	{"avg 4 KiB", 1 << 10, 32 << 10, 12},
	{"avg 8 KiB (ClassDB)", 2 << 10, 64 << 10, 13},
	{"avg 16 KiB", 4 << 10, 128 << 10, 14},
	{"avg 64 KiB", 16 << 10, 512 << 10, 16},
	{"avg 1 MiB (ClassFile)", 256 << 10, 8 << 20, 20},
}

type result struct {
	config
	Chunks        int     `json:"chunks_day2"`
	MeanChunk     float64 `json:"mean_chunk_bytes"`
	NewChunks     int     `json:"new_chunks"`
	NewPlain      int64   `json:"new_plain_bytes"`
	NewSealed     int64   `json:"new_sealed_bytes"`
	NewPackFast   int64   `json:"new_pack_zstd_fastest_bytes"`
	NewPackDef    int64   `json:"new_pack_zstd_default_bytes"`
	TotalSealed   int64   `json:"total_sealed_bytes_day2"`
	SharePercent  float64 `json:"new_sealed_share_percent"`
	RefsBytesNew  int64   `json:"new_chunk_refs_bytes_est"`
	RefsBytesFull int64   `json:"all_chunk_refs_bytes_est"`
}

// refSize is an estimate of one chunk reference in a manifest (32-byte ID +
// varint length).
const refSize = 35

func main() {
	oldPath := flag.String("old", "", "day-1 file")
	newPath := flag.String("new", "", "day-2 file")
	jsonOut := flag.String("json", "", "also write results as JSON here")
	flag.Parse()
	if err := run(*oldPath, *newPath, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "chunksize:", err)
		os.Exit(1)
	}
}

func run(oldPath, newPath, jsonOut string) error {
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
	results := make([]result, len(configs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, c := range configs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = measure(c, pol, keys, d1, d2)
		})
	}
	wg.Wait()
	fmt.Printf("day1 %d bytes, day2 %d bytes\n", len(d1), len(d2))
	fmt.Printf("| chunking | min/max | day-2 chunks | mean chunk | new chunks | new plain | new sealed (sent) | share of sealed day 2 | new as one zstd-fastest pack | as one zstd-default pack | refs of all chunks (≈35 B each) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Printf("| %s | %s/%s | %d | %.0f B | %d | %s | **%s** | %.1f%% | %s | %s | %s |\n",
			r.Name, kib(int64(r.Min)), kib(int64(r.Max)), r.Chunks, r.MeanChunk, r.NewChunks,
			mb(r.NewPlain), mb(r.NewSealed), r.SharePercent, mb(r.NewPackFast), mb(r.NewPackDef), mb(r.RefsBytesFull))
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		return os.WriteFile(jsonOut, b, 0o644)
	}
	return nil
}

func measure(c config, pol chunker.Pol, keys *chunkstore.Keys, d1, d2 []byte) result {
	r := result{config: c}
	seen := map[chunkstore.ID]bool{}
	split(c, pol, d1, func(b []byte) { seen[keys.ID(b)] = true })
	var pack, buf []byte
	split(c, pol, d2, func(b []byte) {
		id := keys.ID(b)
		buf = keys.Seal(buf[:0], id, b)
		r.Chunks++
		r.TotalSealed += int64(len(buf))
		if seen[id] {
			return
		}
		seen[id] = true
		r.NewChunks++
		r.NewPlain += int64(len(b))
		r.NewSealed += int64(len(buf))
		pack = append(pack, b...)
	})
	r.MeanChunk = float64(len(d2)) / float64(r.Chunks)
	r.SharePercent = 100 * float64(r.NewSealed) / float64(r.TotalSealed)
	r.NewPackFast = zlen(pack, zstd.SpeedFastest)
	r.NewPackDef = zlen(pack, zstd.SpeedDefault)
	r.RefsBytesNew = int64(r.NewChunks) * refSize
	r.RefsBytesFull = int64(r.Chunks) * refSize
	return r
}

func split(c config, pol chunker.Pol, data []byte, fn func([]byte)) {
	ch := chunker.NewWithBoundaries(bytes.NewReader(data), pol, c.Min, c.Max)
	ch.SetAverageBits(c.AvgBits)
	buf := make([]byte, c.Max)
	for {
		chunk, err := ch.Next(buf)
		if err != nil {
			return // io.EOF: bytes.Reader cannot fail otherwise
		}
		fn(chunk.Data)
	}
}

func zlen(b []byte, lvl zstd.EncoderLevel) int64 {
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(1))
	var out bytes.Buffer
	enc.Reset(&out)
	_, _ = enc.ReadFrom(bytes.NewReader(b))
	_ = enc.Close()
	return int64(out.Len())
}

func kib(n int64) string { return fmt.Sprintf("%d KiB", n>>10) }
func mb(n int64) string  { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
