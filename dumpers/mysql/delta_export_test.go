package mysql

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// GeneralDiffs is the number of table differences computed by the general
// readers (rowReader) instead of the canonical ones (canonRows) so far.
func GeneralDiffs() int64 { return generalDiffs.Load() }

// SetDeltaPart sets the size of the parts a delta applies at once, for a test.
func SetDeltaPart(n int) (restore func()) {
	old := deltaPart
	deltaPart = n
	return func() { deltaPart = old }
}

// SetRefsHook makes writeRefs call fn first, for a test.
func SetRefsHook(fn func() error) (restore func()) {
	testHookRefs = fn
	return func() { testHookRefs = nil }
}

// SetRewriteAt sets when a table without common keys is rewritten, for a test.
func SetRewriteAt(n int) (restore func()) {
	old := rewriteAt
	rewriteAt = n
	return func() { rewriteAt = old }
}

// Rewrites is the number of tables a delta rewrote so far.
func Rewrites() int64 { return rewrites.Load() }

// SetKillHook sets testHookKill, for a test.
func SetKillHook(fn func(step string, i int) bool) (restore func()) {
	testHookKill = fn
	return func() { testHookKill = nil }
}

// RecoverBranches runs what an install runs first on target: it commits or
// rolls back the XA branches a killed delta left prepared.
func RecoverBranches(ctx context.Context, db *sql.DB, target string) error {
	ok, err := recoverBranches(ctx, db, target)
	if err == nil && !ok {
		err = errors.New("XA RECOVER refused")
	}
	return err
}

// PreparedBranches lists the prepared XA branches of target's installs.
func PreparedBranches(ctx context.Context, db *sql.DB, target string) (n int, err error) {
	rows, err := db.QueryContext(ctx, "XA RECOVER")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var f, g, b int
		var data string
		if err := rows.Scan(&f, &g, &b, &data); err != nil {
			return 0, err
		}
		if strings.HasPrefix(data, xaPrefix+xaTag(target)) {
			n++
		}
	}
	return n, rows.Err()
}

// SetRewriteSoonAt sets rewriteSoonAt, for a test.
func SetRewriteSoonAt(n int) (restore func()) {
	old := rewriteSoonAt
	rewriteSoonAt = n
	return func() { rewriteSoonAt = old }
}

// SetSwapHook makes the move of staged tables in place fail with fn's error.
func SetSwapHook(fn func() error) (restore func()) {
	testHookSwap = fn
	return func() { testHookSwap = nil }
}

// XAPrefix is how the global transaction IDs of target's installs start.
func XAPrefix(target string) string { return xaPrefix + xaTag(target) + "-" }

// SetMeanwhileHook sets testHookMeanwhile, for a test.
func SetMeanwhileHook(fn func(step string)) (restore func()) {
	testHookMeanwhile = fn
	return func() { testHookMeanwhile = nil }
}

// SetEmptyBatch sets how many tables installed empty are asked for a row in
// one query, for a test.
func SetEmptyBatch(n int) (restore func()) {
	old := emptyBatch
	emptyBatch = n
	return func() { emptyBatch = old }
}

// SetUnknownCreation makes the fingerprint give table no creation time, as
// MariaDB does for a table whose handle InnoDB's purge opened, for a test.
func SetUnknownCreation(table string) (restore func()) {
	key := tableKey(table)
	testHookFingerprint = func(fp string) string {
		var b strings.Builder
		for _, l := range fpLines(fp, false) {
			if k, _ := fpKey(l); k == key {
				if p, _, u, ok := creationOf(l); ok {
					l = p + " - " + u + "\n"
				}
			}
			b.WriteString(l)
		}
		return b.String()
	}
	return func() { testHookFingerprint = nil }
}
