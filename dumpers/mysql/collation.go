package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Collations the importing server does not have. MySQL 8 names its default
// utf8mb4 collation utf8mb4_0900_ai_ci, MariaDB 11.4 utf8mb4_uca1400_ai_ci;
// MariaDB 10.x knows neither, and a production MySQL 8 or MariaDB 11 copied
// to a developer's MariaDB 10.11 (ddev's default) failed at the first
// statement, "Unknown collation". The importer now names, in every statement
// of schema.sql and post.sql, a collation this server has instead: of the same
// character set, as close as it has, case- and accent-insensitive for one that
// is, so that keys unique at the source stay unique (substitute). Installed.Notes
// says which, and where it would differ (ordering and comparison of text).

// collations is what the importing server has.
type collations struct {
	have     map[string]bool   // collation names
	defaults map[string]string // character set → its default collation

	mu   sync.Mutex
	used map[string]string // missing collation → the one used
}

// readCollations reads the server's collations and character sets.
func readCollations(ctx context.Context, db *sql.DB) (*collations, error) {
	c := &collations{have: map[string]bool{}, defaults: map[string]string{}, used: map[string]string{}}
	// MariaDB ≥ 10.10 lists its UCA 14 collations once for all Unicode
	// character sets (uca1400_ai_ci), with their full names per character set
	// in FULL_COLLATION_NAME; elsewhere COLLATION_NAME is the full name.
	rows, err := db.QueryContext(ctx, "SELECT * FROM information_schema.COLLATION_CHARACTER_SET_APPLICABILITY")
	if err != nil {
		return nil, fmt.Errorf("read the server's collations: %w", err)
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, fmt.Errorf("read the server's collations: %w", err)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the server's collations: %w", err)
		}
		for i, col := range cols {
			if strings.EqualFold(col, "COLLATION_NAME") || strings.EqualFold(col, "FULL_COLLATION_NAME") {
				c.have[strings.ToLower(vals[i].String)] = true
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the server's collations: %w", err)
	}
	rows, err = db.QueryContext(ctx, "SELECT CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME FROM information_schema.CHARACTER_SETS")
	if err != nil {
		return nil, fmt.Errorf("read the server's character sets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cs, def string
		if err := rows.Scan(&cs, &def); err != nil {
			return nil, fmt.Errorf("read the server's character sets: %w", err)
		}
		c.defaults[strings.ToLower(cs)] = strings.ToLower(def)
	}
	return c, rows.Err()
}

// substitute returns the collation to use for name, which this server lacks,
// and false when it has none to offer (a character set it does not have).
func (c *collations) substitute(name string) (string, bool) {
	name = strings.ToLower(name)
	if len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", false // not a collation's name: the server says so
	}
	cs := ""
	for s := range c.defaults {
		if strings.HasPrefix(name, s+"_") && len(s) > len(cs) {
			cs = s
		}
	}
	if cs == "" {
		return "", false
	}
	// As distinct as the source's collation, or more: _bin tells apart all
	// that any collation does.
	try, insensitive := []string{"bin"}, false
	switch {
	case strings.HasSuffix(name, "_as_cs") || strings.HasSuffix(name, "_cs"):
		try = []string{"uca1400_as_cs", "0900_as_cs", "bin"}
	case strings.HasSuffix(name, "_as_ci"):
		try = []string{"uca1400_as_ci", "0900_as_ci", "bin"}
	case strings.HasSuffix(name, "_ci"):
		// unicode_520 before unicode: UCA 4.0 weighs every character beyond
		// the BMP (emoji) the same, so keys unique at the source could collide
		try, insensitive = []string{"uca1400_ai_ci", "0900_ai_ci", "unicode_520_ci", "unicode_ci", "general_ci"}, true
	}
	for _, t := range try {
		if c.have[cs+"_"+t] {
			return cs + "_" + t, true
		}
	}
	if d := c.defaults[cs]; insensitive && d != "" {
		return d, true
	}
	return "", false
}

// fix returns st with every collation this server lacks (after COLLATE, with or
// without =) replaced by its substitute. Statements that name none come back
// as they are.
func (c *collations) fix(st []byte) []byte {
	if c == nil || !containsFold(st, "COLLATE") {
		return st
	}
	toks, lerr := lexAll(st, true, false)
	if lerr != "" {
		return st
	}
	v := &stmtView{s: st, toks: toks}
	var out []byte
	from := 0
	for i := range toks {
		if !v.word(i, "COLLATE") {
			continue
		}
		j := i + 1
		if v.punct(j, '=') {
			j++
		}
		if j >= len(toks) || toks[j].kind != tWord && toks[j].kind != tIdent && toks[j].kind != tString {
			continue
		}
		name := unquote(v.text(j), false)
		if c.have[strings.ToLower(name)] {
			continue
		}
		sub, ok := c.substitute(name)
		if !ok {
			continue
		}
		c.mu.Lock()
		c.used[strings.ToLower(name)] = sub
		c.mu.Unlock()
		out = append(append(out, st[from:toks[j].pos]...), sub...)
		from = toks[j].end
	}
	if out == nil {
		return st
	}
	return append(out, st[from:]...)
}

// notes says which collations were replaced, one line each.
func (c *collations) notes() []string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, from := range slices.Sorted(maps.Keys(c.used)) {
		out = append(out, fmt.Sprintf("collation %s is unknown to this server: %s used instead (text may sort and compare a little differently than at the source)", from, c.used[from]))
	}
	return out
}

// containsFold reports whether s holds word, in any case.
func containsFold(s []byte, word string) bool {
	return strings.Contains(strings.ToUpper(string(s)), word)
}
