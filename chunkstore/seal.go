package chunkstore

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sealed chunk format, version 1 (SPEC.md):
//
//	sealed = version(0x01) || nonce(24) || XChaCha20-Poly1305(sealKey, nonce,
//	         flag || payload, ad = "synco-chunk" || version || ID)
//
// flag 0: payload is the plaintext; flag 1: payload is one zstd frame;
// flag 2: payload is a DictID (8) and one zstd frame made with that dictionary;
// flag 3: a splice (splice.go), which Open rejects.
const (
	sealVersion = 0x01
	flagRaw     = 0x00
	flagZstd    = 0x01
	flagDict    = 0x02
	flagSplice  = 0x03

	nonceSize  = chacha20poly1305.NonceSizeX
	headerSize = 1 + nonceSize

	// Overhead is the size of a sealed chunk minus its (possibly compressed)
	// payload: version, nonce, flag and authentication tag. A chunk sealed
	// with a dictionary has DictOverhead more.
	Overhead = headerSize + 1 + chacha20poly1305.Overhead
	// DictOverhead is the dictionary ID a flag-2 chunk carries.
	DictOverhead = len(DictID{})
	// MaxSealedSize bounds the sealed form of any chunk Seal produces (a
	// chunk that does not shrink is stored raw, whatever the flag would be).
	MaxSealedSize = MaxChunkSize + Overhead

	adPrefix = "synco-chunk"
)

// zstdLevel was chosen by measurement on SQL-like data (SPEC.md,
// BenchmarkZstdLevel).
const zstdLevel = zstd.SpeedFastest

func encoderOptions() []zstd.EOption {
	return []zstd.EOption{
		zstd.WithEncoderLevel(zstdLevel),
		zstd.WithEncoderCRC(false), // the AEAD tag already covers the payload
		// Entropy-code literals even in blocks without matches (after the
		// level, which resets it): random base64 in SQL (sessions, caches)
		// then shrinks to ≈0.76 instead of staying raw (SPEC.md).
		zstd.WithAllLitEntropyCompression(true),
	}
}

func decoderOptions() []zstd.DOption {
	return []zstd.DOption{
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(MaxChunkSize),
	}
}

var (
	encoder = sync.OnceValue(func() *zstd.Encoder { return newEncoder(encoderOptions()...) })
	// encoderMatches is encoder with literals left raw in a block without
	// matches, as the fastest level does by default: a block with matches
	// comes out the same byte for byte, one without costs a copy instead of
	// a Huffman table built and thrown away (see appendPayload).
	encoderMatches = sync.OnceValue(func() *zstd.Encoder {
		return newEncoder(append(encoderOptions(), zstd.WithAllLitEntropyCompression(false))...)
	})
	scratch sync.Pool // *[]byte for decrypted payloads
)

func newEncoder(opts ...zstd.EOption) *zstd.Encoder {
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		panic("chunkstore: zstd encoder: " + err.Error()) // only on bad options
	}
	return e
}

// decoder is the shared zstd decoder. It is made on first use from Open, not in a
// package variable's initializer, so that binaries that only seal (synco-lite) do
// not link zstd's decoder.
func decoder() *zstd.Decoder {
	decoderOnce.Do(func() {
		d, err := zstd.NewReader(nil, decoderOptions()...)
		if err != nil {
			panic("chunkstore: zstd decoder: " + err.Error()) // only on bad options
		}
		decoderVal = d
	})
	return decoderVal
}

var (
	decoderOnce sync.Once
	decoderVal  *zstd.Decoder
)

var (
	errShort    = errors.New("too short")
	errLong     = errors.New("too long")
	errAuth     = errors.New("authentication failed (wrong key, wrong ID or tampered)")
	errTooBig   = errors.New("decompressed size exceeds limit")
	errIDDiffer = errors.New("content does not match ID")
	errSplice   = errors.New("a splice, not a chunk")
)

// Seal appends the sealed form of plain, whose ID is id, to dst and returns
// the extended slice. plain is compressed with zstd unless that does not
// shrink it. dst and plain must not overlap. Seal panics if plain is longer
// than MaxChunkSize, which Split never produces.
func (k *Keys) Seal(dst []byte, id ID, plain []byte) []byte {
	return k.SealWith(dst, id, plain, DictID{})
}

