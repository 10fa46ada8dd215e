package postgres

import (
	"context"
	"fmt"
	"io"
	"path"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"synco/dumpers"
)

// Dumper dumps one PostgreSQL database natively (no pg_dump needed).
type Dumper struct {
	cfg *Config
}

// NewDumper returns a Dumper for the database cfg names.
func NewDumper(cfg *Config) *Dumper { return &Dumper{cfg: cfg} }

// Dump writes schema.sql, one data/<schema.table>.sql per table with data and
// post.sql to sink, all from one snapshot. Errors wrap ErrAuth, ErrPrivilege or
// ErrUnsupportedServer where those apply.
func (d *Dumper) Dump(ctx context.Context, sink dumpers.Sink, opt dumpers.Options) error {
	snap, err := openSnapshot(ctx, d.cfg)
	if err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg, err)
	}
	defer snap.close(ctx)

	cat := &catalog{version: snap.version}
	if err := cat.load(ctx, snap.conn); err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg, err)
	}
	data, err := applyOptions(cat, opt)
	if err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg, err)
	}
	if err := lockTables(ctx, snap.conn, cat); err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg, err)
	}
	var total atomic.Int64
	if err := writeStream(ctx, sink, dumpers.SchemaStream, &total, cat.writeSchema); err != nil {
		return err
	}
	if err := writeStream(ctx, sink, dumpers.PostStream, &total, cat.writePost); err != nil {
		return err
	}
	if opt.Progress != nil {
		opt.Progress(dumpers.Progress{Bytes: total.Load(), Done: true})
	}
	if err := dumpData(ctx, snap, sink, data, opt, &total); err != nil {
		return fmt.Errorf("dump %s: %w", d.cfg, err)
	}
	return nil
}

type dataJob struct {
	t     *table
	where string
}

// applyOptions marks excluded and structure-only tables and returns the
// tables whose data is dumped.
func applyOptions(cat *catalog, opt dumpers.Options) ([]dataJob, error) {
	match := func(pats []string, schema, name string) (bool, error) {
		for _, p := range pats {
			for _, n := range []string{schema + "." + name, name} {
				ok, err := path.Match(p, n)
				if err != nil {
					return false, fmt.Errorf("bad pattern %q: %w", p, err)
				}
				if ok {
					return true, nil
				}
			}
		}
		return false, nil
	}
	for _, t := range cat.tables {
		var err error
		if t.excluded, err = match(opt.Exclude, t.schema, t.name); err != nil {
			return nil, err
		}
		if t.noData, err = match(opt.StructureOnly, t.schema, t.name); err != nil {
			return nil, err
		}
	}
	// A partition goes with its parent.
	for changed := true; changed; {
		changed = false
		for _, t := range cat.tables {
			if p := cat.byName(t.parent); p != nil && p.excluded && !t.excluded {
				t.excluded, changed = true, true
			}
		}
	}
	if opt.Left != nil {
		for _, t := range cat.tables {
			if t.excluded {
				continue
			}
			if t.rls || t.policies > 0 {
				n := fmt.Sprintf("%d policies", t.policies)
				if t.policies == 1 {
					n = "1 policy"
				}
				opt.Left(fmt.Sprintf("row-level security of %s (%s): the copy has none, so every role sees every row", t.qname, n))
			}
			if t.inherits != "" {
				opt.Left(fmt.Sprintf("the inheritance of %s from %s: the copy has both tables and their rows, but a query on the parent no longer includes the child's rows", t.qname, t.inherits))
			}
		}
	}
	var jobs []dataJob
	for _, t := range cat.tables {
		if t.excluded || t.noData || t.kind != "r" || len(t.copyColumns()) == 0 {
			continue
		}
		where := dumpers.WhereFor(opt.Where, t.schema+"."+t.name)
		jobs = append(jobs, dataJob{t: t, where: where})
	}
	return jobs, nil
}

func (c *catalog) byName(qname string) *table {
	if qname == "" {
		return nil
	}
	for _, t := range c.tables {
		if t.qname == qname {
			return t
		}
	}
	return nil
}

// lockTables takes ACCESS SHARE locks on the dumped tables, as pg_dump does,
// so no one can drop or rewrite them while the dump runs.
func lockTables(ctx context.Context, conn *pgconn.PgConn, cat *catalog) error {
	for _, t := range cat.tables {
		if t.excluded {
			continue
		}
		if err := exec(ctx, conn, "LOCK TABLE "+t.qname+" IN ACCESS SHARE MODE"); err != nil {
			return fmt.Errorf("lock table %s: %w", t.qname, privErr(err, "SELECT on table "+t.qname))
		}
	}
	return nil
}

func writeStream(ctx context.Context, sink dumpers.Sink, name string, total *atomic.Int64, f func(io.Writer) error) error {
	w, err := sink.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create stream %s: %w", name, err)
	}
	cw := &progressWriter{w: w, rowCounter: rowCounter{total: total}}
	if err := f(cw); err != nil {
		w.Close()
		return fmt.Errorf("write stream %s: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close stream %s: %w", name, err)
	}
	return nil
}

// dumpData runs the table jobs on opt.Parallel connections that share the snapshot.
func dumpData(ctx context.Context, snap *snapshot, sink dumpers.Sink, jobs []dataJob, opt dumpers.Options, total *atomic.Int64) error {
	n := opt.Parallel
	if n < 1 {
		n = 4
	}
	n = min(n, len(jobs))
	ch := make(chan dataJob)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(ch)
		for _, j := range jobs {
			select {
			case ch <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range n {
		g.Go(func() error {
			conn, err := snap.worker(gctx)
			if err != nil {
				return err
			}
			defer conn.Close(context.WithoutCancel(ctx))
			for j := range ch {
				if err := dumpTable(gctx, conn, sink, j.t, j.where, scrubTable(opt.Scrub, j.t), total, opt.Progress); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}
