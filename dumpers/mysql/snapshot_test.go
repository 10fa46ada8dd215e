package mysql

import (
	"context"
	"testing"

	"synco/internal/testenv"
)

// A dump interrupted while its snapshot opens (Ctrl-C during FLUSH TABLES WITH
// READ LOCK) fails with the context's error; it used to panic closing a nil
// snapshot.
func TestSnapshotInterrupted(t *testing.T) {
	cfg, err := ParseDSN("mysql://root@127.0.0.1:3306/")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := open(t.Context(), cfg)
	if err != nil {
		testenv.Require(t, "MariaDB/MySQL at root@127.0.0.1:3306", err)
	}
	defer srv.db.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := openSnapshot(ctx, srv.db, 2); err == nil {
		s.close()
		t.Fatal("snapshot opened with a cancelled context")
	}
}
