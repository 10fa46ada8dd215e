package fetch

import (
	"time"

	"synco/httpsrv"
)

// SetTestHook sets the function called before each operation on the target
// (op is "open", "chtimes", "stagedir", "mkdir", "rename", "dirmode" or
// "delete"; rel is the published path) and returns a function that unsets it.
func SetTestHook(h func(op, rel string)) (unset func()) {
	testHook = h
	return func() { testHook = nil }
}

// RetryRemote is the retrying wrapper a fetch reads through.
func RetryRemote(r Remote, b httpsrv.Backoff) Remote { return newRetryRemote(r, b, time.Hour) }

// CountingRemote is the counting wrapper a fetch reads through, and its
// counts.
func CountingRemote(r Remote) (Remote, func() (requests, bytes int64)) {
	c := &countingRemote{r: r}
	return c, func() (int64, int64) { return c.requests.Load(), c.bytes.Load() }
}
