package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
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
	st, err := publish.OpenState(c.StateDir)
	if err != nil {
		return err
	}
	defer st.Close()
	// As publish: a changed selection (or scrub rules) rotates the keys, and the
	// scrub rules get the store's key after that.
	if _, err := st.Select(c.DBFlags.selection()); err != nil {
		return err
	}
	c.scrubKey(st.ScrubKey())
	pub, err := publish.NewPublication(st)
	if err != nil {
		return err
	}
	tok := pub.Token("http://" + remote.Host + "/" + pub.Prefix)
	if err := remote.WriteHello(env.Stdout, tok.String()); err != nil {
		return fmt.Errorf("write the hello: %w", err)
	}
	conn := remote.NewConn(env.Stdin, env.Stdout)
	served := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { served <- remote.Serve(sctx, conn, httpsrv.Handler(pub.Prefix, pub), c.Idle) }()

	build := make(chan error, 1)
	bctx, cancelBuild := context.WithCancel(ctx)
	defer cancelBuild()
	go func() {
		res, err := publish.Build(bctx, pub, in, c.workers(), nil)
		if err != nil {
			if bctx.Err() == nil {
				pub.Fail(err.Error())
			}
			build <- err
			return
		}
		fmt.Fprintf(stderr, "%s: ready: %d entries, %s in %d chunks; sealed %d new chunks\n",
			prog, res.Streams, FormatSize(int64(res.Bytes)), res.Chunks, res.NewChunks)
		reportScrub(stderr, prog, c.rules)
		if res.StateErr != nil {
			fmt.Fprintf(stderr, "%s: warning: %v\n", prog, res.StateErr)
		}
		if _, err := st.TrainDict(); err != nil {
			fmt.Fprintf(stderr, "%s: warning: %v (publishing works without it)\n", prog, err)
		}
		debug.FreeOSMemory()
		build <- nil
	}()

	var buildErr error
	select {
	case buildErr = <-build:
		if buildErr != nil {
			// The destination reads the failure from the root; give it a moment to.
			select {
			case <-served:
				return buildErr
			case <-time.After(30 * time.Second):
				stop()
				<-served
				return buildErr
			}
		}
		err = <-served
	case err = <-served:
		cancelBuild()
		if berr := <-build; berr != nil && !errors.Is(berr, context.Canceled) {
			buildErr = berr
		}
	}
	if buildErr != nil {
		return buildErr
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
