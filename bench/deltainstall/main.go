// Command deltainstall measures a delta install against a full import (issue 15
// §1) on a database made by dbbench load:
//
//	deltainstall -src NAME -target NAME [-pct 1] [-runs 3] [-cpuprofile FILE] [-restart CMD] [-restart-runs N] [-still TABLES] [-local SQL]
//
// (-cpuprofile: a profile of each delta install, FILE.1, FILE.2, …; -restart: a
// shell command that restarts the database server, run before each full import
// and each delta install, which then finds every table's change time lost and
// compares the tables with the installed snapshot row by row; -restart-runs:
// restart before the delta installs of the first N runs only, and not before
// the no-change install, so that the later runs show what a restart leaves to
// them; -still: tables the changes leave alone, comma-separated; -local: SQL run
// on the target before each delta install, "%s" its name, a developer's edit)
//
// It dumps the source and installs it into target (full). Then, runs times: it
// changes the source (pct % of the rows of every table with an integer primary
// key `id` updated: the last character of their first text column; a tenth of
// that deleted; in `log` as many rows appended), dumps again and times, one
// right after the other, a full import of the new dump into a scratch database
// and its delta install into target; after the last run an install with no
// change. For each it reports wall time and CPU
// time (this process, and the database server's when it runs on this machine:
// /proc/<pid>/stat of mariadbd or mysqld), and the medians over the runs. It
// checks that target and scratch hold the same rows (CHECKSUM TABLE) and drops
// scratch. The dumps stay in memory: the delta reads the installed snapshot
// again from there, not from a fetch cache.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	runs := flag.Int("runs", 3, "changes, each timed as a full import and a delta install")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of each delta install to FILE.<run>")
	flag.StringVar(&restartCmd, "restart", "", "shell command that restarts the database server, run before each full import and delta install")
	flag.IntVar(&restartRuns, "restart-runs", -1, "with -restart: restart before the delta installs of the first N runs only (-1: every run and the no-change install)")
	flag.Func("still", "tables the changes leave alone, comma-separated", func(v string) error {
		still = strings.Split(v, ",")
		return nil
	})
	flag.StringVar(&localSQL, "local", "", "SQL run on the target before each delta install, a local edit (%s: the target's name)")
	flag.Parse()
	if err := run(context.Background(), *src, *target, *pct, *runs, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "deltainstall:", err)
		os.Exit(1)
	}
}

// restartCmd restarts the server (-restart); "" for none. restartRuns: before
// the installs of that many runs only (-restart-runs; -1: all, and the
// no-change install).
var (
	restartCmd  string
	restartRuns int
)

// still are the tables the changes leave alone (-still).
var still []string

// localSQL is a local edit of the target (-local); "" for none.
var localSQL string

// restart runs restartCmd, waits until the server answers and sets up the
// session of db again.
func restart(ctx context.Context, db *sql.DB) error {
	if restartCmd == "" {
		return nil
	}
	if out, err := exec.CommandContext(ctx, "sh", "-c", restartCmd).CombinedOutput(); err != nil {
		return fmt.Errorf("restart: %v: %s", err, out)
	}
	var err error
	for range 600 {
		if _, err = db.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("restart: the server does not answer: %w", err)
}

func cfg(name string) *mysql.Config {
	c, err := mysql.ParseDSN("mysql://root@127.0.0.1:3306/" + name)
	if err != nil {
		panic(err)
	}
	return c
}

// cost is wall and CPU time of one step.
type cost struct {
	wall, cpu, server time.Duration
}

func (c cost) String() string {
	s := fmt.Sprintf("%v wall, %v CPU", c.wall.Round(time.Millisecond), c.cpu.Round(time.Millisecond))
	if c.server >= 0 {
		s += fmt.Sprintf(" + %v server CPU", c.server.Round(time.Millisecond))
	}
	return s
}

// measure times f.
func measure(f func() error) (cost, error) {
	c0, s0, t0 := cpu(), serverCPU(), time.Now()
	err := f()
	c := cost{wall: time.Since(t0), cpu: cpu() - c0, server: -1}
	if s0 >= 0 {
		c.server = serverCPU() - s0
	}
	return c, err
}

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time of the local database server so far, -1 if unknown.
func serverCPU() time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || (strings.TrimSpace(string(comm)) != "mariadbd" && strings.TrimSpace(string(comm)) != "mysqld") {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			return -1
		}
		// fields after the ")" that ends the command: state is field 3; utime 14, stime 15
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 13 {
			return -1
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(u+s) * time.Second / 100 // USER_HZ
	}
	return -1
}

