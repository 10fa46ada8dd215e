package chunkstore_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"

	"synco/chunkstore"
)

const flagSplice = 3 // the inner flag of a splice (SPEC.md, "Splices")

// rowAround returns the bounds of the SQL row "(…)" of an extended INSERT
// around position i of sql.
func rowAround(t *testing.T, sql []byte, i int) (start, end int) {
	t.Helper()
	start = bytes.LastIndex(sql[:i], []byte("),("))
	n := bytes.Index(sql[i:], []byte("),("))
	if start < 0 || n < 0 {
		t.Fatalf("no row around %d", i)
	}
	return start + 2, i + n + 1
}

// editRow returns a copy of sql with the row in the middle replaced by a row
// of other SQL.
func editRow(t *testing.T, sql []byte) []byte {
	t.Helper()
	other := sqlDump(99, 4096)
	os2, oe := rowAround(t, other, len(other)/2)
	s, e := rowAround(t, sql, len(sql)/2)
	return slices.Concat(sql[:s], other[os2:oe], sql[e:])
}

// storedVectorDict returns the dictionary of testdata/vectors.json (training
// one takes seconds).
func storedVectorDict(t *testing.T) []byte {
	return unhex(t, loadVectors(t).Dict)
}

// spliceInner decrypts a sealed splice with k's seal key (SPEC.md) and returns
// the parts of its inner plaintext.
func spliceInner(t *testing.T, k *chunkstore.Keys, id chunkstore.ID, sealed []byte) (base chunkstore.ID, p, q uint64, middle []byte) {
	t.Helper()
	_, sealKey, _ := k.SubKeys()
	aead, _ := chacha20poly1305.NewX(sealKey[:])
	ad := append(append([]byte("synco-chunk"), 1), id[:]...)
	inner, err := aead.Open(nil, sealed[1:25], sealed[25:], ad)
	if err != nil || len(inner) < 33 || inner[0] != flagSplice {
		t.Fatalf("not a splice: %v, % x", err, inner[:min(len(inner), 8)])
	}
	base = chunkstore.ID(inner[1:33])
	rest := inner[33:]
	p, n := binary.Uvarint(rest)
	rest = rest[n:]
	q, n = binary.Uvarint(rest)
	return base, p, q, rest[n:]
}

// commonEnds is SPEC.md's P and Q, computed naively.
func commonEnds(plain, base []byte) (p, q int) {
	for p < min(len(plain), len(base)) && plain[p] == base[p] {
		p++
	}
	for p+q < min(len(plain), len(base)) && plain[len(plain)-1-q] == base[len(base)-1-q] {
		q++
	}
	return p, q
}

func TestSpliceRoundTrip(t *testing.T) {
	basePlain := sqlDump(1, 10<<10)
	plain := editRow(t, basePlain)
	withDict := testKeys()
	did, err := withDict.AddDict(storedVectorDict(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		dict chunkstore.DictID
		flag byte // of the middle
	}{
		{"zstd", chunkstore.DictID{}, chunkstore.FlagZstd},
		{"dict", did, chunkstore.FlagDict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := withDict
			id, base := k.ID(plain), k.ID(basePlain)
			prefix := []byte("prefix")
			sp, ok := k.SealSplice(bytes.Clone(prefix), id, plain, base, basePlain, tt.dict)
			if !ok || !bytes.HasPrefix(sp, prefix) {
				t.Fatalf("SealSplice = %v, prefix kept %v", ok, bytes.HasPrefix(sp, prefix))
			}
			sp = sp[len(prefix):]
			sealed := k.SealWith(nil, id, plain, tt.dict)
			t.Logf("chunk %d bytes, sealed %d; splice %d", len(plain), len(sealed), len(sp))
			if 4*len(sp) >= len(sealed) {
				t.Errorf("splice of %d bytes, sealed chunk %d: want < 1/4", len(sp), len(sealed))
			}
			gotBase, p, q, middle := spliceInner(t, k, id, sp)
			wp, wq := commonEnds(plain, basePlain)
			if gotBase != base || p != uint64(wp) || q != uint64(wq) || middle[0] != tt.flag {
				t.Errorf("inner: base %s P %d Q %d flag %d; want %s %d %d %d", gotBase, p, q, middle[0], base, wp, wq, tt.flag)
			}
			t.Logf("P %d, Q %d, middle %d bytes, sealed as %d", p, q, len(plain)-int(p+q), len(middle))

			got, err := k.OpenSplice(bytes.Clone(prefix), id, sp, base, basePlain)
			if err != nil || !bytes.Equal(got, append(bytes.Clone(prefix), plain...)) {
				t.Fatalf("OpenSplice: %v (equal %v)", err, bytes.Equal(got, plain))
			}
			if again, _ := k.SealSplice(nil, id, plain, base, basePlain, tt.dict); bytes.Equal(again, sp) {
				t.Error("two splices are identical: nonce not random")
			}

			if tt.dict != (chunkstore.DictID{}) {
				got, err := testKeys().OpenSplice(prefix, id, sp, base, basePlain)
				if !errors.Is(err, chunkstore.ErrNoDict) || errors.Is(err, chunkstore.ErrCorrupt) || !bytes.Equal(got, prefix) {
					t.Errorf("OpenSplice without the dictionary = %q, %v; want ErrNoDict", got, err)
				}
			}
		})
	}
}

