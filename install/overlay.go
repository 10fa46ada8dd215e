package install

import (
	"context"
	"io"

	"synco/dumpers"
)

// overlay is the published dump with the data streams of the tables that keep their
// local rows taken from a dump of the local database. A kept table without local
// rows (new at the source) comes with its structure only.
type overlay struct {
	remote, local dumpers.Source
	published     func(table string) bool
	localHas      map[string]bool
}

// Overlay returns remote with the data of the tables published rejects taken
// from local.
func Overlay(remote, local dumpers.Source, published func(table string) bool) dumpers.Source {
	o := &overlay{remote: remote, local: local, published: published, localHas: map[string]bool{}}
	for _, n := range local.Names() {
		o.localHas[n] = true
	}
	return o
}

func (o *overlay) kept(name string) bool {
	table, ok := dumpers.TableOf(name)
	return ok && !o.published(table)
}

func (o *overlay) Names() []string {
	var names []string
	for _, n := range o.remote.Names() {
		if o.kept(n) && !o.localHas[n] {
			continue
		}
		names = append(names, n)
	}
	return names
}

func (o *overlay) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if o.kept(name) {
		return o.local.Open(ctx, name)
	}
	return o.remote.Open(ctx, name)
}