func median(xs []time.Duration) time.Duration {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func run(ctx context.Context, src, target string, pct, runs int, cpuprofile string) error {
	db, err := sql.Open("mysql", "root@tcp(127.0.0.1:3306)/?multiStatements=true")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one session: foreign_key_checks below
	if _, err := db.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
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
	var inst dumpers.Installed
	s1 := cached(h.Source(v1))
	c, err := measure(func() (err error) { inst, err = mysql.Install(ctx, cfg(target), s1, nil); return err })
	if err != nil {
		return err
	}
	fmt.Printf("dump: %.1f MB\nfirst install (%s): %v\n", float64(size(v1))/1e6, inst.Mode, c)

	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'id' AND COLUMN_KEY = 'PRI' AND DATA_TYPE IN ('int', 'bigint', 'mediumint', 'smallint') ORDER BY TABLE_NAME", src)
	if err != nil {
		return err
	}
	var tables, textCols []string
	for rows.Next() {
		var t string
		_ = rows.Scan(&t)
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		var textCol string
		_ = db.QueryRowContext(ctx, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('varchar','text','mediumtext','longtext') ORDER BY ORDINAL_POSITION LIMIT 1", src, t).Scan(&textCol)
		textCols = append(textCols, textCol)
	}
	seed := int(time.Now().UnixNano() % 26)
	change := func(r int) error {
		for i, t := range tables {
			if slices.Contains(still, t) {
				continue
			}
			var qs []string
			if textCols[i] != "" {
				// the last character becomes another letter: the length stays
				c := textCols[i]
				qs = append(qs, fmt.Sprintf("UPDATE `%s`.`%s` SET `%s` = CONCAT(LEFT(`%s`, GREATEST(CHAR_LENGTH(`%s`) - 1, 0)), CHAR(65 + %d)) WHERE id %% 100 < %d", src, t, c, c, c, (seed+r)%26, pct))
			}
			qs = append(qs, fmt.Sprintf("DELETE FROM `%s`.`%s` WHERE id %% 1000 BETWEEN %d AND %d", src, t, 500+r*pct, 500+r*pct+pct-1))
			if t == "log" {
				qs = append(qs, fmt.Sprintf("INSERT INTO `%s`.`log` (ts, level, channel, message, context, ip) SELECT NOW(6), level, channel, message, context, ip FROM `%s`.`log` WHERE id %% 1000 BETWEEN 600 AND %d", src, src, 600+pct-1))
			}
			for _, q := range qs {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
		}
		return nil
	}

	scratch := target + "_full"
	defer db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+scratch+"`")
	var fullW, fullC, deltaW, deltaC, ratio []time.Duration
	var s2 dumpers.Source
	for r := 1; r <= runs; r++ {
		if err := change(r); err != nil {
			return err
		}
		v2, err := dump()
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+scratch+"`"); err != nil {
			return err
		}
		restartNow := restartRuns < 0 || r <= restartRuns
		if restartNow {
			if err := restart(ctx, db); err != nil {
				return err
			}
		}
		full, err := measure(func() error { return mysql.Import(ctx, cfg(scratch), v2, nil) })
		if err != nil {
			return err
		}
		if restartNow {
			if err := restart(ctx, db); err != nil {
				return err
			}
		}
		if localSQL != "" {
			time.Sleep(time.Second) // past the second of the last install's commit
			if _, err := db.ExecContext(ctx, strings.ReplaceAll(localSQL, "%s", target)); err != nil {
				return fmt.Errorf("-local: %w", err)
			}
		}
		s2 = cached(h.Source(v2))
		var prof *os.File
		if cpuprofile != "" {
			if prof, err = os.Create(cpuprofile + "." + strconv.Itoa(r)); err != nil {
				return err
			}
			_ = pprof.StartCPUProfile(prof)
		}
		d, err := measure(func() (err error) { inst, err = mysql.Install(ctx, cfg(target), s2, nil); return err })
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
		}
		if err != nil {
			return err
		}
		if err := same(ctx, db, tables, target, scratch); err != nil {
			return err
		}
		fmt.Printf("run %d (dump %.1f MB%s): full import %v | %s install (%d tables, -%d +%d rows, %d compared row by row, %d stamped, %d brought back) %v | %.1f %% of the full import's wall time, %.1f %% of its CPU\n",
			r, float64(size(v2))/1e6, map[bool]string{true: ", after a restart"}[restartNow && restartCmd != ""], full, inst.Mode, len(inst.Tables), inst.Deleted, inst.Inserted, inst.Verified, inst.Stamped, inst.Local, d,
			100*d.wall.Seconds()/full.wall.Seconds(), 100*(d.cpu+max(d.server, 0)).Seconds()/(full.cpu+max(full.server, 0)).Seconds())
		fullW, fullC = append(fullW, full.wall), append(fullC, full.cpu+max(full.server, 0))
		deltaW, deltaC = append(deltaW, d.wall), append(deltaC, d.cpu+max(d.server, 0))
		ratio = append(ratio, time.Duration(1e6*d.wall.Seconds()/full.wall.Seconds()))
	}
	if restartRuns < 0 {
		if err := restart(ctx, db); err != nil {
			return err
		}
	}
	none, err := measure(func() (err error) { inst, err = mysql.Install(ctx, cfg(target), s2, nil); return err })
	if err != nil {
		return err
	}
	fmt.Printf("no-change install (%s, %d tables compared row by row): %v\n", inst.Mode, inst.Verified, none)
	fmt.Printf("medians of %d runs: full import %v wall, %v CPU (client + server) | delta install %v wall, %v CPU | delta/full %.1f %% (median of the runs' ratios)\n",
		runs, median(fullW).Round(time.Millisecond), median(fullC).Round(time.Millisecond), median(deltaW).Round(time.Millisecond), median(deltaC).Round(time.Millisecond),
		float64(median(ratio))/1e4)
	fmt.Println("delta result = full import (CHECKSUM TABLE of every changed table) in every run")
	return nil
}

