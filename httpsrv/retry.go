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
	wait := max(b.Initial, time.Millisecond)
	stalls := b.Stalls
	if stalls <= 0 {
		stalls = 3
	}
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil || !IsTransient(err) || attempt >= b.Attempts {
			return err
		}
		if errors.Is(err, ErrIdle) {
			if stalls--; stalls == 0 {
				return err
			}
		}
		d := time.Duration(rand.Int64N(int64(wait)) + 1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, max(b.Max, wait))
	}
}
