// Command gen writes the deterministic benchmark inputs of synco's bench/:
// a CMS-like MySQL dump for day 1 and day 2, a files tree for day 1 and day
// 2, and a tree of many small files. The same -seed always gives the same
// bytes (and mtimes).
//
//	gen sql -day 1|2 -size 300MB -out FILE
//	gen files -day 1|2 -out DIR [-n 2500]
//	gen smallfiles -n 10000 -out DIR [-maxsize 16384]
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gen sql|files|smallfiles [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("gen "+os.Args[1], flag.ExitOnError)
	seed := fs.Uint64("seed", 1, "random seed")
	day := fs.Int("day", 1, "day 1 or 2")
	size := fs.String("size", "300MB", "approximate dump size (sql)")
	out := fs.String("out", "", "output file (sql) or directory")
	n := fs.Int("n", 0, "number of files (default 2500 for files, 10000 for smallfiles)")
	maxSize := fs.Int("maxsize", 16<<10, "smallfiles: largest file in bytes (sizes are uniform from 1 KiB)")
	_ = fs.Parse(os.Args[2:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	if err := run(os.Args[1], *out, *seed, *day, *size, *n, *maxSize); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(cmd, out string, seed uint64, day int, size string, n, maxSize int) error {
	if day != 1 && day != 2 {
		return fmt.Errorf("-day must be 1 or 2")
	}
	switch cmd {
	case "sql":
		sz, err := parseSize(size)
		if err != nil {
			return err
		}
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := genSQL(f, seed, day, sz); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "files":
		if n == 0 {
			n = 2500
		}
		files, bytes, err := genFiles(out, seed, day, n)
		fmt.Fprintf(os.Stderr, "gen: %d files, %d bytes\n", files, bytes)
		return err
	case "smallfiles":
		if n == 0 {
			n = 10000
		}
		bytes, err := genSmallFiles(out, seed, n, maxSize)
		fmt.Fprintf(os.Stderr, "gen: %d files, %d bytes\n", n, bytes)
		return err
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// parseSize parses "300MB", "300MiB", "1GB", "123456".
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suf string
		m   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1}} {
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
