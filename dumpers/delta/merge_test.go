package delta_test

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"synco/dumpers/delta"
)

type rows []delta.Row

func (r *rows) Next() (delta.Row, error) {
	if len(*r) == 0 {
		return delta.Row{}, io.EOF
	}
	x := (*r)[0]
	*r = (*r)[1:]
	return x, nil
}

func table(m map[int]string) rows {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out rows
	for _, k := range keys {
		out = append(out, delta.Row{Key: fmt.Appendf(nil, "%d", k), Line: fmt.Appendf(nil, "(%d,'%s')", k, m[k])})
	}
	return out
}

// apply applies d to old the way an engine does (deletes first) and returns the result.
func apply(t *testing.T, old map[int]string, d *delta.Diff) map[int]string {
	t.Helper()
	out := map[int]string{}
	for k, v := range old {
		out[k] = v
	}
	for _, k := range d.Delete {
		var n int
		fmt.Sscanf(string(k), "%d", &n)
		if _, ok := out[n]; !ok {
			t.Fatalf("delete of missing key %s", k)
		}
		delete(out, n)
	}
	for _, l := range d.Insert {
		var n int
		var v string
		fmt.Sscanf(string(l), "(%d,'%s')", &n, &v)
		v = v[:len(v)-2]
		if _, ok := out[n]; ok {
			t.Fatalf("insert of present key %d", n)
		}
		out[n] = v
	}
	return out
}

// randomEdit returns a copy of old with up to edits random deletes, value
// changes, and blocks of inserts and deletes, on keys below keys.
func randomEdit(r *rand.Rand, old map[int]string, keys, edits int) map[int]string {
	neu := maps.Clone(old)
	for range r.IntN(edits) {
		k := r.IntN(keys)
		switch r.IntN(4) {
		case 0:
			delete(neu, k)
		case 1:
			neu[k] = fmt.Sprint(r.IntN(3))
		case 2: // a block insert
			for j := range r.IntN(30) {
				neu[k+j] = "b"
			}
		case 3: // a block delete
			for j := range r.IntN(30) {
				delete(neu, k+j)
			}
		}
	}
	return neu
}

func TestMergeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		n := r.IntN(200)
		old := map[int]string{}
		for range n {
			old[r.IntN(400)] = fmt.Sprint(r.IntN(3))
		}
		neu := randomEdit(r, old, 400, 40)
		o, nw := table(old), table(neu)
		d, err := delta.Merge(&o, &nw, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := apply(t, old, d)
		if fmt.Sprint(got) != fmt.Sprint(neu) {
			t.Fatalf("round %d: got %v want %v", round, got, neu)
		}
		// minimal: only keys that differ are touched
		changed := 0
		for k, v := range neu {
			if ov, ok := old[k]; !ok || ov != v {
				changed++
			}
		}
		if len(d.Insert) != changed {
			t.Fatalf("round %d: %d inserts for %d changed rows", round, len(d.Insert), changed)
		}
	}
}

// randomPair is a random table of up to 300 rows, a random edit of it, and
// Merge's difference between the two.
func randomPair(t *testing.T, r *rand.Rand) (old, neu map[int]string, whole *delta.Diff) {
	t.Helper()
	old = map[int]string{}
	for range r.IntN(300) {
		old[r.IntN(600)] = fmt.Sprint(r.IntN(3))
	}
	neu = randomEdit(r, old, 600, 60)
	o, n := table(old), table(neu)
	whole, err := delta.Merge(&o, &n, 0)
	if err != nil {
		t.Fatal(err)
	}
	return old, neu, whole
}

