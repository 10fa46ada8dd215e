package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/alecthomas/kong"
	"github.com/klauspost/compress/gzip"
	"gopkg.in/yaml.v3"

	"synco/cmd/internal/cli"
	"synco/manifest"
	"synco/remote"
)

// PullCmd is `synco pull`.
type PullCmd struct {
	Source    string   `arg:"" optional:"" help:"Where the application lives: [user@]host:PATH, ssh://[user@]host[:port]/PATH, docker://CONTAINER/PATH, kubectl://NAMESPACE/POD[:CONTAINER]/PATH, a PATH with --via, or the name of a source in .synco.yml (default: its only one, or the one named default)."`
	Via       string   `placeholder:"CMD" help:"Reach the source with CMD, a command that runs the shell command line given as its last argument on the source (e.g. 'ssh -J bastion prod', 'docker exec -i app sh -c')."`
	RemoteDir string   `name:"remote-dir" placeholder:"DIR" help:"Directory on the source for synco-lite and its state (default: ~/.cache/synco-lite of the remote user); it must be writable and allow running programs."`
	Context   string   `name:"context" placeholder:"NAME" help:"The docker or kubectl context to use."`
	HTTP      httpFlag `name:"http" help:"--http[=PORT]: the source serves the publication with its HTTP server on 0.0.0.0:PORT (default 8470), and the data comes over that direct connection instead of the channel (which still starts and stops synco-lite and carries the token)."`
	HTTPURL   string   `name:"http-url" placeholder:"URL" help:"With --http: the URL by which this machine reaches the source's port (behind NAT, a proxy; required for docker, kubectl and --via). Default: http://<ssh host>:PORT."`

	To       string `placeholder:"DIR" type:"path" help:"Directory to write the published files and streams into."`
	JSON     bool   `name:"json" help:"Print one JSON object with statistics on stdout at the end (the fields of synco fetch --json and agent_upload_bytes)."`
	Parallel int    `default:"4" help:"Concurrent downloads."`
	Cache    string `placeholder:"DIR" type:"path" help:"Chunk cache kept between fetches (default: user cache dir/synco)."`
	DB       string `name:"db" env:"SYNCO_LOCAL_DB" placeholder:"DSN" help:"Local database to install the published dump into (mysql://… or postgres://…), as synco fetch --db."`

	ProjectInstall `embed:""`
	TableFlags     `embed:""`
	RewriteFlags   `embed:""`
}

func (c *PullCmd) Help() string {
	return `Runs synco-lite on the source through ssh, docker exec, kubectl exec or any command
(--via), fetches what it publishes over that same channel (no port, no firewall
rule: the data travels sealed over the channel's stdin and stdout), installs it as
synco fetch does, and stops the source's side as soon as every chunk is downloaded
(the install goes on locally meanwhile). synco-lite is uploaded to the source
once per version (~/.cache/synco-lite/VERSION/, --remote-dir), and the source keeps
its state between pulls, so daily pulls move only what changed. With --http the
source serves the data on a port (0.0.0.0:8470 by default) and it comes over that
direct connection; the channel still starts and stops synco-lite and carries the
token (never shown).

Examples:
  cd ~/src/app
  synco pull deploy@prod.example.com:/var/www/app
  synco pull ssh://deploy@prod.example.com:2222/var/www/app --only db
  synco pull docker://app-web/var/www/html --to ./sync
  synco pull kubectl://shop/web-7d9c:php/var/www/app
  synco pull --via 'ssh -J bastion prod' /var/www/app
  synco pull --http=8470 --http-url http://203.0.113.7:8470 deploy@prod:/var/www/app
  synco pull prod                 # a source named in .synco.yml:

  sources:
    prod:
      from: deploy@prod.example.com:/var/www/app
    staging:
      via: ssh -J bastion staging
      from: /var/www/app

ssh is the system's (its config, agent, ProxyJump and known_hosts apply);
SYNCO_SSH replaces it, like GIT_SSH_COMMAND (e.g. SYNCO_SSH='ssh -F ./ssh_config').
docker honours DOCKER_HOST, kubectl KUBECONFIG; --context selects either's context.
synco finds synco-lite for the source's platform next to its own executable
(synco-lite, synco-lite-OS-ARCH) or in SYNCO_LITE_DIR.

` + cli.ExitCodesHelp
}

// pulled is what synco pull hands to FetchCmd.
type pulled struct {
	token     manifest.Token
	transport http.RoundTripper
	uploaded  int64
	end       func() // ends the agent once the download is complete (fetch.Options.Downloaded)
}

// sourcesFile is the sources part of .synco.yml.
type sourcesFile struct {
	Sources map[string]struct {
		From string `yaml:"from"`
		Via  string `yaml:"via"`
	} `yaml:"sources"`
}

