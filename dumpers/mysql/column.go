package mysql

import (
	"context"
	"fmt"
)

// Column runs a read-only query against the database of cfg and returns the first
// column of its rows as text (NULL as ""). It is for the few facts a publish needs
// besides the dump, such as which files a framework can regenerate.
func Column(ctx context.Context, cfg *Config, query string) ([]string, error) {
	srv, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer srv.db.Close()
	rows, err := queryStrings(ctx, srv.db, query, 1)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", cfg, err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out, nil
}