// TestSpliceEnds checks P and Q, and the round trip, on edits at the edges
// and on repetitive data where prefix and suffix could overlap.
func TestSpliceEnds(t *testing.T) {
	k := testKeys()
	sql := sqlDump(4, 3000)
	as := func(n int) []byte { return bytes.Repeat([]byte{'a'}, n) }
	tests := []struct {
		name        string
		plain, base []byte
		pq          int // P+Q: the plaintext's length for a deletion, the base's for an insertion
		p           int // -1: depends on the data around the edit
	}{
		{"identical", sql, sql, 3000, 3000},
		{"delete-middle", slices.Concat(sql[:1000], sql[1100:]), sql, 2900, -1},
		{"insert-middle", slices.Concat(sql[:1000], []byte("inserted"), sql[1000:]), sql, 3000, -1},
		{"delete-start", sql[100:], sql, 2900, -1},
		{"delete-end", sql[:2900], sql, 2900, 2900},
		{"insert-start", slices.Concat([]byte("new "), sql), sql, 3000, 0},
		{"insert-end", slices.Concat(sql, []byte("new")), sql, 3000, 3000},
		{"shrink-repeated", as(90), as(100), 90, 90},
		{"grow-repeated", as(100), as(90), 90, 90},
		{"periodic", []byte("xyz"), []byte("xyzxyz"), 3, 3},
		{"empty", nil, sql, 0, 0},
		{"both-empty", nil, nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, base := k.ID(tt.plain), k.ID(tt.base)
			sp, ok := k.SealSplice(nil, id, tt.plain, base, tt.base, chunkstore.DictID{})
			if !ok {
				t.Fatal("SealSplice declined")
			}
			_, p, q, middle := spliceInner(t, k, id, sp)
			if p+q != uint64(tt.pq) || tt.p >= 0 && p != uint64(tt.p) {
				t.Errorf("P, Q = %d, %d; want P+Q = %d, P = %d", p, q, tt.pq, tt.p)
			}
			if len(tt.plain) == tt.pq && !bytes.Equal(middle, []byte{chunkstore.FlagRaw}) {
				t.Errorf("empty middle sealed as % x, want 00", middle)
			}
			got, err := k.OpenSplice(nil, id, sp, base, tt.base)
			if err != nil || !bytes.Equal(got, tt.plain) {
				t.Fatalf("OpenSplice = %q, %v", got, err)
			}
		})
	}
}

