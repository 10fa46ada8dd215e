package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"synco/chunkstore"
	"synco/frameworks"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
)

// PublishCmd is `publish`, shared by synco-lite and synco.
type PublishCmd struct {
	Files    []string      `name:"files" sep:"none" placeholder:"NAME=DIR" help:"Publish the tree under DIR as NAME/… (repeatable)."`
	Stream   []string      `name:"stream" sep:"none" placeholder:"NAME=FILE" help:"Publish FILE as NAME, chunked as a database dump (repeatable)."`
	Listen   string        `default:"0.0.0.0:8470" help:"Address the embedded HTTP server listens on."`
	URL      string        `name:"url" placeholder:"URL" help:"Base URL under which the destination reaches this server (or --out DIR). Default: http://<hostname>:<port> (https with --tls)."`
	TLS      bool          `name:"tls" help:"Serve HTTPS with a certificate made for this run. The token pins it: the destination needs no certificate authority and accepts no other server, and nobody on the path sees which parts are fetched."`
	Out      string        `placeholder:"DIR" type:"dir" help:"Write the publication as plain files into DIR (e.g. a web server's document root) instead of serving it; needs --url."`
	TTL      time.Duration `name:"ttl" help:"Stop serving and clean up after this long (e.g. 2h); a destination that is downloading then may finish first (at most 10 min). Default: until Ctrl-C or SIGTERM."`
	Keep     bool          `help:"Leave the published files in --out DIR when stopping."`
	StateDir string        `name:"state-dir" placeholder:"DIR" type:"dir" help:"Source store kept between runs so unchanged content is not re-read. Default: one per application, user cache dir/synco-lite/NAME-HASH, named after the detected application's directory, or the --db (without password), --files and --stream given."`
	Parallel int           `default:"0" help:"Workers that read, chunk and seal (default: number of CPUs)."`
	Rotate   bool          `help:"Give the store new keys before publishing: tokens printed before can read nothing published from now on. The next fetch downloads everything once."`
	Once     bool          `help:"Stop after the first complete fetch (a destination that downloaded what it needs says so; one that only showed its plan, a --dry-run, or one its user declined, does not end it), and remove what was published."`

	DBFlags      `embed:""`
	ProjectFlags `embed:""`

	skips   map[string]func(rel string) bool       // file set → files to leave out (from detection)
	public  map[string]func(string) (string, bool) // file set → public URL of a file (--public-url)
	fetched <-chan struct{}                        // closed after the first fetch served (--once)
	busy    atomic.Pointer[func() string]          // a destination downloading now ("": none; unset: not known, with --out)
	agent   bool                                   // run by synco pull (AgentCmd): its errors advise pull, not publish's flags
}

// Help is shown by kong under the command's usage.
func (c *PublishCmd) Help() string {
	return `Publishes files and streams for one "synco fetch" on another machine. Prints exactly
one line on stdout, "synco fetch <token>"; everything else goes to stderr. Serves until
Ctrl-C, SIGTERM or --ttl, then removes what it published.

Without --db, --files or --stream it detects the application in --dir (default: the
current directory): Neos/Flow, Symfony, Laravel, WordPress, Drupal, TYPO3. It reads
the database credentials from the application's own configuration and publishes the
database and the upload directories, without the rows of cache, session and log
tables (--all keeps them).

Examples:
  cd /var/www/app && synco-lite publish     # detect everything

  synco-lite publish --files persistent=/var/www/app/Data/Persistent \
      --stream dump.sql=/backups/today.sql --url http://prod.example.com:8470

  # the database, dumped natively (no mysqldump needed), and the uploads
  SYNCO_DB='mysql://app:secret@127.0.0.1:3306/app' synco-lite publish \
      --files uploads=/var/www/app/uploads --structure-only 'cache_*'

  # HTTPS without a certificate authority: the token pins this run's certificate
  synco-lite publish --stream dump.sql=/backups/today.sql --tls

  # behind an existing web server: write into its document root
  synco-lite publish --files uploads=./uploads --out /var/www/html/sync \
      --url https://example.com/sync

` + PublishExitCodes
}

