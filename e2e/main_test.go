// Package e2e_test runs the real synco and synco-lite binaries against each other
// over real loopback sockets: publish → fetch round trips, incremental updates,
// interrupted and resumed fetches, tampered and truncated publications, wrong tokens,
// static web servers in front of "publish --out", signals and exit codes.
//
// TestMain builds the binaries (and the static file server helper in
// internal/staticsrv) once into a temporary directory. Every child process runs
// with XDG_CACHE_HOME pointing into that directory and without SYNCO_TOKEN, so a
// test never touches the user's caches or picks up a token from the environment.
//
// The tests spend most of their time waiting (throttled servers, retry backoff of a
// fetch that cannot reach its source, child processes), so unless -parallel is
// given, TestMain runs up to 6 of them at once instead of GOMAXPROCS.
package e2e_test

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin holds the paths of the binaries built by TestMain.
var bin struct {
	synco, lite, static string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", "6")
	}
	tmp, err := os.MkdirTemp("", "synco-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := build(filepath.Join(tmp, "bin")); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	os.Setenv("XDG_CACHE_HOME", filepath.Join(tmp, "cache"))
	os.Unsetenv("SYNCO_TOKEN")
	code := m.Run()
	dropLoadingAccounts()
	return code
}

// dropLoadingAccounts drops the MariaDB accounts that the imports of these
// tests made to load their targets (dumpers/mysql, "Security"; one a target,
// kept for the next import into it) once the target is gone: a test drops its
// databases, and nothing of it stays on the server.
func dropLoadingAccounts() {
	root, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/")
	if err != nil {
		return
	}
	defer root.Close()
	dropUsers(root, `SELECT DISTINCT d.User, d.Host FROM mysql.db d WHERE d.User LIKE 'synco\_%' AND d.Db LIKE 'synco\\\\_e2e\\\\_%'
 AND NOT EXISTS (SELECT 1 FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME = REPLACE(d.Db, '\\_', '_'))`)
}

// dropUsers drops the MariaDB accounts (User, Host) that query returns.
func dropUsers(root *sql.DB, query string, args ...any) {
	rows, err := root.Query(query, args...)
	if err != nil {
		return
	}
	var drop []string
	for rows.Next() {
		var u, h string
		if rows.Scan(&u, &h) == nil {
			drop = append(drop, "DROP USER IF EXISTS '"+u+"'@'"+h+"'")
		}
	}
	rows.Close()
	for _, q := range drop {
		root.Exec(q)
	}
}

// build compiles the binaries under test from the module root into dir.
func build(dir string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return fmt.Errorf("go env GOMOD: not inside the synco module")
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"./cmd/synco", "./cmd/synco-lite", "./e2e/internal/staticsrv")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // static, as released: synco pull runs synco-lite in bare containers
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	bin.synco = filepath.Join(dir, "synco")
	bin.lite = filepath.Join(dir, "synco-lite")
	bin.static = filepath.Join(dir, "staticsrv")
	return nil
}