// TestSealSpliceThreshold: a splice is made when prefix and suffix cover at
// least half of the plaintext.
func TestSealSpliceThreshold(t *testing.T) {
	k := testKeys()
	tests := []struct {
		n, shared int
		ok        bool
	}{
		{100, 0, false},
		{100, 49, false},
		{100, 50, true},
		{100, 51, true},
		{101, 50, false},
		{101, 51, true},
		{1, 0, false},
		{1, 1, true},
		{0, 0, true},
	}
	for _, tt := range tests {
		plain := randBytes(5, tt.n)
		base := slices.Clone(plain)
		for i := tt.shared; i < len(base); i++ {
			base[i] = ^base[i] // no common byte after the prefix, none at the end
		}
		id, bid := k.ID(plain), k.ID(base)
		dst := []byte("dst")
		sp, ok := k.SealSplice(dst, id, plain, bid, base, chunkstore.DictID{})
		if ok != tt.ok {
			t.Errorf("%d bytes sharing %d: ok = %v, want %v", tt.n, tt.shared, ok, tt.ok)
		}
		if !ok && (string(sp) != "dst" || len(sp) != len(dst)) {
			t.Errorf("%d bytes sharing %d: declined but dst changed to %q", tt.n, tt.shared, sp)
		}
	}
}

func TestSealSpliceUnrelated(t *testing.T) {
	k := testKeys()
	for _, tt := range []struct {
		name        string
		plain, base []byte
	}{
		{"random", randBytes(6, 5000), randBytes(7, 5000)},
		{"sql", sqlDump(5, 5000), sqlDump(6, 5000)}, // same header, then different rows
		{"empty-base", sqlDump(5, 5000), nil},
	} {
		dst := make([]byte, 3, 10)
		copy(dst, "dst")
		sp, ok := k.SealSplice(dst, k.ID(tt.plain), tt.plain, k.ID(tt.base), tt.base, chunkstore.DictID{})
		if ok || string(sp) != "dst" || cap(sp) != 10 {
			t.Errorf("%s: SealSplice = %q, %v; want dst unchanged and false", tt.name, sp, ok)
		}
	}
}

func TestSealSplicePanicsOnOversize(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	big := make([]byte, chunkstore.MaxChunkSize+1)
	testKeys().SealSplice(nil, chunkstore.ID{}, big, chunkstore.ID{}, big, chunkstore.DictID{})
}

func TestOpenSpliceCorrupt(t *testing.T) {
	k := testKeys()
	basePlain := sqlDump(3, 4000)
	plain := editRow(t, basePlain)
	id, base := k.ID(plain), k.ID(basePlain)
	sp, ok := k.SealSplice(nil, id, plain, base, basePlain, chunkstore.DictID{})
	if !ok {
		t.Fatal("SealSplice declined")
	}
	p, q := commonEnds(plain, basePlain)
	other := slices.Clone(basePlain)
	other[p/2] ^= 1 // in the prefix the splice takes from the base
	otherEnd := slices.Clone(basePlain)
	otherEnd[len(otherEnd)-1-q/2] ^= 1 // in the suffix

	open := func(sealed []byte, base chunkstore.ID, basePlain []byte) error {
		t.Helper()
		dst := []byte("dst")
		got, err := k.OpenSplice(dst, id, sealed, base, basePlain)
		if err != nil && string(got) != "dst" {
			t.Errorf("failed OpenSplice changed dst to %q", got)
		}
		return err
	}
	for _, tt := range []struct {
		name      string
		sealed    []byte
		base      chunkstore.ID
		basePlain []byte
	}{
		{"wrong base ID", sp, k.ID(other), basePlain},
		{"base too short", sp, base, basePlain[:p+q-1]},
		{"base empty", sp, base, nil},
		{"other base prefix", sp, base, other},
		{"other base suffix", sp, base, otherEnd},
		{"sealed chunk", k.Seal(nil, id, plain), base, basePlain},
		{"other key", chunkstore.NewKeys([32]byte{9}).Seal(nil, id, plain), base, basePlain},
		{"empty", nil, base, basePlain},
		{"trailing byte", append(slices.Clone(sp), 0), base, basePlain},
	} {
		err := open(tt.sealed, tt.base, tt.basePlain)
		wantCorrupt(t, err, id)
		t.Logf("%s: %v", tt.name, err)
	}
	for i := range sp {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(sp)
			bad[i] ^= mask
			wantCorrupt(t, open(bad, base, basePlain), id)
		}
	}
	for n := range len(sp) {
		wantCorrupt(t, open(sp[:n], base, basePlain), id)
	}
	// Sealed for another chunk: authentication binds the ID.
	_, err := k.OpenSplice(nil, base, sp, base, basePlain)
	wantCorrupt(t, err, base)
	// The right arguments do open.
	got, err := k.OpenSplice(nil, id, sp, base, basePlain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("OpenSplice: %v", err)
	}

	// A splice is not a chunk.
	got, err = k.Open([]byte("dst"), id, sp)
	wantCorrupt(t, err, id)
	if string(got) != "dst" || !strings.Contains(err.Error(), "a splice, not a chunk") {
		t.Errorf("Open(splice) = %q, %v", got, err)
	}
}

