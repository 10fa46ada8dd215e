package e2e_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"synco/manifest"
)

// Tests of issue 13 §6, "a consistent CLI": one spelling of the table flags on both
// sides, --version and "help", hints that name the failing command and its own
// flags, sizes with units, a refused empty --to, and one publish state per
// application.

// deadToken is a well-formed token for a server that is not there.
func deadToken() string {
	return manifest.Token{
		URL:     "http://127.0.0.1:9/unguessablepath",
		SignPub: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey),
	}.String()
}

// runIn runs binary with args in dir ("" for the test's own) and env, to completion.
func runIn(t *testing.T, dir string, env []string, binary string, args ...string) fetchResult {
	t.Helper()
	p := startDir(t, dir, binary, "", env, args...)
	code := p.wait(60 * time.Second)
	return fetchResult{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// TestTableFlagSpellings checks that publish and fetch accept both spellings of the
// table flags and that --help shows one: --exclude-tables (and --tables).
func TestTableFlagSpellings(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	for _, args := range [][]string{
		{bin.lite, "publish", "--exclude-tables", "cache_*", "--state-dir", t.TempDir()},
		{bin.lite, "publish", "--exclude-table", "cache_*", "--state-dir", t.TempDir()},
		{bin.synco, "publish", "--exclude-tables", "cache_*", "--state-dir", t.TempDir()},
		{bin.synco, "fetch", "--exclude-tables", "cache_*", "--to", empty},
		{bin.synco, "fetch", "--exclude-table", "cache_*", "--to", empty},
		{bin.synco, "fetch", "--table", "wp_*", "--to", empty},
	} {
		// Parsed, then refused for what is missing (a project to detect, a token).
		r := runIn(t, empty, nil, args[0], args[1:]...)
		name := filepath.Base(args[0]) + " " + strings.Join(args[1:], " ")
		if r.code != 2 || strings.Contains(r.stderr, "unknown flag") || strings.Contains(r.stderr, "unexpected") {
			t.Errorf("%s: exit %d, want 2 for what is missing, not for the flag:\n%s", name, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{bin.lite, "publish", "--help"}, {bin.synco, "publish", "--help"}, {bin.synco, "fetch", "--help"}} {
		r := runIn(t, "", nil, args[0], args[1:]...)
		if !strings.Contains(r.stdout, "--exclude-tables=GLOB") || strings.Contains(r.stdout, "--exclude-table=") {
			t.Errorf("%s %s: want --exclude-tables=GLOB (and not --exclude-table=) in:\n%s", filepath.Base(args[0]), args[1], r.stdout)
		}
	}
}

// TestVersionFlag checks --version on both binaries (the version command stays).
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	for _, b := range []string{bin.lite, bin.synco} {
		name := filepath.Base(b)
		for _, args := range [][]string{{"--version"}, {"version"}} {
			r := runIn(t, "", nil, b, args...)
			if r.code != 0 || !regexp.MustCompile(`^`+name+` \S+\n$`).MatchString(r.stdout) {
				t.Errorf("%s %s: exit %d, stdout %q; want 0 and %q\n%s", name, args[0], r.code, r.stdout, name+" <version>\n", r.stderr)
			}
		}
	}
}

// TestHelpCommand checks that "help [command]" prints what "[command] --help" does.
func TestHelpCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		bin  string
		args []string
	}{
		{bin.synco, nil},
		{bin.synco, []string{"fetch"}},
		{bin.synco, []string{"publish"}},
		{bin.synco, []string{"cache"}},
		{bin.synco, []string{"cache", "gc"}},
		{bin.synco, []string{"detect"}},
		{bin.lite, nil},
		{bin.lite, []string{"publish"}},
	} {
		name := filepath.Base(c.bin) + " help " + strings.Join(c.args, " ")
		help := runIn(t, "", nil, c.bin, append([]string{"help"}, c.args...)...)
		flag := runIn(t, "", nil, c.bin, append(c.args, "--help")...)
		if help.code != 0 || flag.code != 0 {
			t.Errorf("%s: exit %d (--help: %d), want 0\n%s", name, help.code, flag.code, help.stderr)
			continue
		}
		if help.stdout != flag.stdout || !strings.Contains(help.stdout, "Usage:") {
			t.Errorf("%s printed\n%s\nwant what --help prints:\n%s", name, help.stdout, flag.stdout)
		}
	}
	r := runIn(t, "", nil, bin.synco, "help", "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, "synco: hint: ") {
		t.Errorf("synco help frobnicate: exit %d, want 2 with a hint\n%s", r.code, r.stderr)
	}
}

// TestEveryHelpHasExamples checks that every command's --help shows examples, and
// the exit codes where the command has more than success and failure.
func TestEveryHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		bin       string
		args      []string
		exitCodes []string // what the exit code table must hold
	}{
		{bin.synco, []string{"fetch"}, []string{"  3 ", "  5 ", "  130 "}},
		{bin.synco, []string{"publish"}, []string{"  2 ", "  6 ", "  130 "}},
		{bin.lite, []string{"publish"}, []string{"  2 ", "  6 ", "  130 "}},
		{bin.synco, []string{"detect"}, []string{"  2 "}},
		{bin.synco, []string{"cache", "gc"}, []string{"  2 ", "  6 "}},
		{bin.synco, []string{"cache"}, nil},
		{bin.synco, []string{"version"}, nil},
		{bin.lite, []string{"version"}, nil},
		{bin.synco, []string{"help"}, nil},
	} {
		name := filepath.Base(c.bin) + " " + strings.Join(c.args, " ") + " --help"
		r := runIn(t, "", nil, c.bin, append(c.args, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:\n") {
			t.Errorf("%s: exit %d, want 0 and examples:\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		_, table, ok := strings.Cut(r.stdout, "Exit codes:\n")
		if len(c.exitCodes) > 0 && !ok {
			t.Errorf("%s: no exit codes:\n%s", name, r.stdout)
		}
		for _, want := range c.exitCodes {
			if !strings.Contains(table, want) {
				t.Errorf("%s: exit code table lacks %q:\n%s", name, want, table)
			}
		}
	}
	// Codes a command never returns are not in its table.
	r := runIn(t, "", nil, bin.lite, "publish", "--help")
	if _, table, _ := strings.Cut(r.stdout, "Exit codes:\n"); strings.Contains(table, "token mistyped") {
		t.Errorf("synco-lite publish --help lists fetch's exit codes:\n%s", table)
	}
}

// TestHintsNameTheCommand checks that a usage error's hint points at the failing
// command's --help, and that a fetch outside a project names fetch's flags.
func TestHintsNameTheCommand(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	for _, c := range []struct {
		bin      string
		args     []string
		hint     string // the hint line must hold this
		mustNot  string // and stderr must not
		mustHave string // and stderr must
	}{
		{bin.synco, nil, `"synco --help"`, "", ""},
		{bin.synco, []string{"fetch", "--bogus"}, `"synco fetch --help"`, "", ""},
		{bin.synco, []string{"fetch", "--to", empty, "a", "b"}, `"synco fetch --help"`, "", ""},
		{bin.synco, []string{"cache", "gc"}, `"synco cache gc --help"`, "", ""},
		{bin.synco, []string{"cache", "frobnicate"}, `"synco cache --help"`, "", ""},
		{bin.synco, []string{"publish", "--bogus"}, `"synco publish --help"`, "", ""},
		{bin.lite, []string{"publish", "--bogus"}, `"synco-lite publish --help"`, "", ""},
		{bin.lite, []string{"publish", "--state-dir", t.TempDir()}, `"synco-lite publish --help"`, "", "--files"},
		// In a directory without a project: --files is a publish flag.
		{bin.synco, []string{"fetch", deadToken()}, `"synco fetch --help"`, "--files", "--to"},
	} {
		name := filepath.Base(c.bin) + " " + strings.Join(c.args, " ")
		r := runIn(t, empty, nil, c.bin, c.args...)
		prog := filepath.Base(c.bin)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2\n%s", name, r.code, r.stderr)
			continue
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], prog+": error: ") || !strings.HasPrefix(lines[1], prog+": hint: ") {
			t.Errorf("%s: stderr is not one error and one hint line:\n%s", name, r.stderr)
			continue
		}
		if !strings.Contains(lines[1], c.hint) {
			t.Errorf("%s: hint does not name %s:\n%s", name, c.hint, r.stderr)
		}
		if c.mustNot != "" && strings.Contains(r.stderr, c.mustNot) {
			t.Errorf("%s: stderr names %s, which is not this command's:\n%s", name, c.mustNot, r.stderr)
		}
		if c.mustHave != "" && !strings.Contains(r.stderr, c.mustHave) {
			t.Errorf("%s: stderr does not name %s:\n%s", name, c.mustHave, r.stderr)
		}
	}
}

