package remote_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"synco/manifest"
	"synco/remote"
)

// TestMain makes this test binary a stand-in agent when it is installed and run
// by the session script as "synco-lite version" or "synco-lite agent …": it
// writes a hello whose token names its arguments and serves them over stdio.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && filepath.Base(os.Args[0]) == "synco-lite" {
		switch os.Args[1] {
		case "version":
			os.Exit(0)
		case "agent":
			fakeAgentMain(os.Args[2:])
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

func fakeAgentMain(args []string) {
	tok := manifest.Token{URL: "http://" + remote.Host + "/p", SignPub: make(ed25519.PublicKey, ed25519.PublicKeySize)}
	if err := remote.WriteHello(os.Stdout, tok.String()); err != nil {
		os.Exit(3)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(args, "\n"))
	})
	remote.Serve(context.Background(), remote.NewConn(os.Stdin, os.Stdout), h, time.Minute)
}

// countingVia is a --via channel (a local shell) that appends a line to the
// returned file each time it runs.
func countingVia(t *testing.T) (remote.Channel, string) {
	runs := filepath.Join(t.TempDir(), "runs")
	return remote.Channel{Kind: remote.Via, ViaCommand: `sh -c 'echo run >> "$0"; exec /bin/sh -c "$1"' ` + runs}, runs
}

func countRuns(t *testing.T, runs string) int {
	b, err := os.ReadFile(runs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

// TestOpenOneRun: Open probes, uploads the agent (when the one there differs)
// and starts it in one run of the channel program — over ssh one connection, not
// three (probe, install, start) on the first pull and two on the next ones.
func TestOpenOneRun(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ch, runs := countingVia(t)
	base := t.TempDir()
	app := filepath.Join(t.TempDir(), "it's an app")
	o := remote.Options{Base: base, Version: "v1", Path: app, Args: []string{"--only", "db"},
		Agent: func(goos, goarch string) (string, error) { return self, nil }}
	for i, wantUpload := range []bool{true, false} {
		s, err := remote.Open(t.Context(), ch, o)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if got := s.Uploaded > 0; got != wantUpload {
			t.Errorf("open %d uploaded %d bytes, want upload %v", i, s.Uploaded, wantUpload)
		}
		if s.Platform.Base != base || s.Platform.Sum == "" {
			t.Errorf("open %d: platform %+v", i, s.Platform)
		}
		resp, err := (&http.Client{Transport: s.Transport}).Get(s.Token.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "--state-dir\n" + s.Platform.StateDir(app) + "\n--dir\n" + app + "\n--only\ndb"
		if string(b) != want {
			t.Errorf("open %d: the agent ran with\n%s\nwant\n%s", i, b, want)
		}
		s.Close()
		if n := countRuns(t, runs); n != i+1 {
			t.Errorf("after open %d the channel program ran %d times, want %d", i, n, i+1)
		}
	}
	got, err := os.ReadFile(filepath.Join(base, "v1", "synco-lite"))
	want, _ := os.ReadFile(self)
	if err != nil || string(got) != string(want) {
		t.Errorf("installed agent differs from the uploaded one (%v)", err)
	}
}

// TestOpenFailures: what Open says when the source cannot run the agent, and
// that the channel program never outlives the failure.
func TestOpenFailures(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fakeUname := t.TempDir()
	os.WriteFile(filepath.Join(fakeUname, "uname"), []byte("#!/bin/sh\ncase \"$1\" in -s) echo SunOS;; -m) echo sun4v;; esac\n"), 0o755)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o644)
	errNoBuild := errors.New("no build for that platform")
	failing := filepath.Join(t.TempDir(), "synco-lite")
	os.WriteFile(failing, []byte("#!/bin/sh\n[ \"$1\" = version ] && exit 0\necho 'synco-lite: error: no application here' >&2\nexit 7\n"), 0o755)
	for _, tc := range []struct {
		name  string
		via   string
		base  string
		agent func(goos, goarch string) (string, error)
		want  error
	}{
		{"no shell", "env PATH=/nonexistent /bin/sh -c", "", nil, remote.ErrNoShell},
		{"unsupported platform", "env PATH=" + fakeUname + ":/usr/bin:/bin /bin/sh -c", "", nil, remote.ErrUnsupported},
		{"no agent built for it", "/bin/sh -c", "", func(string, string) (string, error) { return "", errNoBuild }, errNoBuild},
		{"directory not writable", "/bin/sh -c", file, nil, remote.ErrRemoteDir},
		{"garbage instead of the probe", "printf '%70000s' x; /bin/sh -c", "", nil, remote.ErrChannel},
		{"agent fails", "/bin/sh -c", "", func(string, string) (string, error) { return failing, nil }, remote.ErrAgent},
	} {
		for _, offer := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, offer %v", tc.name, offer), func(t *testing.T) {
				base := tc.base
				if base == "" {
					base = t.TempDir()
				}
				agent := tc.agent
				if agent == nil {
					agent = func(string, string) (string, error) { return self, nil }
				}
				ch := remote.Channel{Kind: remote.Via, ViaCommand: tc.via}
				start := time.Now()
				s, err := remote.Open(t.Context(), ch, remote.Options{Base: base, Version: "v1", Path: "/srv/app", Agent: agent, Offer: offer})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("Open: %v, want %v", err, tc.want)
				}
				if d := time.Since(start); d > remote.Grace {
					t.Errorf("Open failed after %s", d)
				}
			})
		}
	}
}

