// Command dicttrain measures the dictionary training of a store's first
// publish (publish/dict.go) on a real database: upstream's builder
// (github.com/klauspost/compress/dict) against synco's patched copy
// (third_party/zdict), alternated, on the same samples:
//
//	dicttrain -dsn mysql://root@127.0.0.1:3306/DB|postgres://… [-runs 3] [-only cache]
//
// It dumps the database with synco's dumper, cuts every table stream into
// ClassDB chunks, takes 128 of the first 8 MiB of chunks (the tables in turn,
// as a dump that runs them at once delivers them; a uniform sample, as the
// publish's reservoir takes), cut to chunkstore.DictSampleSize, and trains on
// them. -only keeps the streams whose name holds a string: a cache table of
// random blobs alone is the worst case of upstream's builder. Per run it prints each builder's time and what every chunk of the dump
// seals to with its dictionary (zstd at the level and options chunkstore
// seals with), as a share of sealing without one.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	kdict "github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/third_party/zdict"
)

func main() {
	dsn := flag.String("dsn", "", "database to dump (mysql://… or postgres://…)")
	runs := flag.Int("runs", 3, "trainings of each builder")
	only := flag.String("only", "", "only the streams whose name holds this")
	flag.Parse()
	if err := run(context.Background(), *dsn, *runs, *only); err != nil {
		fmt.Fprintln(os.Stderr, "dicttrain:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, runs int, only string) error {
	m := dumperstest.NewMem()
	switch {
	case strings.HasPrefix(dsn, "postgres://"):
		c, err := postgres.ParseDSN(dsn)
		if err != nil {
			return err
		}
		err = postgres.NewDumper(c).Dump(ctx, m, dumpers.Options{})
		if err != nil {
			return err
		}
	case strings.HasPrefix(dsn, "mysql://"):
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			return err
		}
		if err := mysql.NewDumper(c).Dump(ctx, m, dumpers.Options{}); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-dsn: want mysql:// or postgres://")
	}
	pol, err := chunkstore.DerivePolynomial([32]byte{1})
	if err != nil {
		return err
	}
	sp := chunkstore.NewSplitter(pol)
	var tables [][][]byte
	raw := 0
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range m.Streams {
			if !yield(k) {
				return
			}
		}
	}) {
		var cs [][]byte
		err := sp.Split(ctx, bytes.NewReader(m.Streams[name]), chunkstore.ClassDB, func(c []byte) error {
			cs = append(cs, bytes.Clone(c))
			return nil
		})
		if err != nil {
			return err
		}
		if strings.Contains(name, only) {
			tables = append(tables, cs)
			raw += len(m.Streams[name])
		}
	}
	var first [][]byte
	for i, n := 0, 0; n < 8<<20; i++ {
		more := false
		for _, cs := range tables {
			if i < len(cs) {
				first, n, more = append(first, cs[i]), n+len(cs[i]), true
			}
		}
		if !more {
			break
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	samples := first[:min(128, len(first))]
	for i, s := range samples {
		samples[i] = s[:min(len(s), chunkstore.DictSampleSize)]
	}
	sealed := func(d []byte) (int, error) {
		opts := []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false), zstd.WithAllLitEntropyCompression(true)}
		if d != nil {
			opts = append(opts, zstd.WithEncoderDict(d))
		}
		e, err := zstd.NewWriter(nil, opts...)
		if err != nil {
			return 0, err
		}
		n := 0
		for _, cs := range tables {
			for _, c := range cs {
				n += len(e.EncodeAll(c, nil))
			}
		}
		return n, nil
	}
	none, err := sealed(nil)
	if err != nil {
		return err
	}
	fmt.Printf("dump %.1f MB; %d samples; sealed without a dictionary %.2f MB\n", float64(raw)/1e6, len(samples), float64(none)/1e6)
	builders := []struct {
		name  string
		build func([][]byte) ([]byte, error)
	}{
		{"upstream", func(in [][]byte) ([]byte, error) {
			return kdict.BuildZstdDict(in, kdict.Options{MaxDictSize: chunkstore.DictSize, HashBytes: 6, ZstdLevel: zstd.SpeedFastest})
		}},
		{"patched", func(in [][]byte) ([]byte, error) {
			return zdict.BuildZstdDict(in, zdict.Options{MaxDictSize: chunkstore.DictSize, HashBytes: 6, ZstdLevel: zstd.SpeedFastest})
		}},
	}
	for run := range runs {
		for _, b := range builders {
			t0 := time.Now()
			d, err := b.build(samples)
			took := time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			n, err := sealed(d)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			fmt.Printf("run %d %-8s trained in %6.0f ms; sealed %.2f MB = %.4f of without\n", run+1, b.name, float64(took.Microseconds())/1e3, float64(n)/1e6, float64(n)/float64(none))
		}
	}
	return nil
}
