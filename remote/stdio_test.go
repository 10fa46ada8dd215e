package remote_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"synco/remote"
)

func TestHello(t *testing.T) {
	for _, garbage := range []string{"", "Welcome to prod!\n", "\x00\x00SYNC", strings.Repeat("x", 1000) + "\x00SYNCO"} {
		var b bytes.Buffer
		b.WriteString(garbage)
		if err := remote.WriteHello(&b, "synco1abc"); err != nil {
			t.Fatal(err)
		}
		b.WriteString("after")
		r := bufio.NewReader(&b)
		tok, err := remote.ReadHello(r)
		if err != nil || tok != "synco1abc" {
			t.Fatalf("garbage %q: got %q, %v", garbage, tok, err)
		}
		if rest, _ := io.ReadAll(r); string(rest) != "after" {
			t.Errorf("garbage %q: rest %q", garbage, rest)
		}
	}
	for _, in := range []string{"", "no hello here\n", remote.Magic, remote.Magic + "\x00\x05abc", strings.Repeat("y", 70<<10) + remote.Magic + "\x00\x01a"} {
		if _, err := remote.ReadHello(bufio.NewReader(strings.NewReader(in))); err != remote.ErrNoHello {
			t.Errorf("%.20q: err %v, want ErrNoHello", in, err)
		}
	}
}

// pipes returns the two ends of a channel: what the agent reads and writes, and
// what the destination reads and writes.
func pipes(t *testing.T) (agent, dest *remote.Conn) {
	ar, dw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dr, aw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return remote.NewConn(ar, aw), remote.NewConn(dr, dw)
}

func TestServeOverPipes(t *testing.T) {
	agent, dest := pipes(t)
	data := make([]byte, 3<<20)
	rand.Read(data)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
	served := make(chan error, 1)
	go func() { served <- remote.Serve(t.Context(), agent, h, time.Minute) }()

	tr, err := remote.Dial(t.Context(), dest, nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			off := i * 100_000
			req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://stdio/x/p/a", nil)
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+1_500_000-1))
			resp, err := hc.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.ProtoMajor != 2 || !bytes.Equal(b, data[off:off+1_500_000]) {
				errs <- fmt.Errorf("range %d: proto %s, %d bytes, %v", i, resp.Proto, len(b), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := tr.End(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after the end request")
	}
	dest.Close()
}

// The agent stops when the destination goes away without a word.
func TestServeEndsWithConnection(t *testing.T) {
	agent, dest := pipes(t)
	served := make(chan error, 1)
	go func() { served <- remote.Serve(t.Context(), agent, http.NotFoundHandler(), time.Minute) }()
	dest.Close()
	select {
	case <-served:
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after the connection closed")
	}
}
