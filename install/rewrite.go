package install

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/dumpers/rewrite"
	"synco/frameworks"
)

// wpURLKeys are the WordPress options that hold the site's URLs.
var wpURLKeys = []string{"home", "siteurl"}

// Rewrite is what an install rewrites in the database: explicit pairs, and
// for WordPress the source's home and siteurl (read from the dump's options
// table when it is installed) to the local ones.
type Rewrite struct {
	explicit []rewrite.Pair
	options  string            // WordPress: <prefix>options; "" for no automatic rewrite
	local    map[string]string // WordPress: home/siteurl → local URL
	from     string            // where local came from
	off      string            // why there is no automatic rewrite, for the plan
	applied  []rewrite.Pair    // what the last install used
}

// NewRewrite rewrites the explicit pairs (validated together: an error says
// why they do not go together), and for WordPress what WordPress sets up.
func NewRewrite(pairs []rewrite.Pair) (*Rewrite, error) {
	if _, err := rewrite.New(pairs...); err != nil {
		return nil, err
	}
	return &Rewrite{explicit: pairs}, nil
}

// NoRewrite rewrites nothing, not even WordPress's URLs (--no-rewrite).
func NoRewrite() *Rewrite { return &Rewrite{off: "--no-rewrite"} }

// WordPress sets up the automatic rewrite for a local WordPress project p: the
// local URLs from its configuration (WP_HOME, WP_SITEURL), else from its database
// as it is now.
func (rw *Rewrite) WordPress(ctx context.Context, p *frameworks.Project) {
	if rw.off != "" || p.Framework != "wordpress" {
		return
	}
	prefix := p.TablePrefix
	if prefix == "" {
		prefix = "wp_"
	}
	rw.options = prefix + "options"
	switch {
	case len(p.URLs) > 0:
		rw.local, rw.from = p.URLs, p.URLSource
	case p.DB != nil && p.DB.Engine == "mysql":
		if cfg, err := mysql.ParseDSN(p.DB.DSN); err == nil {
			if m, err := mysql.LookupTable(ctx, cfg, rw.options, "option_name", "option_value", wpURLKeys...); err == nil {
				for k, v := range m {
					if !rewrite.IsURL(v) {
						delete(m, k)
					}
				}
				if len(m) > 0 {
					rw.local, rw.from = m, "the local database's "+rw.options
				}
			}
		}
	}
	if rw.local == nil {
		rw.options = ""
		rw.off = "the local WordPress URL is unknown: define WP_HOME in wp-config.php, or pass --rewrite FROM=TO"
	}
}

// Plan is the plan's lines for the rewrite; they may hold what the local
// project says (URLs): the caller makes them safe for its terminal.
func (rw *Rewrite) Plan() []string {
	if rw == nil {
		return nil
	}
	var l []string
	for _, p := range rw.explicit {
		l = append(l, fmt.Sprintf("rewrite %s → %s in the database", p.From, p.To))
	}
	if rw.options != "" {
		var to []string
		for _, k := range wpURLKeys {
			if v := rw.local[k]; v != "" && !slices.Contains(to, v) {
				to = append(to, v)
			}
		}
		l = append(l, fmt.Sprintf("rewrite the source's WordPress URL (home and siteurl of %s in the dump) → %s (from %s) in the database",
			rw.options, strings.Join(to, ", "), rw.from))
	} else if rw.off != "" && len(rw.explicit) == 0 && rw.off != "--no-rewrite" {
		l = append(l, "leave the database's URLs as published: "+rw.off)
	}
	return l
}

// replacer makes the Replacer for one install: the explicit pairs, then the
// source's WordPress URLs (read from src) to the local ones. note gets a line
// for what is left out; nil means nothing to rewrite.
func (rw *Rewrite) replacer(ctx context.Context, engine string, src dumpers.Source, note func(string)) (*rewrite.Replacer, error) {
	if rw == nil {
		return nil, nil
	}
	pairs := slices.Clone(rw.explicit)
	if rw.options != "" {
		auto, err := rw.sourcePairs(ctx, engine, src, note)
		if err != nil {
			return nil, err
		}
		for _, p := range auto {
			if _, err := rewrite.New(p); err != nil {
				note("not rewriting " + p.String() + ": " + err.Error())
				continue
			}
			pairs = append(pairs, p)
		}
	}
	r, err := rewrite.New(pairs...)
	if err != nil {
		return nil, err
	}
	rw.applied = r.Pairs()
	if r.Empty() {
		return nil, nil
	}
	return r, nil
}

