package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"synco/manifest"
)

// Errors of Probe, Install and Start, wrapped in an *Error that carries what the
// source's side wrote on stderr.
var (
	// ErrChannel: the channel program failed (ssh refused, unknown host, denied;
	// no such container or pod).
	ErrChannel = errors.New("remote: the control channel to the source failed")
	// ErrNoShell: the source has no /bin/sh (a distroless image).
	ErrNoShell = errors.New("remote: no shell on the source")
	// ErrUnsupported: no synco-lite is built for the source's system or machine.
	ErrUnsupported = errors.New("remote: unsupported platform")
	// ErrRemoteDir: the agent's directory cannot be written, or a program in it
	// cannot run (a read-only or noexec file system).
	ErrRemoteDir = errors.New("remote: the agent's directory is not usable")
	// ErrDamaged: the uploaded or installed agent does not have the expected hash.
	ErrDamaged = errors.New("remote: the agent on the source is not the one uploaded")
	// ErrAgent: the agent started but gave up before serving (e.g. no application
	// detected in the directory): Stderr says why.
	ErrAgent = errors.New("remote: synco-lite failed on the source")
)

// Error is a failure on the channel or the source.
type Error struct {
	Kind    error  // one of the sentinels above
	Channel string // Channel.String()
	Stderr  string // the last lines the source's side wrote on stderr (untrusted text)
	Code    int    // exit code of the local channel program (-1: none)
}

func (e *Error) Error() string {
	msg := strings.TrimPrefix(e.Kind.Error(), "remote: ")
	if last := lastLine(e.Stderr); last != "" {
		if !errors.Is(e.Kind, ErrAgent) { // synco-lite's own reason is kept whole
			last = clip(last, 300)
		}
		msg += ": " + last
	}
	return e.Channel + ": " + msg
}

// clip shortens s to about max bytes (a shell that echoes the command line it
// could not run, synco's own script, is not the reason).
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (e *Error) Unwrap() error { return e.Kind }

// lastLine is the reason in a program's stderr: its last "error:" line (without
// the program's name), else its last line.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if _, msg, ok := strings.Cut(lines[i], ": error: "); ok {
			return strings.TrimSpace(msg)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

// Platform is what Probe found on the source.
type Platform struct {
	OS, Arch string // GOOS and GOARCH
	Base     string // the agent's base directory, expanded on the source
	Version  string // the agent's version directory under Base
	Sum      string // hex SHA-256 of the installed agent, "" when there is none
	Gzip     bool   // the source has gzip: Install sends the agent compressed
}

// Dir is the directory of the agent's binary on the source.
func (p Platform) Dir() string { return p.Base + "/" + p.Version }

// StateDir is the publish state directory for the application at path on the
// source: it persists between pulls so that the next one is incremental.
func (p Platform) StateDir(path string) string {
	h := sha256.Sum256([]byte(path))
	return p.Base + "/state/" + hex.EncodeToString(h[:8])
}

// hashCmd prints the SHA-256 of "$f" with whatever the system has.
const hashCmd = `h=$( (sha256sum "$f" || shasum -a 256 "$f" || sha256 -q "$f") 2>/dev/null) || h=none; h=${h%% *}`

// probeScript: $1 the base directory ("" for $HOME/.cache/synco-lite), $2 the
// version directory.
const probeScript = `echo synco-probe-1; uname -s; uname -m; b=$1; [ -n "$b" ] || b=${HOME%/}/.cache/synco-lite; echo "$b"; f=$b/$2/synco-lite; h=none; if [ -f "$f" ]; then ` + hashCmd + `; fi; echo "$h"; if command -v gzip >/dev/null 2>&1; then echo gzip; else echo -; fi`

