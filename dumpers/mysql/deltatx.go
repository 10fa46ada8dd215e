package mysql

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The transaction of a delta install. A server applies the statements of one
// transaction on one thread; a delta that changes several tables is applied on
// several connections at once, one transaction each, made one by two-phase
// commit (XA): every branch is prepared (from then on the server keeps it,
// even across a disconnect or a restart, until it is committed or rolled
// back), then the branch that writes the record's refs is committed, then the
// others. A delta killed between those commits leaves prepared branches, and
// the record says which install they belong to (groupRow): the next install of
// the target commits them when the record names their group, and rolls them
// back otherwise (recoverBranches). A server where that cannot be done (XA
// RECOVER refused) gets one plain transaction.

// groupRow is the record row that names the XA group of the install that
// wrote the record (written in the branch that commits first).
const groupRow = "#xa-group"

// xaPrefix starts the global transaction IDs of delta installs; the target's
// tag follows, so that recovery touches only the branches of its own target.
const xaPrefix = "synco-"

// xaTag is the part of a global transaction ID naming target.
func xaTag(target string) string {
	h := sha256.Sum256([]byte("synco xa " + target))
	return hex.EncodeToString(h[:6])
}

// txGroup is the transaction of a delta install: a plain one on one
// connection, or an XA branch on each of several.
type txGroup struct {
	db    *sql.DB
	conns []*sql.Conn
	tx    *sql.Tx // the plain transaction; nil in XA mode
	gtrid string  // XA: the global transaction ID ("" in plain mode)
	ended bool    // committed or rolled back
}

// branch returns what runs the statements of connection i.
func (g *txGroup) branch(i int) execer {
	if g.tx != nil {
		return g.tx
	}
	return g.conns[i]
}

// xid is the XA ID of branch i.
func (g *txGroup) xid(i int) string {
	return fmt.Sprintf("'%s','%d'", g.gtrid, i)
}

// beginGroup starts the transaction of a delta on n connections (XA when
// n > 1), each set up as an import's.
func beginGroup(ctx context.Context, db *sql.DB, target string, n int) (*txGroup, error) {
	g := &txGroup{db: db}
	for range n {
		c, err := connOn(ctx, db, target)
		if err != nil {
			g.close()
			return nil, err
		}
		g.conns = append(g.conns, c)
	}
	if n == 1 {
		tx, err := g.conns[0].BeginTx(ctx, nil)
		if err != nil {
			g.close()
			return nil, fmt.Errorf("begin: %w", err)
		}
		g.tx = tx
		return g, nil
	}
	g.gtrid = xaPrefix + xaTag(target) + "-" + rand.Text()[:12]
	for i, c := range g.conns {
		if _, err := c.ExecContext(ctx, "XA START "+g.xid(i)); err != nil {
			g.rollback()
			return nil, fmt.Errorf("begin: %w", err)
		}
	}
	return g, nil
}

// dropEmpty ends and rolls back the XA branches i > 0 for which used(i) is
// false (no statement ran on them) and closes their connections; commit and
// rollback pass them over. An empty branch must not be prepared: MariaDB lists
// it in XA RECOVER once its connection is gone, but XA COMMIT then fails
// (XA_RBROLLBACK), and recoverBranches could not finish a killed install.
func (g *txGroup) dropEmpty(ctx context.Context, used func(i int) bool) {
	if g.tx != nil {
		return
	}
	for i, c := range g.conns {
		if i == 0 || c == nil || used(i) {
			continue
		}
		_, _ = c.ExecContext(ctx, "XA END "+g.xid(i))
		_, _ = c.ExecContext(ctx, "XA ROLLBACK "+g.xid(i)) // nothing to undo
		c.Close()
		g.conns[i] = nil
	}
}

