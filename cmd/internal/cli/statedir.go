package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// defaultStateDir is publish's state directory when --state-dir is not given:
// <user cache dir>/synco-lite/<key>, one per application. A store shared by every
// application on a server kept only the packs of the last one published, so
// publishing two sites in turn re-sealed everything every time.
func defaultStateDir(key string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a state directory: %w (pass --state-dir)", err)
	}
	return filepath.Join(base, "synco-lite", key), nil
}

// stateKey names what is published, for defaultStateDir: a short readable prefix
// and 8 hex digits of a hash, e.g. "shop-3f2a9c1d". A detected application is known
// by its directory (project, absolute); otherwise the key covers the database (dsn,
// without its password) and the --files and --stream specs (NAME=PATH, paths
// absolute), in any order.
func stateKey(project, dsn string, files, streams []string) string {
	h := sha256.New()
	var name string
	if project != "" {
		fmt.Fprintf(h, "project\x00%s\x00", project)
		name = filepath.Base(project)
	} else {
		db := withoutPassword(dsn)
		fmt.Fprintf(h, "db\x00%s\x00", db)
		if u, err := url.Parse(db); err == nil && db != "" {
			name = path.Base(u.Path)
		}
		for _, specs := range [][]string{files, streams} {
			specs = slices.Sorted(slices.Values(specs))
			fmt.Fprintf(h, "%d\x00%s\x00", len(specs), strings.Join(specs, "\x00"))
			if name == "" && len(specs) > 0 {
				name, _, _ = strings.Cut(specs[0], "=")
			}
		}
	}
	return readable(name) + "-" + hex.EncodeToString(h.Sum(nil)[:4])
}

// withoutPassword is dsn without the password in its user part or its query, or
// "" when it is no URL.
func withoutPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "" // it may hold a password where it cannot be told apart
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "pass") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// readable keeps up to 24 letters, digits, '-', '_' and '.' of s (ASCII, lower
// case; a run of other characters becomes one '-'), without '-' or '.' at the ends;
// "app" if nothing is left.
func readable(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			c = '-'
		}
		if c == '-' && strings.HasSuffix(b.String(), "-") {
			continue
		}
		b.WriteRune(c)
	}
	s = strings.Trim(b.String(), "-.")
	if len(s) > 24 {
		s = strings.Trim(s[:24], "-.")
	}
	if s == "" {
		return "app"
	}
	return s
}
