package remote_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"synco/remote"
)

// The channel's stdin never reaches end-of-file (kwok's exec; a kubelet or proxy
// that does not propagate the close): after a fetch whose http.Client closes its
// idle connections (fetch does: httpsrv.Client.Close), the end request must still
// stop the agent.
func TestEndAfterCloseIdleWithoutEOF(t *testing.T) {
	toAgentR, toAgentW := io.Pipe() // the destination writes, the agent reads; never closed by the "channel"
	fromAgentR, fromAgentW := io.Pipe()
	agentIn := struct{ io.Reader }{toAgentR} // no Close: the agent cannot see EOF
	served := make(chan error, 1)
	go func() {
		served <- remote.Serve(context.Background(), remote.NewConn(agentIn, fromAgentW),
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), 2*time.Minute)
	}()
	// The destination's side: closing its Conn closes only its own ends (like
	// closing kubectl's stdin), not the agent's stdin.
	dst := remote.NewConn(fromAgentR, struct{ io.Writer }{toAgentW})
	tr, err := remote.Dial(context.Background(), dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	(&http.Client{Transport: tr}).CloseIdleConnections() // what fetch does when it is done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.End(ctx); err != nil {
		t.Errorf("End after the fetch: %v", err)
	}
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent still serves 10 s after the end request: it would run until its idle timeout")
	}
}
