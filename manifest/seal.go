package manifest

import (
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/zeebo/blake3"
	"golang.org/x/crypto/chacha20poly1305"
)

// ErrRootAuth means a sealed root failed decryption or signature verification:
// the token does not belong to this URL, or the root was tampered with.
var ErrRootAuth = errors.New("manifest: root cannot be authenticated")

const (
	ctxRootKey   = "synco 2026-11 root"          // BLAKE3 derive_key context
	rootSigPre   = "synco root signature v1\x00" // signed message prefix
	sealedHeader = 1 + chacha20poly1305.NonceSizeX
	minSealed    = sealedHeader + ed25519.SignatureSize + chacha20poly1305.Overhead
)

// SealRoot encodes r, signs it with priv and encrypts it under a key derived from
// readKey with a random nonce (see SPEC.md).
func SealRoot(r *Root, readKey [32]byte, priv ed25519.PrivateKey) ([]byte, error) {
	var nonce [chacha20poly1305.NonceSizeX]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand crashes the program instead)
	return sealRoot(r, readKey, priv, nonce)
}

func sealRoot(r *Root, readKey [32]byte, priv ed25519.PrivateKey, nonce [chacha20poly1305.NonceSizeX]byte) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("seal root: signing key has %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	enc, err := r.Encode()
	if err != nil {
		return nil, fmt.Errorf("seal root: %w", err)
	}
	sig := ed25519.Sign(priv, append([]byte(rootSigPre), enc...))
	out := make([]byte, sealedHeader, sealedHeader+len(enc)+len(sig)+chacha20poly1305.Overhead)
	out[0] = Version
	copy(out[1:], nonce[:])
	return rootAEAD(readKey).Seal(out, nonce[:], append(enc, sig...), out[:1]), nil
}

// OpenRoot decrypts and verifies a sealed root and decodes it. It returns
// ErrRootAuth if b cannot be authenticated with readKey and pub; an unknown
// sealing version is also ErrVersion. A root that authenticates but does not
// decode is a signed source bug: ErrFormat or ErrVersion.
func OpenRoot(b []byte, readKey [32]byte, pub ed25519.PublicKey) (*Root, error) {
	switch {
	case len(pub) != ed25519.PublicKeySize:
		return nil, fmt.Errorf("open root: %w: public key has %d bytes", ErrRootAuth, len(pub))
	case len(b) < minSealed:
		return nil, fmt.Errorf("open root: %w: %d bytes is too short", ErrRootAuth, len(b))
	case b[0] != Version:
		return nil, fmt.Errorf("open root: %w: %w %d", ErrRootAuth, ErrVersion, b[0])
	}
	plain, err := rootAEAD(readKey).Open(nil, b[1:sealedHeader], b[sealedHeader:], b[:1])
	if err != nil {
		return nil, fmt.Errorf("open root: %w", ErrRootAuth)
	}
	enc, sig := plain[:len(plain)-ed25519.SignatureSize], plain[len(plain)-ed25519.SignatureSize:]
	if !ed25519.Verify(pub, append([]byte(rootSigPre), enc...), sig) {
		return nil, fmt.Errorf("open root: %w: bad signature", ErrRootAuth)
	}
	r, err := DecodeRoot(enc)
	if err != nil {
		return nil, fmt.Errorf("open root: %w", err)
	}
	return r, nil
}

func rootAEAD(readKey [32]byte) cipher.AEAD {
	var key [chacha20poly1305.KeySize]byte
	blake3.DeriveKey(ctxRootKey, readKey[:], key[:])
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		panic("manifest: " + err.Error()) // only on a wrong key size
	}
	return aead
}
