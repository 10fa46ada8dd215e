package chunkstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"

	"synco/third_party/zdict"
)

// ErrNoDict is returned (wrapped, never as a *CorruptError) by Keys.Open for
// an authentic chunk compressed with a dictionary that was not registered
// with AddDict. The chunk is not damaged: the reader lacks a dictionary the
// publication should have shipped (a bug or a format mismatch, not tampering).
var ErrNoDict = errors.New("chunkstore: compression dictionary not loaded")

// DictID names a compression dictionary: the first 8 bytes of the chunk ID
// (keyed BLAKE3) of the dictionary's bytes. The zero DictID means "no
// dictionary".
type DictID [8]byte

// String returns the DictID as 16 lowercase hex digits.
func (d DictID) String() string { return hex.EncodeToString(d[:]) }

// ParseDictID parses the form written by String.
func ParseDictID(s string) (DictID, error) {
	var d DictID
	if len(s) != 2*len(d) || !isHex(s, len(s)) {
		return d, fmt.Errorf("parse dictionary id %q: want %d lowercase hex digits", s, 2*len(d))
	}
	_, err := hex.Decode(d[:], []byte(s))
	return d, err // cannot fail after the check above
}

// Dictionary parameters, chosen by measurement (SPEC.md, "Dictionaries").
const (
	// MaxDictSize bounds what AddDict accepts.
	MaxDictSize = 1 << 20
	// DictSize is the size BuildDict aims for.
	DictSize = 64 << 10
	// DictSampleSize bounds each sample BuildDict reads; only a sample's
	// beginning matters to the trainer.
	DictSampleSize = 16 << 10
)

// errDictTooSmall: the trainer found too little in the samples.
var errDictTooSmall = errors.New("build zstd dictionary: not enough sample data")

// BuildDict trains a zstd dictionary of about DictSize bytes on samples
// (typically a few hundred ClassDB chunks of a store's first big dump; each is
// cut to DictSampleSize). It may fail on too little or too uniform data; the
// caller then simply keeps sealing without a dictionary.
func BuildDict(samples [][]byte) ([]byte, error) {
	in := make([][]byte, 0, len(samples))
	total := 0
	for _, s := range samples {
		if len(s) > DictSampleSize {
			s = s[:DictSampleSize]
		}
		if len(s) >= 8 {
			in = append(in, s)
			total += len(s)
		}
	}
	if total < 4*DictSize {
		return nil, errDictTooSmall
	}
	b, err := zdict.BuildZstdDict(in, zdict.Options{
		MaxDictSize: DictSize,
		HashBytes:   6,
		ZstdLevel:   zstdLevel,
	})
	if err != nil {
		return nil, fmt.Errorf("build zstd dictionary: %w", err)
	}
	return b, nil
}

// dictCodec is one registered dictionary.
type dictCodec struct {
	enc *zstd.Encoder
	raw []byte // the dictionary, for the decoder

	// The decoder is made on first use (Open). Only a func of it is kept here: a
	// *zstd.Decoder field would make the linker keep zstd's whole decoder
	// (through the methods of the field's type) in binaries that only seal.
	decOnce   sync.Once
	decodeAll func(src, dst []byte) ([]byte, error)
	decErr    error
}

// decoder returns the DecodeAll of the dictionary's decoder.
func (d *dictCodec) decoder() (func(src, dst []byte) ([]byte, error), error) {
	d.decOnce.Do(func() {
		dec, err := zstd.NewReader(nil, append(decoderOptions(), zstd.WithDecoderDicts(d.raw))...)
		if err != nil {
			d.decErr = err
			return
		}
		d.decodeAll = dec.DecodeAll
	})
	return d.decodeAll, d.decErr
}

// AddDict registers the zstd dictionary b, so that Open can read chunks sealed
// with it and SealWith can seal with it, and returns its ID. Registering the
// same dictionary again is harmless. It fails if b is not a zstd dictionary
// (as zstd's ZDICT format) or is larger than MaxDictSize.
func (k *Keys) AddDict(b []byte) (DictID, error) {
	var id DictID
	if len(b) > MaxDictSize {
		return id, fmt.Errorf("add dictionary: %d bytes exceeds %d", len(b), MaxDictSize)
	}
	full := k.ID(b)
	copy(id[:], full[:])
	if id == (DictID{}) {
		return id, errors.New("add dictionary: its ID is zero") // 2⁻⁶⁴; the zero ID means none
	}
	k.dictMu.Lock()
	defer k.dictMu.Unlock()
	if _, ok := k.dicts[id]; ok {
		return id, nil
	}
	if _, err := zstd.InspectDictionary(b); err != nil {
		return id, fmt.Errorf("add dictionary %s: %w", id, err)
	}
	enc, err := zstd.NewWriter(nil, append(encoderOptions(), zstd.WithEncoderDict(b))...)
	if err != nil {
		return id, fmt.Errorf("add dictionary %s: %w", id, err)
	}
	if k.dicts == nil {
		k.dicts = map[DictID]*dictCodec{}
	}
	k.dicts[id] = &dictCodec{enc: enc, raw: slices.Clone(b)}
	return id, nil
}

func (k *Keys) dict(id DictID) *dictCodec {
	k.dictMu.RLock()
	defer k.dictMu.RUnlock()
	return k.dicts[id]
}

// keysDicts is embedded in Keys.
type keysDicts struct {
	dictMu sync.RWMutex
	dicts  map[DictID]*dictCodec
}