// Probe runs uname and looks for an installed agent of version in base ("": the
// remote user's $HOME/.cache/synco-lite). Errors: ErrChannel, ErrNoShell,
// ErrUnsupported (in an *Error, or an *UnsupportedError).
func Probe(ctx context.Context, ch Channel, base, version string) (Platform, error) {
	out, stderr, code, err := run(ctx, ch, nil, probeScript, base, version)
	if err != nil {
		return Platform{}, err
	}
	lines := strings.Split(out, "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) != "synco-probe-1" {
		i++
	}
	if i+4 >= len(lines) {
		return Platform{}, &Error{Kind: classify(ch, stderr, code), Channel: ch.String(), Stderr: stderr, Code: code}
	}
	sysName, machine := strings.TrimSpace(lines[i+1]), strings.TrimSpace(lines[i+2])
	p := Platform{Base: strings.TrimRight(lines[i+3], "\r"), Version: version}
	if h := strings.TrimSpace(lines[i+4]); len(h) == 64 {
		p.Sum = h
	}
	p.Gzip = i+5 < len(lines) && strings.TrimSpace(lines[i+5]) == "gzip"
	var ok1, ok2 bool
	p.OS, ok1 = goos[sysName]
	p.Arch, ok2 = goarch[machine]
	if !ok1 || !ok2 {
		return p, &UnsupportedError{System: sysName, Machine: machine}
	}
	if !strings.HasPrefix(p.Base, "/") {
		return p, &Error{Kind: ErrRemoteDir, Channel: ch.String(), Stderr: "the agent's directory " + p.Base + " is not absolute ($HOME is not set?)", Code: code}
	}
	return p, nil
}

var goos = map[string]string{"Linux": "linux", "FreeBSD": "freebsd", "OpenBSD": "openbsd", "NetBSD": "netbsd", "Darwin": "darwin"}
var goarch = map[string]string{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}

// PlatformOf maps `uname -s` and `uname -m` to GOOS and GOARCH; ok is false for a
// platform synco is not built for.
func PlatformOf(system, machine string) (os, arch string, ok bool) {
	os, ok1 := goos[system]
	arch, ok2 := goarch[machine]
	return os, arch, ok1 && ok2
}

// UnsupportedError is a source whose platform synco-lite is not built for.
type UnsupportedError struct{ System, Machine string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("remote: the source runs %q on %q, for which there is no synco-lite", e.System, e.Machine)
}

func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// classify names the failure of a command that did not get to run its script.
func classify(ch Channel, stderr string, code int) error {
	s := strings.ToLower(stderr)
	if ch.Kind == Via && code == 127 {
		// The --via command itself is not found here (sh says "CMD: not
		// found"), not the source's shell.
		if f := strings.Fields(ch.ViaCommand); len(f) > 0 && f[0] != "sh" && strings.Contains(s, strings.ToLower(f[0])+": not found") ||
			len(f) > 0 && strings.Contains(s, strings.ToLower(f[0])+": command not found") {
			return ErrChannel
		}
	}
	switch {
	case strings.Contains(s, "executable file not found") && strings.Contains(s, `"sh"`),
		strings.Contains(s, "no such file or directory") && strings.Contains(s, `"sh"`),
		(ch.Kind == SSH || ch.Kind == Via) && code == 127,
		(ch.Kind == Docker || ch.Kind == Kubectl) && (code == 126 || code == 127) && !strings.Contains(s, "no such container"):
		return ErrNoShell
	}
	return ErrChannel
}

// installScript: $1 base, $2 version, $3 size, $4 hex SHA-256 of the agent, $5
// "gzip" when the $3 bytes are the agent gzip-compressed. It reads exactly $3
// bytes from stdin (not until end-of-file), checks what they give and moves it in
// place.
const installScript = `d=$1/$2; mkdir -p "$d" || exit 90; f=$d/.synco-lite.$$; if [ "$5" = gzip ]; then head -c "$3" | gzip -dc > "$f"; else head -c "$3" > "$f"; fi || { rm -f "$f"; echo "synco: the upload arrived damaged" >&2; exit 91; }; ` + hashCmd + `; if [ "$h" != "$4" ]; then rm -f "$f"; echo "synco: the upload arrived damaged" >&2; exit 91; fi; chmod 755 "$f" && mv -f "$f" "$d/synco-lite" || exit 90; "$d/synco-lite" version >/dev/null || exit 92; echo synco-installed`

