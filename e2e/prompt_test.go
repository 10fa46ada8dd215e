//go:build linux

package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// terminal is a pseudo-terminal whose slave is a child's stdin and
// controlling terminal: what the test writes to it is typed, and a ^C
// written to it interrupts the child as Ctrl-C does (the line discipline
// sends SIGINT to the foreground process group).
type terminal struct {
	master *os.File
	echo   syncBuffer // what the terminal echoed
}

// openTerminal opens a pseudo-terminal pair: the master for the test, the
// slave to hand to a child.
func openTerminal(t *testing.T) (*terminal, *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatalf("open pty slave: %v", err)
	}
	term := &terminal{master: m}
	go func() { // drain the echo, so that the terminal never blocks
		b := make([]byte, 4096)
		for {
			n, err := m.Read(b)
			term.echo.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { m.Close(); s.Close() })
	return term, s
}

// type writes s to the terminal as if typed.
func (term *terminal) typeText(t *testing.T, s string) {
	t.Helper()
	if _, err := term.master.Write([]byte(s)); err != nil {
		t.Fatalf("type %q: %v", s, err)
	}
}

// startOnTerminal starts synco in dir with the terminal's slave as stdin and
// controlling terminal (a session of its own); stdout and stderr are pipes.
func startOnTerminal(t *testing.T, dir string, slave *os.File, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: "synco", done: make(chan struct{})}
	p.cmd = exec.Command(bin.synco, args...)
	p.cmd.Dir = dir
	p.cmd.Stdin = slave
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	p.run(t)
	return p
}

// The question before a project install: an answer it does not understand
// is asked again (it was taken for No), "no" at a [Y/n] question is No (it
// was Yes), the tables question gives an example from the publication's own
// tables (it gave WordPress's to a Laravel project), a No says that it
// stopped and nothing was changed (not "nothing changed", which reads like
// "no differences"), and Ctrl-C at a question interrupts the fetch like
// Ctrl-C elsewhere: exit 130 and "interrupted" (it hung in the read of the
// answer until Enter).
func TestFetchPrompt(t *testing.T) {
	t.Parallel()
	pub, local, _ := laravelPublication(t)
	cache := t.TempDir()
	waitFor := func(p *proc, what, text string, n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for strings.Count(p.stderr.String(), text) < n {
			if p.exited() || time.Now().After(deadline) {
				t.Fatalf("waiting for %s (%q ×%d): exit %d\n%s", what, text, n, p.code, p.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	const question = "continue? [y]es, [s]elect what to sync, [N]o:"

	// Not understood, asked again; then No.
	term, slave := openTerminal(t)
	p := startOnTerminal(t, local, slave, "fetch", pub.token, "--cache", cache)
	waitFor(p, "the question", question, 1)
	term.typeText(t, "maybe\n")
	waitFor(p, "the question again", question, 2)
	term.typeText(t, "n\n")
	if code := p.wait(30 * time.Second); code != 0 {
		t.Fatalf("fetch answered maybe, then n: exit %d, want 0\n%s", code, p.stderr.String())
	}
	stderr := p.stderr.String()
	for _, want := range []string{`"maybe" is not an answer here: say y (yes), s (select what to sync) or n (no)`, "synco: stopped: nothing was changed\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("fetch answered maybe, then n: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(local, "storage", "app", "public", "a.txt")); err == nil {
		t.Errorf("fetch answered n wrote the files")
	}

	// Select: "no" to the database leaves it out (it was taken for yes).
	term, slave = openTerminal(t)
	p = startOnTerminal(t, local, slave, "fetch", pub.token, "--cache", cache)
	waitFor(p, "the question", question, 1)
	term.typeText(t, "s\n")
	waitFor(p, "the database question", "the database? [Y/n]", 1)
	term.typeText(t, "no\n")
	waitFor(p, "the file set question", "file set storage? [Y/n]", 1)
	term.typeText(t, "y\n")
	if code := p.wait(60 * time.Second); code != 0 {
		t.Fatalf("fetch with the files selected: exit %d\n%s", code, p.stderr.String())
	}
	if stderr := p.stderr.String(); strings.Contains(stderr, "holds the published") || strings.Contains(stderr, "tables that take the published rows") {
		t.Errorf("\"no\" to the database installed it:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(local, "storage", "app", "public", "a.txt")); err != nil {
		t.Errorf("fetch with the files selected: %v", err)
	}

	// Select: the tables question names the publication's tables, "no" to
	// the database is No; Ctrl-C at the file set's question interrupts.
	term, slave = openTerminal(t)
	p = startOnTerminal(t, local, slave, "fetch", pub.token, "--cache", cache)
	waitFor(p, "the question", question, 1)
	term.typeText(t, "s\n")
	waitFor(p, "the database question", "the database? [Y/n]", 1)
	term.typeText(t, "y\n")
	waitFor(p, "the tables question", "tables that take the published rows", 1)
	stderr = p.stderr.String()
	if strings.Contains(stderr, "wp_") || !strings.Contains(stderr, "e.g. migrations posts;") {
		t.Errorf("the tables question's example is not from the publication's tables (migrations, posts, users):\n%s", stderr)
	}
	term.typeText(t, "posts\n")
	waitFor(p, "the file set question", "file set storage? [Y/n]", 1)
	term.typeText(t, "\x03") // Ctrl-C
	code := p.wait(30 * time.Second)
	stderr = p.stderr.String()
	if code != 130 || !strings.Contains(stderr, "synco: interrupted at the question: nothing was changed\n") {
		t.Fatalf("Ctrl-C at the question: exit %d, want 130 and \"synco: interrupted\"\n%s", code, stderr)
	}
	if strings.Contains(stderr, "holds the published") {
		t.Errorf("fetch interrupted at the question installed the database:\n%s", stderr)
	}
}
