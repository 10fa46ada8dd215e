package fetch

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zeebo/blake3"

	"synco/internal/atomicfile"
	"synco/manifest"
)

// ErrReplay means the source offers a publication older than one this destination
// has already fetched from the same store (signing key): an old token, or a host
// replaying old objects. Deleted data would come back; nothing is installed.
var ErrReplay = errors.New("fetch: the source offers an older publication than one already fetched from it")

// seenDir, inside the cache, holds per store the creation time of the newest
// Ready root fetched from it.
const seenDir = "seen"

// seenPath is the record of the token's store in opt.Cache.
func seenPath(opt Options) string {
	sum := blake3.Sum256(opt.Token.SignPub)
	return filepath.Join(opt.Cache.Root(), seenDir, hex.EncodeToString(sum[:16]))
}

// checkRoot refuses a root that is not the token's publication (manifest.ErrRootAuth):
// every publication of a store shares its keys, so the signature alone does not
// tell them apart.
func (f *fetcher) checkRoot(root *manifest.Root) error {
	if root.PubID != f.opt.Token.PubID {
		return fmt.Errorf("root of another publication of the same source: %w", manifest.ErrRootAuth)
	}
	return nil
}

// checkFresh refuses a Ready root older than the newest one fetched before from
// the same store (ErrReplay), and records root as seen.
func (f *fetcher) checkFresh(root *manifest.Root) error {
	if f.opt.Cache == nil {
		return nil
	}
	path := seenPath(f.opt)
	if b, err := os.ReadFile(path); err == nil {
		if seen, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && root.Created < seen {
			return ErrReplay
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("record fetched publication: %w", err)
	}
	if err := atomicfile.Write(path, []byte(strconv.FormatInt(root.Created, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("record fetched publication: %w", err)
	}
	return nil
}