// TestCacheGCSizeNeedsUnit checks that --max-size 5 is refused rather than taken as
// 5 bytes, and that explicit units work.
func TestCacheGCSizeNeedsUnit(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	for _, bad := range []string{"5", "1.5", "500 000"} {
		r := runIn(t, "", nil, bin.synco, "cache", "gc", "--max-size", bad, "--cache", cache)
		if r.code != 2 || !strings.Contains(r.stderr, "synco: hint: ") || !strings.Contains(r.stderr, "GiB") || !strings.Contains(r.stderr, "B ") {
			t.Errorf("cache gc --max-size %q: exit %d, want 2 and a hint with the units:\n%s", bad, r.code, r.stderr)
		}
	}
	for _, good := range []string{"5B", "5M", "2GiB", "1.5G", "10KiB", "7K"} {
		r := runIn(t, "", nil, bin.synco, "cache", "gc", "--max-size", good, "--cache", cache)
		if r.code != 0 {
			t.Errorf("cache gc --max-size %s: exit %d, want 0\n%s", good, r.code, r.stderr)
		}
	}
}

// TestFetchTarget checks that an empty --to is refused (it meant the current
// directory) and that / and the home directory are written into only with a warning.
func TestFetchTarget(t *testing.T) {
	t.Parallel()
	cwd := t.TempDir()
	for _, flag := range []string{"--to", "--cache"} {
		args := []string{"fetch", deadToken(), "--to", t.TempDir(), "--cache", t.TempDir()}
		for i := range args {
			if args[i] == flag {
				args[i+1] = ""
			}
		}
		r := runIn(t, cwd, nil, bin.synco, args...)
		if r.code != 2 || !strings.Contains(r.stderr, flag) || !strings.Contains(r.stderr, "synco: hint: ") {
			t.Errorf("fetch %s \"\": exit %d, want 2 naming the flag\n%s", flag, r.code, r.stderr)
		}
	}
	if names := listDir(t, cwd); len(names) != 0 {
		t.Errorf("the refused fetches wrote into the current directory: %v", names)
	}

	src := t.TempDir()
	makeApp(t, src, 13)
	pub := publish(t, append(sourceArgs(src), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())...)
	defer pub.stop()

	// / with --dry-run (nothing is written): the warning, and the plan says it too.
	r := runIn(t, "", nil, bin.synco, "fetch", pub.token, "--to", "/", "--cache", t.TempDir(), "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, "synco: warning: --to / is the root directory") || !strings.Contains(r.stderr, "  - write into / (the root directory)") {
		t.Errorf("fetch --to / --dry-run: exit %d, want 0 with a warning and the plan naming /:\n%s", r.code, r.stderr)
	}
	// $HOME: written, with the warning.
	home := t.TempDir()
	r = runIn(t, "", []string{"HOME=" + home}, bin.synco, "fetch", pub.token, "--to", home, "--cache", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stderr, "synco: warning: --to "+home+" is your home directory") {
		t.Errorf("fetch --to $HOME: exit %d, want 0 with a warning:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, "data", "big.bin")); err != nil {
		t.Errorf("fetch --to $HOME wrote nothing: %v", err)
	}
	// Elsewhere: no warning.
	r = runIn(t, "", []string{"HOME=" + home}, bin.synco, "fetch", pub.token, "--to", filepath.Join(home, "sync"), "--cache", t.TempDir())
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("fetch --to $HOME/sync: exit %d, want 0 without a warning:\n%s", r.code, r.stderr)
	}
}

