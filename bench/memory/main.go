// Command memory measures how the memory of a publish and a fetch of one large
// database stream grows with its size (issue 15 §3, DESIGN §7: memory bounded by
// chunk size × parallelism, never by dump size).
//
// run: for each size, it writes a seeded mysqldump-style dump (bench/gen), then
// runs the real binaries one after the other and reads each process's peak RSS
// and CPU time from wait4: a store's first publish (synco-lite publish --stream
// --out), a cold fetch of it (synco fetch --to, through a plain HTTP file
// server in this process), the day-2 dump published into the same store, and a
// fetch of that into the same cache. Results are one line per process.
//
//	memory run -gen GEN -bin [NAME=]DIR[,NAME=DIR…] -work DIR -sizes 1GB,2GB,4GB [-day2] [-rounds N]
//
// Several binary sets (e.g. before=DIR,after=DIR) run one after the other for
// each size and round, so their CPU times compare side by side.
//
// profile: the same publish and fetch in this process, writing a heap profile
// (inuse) each time the live heap reaches a new high by 10 %: what holds memory
// per chunk at the peak.
//
//	memory profile -in dump.sql -work DIR -out PREFIX [-day2 day2.sql]
//
// With -day2, the first dump is published and fetched unprofiled, then the
// day-2 dump is published into the same store and fetched into the same cache,
// profiled: a daily sync holds the last run's state besides this one's.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/manifest"
	"synco/publish"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: memory run|profile [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "profile":
		err = profileCmd(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(1)
	}
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("memory run", flag.ExitOnError)
	bins := fs.String("bin", "", "directories with synco-lite and synco, NAME=DIR,… (one column each, interleaved), or one DIR")
	gen := fs.String("gen", "", "the gen binary (bench/gen)")
	work := fs.String("work", "", "work directory (dumps, state, publication, cache, output)")
	sizes := fs.String("sizes", "1GB", "comma-separated dump sizes")
	day2 := fs.Bool("day2", false, "also publish and fetch the day-2 dump into the same store and cache")
	rounds := fs.Int("rounds", 1, "rounds (each binary set once per round and size)")
	parallel := fs.Int("parallel", 2, "synco-lite publish --parallel")
	_ = fs.Parse(args)
	if *bins == "" || *work == "" || *gen == "" {
		return errors.New("-bin, -gen and -work are required")
	}
	type binSet struct{ name, dir string }
	var sets []binSet
	for _, b := range strings.Split(*bins, ",") {
		name, dir, ok := strings.Cut(b, "=")
		if !ok {
			name, dir = "synco", b
		}
		sets = append(sets, binSet{name, dir})
	}
	srv, base, err := serve(*work)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("%-6s %-6s %-9s %12s %10s %9s %9s\n", "size", "bin", "step", "bytes", "chunks", "peakMiB", "cpu_s")
	days := []int{1}
	if *day2 {
		days = append(days, 2)
	}
	for range *rounds {
		for _, size := range strings.Split(*sizes, ",") {
			for _, day := range days {
				dump := filepath.Join(*work, fmt.Sprintf("db-%s-day%d.sql", size, day))
				if _, err := os.Stat(dump); err != nil {
					if _, err := runProc(*gen, "sql", "-day", fmt.Sprint(day), "-size", size, "-out", dump); err != nil {
						return fmt.Errorf("gen: %w", err)
					}
				}
			}
			for _, set := range sets {
				dir := filepath.Join(*work, "m-"+set.name)
				os.RemoveAll(dir)
				for _, day := range days {
					dump := filepath.Join(*work, fmt.Sprintf("db-%s-day%d.sql", size, day))
					fi, err := os.Stat(dump)
					if err != nil {
						return err
					}
					if err := os.MkdirAll(dir, 0o755); err != nil {
						return err
					}
					out := filepath.Join(*work, "pub")
					os.RemoveAll(out)
					tok, chunks, p, err := publishOnce(filepath.Join(set.dir, "synco-lite"), dump, filepath.Join(dir, "state"), out, base, *parallel)
					if err != nil {
						return err
					}
					fmt.Printf("%-6s %-6s %-9s %12d %10d %9.1f %9.2f\n", size, set.name, fmt.Sprintf("publish%d", day), fi.Size(), chunks, p.peakMiB(), p.cpu().Seconds())
					to := filepath.Join(dir, "to")
					os.RemoveAll(to)
					f, err := runProc(filepath.Join(set.dir, "synco"), "fetch", tok, "--to", to, "--cache", filepath.Join(dir, "cache"), "--json")
					if err != nil {
						return fmt.Errorf("fetch: %w", err)
					}
					fmt.Printf("%-6s %-6s %-9s %12d %10d %9.1f %9.2f\n", size, set.name, fmt.Sprintf("fetch%d", day), fi.Size(), chunks, f.peakMiB(), f.cpu().Seconds())
					if err := sameFile(dump, filepath.Join(to, "db.sql")); err != nil {
						return err
					}
					os.RemoveAll(to)
					os.RemoveAll(out)
				}
				os.RemoveAll(dir)
			}
		}
	}
	return nil
}

// serve serves dir over plain HTTP (ranges included) on a loopback port.
func serve(dir string) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String() + "/pub", nil
}

// proc is a finished process's resource use.
type proc struct{ ru *syscall.Rusage }

func (p proc) peakMiB() float64 { return float64(p.ru.Maxrss) / 1024 }
func (p proc) cpu() time.Duration {
	return time.Duration(p.ru.Utime.Nano() + p.ru.Stime.Nano())
}

func runProc(name string, args ...string) (proc, error) {
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	if err != nil {
		return proc{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), args[0], err, stderr.String())
	}
	return proc{cmd.ProcessState.SysUsage().(*syscall.Rusage)}, nil
}

