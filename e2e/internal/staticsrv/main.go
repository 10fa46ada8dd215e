// Command staticsrv is a test helper for the e2e tests: a plain static file server
// (net/http.FileServer) standing in for nginx, Apache or a bucket in front of
// "synco-lite publish --out DIR". It prints its base URL as one line on stdout and
// serves until SIGINT or SIGTERM.
//
// Knobs the tests use to make the network misbehave:
//
//	-rate N         send at most N body bytes per second per response (0: unlimited),
//	                so a fetch can be killed or interrupted part way through
//	-ignore-range   answer every GET with 200 and the whole file, like a server
//	                without Range support
//	-abort-removed  cut a response short when its file is removed meanwhile (a
//	                plain server would go on sending the open file), so removing
//	                a publication is felt by a fetch at once, not at its next request
//
// GET /_stats returns {"requests":R,"body_bytes":B}: requests served and body bytes
// written so far, excluding /_stats itself. Names starting with "_" cannot clash
// with a publication, whose path elements are lower-case base32.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	dir := flag.String("dir", ".", "directory to serve")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	rate := flag.Int64("rate", 0, "body bytes per second per response (0: unlimited)")
	ignoreRange := flag.Bool("ignore-range", false, "ignore Range headers: always 200 with the whole file")
	abortRemoved := flag.Bool("abort-removed", false, "cut a response short when its file is removed")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "staticsrv: %v\n", err)
		os.Exit(1)
	}
	var requests, bodyBytes atomic.Int64
	files := http.FileServer(http.Dir(*dir))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]int64{"requests": requests.Load(), "body_bytes": bodyBytes.Load()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if *ignoreRange {
			r.Header.Del("Range")
			r.Header.Del("If-Range")
		}
		tw := &throttled{ResponseWriter: w, rate: *rate, start: time.Now(), count: &bodyBytes}
		if f := filepath.Join(*dir, filepath.FromSlash(path.Clean("/"+r.URL.Path))); *abortRemoved {
			if _, err := os.Stat(f); err == nil {
				tw.file = f // not for the 404 of a file that is already gone
			}
		}
		files.ServeHTTP(tw, r)
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Printf("http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "staticsrv: %v\n", err)
		os.Exit(1)
	}
}

// throttled counts body bytes and paces them to rate bytes per second. It embeds
// only the ResponseWriter interface, so io.Copy cannot bypass Write with sendfile.
type throttled struct {
	http.ResponseWriter
	rate  int64
	start time.Time
	sent  int64
	count *atomic.Int64
	file  string // if set: abort when it no longer exists
}

const piece = 8 << 10

func (t *throttled) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if t.file != "" {
			if _, err := os.Stat(t.file); err != nil {
				panic(http.ErrAbortHandler) // the client sees the body end early
			}
		}
		n := min(len(p), piece)
		m, err := t.ResponseWriter.Write(p[:n])
		written += m
		t.sent += int64(m)
		t.count.Add(int64(m))
		if err != nil {
			return written, err
		}
		p = p[n:]
		if t.rate > 0 {
			http.NewResponseController(t.ResponseWriter).Flush()
			due := t.start.Add(time.Duration(float64(t.sent) / float64(t.rate) * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
	}
	return written, nil
}