// TestOpenCancelledWhileAChildHoldsThePipes: as for Start, Ctrl-C while Open
// waits for the source returns soon, whatever the channel program left behind.
func TestOpenCancelledWhileAChildHoldsThePipes(t *testing.T) {
	ch := remote.Channel{Kind: remote.Via, ViaCommand: "sh -c 'sleep 60 & sleep 60'"}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := remote.Open(ctx, ch, remote.Options{Base: t.TempDir(), Version: "v", Path: "/srv/app"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > remote.Grace+5*time.Second {
		t.Fatalf("Open returned after %s", d)
	}
}

// TestOpenOffer: with Options.Offer the agent for this machine's platform goes
// out with the connection, before the probe's answer, still in one run of the
// channel program. The source installs it (first open), skips it when it has
// that agent already (second), and declines it when it runs on another
// platform, which then gets its own agent after the probe (third).
func TestOpenOffer(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	other := "aarch64"
	if out, _ := exec.Command("uname", "-m").Output(); strings.TrimSpace(string(out)) == other {
		other = "x86_64"
	}
	fakeUname := t.TempDir()
	os.WriteFile(filepath.Join(fakeUname, "uname"), []byte("#!/bin/sh\ncase \"$1\" in -m) echo "+other+";; *) exec /bin/uname \"$@\";; esac\n"), 0o755)
	base, otherBase := t.TempDir(), t.TempDir()
	var asked []string
	agent := func(goos, goarch string) (string, error) {
		asked = append(asked, goos+"/"+goarch)
		return self, nil
	}
	for i, tc := range []struct {
		via        string
		base       string
		wantUpload bool
		wantAsked  int // agents looked up
	}{
		{"/bin/sh -c", base, true, 1},
		{"/bin/sh -c", base, false, 1},
		{"env PATH=" + fakeUname + ":/usr/bin:/bin /bin/sh -c", otherBase, true, 2},
	} {
		asked = nil
		ch := remote.Channel{Kind: remote.Via, ViaCommand: `sh -c 'echo run >> "$0"; exec ` + tc.via + ` "$1"' ` + filepath.Join(t.TempDir(), "runs")}
		s, err := remote.Open(t.Context(), ch, remote.Options{Base: tc.base, Version: "v1", Path: "/srv/app", Agent: agent, Offer: true})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if got := s.Uploaded > 0; got != tc.wantUpload {
			t.Errorf("open %d uploaded %d bytes, want upload %v", i, s.Uploaded, tc.wantUpload)
		}
		if len(asked) != tc.wantAsked {
			t.Errorf("open %d looked up agents %v, want %d", i, asked, tc.wantAsked)
		}
		resp, err := (&http.Client{Transport: s.Transport}).Get(s.Token.URL)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		resp.Body.Close()
		s.Close()
		got, err := os.ReadFile(filepath.Join(tc.base, "v1", "synco-lite"))
		want, _ := os.ReadFile(self)
		if err != nil || string(got) != string(want) {
			t.Errorf("open %d: installed agent differs from the uploaded one (%v)", i, err)
		}
	}
}
