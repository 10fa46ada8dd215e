// Command deltainstall measures a delta install against a full import (issue 15
// §1) on a database made by dbbench load:
//
//	deltainstall -src NAME -target NAME [-pct 1]
//
// It dumps the source, installs it into target (full), changes pct % of the rows
// of every table with a primary key at the source (scattered updates, and as many
// deletes and inserts as a tenth of that), dumps again and times: a full import of
// the new dump into a scratch database, its delta install into target, and an
// install with no change. It checks that target and scratch hold the same rows
// (CHECKSUM TABLE) and drops scratch.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

func main() {
	src := flag.String("src", "", "source database (dbbench load)")
	target := flag.String("target", "", "target database (dropped and recreated)")
	pct := flag.Int("pct", 1, "percent of rows changed")
	flag.Parse()
	if err := run(context.Background(), *src, *target, *pct); err != nil {
		fmt.Fprintln(os.Stderr, "deltainstall:", err)
		os.Exit(1)
	}
}

func cfg(name string) *mysql.Config {
	c, err := mysql.ParseDSN("mysql://root@127.0.0.1:3306/" + name)
	if err != nil {
		panic(err)
	}
	return c
}

func run(ctx context.Context, src, target string, pct int) error {
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/?multiStatements=true")
	if err != nil {
		return err
	}
	defer db.Close()
	dump := func() (*dumperstest.Mem, error) {
		m := dumperstest.NewMem()
		return m, mysql.NewDumper(cfg(src)).Dump(ctx, m, dumpers.Options{})
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
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+target+"`"); err != nil {
		return err
	}
	t0 := time.Now()
	inst, err := mysql.Install(ctx, cfg(target), h.Source(v1), nil)
	if err != nil {
		return err
	}
	fmt.Printf("dump: %.1f MB\nfirst install (%s): %v\n", float64(size(v1))/1e6, inst.Mode, time.Since(t0).Round(time.Millisecond))

	// pct % of the rows of every table with an integer primary key `id`.
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'id' AND COLUMN_KEY = 'PRI' AND DATA_TYPE IN ('int', 'bigint', 'mediumint', 'smallint')", src)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		_ = rows.Scan(&t)
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		var textCol string
		if err := db.QueryRowContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('varchar','text','mediumtext','longtext') ORDER BY ORDINAL_POSITION LIMIT 1", src, t).Scan(&textCol); err != nil {
			continue
		}
		q := fmt.Sprintf("UPDATE `%s`.`%s` SET `%s` = CONCAT(`%s`, '!') WHERE id %% 100 < %d", src, t, textCol, textCol, pct)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	v2, err := dump()
	if err != nil {
		return err
	}
	scratch := target + "_full"
	db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+scratch+"`")
	defer db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+scratch+"`")
	t0 = time.Now()
	if err := mysql.Import(ctx, cfg(scratch), v2, nil); err != nil {
		return err
	}
	full := time.Since(t0)
	if p := os.Getenv("DELTA_PROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
	}
	s2 := h.Source(v2)
	t0 = time.Now()
	inst, err = mysql.Install(ctx, cfg(target), s2, nil)
	if err != nil {
		return err
	}
	dt := time.Since(t0)
	pprof.StopCPUProfile()
	fmt.Printf("full import of the new dump: %v\n%s install (%d tables, -%d +%d rows): %v = %.1f %% of the full import\n",
		full.Round(time.Millisecond), inst.Mode, len(inst.Tables), inst.Deleted, inst.Inserted, dt.Round(time.Millisecond), 100*dt.Seconds()/full.Seconds())
	t0 = time.Now()
	inst, err = mysql.Install(ctx, cfg(target), s2, nil)
	if err != nil {
		return err
	}
	fmt.Printf("no-change install (%s): %v\n", inst.Mode, time.Since(t0).Round(time.Millisecond))
	for _, t := range tables {
		var n string
		var a, b sql.NullInt64
		db.QueryRowContext(ctx, fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", target, t)).Scan(&n, &a)
		db.QueryRowContext(ctx, fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", scratch, t)).Scan(&n, &b)
		if a != b {
			return fmt.Errorf("table %s differs from the full import", t)
		}
	}
	fmt.Println("delta result = full import (CHECKSUM TABLE of every table)")
	return nil
}
