package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Names of what an import creates: staging and backup databases
// "<target>__synco_<8 hex>" and "<target>__synco_old_<8 hex>", and the
// throw-away role "synco_load_<16 hex>".
const (
	stagingInfix = "__synco_"
	backupInfix  = "__synco_old_"
	rolePrefix   = "synco_load_"
)

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// createLoadRole creates the throw-away role that loads the dump, when the
// importing user may create roles (superuser or CREATEROLE); it returns ""
// otherwise. The role can log in with a random password, valid for a day, and
// has no attribute or membership; a non-superuser importing user is made a
// member of it so it can hand the staging database over and back.
func createLoadRole(ctx context.Context, admin *pgconn.PgConn) (role, password string, err error) {
	var super, createRole bool
	if err := queryRow(ctx, admin, "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user", nil,
		&super, &createRole); err != nil {
		return "", "", fmt.Errorf("read attributes of the importing user: %w", err)
	}
	if !super && !createRole {
		return "", "", nil
	}
	role, password = rolePrefix+randHex(8), randHex(16)
	until := time.Now().Add(24 * time.Hour).UTC().Format("2006-01-02 15:04:05+00")
	stmt := "CREATE ROLE " + quoteIdent(role) + " LOGIN PASSWORD " + literal(password) +
		" NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 16 VALID UNTIL " + literal(until)
	if err := exec(ctx, admin, stmt); err != nil {
		return "", "", fmt.Errorf("create loading role: %w", privErr(err, "CREATEROLE"))
	}
	if !super {
		if err := exec(ctx, admin, "GRANT "+quoteIdent(role)+" TO CURRENT_USER"); err != nil {
			_ = exec(context.WithoutCancel(ctx), admin, "DROP ROLE IF EXISTS "+quoteIdent(role))
			return "", "", fmt.Errorf("grant loading role %s to the importing user: %w", role, privErr(err, "CREATEROLE"))
		}
	}
	return role, password, nil
}

// loader opens the connections that run a dump's statements on the staging
// database, as the account of its mode.
type loader struct {
	cfg  *Config // staging database as the importing user
	as   *Config // staging database as the loading role (LoadAsRole)
	role string  // the throw-away role, "" in LoadAsUser
	mode LoadMode

	mu    sync.Mutex
	admin *pgconn.PgConn // staging database as the importing user, opened when needed
}

// newLoader prepares loading into the staging database cfg names, as role
// (with password) when it is not "". It tries a login as the role; when the
// server refuses it, it falls back to SET ROLE.
func newLoader(ctx context.Context, cfg *Config, role, password string) (*loader, error) {
	l := &loader{cfg: cfg, role: role, mode: LoadAsUser}
	if role == "" {
		return l, nil
	}
	as := cfg.withLogin(role, password)
	conn, err := connect(ctx, as)
	switch {
	case err == nil:
		conn.Close(context.WithoutCancel(ctx))
		l.as, l.mode = as, LoadAsRole
	case errors.Is(err, ErrAuth):
		l.mode = LoadSetRole
	default:
		return nil, err
	}
	a, err := l.adminConn(ctx)
	if err != nil {
		return nil, err
	}
	var ver int
	if err := queryRow(ctx, a, "SELECT current_setting('server_version_num')::int", nil, &ver); err != nil {
		return nil, err
	}
	if ver < 150000 { // before 15, the public schema belongs to the bootstrap superuser
		if err := exec(ctx, a, "ALTER SCHEMA public OWNER TO "+quoteIdent(role)); err != nil {
			return nil, fmt.Errorf("hand schema public to the loading role: %w", err)
		}
	}
	return l, nil
}

// conn opens a connection that runs statements as the loading account.
func (l *loader) conn(ctx context.Context) (*pgconn.PgConn, error) {
	cfg := l.cfg
	if l.as != nil {
		cfg = l.as
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	session := importSession
	if l.mode == LoadSetRole {
		session = "SET ROLE " + quoteIdent(l.role) + ";\n" + session
	}
	if err := exec(ctx, conn, session); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("set session: %w", err)
	}
	return conn, nil
}

// adminConn returns the importing user's connection to the staging database.
func (l *loader) adminConn(ctx context.Context) (*pgconn.PgConn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.admin != nil {
		return l.admin, nil
	}
	conn, err := connect(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	if err := exec(ctx, conn, importSession); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("set session: %w", err)
	}
	l.admin = conn
	return conn, nil
}

// extension runs an allowed CREATE EXTENSION as the importing user: the
// loading role may not create most extensions. The extension's files are the
// local server's; the dump only names one of TrustedExtensions.
func (l *loader) extension(ctx context.Context, stmt string) error {
	a, err := l.adminConn(ctx)
	if err != nil {
		return err
	}
	return exec(ctx, a, stmt)
}

// handOver gives everything the loading role owns in the staging database,
// and the database itself, to the importing user, and revokes whatever was
// granted to the role, so that the role can be dropped.
func (l *loader) handOver(ctx context.Context) error {
	if l.role == "" {
		return nil
	}
	a, err := l.adminConn(ctx)
	if err != nil {
		return err
	}
	r := quoteIdent(l.role)
	if err := exec(ctx, a, "REASSIGN OWNED BY "+r+" TO CURRENT_USER; DROP OWNED BY "+r); err != nil {
		return fmt.Errorf("hand the staging database over from role %s: %w", l.role, err)
	}
	return nil
}

func (l *loader) close(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.admin != nil {
		l.admin.Close(ctx)
		l.admin = nil
	}
}

// reclaim drops what killed imports of target left behind: staging and
// backup databases named by our pattern for target that nobody is connected
// to, and their throw-away roles. It runs only while it holds an advisory
// lock keyed by the target (held by admin's session until it closes), so
// it never takes the databases of an import of the same target that is
// running. It is best effort: failures are ignored.
func reclaim(ctx context.Context, admin *pgconn.PgConn, target string) {
	var locked bool
	if err := queryRow(ctx, admin, "SELECT pg_try_advisory_lock(hashtext('synco import'), hashtext($1))",
		[]string{target}, &locked); err != nil || !locked {
		return
	}
	rows, err := query(ctx, admin, `SELECT d.datname, coalesce(r.rolname, '') FROM pg_database d
 LEFT JOIN pg_roles r ON r.oid = d.datdba
 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`)
	if err != nil {
		return
	}
	for _, row := range rows {
		name, owner := string(row[0]), string(row[1])
		if !leftoverOf(target, name) {
			continue
		}
		if err := exec(ctx, admin, "DROP DATABASE IF EXISTS "+quoteIdent(name)); err != nil {
			continue
		}
		if isLoadRole(owner) {
			_ = exec(ctx, admin, "DROP ROLE IF EXISTS "+quoteIdent(owner))
		}
	}
}

// leftoverOf reports whether db is named like a staging or backup database
// of target (tempName).
func leftoverOf(target, db string) bool {
	for _, infix := range []string{stagingInfix, backupInfix} {
		prefix := truncateName(target, 63-len(infix)-8) + infix
		if rest, ok := strings.CutPrefix(db, prefix); ok && isHex(rest, 8) {
			return true
		}
	}
	return false
}

func isLoadRole(name string) bool {
	rest, ok := strings.CutPrefix(name, rolePrefix)
	return ok && isHex(rest, 16)
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
