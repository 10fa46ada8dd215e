package postgres

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"synco/dumpers/delta"
)

// errDeltaShape: a data stream is not as our dumper writes it (not one COPY, a
// key column not dumped, a row with another number of fields): no delta for
// that table (the full import checks and loads it as always).
var errDeltaShape = errors.New("data stream not in the dumper's shape")

// copyRows reads the rows of a data stream for package delta. The stream's
// statement passes the allow-list first (as in an import). A row's line is its
// COPY text as the stream holds it (without the newline); its key the COPY text
// of its primary-key fields, in key order, joined by tabs: itself a COPY text
// row of the key columns.
type copyRows struct {
	name   string
	s      *scanner
	keyCol []string // primary-key columns (their names), in key order
	stmt   string   // the COPY statement, as the allow-list passed it
	ncols  int
	pos    []int // positions of the key columns in the COPY column list
	data   *bufio.Reader
	done   bool
	// empty: a stream without a statement has no rows (a table's local rows,
	// or none in the new dump) instead of not being in the dumper's shape
	empty bool
	line  []byte
	key   []byte
}

func newCopyRows(name string, r io.Reader, keyCols []string) *copyRows {
	return &copyRows{name: name, s: newScanner(r), keyCol: keyCols}
}

// start reads the COPY statement.
func (cr *copyRows) start() error {
	stmt, err := cr.s.Next()
	if err == io.EOF && cr.empty {
		cr.data, cr.done = bufio.NewReader(bytes.NewReader(nil)), true
		return nil
	}
	if err == io.EOF {
		return fmt.Errorf("stream %s: no COPY: %w", cr.name, errDeltaShape)
	}
	if err != nil {
		return fmt.Errorf("read stream %s: %w", cr.name, err)
	}
	v, why := checkStmt(classData, stmt)
	if why != "" {
		return refusedError(cr.name, 1, stmt, why)
	}
	toks, err := lexSQL(v.sql)
	if err != nil {
		return fmt.Errorf("stream %s: %w", cr.name, errDeltaShape)
	}
	// COPY name [. name [. name]] ( col, … ) FROM stdin [;]
	var cols []string
	for i := 0; i < len(toks); i++ {
		if !toks[i].isOp("(") {
			continue
		}
		for j := i + 1; j < len(toks) && !toks[j].isOp(")"); j++ {
			if toks[j].kind == tkIdent || toks[j].kind == tkQIdent {
				cols = append(cols, toks[j].val)
			}
		}
		break
	}
	if len(cols) == 0 {
		return fmt.Errorf("stream %s: COPY without a column list: %w", cr.name, errDeltaShape)
	}
	for _, k := range cr.keyCol {
		at := -1
		for i, c := range cols {
			if c == k {
				at = i
			}
		}
		if at < 0 {
			return fmt.Errorf("stream %s: key column %s not dumped: %w", cr.name, k, errDeltaShape)
		}
		cr.pos = append(cr.pos, at)
	}
	cr.stmt, cr.ncols = v.sql, len(cols)
	cr.data = bufio.NewReaderSize(cr.s.CopyData(), 64<<10)
	return nil
}

// Next returns the next row; io.EOF after the last. The stream must hold
// nothing after its rows.
func (cr *copyRows) Next() (delta.Row, error) {
	if cr.data == nil {
		if err := cr.start(); err != nil {
			return delta.Row{}, err
		}
	}
	if cr.done {
		return delta.Row{}, io.EOF
	}
	cr.line = cr.line[:0]
	for {
		part, err := cr.data.ReadSlice('\n')
		cr.line = append(cr.line, part...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(cr.line) == 0 {
			cr.done = true
			if _, err := cr.s.Next(); err != io.EOF {
				return delta.Row{}, fmt.Errorf("stream %s: more than one statement: %w", cr.name, errDeltaShape)
			}
			return delta.Row{}, io.EOF
		}
		if err != nil && err != io.EOF {
			return delta.Row{}, fmt.Errorf("read stream %s: %w", cr.name, err)
		}
		if err == io.EOF || !bytes.HasSuffix(cr.line, []byte{'\n'}) {
			return delta.Row{}, fmt.Errorf("stream %s: row without a line end: %w", cr.name, errDeltaShape)
		}
		break
	}
	line := cr.line[:len(cr.line)-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return delta.Row{}, fmt.Errorf("stream %s: carriage return in a row: %w", cr.name, errDeltaShape)
	}
	fields := bytes.Split(line, []byte{'\t'})
	if len(fields) != cr.ncols {
		return delta.Row{}, fmt.Errorf("stream %s: row with another number of fields than columns: %w", cr.name, errDeltaShape)
	}
	cr.key = cr.key[:0]
	for i, at := range cr.pos {
		if i > 0 {
			cr.key = append(cr.key, '\t')
		}
		cr.key = append(cr.key, fields[at]...)
	}
	return delta.Row{Key: cr.key, Line: line}, nil
}
