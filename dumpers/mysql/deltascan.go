package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"synco/dumpers/delta"
)

// errNotCanonical: a data stream is not byte for byte in the layout our dumper
// writes; its table's delta is computed by the general readers instead
// (rowReader: the splitter, the allow-list and the lexer on every statement).
var errNotCanonical = errors.New("data stream not in the dumper's canonical layout")

// canonRows reads the rows of a data stream that is exactly in the layout our
// dumper writes (dumpTable, appendRow, appendValue), in one pass over its bytes
// without the splitter, the lexer or the allow-list:
//
//	stream    = { header row { ",\n" row } ";\n" }
//	header    = "INSERT INTO " name " (" name { "," name } ") VALUES\n"   (the same in every statement)
//	name      = "`" { any byte but "`" | "``" } "`"
//	row       = "(" value { "," value } ")"                                (as many values as names)
//	value     = "NULL" | number | "0x" hex { hex } | string | "X'" { hex } "'" | "_utf8mb4 X'" { hex } "'"
//	number    = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//	string    = "'" { any byte but "'" and "\" | "''" } "'"
//
// Anything else is errNotCanonical (at any byte of the stream, before or after
// rows were returned): the caller then starts the table over with rowReader.
//
// Why this is as safe as checking every statement: in this grammar a quote,
// a semicolon or a newline outside a string can only be where the grammar puts
// it (no comment, no backslash, no double quote: the reading is the same under
// every sql_mode), so the statements are exactly those the splitter would find,
// and each is the header followed by rows of literals. The header is checked by
// the allow-list itself (checkHeader: as a statement with one row of literals),
// and a row of this grammar is what insertShape accepts as a row (a number, a
// string, X'…', a character set introducer before a string, NULL, a sign). So a
// stream this reader reads to its end passes the allow-list statement by
// statement, and the rows it returns are those rowReader returns. Besides, no
// byte of a data stream runs unless it is checked again where it is used: the
// rows to insert are put into statements that pass the allow-list before they
// run (tableDelta.inserts), the keys to delete into statements checkDelete checks.
type canonRows struct {
	ctx    context.Context // nil: not cancelled
	name   string
	ck     *checker // checks the first header; nil for the installed snapshot
	r      io.Reader
	buf    []byte
	off    int // buf[off:end] is read and not yet used
	end    int
	eof    bool
	keyCol []string
	keyAt  []int  // per column: its place in the key, or -1
	spans  []span // per key column: where its value is in the current row
	ncols  int
	first  []byte // the first statement's header, with its "\n"
	header []byte // first without "\n" (as rowReader.header)
	inStmt bool   // the next row belongs to the current statement
	key    []byte
	passed int64 // bytes SkipSame passed over
}

type span struct{ from, to int }

// canonBuf is the initial buffer of a canonRows; it grows to hold a row.
const canonBuf = 1 << 20

func newCanonRows(name string, r io.Reader, keyCols []string, ck *checker) *canonRows {
	return &canonRows{name: name, r: r, keyCol: keyCols, ck: ck, buf: make([]byte, canonBuf)}
}

// fill reads more of the stream, keeping buf[off:end] (moved to the front).
func (cr *canonRows) fill() error {
	if cr.ctx != nil && cr.ctx.Err() != nil {
		return cr.ctx.Err()
	}
	if cr.eof {
		return errNotCanonical
	}
	if cr.off > 0 {
		cr.end = copy(cr.buf, cr.buf[cr.off:cr.end])
		cr.off = 0
	}
	if cr.end == len(cr.buf) {
		cr.buf = append(cr.buf, make([]byte, len(cr.buf))...)
	}
	for {
		n, err := cr.r.Read(cr.buf[cr.end:])
		cr.end += n
		if err == io.EOF {
			cr.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("read stream %s: %w", cr.name, err)
		}
		if n > 0 {
			return nil
		}
	}
}

// Next returns the next row (its slices are valid until the next call); io.EOF
// after the last; errNotCanonical (wrapped) when the stream leaves the layout.
func (cr *canonRows) Next() (delta.Row, error) {
	for {
		s := cr.buf[cr.off:cr.end]
		if !cr.inStmt && len(s) == 0 && cr.eof {
			return delta.Row{}, io.EOF
		}
		n, line, err := cr.elem(s)
		if err == errMore {
			if err := cr.fill(); err != nil {
				return delta.Row{}, cr.shapeErr(err)
			}
			continue
		}
		if err != nil {
			return delta.Row{}, cr.shapeErr(err)
		}
		cr.off += n
		if line < 0 {
			continue
		}
		cr.key = cr.key[:0]
		for i, sp := range cr.spans {
			if i > 0 {
				cr.key = append(cr.key, ',')
			}
			cr.key = append(cr.key, s[sp.from:sp.to]...)
		}
		return delta.Row{Key: cr.key, Line: s[:line]}, nil
	}
}

