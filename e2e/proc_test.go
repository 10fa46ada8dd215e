package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"synco/manifest"
)

// syncBuffer is a bytes.Buffer that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running child process.
type proc struct {
	t              *testing.T
	name           string
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	done           chan struct{}
	code           int // exit code; -1 when killed by a signal
}

// start runs binary with args; stdin may be "". The process is killed at cleanup
// if the test did not wait for it.
func start(t *testing.T, binary, stdin string, env []string, args ...string) *proc {
	t.Helper()
	return startDir(t, "", binary, stdin, env, args...)
}

// startDir is start in the working directory dir ("" for the test's own).
func startDir(t *testing.T, dir, binary, stdin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: path.Base(binary), done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Stdin = strings.NewReader(stdin)
	p.cmd.Env = append(os.Environ(), env...)
	p.run(t)
	return p
}

// run starts p.cmd, records its exit when it ends, and kills it at cleanup if
// the test did not wait for it.
func (p *proc) run(t *testing.T) {
	t.Helper()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		// A Go program dumps its goroutines on SIGQUIT: say where it hangs.
		p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		p.t.Fatalf("%s %s did not exit within %s\nstderr:\n%s", p.name, strings.Join(p.cmd.Args[1:], " "), timeout, p.stderr.String())
		return -1
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	// The process may end between the caller's check and the signal: that is fine.
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) && !p.exited() {
		p.t.Fatalf("signal %s: %v", p.name, err)
	}
}

// waitFor polls cond every few milliseconds until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// publisher is a running "synco-lite publish".
type publisher struct {
	*proc
	token string // the token text (without "synco fetch ")
}