// TestOpenSpliceAuthenticatedGarbage seals malformed splice inner plaintexts
// with the right key: OpenSplice must still reject them.
func TestOpenSpliceAuthenticatedGarbage(t *testing.T) {
	k := testKeys()
	basePlain := []byte("0123456789")
	base := k.ID(basePlain)
	enc, _ := zstd.NewWriter(nil)
	inner := func(p, q []byte, middle ...byte) []byte {
		return slices.Concat([]byte{flagSplice}, base[:], p, q, middle)
	}
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	huge := make([]byte, chunkstore.MaxChunkSize)
	tests := []struct {
		name      string
		inner     []byte
		plain     []byte // the chunk opened
		basePlain []byte
	}{
		{"chunk flag", append([]byte{chunkstore.FlagRaw}, inner(uv(1), uv(1), 0, 'x')[1:]...), []byte("0x9"), basePlain},
		{"flag 4", append([]byte{4}, inner(uv(1), uv(1), 0, 'x')[1:]...), []byte("0x9"), basePlain},
		{"no base", []byte{flagSplice, 1, 2}, nil, basePlain},
		{"no P", inner(nil, nil), nil, basePlain},
		{"no Q", inner(uv(2), nil), []byte("01"), basePlain},
		{"no middle", inner(uv(2), uv(2)), []byte("0189"), basePlain},
		{"P truncated", inner([]byte{0x80}, nil), nil, basePlain},
		{"P non-minimal", inner([]byte{0x82, 0x00}, uv(0), 0), []byte("01"), basePlain},
		{"P overflows", inner(bytes.Repeat([]byte{0xff}, 10), uv(0), 0), nil, basePlain},
		{"P > base", inner(uv(11), uv(0), 0), basePlain, basePlain},
		{"P+Q > base", inner(uv(6), uv(5), 0), []byte("01234556789"), basePlain},
		{"Q = 2^64-1", inner(uv(1), uv(1<<64-1), 0), []byte("0"), basePlain},
		{"nested splice", inner(uv(1), uv(1), flagSplice), []byte("09"), basePlain},
		{"unknown middle flag", inner(uv(1), uv(1), 9, 'x'), []byte("0x9"), basePlain},
		{"bad zstd", inner(uv(1), uv(1), 1, 0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3), []byte("09"), basePlain},
		{"wrong ID", inner(uv(1), uv(1), 0, 'x'), []byte("0y9"), basePlain},
		{"raw middle too big", inner(uv(uint64(len(huge))), uv(0), 0, 'x'), append(slices.Clone(huge), 'x'), huge},
		{"zstd middle too big", inner(uv(uint64(len(huge)-1)), uv(0), append([]byte{1}, enc.EncodeAll([]byte("xy"), nil)...)...),
			append(slices.Clone(huge[1:]), 'x', 'y'), huge},
		{"base > MaxChunkSize", inner(uv(uint64(len(huge))), uv(1), 0), append(slices.Clone(huge), 0), append(slices.Clone(huge), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := k.ID(tt.plain)
			sealed := k.SealInner([chunkstore.NonceSize]byte{}, id, tt.inner)
			// The inner plaintext names base whatever tt.basePlain
			// is: OpenSplice trusts the caller to have verified it.
			got, err := k.OpenSplice([]byte("dst"), id, sealed, base, tt.basePlain)
			wantCorrupt(t, err, id)
			if string(got) != "dst" {
				t.Errorf("failed OpenSplice changed dst to %.20q", got)
			}
			t.Log(err)
		})
	}
	// And well-formed inner plaintexts do open, the zstd middle too.
	for _, in := range [][]byte{
		inner(uv(1), uv(1), 0, 'x'),
		inner(uv(1), uv(1), append([]byte{1}, enc.EncodeAll([]byte("x"), nil)...)...),
	} {
		id := k.ID([]byte("0x9"))
		got, err := k.OpenSplice(nil, id, k.SealInner([chunkstore.NonceSize]byte{}, id, in), base, basePlain)
		if err != nil || string(got) != "0x9" {
			t.Errorf("OpenSplice(% x) = %q, %v", in, got, err)
		}
	}
}

