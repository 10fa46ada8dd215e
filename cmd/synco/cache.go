package main

import (
	"errors"
	"fmt"
	"io/fs"
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
	return `Removes the least recently used chunks until the cache holds at most SIZE. Chunks
that a fetch stored together (in one pack) are removed together, so the cache may end
up well below SIZE. The next fetch downloads what it needs again. --cache must name an
existing cache directory.

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
	// Opening a cache creates it: a mistyped --cache would be made and
	// "cleaned", and the real one left as it was.
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && c.Cache != "" {
		return &cli.UsageError{Msg: fmt.Sprintf("--cache %s: the cache directory does not exist", dir), Hint: "name the directory that synco fetch --cache used"}
	} else if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(env.Stderr, "%s: the cache %s does not exist yet: nothing to remove\n", env.Prog, dir)
		return nil
	} else if err != nil {
		return fmt.Errorf("open cache: %w", err)
	} else if !fi.IsDir() {
		return &cli.UsageError{Msg: fmt.Sprintf("--cache %s: not a directory", dir)}
	}
	cache, err := chunkstore.OpenCache(dir)
	if err != nil {
		return err
	}
	before, err := cache.Size(env.Ctx)
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
	fmt.Fprintf(env.Stderr, "%s\n", gcLine(env.Prog, max, before, removed, freed, size))
	return nil
}

// gcLine says what gc did: it removed removed chunks of freed bytes from a
// cache of before bytes to keep at most max, and the cache is now size. The
// cache evicts whole packs (the chunks a fetch stored together), so it may end
// well below max: the line says so then, rather than leave "cache is now 0 B"
// after --max-size 1M unexplained.
func gcLine(prog string, max, before, removed, freed, size int64) string {
	l := fmt.Sprintf("%s: removed %s (%s); cache is now %s", prog, cli.Plural(removed, "chunk"), cli.FormatSize(freed), cli.FormatSize(size))
	if removed > 0 && before > max && size < max && freed > before-max {
		l += fmt.Sprintf(", below --max-size %s: chunks are removed in whole packs (the chunks one fetch stored together), least recently used first", cli.FormatSize(max))
	}
	return l
}
