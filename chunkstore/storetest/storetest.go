// Package storetest is a conformance suite for chunkstore.Store
// implementations.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"synco/chunkstore"
)

// Run tests the Store contract on fresh stores made by open: put, get and has;
// not found; idempotent put; concurrent puts of the same and of different
// IDs; empty and MaxSealedSize chunks; slices not retained; cancelled
// contexts. A Store does not verify content, so the suite uses random bytes
// under random IDs.
func Run(t *testing.T, open func(t *testing.T) chunkstore.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s chunkstore.Store)
	}{
		{"PutGetHas", testPutGetHas},
		{"NotFound", testNotFound},
		{"IdempotentPut", testIdempotentPut},
		{"Sizes", testSizes},
		{"NotRetained", testNotRetained},
		{"ConcurrentSameID", testConcurrentSame},
		{"ConcurrentDifferentIDs", testConcurrentDifferent},
		{"CancelledContext", testCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// chunk returns a random ID and n random bytes, determined by seed.
func chunk(seed uint64, n int) (chunkstore.ID, []byte) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var id chunkstore.ID
	for i := range id {
		id[i] = byte(r.Uint32())
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return id, b
}

func mustPut(t *testing.T, s chunkstore.Store, id chunkstore.ID, b []byte) {
	t.Helper()
	if err := s.Put(t.Context(), id, b); err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
}

func mustGet(t *testing.T, s chunkstore.Store, id chunkstore.ID, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s): got %d bytes, want %d bytes (equal: false)", id, len(got), len(want))
	}
}

func mustHave(t *testing.T, s chunkstore.Store, id chunkstore.ID, want bool) {
	t.Helper()
	ok, err := s.Has(t.Context(), id)
	if err != nil || ok != want {
		t.Fatalf("Has(%s) = %v, %v; want %v, nil", id, ok, err, want)
	}
}

func testPutGetHas(t *testing.T, s chunkstore.Store) {
	for i, n := range []int{1, 100, 4096, 70000} {
		id, b := chunk(uint64(i), n)
		mustHave(t, s, id, false)
		mustPut(t, s, id, b)
		mustHave(t, s, id, true)
		mustGet(t, s, id, b)
	}
}

func testNotFound(t *testing.T, s chunkstore.Store) {
	id, b := chunk(1, 10)
	other, _ := chunk(2, 0)
	mustPut(t, s, other, b)
	mustHave(t, s, id, false)
	got, err := s.Get(t.Context(), id)
	if !errors.Is(err, chunkstore.ErrNotFound) {
		t.Fatalf("Get(absent) = %d bytes, %v; want ErrNotFound", len(got), err)
	}
}

func testIdempotentPut(t *testing.T, s chunkstore.Store) {
	id, b := chunk(3, 1000)
	for range 3 {
		mustPut(t, s, id, b)
	}
	mustGet(t, s, id, b)
}

func testSizes(t *testing.T, s chunkstore.Store) {
	for i, n := range []int{0, 1, chunkstore.MaxSealedSize} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			id, b := chunk(uint64(100+i), n)
			mustPut(t, s, id, b)
			mustHave(t, s, id, true)
			mustGet(t, s, id, b)
		})
	}
}

func testNotRetained(t *testing.T, s chunkstore.Store) {
	id, b := chunk(4, 500)
	orig := bytes.Clone(b)
	mustPut(t, s, id, b)
	b[0] ^= 0xff
	mustGet(t, s, id, orig)
	got, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got[1] ^= 0xff
	mustGet(t, s, id, orig)
}

func testConcurrentSame(t *testing.T, s chunkstore.Store) {
	id, b := chunk(5, 20000)
	run(t, 8, func(int) error { return s.Put(t.Context(), id, b) })
	mustGet(t, s, id, b)
}

func testConcurrentDifferent(t *testing.T, s chunkstore.Store) {
	const workers, each = 8, 16
	run(t, workers, func(w int) error {
		for i := range each {
			id, b := chunk(uint64(1000+w*each+i), 100+i*37)
			if err := s.Put(t.Context(), id, b); err != nil {
				return err
			}
			if got, err := s.Get(t.Context(), id); err != nil || !bytes.Equal(got, b) {
				return fmt.Errorf("Get(%s) after Put: %v, equal %v", id, err, bytes.Equal(got, b))
			}
		}
		return nil
	})
	for i := range workers * each {
		id, b := chunk(uint64(1000+i), 100+i%each*37)
		mustGet(t, s, id, b)
	}
}

func testCancelled(t *testing.T, s chunkstore.Store) {
	id, b := chunk(6, 10)
	mustPut(t, s, id, b)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	other, _ := chunk(7, 0)
	if err := s.Put(ctx, other, b); !errors.Is(err, context.Canceled) {
		t.Errorf("Put(cancelled) = %v; want context.Canceled", err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled) = %v; want context.Canceled", err)
	}
	if _, err := s.Has(ctx, id); !errors.Is(err, context.Canceled) {
		t.Errorf("Has(cancelled) = %v; want context.Canceled", err)
	}
	mustHave(t, s, other, false)
}

// run calls fn(0..n-1) in parallel and fails t on any error.
func run(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}
