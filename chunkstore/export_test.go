package chunkstore

import "os"

// Hooks for the external tests.

// SetNonce makes k seal with a fixed nonce (test vectors only: a fixed nonce
// with one key for two plaintexts breaks confidentiality).
func (k *Keys) SetNonce(n [nonceSize]byte) { k.nonce = func(b []byte) { copy(b, n[:]) } }

// SubKeys returns the derived keys, for test vectors.
func (k *Keys) SubKeys() (id, seal, stream [32]byte) { return k.idKey, k.sealKey, k.streamKey }

// SealInner seals an arbitrary inner plaintext (flag || payload), so tests can
// reach Open's decoding of authenticated but malformed content.
func (k *Keys) SealInner(nonce [nonceSize]byte, id ID, inner []byte) []byte {
	dst := append([]byte{sealVersion}, nonce[:]...)
	dst = append(dst, inner...)
	return k.seal(dst, headerSize, nonce[:], id)
}

// SetPackTarget changes the pack size at which p starts a new pack.
func SetPackTarget(p *PackStore, n int64) {
	p.mu.Lock()
	p.target = n
	p.mu.Unlock()
}

// SetPackSync replaces the fsync of finished packs until the test ends.
func SetPackSync(t interface{ Cleanup(func()) }, fn func(*os.File) error) {
	old := syncPack
	syncPack = fn
	t.Cleanup(func() { syncPack = old })
}

// Crash abandons p like a killed process: file handles and lock are dropped,
// nothing is flushed or cleaned up.
func Crash(p *PackStore) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cur {
		if c != nil {
			c.f.Close()
		}
	}
	p.lock.Close()
	p.closed = true
}

const (
	NonceSize = nonceSize
	FlagRaw   = flagRaw
	FlagZstd  = flagZstd
	FlagDict  = flagDict
)

// SizeOf is sizeOf: what SplitParallel knows of a reader's size.
var SizeOf = sizeOf

// HuffmanMayPay is huffmanMayPay.
var HuffmanMayPay = huffmanMayPay
