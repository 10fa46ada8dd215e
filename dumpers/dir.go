package dumpers

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Dir keeps the streams of a dump as files under Root: a Sink for a dump and a
// Source for an import. It is safe for concurrent use.
type Dir struct {
	Root string

	mu    sync.Mutex
	names []string
}

var (
	_ Sink   = (*Dir)(nil)
	_ Source = (*Dir)(nil)
)

func (d *Dir) path(name string) (string, error) {
	if name == "" || path.Clean(name) != name || strings.HasPrefix(name, "../") || name == ".." || path.IsAbs(name) {
		return "", fmt.Errorf("dump stream %q: invalid name", name)
	}
	return filepath.Join(d.Root, filepath.FromSlash(name)), nil
}

// Create implements Sink.
func (d *Dir) Create(_ context.Context, name string) (io.WriteCloser, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.names = append(d.names, name)
	d.mu.Unlock()
	return f, nil
}

// Names implements Source: the streams created so far, or (for a Dir written
// earlier) found under Root.
func (d *Dir) Names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.names == nil {
		filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				rel, _ := filepath.Rel(d.Root, p)
				d.names = append(d.names, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	names := append([]string(nil), d.names...)
	sort.Strings(names)
	return names
}

// Open implements Source.
func (d *Dir) Open(_ context.Context, name string) (io.ReadCloser, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// TableOf returns the table whose rows a data stream holds: the inverse of
// DataStream.
func TableOf(stream string) (string, bool) {
	esc, ok := strings.CutPrefix(stream, DataDir)
	if !ok {
		return "", false
	}
	esc, ok = strings.CutSuffix(esc, ".sql")
	if !ok || esc == "" || strings.Contains(esc, "/") {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(esc); i++ {
		if esc[i] != '%' {
			b.WriteByte(esc[i])
			continue
		}
		if i+2 >= len(esc) {
			return "", false
		}
		hi, lo := unhex(esc[i+1]), unhex(esc[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	return b.String(), true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

// MatchTable reports whether table matches one of the globs (path.Match syntax),
// by its full name or, for a schema-qualified name, by the part after the schema.
func MatchTable(globs []string, table string) bool {
	short := table[strings.LastIndexByte(table, '.')+1:]
	for _, g := range globs {
		if ok, _ := path.Match(g, table); ok {
			return true
		}
		if ok, _ := path.Match(g, short); ok {
			return true
		}
	}
	return false
}

// WhereFor returns the row condition of Options.Where for table: an exact key
// ("schema.table", then the bare name) wins; otherwise the first key in sorted order
// that is a glob (has one of *?[\) matching the table as MatchTable does, e.g.
// "wp_[1-9]_options" for every site of a WordPress multisite. "" means all rows.
func WhereFor(where map[string]string, table string) string {
	short := table[strings.LastIndexByte(table, '.')+1:]
	if c, ok := where[table]; ok {
		return c
	}
	if c, ok := where[short]; ok {
		return c
	}
	var globs []string
	for k := range where {
		if strings.ContainsAny(k, `*?[\`) {
			globs = append(globs, k)
		}
	}
	sort.Strings(globs)
	for _, g := range globs {
		if MatchTable([]string{g}, table) {
			return where[g]
		}
	}
	return ""
}
