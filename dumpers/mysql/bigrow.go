package mysql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
)

// Rows bigger than the server takes in one statement. A statement may be at
// most max_allowed_packet bytes (16 MiB by default on MariaDB 10.11, 64 MiB
// on MySQL 8), and the dump writes a binary value in hex, two bytes a byte:
// a row holding an 8 MB BLOB makes a 16 MB INSERT, which the driver refuses
// to send (driver.ErrPktTooLarge, before a byte goes out), though the server
// stores the value. The dumper writes such a row as an INSERT of its own.
// execStmt then runs it again as a prepared statement whose long literals are
// parameters: the driver sends each in pieces (COM_STMT_SEND_LONG_DATA), and
// the server takes a value of up to max_allowed_packet. A value bigger than
// that cannot go through any connection of the server: the error says so,
// and how to raise the limit (TooBigError).

// bindMin is the length from which a literal of a statement too big to send
// becomes a parameter.
const bindMin = 4 << 10

// execStmt runs st on ex; a statement too big for the server's
// max_allowed_packet runs with its long literals as parameters (bindLiterals).
func execStmt(ctx context.Context, ex execer, st []byte) (sql.Result, error) {
	res, err := ex.ExecContext(ctx, string(st))
	if !errors.Is(err, driver.ErrPktTooLarge) {
		return res, err
	}
	q, args, berr := bindLiterals(ctx, ex, st)
	if berr != nil {
		return nil, berr
	}
	res, err = ex.ExecContext(ctx, q, args...)
	if errors.Is(err, driver.ErrPktTooLarge) { // still, with its long values apart
		return nil, &TooBigError{Size: len(st), Statement: true}
	}
	var me *driver.MySQLError
	if errors.As(err, &me) && me.Number == erUnknown && strings.Contains(me.Message, "max_allowed_packet") {
		largest := 0
		for _, a := range args {
			largest = max(largest, len(a.([]byte)))
		}
		return nil, &TooBigError{Size: largest}
	}
	return res, err
}

// erUnknown: ER_UNKNOWN_ERROR, which MariaDB and MySQL give for a parameter
// longer than max_allowed_packet.
const erUnknown = 1105

// TooBigError is a value bigger than the server's max_allowed_packet, which
// no statement can store, or a statement bigger than that which is not a row
// whose long values can be sent apart (Statement).
type TooBigError struct {
	Size      int // bytes of the value or statement
	Statement bool
}

func (e *TooBigError) Error() string {
	what := "a value"
	if e.Statement {
		what = "a statement"
	}
	limit := 1 << bits.Len(uint(e.Size)+1<<20) // a power of two, a MiB or more above the size
	msg := fmt.Sprintf("%s of %.1f MB is larger than this server accepts (max_allowed_packet)", what, float64(e.Size)/1e6)
	if e.Statement {
		msg += ", and not a row whose long values can be sent apart"
	}
	return msg + fmt.Sprintf("; raise the limit (SET GLOBAL max_allowed_packet = %d, and max_allowed_packet = %dM under [mysqld] "+
		"in the server's configuration to keep it), then install again", limit, limit>>20)
}

// bindLiterals returns st, an INSERT … VALUES, with each literal of at least
// bindMin bytes replaced by a parameter, and the parameters: a quoted string
// without backslashes, or one in hex with the _utf8mb4 introducer, goes as the
// text it stands for (the server converts it from the connection's utf8mb4,
// as it does the literal); a hex literal without introducer (0x…, X'…'), a
// binary string, only into a column without a character set (binary types,
// GEOMETRY), where the bytes are stored as they are. Anything else is an
// error: the statement is too big, and cannot be made smaller.
func bindLiterals(ctx context.Context, ex execer, st []byte) (string, []any, error) {
	tooBig := &TooBigError{Size: len(st), Statement: true}
	toks, lerr := lexAll(st, true, false)
	v := &stmtView{s: st, toks: toks}
	if lerr != "" || !v.word(0, "INSERT") || !v.word(1, "INTO") || !v.isName(2) || !v.punct(3, '(') {
		return "", nil, tooBig
	}
	var cols []string
	i := 4
	for ; i < len(toks) && !v.punct(i, ')'); i++ {
		if v.isName(i) {
			cols = append(cols, v.name(i))
		} else if !v.punct(i, ',') {
			return "", nil, tooBig
		}
	}
	if i+2 >= len(toks) || !v.word(i+1, "VALUES") || !v.punct(i+2, '(') {
		return "", nil, tooBig
	}
	var b strings.Builder
	var args []any
	var binary map[string]bool // columns without a character set, read when needed
	from, col, depth := 0, 0, 0
	for j := i + 2; j < len(toks); j++ {
		t := toks[j]
		switch {
		case v.punct(j, '('):
			if depth++; depth == 1 {
				col = 0 // a row
			}
			continue
		case v.punct(j, ')'):
			depth--
			continue
		case v.punct(j, ','):
			if depth == 1 {
				col++
			}
			continue
		case depth != 1 || t.end-t.pos < bindMin:
			continue // only the row's own values, not within an expression
		}
		lit, start := st[t.pos:t.end], t.pos
		var val []byte
		switch {
		case t.kind == tString && lit[0] == '\'' && !strings.ContainsRune(string(lit), '\\'):
			val = []byte(unquote(lit, false))
		case t.kind == tString && (lit[0] == 'X' || lit[0] == 'x') || t.kind == tNumber && len(lit) > 2 && lit[0] == '0' && (lit[1] == 'x' || lit[1] == 'X'):
			digits := strings.Trim(string(lit[1:]), "'")
			if lit[1] != '\'' {
				digits = string(lit[2:])
			}
			var err error
			if val, err = hex.DecodeString(digits); err != nil {
				return "", nil, tooBig
			}
			switch {
			case j > 0 && toks[j-1].kind == tWord && strings.EqualFold(string(v.text(j-1)), "_utf8mb4") && t.kind == tString:
				start = toks[j-1].pos // the introducer goes with the literal
			case col < len(cols):
				if binary == nil {
					var err error
					if binary, err = binaryColumns(ctx, ex, v.name(2)); err != nil {
						return "", nil, err
					}
				}
				if !binary[cols[col]] {
					return "", nil, tooBig
				}
			default:
				return "", nil, tooBig
			}
		default:
			return "", nil, tooBig
		}
		b.Write(st[from:start])
		b.WriteByte('?')
		from = t.end
		args = append(args, val)
	}
	if len(args) == 0 {
		return "", nil, tooBig
	}
	b.Write(st[from:])
	return b.String(), args, nil
}

// binaryColumns returns the columns of table (in the connection's current
// database) that have no character set.
func binaryColumns(ctx context.Context, ex execer, table string) (map[string]bool, error) {
	q, ok := ex.(querier)
	if !ok {
		return nil, fmt.Errorf("read the columns of %s: %w", quoteIdent(table), dumpers.ErrRefused)
	}
	rows, err := q.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND CHARACTER_SET_NAME IS NULL", table)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", quoteIdent(table), err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", quoteIdent(table), err)
		}
		out[c] = true
	}
	return out, rows.Err()
}
