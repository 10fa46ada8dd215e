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

// fetchLog aggregates the requests the publisher serves per client (by IP: a
// fetch opens several connections) and logs each fetch once the client has
// read the Ready root and then gone quiet for fetchIdle:
//
//	synco-lite: 127.0.0.1 fetched 301.6 kB (13 requests) in 0.2 s
type fetchLog struct {
	ready func() bool // the publication is Ready

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	first, last time.Time
	inflight    int
	bytes       int64
	requests    int
	sawReady    bool // read the root once the publication was Ready
}

func newFetchLog(ready func() bool) *fetchLog {
	return &fetchLog{ready: ready, clients: map[string]*client{}}
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
		c = &client{first: now}
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
}

// finished returns the log lines of the fetches finished by now (and forgets
// those clients: a later fetch of theirs is logged anew); clients that never
// read the Ready root are forgotten without a line once quiet for a minute.
func (l *fetchLog) finished(prog string, now time.Time) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lines []string
	for host, c := range l.clients {
		if c.inflight > 0 {
			continue
		}
		quiet := now.Sub(c.last)
		switch {
		case c.sawReady && quiet >= fetchIdle:
			n := fmt.Sprintf("%d requests", c.requests)
			if c.requests == 1 {
				n = "1 request"
			}
			lines = append(lines, fmt.Sprintf("%s: %s fetched %s (%s) in %s, done at %s",
				prog, host, FormatSize(c.bytes), n, FormatLeft(c.last.Sub(c.first)), c.last.Format("15:04:05")))
			delete(l.clients, host)
		case !c.sawReady && quiet >= time.Minute:
			delete(l.clients, host)
		}
	}
	return lines
}

// watchFetches logs every finished fetch to w until ctx ends. It returns the
// hook for httpsrv.Options.OnRequest and a channel that is closed after the
// first fetch was logged (for --once).
func watchFetches(ctx context.Context, w io.Writer, prog string, ready func() bool) (func(httpsrv.Request), <-chan struct{}) {
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
				for _, line := range l.finished(prog, now) {
					fmt.Fprintln(w, line)
					if !closed {
						close(first)
						closed = true
					}
				}
			}
		}
	}()
	return func(r httpsrv.Request) { l.request(r, time.Now()) }, first
}