// SealWith is Seal compressing with the dictionary dict, which must have been
// registered with AddDict (SealWith panics otherwise); the zero DictID means
// no dictionary. A reader needs the same dictionary registered to Open the
// chunk.
func (k *Keys) SealWith(dst []byte, id ID, plain []byte, dict DictID) []byte {
	if len(plain) > MaxChunkSize {
		panic(fmt.Sprintf("chunkstore: Seal: chunk of %d bytes exceeds MaxChunkSize", len(plain)))
	}
	var nonce [nonceSize]byte
	k.readNonce(nonce[:])

	dst = slices.Grow(dst, Overhead+len(plain))
	dst = append(dst, sealVersion)
	dst = append(dst, nonce[:]...)
	p := len(dst)
	dst = k.appendPayload(dst, plain, dict, "SealWith")
	return k.seal(dst, p, nonce[:], id)
}

// appendPayload appends flag || payload encoding plain to dst: one zstd frame,
// made with the dictionary dict unless it is zero, or plain itself (flag 0) when
// that is not shorter. It panics, naming op, if dict is not registered.
func (k *Keys) appendPayload(dst, plain []byte, dict DictID, op string) []byte {
	enc, flag, extra := encoder(), byte(flagZstd), 0
	if dict != (DictID{}) {
		d := k.dict(dict)
		if d == nil {
			panic(fmt.Sprintf("chunkstore: %s: dictionary %s not registered", op, dict))
		}
		enc, flag, extra = d.enc, flagDict, DictOverhead
	}
	p := len(dst)
	dst = append(dst, flag)
	if flag == flagDict {
		dst = append(dst, dict[:]...)
	}
	if flag == flagZstd && len(plain) <= maxBlock {
		// One block. With matches, encoderMatches makes the same frame as
		// encoder; without, encoder entropy-codes the literals, which pays
		// only where their byte frequencies are skewed (base64, text with no
		// repeats), not in data that is already compressed: there its
		// Huffman table was built for nothing, 80 % of the sealing of a
		// random 4 KiB chunk (bench/RESULTS.md, "Small files").
		dst = encoderMatches().EncodeAll(plain, dst)
		if len(dst)-p-1 < len(plain) {
			return dst
		}
		dst = dst[:p+1]
		if !huffmanMayPay(plain) {
			return append(append(dst[:p], flagRaw), plain...)
		}
	}
	dst = enc.EncodeAll(plain, dst)
	if len(dst)-p-1-extra >= len(plain)-extra {
		dst = append(dst[:p], flagRaw)
		dst = append(dst, plain...)
	}
	return dst
}

// maxBlock is the most a zstd block holds (klauspost's EncodeAll makes one
// block of a chunk up to this size).
const maxBlock = 128 << 10

// huffmanMayPay reports whether Huffman coding b's bytes, each on its own,
// could save more than hufMinGain bytes (before the cost of its table): an
// upper bound of the gain is n·(8 − H₂)/8 bytes, H₂ = −log₂ Σ p² being the
// collision entropy of b's byte frequencies, which is at most their Shannon
// entropy, the bound of any Huffman code. Random bytes of any length give
// ≈ 256/(8 ln 2) ≈ 46 (the frequencies of a sample are never quite even),
// base64 n/4, text ≈ n/2.
func huffmanMayPay(b []byte) bool {
	if len(b) < 32 {
		return false // zstd stores literals this short raw anyway
	}
	// Four tables: a run of one byte value does not wait on the same counter.
	var c [4][256]uint32
	i := 0
	for ; i+4 <= len(b); i += 4 {
		c[0][b[i]]++
		c[1][b[i+1]]++
		c[2][b[i+2]]++
		c[3][b[i+3]]++
	}
	for ; i < len(b); i++ {
		c[0][b[i]]++
	}
	var sq uint64
	for v := range 256 {
		n := uint64(c[0][v] + c[1][v] + c[2][v] + c[3][v])
		sq += n * n
	}
	n := float64(len(b))
	h2 := -math.Log2(float64(sq) / (n * n))
	return n*(8-h2)/8 > hufMinGain
}

// hufMinGain is the gain below which huffmanMayPay says Huffman coding does
// not pay: a zstd Huffman table of a near-uniform alphabet costs about as
// much, and random data stays below it (measured on 3,000 random files of
// 1–8 KiB: 32–61).
const hufMinGain = 72

// seal encrypts dst[p:] in place and appends the tag.
func (k *Keys) seal(dst []byte, p int, nonce []byte, id ID) []byte {
	ad := additionalData(id)
	dst = slices.Grow(dst, chacha20poly1305.Overhead)
	ct := k.aead.Seal(dst[p:p], nonce, dst[p:], ad[:])
	return dst[:p+len(ct)]
}