// commit commits every branch: XA prepares them all, then commits branch 0
// (the one with the record) and then the others. between runs right before
// the first commit (after the prepares); when it fails, nothing is committed
// (the caller's rollback rolls the branches back).
func (g *txGroup) commit(ctx context.Context, between func(context.Context) error) error {
	if g.tx != nil {
		if err := between(ctx); err != nil {
			return err
		}
		g.ended = true
		if err := g.tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
	for i, c := range g.conns {
		if c == nil {
			continue // dropped: empty
		}
		if _, err := c.ExecContext(ctx, "XA END "+g.xid(i)); err != nil {
			return fmt.Errorf("commit: end branch %d: %w", i, err)
		}
		if killedAt("prepare", i) {
			g.ended = true
			return errKilled
		}
		if _, err := c.ExecContext(ctx, "XA PREPARE "+g.xid(i)); err != nil {
			return fmt.Errorf("commit: prepare branch %d: %w", i, err)
		}
	}
	if killedAt("between", 0) {
		g.ended = true
		return errKilled
	}
	if err := between(ctx); err != nil {
		return err
	}
	// Prepared: from here the install goes through, whatever happens to this
	// process (recoverBranches finishes it).
	g.ended = true
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for i, c := range g.conns {
		if c == nil {
			continue
		}
		if killedAt("commit", i) {
			return errKilled
		}
		if _, err := c.ExecContext(cctx, "XA COMMIT "+g.xid(i)); err != nil {
			return fmt.Errorf("commit: branch %d (the next install of this database finishes it): %w", i, err)
		}
	}
	return nil
}

// rollback rolls back every branch not committed, with a context of its own
// (it runs after a cancellation too), and closes the connections.
func (g *txGroup) rollback() {
	defer g.close()
	if g.ended {
		return
	}
	g.ended = true
	if g.tx != nil {
		_ = g.tx.Rollback()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, c := range g.conns {
		if c == nil {
			continue
		}
		// XA END fails on a branch that ended already; XA ROLLBACK takes an
		// ended or a prepared one. A connection lost to a cancelled statement
		// (the server rolls back its branch, unless it was prepared: any
		// connection can roll that back).
		_, _ = c.ExecContext(ctx, "XA END "+g.xid(i))
		if _, err := c.ExecContext(ctx, "XA ROLLBACK "+g.xid(i)); err != nil {
			_, _ = g.db.ExecContext(ctx, "XA ROLLBACK "+g.xid(i))
		}
	}
}

func (g *txGroup) close() {
	for _, c := range g.conns {
		if c != nil {
			c.Close()
		}
	}
	g.conns = nil
}

// testHookKill, when set (by tests), is asked before each XA step of commit
// ("prepare", "between" (i = 0: the swap of staged tables), "commit") of
// branch i: true stops the install there as if the process were killed
// (nothing rolled back; the connections close).
var testHookKill func(step string, i int) bool

var errKilled = errors.New("the install stopped here (test)")

func killedAt(step string, i int) bool { return testHookKill != nil && testHookKill(step, i) }

// recoverBranches finishes what an install of target killed between the
// commits of its branches left prepared: it commits the branches of the
// group the record names (the record's branch committed), and rolls back
// any other prepared branch of target's installs (the install did not get
// that far). It reports false when the server does not let it look (XA
// RECOVER refused): then a delta must not use XA.
//
// XA RECOVER also lists a branch still attached to the connection of an
// install that was just killed, before the server has seen that connection
// end; no other connection can commit or roll it back until then (XAER_NOTA).
// Such a branch is tried again, for up to recoverWait (the install lock keeps
// a live install of target from holding one).
func recoverBranches(ctx context.Context, db *sql.DB, target string) (bool, error) {
	wait, deadline := 20*time.Millisecond, time.Now().Add(recoverWait)
	for {
		ok, err := recoverOnce(ctx, db, target)
		if !serverErr(err, erXANotA) || time.Now().After(deadline) {
			return ok, err
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// recoverWait is how long recoverBranches waits for the connection of a
// killed install to end (a server sees a closed socket at once, a vanished
// client only when its socket times out).
var recoverWait = 10 * time.Second

// erXANotA: XAER_NOTA, no such branch (or one attached to another connection).
const erXANotA = 1397

func recoverOnce(ctx context.Context, db *sql.DB, target string) (bool, error) {
	rows, err := db.QueryContext(ctx, "XA RECOVER")
	if err != nil {
		return false, nil
	}
	type branch struct{ gtrid, bqual string }
	var found []branch
	prefix := xaPrefix + xaTag(target) + "-"
	for rows.Next() {
		var format, glen, blen int
		var data []byte
		if err := rows.Scan(&format, &glen, &blen, &data); err != nil {
			rows.Close()
			return false, fmt.Errorf("recover prepared transactions: %w", err)
		}
		if glen+blen > len(data) || !strings.HasPrefix(string(data[:glen]), prefix) || !plainID(data[:glen+blen]) {
			continue
		}
		found = append(found, branch{string(data[:glen]), string(data[glen : glen+blen])})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("recover prepared transactions: %w", err)
	}
	if len(found) == 0 {
		return true, nil
	}
	var group sql.NullString
	err = db.QueryRowContext(ctx, "SELECT loc FROM "+quoteIdent(target)+"."+quoteIdent(RecordTable)+" WHERE name = ?", groupRow).Scan(&group)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !serverErr(err, erNoSuchTable) {
		return false, fmt.Errorf("recover prepared transactions: %w", err)
	}
	for _, b := range found {
		verb := "ROLLBACK"
		if group.Valid && group.String == b.gtrid {
			verb = "COMMIT"
		}
		// plainID: nothing to quote.
		if _, err := db.ExecContext(ctx, "XA "+verb+" '"+b.gtrid+"','"+b.bqual+"'"); err != nil {
			if serverErr(err, erXANotA) {
				err = fmt.Errorf("%w (a killed install's transaction, still attached to its connection: try again once the server has seen that connection end)", err)
			}
			return false, fmt.Errorf("recover prepared transactions: %s %s: %w", strings.ToLower(verb), b.gtrid, err)
		}
	}
	return true, nil
}

// plainID reports whether an XA ID is made only of the characters ours are
// made of (hex, '-', rand.Text's base32, digits): another one with our prefix
// is not ours.
func plainID(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// testHookMeanwhile, when set (by tests), runs as a delta starts to apply
// ("start"), just before it checks that nothing else changed the target
// ("commit") and right after its commit ("committed").
var testHookMeanwhile func(step string)