// inputs parses --files, --stream and --db, or detects the application in --dir
// when none is given.
func (c *PublishCmd) inputs(env *Env) (publish.Inputs, error) {
	stderr, prog := env.Stderr, env.Prog
	var in publish.Inputs
	detect := len(c.Files)+len(c.Stream) == 0 && c.DB == ""
	if c.PublicURL != "" {
		if !detect {
			return in, usageError("--public-url works with a detected application (no --db, --files or --stream)")
		}
		if err := manifest.ValidURL(c.PublicURL); err != nil {
			return in, usageError("--public-url: want the site's address, like https://www.example.com")
		}
	}
	project := "" // the detected application's directory
	if detect {
		var err error
		if project, err = c.detect(env); err != nil {
			return in, err
		}
	}
	for _, f := range c.Files {
		name, dir, err := splitSpec("--files", f)
		if err != nil {
			return in, err
		}
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() {
			return in, usageError(fmt.Sprintf("--files %s: %s is not a directory", name, dir))
		}
		in.FileSets = append(in.FileSets, publish.FileSet{Name: name, Dir: dir, Skip: c.skips[name], Public: c.public[name]})
	}
	for _, s := range c.Stream {
		name, file, err := splitSpec("--stream", s)
		if err != nil {
			return in, err
		}
		fi, err := os.Stat(file)
		if err != nil {
			return in, usageError(fmt.Sprintf("--stream %s: %v", name, err))
		}
		if !fi.Mode().IsRegular() {
			return in, usageError(fmt.Sprintf("--stream %s: %s is not a regular file (for a directory use --files %s=%s)", name, file, name, file))
		}
		in.Streams = append(in.Streams, publish.StreamFile{Name: name, Path: file, Class: chunkstore.ClassDB})
	}
	if c.DB != "" && c.scrubPlan == nil {
		if err := c.setScrub("", "", c.ProjectFlags.Dir); err != nil {
			return in, err
		}
	}
	d, check, err := c.dump(c.workers())
	if err != nil {
		return in, err
	}
	if c.scrubPlan != nil { // after the flags were checked: a usage error is one error and one hint
		describeScrub(stderr, prog, c.scrubPlan)
	}
	if d != nil {
		if err := check(env.Ctx); err != nil {
			return in, fmt.Errorf("database: %w", err) // before any token is printed
		}
		in.Dumps = append(in.Dumps, *d)
	}
	if len(in.FileSets)+len(in.Streams)+len(in.Dumps) == 0 {
		return in, usageError("nothing to publish: give --db DSN, --files NAME=DIR and/or --stream NAME=FILE")
	}
	if c.StateDir == "" {
		var err error
		if c.StateDir, err = c.defaultStateDir(in, project); err != nil {
			return in, err
		}
	}
	return in, nil
}

// defaultStateDir is the state directory of the inputs: one per application
// (project, its directory), else per --db (without password), --files and --stream.
func (c *PublishCmd) defaultStateDir(in publish.Inputs, project string) (string, error) {
	var files, streams []string
	for _, f := range in.FileSets {
		files = append(files, f.Name+"="+absPath(f.Dir))
	}
	for _, s := range in.Streams {
		streams = append(streams, s.Name+"="+absPath(s.Path))
	}
	dsn := c.DB
	if project != "" {
		dsn, files, streams = "", nil, nil // known by its directory
	}
	return defaultStateDir(stateKey(project, dsn, files, streams))
}

