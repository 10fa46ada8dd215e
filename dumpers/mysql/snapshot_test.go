package mysql

import (
	"context"
	"testing"
)

// A dump interrupted while its snapshot opens (Ctrl-C during FLUSH TABLES WITH
// READ LOCK) fails with the context's error; it used to panic closing a nil
// snapshot.
func TestSnapshotInterrupted(t *testing.T) {
	srv := testServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := openSnapshot(ctx, srv.db, 2); err == nil {
		s.close()
		t.Fatal("snapshot opened with a cancelled context")
	}
}