// Open verifies sealed as the chunk id and appends its plaintext to dst. It
// checks the format, authenticates (which also binds the ID), decompresses at
// most MaxChunkSize bytes and recomputes the ID. Every failure is a
// *CorruptError (errors.Is(err, ErrCorrupt)) except one: an authentic chunk
// compressed with a dictionary not registered with AddDict fails with
// ErrNoDict (wrapped). On error dst is returned unchanged. Open never panics,
// whatever sealed holds.
func (k *Keys) Open(dst []byte, id ID, sealed []byte) ([]byte, error) {
	fail := func(err error) ([]byte, error) { return dst, &CorruptError{ID: id, Err: err} }
	bp := getScratch()
	defer scratch.Put(bp)
	pt, err := k.unseal(bp, id, sealed, MaxSealedSize)
	if err != nil {
		return fail(err)
	}
	if pt[0] == flagSplice {
		return fail(errSplice)
	}
	out, err := k.decodePayload(dst, pt, MaxChunkSize)
	if err != nil {
		if _, ok := err.(*dictError); ok {
			return dst, fmt.Errorf("open chunk %s: %w", id, err)
		}
		return fail(err)
	}
	if k.ID(out[len(dst):]) != id {
		return fail(errIDDiffer)
	}
	return out, nil
}

// getScratch returns a buffer from scratch for a decrypted inner plaintext.
func getScratch() *[]byte {
	if bp, _ := scratch.Get().(*[]byte); bp != nil {
		return bp
	}
	return new([]byte)
}

// unseal checks the length (at most maxLen) and version of sealed and
// authenticates it as sealed for id, decrypting into *bp. It returns the inner
// plaintext, never empty, or the cause of the corruption.
func (k *Keys) unseal(bp *[]byte, id ID, sealed []byte, maxLen int) ([]byte, error) {
	switch {
	case len(sealed) < Overhead:
		return nil, errShort
	case len(sealed) > maxLen:
		return nil, errLong
	case sealed[0] != sealVersion:
		return nil, fmt.Errorf("unknown format version %d", sealed[0])
	}
	ad := additionalData(id)
	pt, err := k.aead.Open((*bp)[:0], sealed[1:headerSize], sealed[headerSize:], ad[:])
	if err != nil {
		return nil, errAuth
	}
	*bp = pt
	return pt, nil
}

// dictError is decodePayload's failure for an authentic payload whose
// dictionary is not registered (ErrNoDict) or cannot be loaded: not corruption.
type dictError struct {
	id  DictID
	err error
}

func (e *dictError) Error() string { return fmt.Sprintf("dictionary %s: %v", e.id, e.err) }
func (e *dictError) Unwrap() error { return e.err }

// decodePayload decodes in, flag || payload as appendPayload writes it, and
// appends the result, at most limit bytes, to dst. It fails with a *dictError
// for a dictionary it cannot use and with the cause of the corruption
// otherwise.
func (k *Keys) decodePayload(dst, in []byte, limit int) ([]byte, error) {
	if len(in) == 0 {
		return dst, errShort
	}
	switch in[0] {
	case flagRaw:
		if len(in)-1 > limit {
			return dst, errTooBig
		}
		return append(dst, in[1:]...), nil
	case flagZstd, flagDict:
		decodeAll, payload := decoder().DecodeAll, in[1:]
		if in[0] == flagDict {
			if len(payload) < DictOverhead {
				return dst, errShort
			}
			did := DictID(payload[:DictOverhead])
			d := k.dict(did)
			if d == nil {
				return dst, &dictError{did, ErrNoDict}
			}
			var err error
			if decodeAll, err = d.decoder(); err != nil {
				return dst, &dictError{did, err}
			}
			payload = payload[DictOverhead:]
		}
		out, err := decodeAll(payload, dst)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(out)-len(dst) > limit {
			return dst, errTooBig
		}
		if err != nil {
			return dst, fmt.Errorf("decompress: %w", err)
		}
		return out, nil
	default:
		return dst, fmt.Errorf("unknown payload flag %d", in[0])
	}
}

func additionalData(id ID) [len(adPrefix) + 1 + len(ID{})]byte {
	var ad [len(adPrefix) + 1 + len(ID{})]byte
	copy(ad[:], adPrefix)
	ad[len(adPrefix)] = sealVersion
	copy(ad[len(adPrefix)+1:], id[:])
	return ad
}