// publish starts synco-lite publish with args and waits for its one stdout line.
func publish(t *testing.T, args ...string) *publisher {
	t.Helper()
	p := &publisher{proc: start(t, bin.lite, "", nil, append([]string{"publish"}, args...)...)}
	waitFor(t, 20*time.Second, "the token line", func() bool {
		if p.exited() {
			t.Fatalf("publish exited with %d before printing a token\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stdout.String(), "\n")
	})
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	tok, ok := strings.CutPrefix(line, "synco fetch ")
	if !ok || strings.ContainsAny(tok, " \t") {
		t.Fatalf("publish stdout line = %q, want \"synco fetch <token>\"", line)
	}
	p.token = tok
	return p
}

// servedPublisher starts synco-lite publish in dir with env and args, waits
// until it serves its publication (60 s: a database dump may come first) and
// reads its token.
func servedPublisher(t *testing.T, dir string, env []string, args ...string) *publisher {
	t.Helper()
	p := &publisher{proc: startDir(t, dir, bin.lite, "", env, append([]string{"publish"}, args...)...)}
	waitFor(t, 60*time.Second, "the publication", func() bool {
		if p.exited() {
			t.Fatalf("publish exited with %d\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stderr.String(), "serving until")
	})
	line, _, _ := strings.Cut(p.stdout.String(), "\n")
	p.token = strings.TrimPrefix(line, "synco fetch ")
	return p
}

// waitReady waits until the publication is Ready and served.
func (p *publisher) waitReady() {
	p.t.Helper()
	waitFor(p.t, 30*time.Second, "publish to be ready", func() bool {
		if p.exited() {
			p.t.Fatalf("publish exited with %d before it was ready\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stderr.String(), "serving until")
	})
}

// stop sends SIGINT and checks the publisher exits with 0.
func (p *publisher) stop() {
	p.t.Helper()
	p.signal(syscall.SIGINT)
	if code := p.wait(15 * time.Second); code != 0 {
		p.t.Fatalf("publish after SIGINT: exit %d, want 0\nstderr:\n%s", code, p.stderr.String())
	}
}

// parsed returns the token's fields.
func (p *publisher) parsed() manifest.Token {
	p.t.Helper()
	tok, err := manifest.ParseToken(p.token)
	if err != nil {
		p.t.Fatalf("parse the published token: %v", err)
	}
	return tok
}

// prefix is the publication's path element (the last one of the token's URL).
func (p *publisher) prefix() string {
	u, err := url.Parse(p.parsed().URL)
	if err != nil {
		p.t.Fatalf("token URL: %v", err)
	}
	return path.Base(u.Path)
}

// withURL returns tok with its URL replaced (same keys).
func withURL(t *testing.T, tok, u string) string {
	t.Helper()
	parsed, err := manifest.ParseToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	parsed.URL = u
	return parsed.String()
}

// stats is what synco fetch --json prints.
type stats struct {
	BytesDownloaded  int64 `json:"bytes_downloaded"`
	ManifestBytes    int64 `json:"manifest_bytes"`
	ChunksTotal      int   `json:"chunks_total"`
	ChunksDownloaded int   `json:"chunks_downloaded"`
	ChunksFromCache  int   `json:"chunks_from_cache"`
	ChunksSpliced    int   `json:"chunks_spliced"`
	Requests         int64 `json:"requests"`
	FilesWritten     int   `json:"files_written"`
	BytesWritten     int64 `json:"bytes_written"`
	DurationMS       int64 `json:"duration_ms"`
}

// fetchResult is a finished synco fetch.
type fetchResult struct {
	code           int
	stdout, stderr string
}

// startFetch starts "synco fetch TOKEN --to TO --cache CACHE --json ARGS…".
func startFetch(t *testing.T, token, to, cache string, args ...string) *proc {
	t.Helper()
	return start(t, bin.synco, "", nil, append([]string{"fetch", token, "--to", to, "--cache", cache, "--json"}, args...)...)
}

// fetch runs synco fetch to completion.
func fetch(t *testing.T, token, to, cache string, args ...string) fetchResult {
	t.Helper()
	p := startFetch(t, token, to, cache, args...)
	code := p.wait(90 * time.Second)
	return fetchResult{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// mustFetch runs synco fetch, requires exit 0 and returns the --json stats.
func mustFetch(t *testing.T, token, to, cache string, args ...string) stats {
	t.Helper()
	r := fetch(t, token, to, cache, args...)
	if r.code != 0 {
		t.Fatalf("fetch: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	return r.stats(t)
}

func (r fetchResult) stats(t *testing.T) stats {
	t.Helper()
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&fields); err != nil || dec.More() {
		t.Fatalf("fetch --json stdout is not one JSON object (%v):\n%s", err, r.stdout)
	}
	for _, k := range []string{"bytes_downloaded", "manifest_bytes", "chunks_total", "chunks_downloaded",
		"chunks_from_cache", "requests", "files_written", "bytes_written", "duration_ms"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("fetch --json lacks %q:\n%s", k, r.stdout)
		}
	}
	var s stats
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("fetch --json: %v", err)
	}
	return s
}

// wantFailure checks exit code, the error and hint lines, and that stderr does not
// leak the token or the publication's unguessable path.
func (r fetchResult) wantFailure(t *testing.T, code int, token string, hintHas string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("fetch: exit %d, want %d\nstderr:\n%s", r.code, code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "synco: error: ") || strings.Count(r.stderr, "synco: error: ") != 1 {
		t.Errorf("stderr does not start with one \"synco: error: …\" line:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "\nsynco: hint: "+hintHas) {
		t.Errorf("stderr has no \"synco: hint: %s…\" line:\n%s", hintHas, r.stderr)
	}
	noSecrets(t, r.stderr, token)
}

// noSecrets fails if out contains the token or, for a parseable token, the
// publication's path element.
func noSecrets(t *testing.T, out, token string) {
	t.Helper()
	// No 12-character piece of the token's payload may show up, in any case.
	body, lower := strings.ToLower(strings.TrimPrefix(token, "synco1")), strings.ToLower(out)
	for i := 0; i+12 <= len(body); i++ {
		if strings.Contains(lower, body[i:i+12]) {
			t.Errorf("output contains a piece of the token (%q):\n%s", body[i:i+12], out)
			break
		}
	}
	if tok, err := manifest.ParseToken(token); err == nil {
		if u, err := url.Parse(tok.URL); err == nil && strings.Contains(out, path.Base(u.Path)) {
			t.Errorf("output contains the publication path %q:\n%s", path.Base(u.Path), out)
		}
	}
}

// staticServer is a running internal/staticsrv.
type staticServer struct {
	*proc
	url string
	dir string // what it serves
}

// serveStatic serves dir with the helper static server; args are its flags.
func serveStatic(t *testing.T, dir string, args ...string) *staticServer {
	t.Helper()
	p := start(t, bin.static, "", nil, append([]string{"-dir", dir}, args...)...)
	waitFor(t, 10*time.Second, "the static server", func() bool {
		if p.exited() {
			t.Fatalf("staticsrv exited with %d\nstderr:\n%s", p.code, p.stderr.String())
		}
		return strings.Contains(p.stdout.String(), "\n")
	})
	return &staticServer{proc: p, url: strings.TrimSpace(p.stdout.String()), dir: dir}
}

// served returns how many body bytes the server has sent so far.
func (s *staticServer) served() int64 {
	s.t.Helper()
	resp, err := http.Get(s.url + "/_stats")
	if err != nil {
		s.t.Fatalf("static server stats: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		BodyBytes int64 `json:"body_bytes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		s.t.Fatalf("static server stats: %v", err)
	}
	return st.BodyBytes
}
