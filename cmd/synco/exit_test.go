package main

import (
	"fmt"
	"testing"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

// TestFetchErrorsRegistered: synco's init hands the destination's errors to
// cli.Classify (synco-lite does not link them).
func TestFetchErrorsRegistered(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
	}{
		{fetch.ErrTampered, cli.ExitTampered},
		{fetch.ErrReplay, cli.ExitTampered},
		{fetch.ErrCacheDamaged, cli.ExitLocal},
		{fetch.ErrStalled, cli.ExitUnreachable},
		{fetch.ErrTargetLocked, cli.ExitLocal},
		{fetch.ErrUnsafePath, cli.ExitLocal},
		{&fetch.SourceFailedError{Reason: "x"}, cli.ExitSourceFail},
	} {
		if code, hint := cli.Classify("synco fetch", fmt.Errorf("wrapped: %w", c.err)); code != c.code || hint == "" {
			t.Errorf("%v: exit %d (hint %q), want %d", c.err, code, hint, c.code)
		}
	}
}
