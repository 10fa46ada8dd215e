package postgres

import (
	"context"
	"fmt"
)

// Column runs a read-only query against the database of cfg and returns the first
// column of its rows as text (NULL as ""). It is for the few facts a publish needs
// besides the dump, such as which files a framework can regenerate.
func Column(ctx context.Context, cfg *Config, sql string) ([]string, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := query(ctx, conn, sql)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", cfg, err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		if len(r) > 0 {
			out[i] = string(r[0])
		}
	}
	return out, nil
}
