package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// faultySource wraps a Source: the failAt-th Open (1-based) returns a reader
// that fails half-way; cancel, if set, is called at that point instead.
type faultySource struct {
	src    *dumperstest.Mem
	failAt int32
	opens  atomic.Int32
	cancel context.CancelFunc
}

var errInjected = errors.New("injected stream failure")

func (f *faultySource) Names() []string { return f.src.Names() }

func (f *faultySource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	r, err := f.src.Open(ctx, name)
	if err != nil || f.opens.Add(1) != f.failAt {
		return r, err
	}
	b, _ := io.ReadAll(r)
	return &failingReader{data: b[:len(b)/2], f: f}, nil
}

type failingReader struct {
	data []byte
	f    *faultySource
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.f.cancel != nil {
			r.f.cancel()
			return 0, context.Canceled
		}
		return 0, errInjected
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *failingReader) Close() error { return nil }

// fingerprint describes a database: tables with checksums plus its other objects.
func fingerprint(t *testing.T, db *sql.DB, name string) map[string]string {
	t.Helper()
	m := checksums(t, db, name)
	for k, v := range viewDefs(t, db, name) {
		m["view "+k] = v
	}
	for _, q := range []string{
		"SELECT GROUP_CONCAT(TRIGGER_NAME ORDER BY TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
		"SELECT GROUP_CONCAT(ROUTINE_NAME ORDER BY ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
		"SELECT GROUP_CONCAT(EVENT_NAME ORDER BY EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
		"SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
	} {
		m[q] = queryString(t, db, q, name)
	}
	return m
}

func TestImportFailureLeavesTargetIntact(t *testing.T) {
	db := server(t)
	edge := createEdge(t, db)
	d := dump(t, edge, dumpers.Options{})
	// the target holds another database (Sakila) that must survive
	target := loadSakila(t, db)
	want := fingerprint(t, db, target)

	nstreams := int32(len(d.Names()))
	for _, tc := range []struct {
		name   string
		failAt int32
		cancel bool
	}{
		{"schema stream fails", 1, false},
		{"a data stream fails", 3, false},
		{"last stream (post.sql) fails", nstreams, false},
		{"cancelled half-way", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			src := &faultySource{src: d, failAt: tc.failAt}
			if tc.cancel {
				src.cancel = cancel
			}
			err := mysql.Import(ctx, cfgFor(t, target), src, nil)
			if err == nil {
				t.Fatal("import succeeded")
			}
			if !tc.cancel && !errors.Is(err, errInjected) {
				t.Errorf("error %v does not wrap the stream's error", err)
			}
			equalMaps(t, "target", want, fingerprint(t, db, target))
			if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", target+"\\_\\_synco%"); n != 0 {
				t.Errorf("%d staging databases left behind", n)
			}
		})
	}

	// a broken post.sql (a view on a missing table) fails in staging, target intact
	broken := dumperstest.NewMem()
	for _, n := range d.Names() {
		broken.Streams[n] = d.Streams[n]
	}
	broken.Streams[dumpers.PostStream] = append([]byte("CREATE VIEW v_broken AS SELECT * FROM no_such_table;\n"), d.Streams[dumpers.PostStream]...)
	if err := mysql.Import(t.Context(), cfgFor(t, target), broken, nil); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("broken post.sql: %v", err)
	}
	equalMaps(t, "target", want, fingerprint(t, db, target))

	// an event that fails: events are only created in the target, after the tables
	// were swapped in, so this exercises the roll-back of the swap
	broken.Streams[dumpers.PostStream] = append(append([]byte{}, d.Streams[dumpers.PostStream]...), "CREATE EVENT e_bad ON SCHEDULE EVERY 1 DAY DO SELECT FROM FROM;\n"...)
	if err := mysql.Import(t.Context(), cfgFor(t, target), broken, nil); err == nil || !strings.Contains(err.Error(), "e_bad") {
		t.Errorf("broken event: %v", err)
	}
	equalMaps(t, "target after roll-back", want, fingerprint(t, db, target))
	checkSakila(t, db, target)

	// and finally a good import replaces everything
	if err := mysql.Import(t.Context(), cfgFor(t, target), d, nil); err != nil {
		t.Fatal(err)
	}
	equalMaps(t, "after import", asImported(fingerprint(t, db, edge)), fingerprint(t, db, target))
}

// TestLeftoversReclaimed: staging and backup databases of a killed import of the
// target are dropped by the next import; look-alike names are kept.
func TestLeftoversReclaimed(t *testing.T) {
	db := server(t)
	src := newDB(t, db, "rsrc")
	mustExec(t, db, "CREATE TABLE `"+src+"`.t (id INT PRIMARY KEY)")
	d := dump(t, src, dumpers.Options{})
	target := newDB(t, db, "rtgt")
	stale := []string{target + "__synco_0123abcd", target + "__synco_old_89abcdef"}
	keep := []string{target + "__synco_0123abcg", target + "x__synco_0123abcd", target + "__synco_old_0123abcd_x"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		mustExec(t, db, "CREATE DATABASE `"+n+"`")
		dropAtCleanup(t, db, n)
	}
	if err := mysql.Import(t.Context(), cfgFor(t, target), d, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", n) != 0 {
			t.Errorf("%s left", n)
		}
	}
	for _, n := range keep {
		if queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", n) != 1 {
			t.Errorf("%s dropped", n)
		}
	}
}
