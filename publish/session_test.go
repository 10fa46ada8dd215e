package publish_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
	"synco/publish/exposetest"
)

// filesIn is one file set of a few files under a new directory.
func filesIn(t *testing.T) publish.Inputs {
	t.Helper()
	dir := t.TempDir()
	for i, n := range []int{0, 1, 5000, 300_000} {
		os.WriteFile(filepath.Join(dir, string(rune('a'+i))), bytes.Repeat([]byte{byte('a' + i)}, n), 0o644)
	}
	return publish.Inputs{FileSets: []publish.FileSet{{Name: "f", Dir: dir}}}
}

func openSession(t *testing.T, cfg publish.SessionConfig) *publish.Session {
	t.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	s, err := publish.OpenSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rootIn opens the sealed root a target holds.
func rootIn(t *testing.T, pub *publish.Publication, sealed []byte) *manifest.Root {
	t.Helper()
	tok := pub.Token("")
	r, err := manifest.OpenRoot(sealed, tok.ReadKey, tok.SignPub)
	if err != nil {
		t.Fatalf("open root: %v", err)
	}
	return r
}

func readView(t *testing.T, v *publish.PackView) []byte {
	t.Helper()
	r, err := v.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTargetsHoldTheSamePublication: the publication's memory (what the embedded
// server serves) and a Dir (publish --out) get the same root and the same packs,
// byte for byte, and the Dir holds nothing else.
func TestTargetsHoldTheSamePublication(t *testing.T) {
	s := openSession(t, publish.SessionConfig{})
	pub := s.Publication()
	dir, err := publish.NewDir(filepath.Join(t.TempDir(), pub.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Expose(dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir.Path(), "root")); err != nil || !bytes.Equal(b, pub.Root()) {
		t.Fatalf("Dir's root before the build: %v, differs from the memory's", err)
	}
	if _, err := s.Build(t.Context(), filesIn(t), 2, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir.Path(), "root"))
	if err != nil || !bytes.Equal(b, pub.Root()) {
		t.Fatalf("Dir's root: %v, differs from the memory's", err)
	}
	if r := rootIn(t, pub, b); r.State != manifest.StateReady {
		t.Fatalf("Dir's root in state %v", r.State)
	}
	views := pub.Packs()
	if len(views) == 0 {
		t.Fatal("no packs")
	}
	for _, v := range views {
		got, err := os.ReadFile(filepath.Join(dir.Path(), "p", v.Name()))
		if err != nil || !bytes.Equal(got, readView(t, v)) {
			t.Errorf("pack %s in Dir: %v, differs from the memory's", v.Name(), err)
		}
	}
	if names, _ := exposetest.Dir(dir.Path()).Packs(); len(names) != len(views) {
		t.Errorf("Dir holds %d packs, the publication %d", len(names), len(views))
	}
	tok := pub.Token("")
	exposetest.Check(t, tok, exposetest.Dir(dir.Path()))

	// A target added to a Ready publication gets its packs and root at once.
	late := &publish.Memory{}
	if err := pub.AddTarget(late); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(late.Root(), pub.Root()) || len(late.Packs()) != len(views) {
		t.Errorf("late target: %d packs, root equal %v", len(late.Packs()), bytes.Equal(late.Root(), pub.Root()))
	}
}

// failing is a Target whose PutPack fails.
type failing struct{ publish.Memory }

var errTargetFull = errors.New("target full")

func (f *failing) PutPack(*publish.PackView) error { return errTargetFull }

// TestFailingTargetLeavesNoPacks: a target that cannot take a pack fails the
// build; the publication is Failed with that reason, and no target keeps a pack
// no root references (the Dir that took them before is emptied again).
func TestFailingTargetLeavesNoPacks(t *testing.T) {
	s := openSession(t, publish.SessionConfig{Keep: true})
	pub := s.Publication()
	dir, err := publish.NewDir(filepath.Join(t.TempDir(), pub.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Expose(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Expose(&failing{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Build(t.Context(), filesIn(t), 2, nil); !errors.Is(err, errTargetFull) {
		t.Fatalf("Build: %v, want the target's error", err)
	}
	if st, reason := pub.State(); st != manifest.StateFailed || !strings.Contains(reason, errTargetFull.Error()) {
		t.Errorf("publication %v %q, want Failed with the target's error", st, reason)
	}
	if names, _ := exposetest.Dir(dir.Path()).Packs(); len(names) != 0 {
		t.Errorf("Dir keeps packs %v of a publication that never became Ready", names)
	}
	if n := len(pub.Packs()); n != 0 {
		t.Errorf("memory holds %d packs of a publication that never became Ready", n)
	}
	b, _ := os.ReadFile(filepath.Join(dir.Path(), "root"))
	if r := rootIn(t, pub, b); r.State != manifest.StateFailed {
		t.Errorf("Dir's root in state %v, want Failed", r.State)
	}
}

// TestSessionStopBeforeReady: a session closed before its publication is Ready
// (a signal, --ttl, an error before the build) leaves a root that says Failed,
// StoppedReason, before its targets are removed or kept; a Ready one stays Ready.
func TestSessionStopBeforeReady(t *testing.T) {
	for _, keep := range []bool{true, false} {
		s := openSession(t, publish.SessionConfig{Keep: keep})
		pub := s.Publication()
		dir, err := publish.NewDir(filepath.Join(t.TempDir(), pub.Prefix))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Expose(dir); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if st, reason := pub.State(); st != manifest.StateFailed || reason != publish.StoppedReason {
			t.Errorf("keep=%v: publication %v %q, want Failed %q", keep, st, reason, publish.StoppedReason)
		}
		b, err := os.ReadFile(filepath.Join(dir.Path(), "root"))
		switch {
		case keep && err != nil:
			t.Errorf("keep: root gone: %v", err)
		case keep:
			if r := rootIn(t, pub, b); r.State != manifest.StateFailed || r.Reason != publish.StoppedReason {
				t.Errorf("kept root: %v %q", r.State, r.Reason)
			}
		case !errors.Is(err, fs.ErrNotExist):
			t.Errorf("without keep: %v, want the directory removed", err)
		}
	}
	s := openSession(t, publish.SessionConfig{})
	if _, err := s.Build(t.Context(), filesIn(t), 2, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st, _ := s.Publication().State(); st != manifest.StateReady {
		t.Errorf("closed Ready publication in state %v", st)
	}
}

// TestSessionBuildFails: a build that fails marks the publication Failed with its
// error, one stopped by its context with StoppedReason.
func TestSessionBuildFails(t *testing.T) {
	s := openSession(t, publish.SessionConfig{})
	bad := publish.Inputs{FileSets: []publish.FileSet{{Name: manifest.ReservedDir, Dir: t.TempDir()}}}
	_, err := s.Build(t.Context(), bad, 2, nil)
	if !errors.Is(err, publish.ErrReservedName) {
		t.Fatalf("Build: %v, want ErrReservedName", err)
	}
	if st, reason := s.Publication().State(); st != manifest.StateFailed || reason != err.Error() {
		t.Errorf("publication %v %q, want Failed %q", st, reason, err)
	}

	s = openSession(t, publish.SessionConfig{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Build(ctx, filesIn(t), 2, nil); err == nil {
		t.Fatal("Build with a cancelled context succeeded")
	}
	if st, reason := s.Publication().State(); st != manifest.StateFailed || reason != publish.StoppedReason {
		t.Errorf("publication %v %q, want Failed %q", st, reason, publish.StoppedReason)
	}
	s.Close()
}

// TestSessionServes: Serve serves the publication's handler until Close, which
// waits for the server to end; Wait returns when serving ends, with its error.
func TestSessionServes(t *testing.T) {
	s := openSession(t, publish.SessionConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(t.Context(), func(ctx context.Context, h http.Handler) error { return httpsrv.Serve(ctx, ln, h) })
	if _, err := s.Build(t.Context(), filesIn(t), 2, nil); err != nil {
		t.Fatal(err)
	}
	pub := s.Publication()
	rep := exposetest.Check(t, pub.Token(""), exposetest.HTTP{Base: "http://" + ln.Addr().String() + "/" + pub.Prefix})
	if rep.Packs == 0 {
		t.Error("nothing served")
	}
	select {
	case <-s.Served():
		t.Fatal("serving ended before Close")
	default:
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-s.Served() // Close waited for it
	if _, err := http.Get("http://" + ln.Addr().String() + "/" + pub.Prefix + "/root"); err == nil {
		t.Error("still serving after Close")
	}

	s = openSession(t, publish.SessionConfig{})
	errDown := errors.New("connection lost")
	s.Serve(t.Context(), func(context.Context, http.Handler) error { return errDown })
	if err := s.Wait(t.Context()); !errors.Is(err, errDown) {
		t.Errorf("Wait: %v, want the server's error", err)
	}
	if err := s.ServeErr(); !errors.Is(err, errDown) {
		t.Errorf("ServeErr: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := openSession(t, publish.SessionConfig{}).Wait(ctx); err != nil {
		t.Errorf("Wait without a server, context ended: %v", err)
	}
}

// TestSessionRotates: Rotate gives the store new keys, so a token of an earlier
// session reads nothing of the new one; a reopened session keeps its keys, and a
// second session on the same store is refused while the first holds it.
func TestSessionRotates(t *testing.T) {
	state := t.TempDir()
	keyOf := func(cfg publish.SessionConfig) [32]byte {
		cfg.StateDir = state
		s := openSession(t, cfg)
		defer s.Close()
		if _, err := publish.OpenSession(cfg); !errors.Is(err, publish.ErrLocked) {
			t.Fatalf("second session: %v, want ErrLocked", err)
		}
		return s.Publication().Token("").ReadKey
	}
	k1 := keyOf(publish.SessionConfig{})
	if k2 := keyOf(publish.SessionConfig{}); k2 != k1 {
		t.Error("reopening changed the keys")
	}
	if k3 := keyOf(publish.SessionConfig{Rotate: true}); k3 == k1 {
		t.Error("Rotate kept the keys")
	}
}

// TestDirRemovePack: a Dir removes packs by name only, never a path.
func TestDirRemovePack(t *testing.T) {
	parent := t.TempDir()
	dir, err := publish.NewDir(filepath.Join(parent, "pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(parent, "pub", "root"), []byte("r"), 0o644)
	os.WriteFile(filepath.Join(parent, "pub", "p", "abc"), []byte("x"), 0o644)
	for _, name := range []string{"../root", "..", "", "ABC", "a/b"} {
		if err := dir.RemovePack(name); !errors.Is(err, publish.ErrPackName) {
			t.Errorf("RemovePack(%q): %v, want ErrPackName", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(parent, "pub", "root")); err != nil {
		t.Fatal(err)
	}
	if err := dir.RemovePack("abc"); err != nil {
		t.Fatal(err)
	}
	if err := dir.RemovePack("abc"); err != nil {
		t.Errorf("removing a missing pack: %v", err)
	}
	if err := dir.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(parent, "pub")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after RemoveAll: %v", err)
	}
}
