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
	"runtime"
	"strings"

	"compress/gzip"
)

// Options says what Open runs on the source.
type Options struct {
	// Base is the agent's base directory on the source ("": the remote user's
	// $HOME/.cache/synco-lite); Version the directory of this build's agent in it.
	Base, Version string
	// Agent returns the local synco-lite built for the platform the source runs
	// (GOOS and GOARCH); its error is Open's.
	Agent func(goos, goarch string) (string, error)
	// Path is the application's directory on the source (the agent's state
	// directory is Platform.StateDir(Path)); Args are the agent's other arguments.
	Path string
	Args []string
	// Listen and URL: serve over HTTP as StartHTTP does (both set), else over
	// the channel as Start does.
	Listen, URL string
	// Gzip makes the gzip writer that compresses the agent for the upload
	// (nil: compress/gzip at BestSpeed). A caller passes a faster one (synco:
	// klauspost's) from outside this package, which synco-lite links too: not
	// in its binary.
	Gzip func(io.Writer) (io.WriteCloser, error)
	// Offer sends the agent for this machine's platform (gzipped) at once, while
	// the channel connects and the source's shell starts, instead of after the
	// probe's answer: for a source that most likely lacks this agent (the
	// caller has no record of having installed it there). The source keeps it
	// if it runs on the same platform (`uname -s`/`uname -m`) and has gzip, and
	// drops it otherwise (then the right one follows as without Offer). A
	// source that has it already costs the upload.
	Offer bool
}

// sessionScript probes the source, then reads one line from stdin: "start", or
// "install SIZE SHA256 HOW" followed by SIZE bytes of the agent (HOW "gzip" when
// compressed), which it installs as installScript does; anything else (or the end
// of stdin) ends it. Then it runs the agent with its state directory under the
// base. $1 base, $2 version, $3 the state directory's name, then the agent's
// arguments. The destination sends nothing more until the agent's hello, so
// nothing meant for the agent is consumed before it runs (busybox's head -c may
// read ahead).
//
// The line may also be "offer SIZE SHA256 HOW SYSTEM/MACHINE" (Options.Offer),
// sent before the probe's lines were read: the script installs the agent that
// follows as for install if the source's uname says SYSTEM/MACHINE, the base
// is absolute and it can undo HOW (if the agent there has that SHA256 already, it skips the bytes and
// starts it); otherwise it skips the bytes, prints "synco-declined" and reads
// the line again (the destination, which decides the same from the probe,
// sends it only after that line: nothing is read ahead).
const sessionScript = `echo synco-probe-2; o=$(uname -s); m=$(uname -m); echo "$o"; echo "$m"; b=$1; [ -n "$b" ] || b=${HOME%/}/.cache/synco-lite; echo "$b"; f=$b/$2/synco-lite; h=none; if [ -f "$f" ]; then ` + hashCmd + `; fi; echo "$h"; g=-; if command -v gzip >/dev/null 2>&1; then g=gzip; fi; echo "$g"; ` +
	`read -r c n s z p || exit 0; if [ "$c" = offer ]; then if [ "$p" = "$o/$m" ] && [ "${b#/}" != "$b" ] && { [ "$z" != gzip ] || [ "$g" = gzip ]; }; then c=install; if [ "$h" = "$s" ]; then head -c "$n" >/dev/null; c=start; fi; else head -c "$n" >/dev/null; echo synco-declined; read -r c n s z p || exit 0; fi; fi; ` +
	`case $c in start) ;; ` +
	`install) d=$b/$2; mkdir -p "$d" || exit 90; f=$d/.synco-lite.$$; if [ "$z" = gzip ]; then head -c "$n" | gzip -dc > "$f"; else head -c "$n" > "$f"; fi || { rm -f "$f"; echo "synco: the upload arrived damaged" >&2; exit 91; }; ` + hashCmd + `; if [ "$h" != "$s" ]; then rm -f "$f"; echo "synco: the upload arrived damaged" >&2; exit 91; fi; chmod 755 "$f" && mv -f "$f" "$d/synco-lite" || exit 90; f=$d/synco-lite; "$f" version >/dev/null || exit 92 ;; ` +
	`*) exit 0 ;; esac; k=$3; shift 3; exec "$f" agent --state-dir "$b/state/$k" "$@"`

