// Command ratelimit is the network link of synco's end-to-end benchmark
// (scripts/bench-sync.sh): a TCP proxy on loopback that forwards each -map
// LISTEN=TARGET pair through one emulated link with a fixed rate and a one-way
// delay in each direction, and counts the bytes that cross it. All pairs share
// the link (as the two sides of a real sync share one uplink), so parallel
// connections divide the rate between them.
//
//	ratelimit -map 127.0.0.1:2222=127.0.0.1:22 [-map …] -rate 100mbit -delay 7.5ms -ctl 127.0.0.1:18999
//
// The link model, per direction: a chunk read from the sender (≤ 16 KiB) is
// put on the wire when the previous one has left (serialisation at -rate) and
// arrives -delay later. The reader stops reading while more than a few
// milliseconds of data wait for the wire, so the sender sees the link's rate
// as TCP back-pressure, not as an unbounded buffer.
//
// Control (plain HTTP on -ctl): GET /stats prints "up DOWN conns ACTIVE" as
// "up=N down=N conns=N active=N" (up: client to target, down: target to
// client, bytes since start); GET /set?rate=20mbit&delay=7.5ms changes the
// link for new chunks. It runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type maps []string

func (m *maps) String() string     { return strings.Join(*m, ",") }
func (m *maps) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var pairs maps
	flag.Var(&pairs, "map", "LISTEN=TARGET (repeatable)")
	rate := flag.String("rate", "100mbit", "link rate per direction (kbit, mbit, gbit; 0 = unlimited)")
	delay := flag.Duration("delay", 7500*time.Microsecond, "one-way delay (RTT = 2×)")
	ctl := flag.String("ctl", "127.0.0.1:0", "control address (GET /stats, /set)")
	flag.Parse()
	bps, err := parseRate(*rate)
	if err != nil || len(pairs) == 0 {
		fmt.Fprintln(os.Stderr, "usage: ratelimit -map LISTEN=TARGET … -rate 100mbit -delay 7.5ms -ctl ADDR", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	p := &proxy{}
	p.set(bps, *delay)
	for _, m := range pairs {
		listen, target, ok := strings.Cut(m, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "ratelimit: -map wants LISTEN=TARGET, got", m)
			os.Exit(2)
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratelimit:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "ratelimit: %s -> %s\n", ln.Addr(), target)
		go p.serve(ln, target)
		defer ln.Close()
	}
	cln, err := net.Listen("tcp", *ctl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "ratelimit: control on %s, rate %s, one-way delay %s\n", cln.Addr(), *rate, *delay)
	srv := &http.Server{Handler: p.handler()}
	go srv.Serve(cln)
	<-ctx.Done()
	srv.Close()
}

// parseRate reads "100mbit", "20Mbit", "500kbit", "1gbit" or "0" as bits per second.
func parseRate(s string) (float64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad rate %q", s)
	}
	return v * mult, nil
}

// link is one direction of the emulated line.
type link struct {
	mu    sync.Mutex
	free  time.Time // when the wire has sent everything reserved so far
	bytes atomic.Int64
}

// reserve puts n bytes on the wire after what is already queued and returns
// when they have left the sender's side.
func (l *link) reserve(n int, bps float64) time.Time {
	l.bytes.Add(int64(n))
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.free.Before(now) {
		l.free = now
	}
	if bps > 0 {
		l.free = l.free.Add(time.Duration(float64(n) * 8 / bps * float64(time.Second)))
	}
	return l.free
}

type proxy struct {
	up, down      link
	conns, active atomic.Int64
	mu            sync.Mutex
	bps           float64
	delay         time.Duration
}

func (p *proxy) set(bps float64, delay time.Duration) {
	p.mu.Lock()
	p.bps, p.delay = bps, delay
	p.mu.Unlock()
}

func (p *proxy) params() (float64, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bps, p.delay
}

func (p *proxy) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "up=%d down=%d conns=%d active=%d\n", p.up.bytes.Load(), p.down.bytes.Load(), p.conns.Load(), p.active.Load())
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		bps, delay := p.params()
		if v := r.FormValue("rate"); v != "" {
			b, err := parseRate(v)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			bps = b
		}
		if v := r.FormValue("delay"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			delay = d
		}
		p.set(bps, delay)
		fmt.Fprintf(w, "rate=%.0fbit delay=%s\n", bps, delay)
	})
	return mux
}

func (p *proxy) serve(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.conn(c.(*net.TCPConn), target)
	}
}

func (p *proxy) conn(client *net.TCPConn, target string) {
	p.conns.Add(1)
	p.active.Add(1)
	defer p.active.Add(-1)
	defer client.Close()
	// The TCP handshake of a real link costs one round trip before the first
	// byte can go; the client's connect here returned at once.
	_, delay := p.params()
	time.Sleep(2 * delay)
	t, err := net.Dial("tcp", target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit:", err)
		return
	}
	server := t.(*net.TCPConn)
	defer server.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client, &p.up) }()
	go func() { defer wg.Done(); p.pipe(client, server, &p.down) }()
	wg.Wait()
}

type piece struct {
	b  []byte
	at time.Time
}

// ahead is how much reserved wire time the reader may run ahead of the clock,
// so that timer lateness does not leave the wire idle.
const ahead = 4 * time.Millisecond

// pipe copies src to dst through l: paced reads, delayed writes.
func (p *proxy) pipe(dst, src *net.TCPConn, l *link) {
	q := make(chan piece, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		failed := false
		for pc := range q {
			if failed {
				continue
			}
			if d := time.Until(pc.at); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write(pc.b); err != nil {
				failed = true
				src.CloseRead()
			}
		}
		if !failed {
			dst.CloseWrite()
		}
	}()
	for {
		buf := make([]byte, 16<<10)
		n, err := src.Read(buf)
		if n > 0 {
			bps, delay := p.params()
			left := l.reserve(n, bps)
			q <- piece{buf[:n], left.Add(delay)}
			if d := time.Until(left) - ahead; d > 0 {
				time.Sleep(d)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				dst.CloseWrite()
			}
			break
		}
	}
	close(q)
	<-done
}
