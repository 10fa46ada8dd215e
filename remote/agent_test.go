package remote_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"synco/remote"
)

// TestStartCancelledWhileAChildHoldsThePipes: Ctrl-C while waiting for the agent's
// hello, with a channel program that left a child behind holding its stdout (as a
// shell wrapper around ssh did): Start returns soon after, it does not wait for the
// child.
func TestStartCancelledWhileAChildHoldsThePipes(t *testing.T) {
	ch := remote.Channel{Kind: remote.Via, ViaCommand: "sh -c 'sleep 60 & sleep 60'"}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := remote.Start(ctx, ch, remote.Platform{Base: t.TempDir(), Version: "v"}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > remote.Grace+5*time.Second {
		t.Fatalf("Start returned after %s", d)
	}
}
