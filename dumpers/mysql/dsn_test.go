package mysql_test

import (
	"errors"
	"strings"
	"testing"

	"synco/dumpers/mysql"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		want mysql.Config
		str  string
	}{
		{"mysql://root@127.0.0.1:3306/shop", mysql.Config{User: "root", Host: "127.0.0.1", Port: 3306, Database: "shop"}, "mysql://root@127.0.0.1:3306/shop"},
		{"mariadb://u:p%40ss%2Fw%3Ard@db.example:3307/app?tls=skip-verify", mysql.Config{User: "u", Password: "p@ss/w:rd", Host: "db.example", Port: 3307, Database: "app", TLS: "skip-verify"}, "mysql://u:xxxxx@db.example:3307/app?tls=skip-verify"},
		{"mysql://u:secret@/app?socket=/run/mysqld/mysqld.sock", mysql.Config{User: "u", Password: "secret", Host: "127.0.0.1", Port: 3306, Socket: "/run/mysqld/mysqld.sock", Database: "app"}, "mysql://u:xxxxx@127.0.0.1:3306/app?socket=%2Frun%2Fmysqld%2Fmysqld.sock"},
		{"mysql://u:pa@ss@h/d?tls=true", mysql.Config{User: "u", Password: "pa@ss", Host: "h", Port: 3306, Database: "d", TLS: "true"}, "mysql://u:xxxxx@h:3306/d?tls=true"},
		{"mysql://[::1]:3306/d?tls=false", mysql.Config{Host: "::1", Port: 3306, Database: "d", TLS: "false"}, "mysql://[::1]:3306/d?tls=false"},
	} {
		got, err := mysql.ParseDSN(tc.dsn)
		if err != nil {
			t.Errorf("%s: %v", tc.dsn, err)
			continue
		}
		if *got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.dsn, *got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("%s: String() = %s, want %s", tc.dsn, s, tc.str)
		}
	}
	for _, bad := range []string{
		"postgres://u:secretpw@h/d",
		"mysql://u:secretpw@h:99999/d",
		"mysql://u:secretpw@h/d?tls=maybe",
		"mysql://u:secretpw@h/d?sslmode=require",
		"mysql://u:secretpw@h/a/b",
		"mysql://u:secretpw@h:3306/d%zz",
	} {
		_, err := mysql.ParseDSN(bad)
		if !errors.Is(err, mysql.ErrInvalidDSN) {
			t.Errorf("%s: %v, want ErrInvalidDSN", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "secretpw") {
			t.Errorf("%s: error shows the password: %v", bad, err)
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	f.Add("mysql://u:p@h:1/d?socket=/s&tls=true")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := mysql.ParseDSN(s)
		if err != nil {
			return
		}
		if c.Password != "" && strings.Contains(c.String(), ":"+c.Password+"@") && c.Password != "xxxxx" {
			t.Errorf("String() shows the password: %s", c.String())
		}
	})
}
