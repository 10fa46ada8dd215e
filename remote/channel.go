package remote

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Kind is the program a Channel runs.
type Kind int

const (
	SSH     Kind = iota + 1 // the system's ssh (or SYNCO_SSH)
	Docker                  // docker exec -i
	Kubectl                 // kubectl exec -i
	Via                     // a command prefix given by the user
)

// ErrSpec means a source could not be parsed; the message says which form was expected.
var ErrSpec = errors.New("remote: not a source")

// Channel is a way to run a command on the source with its standard input and output
// connected to this process. The zero value is not usable: use ParseSource or a
// literal with Kind set.
type Channel struct {
	Kind Kind
	Path string // the application's directory on the source ("" or relative: from the login directory)

	User, Host, Port string // SSH
	// SSHCommand replaces "ssh" (from SYNCO_SSH, like GIT_SSH_COMMAND): a shell
	// command the ssh arguments are appended to.
	SSHCommand string

	Container string // Docker: the container; Kubectl: the pod's container ("": its default)
	Namespace string // Kubectl ("": the context's)
	Pod       string // Kubectl
	Context   string // Docker, Kubectl: --context ("": the current one)

	ViaCommand string // Via: a shell command the command line is appended to as one argument
}

var (
	dockerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	kubeName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	sshHost    = regexp.MustCompile(`^[^\s\x00-\x1f\x7f@/'"\\$` + "`" + `;&|<>()*?]+$`)
	sshUser    = regexp.MustCompile(`^[^\s\x00-\x1f\x7f@/:'"\\$` + "`" + `;&|<>()*?]+$`)
)

// ParseSource parses where the application lives:
//
//	[user@]host:PATH                   ssh, scp style (PATH relative to the login directory unless absolute)
//	ssh://[user@]host[:port]/PATH      ssh
//	docker://CONTAINER/PATH            docker exec -i
//	kubectl://NAMESPACE/POD[:CONTAINER]/PATH   kubectl exec -i (empty NAMESPACE: the context's)
//
// With via set, spec is the PATH on the source and via the command that reaches it.
// Errors wrap ErrSpec.
func ParseSource(spec, via string) (Channel, error) {
	if via != "" {
		if strings.TrimSpace(via) == "" || strings.ContainsAny(via, "\x00\n") {
			return Channel{}, fmt.Errorf("%w: --via wants a command", ErrSpec)
		}
		if spec == "" || strings.ContainsRune(spec, 0) {
			return Channel{}, fmt.Errorf("%w: with --via, give the application's directory on the source", ErrSpec)
		}
		return Channel{Kind: Via, ViaCommand: via, Path: spec}, nil
	}
	bad := func(form string) (Channel, error) {
		return Channel{}, fmt.Errorf("%w: %q: want %s", ErrSpec, spec, form)
	}
	if strings.ContainsRune(spec, 0) {
		return bad("no NUL bytes")
	}
	scheme, rest, ok := strings.Cut(spec, "://")
	if !ok {
		return parseSCP(spec)
	}
	switch scheme {
	case "ssh":
		const form = "ssh://[user@]host[:port]/PATH"
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" || u.Path == "" || u.RawQuery != "" || u.Fragment != "" {
			return bad(form)
		}
		c := Channel{Kind: SSH, Host: u.Hostname(), Port: u.Port(), Path: u.Path}
		if u.User != nil {
			c.User = u.User.Username()
			if _, set := u.User.Password(); set {
				return bad(form + " (no password: ssh asks for it)")
			}
		}
		if p, ok := strings.CutPrefix(c.Path, "/~/"); ok {
			c.Path = p
		}
		if !sshHost.MatchString(c.Host) || c.User != "" && !sshUser.MatchString(c.User) || strings.HasPrefix(c.Host, "-") || strings.HasPrefix(c.User, "-") {
			return bad(form)
		}
		return c, nil
	case "docker":
		const form = "docker://CONTAINER/PATH"
		name, path, ok := strings.Cut(rest, "/")
		if !ok || path == "" || !dockerName.MatchString(name) {
			return bad(form)
		}
		return Channel{Kind: Docker, Container: name, Path: "/" + path}, nil
	case "kubectl":
		const form = "kubectl://NAMESPACE/POD[:CONTAINER]/PATH"
		ns, rest, ok1 := strings.Cut(rest, "/")
		pod, path, ok2 := strings.Cut(rest, "/")
		if !ok1 || !ok2 || path == "" {
			return bad(form)
		}
		pod, ctr, _ := strings.Cut(pod, ":")
		if ns != "" && !kubeName.MatchString(ns) || !kubeName.MatchString(pod) || ctr != "" && !kubeName.MatchString(ctr) || len(pod) > 253 {
			return bad(form)
		}
		return Channel{Kind: Kubectl, Namespace: ns, Pod: pod, Container: ctr, Path: "/" + path}, nil
	}
	return bad("ssh://, docker:// or kubectl://, or [user@]host:PATH")
}

