package chunkstore

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned (wrapped) by Store.Get for a chunk the store
	// does not hold.
	ErrNotFound = errors.New("chunkstore: chunk not found")
	// ErrCorrupt matches every *CorruptError: errors.Is(err, ErrCorrupt).
	ErrCorrupt = errors.New("chunkstore: chunk corrupt")
	// ErrLocked is returned by OpenPackStore when another process (or another
	// PackStore in this process) has the directory open.
	ErrLocked = errors.New("chunkstore: pack store in use")
)

// CorruptError reports a chunk that failed verification: it is too short, of
// an unknown format, fails authentication (wrong key, wrong ID, tampered), does
// not decompress, or does not hash to its ID. errors.Is(err, ErrCorrupt) is
// true for it.
type CorruptError struct {
	ID  ID
	Err error
}

func (e *CorruptError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("chunkstore: chunk %s corrupt", e.ID)
	}
	return fmt.Sprintf("chunkstore: chunk %s corrupt: %v", e.ID, e.Err)
}

// Unwrap returns the underlying cause.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
