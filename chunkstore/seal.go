package chunkstore

import (
	"errors"
	"fmt"
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
// flag 2: payload is a DictID (8) and one zstd frame made with that dictionary.
const (
	sealVersion = 0x01
	flagRaw     = 0x00
	flagZstd    = 0x01
	flagDict    = 0x02

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
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, encoderOptions()...)
		if err != nil {
			panic("chunkstore: zstd encoder: " + err.Error()) // only on bad options
		}
		return e
	})
	scratch sync.Pool // *[]byte for decrypted payloads
)

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
	enc, flag, extra := encoder(), byte(flagZstd), 0
	if dict != (DictID{}) {
		d := k.dict(dict)
		if d == nil {
			panic(fmt.Sprintf("chunkstore: SealWith: dictionary %s not registered", dict))
		}
		enc, flag, extra = d.enc, flagDict, DictOverhead
	}
	var nonce [nonceSize]byte
	k.readNonce(nonce[:])

	dst = slices.Grow(dst, Overhead+len(plain))
	dst = append(dst, sealVersion)
	dst = append(dst, nonce[:]...)
	p := len(dst)
	dst = append(dst, flag)
	if flag == flagDict {
		dst = append(dst, dict[:]...)
	}
	dst = enc.EncodeAll(plain, dst)
	if len(dst)-p-1-extra >= len(plain)-extra {
		dst = append(dst[:p], flagRaw)
		dst = append(dst, plain...)
	}
	return k.seal(dst, p, nonce[:], id)
}

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
	switch {
	case len(sealed) < Overhead:
		return fail(errShort)
	case len(sealed) > MaxSealedSize:
		return fail(errLong)
	case sealed[0] != sealVersion:
		return fail(fmt.Errorf("unknown format version %d", sealed[0]))
	}

	bp, _ := scratch.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer scratch.Put(bp)
	ad := additionalData(id)
	pt, err := k.aead.Open((*bp)[:0], sealed[1:headerSize], sealed[headerSize:], ad[:])
	if err != nil {
		return fail(errAuth)
	}
	*bp = pt

	n := len(dst)
	out := dst
	switch pt[0] {
	case flagRaw:
		out = append(out, pt[1:]...)
	case flagZstd, flagDict:
		decodeAll, payload := decoder().DecodeAll, pt[1:]
		if pt[0] == flagDict {
			if len(payload) < DictOverhead {
				return fail(errShort)
			}
			did := DictID(payload[:DictOverhead])
			d := k.dict(did)
			if d == nil {
				return dst, fmt.Errorf("open chunk %s: dictionary %s: %w", id, did, ErrNoDict)
			}
			if decodeAll, err = d.decoder(); err != nil {
				return dst, fmt.Errorf("open chunk %s: dictionary %s: %w", id, did, err)
			}
			payload = payload[DictOverhead:]
		}
		out, err = decodeAll(payload, out)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(out)-n > MaxChunkSize {
			return fail(errTooBig)
		}
		if err != nil {
			return fail(fmt.Errorf("decompress: %w", err))
		}
	default:
		return fail(fmt.Errorf("unknown payload flag %d", pt[0]))
	}
	if k.ID(out[n:]) != id {
		return fail(errIDDiffer)
	}
	return out, nil
}

func additionalData(id ID) [len(adPrefix) + 1 + len(ID{})]byte {
	var ad [len(adPrefix) + 1 + len(ID{})]byte
	copy(ad[:], adPrefix)
	ad[len(adPrefix)] = sealVersion
	copy(ad[len(adPrefix)+1:], id[:])
	return ad
}
