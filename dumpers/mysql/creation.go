package mysql

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"synco/dumpers"
)

// Creation times MariaDB does not know. The fingerprint proves a table's
// structure unchanged by its CREATE_TIME, which InnoDB takes from the table's
// .frm file when a handle of the table is opened. Some handles have none: on
// MariaDB 10.11, after an UPDATE or DELETE in a table with an indexed virtual
// column (InnoDB's purge opens such a table to compute the column's values),
// information_schema sometimes gives a NULL CREATE_TIME for it, and goes on
// giving NULL for as long as that handle stays in the table cache (seen for
// several seconds, in about 1 run in 10 to 30 of such a table renamed into a
// database and then written). Taken at its word, it made the next install a
// full import ("changed locally"), and an unknown time recorded at an install
// and still unknown at the next one would have hidden a local ALTER TABLE.
//
// So a base table whose creation time is unknown on either side — in the
// recorded fingerprint or in the current one — is proven by its definition
// instead: SHOW CREATE TABLE, read as the dumper reads it, against the
// installed schema.sql's statement for it, both without their AUTO_INCREMENT
// option. The same definition stands for the same creation time (knownCreation);
// another one, or none to compare with, makes the line differ, as a change of
// structure does.

// unknownCreation returns the base tables whose lines in want and in now
// differ, or could hide a difference, by an unknown creation time only: one
// of the two is "-", the type and engine are the same.
func unknownCreation(want, now string) []string {
	was := map[string]string{}
	for _, l := range fpLines(want, true) {
		k, _ := fpKey(l)
		was[k] = l
	}
	var out []string
	for _, l := range fpLines(now, true) {
		k, t := fpKey(l)
		w, ok := was[k]
		if t == "" || !ok || !strings.HasPrefix(k, "table ") {
			continue
		}
		wp, wc, _, ok1 := creationOf(w)
		np, nc, _, ok2 := creationOf(l)
		if ok1 && ok2 && wp == np && (wc == "-" || nc == "-") {
			out = append(out, t)
		}
	}
	return out
}

// withCreation returns now with the creation time of each of tables taken
// from want when its definition is the installed one (same), and made unknown
// ("?", which no fingerprint holds) when it is not.
func withCreation(want, now string, tables []string, same map[string]bool) string {
	pick := map[string]bool{}
	for _, t := range tables {
		pick[tableKey(t)] = true
	}
	was := map[string]string{}
	for _, l := range fpLines(want, true) {
		if k, _ := fpKey(l); pick[k] {
			_, c, _, _ := creationOf(l)
			was[k] = c
		}
	}
	var b strings.Builder
	for _, l := range fpLines(now, false) {
		k, t := fpKey(l)
		if c, ok := was[k]; ok && !strings.HasPrefix(l, checksumKind+" ") {
			if !same[t] {
				c = "?"
			}
			p, _, u, _ := creationOf(l)
			l = p + " " + c + " " + u + "\n"
		}
		b.WriteString(l)
	}
	return b.String()
}

// creationOf splits a base table's fingerprint line into what precedes its
// creation time (key, type and engine), the creation and the change time.
func creationOf(l string) (prefix, created, changed string, ok bool) {
	s := strings.TrimSuffix(l, "\n")
	if _, what, _ := strings.Cut(s, "\t"); !strings.HasPrefix(what, "BASE TABLE ") {
		return "", "", "", false
	}
	u := lostTime.FindStringIndex(s)
	if u == nil {
		return "", "", "", false
	}
	c := lostTime.FindStringIndex(s[:u[0]])
	if c == nil {
		return "", "", "", false
	}
	return s[:c[0]], s[c[0]+1 : u[0]], s[u[0]+1:], true
}

// knownCreation returns now, a current fingerprint, with the creation times
// it or want do not know resolved by the tables' definitions (see above).
// rec is the record whose schema.sql was installed.
func (d *deltaInstall) knownCreation(ctx context.Context, rec *record, want, now string) (string, error) {
	tables := unknownCreation(want, now)
	if len(tables) == 0 {
		return now, nil
	}
	same, err := d.sameDefinitions(ctx, rec, tables)
	if err != nil {
		return "", err
	}
	return withCreation(want, now, tables, same), nil
}

// sameDefinitions returns which of tables have the definition the installed
// schema.sql gave them, AUTO_INCREMENT aside. None when the cache no longer
// holds that schema.sql.
func (d *deltaInstall) sameDefinitions(ctx context.Context, rec *record, tables []string) (map[string]bool, error) {
	same := map[string]bool{}
	if d.installed == nil { // read once an install: the check runs at every fingerprint
		r, err := d.re.Reopen(ctx, rec.refs[dumpers.SchemaStream])
		if err != nil {
			return same, ctx.Err()
		}
		installed, err := schemaStatements(r, false)
		r.Close()
		if err != nil {
			return same, ctx.Err()
		}
		coll, err := readCollations(ctx, d.db) // as the import named them
		if err != nil {
			return nil, fmt.Errorf("compare table definitions: %w", err)
		}
		d.installed, d.coll = &installed, coll
	}
	installed, coll := d.installed, d.coll
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("compare table definitions: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "USE "+quoteIdent(d.target)); err != nil {
		return nil, fmt.Errorf("compare table definitions: %w", err)
	}
	if err := setupSession(ctx, c, ""); err != nil {
		return nil, fmt.Errorf("compare table definitions: %w", err)
	}
	for _, t := range tables {
		want, ok := installed.creates[t]
		if !ok {
			continue
		}
		var name, create string
		if err := c.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteIdent(t)).Scan(&name, &create); err != nil {
			return nil, fmt.Errorf("compare table definitions: %s: %w", quoteIdent(t), err)
		}
		// read as schema.sql is, from the statement the dumper writes
		now, err := schemaStatements(strings.NewReader(create+";\n"), false)
		if err != nil {
			continue
		}
		same[t] = bytes.Equal(now.creates[t], coll.fix(want))
	}
	return same, nil
}
