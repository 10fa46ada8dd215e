package frameworks

import (
	"fmt"
	"io/fs"
	"net/url"
	"strings"
)

// phpIniFiles are where PHP's configuration usually lives, in the order they are
// read: Debian and Ubuntu (per SAPI), the official Docker images, RHEL and others.
var phpIniFiles = []string{
	"/etc/php/*/fpm/php.ini", "/etc/php/*/apache2/php.ini", "/etc/php/*/cli/php.ini",
	"/etc/php/*/fpm/conf.d/*.ini", "/etc/php/*/apache2/conf.d/*.ini",
	"/usr/local/etc/php/php.ini", "/usr/local/etc/php/conf.d/*.ini",
	"/etc/php.ini", "/etc/php.d/*.ini",
}

// defaultSockets are where MySQL and MariaDB packages put the server's socket.
var defaultSockets = []string{"/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/tmp/mysql.sock"}

// mysqlSocket finds the socket PHP's mysqli and PDO use for the host "localhost":
// mysqli.default_socket or pdo_mysql.default_socket from php.ini when set, else the
// usual places; the first that exists. "" when none does (or only the project is
// readable).
func (s *scan) mysqlSocket() string {
	if s.sys == nil {
		return ""
	}
	var cands []string
	for _, g := range phpIniFiles {
		for _, ini := range s.globSys(g) {
			data, err := s.readAbs(ini)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(data), "\n") {
				k, v, ok := strings.Cut(line, "=")
				k = strings.TrimSpace(k)
				if !ok || k != "mysqli.default_socket" && k != "pdo_mysql.default_socket" {
					continue
				}
				v, _, _ = strings.Cut(v, ";")
				if v = strings.Trim(strings.TrimSpace(v), `"'`); strings.HasPrefix(v, "/") {
					cands = append(cands, v)
				}
			}
		}
	}
	for _, c := range append(cands, defaultSockets...) {
		if s.existsAbs(c) {
			return c
		}
	}
	return ""
}

// globSys is fs.Glob on the whole file system for an absolute pattern.
func (s *scan) globSys(pattern string) []string {
	m, _ := fs.Glob(s.sys, pattern[1:])
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m
}

// phpLocalhost makes a MySQL connection to "localhost" go where PHP's goes: PHP
// (mysqli, PDO) treats localhost as "the default Unix socket", not TCP, and the
// port is then ignored. A server with skip-name-resolve, or a 'user'@'localhost'
// account, only accepts it that way. 127.0.0.1 stays TCP.
func phpLocalhost(s *scan, p *Project) {
	if p.DB == nil || p.DB.Engine != "mysql" {
		return
	}
	u, err := url.Parse(p.DB.DSN)
	if err != nil || u.Hostname() != "localhost" || u.Query().Get("socket") != "" {
		return
	}
	sock := s.mysqlSocket()
	if sock == "" {
		looked := strings.Join(defaultSockets, ", ")
		if s.sys == nil {
			looked = "not looked for outside the project"
		}
		p.Why = append(p.Why, fmt.Sprintf("the database host is localhost: PHP connects through the default MySQL socket there, but synco found none (%s) and connects over TCP to localhost; pass --db with ?socket=… if that is refused", looked))
		return
	}
	q := u.Query()
	q.Set("socket", sock)
	u.RawQuery = q.Encode()
	p.DB.DSN = u.String()
	p.Why = append(p.Why, fmt.Sprintf("the database host is localhost: like PHP, synco connects through the socket %s (not TCP)", sock))
}