// Install uploads the agent binary at path into p.Dir() unless the one there has
// the same SHA-256, and returns the bytes uploaded (0 when it was there): gzip
// compressed when the source has gzip (p.Gzip; a static synco-lite shrinks to
// ≈ 46 %, seconds on a slow link), checked by its hash after decompression on the
// source. Errors: ErrRemoteDir (read-only or noexec), ErrDamaged, ErrChannel (in
// an *Error).
func Install(ctx context.Context, ch Channel, p *Platform, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open the agent for %s/%s: %w", p.OS, p.Arch, err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if p.Sum == sum {
		return 0, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	var body io.Reader = io.LimitReader(f, size)
	how := "raw"
	if p.Gzip {
		b, err := io.ReadAll(body)
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
		z, err := compressAgent(b, nil)
		if err != nil {
			return 0, err
		}
		body, size, how = bytes.NewReader(z), int64(len(z)), "gzip"
	}
	out, stderr, code, err := run(ctx, ch, body, installScript, p.Base, p.Version, fmt.Sprint(size), sum, how)
	if err != nil {
		return 0, err
	}
	if strings.Contains(out, "synco-installed") {
		p.Sum = sum
		return size, nil
	}
	e := &Error{Kind: ErrChannel, Channel: ch.String(), Stderr: stderr, Code: code}
	switch code {
	case 90, 92:
		e.Kind = ErrRemoteDir
		e.Stderr = strings.TrimSpace(stderr + "\ncannot write or run " + p.Dir() + "/synco-lite (exit code " + fmt.Sprint(code) + ")")
	case 91:
		e.Kind = ErrDamaged
	}
	return 0, e
}

