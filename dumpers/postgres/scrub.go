package postgres

import (
	"bytes"
	"io"
	"strconv"
	"strings"

	"synco/dumpers/scrub"
)

// scrubTable is the scrubbing of t's COPY columns by rules (nil: none).
func scrubTable(rules *scrub.Rules, t *table) *scrub.Table {
	if rules == nil {
		return nil
	}
	var cols []scrub.Column
	for _, c := range t.cols {
		if c.generated == "" {
			cols = append(cols, scrub.Column{Name: c.name, Numeric: numericType(c.typ), MaxLen: typeLen(c.typ)})
		}
	}
	return rules.Table([]string{t.schema + "." + t.name, t.name}, cols)
}

// numericType reports whether a format_type() name is a number type.
func numericType(typ string) bool {
	switch {
	case typ == "smallint", typ == "integer", typ == "bigint", typ == "real", typ == "double precision",
		typ == "oid", typ == "numeric", strings.HasPrefix(typ, "numeric("):
		return true
	}
	return false
}

// typeLen is N of character varying(N) and character(N), else 0.
func typeLen(typ string) int {
	for _, p := range []string{"character varying(", "character("} {
		if rest, ok := strings.CutPrefix(typ, p); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(rest, ")"))
			return n
		}
	}
	return 0
}

// copyScrubber rewrites COPY text rows (fields separated by tabs, one row per
// line, backslash escapes, \N for NULL) through a scrub.Table on their way to w.
// Fields the table does not need pass as they are; the ones it rewrites are
// escaped the way the server escapes them, so an unchanged value keeps its bytes.
type copyScrubber struct {
	w    io.Writer
	t    *scrub.Table
	need []bool
	buf  []byte // an incomplete line
	vals [][]byte
	raw  [][]byte
	out  []byte
}

func newCopyScrubber(w io.Writer, t *scrub.Table) *copyScrubber {
	return &copyScrubber{w: w, t: t, need: t.Needs()}
}

func (c *copyScrubber) Write(p []byte) (int, error) {
	if len(c.buf) == 0 && !c.t.Active() {
		return c.w.Write(p)
	}
	c.buf = append(c.buf, p...)
	c.out = c.out[:0]
	start := 0
	for {
		i := bytes.IndexByte(c.buf[start:], '\n')
		if i < 0 {
			break
		}
		c.out = c.row(c.out, c.buf[start:start+i])
		c.out = append(c.out, '\n')
		start += i + 1
	}
	c.buf = append(c.buf[:0], c.buf[start:]...)
	if _, err := c.w.Write(c.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// row appends the scrubbed form of one row (without its newline) to out.
func (c *copyScrubber) row(out, line []byte) []byte {
	c.raw = c.raw[:0]
	for {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			c.raw = append(c.raw, line)
			break
		}
		c.raw = append(c.raw, line[:i])
		line = line[i+1:]
	}
	if len(c.raw) != len(c.need) { // not a row of this table's shape: leave it to the load to fail
		for i, f := range c.raw {
			if i > 0 {
				out = append(out, '\t')
			}
			out = append(out, f...)
		}
		return out
	}
	c.vals = c.vals[:0]
	for i, f := range c.raw {
		switch {
		case !c.need[i]:
			c.vals = append(c.vals, f)
		case string(f) == `\N`:
			c.vals = append(c.vals, nil)
		default:
			c.vals = append(c.vals, unescapeCopy(f))
		}
	}
	c.t.Row(c.vals)
	clean := c.t.Clean()
	for i, v := range c.vals {
		if i > 0 {
			out = append(out, '\t')
		}
		switch {
		case !c.need[i], sameSlice(v, c.raw[i]): // not looked at, or left as it was
			out = append(out, c.raw[i]...)
		case v == nil:
			out = append(out, `\N`...)
		case clean[i]: // a fake without control characters or backslashes
			out = append(out, v...)
		default:
			out = escapeCopy(out, v)
		}
	}
	return out
}

// sameSlice reports whether a and b are the same non-empty bytes in memory.
func sameSlice(a, b []byte) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

// unescapeCopy decodes one COPY text field: f itself when it has no escapes.
func unescapeCopy(f []byte) []byte {
	if bytes.IndexByte(f, '\\') < 0 {
		return f
	}
	out := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '\\' || i+1 == len(f) {
			out = append(out, c)
			continue
		}
		i++
		switch c = f[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(f) && isHexDigit(f[i+1]) {
				i++
				v = v*16 + hexVal(f[i])
				n++
			}
			if n == 0 {
				out = append(out, 'x')
			} else {
				out = append(out, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for n := 1; n < 3 && i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '7'; n++ {
				i++
				v = v*8 + int(f[i]-'0')
			}
			out = append(out, byte(v))
		default:
			out = append(out, c)
		}
	}
	return out
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// escapeCopy appends v as a COPY text field, escaped as the server does.
func escapeCopy(out, v []byte) []byte {
	for _, c := range v {
		switch c {
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\v':
			out = append(out, '\\', 'v')
		default:
			out = append(out, c)
		}
	}
	return out
}
