package mysql

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// Errors returned (wrapped) by Dump and Import.
var (
	// ErrAccessDenied: the server refused the user name or password.
	ErrAccessDenied = errors.New("mysql: access denied (wrong user or password)")
	// ErrUnsupportedServer: the server is older than MySQL 5.7 or MariaDB 10.3.
	ErrUnsupportedServer = errors.New("mysql: unsupported server version (need MySQL >= 5.7 or MariaDB >= 10.3)")
	// ErrUnreachable: no connection to the server could be made.
	ErrUnreachable = errors.New("mysql: server unreachable")
)

// PrivilegeError says that the user lacks a privilege an operation needs.
type PrivilegeError struct {
	Privilege string // e.g. "SELECT", "RELOAD", "CREATE", "TRIGGER"
	Op        string // what was attempted
	Err       error  // the server's error
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("mysql: %s: missing privilege %s: %v", e.Op, e.Privilege, e.Err)
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// server error numbers used below.
const (
	erDBAccessDenied    = 1044
	erAccessDenied      = 1045
	erAccessDeniedNoPw  = 1698 // MariaDB, e.g. for a user that exists only with another plugin or host
	erTableAccessDenied = 1142
	erColAccessDenied   = 1143
	erSpecificAccess    = 1227
	erProcAccessDenied  = 1370
	erBadDB             = 1049
)

// privilegeErr turns a server "access denied" error into a *PrivilegeError that names
// priv; other errors come back unchanged.
func privilegeErr(op, priv string, err error) error {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case erDBAccessDenied, erTableAccessDenied, erColAccessDenied, erSpecificAccess, erProcAccessDenied:
			return &PrivilegeError{Privilege: priv, Op: op, Err: err}
		}
	}
	return err
}

// server is an open pool with the server's identity.
type server struct {
	db      *sql.DB
	version string
	mariadb bool
}

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)`)

// safeConnector turns a panic of the driver while it connects into an error:
// go-sql-driver v1.10 slices a short handshake packet without checking its length,
// so a port that answers with a few bytes of something else would crash the
// process (also from database/sql's background goroutine that opens connections).
type safeConnector struct{ sqldriver.Connector }

func (c safeConnector) Connect(ctx context.Context) (conn sqldriver.Conn, err error) {
	defer func() {
		if r := recover(); r != nil {
			conn, err = nil, errors.New("malformed handshake: not a MySQL server")
		}
	}()
	return c.Connector.Connect(ctx)
}

// connectTimeout bounds the first connection of open, handshake included: a port
// where something else listens (and sends nothing, or garbage) fails in this time.
var connectTimeout = 15 * time.Second

// open connects, checks credentials and the server version. A server that is not
// reachable, or does not speak the MySQL protocol within connectTimeout, gives
// ErrUnreachable.
func open(ctx context.Context, cfg *Config) (*server, error) {
	conn, err := driver.NewConnector(cfg.driverConfig())
	if err != nil {
		return nil, fmt.Errorf("mysql: connect %s: %w", cfg, err)
	}
	db := sql.OpenDB(safeConnector{conn})
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		var me *driver.MySQLError
		switch {
		case errors.As(err, &me) && (me.Number == erAccessDenied || me.Number == erAccessDeniedNoPw):
			return nil, fmt.Errorf("connect %s: %w: %v", cfg, ErrAccessDenied, err)
		case errors.As(err, &me) && me.Number == erBadDB:
			return nil, fmt.Errorf("connect %s: database %q does not exist: %w", cfg, cfg.Database, err)
		case errors.As(err, &me) && me.Number == erDBAccessDenied:
			return nil, &PrivilegeError{Privilege: "access to database " + cfg.Database, Op: "connect " + cfg.String(), Err: err}
		case errors.As(err, &me):
			return nil, fmt.Errorf("connect %s: %w", cfg, err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("connect %s: %w", cfg, ctx.Err())
		}
		return nil, fmt.Errorf("connect %s: %w: %v", cfg, ErrUnreachable, err)
	}
	s := &server{db: db}
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&s.version); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect %s: read server version: %w", cfg, err)
	}
	if err := checkVersion(s.version); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect %s: %w", cfg, err)
	}
	s.mariadb = strings.Contains(strings.ToLower(s.version), "mariadb")
	if cachesTableStats(s.version) {
		// MySQL 8 answers information_schema.TABLES' statistics columns,
		// UPDATE_TIME among them, from a cache it refreshes once a day by
		// default: an install's fingerprint would not see a local edit for
		// up to a day. Every connection reads them from the engine.
		dc := cfg.driverConfig()
		dc.Params = map[string]string{"information_schema_stats_expiry": "0"}
		fresh, err := driver.NewConnector(dc)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("mysql: connect %s: %w", cfg, err)
		}
		db.Close()
		s.db = sql.OpenDB(safeConnector{fresh})
	}
	return s, nil
}

// cachesTableStats reports whether server version v caches the statistics
// columns of information_schema.TABLES (MySQL from 8.0.3,
// information_schema_stats_expiry; MariaDB does not).
func cachesTableStats(v string) bool {
	m := versionRE.FindStringSubmatch(v)
	if m == nil || strings.Contains(strings.ToLower(v), "mariadb") {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	return (major*1000+minor)*1000+patch >= 8000003
}

// checkVersion accepts MySQL >= 5.7 and MariaDB >= 10.3.
func checkVersion(v string) error {
	// MariaDB before 11 may announce itself as "5.5.5-10.x.y-MariaDB"
	v = strings.TrimPrefix(v, "5.5.5-")
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("%w: cannot parse %q", ErrUnsupportedServer, v)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	n := major*1000 + minor
	min := 5007
	if strings.Contains(strings.ToLower(v), "mariadb") {
		min = 10003
	}
	if n < min {
		return fmt.Errorf("%w: %s", ErrUnsupportedServer, v)
	}
	return nil
}

// durableXA reports whether server version v keeps a prepared XA transaction
// when its client disconnects (MariaDB from 10.5, MySQL from 5.7.7; before,
// the server rolled it back, and two-phase commit could not survive a kill).
func durableXA(v string) bool {
	v = strings.TrimPrefix(v, "5.5.5-")
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	n := (major*1000+minor)*1000 + patch
	if strings.Contains(strings.ToLower(v), "mariadb") {
		return n >= 10005000
	}
	return n >= 5007007
}

// loadSQLMode is the sql_mode dumps are loaded under: the one mysqldump uses. No
// STRICT (data that is in a table can always go back), no NO_BACKSLASH_ESCAPES
// (SHOW CREATE output may use backslash escapes), no ANSI_QUOTES.
const loadSQLMode = "NO_AUTO_VALUE_ON_ZERO"

// setupSession gives a connection the settings both dump and load rely on.
func setupSession(ctx context.Context, c *sql.Conn, sqlMode string) error {
	for _, q := range []string{
		"SET NAMES utf8mb4",
		"SET SESSION time_zone = '+00:00'",
		"SET SESSION sql_mode = '" + sqlMode + "'",
		"SET SESSION sql_quote_show_create = 1",
		"SET SESSION foreign_key_checks = 0",
		"SET SESSION unique_checks = 0",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("set up session (%s): %w", q, err)
		}
	}
	return nil
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// quoteString quotes s as a string literal for statements we run ourselves (names
// from information_schema); data values use appendString instead.
func quoteString(s string) string {
	var b []byte
	return string(appendString(b, []byte(s)))
}
