package mysql

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// ErrInvalidDSN is returned (wrapped) by ParseDSN for a DSN it cannot use.
var ErrInvalidDSN = errors.New("mysql: invalid dsn")

// Config says how to reach one database of a MySQL or MariaDB server. Build it with
// ParseDSN or by hand; String never shows the password.
type Config struct {
	User     string
	Password string
	Host     string // default 127.0.0.1
	Port     int    // default 3306
	Socket   string // unix socket path; when set, Host and Port are not used
	Database string
	TLS      string // "", "false", "true" (verify) or "skip-verify"
}

// ParseDSN parses a URL-form DSN:
//
//	mysql://user:pass@host:port/db?socket=/run/mysqld/mysqld.sock&tls=true|skip-verify|false
//
// "mariadb://" is accepted too. User and password may be URL-encoded (a password with
// '/', '?' or '#' must be). Unknown query parameters are an error, so a typo does not
// silently connect without TLS. Errors wrap ErrInvalidDSN and never contain the
// password.
func ParseDSN(dsn string) (*Config, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url errors quote the input, which may hold the password: do not wrap them.
		return nil, fmt.Errorf("%w: not a URL (mysql://user:pass@host:port/db)", ErrInvalidDSN)
	}
	if u.Scheme != "mysql" && u.Scheme != "mariadb" {
		return nil, fmt.Errorf("%w: scheme %q, want mysql:// or mariadb://", ErrInvalidDSN, u.Scheme)
	}
	c := &Config{Host: "127.0.0.1", Port: 3306}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if h := u.Hostname(); h != "" {
		c.Host = h
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: port %q", ErrInvalidDSN, p)
		}
		c.Port = n
	}
	c.Database = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(c.Database, "/") {
		return nil, fmt.Errorf("%w: database name %q contains '/'", ErrInvalidDSN, c.Database)
	}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "socket":
			c.Socket = v
		case "tls":
			switch v {
			case "", "false", "true", "skip-verify":
				c.TLS = v
			default:
				return nil, fmt.Errorf("%w: tls=%q, want true, skip-verify or false", ErrInvalidDSN, v)
			}
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q", ErrInvalidDSN, k)
		}
	}
	return c, nil
}

// String gives the DSN in URL form with the password replaced by "xxxxx".
func (c *Config) String() string {
	u := url.URL{Scheme: "mysql", Host: net.JoinHostPort(c.host(), strconv.Itoa(c.port())), Path: "/" + c.Database}
	if c.User != "" || c.Password != "" {
		if c.Password != "" {
			u.User = url.UserPassword(c.User, "xxxxx")
		} else {
			u.User = url.User(c.User)
		}
	}
	q := url.Values{}
	if c.Socket != "" {
		q.Set("socket", c.Socket)
	}
	if c.TLS != "" {
		q.Set("tls", c.TLS)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// WithDatabase returns a copy of c that names another database.
func (c *Config) WithDatabase(name string) *Config {
	n := *c
	n.Database = name
	return &n
}

func (c *Config) host() string {
	if c.Host == "" {
		return "127.0.0.1"
	}
	return c.Host
}

func (c *Config) port() int {
	if c.Port == 0 {
		return 3306
	}
	return c.Port
}

// dialTimeout bounds opening the TCP connection or socket; connectTimeout (conn.go)
// bounds the whole first connection, handshake included.
const dialTimeout = 10 * time.Second

// nopLogger silences go-sql-driver, which otherwise writes "[mysql] packets.go…"
// lines to stderr when a peer is not a MySQL server.
type nopLogger struct{}

func (nopLogger) Print(...any) {}

// driverConfig is the go-sql-driver configuration for c. Sessions are set up by
// setupSession, not by DSN parameters, so every connection gets the same settings.
func (c *Config) driverConfig() *driver.Config {
	d := driver.NewConfig()
	d.User = c.User
	d.Passwd = c.Password
	if c.Socket != "" {
		d.Net, d.Addr = "unix", c.Socket
	} else {
		d.Net, d.Addr = "tcp", net.JoinHostPort(c.host(), strconv.Itoa(c.port()))
	}
	d.DBName = c.Database
	d.Timeout = dialTimeout
	// A server that stops answering is given up on. Reads wait as long as one
	// statement may legitimately take before it answers (a sort of a big table, a
	// slow view), writes as long as the server may take to read one packet.
	d.ReadTimeout = time.Hour
	d.WriteTimeout = 10 * time.Minute
	d.Logger = nopLogger{} // libraries never print; errors come back as values
	d.ParseTime = false
	d.InterpolateParams = false
	d.AllowNativePasswords = true
	d.MaxAllowedPacket = 0 // ask the server: rows bigger than 64 MiB make statements that big
	switch c.TLS {
	case "true":
		d.TLS = &tls.Config{ServerName: c.host(), MinVersion: tls.VersionTLS12}
	case "skip-verify":
		d.TLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	return d
}
