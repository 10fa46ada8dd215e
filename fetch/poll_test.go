package fetch

import (
	"testing"
	"time"
)

// A destination started right after the source must not wait up to Poll for a
// publication ready in a few hundred milliseconds: the first reads of the root
// come quickly, the wait between reads grows with the time waited, never past
// Poll, and the time lost after Ready stays a small share of the time waited.
func TestPollInterval(t *testing.T) {
	const longest = 500 * time.Millisecond
	for _, tc := range []struct{ waited, want time.Duration }{
		{0, minPoll},
		{100 * time.Millisecond, minPoll},
		{1200 * time.Millisecond, 100 * time.Millisecond},
		{time.Minute, longest},
	} {
		if got := pollInterval(tc.waited, longest); got != tc.want {
			t.Errorf("pollInterval(%v) = %v, want %v", tc.waited, got, tc.want)
		}
	}
	if got := pollInterval(0, 5*time.Millisecond); got != 5*time.Millisecond {
		t.Errorf("a Poll below minPoll: %v", got)
	}
	// Reads in the first second of a wait, and the most a Ready at any time up
	// to a minute is seen late, as a share of the time waited.
	var reads int
	for at := time.Duration(0); at < time.Second; at += pollInterval(at, longest) {
		reads++
	}
	if reads > 32 {
		t.Errorf("%d reads of the root in the first second", reads)
	}
	for at := time.Duration(0); at < time.Minute; {
		next := at + pollInterval(at, longest)
		if late := next - at; late > minPoll && late*pollShare > next+minPoll*pollShare {
			t.Errorf("a Ready at %v is seen %v late", at, late)
		}
		at = next
	}
}
