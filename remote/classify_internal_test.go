package remote

import (
	"errors"
	"strings"
	"testing"
)

// A --via command that is not found here is a channel error (check the
// command), not a source without a shell; a source without sh still is one.
func TestClassifyVia(t *testing.T) {
	for _, c := range []struct {
		via, stderr string
		code        int
		want        error
	}{
		{"nosuchcmd", "via: 1: exec: nosuchcmd: not found\n", 127, ErrChannel},
		{"nosuchcmd --flag", "bash: line 1: nosuchcmd: command not found\n", 127, ErrChannel},
		{"ssh box", "sh: 1: exec: sh: not found\n", 127, ErrNoShell},
		{"docker exec -i app", "OCI runtime exec failed: exec: \"sh\": executable file not found in $PATH\n", 127, ErrNoShell},
		{"ssh box", "ssh: Could not resolve hostname box\n", 255, ErrChannel},
	} {
		if got := classify(Channel{Kind: Via, ViaCommand: c.via}, c.stderr, c.code); !errors.Is(got, c.want) {
			t.Errorf("via %q, %q, %d: %v, want %v", c.via, c.stderr, c.code, got, c.want)
		}
	}
}

// A channel's error keeps its reason short: a shell that echoes the script it
// could not run (via sh, without -c) put 1.5 KB of synco's script in one line.
func TestErrorClipped(t *testing.T) {
	e := &Error{Kind: ErrChannel, Channel: "via sh", Stderr: "sh: 0: cannot open sh -c '" + strings.Repeat("echo x; ", 200) + "': No such file\n"}
	if msg := e.Error(); len(msg) > 400 || !strings.HasSuffix(msg, "…") {
		t.Errorf("error of %d bytes: %q", len(msg), msg)
	}
	// synco-lite's own reason, with its advice at the end, is kept whole
	long := "synco-lite: error: detect project in /x: no configuration found (looked at " + strings.Repeat("a/b.php, ", 60) + "); synco pull takes the application's directory"
	if msg := (&Error{Kind: ErrAgent, Channel: "via sh -c", Stderr: long}).Error(); !strings.HasSuffix(msg, "synco pull takes the application's directory") {
		t.Errorf("agent error clipped: %q", msg)
	}
}