// refCache answers Ref from a table made once, as fetch's source does from the
// manifest (dumperstest's History hashes the whole stream at every call).
type refCache struct {
	dumpers.Source
	re   dumpers.Reopener
	refs map[string]dumpers.StreamRef
}

func cached(s dumpers.Source) dumpers.Source {
	c := &refCache{Source: s, re: s.(dumpers.Reopener), refs: map[string]dumpers.StreamRef{}}
	for _, n := range s.Names() {
		c.refs[n], _ = c.re.Ref(n)
	}
	return c
}

func (c *refCache) Ref(name string) (dumpers.StreamRef, bool) {
	r, ok := c.refs[name]
	return r, ok
}

func (c *refCache) Reopen(ctx context.Context, ref dumpers.StreamRef) (io.ReadCloser, error) {
	return c.re.Reopen(ctx, ref)
}

// same checks that the tables hold the same rows in both databases.
func same(ctx context.Context, db *sql.DB, tables []string, a, b string) error {
	for _, t := range tables {
		var n string
		var x, y sql.NullInt64
		if err := db.QueryRowContext(ctx, fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", a, t)).Scan(&n, &x); err != nil {
			return err
		}
		if err := db.QueryRowContext(ctx, fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", b, t)).Scan(&n, &y); err != nil {
			return err
		}
		if x != y {
			return fmt.Errorf("table %s differs from the full import", t)
		}
	}
	return nil
}
