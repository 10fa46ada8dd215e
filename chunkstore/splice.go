package chunkstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// A splice is a chunk written as an edit of another chunk, its base: the base's
// first P and last Q bytes by reference and the middle sealed like a chunk. A
// destination that holds the base (in its cache) downloads the splice instead of
// the chunk; one that does not downloads the chunk. SPEC.md, "Splices".
//
// A sealed splice is a sealed chunk (same version, nonce, AEAD and associated
// data, bound to the ID of the chunk it produces) whose inner plaintext is
//
//	flag 0x03 || base ID (32) || uvarint P || uvarint Q || flag || payload
//
// the last two encoding the middle as a chunk's inner plaintext does.

const (
	// spliceHeaderMax bounds what precedes the middle in a splice's inner
	// plaintext: flag, base ID and two uvarints.
	spliceHeaderMax = 1 + len(ID{}) + 2*binary.MaxVarintLen64
	// maxSealedSplice bounds a sealed splice that OpenSplice considers.
	maxSealedSplice = MaxSealedSize + spliceHeaderMax
)

var errNotSplice = errors.New("a chunk, not a splice")

// SealSplice appends the sealed splice of chunk id (plaintext plain) against the
// chunk base (plaintext basePlain) to dst and reports true, or returns dst
// unchanged and false when the two share less than half of plain as common
// prefix and suffix. The middle is compressed as SealWith would, with dict.
func (k *Keys) SealSplice(dst []byte, id ID, plain []byte, base ID, basePlain []byte, dict DictID) ([]byte, bool) {
	if len(plain) > MaxChunkSize {
		panic(fmt.Sprintf("chunkstore: SealSplice: chunk of %d bytes exceeds MaxChunkSize", len(plain)))
	}
	p, q := commonEnds(plain, basePlain)
	if 2*(p+q) < len(plain) {
		return dst, false
	}
	middle := plain[p : len(plain)-q]
	var nonce [nonceSize]byte
	k.readNonce(nonce[:])

	dst = slices.Grow(dst, Overhead+spliceHeaderMax+len(middle))
	dst = append(dst, sealVersion)
	dst = append(dst, nonce[:]...)
	start := len(dst)
	dst = append(dst, flagSplice)
	dst = append(dst, base[:]...)
	dst = binary.AppendUvarint(dst, uint64(p))
	dst = binary.AppendUvarint(dst, uint64(q))
	dst = k.appendPayload(dst, middle, dict, "SealSplice")
	return k.seal(dst, start, nonce[:], id), true
}

// commonEnds returns the length p of the longest common prefix of a and b, and
// the length q of their longest common suffix that does not overlap it in
// either (p+q ≤ min(len(a), len(b))).
func commonEnds(a, b []byte) (p, q int) {
	n := min(len(a), len(b))
	for p < n && a[p] == b[p] {
		p++
	}
	for q < n-p && a[len(a)-1-q] == b[len(b)-1-q] {
		q++
	}
	return p, q
}

// OpenSplice verifies sealed as a splice of chunk id against base, whose
// plaintext (already verified by the caller) is basePlain, and appends chunk
// id's plaintext to dst. Errors are as for Open.
func (k *Keys) OpenSplice(dst []byte, id ID, sealed []byte, base ID, basePlain []byte) ([]byte, error) {
	// A *CorruptError names id, the chunk the caller asked for; the splice is
	// kept under SpliceID(id, base). basePlain must not share memory with
	// dst's spare capacity (the result would be garbage, caught by the ID
	// check).
	fail := func(err error) ([]byte, error) { return dst, &CorruptError{ID: id, Err: err} }
	bp := getScratch()
	defer scratch.Put(bp)
	pt, err := k.unseal(bp, id, sealed, maxSealedSplice)
	if err != nil {
		return fail(err)
	}
	if pt[0] != flagSplice {
		return fail(errNotSplice)
	}
	rest := pt[1:]
	if len(rest) < len(ID{}) {
		return fail(errShort)
	}
	if inner := ID(rest[:len(ID{})]); inner != base {
		return fail(fmt.Errorf("splice against base %s, not %s", inner, base))
	}
	p, rest, okP := uvarint(rest[len(ID{}):])
	q, rest, okQ := uvarint(rest)
	if !okP || !okQ {
		return fail(errors.New("bad prefix or suffix length"))
	}
	if n := uint64(len(basePlain)); p > n || q > n-p {
		return fail(fmt.Errorf("prefix %d and suffix %d exceed the base's %d bytes", p, q, n))
	}
	limit := MaxChunkSize - int(p) - int(q) // p+q ≤ len(basePlain): no overflow
	if limit < 0 {
		return fail(errTooBig)
	}

	out := append(dst, basePlain[:p]...)
	out, err = k.decodePayload(out, rest, limit)
	if err != nil {
		if _, ok := err.(*dictError); ok {
			return dst, fmt.Errorf("open splice of chunk %s: %w", id, err)
		}
		return fail(fmt.Errorf("middle: %w", err))
	}
	out = append(out, basePlain[len(basePlain)-int(q):]...)
	if k.ID(out[len(dst):]) != id {
		return fail(errIDDiffer)
	}
	return out, nil
}

// uvarint reads a minimally encoded uvarint from the start of b and returns it
// and the rest of b.
func uvarint(b []byte) (v uint64, rest []byte, ok bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 || n > 1 && b[n-1] == 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

// SpliceID returns the store key of the splice of chunk id against base.
func (k *Keys) SpliceID(id, base ID) ID {
	h := mustKeyed(k.spliceKey) // BLAKE3-256 keyed with the splice key
	_, _ = h.Write(id[:])
	_, _ = h.Write(base[:])
	var s ID
	h.Sum(s[:0])
	return s
}
