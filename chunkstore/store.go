package chunkstore

import "context"

// Store holds sealed chunks by ID. Implementations are safe for concurrent
// use, check ctx before doing I/O, and neither keep nor modify the slices
// passed to Put or returned by Get. A Store does not verify chunks: readers
// call Keys.Open on what Get returns.
type Store interface {
	// Has reports whether the store holds id.
	Has(ctx context.Context, id ID) (bool, error)
	// Get returns the sealed chunk id, or an error wrapping ErrNotFound.
	Get(ctx context.Context, id ID) ([]byte, error)
	// Put stores sealed as id. Putting an ID the store holds is a no-op.
	Put(ctx context.Context, id ID, sealed []byte) error
}

var (
	_ Store = (*Dir)(nil)
	_ Store = (*Cache)(nil)
	_ Store = (*PackStore)(nil)
)
