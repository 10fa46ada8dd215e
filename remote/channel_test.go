package remote_test

import (
	"errors"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"synco/remote"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want remote.Channel
	}{
		{"deploy@prod.example.com:/var/www/app", remote.Channel{Kind: remote.SSH, User: "deploy", Host: "prod.example.com", Path: "/var/www/app"}},
		{"prod:app", remote.Channel{Kind: remote.SSH, Host: "prod", Path: "app"}},
		{"prod:", remote.Channel{Kind: remote.SSH, Host: "prod", Path: ""}},
		{"me@[::1]:/srv/a b", remote.Channel{Kind: remote.SSH, User: "me", Host: "::1", Path: "/srv/a b"}},
		{"ssh://deploy@prod:2222/var/www/app", remote.Channel{Kind: remote.SSH, User: "deploy", Host: "prod", Port: "2222", Path: "/var/www/app"}},
		{"ssh://prod/~/app", remote.Channel{Kind: remote.SSH, Host: "prod", Path: "app"}},
		{"docker://app-web/var/www/html", remote.Channel{Kind: remote.Docker, Container: "app-web", Path: "/var/www/html"}},
		{"kubectl://shop/web-7d9c/var/www/app", remote.Channel{Kind: remote.Kubectl, Namespace: "shop", Pod: "web-7d9c", Path: "/var/www/app"}},
		{"kubectl://shop/web-7d9c:php/var/www/app", remote.Channel{Kind: remote.Kubectl, Namespace: "shop", Pod: "web-7d9c", Container: "php", Path: "/var/www/app"}},
		{"kubectl:///web/app", remote.Channel{Kind: remote.Kubectl, Pod: "web", Path: "/app"}},
	} {
		got, err := remote.ParseSource(tc.spec, "")
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSource(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	for _, spec := range []string{
		"", "/var/www/app", "prod", "-oProxyCommand=touch x:/app", "a@-oProxyCommand=x:/app", "-l:/x",
		"ssh://prod", "ssh://u:pw@prod/app", "ssh://-oProxyCommand=x/app", "ftp://x/y",
		"docker://app", "docker://-it/app", "docker://a b/app", "docker:///app",
		"kubectl://ns/pod", "kubectl://ns/-pod/app", "kubectl://NS/pod/app", "kubectl://ns/pod:-c/app",
		"host;rm -rf x:/app", "ho$(x)st:/app", "a\x00b:/c",
	} {
		if c, err := remote.ParseSource(spec, ""); !errors.Is(err, remote.ErrSpec) {
			t.Errorf("ParseSource(%q) = %+v, %v; want ErrSpec", spec, c, err)
		}
	}
	c, err := remote.ParseSource("/var/www/app", "ssh -J bastion prod")
	if err != nil || c.Kind != remote.Via || c.ViaCommand != "ssh -J bastion prod" || c.Path != "/var/www/app" {
		t.Errorf("--via: %+v, %v", c, err)
	}
}

// hostile are words that must reach the source unchanged.
var hostile = []string{
	"/var/www/my app", `it's`, `"quoted"`, "$(touch pwned)", "`touch pwned`", "a;b", "a|b", "a&b",
	"*", "~", "-rf", "", " ", "new\nline", `back\slash`, "$HOME", "!event", "=cmd", "#comment", "{a,b}",
}

// TestArgv checks the command of every transport, and that a POSIX shell gets the
// hostile words back intact where a command line is involved.
func TestArgv(t *testing.T) {
	const script = `printf '%s\0' "$@"`
	for _, tc := range []struct {
		ch   remote.Channel
		want []string // before "sh -c script sh args…" (ssh, via: before the line)
	}{
		{remote.Channel{Kind: remote.SSH, Host: "prod"}, []string{"ssh", "-T", "--", "prod"}},
		{remote.Channel{Kind: remote.SSH, User: "deploy", Host: "prod", Port: "2222"}, []string{"ssh", "-T", "-p", "2222", "--", "deploy@prod"}},
		{remote.Channel{Kind: remote.SSH, Host: "prod", SSHCommand: "ssh -F './my config'"}, []string{"sh", "-c", `ssh -F './my config' "$@"`, "ssh", "-T", "--", "prod"}},
		{remote.Channel{Kind: remote.Docker, Container: "web"}, []string{"docker", "exec", "-i", "web"}},
		{remote.Channel{Kind: remote.Docker, Container: "web", Context: "prod"}, []string{"docker", "--context", "prod", "exec", "-i", "web"}},
		{remote.Channel{Kind: remote.Kubectl, Pod: "web-1"}, []string{"kubectl", "exec", "-i", "web-1", "--"}},
		{remote.Channel{Kind: remote.Kubectl, Namespace: "shop", Pod: "web-1", Container: "php", Context: "gke"},
			[]string{"kubectl", "--context", "gke", "exec", "-i", "-n", "shop", "-c", "php", "web-1", "--"}},
		{remote.Channel{Kind: remote.Via, ViaCommand: "ssh -J bastion prod"}, []string{"sh", "-c", `ssh -J bastion prod "$@"`, "via"}},
	} {
		argv := tc.ch.Argv(script, hostile...)
		for _, a := range argv {
			if a == "-t" || a == "-tt" || a == "-it" {
				t.Errorf("%s: asks for a terminal: %q", tc.ch, argv)
			}
		}
		if !reflect.DeepEqual(argv[:len(tc.want)], tc.want) {
			t.Errorf("%s: argv starts %q, want %q", tc.ch, argv[:min(len(argv), len(tc.want))], tc.want)
			continue
		}
		rest := argv[len(tc.want):]
		switch tc.ch.Kind {
		case remote.Docker, remote.Kubectl: // an argv, taken as it is
			want := append([]string{"sh", "-c", script, "sh"}, hostile...)
			if !reflect.DeepEqual(rest, want) {
				t.Errorf("%s: remote argv %q, want %q", tc.ch, rest, want)
			}
		default: // one command line, parsed by the remote user's shell
			if len(rest) != 1 {
				t.Fatalf("%s: want one command line, got %q", tc.ch, rest)
			}
			out, err := exec.Command("sh", "-c", rest[0]).Output()
			if err != nil {
				t.Fatalf("%s: sh -c %q: %v", tc.ch, rest[0], err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if !reflect.DeepEqual(got, hostile) {
				t.Errorf("%s: the shell parsed\n%q\ninto %q", tc.ch, rest[0], got)
			}
		}
	}
}

// SYNCO_SSH and --via are shell commands with the arguments appended: run them
// with a stand-in for ssh that prints its arguments.
func TestArgvCommandPrefix(t *testing.T) {
	ch := remote.Channel{Kind: remote.SSH, Host: "prod", SSHCommand: `printf '%s\0'`}
	argv := ch.Argv("true", "/srv/my app")
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	want := []string{"-T", "--", "prod", `sh -c true sh '/srv/my app'`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SYNCO_SSH got %q, want %q", got, want)
	}
	via := remote.Channel{Kind: remote.Via, ViaCommand: "sh -c"}
	argv = via.Argv(`printf '%s\0' "$@"`, hostile...)
	out, err = exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); !reflect.DeepEqual(got, hostile) {
		t.Errorf("--via 'sh -c' got %q, want %q", got, hostile)
	}
}

func TestPlatformOf(t *testing.T) {
	for _, tc := range []struct{ s, m, os, arch string }{
		{"Linux", "x86_64", "linux", "amd64"}, {"Linux", "aarch64", "linux", "arm64"},
		{"FreeBSD", "amd64", "freebsd", "amd64"}, {"FreeBSD", "arm64", "freebsd", "arm64"},
		{"OpenBSD", "amd64", "openbsd", "amd64"}, {"NetBSD", "amd64", "netbsd", "amd64"},
		{"Darwin", "arm64", "darwin", "arm64"}, {"Darwin", "x86_64", "darwin", "amd64"},
	} {
		os, arch, ok := remote.PlatformOf(tc.s, tc.m)
		if !ok || os != tc.os || arch != tc.arch {
			t.Errorf("%s %s: %s/%s %v", tc.s, tc.m, os, arch, ok)
		}
	}
	for _, tc := range [][2]string{{"SunOS", "sun4v"}, {"Linux", "armv7l"}, {"Linux", "i686"}, {"", ""}, {"CYGWIN_NT-10.0", "x86_64"}} {
		if _, _, ok := remote.PlatformOf(tc[0], tc[1]); ok {
			t.Errorf("%s %s: supported?", tc[0], tc[1])
		}
	}
}
