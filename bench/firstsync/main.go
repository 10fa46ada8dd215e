// Command firstsync measures what a cold fetch of a database dump costs (the
// sealed size of all its ClassDB chunks, the first publication of a store) for
// several ways of compressing the chunks: without a dictionary (a store's
// first publish before issue 15), with a dictionary trained on a sample of the
// whole dump, on a sample of its first N MB only (what a publish can take
// before it seals), larger dictionaries, other zstd levels, and runs of
// consecutive chunks compressed together. It justifies the dictionary
// parameters of publish (dict.go). Sizes are frame sizes plus the sealed
// chunk's overhead (chunkstore.Overhead, + DictOverhead with a dictionary),
// raw where zstd does not shrink a chunk, as chunkstore.SealWith does.
//
//	firstsync -in dump.sql [-zstd3 BYTES] [-only REGEXP]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"
	"github.com/restic/chunker"

	"synco/chunkstore"
)

type config struct {
	name  string
	level zstd.EncoderLevel
	dict  func(chunks [][]byte) []byte // nil: none
	group int                          // chunks per frame (0, 1: one)
}

func main() {
	in := flag.String("in", "", "dump")
	zstd3 := flag.Int64("zstd3", 0, "bytes of zstd -3 of the dump, for the ratio")
	only := flag.String("only", "", "run only configs matching this regexp")
	dictFile := flag.String("dict", "", "also measure with this dictionary (e.g. from zstd --train)")
	samplesDir := flag.String("samples", "", "write 1024 sample chunks (whole dump) to this directory and exit")
	jobs := flag.Int("j", 2, "configs measured at once")
	tables := flag.String("tables", "", "comma-separated byte offsets where tables start: also measure dictionaries trained on each table's first MBs (as publish --db sees them)")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pol, _ := chunkstore.DerivePolynomial([32]byte{7})
	var chunks [][]byte
	p := chunkstore.ClassDB.Params()
	ch := chunker.NewWithBoundaries(bytes.NewReader(data), pol, p.Min, p.Max)
	ch.SetAverageBits(p.AvgBits)
	for {
		c, err := ch.Next(make([]byte, p.Max))
		if err != nil {
			break
		}
		chunks = append(chunks, c.Data)
	}
	if *samplesDir != "" {
		rng := rand.New(rand.NewPCG(1, 2))
		for i, j := range rng.Perm(len(chunks))[:min(1024, len(chunks))] {
			_ = os.WriteFile(fmt.Sprintf("%s/%04d", *samplesDir, i), chunks[j], 0o644)
		}
		return
	}
	fmt.Printf("dump %d bytes, %d chunks, zstd -3 %d\n", len(data), len(chunks), *zstd3)

	lv := []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault}
	var cs []config
	cs = append(cs, config{name: "none, fastest", level: lv[0]})
	cs = append(cs, config{name: "none, default", level: lv[1]})
	for _, n := range []int{4, 16, 64} {
		for _, l := range lv {
			cs = append(cs, config{name: fmt.Sprintf("group %d, %s", n, l), level: l, group: n})
		}
	}
	for _, size := range []int{64 << 10, 112 << 10, 256 << 10, 1 << 20} {
		for _, samples := range []int{256, 1024} {
			if samples*16<<10 < 4*size {
				continue
			}
			for _, l := range lv {
				cs = append(cs, config{name: fmt.Sprintf("dict %dK whole-reservoir %d, %s", size>>10, samples, l), level: l, dict: reservoir(size, samples, 0)})
			}
			for _, prefix := range []int{8, 16, 32} {
				cs = append(cs, config{name: fmt.Sprintf("dict %dK first-%dMB %d, fastest", size>>10, prefix, samples), level: lv[0], dict: reservoir(size, samples, prefix<<20)})
			}
		}
	}
	for _, n := range []int{32, 64, 128, 256} {
		for _, hb := range []int{4, 6, 8} {
			cs = append(cs, config{name: fmt.Sprintf("train %d samples hash %d, fastest", n, hb), level: lv[0], dict: trainer(64<<10, n, hb)})
		}
	}
	if *tables != "" {
		var offs []int
		for _, f := range strings.Split(*tables, ",") {
			n, _ := strconv.Atoi(f)
			offs = append(offs, n)
		}
		for _, mb := range []int{1, 2, 4} {
			for _, n := range []int{64, 256} {
				cs = append(cs, config{name: fmt.Sprintf("dict 64K first %d MB of each table, %d samples, fastest", mb, n), level: lv[0], dict: tablePrefix(offs, mb<<20, n)})
			}
		}
	}
	cs = append(cs, config{name: "dict 64K whole + group 4, fastest", level: lv[0], group: 4, dict: reservoir(64<<10, 256, 0)})
	if *dictFile != "" {
		b, err := os.ReadFile(*dictFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, l := range lv {
			cs = append(cs, config{name: fmt.Sprintf("file %s, %s", *dictFile, l), level: l, dict: func([][]byte) []byte { return b }})
		}
	}
	re := regexp.MustCompile(*only)
	var wg sync.WaitGroup
	sem := make(chan struct{}, *jobs)
	res := make([]string, len(cs))
	for i, c := range cs {
		if !re.MatchString(c.name) {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var d []byte
			t0 := time.Now()
			if c.dict != nil {
				d = c.dict(chunks)
				if d == nil {
					res[i] = fmt.Sprintf("| %s | training failed |", c.name)
					return
				}
			}
			train := time.Since(t0)
			t0 = time.Now()
			n := measure(chunks, c, d)
			enc := time.Since(t0)
			ratio := ""
			if *zstd3 > 0 {
				ratio = fmt.Sprintf("%.3f", float64(n)/float64(*zstd3))
			}
			res[i] = fmt.Sprintf("| %s | %.2f MB | %s | %.2f s | %.2f s |", c.name, float64(n)/1e6, ratio, train.Seconds(), enc.Seconds())
			fmt.Fprintln(os.Stderr, res[i])
		})
	}
	wg.Wait()
	fmt.Println("| config | sealed | / zstd -3 | train | encode (one core) |\n|---|---|---|---|---|")
	for _, r := range res {
		if r != "" {
			fmt.Println(r)
		}
	}
}

