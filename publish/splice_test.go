package publish

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

// saved writes what l recorded as the db-chunks file of a state in dir, and
// returns it opened as the next publish opens it.
func saved(t testing.TB, dir string, l *baseLog) *baseIndex {
	t.Helper()
	st := &State{dir: dir}
	if err := st.saveBases(l, nil); err != nil {
		t.Fatal(err)
	}
	l.close()
	st.useBases()
	t.Cleanup(st.bases.close)
	return st.bases
}

func TestBaseIndex(t *testing.T) {
	a, b, short := []byte("(1,'alpha','some text'),\n"), []byte("(2,'beta','other text'),\n"), []byte("tiny")
	dir := t.TempDir()
	rec := &baseLog{dir: dir}
	rec.add(chunkstore.ID{1}, a)
	rec.add(chunkstore.ID{2}, b)
	rec.add(chunkstore.ID{3}, short) // too short to have fingers: not recorded
	rec.add(chunkstore.ID{4}, a)     // the same fingers as {1}, recorded later: {1} wins
	rec.add(chunkstore.ID{5}, []byte("(5,'gamma','more words'),\n"))
	x := saved(t, dir, rec) // as the next publish loads it
	if x == nil || len(x.head.v) != 4 {
		t.Fatalf("decoded %v", x)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, basesFile+"*")); len(names) != 1 {
		t.Errorf("state directory has %v, want only %s", names, basesFile)
	}
	editedMiddle := bytes.Replace(a, []byte("alpha"), []byte("ALPHA"), 1)
	editedEnd := append(bytes.Clone(b[:len(b)-2]), "X\n"...)
	editedStart := append([]byte("(9,'"), a[4:]...)
	c := []byte("(5,'gamma','more words'),\n")
	headOfAtailOfC := append(bytes.Clone(a[:10]), c[10:]...)
	for _, tc := range []struct {
		name  string
		plain []byte
		want  []chunkstore.ID
	}{
		{"same first and last bytes", editedMiddle, []chunkstore.ID{{1}}},
		{"same first bytes", editedEnd, []chunkstore.ID{{2}}},
		{"same last bytes", editedStart, []chunkstore.ID{{1}}},
		{"first bytes of one, last of another", headOfAtailOfC, []chunkstore.ID{{1}, {5}}},
		{"new data", []byte("a row that was never there before;\n"), nil},
		{"too short", []byte("(1,'alpha'"), nil},
	} {
		if got := x.candidates(tc.plain); !slices.Equal(got, tc.want) {
			t.Errorf("%s: candidates %v, want %v", tc.name, got, tc.want)
		}
	}
	var none *baseIndex // no db-chunks file: no splices
	if got := none.candidates(editedMiddle); got != nil {
		t.Errorf("nil index: %v", got)
	}
	if err := os.WriteFile(filepath.Join(dir, basesFile), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if openBases(filepath.Join(dir, basesFile)) != nil {
		t.Error("a damaged file opened")
	}
}

// TestBasesCarried: a publish that took a database stream from the stat cache
// keeps that stream's records of the last db-chunks file, and no others.
func TestBasesCarried(t *testing.T) {
	dir := t.TempDir()
	a, b := []byte("(1,'alpha','some text'),\n"), []byte("(2,'beta','other text'),\n")
	first := &baseLog{dir: dir}
	first.add(chunkstore.ID{1}, a)
	first.add(chunkstore.ID{2}, b)
	st := &State{dir: dir, bases: saved(t, dir, first)}
	next := &baseLog{dir: dir}
	next.add(chunkstore.ID{3}, []byte("(3,'gamma','new text'),\n"))
	if err := st.saveBases(next, newIDSet([]chunkstore.ID{{2}, {3}})); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, basesFile))
	if err != nil {
		t.Fatal(err)
	}
	var ids []chunkstore.ID
	for ; len(got) >= baseRecSize; got = got[baseRecSize:] {
		ids = append(ids, chunkstore.ID(got[:32]))
	}
	if want := []chunkstore.ID{{3}, {2}}; !slices.Equal(ids, want) || len(got) != 0 {
		t.Errorf("db-chunks holds %v (+%d bytes), want %v", ids, len(got), want)
	}
}

// db-chunks is read back by the next publish: any bytes open or are refused,
// and no lookup panics.
func FuzzOpenBases(f *testing.F) {
	dir := f.TempDir()
	rec := &baseLog{dir: dir}
	rec.add(chunkstore.ID{1}, []byte("(1,'alpha','some text'),\n"))
	rec.add(chunkstore.ID{2}, []byte("(2,'beta','other text'),\n"))
	saved(f, dir, rec)
	b, err := os.ReadFile(filepath.Join(dir, basesFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte("damaged"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), basesFile)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		x := openBases(path)
		if x == nil {
			if len(b)%baseRecSize == 0 {
				t.Fatalf("%d bytes refused", len(b))
			}
			return
		}
		defer x.close()
		if len(x.head.v)*baseRecSize != len(b) {
			t.Fatalf("%d records from %d bytes", len(x.head.v), len(b))
		}
		x.candidates(b) // no panic on any lookup
	})
}

func TestPrevChunks(t *testing.T) {
	id := func(b byte) chunkstore.ID { return chunkstore.ID{b} }
	at := prevChunks([]manifest.Ref{{ID: id(1), Len: 100}, {ID: id(2), Len: 50}, {ID: id(3), Len: 10}})
	for _, c := range []struct {
		off  uint64
		want []chunkstore.ID
	}{
		{0, []chunkstore.ID{id(1)}},
		{99, []chunkstore.ID{id(1)}},
		{100, []chunkstore.ID{id(2)}},
		{159, []chunkstore.ID{id(3)}},
		{160, nil}, // appended beyond the old end
		{1 << 40, nil},
	} {
		if got := at(c.off); !slices.Equal(got, c.want) {
			t.Errorf("chunk at %d: %v, want %v", c.off, got, c.want)
		}
	}
	if got := prevChunks(nil)(0); got != nil {
		t.Errorf("no last version: %v", got)
	}
}