// detect detects the application in --dir and sets the flags it implies: --db,
// the scrub plan, the tables left out or filtered, the files to skip, --public-url
// and --files. It returns the application's directory.
func (c *PublishCmd) detect(env *Env) (string, error) {
	stderr, prog := env.Stderr, env.Prog
	dir := c.ProjectFlags.Dir
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() || errors.Is(err, fs.ErrNotExist) {
		what := "does not exist"
		if err == nil {
			what = "is not a directory"
		}
		if c.agent {
			return "", usageError(fmt.Sprintf("the application's directory %s %s on the source", dir, what))
		}
		return "", usageError(fmt.Sprintf("--dir %s %s; give the application's directory, or say what to publish with --db, --files and --stream", dir, what))
	}
	p, err := DetectProject(dir)
	if errors.Is(err, frameworks.ErrNotFound) && c.agent {
		// synco pull selects nothing but the application's directory (and --only).
		return "", usageError(WithoutPublishAdvice(err) + "; synco pull takes the application's directory: to sync a database and directories without one, run synco-lite publish --db DSN --files NAME=DIR on the source and synco fetch here")
	}
	if err != nil {
		return "", &UsageError{Msg: err.Error()} // it names what was looked at and the flags to use
	}
	describe(stderr, prog, p, c.All)
	if p.DB == nil && p.Undetermined != "" {
		// Publishing only the files would look like success; guessing the
		// database could publish the wrong one.
		return "", usageError(fmt.Sprintf("the %s project's database could not be determined: %s; pass --db DSN (or SYNCO_DB)", p.Framework, p.Undetermined))
	}
	if p.DB != nil {
		c.DB = p.DB.DSN
		if err := c.setScrub(p.Framework, p.TablePrefix, p.Root); err != nil {
			return "", err
		}
		c.ExcludeTable = append(c.ExcludeTable, p.Exclude...)
		if !c.All {
			c.StructureOnly = append(c.StructureOnly, p.StructureOnly...)
			for table, cond := range p.Where {
				c.Where = append(c.Where, table+"="+cond)
			}
		}
	}
	if p.DB != nil && !c.All {
		c.skips = skipFiles(env.Ctx, stderr, prog, p)
	}
	if c.PublicURL != "" {
		if p.Public == nil {
			return "", usageError(fmt.Sprintf("--public-url: synco knows no public files of a %s project", p.Framework))
		}
		public, n, err := publicFiles(c.PublicURL, p.Public)
		if err != nil {
			return "", fmt.Errorf("--public-url: list %s: %w", p.Public.Dir, err)
		}
		c.public = map[string]func(string) (string, bool){p.Public.Set: public}
		fmt.Fprintf(stderr, "%s: %s will be fetched from %s\n", prog, Plural(n, "published resource"), c.PublicURL)
	}
	for _, fs := range p.FileSets {
		if fi, err := os.Stat(fs.Dir); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "%s: files %s: %s does not exist here yet; nothing to publish for it\n", prog, fs.Name, fs.Dir)
			continue
		}
		c.Files = append(c.Files, fs.Name+"="+fs.Dir)
	}
	return p.Root, nil
}

// absPath is p made absolute, or p if that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func splitSpec(flag, s string) (string, string, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" || val == "" {
		return "", "", usageError(fmt.Sprintf("%s wants NAME=PATH, got %q", flag, s))
	}
	return name, val, nil
}

// UsageError is a mistake in flags or arguments (exit code 2). Hint, if set, is
// the fix to try; Main adds where the command's --help is.
type UsageError struct{ Msg, Hint string }

func (e *UsageError) Error() string { return e.Msg }
func usageError(msg string) error   { return &UsageError{Msg: msg} }

