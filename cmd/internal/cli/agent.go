package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"synco/httpsrv"
	"synco/publish"
	"synco/remote"
)

// AgentCmd is `synco-lite agent`, what `synco pull` runs on the source through its
// control channel: a publish whose token and data travel over standard input and
// output (see package remote) instead of a port. Standard output carries nothing
// else; messages go to standard error, which synco pull shows when something fails.
type AgentCmd struct {
	PublishCmd `embed:""`
	Idle       time.Duration `name:"idle" default:"2m" help:"Stop when the destination has sent no request for this long."`
	Only       string        `name:"only" placeholder:"db|files" help:"Publish only the database or only the files of the detected application (synco pull --only)."`
	HTTP       bool          `name:"http" help:"Serve with the embedded HTTP server on --listen instead of over standard input and output; --url is how the destination reaches it. Standard input then only carries the end message."`
}

// Help is shown by kong under the command's usage.
func (c *AgentCmd) Help() string {
	return `Run by "synco pull" through ssh, docker exec or kubectl exec; not for direct use.
Publishes like "publish" (same flags; --listen and --url only with --http, --tls
and --out do not apply) and serves the publication over standard input and output
(with --http: on --listen) until the destination says it is done, the connection
(with --http: standard input) ends, or it stays idle for --idle.`
}

// Run publishes and serves over stdin/stdout.
func (c *AgentCmd) Run(env *Env) error {
	ctx, prog, stderr := env.Ctx, env.Prog, env.Stderr
	c.agent = true
	in, err := c.inputs(env)
	if err != nil {
		return err
	}
	switch c.Only { // what the destination will not install is not dumped, sealed or sent
	case "":
	case "db":
		in.FileSets, in.Streams = nil, nil
	case "files":
		in.Dumps = nil
	default:
		return usageError("--only wants db or files")
	}
	if c.StateDir == "" {
		return usageError("agent needs --state-dir")
	}
	// As publish: a changed selection (or scrub rules) rotates the keys, and the
	// scrub rules get the store's key after that.
	s, err := publish.OpenSession(publish.SessionConfig{
		StateDir:  c.StateDir,
		Selection: c.DBFlags.selection(),
	})
	if err != nil {
		return err
	}
	defer s.Close()
	c.scrubKey(s.ScrubKey())
	pub := s.Publication()
	if c.HTTP {
		if err := c.serveHTTP(env, s); err != nil {
			return err
		}
	} else {
		tok := pub.Token("http://" + remote.Host + "/" + pub.Prefix)
		if err := remote.WriteHello(env.Stdout, tok.String()); err != nil {
			return fmt.Errorf("write the hello: %w", err)
		}
		conn := remote.NewConn(env.Stdin, env.Stdout)
		s.Serve(ctx, func(ctx context.Context, h http.Handler) error { return remote.Serve(ctx, conn, h, c.Idle) })
	}

	build := make(chan error, 1)
	bctx, cancelBuild := context.WithCancel(ctx)
	defer cancelBuild()
	go func() {
		res, err := s.Build(bctx, in, c.workers(), nil)
		if err == nil {
			fmt.Fprintf(stderr, "%s: ready: %s, %s in %s; sealed %s\n",
				prog, Plural(res.Streams, "entry"), FormatSize(int64(res.Bytes)), Plural(res.Chunks, "chunk"), Plural(res.NewChunks, "new chunk"))
			reportScrub(stderr, prog, c.rules) // what the copy lacks goes in the dump's marker
			for _, sk := range res.Skipped {
				// a warning: synco pull shows the agent's warnings
				fmt.Fprintf(stderr, "%s: warning: skipped %s (not a regular file or directory, or deleted while publishing)\n", prog, sk)
			}
			if res.StateErr != nil {
				fmt.Fprintf(stderr, "%s: warning: %v\n", prog, res.StateErr)
			}
		}
		build <- err
	}()

	select {
	case err := <-build:
		if err != nil {
			// The destination reads the failure from the root; give it a moment to
			// (Close stops serving).
			select {
			case <-s.Served():
			case <-time.After(30 * time.Second):
			}
			return err
		}
		<-s.Served()
	case <-s.Served():
		cancelBuild()
		if err := <-build; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := s.ServeErr(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// serveHTTP listens on --listen, writes the hello with a token under --url and
// serves s there until the end message (or the end of stdin), ctx, or --idle
// without a request.
func (c *AgentCmd) serveHTTP(env *Env, s *publish.Session) error {
	if c.URL == "" {
		return usageError("agent --http needs --url")
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	pub := s.Publication()
	tok := pub.Token(strings.TrimSuffix(c.URL, "/") + "/" + pub.Prefix)
	if err := remote.WriteHello(env.Stdout, tok.String()); err != nil {
		ln.Close()
		return fmt.Errorf("write the hello: %w", err)
	}
	ended := make(chan struct{})
	go func() { remote.WaitEnd(env.Stdin); close(ended) }()
	var inFlight atomic.Int64
	var last atomic.Int64 // unix nanoseconds of the last request's start or end
	last.Store(time.Now().UnixNano())
	opt := httpsrv.Options{OnRequest: func(r httpsrv.Request) {
		if r.Done {
			inFlight.Add(-1)
		} else {
			inFlight.Add(1)
		}
		last.Store(time.Now().UnixNano())
	}}
	s.Serve(env.Ctx, func(ctx context.Context, h http.Handler) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			tick := time.NewTicker(max(min(c.Idle/4, 5*time.Second), 10*time.Millisecond))
			defer tick.Stop()
			for {
				select {
				case <-ended:
					cancel()
					return
				case <-ctx.Done():
					return
				case <-tick.C:
					if c.Idle > 0 && inFlight.Load() == 0 && time.Since(time.Unix(0, last.Load())) > c.Idle {
						cancel()
						return
					}
				}
			}
		}()
		return httpsrv.ServeWith(ctx, ln, pingHandler(h), opt)
	})
	return nil
}

// pingHandler answers remote.PingPath with 204, the sign to synco pull that it
// reaches this agent, and passes everything else to h.
func pingHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == remote.PingPath {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
