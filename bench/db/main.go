// Command dbbench is the database part of synco's benchmarks (issue 3). It
// generates the same seeded CMS-like database in MariaDB and PostgreSQL, runs
// synco's native dumpers and importers alone (streams to and from files), and
// prints per-table checksums to prove a restore identical.
//
//	dbbench load     -dsn DSN [-size 1GB] [-seed 1]   drop + create + fill the database
//	dbbench dump     -dsn DSN -out DIR [-parallel N]  native dump, one file per stream
//	dbbench import   -dsn DSN -in DIR                 native import (staging + swap)
//	dbbench concat   -in DIR -out FILE                the plain .sql (schema, data/*, post)
//	dbbench checksum -dsn DSN                         "<table> <rows> <checksum>" lines
//	dbbench drop     -dsn DSN                         drop the database (and __synco_ leftovers)
//
// DSN: mysql://root@127.0.0.1:3306/name or postgres://postgres@127.0.0.1:5432/name.
// The tables (users, content, orders, log, cache, sessions) are described in
// schema.go; the same seed and size give the same rows in both engines.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dbbench load|dump|import|concat|checksum|drop [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("dbbench "+os.Args[1], flag.ExitOnError)
	dsn := fs.String("dsn", "", "database URL")
	size := fs.String("size", "1GB", "approximate data size (load)")
	seed := fs.Uint64("seed", 1, "random seed (load)")
	out := fs.String("out", "", "output directory (dump) or file (concat)")
	in := fs.String("in", "", "input directory of streams (import, concat)")
	parallel := fs.Int("parallel", 0, "tables dumped at once (dump; 0: the dumper's default)")
	_ = fs.Parse(os.Args[2:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "dbbench: "+f+"\n", a...) }
	start := time.Now()
	if err := run(ctx, os.Args[1], *dsn, *size, *seed, *out, *in, *parallel, logf); err != nil {
		fmt.Fprintln(os.Stderr, "dbbench:", err)
		os.Exit(1)
	}
	logf("%s done in %s", os.Args[1], time.Since(start).Round(time.Millisecond))
}

func run(ctx context.Context, cmd, dsn, size string, seed uint64, out, in string, parallel int, logf func(string, ...any)) error {
	need := func(v, flag string) error {
		if v == "" {
			return fmt.Errorf("%s: %s is required", cmd, flag)
		}
		return nil
	}
	switch cmd {
	case "load":
		sz, err := parseSize(size)
		if err != nil {
			return err
		}
		if err := need(dsn, "-dsn"); err != nil {
			return err
		}
		return load(ctx, dsn, sz, seed, logf)
	case "dump":
		if err := firstErr(need(dsn, "-dsn"), need(out, "-out")); err != nil {
			return err
		}
		workers, err := dump(ctx, dsn, out, parallel)
		if workers > 0 {
			logf("dump used %d workers", workers)
		}
		return err
	case "import":
		if err := firstErr(need(dsn, "-dsn"), need(in, "-in")); err != nil {
			return err
		}
		return restore(ctx, dsn, in)
	case "concat":
		if err := firstErr(need(in, "-in"), need(out, "-out")); err != nil {
			return err
		}
		src, err := newDirSource(in)
		if err != nil {
			return err
		}
		return concat(src, out)
	case "checksum":
		if err := need(dsn, "-dsn"); err != nil {
			return err
		}
		lines, err := checksums(ctx, dsn)
		for _, l := range lines {
			fmt.Println(l)
		}
		return err
	case "drop":
		if err := need(dsn, "-dsn"); err != nil {
			return err
		}
		return dropDB(ctx, dsn)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// parseSize parses "500MB", "1GB", "1GiB", "123456".
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suf string
		m   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"B", 1}} {
		if strings.HasSuffix(u, x.suf) {
			u, mult = strings.TrimSuffix(u, x.suf), x.m
			break
		}
	}
	v, err := strconv.ParseFloat(u, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * float64(mult)), nil
}
