package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

// loadRoles lists the throw-away roles on the server, read over conn.
func loadRoles(t *testing.T, conn *pgx.Conn) map[string]bool {
	roles := map[string]bool{}
	for _, r := range rowsOf(t, conn, `SELECT rolname::text FROM pg_roles WHERE rolname ~ '^synco_load_[0-9a-f]{16}$'`) {
		roles[r] = true
	}
	return roles
}

// rolesNow lists the throw-away roles on the server.
func rolesNow(t *testing.T) map[string]bool { return loadRoles(t, dbConn(t, server(t))) }

// leftRoles returns the throw-away roles that are on the server and were not
// in before, once those of imports running in other test packages (go test
// runs packages side by side on the same server) had time to end: a role an
// import left stays, a running import's is dropped within seconds.
func leftRoles(t *testing.T, before map[string]bool) []string {
	conn := dbConn(t, server(t)) // one connection for the whole wait
	deadline := time.Now().Add(20 * time.Second)
	for {
		var left []string
		for r := range loadRoles(t, conn) {
			if !before[r] {
				left = append(left, r)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// importer creates a login role with the given attributes, dropped at cleanup.
func importer(t *testing.T, attrs string) *postgres.Config {
	t.Helper()
	role := "synco_test_importer_" + randSuffix()
	admin(t, "CREATE ROLE "+role+" LOGIN "+attrs)
	t.Cleanup(func() {
		if conn, err := pgx.Connect(context.Background(), serverDSN); err == nil {
			conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			conn.Close(context.Background())
		}
	})
	return server(t).WithUser(role)
}

func smallDump(t *testing.T) *dumperstest.Mem {
	src := newDB(t, "smallsrc")
	if err := postgres.RunScript(t.Context(), src, strings.NewReader(
		`CREATE TABLE public.t (id int PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'new');
CREATE VIEW public.v AS SELECT count(*) AS n FROM public.t;
CREATE FUNCTION public.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;`)); err != nil {
		t.Fatal(err)
	}
	return dump(t, src, dumpers.Options{})
}

// TestLoadModes: the dump loads as a throw-away role when the importing user
// may create roles, as the user otherwise; either way the imported objects
// belong to the importing user and no role is left. Not parallel: it compares
// the server's throw-away roles.
func TestLoadModes(t *testing.T) {
	s := smallDump(t)
	super := server(t)
	for _, tc := range []struct {
		name string
		cfg  *postgres.Config
		want postgres.LoadMode
	}{
		{"superuser", super, postgres.LoadAsRole},
		{"createrole", importer(t, "CREATEDB CREATEROLE"), postgres.LoadAsRole},
		{"createdb only", importer(t, "CREATEDB"), postgres.LoadAsUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := tc.cfg.WithDatabase("synco_test_mode_" + randSuffix())
			t.Cleanup(func() { dropDB(dst.Database) })
			before := rolesNow(t)
			mode, err := postgres.ImportWithMode(t.Context(), dst, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if mode != tc.want {
				t.Errorf("mode %v, want %v", mode, tc.want)
			}
			conn := dbConn(t, super.WithDatabase(dst.Database))
			owners := rowsOf(t, conn, `SELECT DISTINCT pg_get_userbyid(relowner)::text FROM pg_class WHERE relnamespace = 'public'::regnamespace
 UNION SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()
 UNION SELECT DISTINCT pg_get_userbyid(proowner)::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace`)
			if len(owners) != 1 || owners[0] != tc.cfg.User {
				t.Errorf("owners %v, want only %s", owners, tc.cfg.User)
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_proc WHERE prosecdef"); n != 0 {
				t.Error("SECURITY DEFINER function imported")
			}
			if left := leftRoles(t, before); len(left) != 0 {
				t.Errorf("throw-away roles left: %v", left)
			}
		})
	}
}

// TestLoadingRoleConfinesDynamicSQL: dynamic SQL that the allow-list cannot
// see (built by concatenation in a function body) runs during the import
// (a CHECK constraint calls the function) with the throw-away role's rights:
// no program runs, no role is created, the import fails.
func TestLoadingRoleConfinesDynamicSQL(t *testing.T) {
	t.Parallel()
	sfx := randSuffix()
	file := "/tmp/synco_test_dyn_" + sfx
	evil := "synco_test_dynevil_" + sfx
	t.Cleanup(func() {
		if conn, err := pgx.Connect(context.Background(), serverDSN); err == nil {
			conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+evil)
			conn.Close(context.Background())
		}
	})
	for name, body := range map[string]string{
		"program": "EXECUTE 'COPY (SELECT 1) TO ' || 'PRO' || 'GRAM ''id > " + file + "''';",
		"role":    "EXECUTE 'CREATE ' || 'ROLE " + evil + " SUPERUSER';",
	} {
		t.Run(name, func(t *testing.T) {
			s := smallDump(t)
			s.Streams[dumpers.SchemaStream] = append(s.Streams[dumpers.SchemaStream],
				"\nCREATE FUNCTION public.evil(integer) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN "+body+" RETURN true; END $$;\n"...)
			s.Streams[dumpers.PostStream] = append(s.Streams[dumpers.PostStream],
				"\nALTER TABLE ONLY public.t ADD CONSTRAINT c CHECK (public.evil(id));\n"...)
			dst := targetWithData(t)
			err := postgres.Import(t.Context(), dst, s, nil)
			if err == nil {
				t.Error("import succeeded")
			}
			conn := dbConn(t, server(t))
			if n := count(t, conn, "SELECT count(*) FROM pg_roles WHERE rolname = '"+evil+"'"); n != 0 {
				t.Error("role created")
			}
			if n := count(t, conn, "SELECT count(*) FROM pg_catalog.pg_stat_file('"+file+"', true) WHERE size IS NOT NULL"); n != 0 {
				t.Error("program ran")
			}
			if n := count(t, dbConn(t, dst), "SELECT count(*) FROM public.keep"); n != 1 {
				t.Error("target changed")
			}
		})
	}
}

// TestReclaimLeftovers: staging and backup databases that a killed import of
// the same target left behind are dropped by the next import; databases of
// other targets, of other names, or in use are kept.
func TestReclaimLeftovers(t *testing.T) {
	t.Parallel()
	s := smallDump(t)
	dst := server(t).WithDatabase("synco_test_reclaim_" + randSuffix())
	other := "synco_test_reclaimx_" + randSuffix()
	names := map[string]bool{ // name: reclaimed
		dst.Database + "__synco_deadbeef":     true,
		dst.Database + "__synco_old_0badf00d": true,
		dst.Database + "__synco_notours":      false,
		dst.Database + "__synco_cafebabe":     false, // in use
		other + "__synco_deadbeef":            false,
	}
	t.Cleanup(func() { dropDB(dst.Database) })
	for n := range names {
		admin(t, `CREATE DATABASE "`+n+`"`)
		t.Cleanup(func() { dropDB(n) })
	}
	busy := dbConn(t, server(t).WithDatabase(dst.Database+"__synco_cafebabe"))
	if err := postgres.Import(t.Context(), dst, s, nil); err != nil {
		t.Fatal(err)
	}
	conn := dbConn(t, server(t))
	for n, gone := range names {
		if left := count(t, conn, "SELECT count(*) FROM pg_database WHERE datname = '"+n+"'"); (left == 0) != gone {
			t.Errorf("%s: present %v, want reclaimed %v", n, left == 1, gone)
		}
	}
	_ = busy
}

// TestCleanupError: when only dropping the previous database fails after the
// swap, Import returns a *dumpers.CleanupError and the new snapshot is in
// place. Not parallel: it sets a package hook.
func TestCleanupError(t *testing.T) {
	s := smallDump(t)
	imp := importer(t, "CREATEDB CREATEROLE")
	dst := imp.WithDatabase("synco_test_cleanup_" + randSuffix())
	admin(t, "CREATE DATABASE "+dst.Database+" OWNER "+imp.User)
	t.Cleanup(func() { dropDB(dst.Database) })
	var backup string
	postgres.SetBeforeDropBackup(func(b string) {
		backup = b
		admin(t, `ALTER DATABASE "`+b+`" OWNER TO postgres`) // the importing user may no longer drop it
	})
	defer postgres.SetBeforeDropBackup(nil)
	t.Cleanup(func() { dropDB(backup) })
	before := rolesNow(t)
	err := postgres.Import(t.Context(), dst, s, nil)
	var ce *dumpers.CleanupError
	if !errors.As(err, &ce) {
		t.Fatalf("import: %v, want a CleanupError", err)
	}
	if n := count(t, dbConn(t, server(t).WithDatabase(dst.Database)), "SELECT count(*) FROM public.t"); n != 1 {
		t.Errorf("new snapshot not in place: %d rows", n)
	}
	if left := leftRoles(t, before); len(left) != 0 {
		t.Errorf("throw-away roles left: %v", left)
	}
}
