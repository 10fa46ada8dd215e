package fetch_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/fetch"
	"synco/publish"
)

// TestFetchTargetLocked: a second fetch into a directory that a fetch is
// writing into fails at once with ErrTargetLocked and touches nothing.
func TestFetchTargetLocked(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	to := filepath.Join(t.TempDir(), "out")
	blocked, release := make(chan struct{}), make(chan struct{})
	first := true
	defer fetch.SetTestHook(func(op, rel string) {
		if op == "open" && first {
			first = false
			close(blocked)
			<-release
		}
	})()
	done := make(chan error, 1)
	go func() {
		_, err := fetch.Run(t.Context(), options(t, src, to, nil))
		done <- err
	}()
	<-blocked
	_, err := fetch.Run(t.Context(), options(t, src, to, nil))
	close(release)
	if !errors.Is(err, fetch.ErrTargetLocked) {
		t.Errorf("second fetch into the same directory: %v, want ErrTargetLocked", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first fetch: %v", err)
	}
	sameTree(t, to, files, dump)
	// Once the first is done, the directory is free again.
	if _, err := fetch.Run(t.Context(), options(t, src, to, nil)); err != nil {
		t.Fatalf("fetch after the first ended: %v", err)
	}
}

// TestFetchRespectsUmask: files get their published mode less the umask, the
// .sql dump is 0600 whatever the umask, directories are masked too, and a
// second fetch finds the masked files unchanged. (Not parallel: the umask is
// the process's.)
func TestFetchRespectsUmask(t *testing.T) {
	files, dump := sample()
	src := newSource(t, files, dump)
	for _, tc := range []struct {
		umask          int
		file, sql, dir os.FileMode
	}{
		{0o077, 0o600, 0o600, 0o700},
		{0o022, 0o640, 0o600, 0o755},
		{0o027, 0o640, 0o600, 0o750},
	} {
		old := syscall.Umask(tc.umask)
		to := filepath.Join(t.TempDir(), "out")
		opt := options(t, src, to, nil)
		_, err := fetch.Run(t.Context(), opt)
		var again *fetch.Stats
		if err == nil {
			again, err = fetch.Run(t.Context(), opt)
		}
		syscall.Umask(old)
		if err != nil {
			t.Fatalf("umask %03o: %v", tc.umask, err)
		}
		for name, want := range map[string]os.FileMode{"files/a.txt": tc.file, "files/img/a.bin": tc.file, "dump.sql": tc.sql, "files/img": tc.dir, "files": tc.dir} {
			fi, err := os.Stat(filepath.Join(to, filepath.FromSlash(name)))
			if err != nil || fi.Mode().Perm() != want {
				t.Errorf("umask %03o: %s: mode %v, %v; want %v", tc.umask, name, fi.Mode().Perm(), err, want)
			}
		}
		if again.FilesWritten != 0 {
			t.Errorf("umask %03o: second fetch wrote %d files, want 0 (all unchanged)", tc.umask, again.FilesWritten)
		}
	}
}

// TestDumpSQLIsPrivate: a database dump written as <prefix>.sql holds the
// whole database: it is 0600, whatever the umask lets through.
func TestDumpSQLIsPrivate(t *testing.T) {
	st, err := publish.OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pub, _ := publish.NewPublication(st)
	dump := publish.Dump{Prefix: "db", Engine: "mysql", Run: func(ctx context.Context, sink dumpers.Sink) error {
		w, err := sink.Create(ctx, dumpers.SchemaStream)
		if err != nil {
			return err
		}
		io.WriteString(w, "CREATE TABLE t (id INT);\n")
		return w.Close()
	}}
	if _, err := publish.Build(t.Context(), pub, publish.Inputs{Dumps: []publish.Dump{dump}}, 2, nil); err != nil {
		t.Fatal(err)
	}
	token, _ := serve(t, st, pub)
	cache, _ := chunkstore.OpenCache(filepath.Join(t.TempDir(), "c"))
	to := filepath.Join(t.TempDir(), "out")
	old := syscall.Umask(0o022)
	_, err = fetch.Run(t.Context(), fetch.Options{Token: token, To: to, Cache: cache})
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(to, "db.sql")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("db.sql: %v, %v; want mode 0600", fi, err)
	}
}
