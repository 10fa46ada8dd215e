package mysql

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind says how the values of a column are written in a data stream.
type kind uint8

const (
	kindString kind = iota // quoted text: CHAR/VARCHAR/TEXT, ENUM, SET, JSON, DATE/TIME/DATETIME/TIMESTAMP, UUID…
	kindNumber             // server text as-is: integers of every size, DECIMAL, YEAR
	kindFloat              // FLOAT: shortest text that reads back to the same float32
	kindDouble             // DOUBLE: shortest text that reads back to the same float64
	kindBinary             // 0x hex: BINARY, VARBINARY, BLOBs, BIT, GEOMETRY and its subtypes
)

// kindOf maps information_schema.COLUMNS.DATA_TYPE to a kind.
func kindOf(dataType string) kind {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year":
		return kindNumber
	case "float":
		return kindFloat
	case "double", "real", "double precision":
		return kindDouble
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection", "vector":
		return kindBinary
	}
	return kindString
}

// selectExpr is the SELECT-list expression that reads a column for a dump. FLOAT is
// read through a DOUBLE expression because servers print FLOAT with only 6
// significant digits; the double holds the float32 exactly.
func selectExpr(name string, k kind) string {
	if k == kindFloat {
		return "(" + quoteIdent(name) + " + 0e0)"
	}
	return quoteIdent(name)
}

const hexDigits = "0123456789ABCDEF"

// appendValue appends the SQL literal for one value read as text (nil is NULL).
func appendValue(b []byte, v []byte, k kind) []byte {
	if v == nil {
		return append(b, "NULL"...)
	}
	switch k {
	case kindNumber:
		return append(b, v...)
	case kindFloat:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return appendString(b, v)
		}
		f32 := float32(f)
		s := strconv.FormatFloat(float64(f32), 'g', -1, 32)
		if g, _ := strconv.ParseFloat(s, 64); math.Abs(g) > math.MaxFloat32 {
			// the shortest float32 text of ±FLT_MAX reads as a double above
			// FLT_MAX, which the server calls out of range: use the exact double.
			s = strconv.FormatFloat(float64(f32), 'g', -1, 64)
		}
		return append(b, s...)
	case kindDouble:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return appendString(b, v)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case kindBinary:
		return appendHex(b, v)
	}
	return appendString(b, v)
}

// appendHex appends v as 0x… hex (” when empty: "0x" alone is not a literal).
func appendHex(b []byte, v []byte) []byte {
	if len(v) == 0 {
		return append(b, "''"...)
	}
	b = append(b, '0', 'x')
	for _, c := range v {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendString appends v as a string literal that means the same with and without
// NO_BACKSLASH_ESCAPES and that the mysql client passes through unchanged: plain
// '…' with ' doubled when v is valid UTF-8 without backslash, NUL, CR or Ctrl-Z;
// otherwise _utf8mb4 X'…' (valid UTF-8, converted to the column's character set)
// or X'…' (not UTF-8: the bytes as they are).
func appendString(b []byte, v []byte) []byte {
	// \r too: the mysql client drops a CR before LF when it reads a script,
	// so "a\r\nb" would load as "a\nb" from the plain .sql file. (Four
	// IndexByte scans, vectorised, and copies between quotes: the dump's
	// hottest loop, ≈ 20 % of a warm publish's CPU when it went byte by byte.)
	plain := bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, 0) < 0 &&
		bytes.IndexByte(v, 0x1a) < 0 && bytes.IndexByte(v, '\r') < 0
	valid := utf8.Valid(v)
	if plain && valid {
		b = append(b, '\'')
		for {
			i := bytes.IndexByte(v, '\'')
			if i < 0 {
				break
			}
			b = append(append(b, v[:i+1]...), '\'')
			v = v[i+1:]
		}
		b = append(b, v...)
		return append(b, '\'')
	}
	if valid {
		b = append(b, "_utf8mb4 "...)
	}
	b = append(b, 'X', '\'')
	for _, c := range v {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return append(b, '\'')
}

// isNumber reports whether v (non-NULL) is a plain decimal number: [-]digits[.digits].
func isNumber(v []byte) bool {
	if v == nil {
		return true // NULL
	}
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	digits, dot := 0, false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
