package postgres_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// faultySource fails the nth Open of a data stream after some bytes, or
// blocks it until ctx is cancelled.
type faultySource struct {
	*dumperstest.Mem
	n      int32
	opens  atomic.Int32
	block  bool
	cancel context.CancelFunc
}

var errInjected = errors.New("injected failure")

func (f *faultySource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if strings.HasPrefix(name, dumpers.DataDir) && f.opens.Add(1) == f.n {
		if f.block {
			f.cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		}
		r, _ := f.Mem.Open(ctx, name)
		return io.NopCloser(io.MultiReader(io.LimitReader(r, 100), errReader{})), nil
	}
	return f.Mem.Open(ctx, name)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errInjected }

// targetWithData creates a database holding one marker row.
func targetWithData(t *testing.T) *postgres.Config {
	cfg := newDB(t, "target")
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader(
		"CREATE TABLE public.keep (v text); INSERT INTO public.keep VALUES ('old');")); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func leftovers(t *testing.T, db string) int64 {
	conn := dbConn(t, server(t))
	return count(t, conn, "SELECT count(*) FROM pg_database WHERE datname LIKE '"+db+"\\_\\_synco%'")
}

func TestImportFailureKeepsTarget(t *testing.T) {
	t.Parallel()
	src := loadPagila(t, false)
	s := dump(t, src, dumpers.Options{})
	for _, tc := range []struct {
		name  string
		block bool
		want  error
	}{{"stream error", false, errInjected}, {"cancelled", true, context.Canceled}} {
		t.Run(tc.name, func(t *testing.T) {
			dst := targetWithData(t)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := &faultySource{Mem: s, n: 5, block: tc.block, cancel: cancel}
			err := postgres.Import(ctx, dst, f, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("import error %v, want %v", err, tc.want)
			}
			conn := dbConn(t, dst)
			if n := count(t, conn, "SELECT count(*) FROM public.keep"); n != 1 {
				t.Errorf("target lost its data: %d rows", n)
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_class WHERE relname = 'actor'"); n != 0 {
				t.Errorf("target got partial import")
			}
			if n := leftovers(t, dst.Database); n != 0 {
				t.Errorf("%d staging databases left", n)
			}
		})
	}
}

func TestImportReplacesTarget(t *testing.T) {
	t.Parallel()
	src := newDB(t, "small")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(
		"CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'new');")); err != nil {
		t.Fatal(err)
	}
	s := dump(t, src, dumpers.Options{})
	dst := targetWithData(t)
	busy := dbConn(t, dst) // a session on the target: the swap must end it
	var last dumpers.Progress
	if err := postgres.Import(t.Context(), dst, s, func(p dumpers.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if !last.Done || last.Bytes == 0 {
		t.Errorf("last progress %+v", last)
	}
	_ = busy
	conn := dbConn(t, dst)
	if n := count(t, conn, "SELECT count(*) FROM pg_class WHERE relname = 'keep'"); n != 0 {
		t.Error("table that exists only locally survived the import")
	}
	if n := count(t, conn, "SELECT count(*) FROM public.t"); n != 1 {
		t.Errorf("imported rows %d", n)
	}
	if n := leftovers(t, dst.Database); n != 0 {
		t.Errorf("%d staging/backup databases left", n)
	}

	// A missing target is created.
	missing := server(t).WithDatabase("synco_test_missing_" + randSuffix())
	t.Cleanup(func() { dropDB(missing.Database) })
	if err := postgres.Import(t.Context(), missing, s, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, dbConn(t, missing), "SELECT count(*) FROM public.t"); n != 1 {
		t.Errorf("imported rows %d", n)
	}
}
