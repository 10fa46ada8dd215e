package postgres

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"

	"synco/dumpers"
	urlrewrite "synco/dumpers/rewrite"
)

// Rewrite returns src with the values of its data streams passed through r (URLs
// of the source replaced by local ones, package rewrite). The rows of each
// "COPY … FROM stdin" are rewritten field by field: a field is decoded from the
// COPY text format, given to r, and when it changed escaped again as the server
// escapes it, so a value can never reach another field, row or statement; \N
// (NULL) stays. Statements pass as they are, for the import's checks; schema and
// post streams are not touched. bytea values (\x… hex) hold no URL text and
// stay as they are.
func Rewrite(src dumpers.Source, r *urlrewrite.Replacer) dumpers.Source {
	if r.Empty() {
		return src
	}
	return &rewriteSource{src: src, r: r}
}

type rewriteSource struct {
	src dumpers.Source
	r   *urlrewrite.Replacer
}

func (s *rewriteSource) Names() []string { return s.src.Names() }

func (s *rewriteSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := s.src.Open(ctx, name)
	if err != nil || !strings.HasPrefix(name, dumpers.DataDir) {
		return rc, err
	}
	return &rewriteReader{rc: rc, sc: newScanner(rc), r: s.r}, nil
}

// rewriteReader gives a data stream statement by statement, with the rows after
// a COPY rewritten.
type rewriteReader struct {
	rc   io.ReadCloser
	sc   *scanner
	r    *urlrewrite.Replacer
	rows *bufio.Reader // the rows of the current COPY; nil between statements
	cont bool          // the last line ended in a backslash: the row goes on
	buf  []byte
	err  error
}

func (rr *rewriteReader) Close() error { return rr.rc.Close() }

func (rr *rewriteReader) Read(p []byte) (int, error) {
	for len(rr.buf) == 0 {
		if rr.err != nil {
			return 0, rr.err
		}
		rr.buf, rr.err = rr.fill(rr.buf[:0])
	}
	n := copy(p, rr.buf)
	rr.buf = rr.buf[n:]
	return n, nil
}

// fill appends the next statement or row to out.
func (rr *rewriteReader) fill(out []byte) ([]byte, error) {
	if rr.rows != nil {
		line, err := rr.rows.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			rr.rows = nil
			return append(out, "\\.\n"...), nil
		}
		if err != nil && err != io.EOF {
			return out, err
		}
		if rr.cont || continued(line) {
			// a backslash before the line end escapes it: the server joins the
			// lines into one row, which we leave as it is (our dumps escape
			// newlines as \n and never write this)
			rr.cont = continued(line)
			return append(out, line...), nil
		}
		return rewriteRow(out, line, rr.r), nil
	}
	stmt, err := rr.sc.Next()
	if err != nil {
		return out, err
	}
	if isCopyFromStdin(stmt) {
		rr.rows = bufio.NewReaderSize(rr.sc.CopyData(), 64<<10)
	}
	return append(append(out, stmt...), '\n'), nil
}

// continued reports whether line ends in an unescaped backslash before its
// line end.
func continued(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	n := len(line) - len(bytes.TrimRight(line, "\\"))
	return n%2 == 1
}

// rewriteRow appends one COPY text row (with its line end) to out, its fields
// rewritten.
func rewriteRow(out, line []byte, r *urlrewrite.Replacer) []byte {
	end := len(line)
	for end > 0 && (line[end-1] == '\n' || line[end-1] == '\r') {
		end--
	}
	body, eol := line[:end], line[end:]
	if !r.MayChange(body) && bytes.IndexByte(body, '\\') < 0 {
		return append(out, line...)
	}
	for i := 0; ; i++ {
		f := body
		tab := bytes.IndexByte(body, '\t')
		if tab >= 0 {
			f = body[:tab]
		}
		if i > 0 {
			out = append(out, '\t')
		}
		out = rewriteField(out, f, r)
		if tab < 0 {
			break
		}
		body = body[tab+1:]
	}
	return append(out, eol...)
}

// rewriteField appends one COPY text field, rewritten when r changes its value.
func rewriteField(out, f []byte, r *urlrewrite.Replacer) []byte {
	if string(f) == `\N` || (bytes.IndexByte(f, '\\') < 0 && !r.MayChange(f)) {
		return append(out, f...)
	}
	v, changed := r.Value(unescapeCopy(f))
	if !changed {
		return append(out, f...)
	}
	return escapeCopy(out, v)
}
