package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Errors returned (wrapped) by Dump and Import; test with errors.Is.
var (
	// ErrAuth means the server rejected the user or password.
	ErrAuth = errors.New("postgres: authentication failed")
	// ErrPrivilege means the role lacks a privilege; the message names it.
	ErrPrivilege = errors.New("postgres: missing privilege")
	// ErrUnsupportedServer means the server is older than PostgreSQL 12.
	ErrUnsupportedServer = errors.New("postgres: unsupported server version (need PostgreSQL 12 or newer)")
	// ErrDSN means the connection string is not a postgres:// or postgresql:// URL.
	ErrDSN = errors.New("postgres: invalid dsn")
	// ErrNoAnswer means the server did not complete the connection within the
	// connect timeout (connect_timeout in the DSN, DefaultConnectTimeout
	// otherwise): nothing listens, or something that is not PostgreSQL.
	ErrNoAnswer = errors.New("postgres: no answer from the server")
)

// DefaultConnectTimeout bounds opening a connection when the DSN does not
// set connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// minServerVersion is server_version_num of the oldest supported server.
const minServerVersion = 120000

// Config is a parsed connection string. Its fields are informational; the
// connection itself uses every parameter of the URL (sslmode, sslrootcert, …).
type Config struct {
	Host     string // host name, IP or unix socket directory
	Port     uint16
	User     string
	Password string
	Database string
	SSLMode  string // as given in the URL, "" if not given

	conn *pgconn.Config
}

// ParseDSN parses a "postgres://" or "postgresql://" URL:
//
//	postgres://user:pa%40ss@db.example.com:5432/app?sslmode=verify-full
//	postgres://user@%2Frun%2Fpostgresql/app          (unix socket, encoded path host)
//	postgresql:///app?host=/run/postgresql&user=app  (unix socket via host=)
//
// Passwords may be url-encoded. Errors never contain the password.
func ParseDSN(dsn string) (*Config, error) {
	dsn = socketHost(dsn)
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%w: want a postgres:// or postgresql:// url", ErrDSN)
	}
	cc, err := pgconn.ParseConfig(dsn)
	if err == nil {
		err = pgxParams(dsn, cc)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrDSN, redactedParseError(err))
	}
	if cc.ConnectTimeout <= 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	if cc.Database == "" {
		return nil, fmt.Errorf("%w: no database name in the url", ErrDSN)
	}
	return &Config{
		Host:     cc.Host,
		Port:     cc.Port,
		User:     cc.User,
		Password: cc.Password,
		Database: cc.Database,
		SSLMode:  u.Query().Get("sslmode"),
		conn:     cc,
	}, nil
}

var encodedSocket = regexp.MustCompile(`^(postgres(?:ql)?://)([^@/]*@)?(%2[Ff][^/?#]*)(/[^?#]*)?(\?[^#]*)?$`)

// socketHost rewrites a url-encoded socket path in the host part
// (postgres://u@%2Frun%2Fpostgresql/db, as libpq accepts it) to the host=
// parameter, which Go's URL parser understands.
func socketHost(dsn string) string {
	m := encodedSocket.FindStringSubmatch(dsn)
	if m == nil {
		return dsn
	}
	host, err := url.PathUnescape(m[3])
	if err != nil {
		return dsn
	}
	q := m[5]
	if q == "" {
		q = "?"
	} else {
		q += "&"
	}
	return m[1] + m[2] + m[4] + q + "host=" + url.QueryEscape(host)
}

// pgxParams removes the parameters that only the high-level pgx package
// understands (which would otherwise be sent to the server as settings) and
// checks them as pgx.ParseConfig does, so DSNs written for pgx keep working.
func pgxParams(dsn string, cc *pgconn.Config) error {
	for _, p := range []string{"statement_cache_capacity", "description_cache_capacity"} {
		if s, ok := cc.RuntimeParams[p]; ok {
			delete(cc.RuntimeParams, p)
			if _, err := strconv.ParseInt(s, 10, 32); err != nil {
				return pgconn.NewParseConfigError(dsn, "cannot parse "+p, err)
			}
		}
	}
	if s, ok := cc.RuntimeParams["default_query_exec_mode"]; ok {
		delete(cc.RuntimeParams, "default_query_exec_mode")
		switch s {
		case "cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol":
		default:
			return pgconn.NewParseConfigError(dsn, "invalid default_query_exec_mode", fmt.Errorf("unknown value %q", s))
		}
	}
	return nil
}