// Open does what Probe, Install and Start (or StartHTTP) do, in one run of the
// channel program instead of three: over ssh each run costs a connection (TCP,
// key exchange, authentication: ≈ 10 round trips and the server's fork), over
// kubectl a round through the API server. The agent is uploaded only when the one
// on the source has another SHA-256; Session.Platform and Session.Uploaded say
// what was found and sent. Errors: those of Probe, Install and Start (StartHTTP),
// and that of o.Agent.
func Open(ctx context.Context, ch Channel, o Options) (*Session, error) {
	prefix := "http://" + Host + "/"
	args := o.Args
	if o.Listen != "" {
		o.URL = strings.TrimSuffix(o.URL, "/")
		prefix = o.URL + "/"
		args = append(append([]string(nil), args...), "--http", "--listen", o.Listen, "--url", o.URL)
	}
	argv := ch.Argv(sessionScript, append([]string{o.Base, o.Version, stateName(o.Path), "--dir", o.Path}, args...)...)
	s, err := spawn(ch, argv)
	if err != nil {
		return nil, err
	}
	// While the channel connects, read and hash the agent for this machine's
	// platform, the source's as a rule.
	local := make(chan *agentFile, 1)
	go func() { local <- readAgent(o.Agent, runtime.GOOS, runtime.GOARCH) }()
	var off *offer
	if o.Offer {
		off = s.offer(local, o.Gzip)
	}
	br := bufio.NewReaderSize(s.stdout, 64<<10)
	type result struct {
		tok string
		err error
	}
	got := make(chan result, 1)
	go func() {
		tok, err := s.handshake(br, o, local, off)
		got <- result{tok, err}
	}()
	var r result
	select {
	case r = <-got:
	case <-ctx.Done():
		s.cmd.Process.Kill()
		s.stdout.Close() // a child left behind may hold the pipe open: stop reading
		s.stdin.Close()  // ends an offer's upload too
		<-got
		s.cmd.Wait()
		return nil, ctx.Err()
	}
	if r.err != nil {
		s.stdin.Close() // the script ends at the end of its stdin (or is killed)
		s.cmd.Wait()
		var f *ended
		if errors.As(r.err, &f) {
			return nil, s.failure(f.probed)
		}
		return nil, r.err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	tok, err := parseHello(r.tok, prefix)
	if err != nil {
		s.kill()
		return nil, &Error{Kind: ErrAgent, Channel: ch.String(), Stderr: "the agent's hello holds no valid token", Code: -1}
	}
	s.Token = tok
	if o.Listen != "" {
		go io.Copy(io.Discard, br)
		if err := ping(ctx, o.URL); err != nil {
			s.Close()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Kind: ErrHTTP, Channel: ch.String(), Stderr: "at " + o.URL + ": " + err.Error(), Code: -1}
		}
		return s, nil
	}
	if err := s.dialAgent(ctx, ch, br); err != nil {
		return nil, err
	}
	return s, nil
}

// stateName names the state directory of the application at path on the source.
func stateName(path string) string {
	h := sha256.Sum256([]byte(path))
	return hex.EncodeToString(h[:8])
}

// spawn starts argv with pipes for stdin and stdout, stderr into the Session.
func spawn(ch Channel, argv []string) (*Session, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	// Once the channel program is gone, do not wait for whatever else may hold
	// its pipes (a child it left behind): Wait returns after this.
	cmd.WaitDelay = Grace
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Session{ch: ch, cmd: cmd, stdin: stdin, stdout: stdout, stderr: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", argv[0], err)
	}
	return s, nil
}

// ended is a handshake cut short by the end of the channel program's output:
// its exit code and stderr say why (Session.failure).
type ended struct{ probed bool }

func (e *ended) Error() string { return "remote: the channel ended" }