// sourcePairs reads the source's home and siteurl from the dump and pairs them
// with the local URLs. A local URL missing for one of them is derived from the
// other when the source's URL extends it (siteurl https://example.com/wp, home
// https://example.com).
func (rw *Rewrite) sourcePairs(ctx context.Context, engine string, src dumpers.Source, note func(string)) ([]rewrite.Pair, error) {
	stream := dumpers.DataStream(rw.options)
	if engine != "mysql" || !slices.Contains(src.Names(), stream) {
		note(fmt.Sprintf("the dump has no %s rows (a %s dump): the source's WordPress URL is not rewritten", rw.options, engine))
		return nil, nil
	}
	rc, err := src.Open(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", stream, err)
	}
	defer rc.Close()
	srcURLs, err := mysql.Lookup(rc, stream, "option_name", "option_value", wpURLKeys...)
	if err != nil {
		return nil, fmt.Errorf("read the source's WordPress URL: %w", err)
	}
	var pairs []rewrite.Pair
	own := map[string]bool{}
	for _, k := range wpURLKeys {
		from := strings.TrimRight(srcURLs[k], "/")
		if from == "" {
			continue
		}
		if !rewrite.IsURL(from) {
			note(fmt.Sprintf("the source's %s %q is not an http(s) URL: not rewritten", k, from))
			continue
		}
		to := rw.local[k]
		for _, o := range wpURLKeys {
			other := strings.TrimRight(srcURLs[o], "/")
			if to == "" && o != k && rw.local[o] != "" && other != "" && strings.HasPrefix(from, other) {
				to = strings.TrimRight(rw.local[o], "/") + from[len(other):]
			}
		}
		switch {
		case to != "" && strings.TrimRight(to, "/") == from:
			// The local database holds the source's URL: an earlier sync
			// left it as published.
			if !own[from] {
				note(fmt.Sprintf("the local WordPress URL %s (from %s) is the source's own: nothing to rewrite, and the local site links to the source; define WP_HOME in wp-config.php, or pass --rewrite FROM=TO", from, rw.from))
			}
			own[from] = true
		case to != "":
			if i := slices.IndexFunc(pairs, func(p rewrite.Pair) bool { return p.From == from }); i >= 0 {
				// One URL of the source for both: a rewrite cannot send it
				// two ways, the first key's (home) wins.
				if pairs[i].To != to {
					why := "set it in WordPress after the install"
					if strings.Contains(rw.from, "wp-config.php") {
						why = "wp-config.php still sets it for WordPress"
					}
					note(fmt.Sprintf("the source's %s is its %s (%s): rewritten to %s like it, not to the local %s %s (%s)",
						k, wpURLKeys[0], from, pairs[i].To, k, to, why))
				}
				continue
			}
			pairs = append(pairs, rewrite.Pair{From: from, To: to})
		}
	}
	return pairs, nil
}

// wrap applies r to the data streams of src for engine.
func wrapRewrite(engine string, src dumpers.Source, r *rewrite.Replacer) dumpers.Source {
	if r == nil {
		return src
	}
	if engine == "postgres" {
		return postgres.Rewrite(src, r)
	}
	return mysql.Rewrite(src, r)
}

// done is the line saying what the install rewrote.
func (rw *Rewrite) done(r *rewrite.Replacer) string {
	var l []string
	for _, p := range rw.applied {
		l = append(l, p.String())
	}
	n, values := r.Changed(), "values"
	if n == 1 {
		values = "value"
	}
	return fmt.Sprintf("rewrote %s in %d %s of the database", strings.Join(l, ", "), n, values)
}