// redactedParseError describes a parse error without the connection string.
func redactedParseError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return "cannot parse connection string"
}

// String returns the DSN as a URL with the password replaced by "xxxxx".
func (c *Config) String() string {
	u := url.URL{Scheme: "postgres", Path: "/" + c.Database}
	if c.User != "" {
		if c.Password != "" {
			u.User = url.UserPassword(c.User, "xxxxx")
		} else {
			u.User = url.User(c.User)
		}
	}
	q := url.Values{}
	if strings.HasPrefix(c.Host, "/") {
		q.Set("host", c.Host)
	} else {
		u.Host = c.Host
		if c.Port != 0 {
			u.Host += ":" + strconv.Itoa(int(c.Port))
		}
	}
	if c.SSLMode != "" {
		q.Set("sslmode", c.SSLMode)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// WithDatabase returns a copy of c that connects to database db.
func (c *Config) WithDatabase(db string) *Config {
	n := *c
	n.Database = db
	n.conn = c.conn.Copy()
	n.conn.Database = db
	return &n
}

// connect opens one connection and checks the server version.
func connect(ctx context.Context, c *Config) (*pgconn.PgConn, error) {
	cc := c.conn.Copy()
	cc.Database = c.Database
	cctx, cancel := context.WithTimeout(ctx, cc.ConnectTimeout)
	defer cancel()
	conn, err := pgconn.ConnectConfig(cctx, cc)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("connect to %s: %w within %s (is it a PostgreSQL server?)", c, ErrNoAnswer, cc.ConnectTimeout)
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "28P01" || pe.Code == "28000") {
			return nil, fmt.Errorf("connect to %s: %w: %s", c, ErrAuth, pe.Message)
		}
		if errors.As(err, &pe) && pe.Code == "42501" {
			return nil, fmt.Errorf("connect to %s: %w: CONNECT on database %q: %s", c, ErrPrivilege, c.Database, pe.Message)
		}
		return nil, fmt.Errorf("connect to %s: %w", c, redactErr(err, c))
	}
	var ver int
	if err := queryRow(ctx, conn, "SELECT current_setting('server_version_num')::int", nil, &ver); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("read server version of %s: %w", c, err)
	}
	if ver < minServerVersion {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("connect to %s: %w: server is %d", c, ErrUnsupportedServer, ver)
	}
	return conn, nil
}

// redactErr removes the DSN's password from err's text where it appears as
// a password field: "user:PASSWORD@" in a URL, "password=PASSWORD" in a
// keyword/value string. Other text is left alone, so that a short password
// does not turn every occurrence of its letters into x's.
func redactErr(err error, c *Config) error {
	if c.Password == "" {
		return err
	}
	msg := err.Error()
	red := msg
	for _, pw := range []string{c.Password, url.QueryEscape(c.Password), url.PathEscape(c.Password)} {
		for _, f := range [][2]string{{":" + pw + "@", ":xxxxx@"}, {"password=" + pw, "password=xxxxx"},
			{"password='" + pw + "'", "password=xxxxx"}} {
			red = strings.ReplaceAll(red, f[0], f[1])
		}
	}
	if red == msg {
		return err
	}
	return errors.New(red)
}

// privErr wraps a permission-denied error (SQLSTATE 42501) so it names the
// privilege that is needed; other errors come back unchanged.
func privErr(err error, need string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" {
		return fmt.Errorf("%w: %s is needed: %w", ErrPrivilege, need, err)
	}
	return err
}

// WithUser returns a copy of c that connects as user (without a password).
func (c *Config) WithUser(user string) *Config {
	n := *c
	n.User, n.Password = user, ""
	n.conn = c.conn.Copy()
	n.conn.User, n.conn.Password = user, ""
	return &n
}

// withLogin returns a copy of c that connects as user with password.
func (c *Config) withLogin(user, password string) *Config {
	n := *c
	n.User, n.Password = user, password
	n.conn = c.conn.Copy()
	n.conn.User, n.conn.Password = user, password
	return &n
}