// TestDefaultStatePerApplication publishes two applications one after the other from
// the default state location: neither drops the other's packs, and publishing the
// first again reuses all of its files.
func TestDefaultStatePerApplication(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}
	a, b := t.TempDir(), t.TempDir()
	makeApp(t, a, 21)
	makeApp(t, b, 22)
	run := func(src string) string {
		t.Helper()
		p := &publisher{proc: start(t, bin.lite, "", env, append([]string{"publish", "--listen", "127.0.0.1:0"}, sourceArgs(src)...)...)}
		p.waitReady()
		p.stop()
		return p.stderr.String()
	}
	first := run(a)
	if strings.Contains(first, "files unchanged") && !strings.Contains(first, " 0 files unchanged") {
		t.Fatalf("the first publish found files of an earlier run:\n%s", first)
	}
	second := run(b)
	if strings.Contains(second, "the store dropped") {
		t.Errorf("publishing a second application dropped packs:\n%s", second)
	}
	again := run(a)
	m := regexp.MustCompile(`; (\d+) files? unchanged since the last run`).FindStringSubmatch(again)
	n := -1
	if m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	if n < 34 {
		t.Errorf("publishing the first application again did not reuse its 34 files:\n%s", again)
	}
	states, err := os.ReadDir(filepath.Join(home, ".cache", "synco-lite"))
	if err != nil || len(states) != 2 {
		t.Errorf("want two state directories under $XDG_CACHE_HOME/synco-lite, got %v (%v)", states, err)
	}
}
