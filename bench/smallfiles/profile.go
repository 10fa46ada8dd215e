package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"synco/chunkstore"
	"synco/fetch"
	"synco/manifest"
	"synco/publish"
)

// profile runs one side in this process with a CPU profile and a heap
// profile written each time the live heap reached a new peak:
//
//	smallfiles profile -side publish -tree DIR -cpu FILE -heap FILE
//	smallfiles profile -side fetch -token TOKEN -to DIR -cache DIR -cpu FILE -heap FILE
func profile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ExitOnError)
	side := fs.String("side", "publish", "publish or fetch")
	tree := fs.String("tree", "", "publish: the tree (published as small/…)")
	token := fs.String("token", "", "fetch: the token")
	to := fs.String("to", "", "fetch: target")
	cache := fs.String("cache", "", "fetch: cache directory")
	cpu := fs.String("cpu", "", "CPU profile file")
	heap := fs.String("heap", "", "heap profile at the live heap's peak")
	fs.Parse(args)
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	stop := make(chan struct{})
	done := make(chan int64)
	go peakHeap(*heap, stop, done)
	ctx := context.Background()
	t0 := time.Now()
	var err error
	switch *side {
	case "publish":
		var dir string
		if dir, err = os.MkdirTemp("", "smallfiles-state-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		var st *publish.State
		if st, err = publish.OpenState(dir); err != nil {
			return err
		}
		defer st.Close()
		var pub *publish.Publication
		if pub, err = publish.NewPublication(st); err != nil {
			return err
		}
		// When each phase began: what runs on one core shows as a phase
		// whose wall time is near its CPU time.
		last := ""
		phases := func(p publish.Progress) {
			if p.Phase != last {
				last = p.Phase
				fmt.Fprintf(os.Stderr, "%7.3fs %s\n", time.Since(t0).Seconds(), p.Phase)
			}
		}
		var res *publish.Result
		res, err = publish.Build(ctx, pub, publish.Inputs{FileSets: []publish.FileSet{{Name: "small", Dir: *tree}}}, runtime.NumCPU(), phases)
		if err == nil {
			fmt.Fprintf(os.Stderr, "%7.3fs ready\n", res.Ready.Sub(t0).Seconds())
		}
	case "fetch":
		var tok manifest.Token
		if tok, err = manifest.ParseToken(*token); err != nil {
			return err
		}
		opt := fetch.Options{Token: tok, To: *to, Parallel: 4}
		if opt.Cache, err = chunkstore.OpenCache(*cache); err != nil {
			return err
		}
		_, err = fetch.Run(ctx, opt)
	default:
		return fmt.Errorf("-side %q", *side)
	}
	close(stop)
	peak := <-done
	fmt.Printf("%s: %v, peak live heap %.1f MB\n", *side, time.Since(t0).Round(time.Millisecond), float64(peak)/1e6)
	return err
}

// peakHeap writes a heap profile to file whenever the live heap grew 5 % past
// the last one written, until stop; it sends the peak to done.
func peakHeap(file string, stop <-chan struct{}, done chan<- int64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak, written int64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(s)
		if v := int64(s[0].Value.Uint64()); v > peak {
			peak = v
			if file != "" && float64(v) > 1.05*float64(written) {
				if f, err := os.Create(file); err == nil {
					pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
					written = v
				}
			}
		}
		select {
		case <-stop:
			done <- peak
			return
		case <-tick.C:
		}
	}
}