// failure classifies the end of a channel program that exited before the
// agent's hello; probed: the probe's lines had come.
func (s *Session) failure(probed bool) error {
	code := s.cmd.ProcessState.ExitCode()
	e := &Error{Kind: ErrAgent, Channel: s.ch.String(), Stderr: s.stderr.String(), Code: code}
	switch {
	case !probed:
		e.Kind = classify(s.ch, e.Stderr, code)
	case code == 90 || code == 92:
		e.Kind = ErrRemoteDir
		e.Stderr = strings.TrimSpace(e.Stderr + "\ncannot write or run " + s.Platform.Dir() + "/synco-lite (exit code " + fmt.Sprint(code) + ")")
	case code == 91:
		e.Kind = ErrDamaged
	case code == 126 || strings.Contains(strings.ToLower(e.Stderr), "permission denied") && !strings.Contains(e.Stderr, "synco-lite:"):
		e.Kind = ErrRemoteDir
	case !strings.Contains(e.Stderr, "synco-lite:"):
		e.Kind = classify(s.ch, e.Stderr, code)
	}
	return e
}

// An offer is the agent for this machine's platform sent before the probe was
// read (Options.Offer).
type offer struct {
	done     chan struct{} // closed when the offer is sent (or was not)
	af       *agentFile    // the local agent (as read from Open's local)
	platform string        // this machine's uname words, SYSTEM/MACHINE ("": nothing offered)
	size     int64         // the bytes offered
	err      error         // writing failed: the script ended
}

// offer sends the local agent, gzipped, with an offer line in a goroutine, if
// this machine's uname names the platform it is built for (not so, e.g., for an
// amd64 build on an arm64 Mac).
func (s *Session) offer(local <-chan *agentFile, gz func(io.Writer) (io.WriteCloser, error)) *offer {
	off := &offer{done: make(chan struct{})}
	go func() {
		defer close(off.done)
		off.af = <-local
		sys, mach, ok := localUname()
		if os, arch, known := PlatformOf(sys, mach); !ok || !known || os != runtime.GOOS || arch != runtime.GOARCH || off.af.err != nil {
			return
		}
		z, err := compressAgent(off.af.b, gz)
		if err != nil {
			return // the answer after the probe compresses again and fails there
		}
		off.platform, off.size = sys+"/"+mach, int64(len(z))
		if _, err := fmt.Fprintf(s.stdin, "offer %d %s gzip %s\n", len(z), off.af.sum, off.platform); err != nil {
			off.err = err
			return
		}
		_, off.err = s.stdin.Write(z)
	}()
	return off
}

// handshake reads the probe's lines from br, answers with start or install (and
// the upload), unless an offer already did, and reads the agent's hello. An
// *ended is a failure Open classifies once the channel program has exited.
func (s *Session) handshake(br *bufio.Reader, o Options, local <-chan *agentFile, off *offer) (string, error) {
	p, err := readProbe(br, o.Version)
	if err != nil {
		return "", &ended{}
	}
	var ok1, ok2 bool
	sysName, machine := p.OS, p.Arch
	p.OS, ok1 = goos[sysName]
	p.Arch, ok2 = goarch[machine]
	s.Platform = p
	if off != nil {
		<-off.done
		if off.err != nil { // the script ended early: its exit code says why
			return "", &ended{probed: true}
		}
		local = offered(off.af)
		if off.platform != "" {
			if off.platform == sysName+"/"+machine && strings.HasPrefix(p.Base, "/") && p.Gzip {
				// Kept (installed, or skipped if the source has it already).
				if p.Sum != off.af.sum {
					s.Uploaded = off.size
				}
				s.Platform.Sum = off.af.sum
				return s.hello(br)
			}
			if err := skipTo(br, "synco-declined"); err != nil {
				return "", &ended{probed: true}
			}
		}
	}
	if !ok1 || !ok2 {
		return "", &UnsupportedError{System: sysName, Machine: machine}
	}
	if !strings.HasPrefix(p.Base, "/") {
		return "", &Error{Kind: ErrRemoteDir, Channel: s.ch.String(), Stderr: "the agent's directory " + p.Base + " is not absolute ($HOME is not set?)", Code: -1}
	}
	af := <-local
	if af == nil || p.OS != runtime.GOOS || p.Arch != runtime.GOARCH {
		af = readAgent(o.Agent, p.OS, p.Arch)
	}
	if af.err != nil {
		return "", af.err
	}
	body, size, sum, how, err := af.upload(p, o.Gzip)
	if err != nil {
		return "", err
	}
	if body == nil {
		_, err = io.WriteString(s.stdin, "start\n")
	} else {
		s.Uploaded = size
		if _, err = fmt.Fprintf(s.stdin, "install %d %s %s\n", size, sum, how); err == nil {
			_, err = io.Copy(s.stdin, body)
		}
	}
	if err != nil { // the script ended early: its exit code says why
		return "", &ended{probed: true}
	}
	s.Platform.Sum = sum
	return s.hello(br)
}

