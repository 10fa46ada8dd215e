package postgres

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// scanner splits an SQL script into statements the way psql does: a ';'
// ends a statement unless it is inside a string ('…', E'…'), a quoted
// identifier, a comment (-- and nested /* */), a dollar-quoted body ($tag$…$tag$),
// parentheses, or the BEGIN … END of a CREATE FUNCTION/PROCEDURE with a
// SQL-standard body. After a "COPY … FROM stdin" statement the rows follow up to
// a line "\."; CopyData reads them. Memory is bounded by the longest statement.
type scanner struct {
	r    *bufio.Reader
	line int // current line, for errors
}

func newScanner(r io.Reader) *scanner { return &scanner{r: bufio.NewReaderSize(r, 64<<10), line: 1} }

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// errUnterminated reports a script that ends inside a string, comment or body.
var errUnterminated = errors.New("unterminated statement at end of script")

// Next returns the next statement including its ';', without leading blanks
// and comments. It returns io.EOF when only blanks and comments remain.
func (s *scanner) Next() (string, error) {
	var (
		b          bytes.Buffer
		word       []byte
		words      []string // first words, lower case
		paren      int
		beginDepth int
	)
	endWord := func() {
		if len(word) == 0 {
			return
		}
		w := strings.ToLower(string(word))
		word = word[:0]
		if len(words) < 4 {
			words = append(words, w)
		}
		fnDef := len(words) >= 2 && words[0] == "create" && (words[1] == "function" || words[1] == "procedure" ||
			len(words) >= 4 && words[1] == "or" && words[2] == "replace" && (words[3] == "function" || words[3] == "procedure"))
		if !fnDef || paren != 0 {
			return
		}
		switch w {
		case "begin":
			beginDepth++
		case "case":
			if beginDepth > 0 {
				beginDepth++
			}
		case "end":
			if beginDepth > 0 {
				beginDepth--
			}
		}
	}
	for {
		c, err := s.r.ReadByte()
		if err == io.EOF {
			endWord()
			if strings.TrimSpace(b.String()) == "" {
				return "", io.EOF
			}
			return "", fmt.Errorf("line %d: %w", s.line, errUnterminated)
		}
		if err != nil {
			return "", err
		}
		if c == '\n' {
			s.line++
		}
		// Leading blanks and comments are not part of a statement.
		if b.Len() == 0 {
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				continue
			case c == '\\':
				// A psql meta-command runs to the end of the line; it is
				// returned as a statement of its own, for the caller to refuse.
				line, err := s.r.ReadString('\n')
				if err != nil && err != io.EOF {
					return "", err
				}
				s.line++
				return "\\" + strings.TrimRight(line, "\r\n"), nil
			case c == '-' && s.peek() == '-':
				if err := s.skipLine(); err != nil {
					return "", err
				}
				continue
			}
		}
		if isIdent(c) && !(c == '$' && len(word) == 0) {
			word = append(word, c)
			b.WriteByte(c)
			continue
		}
		prev := string(word)
		endWord()
		b.WriteByte(c)
		switch {
		case c == '\'':
			esc := prev == "e" || prev == "E"
			if err := s.quoted(&b, '\'', esc); err != nil {
				return "", err
			}
		case c == '"':
			if err := s.quoted(&b, '"', false); err != nil {
				return "", err
			}
		case c == '-' && s.peek() == '-':
			line, err := s.r.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				return "", fmt.Errorf("line %d: %w", s.line, errUnterminated)
			}
			s.line++
		case c == '/' && s.peek() == '*':
			if err := s.blockComment(&b); err != nil {
				return "", err
			}
		case c == '$':
			if err := s.dollar(&b); err != nil {
				return "", err
			}
		case c == '(':
			paren++
		case c == ')':
			paren--
		case c == ';' && paren <= 0 && beginDepth == 0:
			return b.String(), nil
		}
	}
}

func (s *scanner) peek() byte {
	p, err := s.r.Peek(1)
	if err != nil {
		return 0
	}
	return p[0]
}