// elem reads the element at the start of s: a statement's header, or a row and
// the ",\n" or ";\n" after it. It returns the bytes it takes and the length of
// the row (-1 for a header); errMore when s ends before the element does.
func (cr *canonRows) elem(s []byte) (n, line int, err error) {
	if !cr.inStmt {
		n, err := cr.readHeader(s)
		if err != nil {
			return 0, 0, err
		}
		cr.inStmt = true
		return n, -1, nil
	}
	line, err = cr.row(s)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case len(s) < line+2:
		return 0, 0, errMore
	case s[line] == ',' && s[line+1] == '\n':
	case s[line] == ';' && s[line+1] == '\n':
		cr.inStmt = false
	default:
		return 0, 0, errNotCanonical
	}
	return line + 2, line, nil
}

// SkipSame implements delta.Skipper for two canonRows: the new stream's
// elements (headers, rows) that are the same bytes as the old stream's from
// where both stand are read (so they are checked as Next checks them) but not
// returned, and the old stream is moved past them unread: the same bytes in
// the same state (both between rows of statements with the same header, or
// both before a header) are the same rows.
func (cr *canonRows) SkipSame(old delta.Reader) error {
	o, ok := old.(*canonRows)
	if !ok || o.first == nil || cr.first == nil || o.inStmt != cr.inStmt || !bytes.Equal(o.first, cr.first) {
		return nil
	}
	for {
		a, b := o.buf[o.off:o.end], cr.buf[cr.off:cr.end]
		m := min(len(a), len(b))
		c := commonPrefix(a[:m], b[:m])
		k := 0
		for {
			n, _, err := cr.elem(b[k:c])
			if err == errMore {
				break
			}
			if err != nil {
				return cr.shapeErr(err)
			}
			k += n
		}
		o.off, cr.off, o.inStmt = o.off+k, cr.off+k, cr.inStmt
		cr.passed += int64(k)
		if c < m {
			return nil // they differ within the next element
		}
		if len(a) == m {
			if o.eof {
				return nil
			}
			if err := o.fill(); err != nil {
				return &delta.OldError{Err: err}
			}
		}
		if len(b) == m {
			if cr.eof {
				return nil
			}
			if err := cr.fill(); err != nil {
				return err
			}
		}
	}
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	const block = 256
	for i+block <= n && bytes.Equal(a[i:i+block], b[i:i+block]) {
		i += block
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func (cr *canonRows) shapeErr(err error) error {
	if errors.Is(err, errNotCanonical) {
		return fmt.Errorf("stream %s: %w", cr.name, errNotCanonical)
	}
	return err
}

// errMore: the buffer ends before the element being read.
var errMore = errors.New("more input needed")

// readHeader reads a statement's header at the start of s and returns its length.
// The first one sets the columns (and is checked); the others must equal it.
func (cr *canonRows) readHeader(s []byte) (int, error) {
	if cr.first != nil {
		if len(s) < len(cr.first) {
			if bytes.HasPrefix(cr.first, s) {
				return 0, errMore
			}
			return 0, cr.shapeErr(errNotCanonical)
		}
		if !bytes.Equal(s[:len(cr.first)], cr.first) {
			return 0, cr.shapeErr(errNotCanonical)
		}
		return len(cr.first), nil
	}
	const insert = "INSERT INTO "
	if len(s) < len(insert) {
		if bytes.HasPrefix([]byte(insert), s) {
			return 0, errMore
		}
		return 0, cr.shapeErr(errNotCanonical)
	}
	if string(s[:len(insert)]) != insert {
		return 0, cr.shapeErr(errNotCanonical)
	}
	i := len(insert)
	tEnd, err := nameEnd(s, i)
	if err != nil {
		return 0, cr.shapeErr(err)
	}
	var cols [][]byte
	i = tEnd
	for sep := " ("; ; sep = "," {
		if len(s) < i+len(sep) {
			return 0, errMore
		}
		if string(s[i:i+len(sep)]) != sep {
			break
		}
		j, err := nameEnd(s, i+len(sep))
		if err != nil {
			return 0, cr.shapeErr(err)
		}
		cols = append(cols, s[i+len(sep):j])
		i = j
	}
	const values = ") VALUES\n"
	if len(s) < i+len(values) {
		return 0, errMore
	}
	if len(cols) == 0 || string(s[i:i+len(values)]) != values {
		return 0, cr.shapeErr(errNotCanonical)
	}
	i += len(values)
	cr.first = bytes.Clone(s[:i])
	cr.header = cr.first[:i-1]
	if cr.ck != nil {
		if _, err := cr.ck.check(1, append(bytes.Clone(cr.header), " (NULL)"...)); err != nil {
			return 0, err
		}
	}
	cr.ncols = len(cols)
	cr.keyAt = make([]int, len(cols))
	for i := range cr.keyAt {
		cr.keyAt[i] = -1
	}
	for k, name := range cr.keyCol {
		at := -1
		for i, c := range cols {
			if unquote(c, false) == name {
				at = i
			}
		}
		if at < 0 {
			return 0, fmt.Errorf("stream %s: key column %s not dumped: %w", cr.name, name, errDeltaShape)
		}
		cr.keyAt[at] = k
	}
	cr.spans = make([]span, len(cr.keyCol))
	return i, nil
}

// nameEnd returns the end of the `name` at s[i].
func nameEnd(s []byte, i int) (int, error) {
	if i >= len(s) {
		return 0, errMore
	}
	if s[i] != '`' {
		return 0, errNotCanonical
	}
	for j := i + 1; ; {
		k := bytes.IndexByte(s[j:], '`')
		if k < 0 || j+k+1 >= len(s) {
			return 0, errMore
		}
		j += k + 1
		if s[j] != '`' {
			if j == i+2 {
				return 0, errNotCanonical // ``: an empty name
			}
			return j, nil
		}
		j++
	}
}

// row reads the row at the start of s, records its key's spans, and returns
// its length (to its closing parenthesis).
func (cr *canonRows) row(s []byte) (int, error) {
	if len(s) == 0 {
		return 0, errMore
	}
	if s[0] != '(' {
		return 0, errNotCanonical
	}
	i := 1
	for col := 0; ; col++ {
		start := i
		j, err := valueEnd(s, i)
		if err != nil {
			return 0, err
		}
		if k := cr.keyAt[col]; k >= 0 {
			cr.spans[k] = span{start, j}
		}
		if j >= len(s) {
			return 0, errMore
		}
		switch s[j] {
		case ',':
			if col+1 == cr.ncols {
				return 0, errNotCanonical
			}
			i = j + 1
			continue
		case ')':
			if col+1 != cr.ncols {
				return 0, errNotCanonical
			}
			return j + 1, nil
		}
		return 0, errNotCanonical
	}
}

// hexByte marks the hex digits.
var hexByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = true
	}
	return t
}()

