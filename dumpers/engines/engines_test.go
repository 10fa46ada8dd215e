package engines_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"synco/dumpers"
	"synco/dumpers/engines"
	"synco/internal/testenv"
)

func TestName(t *testing.T) {
	for dsn, want := range map[string]string{
		"mysql://u@h/db": "mysql", "MariaDB://u@h/db": "mysql",
		"postgres://u@h/db": "postgres", "postgresql://h/db": "postgres", "pgsql://h/db": "postgres",
	} {
		if got, err := engines.Name(dsn); err != nil || got != want {
			t.Errorf("Name(%q) = %q, %v; want %q", dsn, got, err, want)
		}
	}
	for _, dsn := range []string{"", "sqlite:///x.db", "mysql", "http://x/"} {
		if _, err := engines.Open(dsn); !errors.Is(err, engines.ErrUnknown) {
			t.Errorf("Open(%q): %v, want ErrUnknown", dsn, err)
		}
	}
}

// TestEngines opens a database of each engine that does not exist, then one that
// does, and dumps it through the interface.
func TestEngines(t *testing.T) {
	for _, base := range []string{"mysql://root@127.0.0.1:3306/", "postgres://postgres@127.0.0.1:5432/"} {
		name := fmt.Sprintf("synco_engines_%d", rand.Uint32())
		e, err := engines.Open(base + name)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := e.Exists(t.Context())
		testenv.Require(t, e.Name(), err)
		if ok || e.Database() != name {
			t.Errorf("%s: %s exists %v, database %q", e.Name(), name, ok, e.Database())
		}
		admin, _ := engines.Open(base + map[string]string{"mysql": "mysql", "postgres": "postgres"}[e.Name()])
		if _, err := admin.Column(t.Context(), "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		// Not t.Context(): it is cancelled before the cleanups run (the databases were left behind).
		t.Cleanup(func() { admin.Column(context.Background(), "DROP DATABASE IF EXISTS "+name) })
		if ok, err := e.Exists(t.Context()); err != nil || !ok {
			t.Errorf("%s: created %s does not exist: %v", e.Name(), name, err)
		}
		if _, err := e.Column(t.Context(), "CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		dir := &dumpers.Dir{Root: t.TempDir()}
		if err := e.Dump(t.Context(), dir, dumpers.Options{}); err != nil {
			t.Fatal(err)
		}
		if len(dir.Names()) < 2 {
			t.Errorf("%s: dump has streams %v", e.Name(), dir.Names())
		}
	}
}
