package postgres_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"synco/dumpers/postgres"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, host, user, pass, db, ssl, str string
		port                                uint16
	}{
		{"postgres://app:p%40ss%2Fw@db.example.com:6543/shop?sslmode=verify-full", "db.example.com", "app", "p@ss/w", "shop", "verify-full",
			"postgres://app:xxxxx@db.example.com:6543/shop?sslmode=verify-full", 6543},
		{"postgresql://u@%2Frun%2Fpostgresql/db", "/run/postgresql", "u", "", "db", "", "postgres://u@/db?host=%2Frun%2Fpostgresql", 5432},
		{"postgres:///db?host=/var/run/postgresql&user=x", "/var/run/postgresql", "x", "", "db", "", "postgres://x@/db?host=%2Fvar%2Frun%2Fpostgresql", 5432},
	} {
		c, err := postgres.ParseDSN(tc.dsn)
		if err != nil {
			t.Errorf("%s: %v", tc.dsn, err)
			continue
		}
		if c.Host != tc.host || c.User != tc.user || c.Password != tc.pass || c.Database != tc.db || c.SSLMode != tc.ssl || c.Port != tc.port {
			t.Errorf("%s: got %+v", tc.dsn, *c)
		}
		if c.String() != tc.str {
			t.Errorf("%s: String() = %s, want %s", tc.dsn, c, tc.str)
		}
	}
	for _, bad := range []string{"mysql://u:secret@h/db", "postgres://u:secret@h:notaport/db", "postgres://u:secret@h/", "host=h password=secret"} {
		_, err := postgres.ParseDSN(bad)
		if !errors.Is(err, postgres.ErrDSN) {
			t.Errorf("%s: error %v, want ErrDSN", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error leaks the password: %v", bad, err)
		}
	}
}

// TestPgxOnlyParams: parameters that only pgx itself understands are
// accepted (and checked) but not sent to the server as settings.
func TestPgxOnlyParams(t *testing.T) {
	for _, bad := range []string{"statement_cache_capacity=x", "description_cache_capacity=1e3", "default_query_exec_mode=fast"} {
		_, err := postgres.ParseDSN("postgres://u:secret@h/db?" + bad)
		if !errors.Is(err, postgres.ErrDSN) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %v, want ErrDSN without the password", bad, err)
		}
	}
	server(t)
	cfg, err := postgres.ParseDSN(serverDSN + "&statement_cache_capacity=10&description_cache_capacity=0&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.RunScript(t.Context(), cfg, strings.NewReader("SELECT 1;")); err != nil {
		t.Errorf("connect with pgx-only parameters: %v", err)
	}
}

// TestConnectSilentServer: a --db URL pointing at a port where something
// accepts connections but never answers fails with ErrNoAnswer within the
// default connect timeout, not after minutes.
func TestConnectSilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accept and stay silent
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	cfg, err := postgres.ParseDSN("postgres://u:secret@" + ln.Addr().String() + "/db")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = postgres.Column(t.Context(), cfg, "SELECT 1")
	if !errors.Is(err, postgres.ErrNoAnswer) {
		t.Errorf("error %v, want ErrNoAnswer", err)
	}
	if d := time.Since(start); d > postgres.DefaultConnectTimeout+5*time.Second {
		t.Errorf("gave up after %s", d)
	}
	if err != nil && strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// TestErrorKeepsTextOfShortPassword: only the password field is redacted;
// a one-letter password does not x out that letter everywhere.
func TestErrorKeepsTextOfShortPassword(t *testing.T) {
	t.Parallel()
	db := "synco_test_nx_aaaa"
	cfg, err := postgres.ParseDSN("postgres://postgres:a@127.0.0.1:5432/" + db + "?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Column(t.Context(), cfg, "SELECT 1")
	if err == nil {
		t.Skip("database " + db + " exists")
	}
	if want := `database "` + db + `" does not exist`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to contain %q", err, want)
	}
	if !strings.Contains(err.Error(), "postgres:xxxxx@") {
		t.Errorf("error %q does not name the DSN with its password redacted", err)
	}
}