// valueEnd returns the end of the value (see canonRows) that starts at s[i].
func valueEnd(s []byte, i int) (int, error) {
	n := len(s)
	if i >= n {
		return 0, errMore
	}
	switch c := s[i]; {
	case c == '\'':
		return stringEnd(s, i)
	case c == 'N':
		if n < i+4 {
			return 0, errMore
		}
		if string(s[i:i+4]) != "NULL" {
			return 0, errNotCanonical
		}
		return i + 4, nil
	case c == 'X':
		if i+1 >= n {
			return 0, errMore
		}
		if s[i+1] != '\'' {
			return 0, errNotCanonical
		}
		return hexStringEnd(s, i+2)
	case c == '_':
		const intro = "_utf8mb4 X'"
		if n < i+len(intro) {
			return 0, errMore
		}
		if string(s[i:i+len(intro)]) != intro {
			return 0, errNotCanonical
		}
		return hexStringEnd(s, i+len(intro))
	case c == '0' && i+1 < n && s[i+1] == 'x':
		j := i + 2
		for j < n && hexByte[s[j]] {
			j++
		}
		if j == i+2 {
			if j == n {
				return 0, errMore
			}
			return 0, errNotCanonical
		}
		return j, nil
	case c == '-' || isDigit(c):
		return numberEnd(s, i)
	}
	return 0, errNotCanonical
}

// stringEnd: '…' with ” for a quote and no backslash.
func stringEnd(s []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(s[j:], '\'')
		if k < 0 {
			if bytes.IndexByte(s[j:], '\\') >= 0 {
				return 0, errNotCanonical
			}
			return 0, errMore
		}
		if bytes.IndexByte(s[j:j+k], '\\') >= 0 {
			return 0, errNotCanonical
		}
		j += k + 1
		if j == len(s) {
			return 0, errMore // a doubled quote or the end: the next byte says
		}
		if s[j] != '\'' {
			return j, nil
		}
		j++
	}
}

// hexStringEnd: hex digits from s[i] up to the closing quote.
func hexStringEnd(s []byte, i int) (int, error) {
	j := i
	for j < len(s) && hexByte[s[j]] {
		j++
	}
	if j == len(s) {
		return 0, errMore
	}
	if s[j] != '\'' || (j-i)%2 != 0 {
		return 0, errNotCanonical
	}
	return j + 1, nil
}

// numberEnd: [-]digits[.digits][(e|E)[+|-]digits], ending before a byte that is
// not part of it (which the caller checks is "," or ")").
func numberEnd(s []byte, i int) (int, error) {
	n := len(s)
	j := i
	if s[j] == '-' {
		j++
	}
	digits := func() (bool, error) {
		k := j
		for j < n && isDigit(s[j]) {
			j++
		}
		if j == n {
			return false, errMore
		}
		return j > k, nil
	}
	ok, err := digits()
	if err != nil || !ok {
		if err == nil {
			err = errNotCanonical
		}
		return 0, err
	}
	if s[j] == '.' {
		j++
		if ok, err = digits(); err != nil || !ok {
			if err == nil {
				err = errNotCanonical
			}
			return 0, err
		}
	}
	if s[j] == 'e' || s[j] == 'E' {
		j++
		if j == n {
			return 0, errMore
		}
		if s[j] == '+' || s[j] == '-' {
			j++
		}
		if ok, err = digits(); err != nil || !ok {
			if err == nil {
				err = errNotCanonical
			}
			return 0, err
		}
	}
	return j, nil
}