func (c *PullCmd) Run(env *cli.Env) error {
	ch, err := c.channel()
	if err != nil {
		return err
	}
	ch.SSHCommand = os.Getenv("SYNCO_SSH")
	ch.Context = c.Context
	prog, w := env.Prog, env.Stderr
	base, err := c.httpBase(ch)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: source: %s, %s\n", prog, ch, cli.Clean(orHome(ch.Path)))

	path := ch.Path
	if path == "" {
		path = "."
	}
	o := remote.Options{Base: c.RemoteDir, Version: agentVersion(), Agent: findAgent, Path: path, Gzip: gzipAgent}
	if c.Only != "" {
		o.Args = []string{"--only", c.Only} // the source then dumps or reads only that
	}
	if base != "" {
		fmt.Fprintf(w, "%s: the data comes over HTTP from %s\n", prog, cli.Clean(base))
		o.Listen, o.URL = fmt.Sprintf("0.0.0.0:%d", c.HTTP), base
	}
	// One run of the channel program probes the source, uploads synco-lite when
	// it is not there yet, and starts it. Without a record of having installed
	// this version there, the upload starts at once, with the connection.
	record := agentRecord(c.Cache, ch, o.Base, o.Version)
	if _, err := os.Stat(record); err != nil && record != "" {
		o.Offer = true
	}
	s, err := remote.Open(env.Ctx, ch, o)
	if err != nil {
		return err
	}
	if o.Offer { // best effort: without it, the next pull offers the agent again
		if os.MkdirAll(filepath.Dir(record), 0o700) == nil {
			os.WriteFile(record, []byte(s.Platform.Sum+"\n"), 0o600)
		}
	}
	uploaded, p := s.Uploaded, s.Platform
	if uploaded > 0 {
		how := "sent"
		if p.Gzip {
			how = "sent gzip-compressed"
		}
		fmt.Fprintf(w, "%s: uploaded synco-lite for %s/%s (%s %s) into %s\n", prog, p.OS, p.Arch, cli.FormatSize(uploaded), how, cli.Clean(p.Dir()))
	}
	defer s.Close()
	// The agent is ended as soon as every chunk is in the cache: the install
	// goes on meanwhile, and the wait for the agent to stop (the removal of what
	// it published, a dictionary it still trains for the next publications)
	// overlaps it instead of following it.
	var ended atomic.Bool
	pl := &pulled{token: s.Token, uploaded: uploaded, end: func() {
		ended.Store(true)
		go s.Close()
	}}
	if s.Transport != nil {
		pl.transport = s.Transport
	}
	fc := &FetchCmd{
		To: c.To, JSON: c.JSON, Parallel: c.Parallel, Cache: c.Cache, DB: c.DB,
		ProjectInstall: c.ProjectInstall, TableFlags: c.TableFlags, RewriteFlags: c.RewriteFlags,
		pull: pl,
	}
	err = fc.Run(env)
	if err != nil && env.Ctx.Err() == nil && !ended.Load() && s.Exited() {
		// The channel or the agent went away: what it said is the reason.
		return fmt.Errorf("%w (the source's side ended: %s)", err, lastLines(s.Stderr(), 3))
	}
	if err == nil {
		for _, l := range sourceWarnings(s.Stderr()) {
			fmt.Fprintf(w, "%s: source: %s\n", prog, l)
		}
	}
	return err
}

// sourceWarnings are the warnings in what the agent wrote on stderr (columns
// that look personal but have no scrub rule, what the copy lacks), which a
// pull's user would not see otherwise: each line that says "warning:" after
// the program's name, and the indented lines that follow it, without that
// name, made safe for a terminal (the source's text).
func sourceWarnings(stderr string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(stderr, "\n") {
		_, rest, _ := strings.Cut(l, ": ")
		switch {
		case strings.HasPrefix(rest, "warning:") || strings.HasPrefix(rest, "WARNING:"):
			in = true
		case in && strings.HasPrefix(rest, "  "):
		default:
			in = false
			continue
		}
		out = append(out, cli.Clean(rest))
	}
	return out
}

// httpFlag is --http[=PORT]: 0 when not given, 8470 without a port.
type httpFlag int

// Decode takes --http alone or --http=PORT (never the next argument).
func (f *httpFlag) Decode(ctx *kong.DecodeContext) error {
	*f = 8470
	if ctx.Scan.Peek().Type != kong.FlagValueToken {
		return nil
	}
	v := fmt.Sprint(ctx.Scan.Pop().Value)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--http takes a port number (1-65535), not %q", v)
	}
	*f = httpFlag(n)
	return nil
}

// IsBool makes --http a flag that takes no separate value.
func (f *httpFlag) IsBool() bool { return true }

// httpBase is the URL by which the destination reaches the agent with --http
// ("" without it).
func (c *PullCmd) httpBase(ch remote.Channel) (string, error) {
	if c.HTTP == 0 {
		if c.HTTPURL != "" {
			return "", &cli.UsageError{Msg: "--http-url needs --http"}
		}
		return "", nil
	}
	if c.HTTPURL != "" {
		u, err := url.Parse(c.HTTPURL)
		if err != nil || u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return "", &cli.UsageError{Msg: "--http-url must be an http://host[:port][/path] URL (the source serves plain HTTP; the data is sealed)"}
		}
		return strings.TrimSuffix(c.HTTPURL, "/"), nil
	}
	if ch.Kind != remote.SSH {
		return "", &cli.UsageError{Msg: "--http with docker, kubectl or --via needs --http-url URL: how this machine reaches the source's port"}
	}
	return "http://" + net.JoinHostPort(ch.Host, strconv.Itoa(int(c.HTTP))), nil
}