// Run publishes, prints the fetch command, and serves until ctx ends or the TTL expires.
func (c *PublishCmd) Run(env *Env) error {
	ctx, prog, stderr := env.Ctx, env.Prog, env.Stderr
	in, err := c.inputs(env)
	if err != nil {
		return err
	}
	if err := c.checkExposure(); err != nil {
		return err
	}
	s, err := c.openSession(env)
	if err != nil {
		return err
	}
	// On any return before the publication is Ready (a signal, --ttl, an error),
	// Close marks its root Failed before --out is removed or kept, so a destination
	// waiting for it stops with the source's failure instead of waiting for ever.
	defer s.Close()
	ttlOver := new(atomic.Bool)
	if c.TTL > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go c.expire(ctx, env, cancel, ttlOver)
	}
	base, certPin, err := c.expose(ctx, env, s)
	if err != nil {
		return err
	}
	if _, err := url.Parse(base); err != nil {
		return usageError("--url is not a valid URL")
	}

	tok := s.Publication().Token(base)
	tok.CertPin = certPin
	if f, ok := env.Stdout.(*os.File); ok && !term.IsTerminal(int(f.Fd())) {
		// stdout goes elsewhere (a file, a pipe): the command is there
		fmt.Fprintf(stderr, "%s: on the destination, run the synco fetch command written to standard output\n", prog)
		fmt.Fprintf(env.Stdout, "synco fetch %s\n", tok.String())
	} else {
		fmt.Fprintf(stderr, "%s: on the destination, run:\n\n", prog)
		fmt.Fprintf(env.Stdout, "synco fetch %s\n", tok.String())
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(stderr, "%s: (or put the token in SYNCO_TOKEN, or pipe it to \"synco fetch -\", to keep it out of process lists)\n", prog)

	bar := newBar(stderr, prog, "publishing")
	start := time.Now()
	built := make(chan struct{})
	var noticed <-chan struct{}
	res, err := s.Build(ctx, in, c.workers(), func(p publish.Progress) {
		if p.Phase != publish.PhaseDict {
			bar.set(p.Done, p.Total)
			return
		}
		noticed = noticeStop(ctx, built, func() {
			bar.finish()
			fmt.Fprintf(stderr, "%s: stopping as soon as the compression dictionary for the next publish is trained\n", prog)
		})
	})
	close(built)
	if noticed != nil {
		<-noticed
	}
	bar.finish()
	if err != nil {
		return err
	}
	c.summarize(env, res, start, ctx.Err() != nil)
	wait := ctx
	if c.Once {
		var cancel context.CancelFunc
		wait, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-c.fetched:
				fmt.Fprintf(stderr, "%s: --once: a destination fetched the publication\n", prog)
				cancel()
			case <-wait.Done():
			}
		}()
	}
	if err := s.Wait(wait); err != nil {
		return err
	}
	if ttlOver.Load() {
		fmt.Fprintf(stderr, "%s: --ttl %s expired; stopped\n", prog, c.TTL)
		return nil
	}
	fmt.Fprintf(stderr, "%s: stopped; publication removed\n", prog)
	return nil
}

// ttlGrace is how long --ttl waits, once expired, for a destination that is
// downloading to finish.
const ttlGrace = 10 * time.Minute

