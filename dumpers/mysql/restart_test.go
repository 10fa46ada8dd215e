package mysql_test

import (
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
	"synco/internal/testenv"
)

// privateServer is a MariaDB server of this test's own (mariadb-install-db and
// mariadbd of the machine, a data directory in a temporary directory, a free
// port on 127.0.0.1): a test may restart it. It is stopped at cleanup.
type privateServer struct {
	t         *testing.T
	dir, port string
	cmd       *exec.Cmd
	db        *sql.DB
}

func newPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	for _, p := range []string{"mariadb-install-db", "mariadbd"} {
		if _, err := exec.LookPath(p); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + p); err2 != nil {
				testenv.Require(t, "MariaDB's "+p+" (Debian's mariadb-server)", err)
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	s := &privateServer{t: t, dir: t.TempDir(), port: port}
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(s.dir, "data"),
		"--auth-root-authentication-method=normal", "--skip-test-db", "--user=root").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *privateServer) start() {
	t := s.t
	t.Helper()
	s.cmd = exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--datadir="+filepath.Join(s.dir, "data"),
		"--socket="+filepath.Join(s.dir, "sock"), "--port="+s.port, "--bind-address=127.0.0.1", "--user=root",
		"--innodb-buffer-pool-size=32M", "--log-error="+filepath.Join(s.dir, "error.log"))
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dc := driver.NewConfig()
	dc.User, dc.Net, dc.Addr, dc.MultiStatements = "root", "tcp", "127.0.0.1:"+s.port, true
	conn, err := driver.NewConnector(dc)
	if err != nil {
		t.Fatal(err)
	}
	s.db = sql.OpenDB(conn)
	for range 200 {
		if err = s.db.PingContext(t.Context()); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	t.Fatalf("private MariaDB did not start: %v\n%s", err, log)
}

func (s *privateServer) stop() {
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGTERM) // a clean shutdown, as a container's stop
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
}

// restart stops and starts the server: InnoDB forgets every table's change time.
func (s *privateServer) restart() {
	s.stop()
	s.start()
}

func (s *privateServer) cfg(t *testing.T, name string) *mysql.Config {
	t.Helper()
	c, err := mysql.ParseDSN("mysql://root@127.0.0.1:" + s.port + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// After a restart of the target's server, its tables' change times are lost:
// the tables are compared with the installed snapshot by their rows; those
// that differ (edited before the restart) are brought back by their
// difference with the rows they hold now.
func TestDeltaAfterRestart(t *testing.T) {
	ps := newPrivateServer(t)
	src, exec := deltaSource(t)
	install := func(target string, m *dumperstest.Mem, h *dumperstest.History) dumpers.Installed {
		t.Helper()
		inst, err := mysql.Install(t.Context(), ps.cfg(t, target), h.Source(m), nil)
		if err != nil {
			t.Fatalf("install: %v", err)
		}
		return inst
	}
	sums := func(target string) map[string]string { return withoutRecord(checksums(t, ps.db, target)) }
	exec("CREATE TABLE empty (id INT PRIMARY KEY) ENGINE=InnoDB")
	exec("CREATE TABLE empty2 (id INT PRIMARY KEY) ENGINE=InnoDB")
	exec("CREATE TABLE empty3 (id INT PRIMARY KEY) ENGINE=InnoDB")
	// The first row of same, which the delta after the restart deletes and
	// inserts again (a stamp), has children that a cascade would delete.
	exec("CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES same (id) ON DELETE CASCADE) ENGINE=InnoDB")
	exec("INSERT INTO child VALUES (1, 1), (2, 1), (3, 2)")
	exec("CREATE SEQUENCE seq START WITH 100 INCREMENT BY 5 CACHE 10") // its state survives a restart
	exec("DO NEXTVAL(seq)")
	defer mysql.SetEmptyBatch(2)() // tables installed empty: two queries
	v1 := dump(t, src, dumpers.Options{})
	fresh := func(name string) (string, *dumperstest.History) {
		h := dumperstest.NewHistory()
		mustExec(t, ps.db, "CREATE DATABASE "+name)
		if inst := install(name, v1, h); inst.Mode != "full" {
			t.Fatalf("first install: %+v", inst)
		}
		return name, h
	}
	same, hs := fresh("same")
	edited, he := fresh("edited")
	filled, hf := fresh("filled")
	mustExec(t, ps.db, "UPDATE edited.same SET v = 7 WHERE id = 1") // a developer's edit (as long as the value it replaces), then a restart
	mustExec(t, ps.db, "INSERT INTO filled.empty3 VALUES (1)")      // rows in a table installed empty
	seqWant := seqState(t, ps.db, same)
	ps.restart()
	if n := queryString(t, ps.db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'same' AND UPDATE_TIME IS NOT NULL AND TABLE_NAME <> ?", mysql.RecordTable); n != "0" {
		t.Fatalf("%s tables kept their change time across the restart", n)
	}

	if inst := install(same, v1, hs); inst.Mode != "unchanged" || inst.Verified != 4 {
		t.Fatalf("no-change install after a restart: %+v, want unchanged, 4 tables compared", inst)
	}
	edit(exec)
	v2 := dump(t, src, dumpers.Options{})
	want := reference(t, v2)
	if inst := install(same, v2, hs); inst.Mode != "delta" || inst.Verified != 4 || inst.Stamped != 2 {
		t.Fatalf("install after a restart: %+v, want a delta, 4 tables compared, the two the source did not change stamped", inst)
	}
	equalMaps(t, "delta after a restart vs full import", want, sums(same))
	if got := seqState(t, ps.db, same); got != seqWant {
		t.Errorf("sequence after a restart and a delta: %s, want %s", got, seqWant)
	}
	// The delta gave the table it did not change a change time again (it
	// deleted and inserted a row as it was): the next install compares
	// nothing, and a local edit of that table after it shows.
	if inst := install(same, v2, hs); inst.Mode != "unchanged" || inst.Verified != 0 {
		t.Fatalf("install after a delta after a restart: %+v, want unchanged, no table compared", inst)
	}
	time.Sleep(time.Second) // past the second of the last install (TestDeltaEditInTheSecondOfTheInstall)
	mustExec(t, ps.db, "UPDATE same.same SET v = 9 WHERE id = 2")
	if inst := install(same, v2, hs); inst.Mode != "delta" || inst.Local != 1 || inst.Verified != 0 {
		t.Fatalf("install after a local edit of the stamped table: %+v, want a delta bringing it back", inst)
	}
	equalMaps(t, "delta after a local edit of the stamped table", want, sums(same))

	for _, tc := range []struct {
		target, table string
		h             *dumperstest.History
		verified      int // tables with rows, compared equal
	}{{edited, "same", he, 3}, {filled, "empty3", hf, 4}} {
		inst := install(tc.target, v2, tc.h)
		if inst.Mode != "delta" || inst.Local != 1 || inst.Verified != tc.verified || !slices.Contains(inst.Tables, tc.table) {
			t.Errorf("install into %s after a local edit and a restart: %+v, want a delta bringing back %s", tc.target, inst, tc.table)
		}
		equalMaps(t, "delta after a local edit and a restart", want, sums(tc.target))
	}
}