func (s *scanner) skipLine() error {
	_, err := s.r.ReadString('\n')
	s.line++
	if err == io.EOF {
		return nil
	}
	return err
}

// quoted copies a string or quoted identifier whose opening quote is written.
func (s *scanner) quoted(b *bytes.Buffer, q byte, backslash bool) error {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return fmt.Errorf("line %d: %w", s.line, errUnterminated)
		}
		b.WriteByte(c)
		switch {
		case c == '\n':
			s.line++
		case backslash && c == '\\':
			n, err := s.r.ReadByte()
			if err != nil {
				return fmt.Errorf("line %d: %w", s.line, errUnterminated)
			}
			b.WriteByte(n)
		case c == q:
			if s.peek() != q {
				return nil
			}
			n, _ := s.r.ReadByte()
			b.WriteByte(n)
		}
	}
}

// blockComment copies a (nested) /* */ comment; "/" is written, "*" is next.
func (s *scanner) blockComment(b *bytes.Buffer) error {
	depth := 0
	var last byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return fmt.Errorf("line %d: %w", s.line, errUnterminated)
		}
		b.WriteByte(c)
		switch {
		case c == '\n':
			s.line++
		case last == '/' && c == '*':
			depth++
			c = 0
		case last == '*' && c == '/':
			depth--
			if depth == 0 {
				return nil
			}
			c = 0
		}
		if last == 0 && c == '*' && depth == 0 {
			depth = 1 // the opening "/*"
			c = 0
		}
		last = c
	}
}

// dollar copies a $tag$ … $tag$ body if '$' (written) starts one.
func (s *scanner) dollar(b *bytes.Buffer) error {
	var tag []byte
	for i := 0; ; i++ {
		p, err := s.r.Peek(i + 1)
		if err != nil || len(p) <= i {
			return nil
		}
		c := p[i]
		if c == '$' {
			break
		}
		if !isIdent(c) || c == '$' || (i == 0 && c >= '0' && c <= '9') {
			return nil // not a dollar quote (e.g. a parameter $1)
		}
		tag = append(tag, c)
	}
	delim := "$" + string(tag) + "$"
	rest := make([]byte, len(tag)+1)
	if _, err := io.ReadFull(s.r, rest); err != nil {
		return err
	}
	b.Write(rest)
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return fmt.Errorf("line %d: %w", s.line, errUnterminated)
		}
		b.WriteByte(c)
		if c == '\n' {
			s.line++
		}
		if c == '$' && bytes.HasSuffix(b.Bytes(), []byte(delim)) && b.Len() >= 2*len(delim) {
			return nil
		}
	}
}

var copyFromStdin = regexp.MustCompile(`(?is)^COPY\s.*\sFROM\s+stdin\b`)

// isCopyFromStdin reports whether stmt is a COPY whose rows follow in the script.
func isCopyFromStdin(stmt string) bool { return copyFromStdin.MatchString(stmt) }

// CopyData returns a reader of the COPY rows that follow; it ends before the
// "\." line, which it consumes. A script that ends without it gives
// io.ErrUnexpectedEOF.
func (s *scanner) CopyData() io.Reader { return &copyReader{s: s, bol: true, skip: true} }

type copyReader struct {
	s    *scanner
	buf  []byte
	bol  bool // at the beginning of a line
	done bool
	skip bool // the rest of the COPY statement's line is not data
}

func (c *copyReader) Read(p []byte) (int, error) {
	if c.skip {
		c.skip = false
		if _, err := c.s.r.ReadString('\n'); err != nil {
			return 0, fmt.Errorf("copy data near line %d: %w", c.s.line, io.ErrUnexpectedEOF)
		}
		c.s.line++
	}
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.s.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			c.buf, c.bol = line, false
			break
		}
		if c.bol && (string(line) == "\\.\n" || string(line) == "\\.\r\n" || (err == io.EOF && string(line) == "\\.")) {
			c.s.line++
			c.done = true
			return 0, io.EOF
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("copy data near line %d: %w", c.s.line, err)
		}
		c.s.line++
		c.buf, c.bol = line, true
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}
