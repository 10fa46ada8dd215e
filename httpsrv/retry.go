package httpsrv

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Backoff says how often and how patiently to retry.
type Backoff struct {
	Attempts int           // total tries, at least 1
	Initial  time.Duration // first wait (at least 1 ms); doubles each time
	Max      time.Duration // cap of one wait
	// Stalls bounds the tries that end in ErrIdle (the other side went
	// silent): a stall costs the whole idle time, so Attempts of them would
	// keep a fetch waiting for minutes. Zero: 3.
	Stalls int
}

// DefaultBackoff rides out a restarting proxy or a short network cut (≈1 min in all).
var DefaultBackoff = Backoff{Attempts: 8, Initial: 250 * time.Millisecond, Max: 15 * time.Second}

// Retry calls fn until it succeeds, returns an error that IsTransient rejects, the
// attempts are used up (or b.Stalls tries ended in ErrIdle), or ctx is done. Waits grow exponentially with full jitter and
// end early on cancellation. It returns fn's last error, or ctx's.
func Retry(ctx context.Context, b Backoff, fn func(attempt int) error) error {
	r := NewRetrier(b)
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil {
			return nil
		}
		if err := r.Fail(ctx, err); err != nil {
			return err
		}
	}
}

// A Retrier is the state of Retry for a loop that is not one function: a
// reader that reopens its source where a transient failure cut it off. It is
// not safe for concurrent use.
type Retrier struct {
	b          Backoff
	wait       time.Duration
	tries      int // failed tries since the last progress
	stalls     int // of them ending in ErrIdle
	progressed bool
}

// NewRetrier returns a Retrier for b.
func NewRetrier(b Backoff) *Retrier {
	r := &Retrier{b: b}
	r.reset()
	return r
}

func (r *Retrier) reset() {
	r.wait, r.tries, r.stalls, r.progressed = max(r.b.Initial, time.Millisecond), 0, 0, false
}

// Progress records that the current try made progress (e.g. delivered bytes):
// its failure is followed by a new try at once, and the count starts afresh,
// so that a slow but working link is not given up on.
func (r *Retrier) Progress() { r.progressed = true }

// Fail records a try that failed with err. It returns nil when another try is
// due, after the backoff wait (none after progress), or the error to give up
// with: err itself when it is permanent (IsTransient), the attempts are used
// up or b.Stalls tries in a row ended in ErrIdle, or ctx's error when it ends
// during the wait.
func (r *Retrier) Fail(ctx context.Context, err error) error {
	if !IsTransient(err) {
		return err
	}
	if r.progressed {
		r.reset()
		return nil
	}
	stalls := r.b.Stalls
	if stalls <= 0 {
		stalls = 3
	}
	r.tries++
	if r.tries >= r.b.Attempts {
		return err
	}
	if errors.Is(err, ErrIdle) {
		if r.stalls++; r.stalls == stalls {
			return err
		}
	}
	d := time.Duration(rand.Int64N(int64(r.wait)) + 1)
	t := time.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-t.C:
	}
	r.wait = min(2*r.wait, max(r.b.Max, r.wait))
	return nil
}
