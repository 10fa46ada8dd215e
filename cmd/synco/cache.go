package main

import (
	"fmt"
	"os"
	"path/filepath"

	"synco/chunkstore"
	"synco/cmd/internal/cli"
)

// CacheGCCmd is `synco cache gc`.
type CacheGCCmd struct {
	MaxSize string `name:"max-size" required:"" placeholder:"SIZE" help:"Keep at most this much, e.g. 5G, 500MB, 2GiB."`
	Cache   string `placeholder:"DIR" type:"path" help:"Chunk cache directory (default: user cache dir/synco)."`
}

func (c *CacheGCCmd) Run(env *cli.Env) error {
	max, err := cli.ParseSize(c.MaxSize)
	if err != nil {
		return &cli.UsageError{Msg: "--max-size: " + err.Error()}
	}
	dir := c.Cache
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("find the cache directory: %w (pass --cache)", err)
		}
		dir = filepath.Join(base, "synco")
	}
	cache, err := chunkstore.OpenCache(dir)
	if err != nil {
		return err
	}
	removed, freed, err := cache.GC(env.Ctx, max)
	if err != nil {
		return err
	}
	size, err := cache.Size(env.Ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "%s: removed %d chunks (%s); cache is now %s\n", env.Prog, removed, cli.FormatSize(freed), cli.FormatSize(size))
	return nil
}
