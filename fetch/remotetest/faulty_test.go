package remotetest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"synco/fetch"
	"synco/fetch/remotetest"
	"synco/httpsrv"
)

// mem is a Remote in memory.
type mem struct{ p remotetest.Publication }

func (m mem) Root(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if m.p.Root == nil {
		return nil, httpsrv.ErrGone
	}
	return bytes.Clone(m.p.Root), nil
}

func (m mem) Range(ctx context.Context, pack string, off, n int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, ok := m.p.Packs[pack]
	switch {
	case off < 0 || n <= 0:
		return nil, errors.New("invalid range")
	case !ok:
		return nil, httpsrv.ErrGone
	case off+n > int64(len(b)):
		return nil, io.ErrUnexpectedEOF
	}
	return io.NopCloser(bytes.NewReader(b[off : off+n])), nil
}

func TestFaulty(t *testing.T) {
	pub := remotetest.Sample()
	big := pub.Packs["0big"]
	f := remotetest.NewFaulty(mem{pub})
	ctx := t.Context()
	read := func() ([]byte, error) {
		body, err := f.Range(ctx, "0big", 0, 1000)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		return io.ReadAll(body)
	}
	f.FailNth(1)
	f.StatusNth(2, 503)
	f.StatusNth(3, 404)
	if _, err := f.Root(ctx); !errors.Is(err, remotetest.ErrInjected) || !httpsrv.IsTransient(err) {
		t.Errorf("call 1: %v, want a transient ErrInjected", err)
	}
	var se *httpsrv.StatusError
	if _, err := read(); !errors.As(err, &se) || se.Code != 503 || !httpsrv.IsTransient(err) {
		t.Errorf("call 2: %v, want a transient 503", err)
	}
	if _, err := read(); !errors.Is(err, httpsrv.ErrGone) {
		t.Errorf("call 3: %v, want ErrGone", err)
	}
	if got, err := read(); err != nil || !bytes.Equal(got, big[:1000]) {
		t.Errorf("call 4: %v", err)
	}
	f.Truncate(10, nil)
	if got, err := read(); err != nil || !bytes.Equal(got, big[:10]) {
		t.Errorf("truncated: %d bytes, %v", len(got), err)
	}
	f.Truncate(-1, nil)
	f.FlipByte(5)
	if got, err := read(); err != nil || got[5] != ^big[5] || !bytes.Equal(got[6:], big[6:1000]) {
		t.Errorf("flipped: %v", err)
	}
	if root, err := f.Root(ctx); err != nil || root[5] != ^pub.Root[5] {
		t.Errorf("flipped root: %q, %v", root, err)
	}
	f.Reset()
	f.Stall(100)
	sctx, cancel := context.WithCancel(ctx)
	body, err := f.Range(sctx, "0big", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(10*time.Millisecond, cancel)
	if got, err := io.ReadAll(body); len(got) != 100 || !errors.Is(err, context.Canceled) {
		t.Errorf("stalled: %d bytes, %v", len(got), err)
	}
	f.Reset()
	f.FailFrom(f.Calls() + 2)
	if _, err := read(); err != nil {
		t.Errorf("before FailFrom: %v", err)
	}
	for range 3 {
		if _, err := read(); !errors.Is(err, remotetest.ErrInjected) {
			t.Errorf("after FailFrom: %v", err)
		}
	}
	if f.Calls() != 12 {
		t.Errorf("%d calls, want 12", f.Calls())
	}
}

// TestSuiteOnMemory: the suite passes on a plain Remote in memory (a sanity
// check of the suite itself).
func TestSuiteOnMemory(t *testing.T) {
	remotetest.Run(t, func(t *testing.T, pub remotetest.Publication) fetch.Remote { return mem{pub} })
}
