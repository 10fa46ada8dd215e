package mysql

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"synco/dumpers"
	"synco/dumpers/rewrite"
)

// ErrRewrite: a rewritten data statement no longer passed the allow-list (a bug:
// the rewrite only re-encodes values).
var ErrRewrite = errors.New("mysql: rewritten statement refused")

// Rewrite returns src with the string values of its data streams passed through
// r (URLs of the source replaced by local ones, package rewrite). Only the
// string literals of INSERT statements that pass the allow-list are rewritten:
// each is decoded as the server reads it ('…', "…", N'…', and a charset
// introducer's '…' or X'…'), given to r, and when it changed written back with
// the dumper's own encoding, so no value can leave its literal; binary values
// (0x…, X'…' and B'…' without an introducer, _binary'…') are left as they are.
// Everything else passes unchanged, for Import's checks to refuse. Schema and
// post streams are not touched. A rewritten statement is checked again; one
// that fails makes the stream's Read fail with ErrRewrite.
func Rewrite(src dumpers.Source, r *rewrite.Replacer) dumpers.Source {
	if r.Empty() {
		return src
	}
	return &rewriteSource{src: src, r: r}
}

type rewriteSource struct {
	src dumpers.Source
	r   *rewrite.Replacer
}

func (s *rewriteSource) Names() []string { return s.src.Names() }

func (s *rewriteSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := s.src.Open(ctx, name)
	if err != nil || !strings.HasPrefix(name, dumpers.DataDir) {
		return rc, err
	}
	return &rewriteReader{rc: rc, sp: newSplitter(rc), ck: newChecker(name), r: s.r}, nil
}

// rewriteReader gives a data stream statement by statement, rewritten.
type rewriteReader struct {
	rc  io.ReadCloser
	sp  *splitter
	ck  *checker
	r   *rewrite.Replacer
	n   int
	buf []byte
	err error
}

func (rr *rewriteReader) Close() error { return rr.rc.Close() }

func (rr *rewriteReader) Read(p []byte) (int, error) {
	for len(rr.buf) == 0 {
		if rr.err != nil {
			return 0, rr.err
		}
		st, _, err := rr.sp.next()
		if err != nil {
			rr.err = err
			continue
		}
		rr.n++
		if rr.sp.unterminated { // left for the importer to refuse as truncated
			rr.buf = append(rr.buf[:0], st...)
			continue
		}
		out, err := rr.rewrite(st)
		if err != nil {
			rr.err = err
			continue
		}
		rr.buf = append(append(rr.buf[:0], out...), ";\n"...)
	}
	n := copy(p, rr.buf)
	rr.buf = rr.buf[n:]
	return n, nil
}

// rewrite rewrites the values of one statement of the stream.
func (rr *rewriteReader) rewrite(st []byte) ([]byte, error) {
	if _, err := rr.ck.check(rr.n, st); err != nil {
		return st, nil // the importer refuses it
	}
	out, changed := rewriteValues(st, rr.r)
	if !changed {
		return st, nil
	}
	if _, err := rr.ck.check(rr.n, out); err != nil {
		return nil, fmt.Errorf("stream %s statement %d: %w: %w", rr.ck.stream, rr.n, ErrRewrite, err)
	}
	return out, nil
}

// rewriteValues rewrites the string literals after VALUES of a checked INSERT.
func rewriteValues(st []byte, r *rewrite.Replacer) ([]byte, bool) {
	l := &lexer{s: st, backslash: true}
	var out []byte
	done := 0
	values := false
	var prev token
	for {
		t, ok := l.next()
		if !ok {
			break
		}
		if !values {
			values = t.kind == tWord && bytes.EqualFold(st[t.pos:t.end], []byte("VALUES"))
			prev = t
			continue
		}
		intro := ""
		if prev.kind == tWord && st[prev.pos] == '_' {
			intro = strings.ToLower(string(st[prev.pos:prev.end]))
		}
		prev = t
		if t.kind != tString || intro == "_binary" {
			continue
		}
		lit := st[t.pos:t.end]
		if (lit[0] == '\'' || lit[0] == '"') && bytes.IndexByte(lit, '\\') < 0 && !r.MayChange(lit) {
			continue // the common case: plain text without the URL
		}
		v, ok := stringValue(lit, intro != "")
		if !ok {
			continue
		}
		nv, changed := r.Value(v)
		if !changed {
			continue
		}
		out = append(out, st[done:t.pos]...)
		if intro != "" {
			out = append(out, " X'"...) // the space: _latin1'…' has none
			out = hex.AppendEncode(out, nv)
			out = append(out, '\'')
		} else {
			out = appendString(out, nv)
		}
		done = t.end
	}
	if out == nil {
		return st, false
	}
	return append(out, st[done:]...), true
}

// stringValue decodes a string literal as the server reads it with backslash
// escapes on. ok is false for a binary literal (X'…' without an introducer, B'…')
// and for anything it cannot decode with certainty.
func stringValue(lit []byte, introduced bool) ([]byte, bool) {
	if len(lit) < 2 {
		return nil, false
	}
	switch lit[0] {
	case '\'', '"':
		return unescape(lit[1:len(lit)-1], lit[0]), true
	case 'n', 'N':
		if lit[1] == '\'' {
			return unescape(lit[2:len(lit)-1], '\''), true
		}
	case 'x', 'X':
		if !introduced || lit[1] != '\'' {
			return nil, false
		}
		v, err := hex.DecodeString(string(lit[2 : len(lit)-1]))
		if err != nil {
			return nil, false
		}
		return v, true
	}
	return nil, false
}

// unescape decodes the inside of a '…' or "…" literal (quote q): doubled quotes
// and backslash escapes as the server reads them (\% and \_ keep their backslash).
func unescape(b []byte, q byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			i++
			switch e := b[i]; e {
			case '0':
				out = append(out, 0)
			case 'b':
				out = append(out, '\b')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'Z':
				out = append(out, 0x1a)
			case '%', '_':
				out = append(out, '\\', e)
			default:
				out = append(out, e)
			}
		case c == q && i+1 < len(b) && b[i+1] == q:
			out = append(out, q)
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}