// expire ends the publish (cancel) when --ttl is over, marking it in over,
// but not in the middle of a download: a destination that is downloading
// then may finish first, for at most ttlGrace (its download would fail, and
// a new token start over from its cache).
func (c *PublishCmd) expire(ctx context.Context, env *Env, cancel context.CancelFunc, over *atomic.Bool) {
	t := time.NewTimer(c.TTL)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	if busy := c.busy.Load(); busy != nil {
		if host := (*busy)(); host != "" {
			fmt.Fprintf(env.Stderr, "%s: --ttl %s expired; %s is downloading: waiting for it to finish (at most %s)\n", env.Prog, c.TTL, host, ttlGrace)
			deadline := time.Now().Add(ttlGrace)
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for (*busy)() != "" && time.Now().Before(deadline) {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}
	}
	over.Store(true)
	cancel()
}

// checkExposure checks --out, --url and --tls together.
func (c *PublishCmd) checkExposure() error {
	if c.Out != "" && c.URL == "" {
		return usageError("--out needs --url: the address where the destination reaches DIR")
	}
	if c.Once && c.Out != "" {
		return usageError("--once watches the embedded server's requests; with --out, the web server serving DIR sees them")
	}
	if c.TLS && c.Out != "" {
		return usageError("--tls is for the embedded server; with --out, the web server serving DIR does TLS (give an https --url)")
	}
	if c.TLS && c.URL != "" && !strings.HasPrefix(c.URL, "https://") {
		return usageError("--tls serves HTTPS: --url must start with https://")
	}
	return nil
}

// openSession opens the publish session on the state directory (rotating its keys
// for --rotate or a changed selection, and saying so) and gives the scrub rules
// the store's key.
func (c *PublishCmd) openSession(env *Env) (*publish.Session, error) {
	prog, stderr := env.Prog, env.Stderr
	stateDir := c.StateDir
	if stateDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("find a state directory: %w (pass --state-dir)", err)
		}
		stateDir = filepath.Join(base, "synco-lite")
	}
	s, err := publish.OpenSession(publish.SessionConfig{
		StateDir:  stateDir,
		Rotate:    c.Rotate,
		Selection: c.DBFlags.selection(),
		Keep:      c.Keep,
	})
	if err != nil {
		return nil, err
	}
	if c.Rotate {
		fmt.Fprintf(stderr, "%s: the store has new keys: earlier tokens read nothing of this or later publications; this publish seals everything anew\n", prog)
	}
	if s.Reselected() {
		fmt.Fprintf(stderr, "%s: what is published of the database changed (--exclude-tables, --structure-only, --where, scrub rules): the store gets new keys, so nothing left out stays readable through its compression dictionary; the next fetch downloads everything once\n", prog)
	}
	c.scrubKey(s.ScrubKey()) // after the selection: it may have rotated the keys
	return s, nil
}

// expose writes the publication into --out, or serves it on --listen (with --tls:
// over HTTPS with a certificate made for this run, whose pin it returns). base is
// the publication's URL for the token.
func (c *PublishCmd) expose(ctx context.Context, env *Env, s *publish.Session) (base string, certPin []byte, err error) {
	prefix := s.Publication().Prefix
	if c.Out != "" {
		dir, err := publish.NewDir(filepath.Join(c.Out, prefix))
		if err != nil {
			return "", nil, fmt.Errorf("--out: %w", err)
		}
		if err := s.Expose(dir); err != nil {
			return "", nil, fmt.Errorf("--out: %w", err)
		}
		return strings.TrimSuffix(c.URL, "/") + "/" + prefix, nil, nil
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	u := publicURL(c.URL, c.TLS, ln.Addr())
	var opt httpsrv.Options
	if c.TLS {
		cfg, pin, err := httpsrv.SelfSigned(hostOf(u))
		if err != nil {
			ln.Close()
			return "", nil, fmt.Errorf("make a TLS certificate: %w", err)
		}
		opt.TLS, certPin = cfg, pin
	} else if strings.HasPrefix(c.URL, "https://") {
		fmt.Fprintf(env.Stderr, "%s: note: serving plain HTTP on %s; --url https://… assumes a TLS proxy in front (--tls serves HTTPS itself)\n", env.Prog, ln.Addr())
	}
	fmt.Fprintf(env.Stderr, "%s: serving %s (the token carries the rest)\n", env.Prog, Clean(u))
	var busy func() string
	opt.OnRequest, c.fetched, busy = watchFetches(ctx, env.Stderr, env.Prog, func() bool {
		st, _ := s.Publication().State()
		return st == manifest.StateReady
	})
	c.busy.Store(&busy)
	// The server outlives ctx: Close stops it once the publication says why.
	s.Serve(context.WithoutCancel(ctx), func(ctx context.Context, h http.Handler) error {
		return httpsrv.ServeWith(ctx, ln, h, opt)
	})
	return strings.TrimSuffix(u, "/") + "/" + prefix, certPin, nil
}

// noticeStop says why a stop waits (say), if ctx ends before built is closed:
// Build trains the dictionary for the next publish after Ready, and finishes
// that whatever ctx does (a pull's agent needs it). The channel it returns is
// closed once it is done.
func noticeStop(ctx context.Context, built <-chan struct{}, say func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			select {
			case <-built: // returned meanwhile: nothing to explain
			default:
				say()
			}
		case <-built:
		}
	}()
	return done
}

