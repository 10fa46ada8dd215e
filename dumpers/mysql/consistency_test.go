package mysql_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"synco/dumpers"
	"synco/dumpers/dumperstest"
	"synco/dumpers/mysql"
)

// sumRows counts the rows of a two-integer-column data stream and sums the second.
func sumRows(t *testing.T, b []byte) (n, sum int64) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "(") {
			continue
		}
		f := strings.Split(strings.TrimRight(line, ",;)"), ",")
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		n++
		sum += v
	}
	return n, sum
}

// TestParallelDumpIsConsistent dumps while a writer changes two tables in one
// transaction at a time: every dump must see both tables at the same point.
func TestParallelDumpIsConsistent(t *testing.T) {
	db := server(t)
	name := newDB(t, db, "consist")
	c, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustExec(t, c, "USE `"+name+"`")
	// big filler tables take the other workers' time, so a and b are read at
	// different moments
	for _, tb := range []string{"a", "b", "filler1", "filler2", "filler3"} {
		mustExec(t, c, "CREATE TABLE "+tb+" (id INT PRIMARY KEY, v BIGINT NOT NULL, pad VARCHAR(200))")
	}
	mustExec(t, c, "INSERT INTO a (id, v) SELECT seq, 0 FROM seq_1_to_5000")
	mustExec(t, c, "INSERT INTO b (id, v) SELECT seq, 0 FROM seq_1_to_5000")
	for _, tb := range []string{"filler1", "filler2", "filler3"} {
		mustExec(t, c, "INSERT INTO "+tb+" SELECT seq, seq, REPEAT('x', 200) FROM seq_1_to_30000")
	}

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var writes int
	wg.Add(1)
	go func() {
		defer wg.Done()
		w, err := db.Conn(ctx)
		if err != nil {
			return
		}
		defer w.Close()
		_, _ = w.ExecContext(ctx, "USE `"+name+"`")
		for i := 0; ctx.Err() == nil; i++ {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return
			}
			id := i%5000 + 1
			q := fmt.Sprintf("UPDATE a SET v = v + 1 WHERE id = %d", id)
			_, e1 := tx.ExecContext(ctx, q)
			_, e2 := tx.ExecContext(ctx, strings.Replace(q, "UPDATE a", "UPDATE b", 1))
			_, e3 := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO a (id, v) VALUES (%d, 1)", 100000+i))
			_, e4 := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO b (id, v) VALUES (%d, 1)", 100000+i))
			if e1 != nil || e2 != nil || e3 != nil || e4 != nil {
				_ = tx.Rollback()
				return
			}
			if tx.Commit() == nil {
				writes++
			}
		}
	}()
	defer func() { stop(); wg.Wait() }()

	for round := 0; round < 3; round++ {
		s := dumperstest.NewMem()
		d := mysql.NewDumper(cfgFor(t, name))
		if err := d.Dump(t.Context(), s, dumpers.Options{Parallel: 4}); err != nil {
			t.Fatal(err)
		}
		if d.Workers() != 4 {
			t.Errorf("dump used %d connections, want 4", d.Workers())
		}
		an, asum := sumRows(t, s.Streams[dumpers.DataStream("a")])
		bn, bsum := sumRows(t, s.Streams[dumpers.DataStream("b")])
		if an != bn || asum != bsum {
			t.Errorf("round %d: a has %d rows (sum %d), b has %d rows (sum %d): not one snapshot", round, an, asum, bn, bsum)
		}
		t.Logf("round %d: %d rows, sum %d", round, an, asum)
	}
	stop()
	wg.Wait()
	if writes == 0 {
		t.Error("the writer never committed during the dumps")
	}
}
