package main

import (
	"fmt"
	"strings"
	"testing"

	"synco/cmd/internal/cli"
	"synco/fetch"
	"synco/remote"
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

// An agent that failed because the source's database refused the
// application's credentials gets a hint about them, not "give the
// application's directory"; an exec-style --via without sh -c is named.
func TestAgentCredentialsHint(t *testing.T) {
	for _, msg := range []string{
		"synco-lite failed on the source: database: connect mysql://u:xxxxx@127.0.0.1:3306/db: mysql: access denied (wrong user or password): Error 1045",
		`synco-lite failed on the source: database: connect postgres://u:xxxxx@127.0.0.1/db: FATAL: password authentication failed for user "u"`,
		`synco-lite failed on the source: database: connect postgres://u@127.0.0.1/db: FATAL: role "u" does not exist`,
	} {
		_, hint := cli.Classify("synco pull", fmt.Errorf("%s: %w", msg, remote.ErrAgent))
		if !strings.Contains(hint, "refused the user or password") {
			t.Errorf("%s: hint %q", msg, hint)
		}
	}
	if _, hint := cli.Classify("synco pull", fmt.Errorf("no such table: %w", remote.ErrAgent)); strings.Contains(hint, "password") {
		t.Errorf("another failure of the agent: hint %q", hint)
	}
	if _, hint := cli.Classify("synco pull", fmt.Errorf("via docker exec -i app: %w", remote.ErrChannel)); !strings.Contains(hint, "ends with sh -c") {
		t.Errorf("channel hint %q", hint)
	}
}
