package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync"

	"synco/httpsrv"
	"synco/manifest"
)

// StoppedReason is the reason of the Failed root of a publication whose session
// stopped (a signal, a time limit, an error) before it was Ready.
const StoppedReason = "publisher stopped"

// SessionConfig says how OpenSession opens the store and what the session reports.
type SessionConfig struct {
	StateDir string
	// Rotate gives the store new keys before publishing (State.Rotate).
	Rotate bool
	// Selection is what is published of the database (State.Select): a change
	// rotates the keys.
	Selection string
	// Keep leaves what the targets added with Expose hold when the session closes.
	Keep bool
}

// Session is one run of a publisher: it holds the store (State) locked, one
// Publication of it, the targets it is exposed on and the server serving it, from
// OpenSession to Close:
//
//	s, err := OpenSession(cfg)    // state, rotation, selection
//	defer s.Close()               // Failed if not Ready, serving stopped, targets removed
//	s.Expose(dir) / s.Serve(…)    // where the destination reads it
//	s.Publication().Token(url)    // for the destination
//	res, err := s.Build(ctx, …)   // Ready, or Failed
//	s.Wait(ctx)                   // serve until ctx ends
type Session struct {
	cfg         SessionConfig
	st          *State
	pub         *Publication
	reselected  bool
	exposed     []Target
	stopServing context.CancelFunc
	served      chan struct{} // closed when serving ended; serveErr is set then
	serveErr    error
	training    sync.WaitGroup
	closed      bool
}

// OpenSession opens (or creates) the state directory cfg.StateDir and locks it,
// rotates its keys if cfg.Rotate, records cfg.Selection (rotating the keys if it
// changed, see State.Select) and starts a publication in state Created. It fails
// with ErrLocked while another session holds the directory.
func OpenSession(cfg SessionConfig) (*Session, error) {
	st, err := OpenState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, st: st}
	if err := s.open(); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Session) open() (err error) {
	if s.cfg.Rotate {
		if err := s.st.Rotate(); err != nil {
			return err
		}
	}
	if s.reselected, err = s.st.Select(s.cfg.Selection); err != nil {
		return err
	}
	s.pub, err = NewPublication(s.st)
	return err
}

// Publication is the session's publication.
func (s *Session) Publication() *Publication { return s.pub }

// Reselected reports whether opening rotated the store's keys because the
// selection changed (State.Select).
func (s *Session) Reselected() bool { return s.reselected }

// ScrubKey is the store's scrubbing key (State.ScrubKey), as of after any rotation.
func (s *Session) ScrubKey() [32]byte { return s.st.ScrubKey() }

// Expose makes t receive the publication (Publication.AddTarget). Close removes
// what t holds unless SessionConfig.Keep.
func (s *Session) Expose(t Target) error {
	if err := s.pub.AddTarget(t); err != nil {
		return err
	}
	s.exposed = append(s.exposed, t)
	return nil
}

// Serve runs serve in the background with the publication's handler
// (httpsrv.Handler under its Prefix) until serve returns or Close cancels its
// context, derived from ctx. Call it at most once.
func (s *Session) Serve(ctx context.Context, serve func(ctx context.Context, h http.Handler) error) {
	ctx, s.stopServing = context.WithCancel(ctx)
	s.served = make(chan struct{})
	h := httpsrv.Handler(s.pub.Prefix, s.pub)
	go func() {
		defer close(s.served)
		s.serveErr = serve(ctx, h)
	}()
}

// Served is closed when serving ended (nil without Serve: it blocks for ever);
// ServeErr is then its error.
func (s *Session) Served() <-chan struct{} { return s.served }

// ServeErr is the error serving ended with, once Served is closed.
func (s *Session) ServeErr() error {
	select {
	case <-s.served:
		return s.serveErr
	default:
		return nil
	}
}

// Wait blocks until ctx ends (nil) or serving ends (its error, wrapped).
func (s *Session) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-s.served:
		return fmt.Errorf("serve: %w", s.serveErr)
	}
}

// Build builds the publication (the package's Build). On error the publication
// is marked Failed: with the error as its reason, or StoppedReason if ctx ended.
// On success memory is given back to the system in the background (Close waits
// for it): serving needs a fraction of what building took. (The store's
// dictionary is trained within Build: before the first chunk is sealed, or
// after Ready when the dump ended first, a small database's.)
func (s *Session) Build(ctx context.Context, in Inputs, workers int, progress func(Progress)) (*Result, error) {
	res, err := Build(ctx, s.pub, in, workers, progress)
	if err != nil {
		reason := err.Error()
		if ctx.Err() != nil {
			reason = StoppedReason
		}
		s.pub.Fail(reason) // best effort: the error below is what matters here
		return nil, err
	}
	s.training.Add(1)
	go func() {
		defer s.training.Done()
		// Measured on a 590 MB database: 129 MiB resident while serving before,
		// 38 MiB after.
		debug.FreeOSMemory()
	}()
	return res, nil
}

// Close ends the session: it waits for the memory to be given back, marks a
// publication that is not Ready (nor Failed) Failed with StoppedReason — so a
// destination waiting for it stops with the source's failure — before stopping
// the server and removing what the exposed targets hold (unless
// SessionConfig.Keep), then releases the store. Closing again does nothing.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.training.Wait()
	var errs []error
	if st, _ := s.pub.State(); st != manifest.StateReady && st != manifest.StateFailed {
		errs = append(errs, s.pub.Fail(StoppedReason))
	}
	if s.stopServing != nil {
		s.stopServing()
		<-s.served
	}
	if !s.cfg.Keep {
		for _, t := range s.exposed {
			errs = append(errs, t.RemoveAll())
		}
	}
	errs = append(errs, s.st.Close())
	return errors.Join(errs...)
}