// TestMergePartsRandom: the parts, applied one after the other (each one's
// deletes first), give the new table — no insert meets a row a later part
// deletes — and together are Merge's difference.
func TestMergePartsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	multi := 0
	for round := range 500 {
		old, neu, whole := randomPair(t, r)
		part := 1 + r.IntN(64)
		o, n := table(old), table(neu)
		got, parts := old, 0
		var dels, ins [][]byte
		err := delta.MergeParts(&o, &n, delta.Parts{Size: part}, func(d *delta.Diff) error {
			if d.Empty() {
				t.Fatalf("round %d: an empty part", round)
			}
			parts++
			got = apply(t, got, d)
			dels, ins = append(dels, d.Delete...), append(ins, d.Insert...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(neu) {
			t.Fatalf("round %d: got %v want %v", round, got, neu)
		}
		if fmt.Sprint(dels) != fmt.Sprint(whole.Delete) || fmt.Sprint(ins) != fmt.Sprint(whole.Insert) {
			t.Fatalf("round %d: the parts are not Merge's difference", round)
		}
		if parts > 1 {
			multi++
		}
	}
	if multi < 100 {
		t.Fatalf("only %d of 500 rounds came in more than one part", multi)
	}
}

// TestMergePartsDeletesFirst: with DeletesFirst every part but the last holds
// deletes only, the last one every insert; in order they are Merge's
// difference, and the deletes come in more than one part.
func TestMergePartsDeletesFirst(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	early := 0
	for round := range 300 {
		old, neu, whole := randomPair(t, r)
		o, n := table(old), table(neu)
		var parts []*delta.Diff
		err := delta.MergeParts(&o, &n, delta.Parts{Size: 1 + r.IntN(16), DeletesFirst: true}, func(d *delta.Diff) error {
			if d.Empty() {
				t.Fatalf("round %d: an empty part", round)
			}
			parts = append(parts, d)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var dels, ins [][]byte
		for i, d := range parts {
			if i < len(parts)-1 && len(d.Insert) > 0 {
				t.Fatalf("round %d: part %d of %d holds inserts", round, i+1, len(parts))
			}
			dels, ins = append(dels, d.Delete...), append(ins, d.Insert...)
		}
		if fmt.Sprint(dels) != fmt.Sprint(whole.Delete) || fmt.Sprint(ins) != fmt.Sprint(whole.Insert) {
			t.Fatalf("round %d: the parts are not Merge's difference", round)
		}
		if len(parts) > 2 {
			early++
		}
	}
	if early < 50 {
		t.Fatalf("only %d of 300 rounds handed deletes over before the end", early)
	}
}

// TestMergePartsCollidingKeys: keys the target holds equal (here: without
// regard to case) and the streams order as it does: a delete and the insert it
// collides with are never in parts that would put the insert first.
func TestMergePartsCollidingKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	words := func(m map[string]string) rows {
		keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
		var out rows
		for _, k := range keys {
			out = append(out, delta.Row{Key: []byte(k), Line: []byte(k + "=" + m[k])})
		}
		return out
	}
	for round := range 300 {
		old := map[string]string{}
		for range r.IntN(100) {
			old[fmt.Sprintf("k%03d", r.IntN(300))] = "v"
		}
		neu := map[string]string{}
		for k, v := range old {
			switch r.IntN(8) {
			case 0:
				k = strings.ToUpper(k) // the same row for the target, other bytes
			case 1:
				v = "w"
			case 2:
				continue
			}
			neu[k] = v
		}
		held := map[string]bool{} // the target, by folded key
		for k := range old {
			held[strings.ToLower(k)] = true
		}
		o, n := words(old), words(neu)
		err := delta.MergeParts(&o, &n, delta.Parts{Size: 1 + r.IntN(20)}, func(d *delta.Diff) error {
			for _, k := range d.Delete {
				if !held[strings.ToLower(string(k))] {
					return fmt.Errorf("delete of missing %s", k)
				}
				delete(held, strings.ToLower(string(k)))
			}
			for _, l := range d.Insert {
				k, _, _ := strings.Cut(string(l), "=")
				if held[strings.ToLower(k)] {
					return fmt.Errorf("insert of %s meets a row still there", k)
				}
				held[strings.ToLower(k)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(held) != len(neu) {
			t.Fatalf("round %d: %d rows, want %d", round, len(held), len(neu))
		}
	}
}

// TestMergePartsLimit: the limit counts the parts handed over, not only the
// one being built; an error of fn stops the merge.
func TestMergePartsLimit(t *testing.T) {
	old, neu := map[int]string{}, map[int]string{}
	for i := range 1000 {
		old[i] = "a"
		neu[i] = "b"
	}
	o, n := table(old), table(neu)
	parts := 0
	err := delta.MergeParts(&o, &n, delta.Parts{Limit: 5000, Size: 100}, func(*delta.Diff) error { parts++; return nil })
	if !errors.Is(err, delta.ErrTooLarge) || parts < 2 {
		t.Fatalf("err %v after %d parts, want ErrTooLarge after several", err, parts)
	}
	stop := errors.New("stop")
	o, n = table(old), table(neu)
	if err := delta.MergeParts(&o, &n, delta.Parts{Size: 100}, func(*delta.Diff) error { return stop }); err != stop {
		t.Fatalf("err %v, want fn's", err)
	}
}

// TestMergeDisjoint: snapshots without a common key in their first rows give
// ErrDisjoint once those hold Disjoint bytes; one common key early, or a
// block of new rows before the old ones that is shorter than that, does not.
func TestMergeDisjoint(t *testing.T) {
	rewritten, kept := map[int]string{}, map[int]string{}
	for i := range 1000 {
		rewritten[i] = "a"
		kept[1000+i] = "b"
	}
	o, n := table(rewritten), table(kept)
	err := delta.MergeParts(&o, &n, delta.Parts{Disjoint: 2000}, func(*delta.Diff) error { return nil })
	if !errors.Is(err, delta.ErrDisjoint) {
		t.Fatalf("rewritten table: %v, want ErrDisjoint", err)
	}
	if len(o) < 800 {
		t.Fatalf("read %d old rows before giving up, want ≈ 2000 bytes' worth", 1000-len(o))
	}
	kept[0] = "a" // the first row is common
	o, n = table(rewritten), table(kept)
	if err := delta.MergeParts(&o, &n, delta.Parts{Disjoint: 2000}, func(*delta.Diff) error { return nil }); err != nil {
		t.Fatalf("one common key: %v", err)
	}
	front := map[int]string{}
	for i := range 1000 {
		front[i] = "a"
		if i < 50 {
			front[-1-i] = "new" // 50 new rows before the old ones
		}
	}
	o, n = table(rewritten), table(front)
	if err := delta.MergeParts(&o, &n, delta.Parts{Disjoint: 2000}, func(*delta.Diff) error { return nil }); err != nil {
		t.Fatalf("new rows in front: %v", err)
	}
}

func TestMergeEqualIsEmpty(t *testing.T) {
	m := map[int]string{1: "a", 2: "b", 3: "c"}
	o, n := table(m), table(m)
	d, err := delta.Merge(&o, &n, 0)
	if err != nil || !d.Empty() {
		t.Fatalf("diff %v err %v", d, err)
	}
}

func TestMergeLimit(t *testing.T) {
	old, neu := map[int]string{}, map[int]string{}
	for i := range 1000 {
		old[i] = "a"
		neu[i] = "b"
	}
	o, n := table(old), table(neu)
	if _, err := delta.Merge(&o, &n, 1000); !errors.Is(err, delta.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

type failing struct{ err error }

func (f failing) Next() (delta.Row, error) { return delta.Row{}, f.err }

// TestMergeTellsWhichSideFailed: an error of the old snapshot is an *OldError (a
// full import will do), one of the new stream is returned as it is.
func TestMergeTellsWhichSideFailed(t *testing.T) {
	bad := errors.New("bad chunk")
	some := table(map[int]string{1: "a"})
	if _, err := delta.Merge(failing{bad}, &some, 0); !errors.As(err, new(*delta.OldError)) || !errors.Is(err, bad) {
		t.Errorf("old side failed: %v, want an *OldError wrapping it", err)
	}
	some = table(map[int]string{1: "a"})
	if _, err := delta.Merge(&some, failing{bad}, 0); errors.As(err, new(*delta.OldError)) || !errors.Is(err, bad) {
		t.Errorf("new side failed: %v, want the error itself", err)
	}
}

// skipping is a new-side reader that passes over the rows both sides have next
// in common, as delta.Skipper allows; calls counts them, passed counts the rows.
type skipping struct {
	rows
	calls, passed int
}

func (s *skipping) SkipSame(old delta.Reader) error {
	o := old.(*rows)
	s.calls++
	for len(*o) > 0 && len(s.rows) > 0 && string((*o)[0].Key) == string(s.rows[0].Key) && string((*o)[0].Line) == string(s.rows[0].Line) {
		*o, s.rows = (*o)[1:], s.rows[1:]
		s.passed++
	}
	return nil
}

// TestMergeSkipper: a Skipper gives the same difference; it is asked only when
// nothing is pending.
func TestMergeSkipper(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	passed := 0
	for round := range 300 {
		old := map[int]string{}
		for i := range r.IntN(300) {
			old[i*2] = "a"
		}
		neu := map[int]string{}
		for k, v := range old {
			neu[k] = v
		}
		for range r.IntN(10) {
			k := r.IntN(600)
			switch r.IntN(3) {
			case 0:
				delete(neu, k)
			case 1:
				neu[k] = "c"
			case 2:
				for j := range r.IntN(20) {
					neu[k+j] = "b"
				}
			}
		}
		o1, n1 := table(old), table(neu)
		want, err := delta.Merge(&o1, &n1, 0)
		if err != nil {
			t.Fatal(err)
		}
		o2 := table(old)
		n2 := &skipping{rows: table(neu)}
		got, err := delta.Merge(&o2, n2, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Delete, got.Insert) != fmt.Sprint(want.Delete, want.Insert) {
			t.Fatalf("round %d: with a Skipper -%q +%q, without -%q +%q", round, got.Delete, got.Insert, want.Delete, want.Insert)
		}
		passed += n2.passed
	}
	if passed == 0 {
		t.Fatal("the Skipper was never used")
	}
}