// run runs script on the source with stdin and collects stdout, the tail of
// stderr and the exit code. err is only for a channel program that could not be
// started or a cancelled ctx.
func run(ctx context.Context, ch Channel, stdin io.Reader, script string, args ...string) (stdout, stderr string, code int, err error) {
	argv := ch.Argv(script, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	tail := &tailBuffer{max: 8 << 10}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &limitWriter{w: &out, n: 1 << 20}, tail
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return "", "", -1, ctx.Err()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		return "", "", -1, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return out.String(), tail.String(), code, nil
}

// startScript: $1 the agent's directory, $2 its hex SHA-256, then the agent's
// arguments. It checks the binary before running it.
const startScript = `f=$1/synco-lite; ` + hashCmd + `; if [ "$h" != "$2" ]; then echo "synco: $f is not the agent synco installed" >&2; exit 91; fi; shift 2; exec "$f" agent "$@"`

// Session is a running agent.
type Session struct {
	Token     manifest.Token
	Transport *Transport // for fetch.Options.Transport; nil for StartHTTP
	Platform  Platform   // what Open found on the source (zero for Start)
	Uploaded  int64      // bytes of the agent Open uploaded (0: it was there)

	ch     Channel
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	conn   *Conn // nil for StartHTTP
	stderr *tailBuffer
	exited chan struct{}
	once   sync.Once
}

// Grace is how long Close waits for the channel program to exit after the end
// request before it kills it.
var Grace = 5 * time.Second

// Start runs the agent installed by Install with args (publish flags) and reads
// its hello; the agent then serves the publication over the channel.
// Errors: ErrChannel, ErrRemoteDir (noexec), ErrDamaged, ErrAgent (in an *Error
// whose Stderr says why).
func Start(ctx context.Context, ch Channel, p Platform, args []string) (*Session, error) {
	s, br, err := launch(ctx, ch, p, args, "http://"+Host+"/")
	if err != nil {
		return nil, err
	}
	if err := s.dialAgent(ctx, ch, br); err != nil {
		return nil, err
	}
	return s, nil
}

// dialAgent speaks HTTP/2 to the agent over the channel, br reading its stdout
// past its hello; on failure the session is killed.
func (s *Session) dialAgent(ctx context.Context, ch Channel, br *bufio.Reader) error {
	s.conn = NewConn(readCloser{br, s.stdout}, s.stdin)
	var err error
	if s.Transport, err = Dial(ctx, s.conn, nil); err != nil {
		s.kill()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &Error{Kind: ErrAgent, Channel: ch.String(), Stderr: s.stderr.String() + "\n" + err.Error(), Code: -1}
	}
	return nil
}

// launch runs the agent with args and reads its hello, whose token's URL must
// start with urlPrefix.
func launch(ctx context.Context, ch Channel, p Platform, args []string, urlPrefix string) (*Session, *bufio.Reader, error) {
	argv := ch.Argv(startScript, append([]string{p.Dir(), p.Sum}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	// Once the channel program is gone, do not wait for whatever else may hold
	// its pipes (a child it left behind): Wait returns after this.
	cmd.WaitDelay = Grace
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	s := &Session{ch: ch, cmd: cmd, stdin: stdin, stdout: stdout, stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", argv[0], err)
	}
	type hello struct {
		tok string
		err error
	}
	br := bufio.NewReaderSize(stdout, 64<<10)
	got := make(chan hello, 1)
	go func() { t, err := ReadHello(br); got <- hello{t, err} }()
	var h hello
	select {
	case h = <-got:
	case <-ctx.Done():
		cmd.Process.Kill()
		stdout.Close() // a child left behind may hold the pipe open: stop reading
		<-got
		cmd.Wait()
		return nil, nil, ctx.Err()
	}
	if h.err != nil {
		cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		e := &Error{Kind: ErrAgent, Channel: ch.String(), Stderr: s.stderr.String(), Code: code}
		switch {
		case code == 91:
			e.Kind = ErrDamaged
		case code == 126 || strings.Contains(strings.ToLower(e.Stderr), "permission denied") && !strings.Contains(e.Stderr, "synco-lite:"):
			e.Kind = ErrRemoteDir
		case !strings.Contains(e.Stderr, "synco-lite:"):
			e.Kind = classify(ch, e.Stderr, code)
		}
		return nil, nil, e
	}
	go func() { cmd.Wait(); close(s.exited) }()
	tok, err := parseHello(h.tok, urlPrefix)
	if err != nil {
		s.kill()
		return nil, nil, &Error{Kind: ErrAgent, Channel: ch.String(), Stderr: "the agent's hello holds no valid token", Code: -1}
	}
	s.Token = tok
	return s, br, nil
}

// parseHello parses the token of a hello; its URL must start with urlPrefix
// and go on.
func parseHello(text, urlPrefix string) (manifest.Token, error) {
	tok, err := manifest.ParseToken(text)
	if err != nil {
		return tok, err
	}
	if !strings.HasPrefix(tok.URL, urlPrefix) || len(tok.URL) == len(urlPrefix) {
		return tok, errors.New("remote: the token's URL is not the channel's")
	}
	return tok, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Stderr returns the last lines the agent wrote on stderr (untrusted text).
func (s *Session) Stderr() string { return s.stderr.String() }

// Exited reports whether the channel program has exited.
func (s *Session) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// Close asks the agent to stop (the end request over the channel's connection;
// for StartHTTP, EndMessage on its stdin), closes the channel's stdin and waits up to Grace
// for the channel program to exit, then kills it. It is safe to call more than
// once, and also after ctx of Start was cancelled.
func (s *Session) Close() {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), Grace)
		defer cancel()
		if s.Transport == nil { // StartHTTP: the end message on stdin
			if !s.Exited() {
				s.stdin.Write([]byte(EndMessage))
			}
			s.stdin.Close()
			select {
			case <-s.exited:
			case <-ctx.Done():
				s.kill()
			}
			return
		}
		if !s.Exited() {
			s.Transport.End(ctx)
		}
		s.Transport.h2.CloseIdleConnections()
		s.conn.Close()
		select {
		case <-s.exited:
		case <-ctx.Done():
			s.kill()
		}
	})
}

func (s *Session) kill() {
	s.cmd.Process.Kill()
	if s.conn != nil {
		s.conn.Close()
	}
	<-s.exited
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// limitWriter keeps the first n bytes and drops the rest.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(int64(len(p)), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