// channel resolves the SOURCE argument (or .synco.yml) and --via.
func (c *PullCmd) channel() (remote.Channel, error) {
	spec, via := c.Source, c.Via
	if via == "" && !strings.Contains(spec, ":") {
		// A name from .synco.yml (none: the only one, or "default").
		srcs, file, err := c.sources()
		if err != nil {
			return remote.Channel{}, err
		}
		name := spec
		if name == "" {
			switch {
			case len(srcs.Sources) == 1:
				for n := range srcs.Sources {
					name = n
				}
			case srcs.Sources["default"].From != "":
				name = "default"
			default:
				return remote.Channel{}, &cli.UsageError{Msg: "no source given: pass one, e.g. synco pull deploy@prod:/var/www/app, or name sources in .synco.yml (one, or one called default)"}
			}
		}
		src, ok := srcs.Sources[name]
		if !ok || src.From == "" {
			names := make([]string, 0, len(srcs.Sources))
			for n := range srcs.Sources {
				names = append(names, n)
			}
			slices.Sort(names)
			if file == "" {
				return remote.Channel{}, &cli.UsageError{Msg: fmt.Sprintf("%q is neither a source (host:PATH, ssh://, docker://, kubectl://) nor a name in .synco.yml (there is none in %s)", spec, c.Dir)}
			}
			return remote.Channel{}, &cli.UsageError{Msg: fmt.Sprintf("%s has no source %q (it has: %s)", file, name, strings.Join(names, ", "))}
		}
		spec, via = src.From, src.Via
	}
	ch, err := remote.ParseSource(spec, via)
	if err != nil {
		return remote.Channel{}, &cli.UsageError{Msg: strings.TrimPrefix(err.Error(), "remote: ")}
	}
	return ch, nil
}

// sources reads .synco.yml of the local project (or of --dir); file is "" when
// there is none.
func (c *PullCmd) sources() (sourcesFile, string, error) {
	dir := c.Dir
	if p, err := cli.DetectProject(c.Dir); err == nil {
		dir = p.Root
	}
	file := filepath.Join(dir, ".synco.yml")
	var sf sourcesFile
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return sf, "", nil
	}
	if err != nil {
		return sf, "", err
	}
	if err := yaml.Unmarshal(b, &sf); err != nil {
		return sf, "", &cli.UsageError{Msg: fmt.Sprintf("%s: %v", file, err)}
	}
	return sf, file, nil
}

// agentVersion names the directory of this build's synco-lite on the source.
func agentVersion() string {
	v := []byte(cli.VersionString())
	for i, b := range v {
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '-' || b == '_') {
			v[i] = '_'
		}
	}
	return string(v)
}

// findAgent finds synco-lite for goos/goarch: in $SYNCO_LITE_DIR, then next to this
// executable; "synco-lite" is this platform's, "synco-lite-OS-ARCH" any's.
func findAgent(goos, goarch string) (string, error) {
	names := []string{"synco-lite-" + goos + "-" + goarch}
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		names = append([]string{"synco-lite"}, names...)
	}
	var dirs []string
	if d := os.Getenv("SYNCO_LITE_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		dirs = append(dirs, filepath.Dir(exe))
	}
	for _, d := range dirs {
		for _, n := range names {
			if fi, err := os.Stat(filepath.Join(d, n)); err == nil && fi.Mode().IsRegular() {
				return filepath.Join(d, n), nil
			}
		}
	}
	return "", fmt.Errorf("no synco-lite for the source's platform %s/%s here: looked for %s in %s: %w",
		goos, goarch, strings.Join(names, " and "), strings.Join(dirs, " and "), remote.ErrUnsupported)
}

func orHome(path string) string {
	if path == "" {
		return "the login directory"
	}
	return path
}

// lastLines returns the last n non-empty lines of s, joined with "; ".
func lastLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	if len(out) == 0 {
		return "nothing on stderr"
	}
	return strings.Join(out, "; ")
}

// gzipAgent makes the gzip writer of synco-lite's upload: klauspost's level 3,
// measured on the 11.5 MB synco-lite: 5.16 MB in ≈ 85 ms, where the standard
// library's BestSpeed took ≈ 250 ms for 5.35 MB; a first pull's upload waits
// for it. (Here, not in package remote: synco-lite links that one too.)
func gzipAgent(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, 3) }

// agentRecord is the file (under the chunk cache, or "" if there is none) that
// records that this machine had agent version installed in base on the source
// of ch: remote.Options.Offer is for sources without one.
func agentRecord(cache string, ch remote.Channel, base, version string) string {
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(dir, "synco")
	}
	h := sha256.Sum256([]byte(ch.String() + "\x00" + ch.ViaCommand + "\x00" + base + "\x00" + version))
	return filepath.Join(cache, "agents", hex.EncodeToString(h[:12]))
}
