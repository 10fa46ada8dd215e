package mysql_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

func TestWrongCredentialsAndUnreachable(t *testing.T) {
	db := server(t)
	name := newDB(t, db, "creds")
	cfg := cfgFor(t, name)
	cfg.Password = "definitely-wrong-pw"
	err := mysql.NewDumper(cfg).Dump(t.Context(), dumperstest.NewMem(), dumpers.Options{})
	if !errors.Is(err, mysql.ErrAccessDenied) {
		t.Errorf("wrong password: %v, want ErrAccessDenied", err)
	}
	if err != nil && strings.Contains(err.Error(), cfg.Password) {
		t.Errorf("error shows the password: %v", err)
	}
	bad := cfgFor(t, name)
	bad.Port = 1 // nothing listens there
	if err := mysql.Import(t.Context(), bad, dumperstest.NewMem(), nil); !errors.Is(err, mysql.ErrUnreachable) {
		t.Errorf("closed port: %v, want ErrUnreachable", err)
	}
	if err := mysql.NewDumper(cfgFor(t, name+"_missing")).Dump(t.Context(), dumperstest.NewMem(), dumpers.Options{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing database: %v", err)
	}
}

// TestLimitedUser: without RELOAD the dump falls back to one connection; without
// CREATE the import says which privilege it needs.
func TestLimitedUser(t *testing.T) {
	db := server(t)
	src := createEdge(t, db)
	user := uniqueName("u")[8:] // user names: at most 32 characters
	mustExec(t, db, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'pw'")
	t.Cleanup(func() { _, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	mustExec(t, db, "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `"+src+"`.* TO '"+user+"'@'%'")
	mustExec(t, db, "GRANT SELECT ON mysql.proc TO '"+user+"'@'%'")
	cfg := cfgFor(t, src)
	cfg.User, cfg.Password = user, "pw"

	d := mysql.NewDumper(cfg)
	s := dumperstest.NewMem()
	if err := d.Dump(t.Context(), s, dumpers.Options{Parallel: 4}); err != nil {
		t.Fatalf("dump without RELOAD: %v", err)
	}
	if d.Workers() != 1 {
		t.Errorf("without RELOAD: %d connections, want 1", d.Workers())
	}
	equalStreams(t, dump(t, src, dumpers.Options{}), s)

	err := mysql.Import(t.Context(), cfg.WithDatabase(src+"_copy"), s, nil)
	var pe *mysql.PrivilegeError
	if !errors.As(err, &pe) || pe.Privilege != "CREATE" {
		t.Errorf("import without CREATE: %v, want a PrivilegeError naming CREATE", err)
	}
}

func TestUnixSocket(t *testing.T) {
	db := server(t)
	const sock = "/run/mysqld/mysqld.sock"
	if _, err := os.Stat(sock); err != nil {
		t.Skipf("no socket at %s", sock)
	}
	src := createEdge(t, db)
	cfg, err := mysql.ParseDSN("mariadb://root@/" + src + "?socket=" + sock)
	if err != nil {
		t.Fatal(err)
	}
	s := dumperstest.NewMem()
	if err := mysql.NewDumper(cfg).Dump(t.Context(), s, dumpers.Options{}); err != nil {
		t.Fatalf("dump over %s: %v", sock, err)
	}
	equalStreams(t, dump(t, src, dumpers.Options{}), s)
}
