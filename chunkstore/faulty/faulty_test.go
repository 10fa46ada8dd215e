package faulty_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"synco/chunkstore"
	"synco/chunkstore/faulty"
	"synco/chunkstore/storetest"
)

func newStore(t *testing.T) *faulty.Store {
	d, err := chunkstore.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return faulty.New(d)
}

// With no faults set, the wrapper is a conforming Store.
func TestStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chunkstore.Store { return newStore(t) })
}

func TestStoreFaults(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	id, data := chunkstore.ID{1}, []byte("0123456789")

	s.FailNth(faulty.OpPut, 1)
	if err := s.Put(ctx, id, data); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("Put 1: %v, want ErrInjected", err)
	}
	if ok, _ := s.Has(ctx, id); ok {
		t.Fatal("failed Put reached the store")
	}
	if err := s.Put(ctx, id, data); err != nil {
		t.Fatalf("Put 2: %v", err)
	}

	s.FailFrom(faulty.OpGet, 2)
	if _, err := s.Get(ctx, id); err != nil {
		t.Fatalf("Get 1: %v", err)
	}
	for i := 2; i < 5; i++ {
		if _, err := s.Get(ctx, id); !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("Get %d: %v, want ErrInjected", i, err)
		}
	}
	if s.Calls(faulty.OpGet) != 4 || s.Calls(faulty.OpPut) != 2 || s.Calls(faulty.OpHas) != 1 {
		t.Errorf("calls: has %d get %d put %d", s.Calls(faulty.OpHas), s.Calls(faulty.OpGet), s.Calls(faulty.OpPut))
	}
	s.Reset()

	s.Truncate(4)
	s.FlipByte(1)
	if got, err := s.Get(ctx, id); err != nil || string(got) != "0\xce23" {
		t.Errorf("truncated+flipped Get = %q, %v", got, err)
	}
	s.FlipByte(100) // beyond the data: no effect
	s.Truncate(-1)
	if got, _ := s.Get(ctx, id); !bytes.Equal(got, data) {
		t.Errorf("Get after turning faults off = %q", got)
	}

	s.Delay(time.Hour)
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Has(ctx2, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed Has: %v, want DeadlineExceeded", err)
	}
}

func TestTransportFaults(t *testing.T) {
	payload := bytes.Repeat([]byte("abcdefgh"), 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(payload)
	}))
	defer srv.Close()
	tr := faulty.NewTransport(srv.Client().Transport)
	c := &http.Client{Transport: tr}

	get := func(ctx context.Context) (int, []byte, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	ctx := t.Context()

	tr.FailNth(2)
	tr.StatusNth(3, http.StatusServiceUnavailable)
	if _, b, err := get(ctx); err != nil || !bytes.Equal(b, payload) {
		t.Fatalf("request 1: %v", err)
	}
	if _, _, err := get(ctx); !errors.Is(err, faulty.ErrInjected) {
		t.Fatalf("request 2: %v, want ErrInjected", err)
	}
	if code, _, err := get(ctx); err != nil || code != http.StatusServiceUnavailable {
		t.Fatalf("request 3: %d, %v; want 503", code, err)
	}

	tr.TruncateBody(100, nil)
	if _, b, err := get(ctx); err != nil || !bytes.Equal(b, payload[:100]) {
		t.Errorf("clean truncation: %d bytes, %v", len(b), err)
	}
	tr.TruncateBody(100, io.ErrUnexpectedEOF)
	if _, b, err := get(ctx); !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != 100 {
		t.Errorf("truncation with error: %d bytes, %v", len(b), err)
	}
	tr.TruncateBody(-1, nil)

	tr.FlipByte(5000)
	_, b, err := get(ctx)
	if err != nil || len(b) != len(payload) || b[5000] != payload[5000]^0xff || !bytes.Equal(b[:5000], payload[:5000]) || !bytes.Equal(b[5001:], payload[5001:]) {
		t.Errorf("flip: %v", err)
	}
	tr.Reset()

	tr.Delay(time.Hour)
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := get(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("delayed request: %v, want DeadlineExceeded", err)
	}
	if n := tr.Requests(); n != 7 {
		t.Errorf("Requests = %d, want 7", n)
	}
}

// A flipped or truncated chunk from the store is caught by Keys.Open.
func TestStoreCorruptionDetected(t *testing.T) {
	s := newStore(t)
	k := chunkstore.NewKeys([32]byte{1})
	plain := []byte("some chunk content")
	id := k.ID(plain)
	if err := s.Put(t.Context(), id, k.Seal(nil, id, plain)); err != nil {
		t.Fatal(err)
	}
	for _, fault := range []func(){func() { s.FlipByte(30) }, func() { s.Truncate(20) }} {
		s.Reset()
		fault()
		sealed, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := k.Open(nil, id, sealed); !errors.Is(err, chunkstore.ErrCorrupt) {
			t.Errorf("Open of damaged chunk: %v, want ErrCorrupt", err)
		}
	}
}