// publishOnce runs synco-lite publish until it reports the publication ready,
// then stops it (--keep leaves the publication in out). It returns the token
// and the chunk count from the summary line.
func publishOnce(lite, dump, state, out, base string, parallel int) (tok string, chunks int, p proc, err error) {
	cmd := exec.Command(lite, "publish", "--stream", "db.sql="+dump, "--state-dir", state,
		"--out", out, "--url", base, "--keep", "--parallel", fmt.Sprint(parallel))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, p, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return "", 0, p, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, p, err
	}
	tokc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if t, ok := strings.CutPrefix(sc.Text(), "synco fetch "); ok {
				tokc <- t
			}
		}
		close(tokc)
	}()
	sc := bufio.NewScanner(stderr)
	sc.Buffer(nil, 1<<20)
	ready := false
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "ready in "); i >= 0 {
			if j := strings.Index(line, " in "); j >= 0 {
				if k := strings.LastIndex(line[:strings.Index(line, " chunks;")], " "); k >= 0 {
					fmt.Sscan(line[k+1:], &chunks)
				}
			}
			ready = true
			cmd.Process.Signal(syscall.SIGTERM)
		} else if strings.Contains(line, "error") {
			fmt.Fprintln(os.Stderr, line)
		}
	}
	werr := cmd.Wait()
	if !ready {
		return "", 0, p, fmt.Errorf("publish: not ready: %v", werr)
	}
	tok = <-tokc
	return tok, chunks, proc{cmd.ProcessState.SysUsage().(*syscall.Rusage)}, nil
}

// sameFile checks that b has a's size (the fetch verified every byte against
// the signed hash already).
func sameFile(a, b string) error {
	fa, err := os.Stat(a)
	if err != nil {
		return err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return err
	}
	if fa.Size() != fb.Size() {
		return fmt.Errorf("fetched %s has %d bytes, want %d", b, fb.Size(), fa.Size())
	}
	return nil
}

func profileCmd(args []string) error {
	fs := flag.NewFlagSet("memory profile", flag.ExitOnError)
	in := fs.String("in", "", "dump to publish")
	work := fs.String("work", "", "work directory")
	out := fs.String("out", "heap", "profile file prefix")
	day2 := fs.String("day2", "", "a day-2 dump: publish and fetch -in unprofiled, then this one profiled")
	files := fs.String("files", "", "a directory to publish as files instead of -in (no -day2)")
	_ = fs.Parse(args)
	if (*in == "") == (*files == "") || *work == "" {
		return errors.New("-work and one of -in and -files are required")
	}
	ctx := context.Background()
	state, cacheDir := filepath.Join(*work, "pstate"), filepath.Join(*work, "pcache")
	os.RemoveAll(state)
	os.RemoveAll(cacheDir)
	day := func(dump, prefix string) error {
		pubDir := filepath.Join(*work, "ppub")
		os.RemoveAll(pubDir)
		s, err := publish.OpenSession(publish.SessionConfig{StateDir: state, Keep: true})
		if err != nil {
			return err
		}
		defer s.Close()
		dir, err := publish.NewDir(pubDir)
		if err != nil {
			return err
		}
		if err := s.Expose(dir); err != nil {
			return err
		}
		tok := s.Publication().Token("http://unused.invalid/")
		stop := sample(prefix, "-publish")
		inputs := publish.Inputs{Streams: []publish.StreamFile{{Name: "db.sql", Path: dump, Class: chunkstore.ClassDB}}}
		if *files != "" {
			inputs = publish.Inputs{FileSets: []publish.FileSet{{Name: "files", Dir: dump}}}
		}
		res, err := s.Build(ctx, inputs, 2, nil)
		peak := stop()
		if err != nil {
			return err
		}
		fmt.Printf("publish %s: %d chunks, peak live heap %.1f MiB, %.0f B/chunk\n", dump, res.Chunks, float64(peak)/(1<<20), float64(peak)/float64(res.Chunks))
		s.Close()
		runtime.GC()

		cache, err := chunkstore.OpenCache(cacheDir)
		if err != nil {
			return err
		}
		to := filepath.Join(*work, "pto")
		os.RemoveAll(to)
		stop = sample(prefix, "-fetch")
		st, err := fetch.Run(ctx, fetch.Options{Token: tok, To: to, Cache: cache, Remote: fetch.DirRemote(pubDir)})
		peak = stop()
		if err != nil {
			return err
		}
		fmt.Printf("fetch %s: %d chunks, peak live heap %.1f MiB, %.0f B/chunk\n", dump, st.ChunksTotal, float64(peak)/(1<<20), float64(peak)/float64(st.ChunksTotal))
		os.RemoveAll(to)
		runtime.GC()
		return nil
	}
	if *files != "" {
		return day(*files, *out)
	}
	if *day2 == "" {
		return day(*in, *out)
	}
	if err := day(*in, ""); err != nil {
		return err
	}
	_ = manifest.Version
	return day(*day2, *out)
}

// sample watches the live heap (as the last GC marked it) and writes a heap
// profile to prefix+side.pb.gz (prefix "": none) each time it grows by 10 %
// over the last one written. stop returns the highest live heap seen.
func sample(prefix, side string) (stop func() uint64) {
	if prefix != "" {
		prefix += side
	}
	runtime.MemProfileRate = 64 << 10
	var peak atomic.Uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var last uint64
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(live)
			v := live[0].Value.Uint64()
			if v > peak.Load() {
				peak.Store(v)
			}
			if prefix != "" && v > last+last/10 {
				last = v
				if f, err := os.Create(prefix + ".pb.gz"); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}