func TestSpliceID(t *testing.T) {
	k := testKeys()
	a, b := k.ID([]byte("a")), k.ID([]byte("b"))
	s := k.SpliceID(a, b)
	if s != k.SpliceID(a, b) {
		t.Error("SpliceID not deterministic")
	}
	for name, other := range map[string]chunkstore.ID{
		"swapped":        k.SpliceID(b, a),
		"other chunk":    k.SpliceID(b, b),
		"other key":      chunkstore.NewKeys([32]byte{3}).SpliceID(a, b),
		"ID of id||base": k.ID(slices.Concat(a[:], b[:])),
		"id":             a,
	} {
		if other == s {
			t.Errorf("SpliceID equals %s", name)
		}
	}
}

// spliceVector is the format of testdata/splice.json (SPEC.md).
type spliceVector struct {
	Comment   string `json:"comment"`
	ReadKey   string `json:"read_key"`
	SpliceKey string `json:"splice_key"`
	BasePlain string `json:"base_plain"`
	Plain     string `json:"plain"`
	Nonce     string `json:"nonce"`
	BaseID    string `json:"base_id"`
	ID        string `json:"id"`
	SpliceID  string `json:"splice_id"`
	P         uint64 `json:"p"`
	Q         uint64 `json:"q"`
	Flag      byte   `json:"flag"` // of the middle
	Sealed    string `json:"sealed"`
}

// spliceVectorPlains: a 1 KiB SQL base and 80 of its bytes replaced by 156
// compressible ones.
func spliceVectorPlains() (plain, base []byte) {
	base = sqlDump(7, 1024)
	return slices.Concat(base[:400], []byte(strings.Repeat("synco splice ", 12)), base[480:]), base
}

