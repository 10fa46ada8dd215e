package faulty_test

import (
	"bytes"
	"context"
	"errors"
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