// reservoir returns a trainer: a dictionary of size bytes from samples chunks
// drawn uniformly from the chunks in the first prefix bytes (0: all), each
// cut to chunkstore.DictSampleSize.
func reservoir(size, samples, prefix int) func([][]byte) []byte {
	return func(chunks [][]byte) []byte {
		rng := rand.New(rand.NewPCG(1, 2))
		var pool [][]byte
		n := 0
		for _, c := range chunks {
			if prefix > 0 && n >= prefix {
				break
			}
			n += len(c)
			pool = append(pool, c)
		}
		var in [][]byte
		for i, j := range rng.Perm(len(pool)) {
			if i >= samples {
				break
			}
			c := pool[j]
			in = append(in, c[:min(len(c), chunkstore.DictSampleSize)])
		}
		b, err := dict.BuildZstdDict(in, dict.Options{MaxDictSize: size, HashBytes: 6, ZstdLevel: zstd.SpeedFastest})
		if err != nil {
			fmt.Fprintln(os.Stderr, "train:", err)
			return nil
		}
		return b
	}
}

func measure(chunks [][]byte, c config, d []byte) int64 {
	opts := []zstd.EOption{zstd.WithEncoderLevel(c.level), zstd.WithEncoderCRC(false), zstd.WithAllLitEntropyCompression(true), zstd.WithEncoderConcurrency(1)}
	over := int64(chunkstore.Overhead)
	if d != nil {
		opts = append(opts, zstd.WithEncoderDict(d))
		over += int64(chunkstore.DictOverhead)
	}
	enc, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		panic(err)
	}
	g := max(c.group, 1)
	var total int64
	var buf, out []byte
	for i := 0; i < len(chunks); i += g {
		buf = buf[:0]
		for _, ch := range chunks[i:min(i+g, len(chunks))] {
			buf = append(buf, ch...)
		}
		out = enc.EncodeAll(buf, out[:0])
		total += min(int64(len(out)), int64(len(buf))) + over
	}
	return total + int64(len(d))
}

// trainer returns a trainer of a size-byte dictionary on n chunks spread
// evenly over the dump, with hb hash bytes.
func trainer(size, n, hb int) func([][]byte) []byte {
	return func(chunks [][]byte) []byte {
		var in [][]byte
		for i := range n {
			c := chunks[i*len(chunks)/n]
			in = append(in, c[:min(len(c), chunkstore.DictSampleSize)])
		}
		b, err := dict.BuildZstdDict(in, dict.Options{MaxDictSize: size, HashBytes: hb, ZstdLevel: zstd.SpeedFastest})
		if err != nil {
			fmt.Fprintln(os.Stderr, "train:", err)
			return nil
		}
		return b
	}
}

// tablePrefix returns a trainer of a 64 KiB dictionary on n chunks spread
// evenly over the chunks that start within the first per bytes of each
// table (offs: where each table starts in the dump).
func tablePrefix(offs []int, per, n int) func([][]byte) []byte {
	return func(chunks [][]byte) []byte {
		var pool [][]byte
		pos := 0
		for _, c := range chunks {
			for _, o := range offs {
				if pos >= o && pos < o+per {
					pool = append(pool, c)
					break
				}
			}
			pos += len(c)
		}
		var in [][]byte
		for i := range min(n, len(pool)) {
			c := pool[i*len(pool)/min(n, len(pool))]
			in = append(in, c[:min(len(c), chunkstore.DictSampleSize)])
		}
		b, err := dict.BuildZstdDict(in, dict.Options{MaxDictSize: 64 << 10, HashBytes: 6, ZstdLevel: zstd.SpeedFastest})
		if err != nil {
			fmt.Fprintln(os.Stderr, "train:", err)
			return nil
		}
		return b
	}
}
