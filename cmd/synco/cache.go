package main

import (
	"fmt"
	"os"
	"path/filepath"

	"synco/chunkstore"
	"synco/cmd/internal/cli"
)

// CacheCmd is `synco cache`.
type CacheCmd struct {
	GC CacheGCCmd `cmd:"" name:"gc" help:"Shrink the chunk cache to a size, least recently used first."`
}

func (CacheCmd) Help() string {
	return `The chunk cache holds every chunk synco fetch downloaded, so the next fetch downloads
only what changed. It is in the user cache directory (~/.cache/synco on Linux) unless
--cache says otherwise, and is safe to share between concurrent fetches.

Examples:
  synco cache gc --max-size 5G
  synco cache gc --max-size 0B --cache ./chunks     # empty it
`
}

// CacheGCCmd is `synco cache gc`.
type CacheGCCmd struct {
	MaxSize string `name:"max-size" required:"" placeholder:"SIZE" help:"Keep at most this much: 500M, 5G (powers of 1000), 2GiB (of 1024), 4096B (bytes). A unit is required."`
	Cache   string `placeholder:"DIR" type:"dir" help:"Chunk cache directory (default: user cache dir/synco)."`
}

func (CacheGCCmd) Help() string {
	return `Removes the least recently used chunks until the cache holds at most SIZE. The next
fetch downloads what it needs again.

Examples:
  synco cache gc --max-size 5G
  synco cache gc --max-size 500MiB --cache /srv/synco-cache

` + cli.ExitCodes(cli.ExitOK, cli.ExitError, cli.ExitUsage, cli.ExitLocal, cli.ExitInterrupted)
}

func (c *CacheGCCmd) Run(env *cli.Env) error {
	max, err := cli.ParseSize(c.MaxSize)
	if err != nil {
		return &cli.UsageError{Msg: "--max-size: " + err.Error(), Hint: cli.SizeUnits}
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
	fmt.Fprintf(env.Stderr, "%s: removed %s (%s); cache is now %s\n", env.Prog, cli.Plural(removed, "chunk"), cli.FormatSize(freed), cli.FormatSize(size))
	return nil
}
