package chunkstore

import (
	"crypto/cipher"
	"crypto/rand"
	"hash"
	"sync"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"
)

// Key derivation contexts (BLAKE3 derive_key). Changing one changes the format.
const (
	ctxChunkID    = "synco 2026-11 chunk id"
	ctxChunkSeal  = "synco 2026-11 chunk seal"
	ctxStreamHash = "synco 2026-11 stream hash"
	ctxSpliceID   = "synco 2026-11 splice id"
	ctxPolynomial = "synco 2026-11 chunker polynomial"
)

// Keys holds everything a reader needs, derived from a store's 32-byte read
// key. It is safe for concurrent use.
type Keys struct {
	idKey, sealKey, streamKey [32]byte
	spliceKey                 [32]byte // keys SpliceID

	aead    cipher.AEAD
	hashes  sync.Pool // *blake3.Hasher keyed with idKey
	streams sync.Pool // *blake3.Hasher keyed with streamKey (StreamSum)

	nonce func(b []byte) // fills a nonce; tests fix it, nil means crypto/rand

	keysDicts // compression dictionaries registered with AddDict
}

// NewKeys derives the ID, sealing, stream-hash and splice-ID keys from
// readKey. It has no compression dictionaries until AddDict.
func NewKeys(readKey [32]byte) *Keys {
	k := &Keys{}
	blake3.DeriveKey(ctxChunkID, readKey[:], k.idKey[:])
	blake3.DeriveKey(ctxChunkSeal, readKey[:], k.sealKey[:])
	blake3.DeriveKey(ctxStreamHash, readKey[:], k.streamKey[:])
	blake3.DeriveKey(ctxSpliceID, readKey[:], k.spliceKey[:])
	aead, err := chacha20poly1305.NewX(k.sealKey[:])
	if err != nil {
		panic("chunkstore: " + err.Error()) // only on a wrong key size
	}
	k.aead = aead
	k.hashes.New = func() any { return mustKeyed(k.idKey) }
	k.streams.New = func() any { return mustKeyed(k.streamKey) }
	return k
}

// ID returns the chunk ID of plain: BLAKE3-256 keyed with the ID key.
func (k *Keys) ID(plain []byte) ID {
	h := k.hashes.Get().(*blake3.Hasher)
	h.Reset()
	_, _ = h.Write(plain)
	var id ID
	h.Sum(id[:0])
	k.hashes.Put(h)
	return id
}

// StreamHash returns a new hash of a whole stream: BLAKE3-256 keyed with the
// stream key, which differs from the ID key so a one-chunk stream's hash is
// not its chunk's ID.
func (k *Keys) StreamHash() hash.Hash { return mustKeyed(k.streamKey) }

// StreamSum is the StreamHash of a whole stream given in one piece, without
// allocating a hash (a BLAKE3 hasher is 8 KiB: one per small file was most of
// what a publish of many small files allocated).
func (k *Keys) StreamSum(plain []byte) ID {
	h := k.streams.Get().(*blake3.Hasher)
	h.Reset()
	_, _ = h.Write(plain)
	var sum ID
	h.Sum(sum[:0])
	k.streams.Put(h)
	return sum
}

func (k *Keys) readNonce(b []byte) {
	if k.nonce != nil {
		k.nonce(b)
		return
	}
	_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
}

func mustKeyed(key [32]byte) *blake3.Hasher {
	h, err := blake3.NewKeyed(key[:])
	if err != nil {
		panic("chunkstore: " + err.Error()) // only on a wrong key size
	}
	return h
}
