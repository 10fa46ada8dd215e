package main

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
)

// dirSink writes each stream of a dump to DIR/<stream name>.
type dirSink struct{ dir string }

var _ dumpers.Sink = dirSink{}

func (s dirSink) Create(_ context.Context, name string) (io.WriteCloser, error) {
	p := filepath.Join(s.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(p)
	if err != nil {
		return nil, err
	}
	return &bufFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

type bufFile struct {
	f *os.File
	w *bufio.Writer
}

func (b *bufFile) Write(p []byte) (int, error) { return b.w.Write(p) }
func (b *bufFile) Close() error {
	err := b.w.Flush()
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// dirSource reads the streams a dirSink wrote.
type dirSource struct {
	dir   string
	names []string
}

var _ dumpers.Source = (*dirSource)(nil)

func newDirSource(dir string) (*dirSource, error) {
	s := &dirSource{dir: dir}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		s.names = append(s.names, filepath.ToSlash(rel))
		return nil
	})
	return s, err
}

func (s *dirSource) Names() []string { return s.names }
func (s *dirSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(s.dir, filepath.FromSlash(name)))
}

// concat writes the plain .sql file: schema.sql, data/* in byte order, post.sql.
func concat(src *dirSource, out string) error {
	var data []string
	for _, n := range src.names {
		if strings.HasPrefix(n, dumpers.DataDir) {
			data = append(data, n)
		}
	}
	slices.Sort(data)
	order := append(append([]string{dumpers.SchemaStream}, data...), dumpers.PostStream)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	for _, n := range order {
		r, err := os.Open(filepath.Join(src.dir, filepath.FromSlash(n)))
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(f, r)
		r.Close()
		if err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// dump runs the native dumper of dsn's engine into dir.
func dump(ctx context.Context, dsn, dir string, parallel int) (int, error) {
	engine, err := engineOf(dsn)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	opt := dumpers.Options{Parallel: parallel}
	if engine == "mysql" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return 0, err
		}
		d := mysql.NewDumper(cfg)
		err = d.Dump(ctx, dirSink{dir}, opt)
		return d.Workers(), err
	}
	cfg, err := postgres.ParseDSN(dsn)
	if err != nil {
		return 0, err
	}
	if parallel < 1 {
		parallel = 4 // dumpers.Options: <1 means 4
	}
	return parallel, postgres.NewDumper(cfg).Dump(ctx, dirSink{dir}, opt)
}

// restore runs the native importer of dsn's engine from dir.
func restore(ctx context.Context, dsn, dir string) error {
	engine, err := engineOf(dsn)
	if err != nil {
		return err
	}
	src, err := newDirSource(dir)
	if err != nil {
		return err
	}
	if engine == "mysql" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return err
		}
		return mysql.Import(ctx, cfg, src, nil)
	}
	cfg, err := postgres.ParseDSN(dsn)
	if err != nil {
		return err
	}
	return postgres.Import(ctx, cfg, src, nil)
}
