package mysql

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"synco/dumpers/delta"
)

// errDeltaShape: a data stream is not as our dumper writes it (column lists
// differ between statements, a key column is missing): no delta for that table.
var errDeltaShape = errors.New("data stream not in the dumper's shape")

// rowReader reads the rows of a data stream for package delta. Every statement
// passes the allow-list first (the same check as an import); a row's key is the
// text of its primary-key literals as the lexer delimits them, joined by ',' (so
// "(" + key + ")" is a row constructor of literals), its line the "(…)" of the row.
type rowReader struct {
	name   string
	sp     *splitter
	ck     *checker // nil: the stream passed the allow-list when it was installed
	n      int
	keyCol []string // primary-key columns, in key order
	pos    []int    // their positions in the column list
	cols   [][]byte // the column list of the first statement, as written
	header []byte   // "INSERT INTO `t` (…) VALUES" of the first statement
	rows   []delta.Row
	key    []byte
}

func newRowReader(name string, r io.Reader, keyCols []string) *rowReader {
	return &rowReader{name: name, sp: newSplitter(r), ck: newChecker(name), keyCol: keyCols}
}

func (rr *rowReader) Next() (delta.Row, error) {
	for len(rr.rows) == 0 {
		if err := rr.statement(); err != nil {
			return delta.Row{}, err
		}
	}
	r := rr.rows[0]
	rr.rows = rr.rows[1:]
	return r, nil
}

func (rr *rowReader) statement() error {
	st, _, err := rr.sp.next()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("read stream %s: %w", rr.name, err)
	}
	if rr.sp.unterminated {
		return fmt.Errorf("read stream %s: %w", rr.name, ErrTruncated)
	}
	rr.n++
	if rr.ck != nil {
		if _, err := rr.ck.check(rr.n, st); err != nil {
			return err
		}
	}
	return rr.parse(st)
}

// parse reads an INSERT the allow-list passed: INSERT INTO t (cols) VALUES (…),….
func (rr *rowReader) parse(st []byte) error {
	l := &lexer{s: st, backslash: true}
	tok := func() token { t, _ := l.next(); return t }
	p := func(t token, b byte) bool { return t.kind == tPunct && st[t.pos] == b }
	tok() // INSERT
	tok() // INTO
	tok() // table
	tok() // (
	var cols [][]byte
	for {
		c, ok := l.next()
		if !ok {
			// only an old stream (not checked again) can end here
			return fmt.Errorf("stream %s statement %d: %w", rr.name, rr.n, errDeltaShape)
		}
		cols = append(cols, st[c.pos:c.end])
		if t := tok(); p(t, ')') {
			break
		}
	}
	values := tok()
	if rr.cols == nil {
		rr.cols, rr.header = cols, bytes.Clone(st[:values.end])
		for _, k := range rr.keyCol {
			at := -1
			for i, c := range cols {
				if unquote(c, false) == k {
					at = i
				}
			}
			if at < 0 {
				return fmt.Errorf("stream %s: key column %s not dumped: %w", rr.name, k, errDeltaShape)
			}
			rr.pos = append(rr.pos, at)
		}
	} else if len(cols) != len(rr.cols) || !bytes.Equal(st[:values.end], rr.header) {
		return fmt.Errorf("stream %s statement %d: %w", rr.name, rr.n, errDeltaShape)
	}
	spans := make([][2]int, len(cols))
	for {
		t, ok := l.next()
		if !ok {
			return nil
		}
		if p(t, ',') {
			continue
		}
		start := t.pos // '('
		for i := range spans {
			v := tok()
			from := v.pos
			for p(v, '-') || p(v, '+') || v.kind == tWord && st[v.pos] == '_' {
				v = tok()
			}
			spans[i] = [2]int{from, v.end}
			if sep := tok(); p(sep, ')') != (i == len(spans)-1) {
				return fmt.Errorf("stream %s statement %d: row with another number of values than columns: %w", rr.name, rr.n, errDeltaShape)
			}
		}
		rr.key = rr.key[:0]
		for j, at := range rr.pos {
			if j > 0 {
				rr.key = append(rr.key, ',')
			}
			rr.key = append(rr.key, st[spans[at][0]:spans[at][1]]...)
		}
		rr.rows = append(rr.rows, delta.Row{Key: bytes.Clone(rr.key), Line: st[start:l.i]})
	}
}
