package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"synco/httpsrv"
)

// fetchIdle is how long a client that read the Ready root stays quiet before
// its fetch counts as finished and is logged.
const fetchIdle = 3 * time.Second

// fetchContinues is how long after a client's fetch was logged its further
// requests, without a new read of the Ready root, still continue that fetch.
const fetchContinues = time.Hour

// fetchLog aggregates the requests the publisher serves per client (by IP: a
// fetch opens several connections) and logs each fetch once the client has
// read the Ready root and then gone quiet for fetchIdle:
//
//	synco-lite: 127.0.0.1 fetched 301.6 kB (13 requests) in 0.2 s
//
// A fetch starts with a read of the Ready root, so a client's later requests
// without one continue its fetch logged last: the download of a fetch that
// showed its plan and waited longer than fetchIdle for its user. They are
// logged as a line of their own once the client is quiet again.
//
// The requests do not say what they read (httpsrv.Request has no path): the
// manifest is read from packs like the data, so a destination that read the
// plan and waits at its prompt (or a --dry-run) looks here like a fetch that
// is done. So a destination says when its download is complete
// (httpsrv.Request.Finished): its fetch is logged then, and only that ends
// --once.
type fetchLog struct {
	ready func() bool // the publication is Ready

	mu      sync.Mutex
	clients map[string]*client
	logged  map[string]time.Time // when a client's fetch was logged last
}

type client struct {
	first, last time.Time
	inflight    int
	bytes       int64
	requests    int
	sawReady    bool // read the root once the publication was Ready
	continues   bool // continues the client's fetch logged last
	served      bool // a request other than a root read succeeded
	said        bool // the destination said its fetch finished (httpsrv.Request.Finished)
}

func newFetchLog(ready func() bool) *fetchLog {
	return &fetchLog{ready: ready, clients: map[string]*client{}, logged: map[string]time.Time{}}
}

// request is httpsrv.Options.OnRequest, at time now.
func (l *fetchLog) request(r httpsrv.Request, now time.Time) {
	host := r.Remote
	if h, _, err := net.SplitHostPort(r.Remote); err == nil {
		host = h
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[host]
	if c == nil {
		at, ok := l.logged[host]
		c = &client{first: now, continues: ok && now.Sub(at) < fetchContinues}
		l.clients[host] = c
	}
	c.last = now
	if !r.Done {
		c.inflight++
		return
	}
	c.inflight--
	c.requests++
	c.bytes += r.Bytes
	if r.Root && l.ready() {
		c.sawReady = true
	}
	if !r.Root && r.Status < 300 {
		c.served = true
	}
	if r.Finished {
		c.said = true
	}
}

// finished returns the log lines of the fetches finished by now (and forgets
// those clients: a later fetch of theirs is logged anew, later requests
// without a read of the Ready root as the rest of the one logged); clients
// that never read the Ready root are forgotten without a line once quiet for
// a minute.
func (l *fetchLog) finished(prog string, now time.Time) (lines []string, done bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for host, at := range l.logged {
		if now.Sub(at) >= fetchContinues {
			delete(l.logged, host)
		}
	}
	for host, c := range l.clients {
		if c.inflight > 0 {
			continue
		}
		quiet := now.Sub(c.last)
		switch {
		case c.said && c.requests == 1 && c.bytes == 0:
			// only the word that a fetch logged already finished: no line
			done = true
			delete(l.clients, host)
		case c.said || (c.sawReady || c.continues && c.served) && quiet >= fetchIdle:
			done = done || c.said
			n := fmt.Sprintf("%d requests", c.requests)
			if c.requests == 1 {
				n = "1 request"
			}
			lines = append(lines, fmt.Sprintf("%s: %s fetched %s (%s) in %s, done at %s",
				prog, host, FormatSize(c.bytes), n, FormatLeft(c.last.Sub(c.first)), c.last.Format("15:04:05")))
			delete(l.clients, host)
			l.logged[host] = c.last
		case !c.sawReady && quiet >= time.Minute:
			delete(l.clients, host)
		}
	}
	return lines, done
}

// downloading names a client that is downloading now: a request in flight,
// or one within fetchIdle by a client that read the Ready root (or continues
// a fetch) and has not said it finished; "" for none. A destination that
// waits at its question is quiet: not downloading.
func (l *fetchLog) downloading(now time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for host, c := range l.clients {
		if c.said {
			continue
		}
		if c.inflight > 0 || (c.sawReady || c.continues) && now.Sub(c.last) < fetchIdle {
			return host
		}
	}
	return ""
}

// watchFetches logs every finished fetch to w until ctx ends. It returns the
// hook for httpsrv.Options.OnRequest, a channel that is closed after the
// first fetch whose destination said it finished (for --once: not one that
// only read the plan, a --dry-run, or one its user declined), and what
// fetchLog.downloading says now (for --ttl).
func watchFetches(ctx context.Context, w io.Writer, prog string, ready func() bool) (func(httpsrv.Request), <-chan struct{}, func() string) {
	l := newFetchLog(ready)
	first := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		closed := false
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				lines, done := l.finished(prog, now)
				for _, line := range lines {
					fmt.Fprintln(w, line)
				}
				if done && !closed {
					close(first)
					closed = true
				}
			}
		}
	}()
	return func(r httpsrv.Request) { l.request(r, time.Now()) }, first, func() string { return l.downloading(time.Now()) }
}
