package main

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Both loaders read tab-separated lines: MariaDB's LOAD DATA (ESCAPED BY '\\')
// and PostgreSQL's COPY text format share the escapes \\ \t \n \r and \N for
// NULL. Binary values go as hex: MariaDB unhexes them in SET col = UNHEX(@v),
// PostgreSQL reads bytea's \x… form (written \\x… in COPY text).

func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case 0:
			b = append(b, `\0`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

const timeLayout = "2006-01-02 15:04:05.000000"

// appendRow encodes one row for engine "mysql" or "postgres".
func appendRow(b []byte, engine string, row []any) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, '\t')
		}
		switch v := v.(type) {
		case nil:
			b = append(b, `\N`...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case uint64:
			b = strconv.AppendUint(b, v, 10)
		case bool:
			switch {
			case engine == "mysql" && v:
				b = append(b, '1')
			case engine == "mysql":
				b = append(b, '0')
			case v:
				b = append(b, 't')
			default:
				b = append(b, 'f')
			}
		case string:
			b = appendEscaped(b, v)
		case js:
			b = appendEscaped(b, string(v))
		case dec:
			b = append(b, v...)
		case time.Time:
			b = v.UTC().AppendFormat(b, timeLayout)
			if engine == "postgres" {
				b = append(b, "+00"...)
			}
		case []byte:
			if engine == "postgres" {
				b = append(b, `\\x`...)
			}
			b = hex.AppendEncode(b, v)
		default:
			panic(fmt.Sprintf("bench/db: value of type %T", v))
		}
	}
	return append(b, '\n')
}
