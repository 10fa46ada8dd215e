package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"synco/publish"
)

// A stop while Build still trains the dictionary after Ready is explained; one
// after Build returned is not; and the summary of a publisher stopped meanwhile
// does not say it is serving.
func TestNoticeStop(t *testing.T) {
	run := func(stopFirst bool) bool {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		built := make(chan struct{})
		said := false
		done := noticeStop(ctx, built, func() { said = true })
		if stopFirst {
			stop()
			<-done // before Build returns
			close(built)
		} else {
			close(built)
			stop()
			<-done
		}
		return said
	}
	if !run(true) {
		t.Error("a stop while Build runs: no notice")
	}
	if run(false) {
		t.Error("a stop after Build returned: a notice")
	}
	for _, stopped := range []bool{false, true} {
		var out bytes.Buffer
		(&PublishCmd{}).summarize(&Env{Prog: "synco-lite", Stderr: &out}, &publish.Result{}, time.Now(), stopped)
		if serving := strings.Contains(out.String(), "serving until"); serving == stopped {
			t.Errorf("stopped %v: summary %q", stopped, out.String())
		}
	}
}
