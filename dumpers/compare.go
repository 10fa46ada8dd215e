package dumpers

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// Comparing a table's rows with the installed snapshot: an engine dumps the
// table of the target into a CompareSink, which compares the data stream, as it
// is written, byte for byte with the installed one read again through a
// Reopener, and stops the dump at the first byte that differs.

var (
	// ErrDiffers: the rows differ from the installed ones.
	ErrDiffers = errors.New("rows differ from the installed ones")
	// ErrNoSnapshot: the installed stream cannot be read again.
	ErrNoSnapshot = errors.New("the installed stream is gone")
)

// CompareSink compares the one data stream a dump writes into it with Want.
// Created reports whether the dump wrote one (a dump writes none for a table
// without rows).
type CompareSink struct {
	Re      Reopener
	Want    StreamRef
	Created bool
}

// Create reopens Want; writes to the writer it returns fail with ErrDiffers
// at the first byte that differs.
func (s *CompareSink) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	s.Created = true
	r, err := s.Re.Reopen(ctx, s.Want)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrNoSnapshot
	}
	return &compareWriter{r: r}, nil
}

// compareWriter compares what is written with r.
type compareWriter struct {
	r   io.ReadCloser
	buf []byte
}

func (w *compareWriter) Write(p []byte) (int, error) {
	if cap(w.buf) < len(p) {
		w.buf = make([]byte, len(p))
	}
	b := w.buf[:len(p)]
	if _, err := io.ReadFull(w.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, ErrDiffers // more rows now
		}
		return 0, ErrNoSnapshot
	}
	if !bytes.Equal(b, p) {
		return 0, ErrDiffers
	}
	return len(p), nil
}

// Close reports ErrDiffers when the installed stream goes on (fewer rows now).
func (w *compareWriter) Close() error {
	defer w.r.Close()
	var one [1]byte
	switch n, err := io.ReadFull(w.r, one[:]); {
	case n > 0:
		return ErrDiffers
	case errors.Is(err, io.EOF):
		return nil
	default:
		return ErrNoSnapshot
	}
}
