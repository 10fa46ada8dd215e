package chunkstore

import (
	"encoding/hex"
	"errors"
	"fmt"
)

// ID names a chunk: the keyed BLAKE3-256 of its plaintext (see Keys.ID).
type ID [32]byte

// String returns the ID as 64 lowercase hex digits, its canonical form in
// paths, URLs and manifests.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// ParseID parses the canonical form written by String. Upper-case digits are
// rejected so that every chunk has exactly one name.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("parse chunk id: want %d hex digits, got %d characters", 2*len(id), len(s))
	}
	if !isHex(s, len(s)) {
		return id, errors.New("parse chunk id: not lowercase hex")
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err // cannot fail after the check above
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (the ParseID form).
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
