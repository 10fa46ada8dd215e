package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrImportRunning: another import into the same target database holds its lock.
var ErrImportRunning = errors.New("mysql: another import into this database is running")

// lockWait is how long an import waits for another import of the same target.
const lockWait = 60 // seconds

// lockTarget serialises imports of one target with GET_LOCK on a name derived from
// it, held by a connection of its own until unlock. Errors: ErrImportRunning.
func lockTarget(ctx context.Context, db *sql.DB, target string) (unlock func(), err error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open connection: %w", err)
	}
	h := sha256.Sum256([]byte(target))
	name := "synco_import_" + hex.EncodeToString(h[:16])
	var got sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, lockWait).Scan(&got); err != nil {
		c.Close()
		return nil, fmt.Errorf("lock imports into %s: %w", target, err)
	}
	if got.Int64 != 1 {
		c.Close()
		return nil, fmt.Errorf("lock imports into %s: %w", target, ErrImportRunning)
	}
	return func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = c.ExecContext(cctx, "DO RELEASE_LOCK(?)", name)
		c.Close()
	}, nil
}

// leftoverRE matches the staging and backup databases tempName makes for target.
func leftoverRE(target string) *regexp.Regexp {
	short := func(tag string) string {
		base := target
		for utf8.RuneCountInString(base)+len(tag)+8 > 64 {
			_, n := utf8.DecodeLastRuneInString(base)
			base = base[:len(base)-n]
		}
		return regexp.QuoteMeta(base + tag)
	}
	return regexp.MustCompile(`^(` + short("__synco_") + `|` + short("__synco_old_") + `)[0-9a-f]{8}$`)
}

// reclaim drops the staging and backup databases that an import of target killed
// before its clean-up left behind. Only names of exactly our pattern for this target
// are touched, and only under the target's lock, so no running import loses its own.
func reclaim(ctx context.Context, db *sql.DB, target string) error {
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	re := leftoverRE(target)
	var left []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("list databases: %w", err)
		}
		if re.MatchString(n) {
			left = append(left, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	for _, n := range left {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(n)); err != nil {
			return fmt.Errorf("drop leftover database %s: %w", n, err)
		}
	}
	return nil
}

// leftoverTableRE matches the staged and backed-up tables of StageTables imports.
var leftoverTableRE = regexp.MustCompile(`^__synco_(old_)?[0-9a-f]{8}_`)

// reclaimTables drops the tables that an import of target staging in the target
// (StageTables) or a delta install (deltastage.go) left behind when it was
// killed: names of exactly our pattern, under the target's lock, except those
// keep reports true for (nil: none).
func reclaimTables(ctx context.Context, db *sql.DB, target string, keep func(table string) bool) error {
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' AND TABLE_NAME LIKE '\_\_synco\_%'`, target)
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", target, err)
	}
	var left []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("list tables of %s: %w", target, err)
		}
		if leftoverTableRE.MatchString(n) && (keep == nil || !keep(n)) {
			left = append(left, qualified(target, n))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list tables of %s: %w", target, err)
	}
	if len(left) == 0 {
		return nil
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open connection: %w", err)
	}
	defer c.Close()
	if err := setupSession(ctx, c, loadSQLMode); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "DROP TABLE IF EXISTS "+strings.Join(left, ", ")); err != nil {
		return fmt.Errorf("drop leftover tables of %s: %w", target, err)
	}
	return nil
}
