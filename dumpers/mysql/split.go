package mysql

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// splitter reads SQL statements from a stream the way the mysql client does:
// statements end at the delimiter (";" until a "DELIMITER xx" line changes it)
// outside '…', "…" and `…` quotes (backslash escapes in the string quotes, doubled
// quotes), "-- ", "#" and "/* */" comments. DELIMITER lines are client commands and
// are not returned. It counts the top-level parenthesised groups of each statement,
// which for our INSERT … (columns) VALUES (row),(row) gives the rows.
type splitter struct {
	r     *bufio.Reader
	delim []byte
	buf   []byte
	n     int64 // bytes read

	state   byte // 0 normal, '\'', '"', '`' in quote, '-' line comment, '*' block comment
	depth   int
	groups  int
	content bool // buf holds more than spaces and comments
	pending [][]byte
	counts  []int
	// unterminated: the last statement ended at the end of the stream, not at a
	// delimiter (a truncated dump, or a script without a final ';')
	unterminated bool
}

func newSplitter(r io.Reader) *splitter {
	return &splitter{r: bufio.NewReaderSize(r, 256<<10), delim: []byte(";")}
}

// next returns the next statement (without delimiter, trimmed) and its number of
// top-level parenthesised groups; io.EOF after the last.
func (s *splitter) next() ([]byte, int, error) {
	for len(s.pending) == 0 {
		line, err := s.r.ReadBytes('\n')
		s.n += int64(len(line))
		if len(line) > 0 {
			s.scanLine(line)
		}
		if err == io.EOF {
			if s.state == '\'' || s.state == '"' || s.state == '`' {
				return nil, 0, errors.New("unterminated quoted string at end of stream")
			}
			if s.content {
				s.emit()
				s.unterminated = true
			}
			if len(s.pending) == 0 {
				return nil, 0, io.EOF
			}
			break
		}
		if err != nil {
			return nil, 0, err
		}
	}
	st, n := s.pending[0], s.counts[0]
	s.pending, s.counts = s.pending[1:], s.counts[1:]
	return st, n, nil
}

func (s *splitter) emit() {
	st := bytes.TrimSpace(s.buf)
	if s.content && len(st) > 0 {
		s.pending = append(s.pending, bytes.Clone(st))
		s.counts = append(s.counts, s.groups)
	}
	s.buf = s.buf[:0]
	s.content, s.groups, s.depth = false, 0, 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func (s *splitter) scanLine(line []byte) {
	if s.state == 0 && !s.content {
		t := bytes.TrimLeft(line, " \t")
		if len(t) > 10 && bytes.EqualFold(t[:10], []byte("delimiter ")) {
			if d := bytes.TrimSpace(t[10:]); len(d) > 0 {
				s.delim = bytes.Clone(d)
				s.buf = s.buf[:0]
				return
			}
		}
	}
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch s.state {
		case 0:
			if c == s.delim[0] && bytes.HasPrefix(line[i:], s.delim) {
				s.buf = append(s.buf, line[start:i]...)
				s.emit()
				i += len(s.delim) - 1
				start = i + 1
				continue
			}
			switch {
			case c == '\'' || c == '"' || c == '`':
				s.state = c
				s.content = true
			case c == '#':
				s.state = '-'
			case c == '-' && i+2 < len(line) && line[i+1] == '-' && isSpace(line[i+2]):
				s.state = '-'
			case c == '/' && i+1 < len(line) && line[i+1] == '*':
				s.state = '*'
				i++
			case c == '(':
				s.depth++
				if s.depth == 1 {
					s.groups++
				}
				s.content = true
			case c == ')':
				s.depth--
				s.content = true
			case !isSpace(c):
				s.content = true
			}
		case '\'', '"':
			if c == '\\' {
				i++
			} else if c == s.state {
				if i+1 < len(line) && line[i+1] == c {
					i++
				} else {
					s.state = 0
				}
			}
		case '`':
			if c == '`' {
				s.state = 0
			}
		case '-':
			if c == '\n' {
				s.state = 0
			}
		case '*':
			if c == '*' && i+1 < len(line) && line[i+1] == '/' {
				s.state = 0
				i++
			}
		}
	}
	s.buf = append(s.buf, line[start:]...)
}

// SplitStatements calls fn with every statement of a SQL script in the mysql
// client's syntax (DELIMITER lines, quotes, comments; see the package doc), without
// its delimiter. It stops at the first error of fn or of reading.
func SplitStatements(r io.Reader, fn func(stmt []byte) error) error {
	sp := newSplitter(r)
	for {
		st, _, err := sp.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
	}
}