// parseSCP parses [user@]host:PATH and [user@][v6addr]:PATH.
func parseSCP(spec string) (Channel, error) {
	bad := fmt.Errorf("%w: %q: want [user@]host:PATH, ssh://, docker:// or kubectl://", ErrSpec, spec)
	c := Channel{Kind: SSH}
	rest := spec
	if at := strings.LastIndex(spec[:max(0, colonPos(spec))], "@"); at >= 0 {
		c.User, rest = spec[:at], spec[at+1:]
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return Channel{}, bad
		}
		c.Host, c.Path = rest[1:end], rest[end+2:]
	} else {
		host, path, ok := strings.Cut(rest, ":")
		if !ok {
			return Channel{}, bad
		}
		c.Host, c.Path = host, path
	}
	if c.Host == "" || strings.Contains(c.Host, "/") || !sshHost.MatchString(c.Host) || strings.HasPrefix(c.Host, "-") ||
		c.User != "" && (!sshUser.MatchString(c.User) || strings.HasPrefix(c.User, "-")) {
		return Channel{}, bad
	}
	return c, nil
}

// colonPos is the position of the colon that ends the host of an scp-style spec
// (after a bracketed address), or -1.
func colonPos(s string) int {
	if i := strings.Index(s, "]:"); i >= 0 && strings.Contains(s[:i], "[") {
		return i + 1
	}
	return strings.Index(s, ":")
}

// String names the channel for messages (no secrets: a channel holds none).
func (c Channel) String() string {
	switch c.Kind {
	case SSH:
		h := c.Host
		if c.User != "" {
			h = c.User + "@" + h
		}
		if c.Port != "" {
			h += " port " + c.Port
		}
		return "ssh " + h
	case Docker:
		return "docker container " + c.Container
	case Kubectl:
		s := "kubectl pod " + c.Pod
		if c.Namespace != "" {
			s = "kubectl pod " + c.Namespace + "/" + c.Pod
		}
		if c.Container != "" {
			s += " container " + c.Container
		}
		return s
	case Via:
		return "via " + c.ViaCommand
	}
	return "unknown channel"
}

// Argv returns the local command (program and arguments) that runs
// "sh -c script sh args…" on the source with stdin and stdout connected. It never
// asks for a terminal (no ssh -t, no docker -t).
func (c Channel) Argv(script string, args ...string) []string {
	remote := append([]string{"sh", "-c", script, "sh"}, args...)
	switch c.Kind {
	case SSH:
		sshArgs := []string{"-T"}
		if c.Port != "" {
			sshArgs = append(sshArgs, "-p", c.Port)
		}
		dest := c.Host
		if c.User != "" {
			dest = c.User + "@" + c.Host
		}
		sshArgs = append(sshArgs, "--", dest, ShellLine(remote))
		if c.SSHCommand != "" {
			// Like git's GIT_SSH_COMMAND: the shell runs it with the arguments appended.
			return append([]string{"sh", "-c", c.SSHCommand + ` "$@"`, "ssh"}, sshArgs...)
		}
		return append([]string{"ssh"}, sshArgs...)
	case Docker:
		argv := []string{"docker"}
		if c.Context != "" {
			argv = append(argv, "--context", c.Context)
		}
		return append(append(argv, "exec", "-i", c.Container), remote...)
	case Kubectl:
		argv := []string{"kubectl"}
		if c.Context != "" {
			argv = append(argv, "--context", c.Context)
		}
		argv = append(argv, "exec", "-i")
		if c.Namespace != "" {
			argv = append(argv, "-n", c.Namespace)
		}
		if c.Container != "" {
			argv = append(argv, "-c", c.Container)
		}
		return append(append(argv, c.Pod, "--"), remote...)
	case Via:
		return []string{"sh", "-c", c.ViaCommand + ` "$@"`, "via", ShellLine(remote)}
	}
	return nil
}

// ShellLine quotes words for a POSIX shell so that it parses them back into the
// same words, whatever they contain.
func ShellLine(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(shellQuote(w))
	}
	return b.String()
}

func shellQuote(w string) string {
	if w == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-./:,+@", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
