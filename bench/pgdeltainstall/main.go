// Command pgdeltainstall measures a PostgreSQL delta install against a full
// import (issue 15 §1) on a database made by dbbench load:
//
//	pgdeltainstall -src NAME -target NAME [-pct 1] [-rewrite TABLE] [-local SQL]
//
// It dumps the source, installs it into target (full), changes pct % of the rows
// of every table with an integer primary key id at the source (an update of a
// text column), gives every row of the rewrite table a new key (as a cache
// filled anew: its dump shares no row with the last one), dumps again and
// times: a full import of the new dump into a scratch database, its delta
// install into target (after -local, SQL run on target: a developer's edit), and
// an install with no change. It checks that target
// and scratch hold the same rows (md5 of every table's rows) and drops scratch.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/postgres"
)

const server = "postgres://postgres@127.0.0.1:5432/"

// localSQL is a local edit of the target (-local); "" for none.
var localSQL string

func main() {
	src := flag.String("src", "", "source database (dbbench load)")
	target := flag.String("target", "", "target database (dropped and recreated)")
	pct := flag.Int("pct", 1, "percent of rows changed")
	rewrite := flag.String("rewrite", "", "a table whose every row gets a new key (text primary key id), e.g. cache")
	flag.StringVar(&localSQL, "local", "", "SQL run on the target before the delta install, a developer's edit")
	flag.Parse()
	if err := run(context.Background(), *src, *target, *pct, *rewrite); err != nil {
		fmt.Fprintln(os.Stderr, "pgdeltainstall:", err)
		os.Exit(1)
	}
}

func cfg(name string) *postgres.Config {
	c, err := postgres.ParseDSN(server + name + "?sslmode=disable")
	if err != nil {
		panic(err)
	}
	return c
}

// refSource answers Ref from refs taken before the timing: the test History
// hashes a whole stream per Ref, where fetch reads it from the manifest.
type refSource struct {
	dumpers.Source
	re   dumpers.Reopener
	refs map[string]dumpers.StreamRef
}

func withRefs(s dumpers.Source) *refSource {
	r := &refSource{Source: s, re: s.(dumpers.Reopener), refs: map[string]dumpers.StreamRef{}}
	for _, n := range s.Names() {
		r.refs[n], _ = r.re.Ref(n)
	}
	return r
}

func (r *refSource) Ref(name string) (dumpers.StreamRef, bool) {
	ref, ok := r.refs[name]
	return ref, ok
}

func (r *refSource) Reopen(ctx context.Context, ref dumpers.StreamRef) (io.ReadCloser, error) {
	return r.re.Reopen(ctx, ref)
}

func connect(ctx context.Context, db string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, server+db+"?sslmode=disable")
}

func run(ctx context.Context, src, target string, pct int, rewrite string) error {
	admin, err := connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	dump := func() (*dumperstest.Mem, error) {
		m := dumperstest.NewMem()
		return m, postgres.NewDumper(cfg(src)).Dump(ctx, m, dumpers.Options{})
	}
	size := func(m *dumperstest.Mem) (n int) {
		for _, b := range m.Streams {
			n += len(b)
		}
		return n
	}
	h := dumperstest.NewHistory()
	v1, err := dump()
	if err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+target+`" WITH (FORCE)`); err != nil {
		return err
	}
	t0 := time.Now()
	inst, _, err := postgres.Install(ctx, cfg(target), h.Source(v1), nil)
	if err != nil {
		return err
	}
	fmt.Printf("dump: %.1f MB\nfirst install (%s): %v\n", float64(size(v1))/1e6, inst.Mode, time.Since(t0).Round(time.Millisecond))

	sc, err := connect(ctx, src)
	if err != nil {
		return err
	}
	rows, _ := sc.Query(ctx, `SELECT format('%I.%I', c.table_schema, c.table_name), (SELECT format('%I', t.column_name) FROM information_schema.columns t
  WHERE t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.data_type = 'text' ORDER BY t.ordinal_position LIMIT 1)
 FROM information_schema.columns c WHERE c.table_schema = 'public' AND c.column_name = 'id' AND c.data_type IN ('integer', 'bigint')`)
	type tc struct{ table, col string }
	var tables []tc
	var all []string
	for rows.Next() {
		var t string
		var col *string
		if err := rows.Scan(&t, &col); err != nil {
			return err
		}
		all = append(all, t)
		if col != nil {
			tables = append(tables, tc{t, *col})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		q := fmt.Sprintf("UPDATE %s SET %s = %s || '!' WHERE id %% 100 < %d", t.table, t.col, t.col, pct)
		if _, err := sc.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if rewrite != "" {
		q := "UPDATE " + pgx.Identifier{"public", rewrite}.Sanitize() + " SET id = md5(id || $1)"
		if _, err := sc.Exec(ctx, q, time.Now().String()); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	sc.Close(ctx)
	v2, err := dump()
	if err != nil {
		return err
	}
	scratch := target + "_full"
	admin.Exec(ctx, `DROP DATABASE IF EXISTS "`+scratch+`" WITH (FORCE)`)
	defer admin.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+scratch+`" WITH (FORCE)`)
	t0 = time.Now()
	if err := postgres.Import(ctx, cfg(scratch), v2, nil); err != nil {
		return err
	}
	full := time.Since(t0)
	s2 := withRefs(h.Source(v2))
	if localSQL != "" {
		tc, err := connect(ctx, target)
		if err != nil {
			return err
		}
		_, err = tc.Exec(ctx, localSQL)
		tc.Close(ctx)
		if err != nil {
			return fmt.Errorf("-local: %w", err)
		}
		time.Sleep(time.Second) // its counters reach the statistics
	}
	t0 = time.Now()
	inst, _, err = postgres.Install(ctx, cfg(target), s2, nil)
	if err != nil {
		return err
	}
	dt := time.Since(t0)
	fmt.Printf("full import of the new dump: %v\n%s install %s(%d tables, %d emptied at once, %d brought back, -%d +%d rows): %v = %.1f %% of the full import\n",
		full.Round(time.Millisecond), inst.Mode, inst.Reason, len(inst.Tables), inst.Replaced, inst.Local, inst.Deleted, inst.Inserted, dt.Round(time.Millisecond), 100*dt.Seconds()/full.Seconds())
	t0 = time.Now()
	inst, _, err = postgres.Install(ctx, cfg(target), s2, nil)
	if err != nil {
		return err
	}
	fmt.Printf("no-change install (%s%s): %v\n", inst.Mode, inst.Reason, time.Since(t0).Round(time.Millisecond))
	sum := func(db, t string) (string, error) {
		c, err := connect(ctx, db)
		if err != nil {
			return "", err
		}
		defer c.Close(ctx)
		var s string
		err = c.QueryRow(ctx, `SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text COLLATE "C"), '')) FROM `+t+" t").Scan(&s)
		return s, err
	}
	for _, t := range all {
		a, err := sum(target, t)
		if err != nil {
			return err
		}
		b, err := sum(scratch, t)
		if err != nil {
			return err
		}
		if a != b {
			return fmt.Errorf("table %s differs from the full import", t)
		}
	}
	fmt.Println("delta result = full import (md5 of every table's rows)")
	return nil
}