func readSpliceVector(t *testing.T) spliceVector {
	b, err := os.ReadFile(filepath.Join("testdata", "splice.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v spliceVector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVectorsSplice(t *testing.T) {
	if *update {
		writeSpliceVector(t, filepath.Join("testdata", "splice.json"))
	}
	v := readSpliceVector(t)
	k := chunkstore.NewKeys(hexKey(t, v.ReadKey))
	plain, basePlain, sealed := unhex(t, v.Plain), unhex(t, v.BasePlain), unhex(t, v.Sealed)
	id, base := k.ID(plain), k.ID(basePlain)
	if id.String() != v.ID || base.String() != v.BaseID {
		t.Fatalf("IDs %s, %s; want %s, %s", id, base, v.ID, v.BaseID)
	}
	if s := k.SpliceID(id, base); s.String() != v.SpliceID {
		t.Errorf("SpliceID = %s, want %s", s, v.SpliceID)
	}
	// Opening old vectors must always work.
	got, err := k.OpenSplice(nil, id, sealed, base, basePlain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("OpenSplice = %x, %v; want %x", got, err, plain)
	}
	// Sealing is deterministic for a fixed nonce (a zstd upgrade may change
	// the middle's bytes: then rerun with -update).
	k.SetNonce([chunkstore.NonceSize]byte(unhex(t, v.Nonce)))
	if again, ok := k.SealSplice(nil, id, plain, base, basePlain, chunkstore.DictID{}); !ok || !bytes.Equal(again, sealed) {
		t.Errorf("SealSplice = %x, %v\nwant %x", again, ok, sealed)
	}
}

func writeSpliceVector(t *testing.T, path string) {
	var readKey [32]byte
	for i := range readKey {
		readKey[i] = byte(i)
	}
	var nonce [chunkstore.NonceSize]byte
	for i := range nonce {
		nonce[i] = byte(0xa0 + i)
	}
	k := chunkstore.NewKeys(readKey)
	k.SetNonce(nonce)
	plain, basePlain := spliceVectorPlains()
	id, base := k.ID(plain), k.ID(basePlain)
	sealed, ok := k.SealSplice(nil, id, plain, base, basePlain, chunkstore.DictID{})
	if !ok {
		t.Fatal("SealSplice declined")
	}
	_, p, q, middle := spliceInner(t, k, id, sealed)
	var spliceKey [32]byte
	blake3.DeriveKey("synco 2026-11 splice id", readKey[:], spliceKey[:])
	s := k.SpliceID(id, base)
	v := spliceVector{
		Comment: "synco splice format v1 test vector (chunkstore/SPEC.md, Splices); all byte strings hex",
		ReadKey: hex.EncodeToString(readKey[:]), SpliceKey: hex.EncodeToString(spliceKey[:]),
		BasePlain: hex.EncodeToString(basePlain), Plain: hex.EncodeToString(plain),
		Nonce: hex.EncodeToString(nonce[:]), BaseID: base.String(), ID: id.String(), SpliceID: s.String(),
		P: p, Q: q, Flag: middle[0], Sealed: hex.EncodeToString(sealed),
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVectorsSpliceSpec opens the splice vector following SPEC.md with the
// primitives alone.
func TestVectorsSpliceSpec(t *testing.T) {
	v := readSpliceVector(t)
	readKey := hexKey(t, v.ReadKey)
	var idKey, sealKey, spliceKey [32]byte
	blake3.DeriveKey("synco 2026-11 chunk id", readKey[:], idKey[:])
	blake3.DeriveKey("synco 2026-11 chunk seal", readKey[:], sealKey[:])
	blake3.DeriveKey("synco 2026-11 splice id", readKey[:], spliceKey[:])
	if hex.EncodeToString(spliceKey[:]) != v.SpliceKey {
		t.Errorf("splice key %x, vector %s", spliceKey, v.SpliceKey)
	}
	keyed := func(key [32]byte, parts ...[]byte) []byte {
		h, _ := blake3.NewKeyed(key[:])
		for _, p := range parts {
			h.Write(p)
		}
		return h.Sum(nil)
	}
	plain, basePlain, sealed := unhex(t, v.Plain), unhex(t, v.BasePlain), unhex(t, v.Sealed)
	id, base := keyed(idKey, plain), keyed(idKey, basePlain)
	if s := keyed(spliceKey, id, base); hex.EncodeToString(s) != v.SpliceID {
		t.Errorf("spec splice ID %x, vector %s", s, v.SpliceID)
	}

	if sealed[0] != 1 || hex.EncodeToString(sealed[1:25]) != v.Nonce {
		t.Fatal("bad header")
	}
	aead, _ := chacha20poly1305.NewX(sealKey[:])
	inner, err := aead.Open(nil, sealed[1:25], sealed[25:], append(append([]byte("synco-chunk"), 1), id...))
	if err != nil {
		t.Fatalf("spec AEAD open: %v", err)
	}
	if inner[0] != 3 || !bytes.Equal(inner[1:33], base) {
		t.Fatalf("inner starts % x, want 03 and the base ID", inner[:33])
	}
	rest := inner[33:]
	p, n := binary.Uvarint(rest)
	rest = rest[n:]
	q, n := binary.Uvarint(rest)
	rest = rest[n:]
	if p != v.P || q != v.Q || rest[0] != v.Flag {
		t.Errorf("P %d, Q %d, flag %d; vector %d, %d, %d", p, q, rest[0], v.P, v.Q, v.Flag)
	}
	middle := rest[1:]
	switch rest[0] {
	case 1:
		dec, _ := zstd.NewReader(nil)
		middle, err = dec.DecodeAll(middle, nil)
	case 0:
	default:
		t.Fatalf("middle flag %d", rest[0])
	}
	got := slices.Concat(basePlain[:p], middle, basePlain[uint64(len(basePlain))-q:])
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("spec open: %v, equal %v", err, bytes.Equal(got, plain))
	}
}