// summarize reports a build and how the publication is served; stopped: the
// publisher was stopped meanwhile (while the dictionary was trained after
// Ready), so it serves no more.
func (c *PublishCmd) summarize(env *Env, res *publish.Result, start time.Time, stopped bool) {
	prog, stderr := env.Prog, env.Stderr
	reportScrub(stderr, prog, c.rules)
	c.left.report(stderr, prog)
	if c.scrubPlan != nil && c.scrubPlan.off {
		fmt.Fprintf(stderr, "%s: WARNING: published NOT scrubbed (--no-scrub): the database holds personal data as it is\n", prog)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "%s: skipped %s (not a regular file or directory, or deleted while publishing)\n", prog, s)
	}
	fmt.Fprintf(stderr, "%s: ready in %s: %s, %s in %s; sealed %s (data and manifest); %s unchanged since the last run\n",
		prog, res.Ready.Sub(start).Round(time.Millisecond), Plural(res.Streams, "entry"), FormatSize(int64(res.Bytes)), Plural(res.Chunks, "chunk"), Plural(res.NewChunks, "new chunk"), Plural(res.Reused, "file"))
	if res.StateErr != nil {
		fmt.Fprintf(stderr, "%s: warning: %v; the publication is complete, but the next publish re-reads what it could have skipped\n", prog, res.StateErr)
	}
	if res.Splices > 0 {
		if res.Splices == 1 {
			fmt.Fprintf(stderr, "%s: 1 changed chunk (an edited row, a file edited in place or appended to) is also published as an edit of its last version; a destination that fetched the last publish downloads that\n", prog)
		} else {
			fmt.Fprintf(stderr, "%s: %d changed chunks (edited rows, files edited in place or appended to) are also published as edits of their last version; a destination that fetched the last publish downloads those\n", prog, res.Splices)
		}
	}
	if res.Remote > 0 {
		fmt.Fprintf(stderr, "%s: %s %s published by %s public URL\n", prog, Plural(res.Remote, "file"), Verb(res.Remote, "is", "are"), Verb(res.Remote, "its", "their"))
	}
	if pr := res.Pruned; pr.Dropped > 0 {
		fmt.Fprintf(stderr, "%s: the store dropped %s (%s) that no longer %s published content\n", prog, Plural(pr.Dropped, "pack"), FormatSize(pr.Freed), Verb(pr.Dropped, "holds", "hold"))
	}
	if c.TLS {
		fmt.Fprintf(stderr, "%s: HTTPS only, with a certificate made for this run; the token pins it\n", prog)
	}
	kept := ""
	if c.StateDir != "" {
		kept = " (the encrypted store the next publish starts from stays in " + Clean(c.StateDir) + ": remove it to free its space)"
	}
	switch {
	case stopped:
	case c.TTL > 0:
		fmt.Fprintf(stderr, "%s: serving until Ctrl-C or for %s; then everything published is removed%s\n", prog, c.TTL, kept)
	default:
		fmt.Fprintf(stderr, "%s: serving until Ctrl-C; then everything published is removed%s\n", prog, kept)
	}
}

func (c *PublishCmd) workers() int {
	if c.Parallel < 1 {
		return runtime.NumCPU()
	}
	return c.Parallel
}

// publicURL is --url, or http(s)://<hostname or listen host>:<port>.
func publicURL(flag string, https bool, addr net.Addr) string {
	if flag != "" {
		return flag
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, port)
}

// hostOf is the host of URL u ("" if it has none), for the certificate's name.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}
