package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

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
}

// Help is shown by kong under the command's usage.
func (c *AgentCmd) Help() string {
	return `Run by "synco pull" through ssh, docker exec or kubectl exec; not for direct use.
Publishes like "publish" (same flags; --listen, --url, --tls and --out do not apply)
and serves the publication over standard input and output until the destination
says it is done, the connection ends, or it stays idle for --idle.`
}

// Run publishes and serves over stdin/stdout.
func (c *AgentCmd) Run(env *Env) error {
	ctx, prog, stderr := env.Ctx, env.Prog, env.Stderr
	in, err := c.inputs(env)
	if err != nil {
		return err
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
	tok := pub.Token("http://" + remote.Host + "/" + pub.Prefix)
	if err := remote.WriteHello(env.Stdout, tok.String()); err != nil {
		return fmt.Errorf("write the hello: %w", err)
	}
	conn := remote.NewConn(env.Stdin, env.Stdout)
	s.Serve(ctx, func(ctx context.Context, h http.Handler) error { return remote.Serve(ctx, conn, h, c.Idle) })

	build := make(chan error, 1)
	bctx, cancelBuild := context.WithCancel(ctx)
	defer cancelBuild()
	go func() {
		res, err := s.Build(bctx, in, c.workers(), nil)
		if err == nil {
			fmt.Fprintf(stderr, "%s: ready: %d entries, %s in %d chunks; sealed %d new chunks\n",
				prog, res.Streams, FormatSize(int64(res.Bytes)), res.Chunks, res.NewChunks)
			reportScrub(stderr, prog, c.rules)
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