// hello reads the agent's hello.
func (s *Session) hello(br *bufio.Reader) (string, error) {
	tok, err := ReadHello(br)
	if err != nil {
		return "", &ended{probed: true}
	}
	return tok, nil
}

// offered is a channel that gives af (the agent an offer read) once.
func offered(af *agentFile) <-chan *agentFile {
	c := make(chan *agentFile, 1)
	c <- af
	return c
}

// skipTo reads lines from br up to and including one that is want (after up
// to maxGarbage of others).
func skipTo(br *bufio.Reader, want string) error {
	skipped := 0
	for skipped <= maxGarbage {
		l, err := br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		skipped += len(l)
		if strings.TrimSpace(string(l)) == want {
			return nil
		}
	}
	return ErrNoHello
}

// readProbe reads the lines of sessionScript's probe (after up to maxGarbage of
// anything else); OS and Arch are still uname's words.
func readProbe(br *bufio.Reader, version string) (Platform, error) {
	skipped := 0
	line := func() (string, error) {
		l, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			err = nil
		}
		skipped += len(l)
		return strings.TrimRight(string(l), "\r\n"), err
	}
	for {
		l, err := line()
		if err != nil || skipped > maxGarbage {
			return Platform{}, ErrNoHello
		}
		if strings.TrimSpace(l) == "synco-probe-2" {
			break
		}
	}
	var f [5]string
	for i := range f {
		l, err := line()
		if err != nil {
			return Platform{}, ErrNoHello
		}
		f[i] = l
	}
	p := Platform{OS: strings.TrimSpace(f[0]), Arch: strings.TrimSpace(f[1]), Base: f[2], Version: version, Gzip: strings.TrimSpace(f[4]) == "gzip"}
	if h := strings.TrimSpace(f[3]); len(h) == 64 {
		p.Sum = h
	}
	return p, nil
}

// agentFile is a local agent binary, read and hashed.
type agentFile struct {
	b   []byte
	sum string // hex SHA-256
	err error
}

// readAgent reads and hashes the agent find returns for goos/goarch.
func readAgent(find func(goos, goarch string) (string, error), goos, goarch string) *agentFile {
	if find == nil {
		return &agentFile{err: errors.New("remote: Options.Agent is not set")}
	}
	path, err := find(goos, goarch)
	if err != nil {
		return &agentFile{err: err}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return &agentFile{err: fmt.Errorf("open the agent for %s/%s: %w", goos, goarch, err)}
	}
	h := sha256.Sum256(b)
	return &agentFile{b: b, sum: hex.EncodeToString(h[:])}
}

// upload is nil when p.Sum already is the agent's hash, else what to send
// (compressed by compressAgent with gz when p.Gzip: how "gzip", else "raw")
// and its size.
func (a *agentFile) upload(p Platform, gz func(io.Writer) (io.WriteCloser, error)) (body io.Reader, size int64, sum, how string, err error) {
	if p.Sum == a.sum {
		return nil, 0, a.sum, "", nil
	}
	if !p.Gzip {
		return bytes.NewReader(a.b), int64(len(a.b)), a.sum, "raw", nil
	}
	z, err := compressAgent(a.b, gz)
	if err != nil {
		return nil, 0, "", "", err
	}
	return bytes.NewReader(z), int64(len(z)), a.sum, "gzip", nil
}

// compressAgent gzips an agent binary for the upload with the writer gz makes,
// or with the standard library at BestSpeed when gz is nil (≈ 250 ms and
// 5.35 MB for the 11.5 MB synco-lite; Options.Gzip may do better).
func compressAgent(b []byte, gz func(io.Writer) (io.WriteCloser, error)) ([]byte, error) {
	if gz == nil {
		gz = func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestSpeed) }
	}
	var z bytes.Buffer
	zw, err := gz(&z)
	if err == nil {
		zw.Write(b) // a bytes.Buffer does not fail
		err = zw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("compress the agent: %w", err)
	}
	return z.Bytes(), nil
}
