// Package cli is what synco and synco-lite share: exit codes, error and hint lines,
// size and duration flags, progress, and the publish and agent commands.
//
// Size: ≈2,100 lines, above the house guide of ~1,500: it is the CLI wiring of
// both binaries (flags, printing, hints), which by the house rules may live
// nowhere else; the library work behind it is in publish, install and fetch.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"synco/chunkstore"
	"synco/dumpers"
	"synco/dumpers/mysql"
	"synco/dumpers/postgres"
	"synco/httpsrv"
	"synco/manifest"
	"synco/publish"
	"synco/remote"
)

// Exit codes. They are part of the CLI contract (README "Exit codes").
const (
	ExitOK          = 0
	ExitError       = 1   // anything not listed below
	ExitUsage       = 2   // bad flags or arguments
	ExitToken       = 3   // token mistyped, incomplete or of an unknown version
	ExitUnreachable = 4   // source unreachable, or the publication is gone
	ExitTampered    = 5   // data failed verification: tampered, or token for another publication
	ExitLocal       = 6   // local write failed: disk full, permissions, unsafe target path
	ExitSourceFail  = 7   // the source reported that publishing failed
	ExitChannel     = 8   // synco pull: ssh/docker/kubectl failed, or the source has no shell
	ExitAgent       = 9   // synco pull: synco-lite cannot run on the source (platform, directory)
	ExitInterrupted = 130 // Ctrl-C / SIGTERM
)

// FetchErrors are the destination's errors that Classify tells apart. The
// synco binary sets Fetch (cmd/synco registers package fetch's); synco-lite
// leaves it zero, so that it does not link the destination's package: a nil
// sentinel matches no error.
type FetchErrors struct {
	Tampered, CacheDamaged, Stalled, TargetLocked, Replay, UnsafePath error
	// SourceFailed reports whether err is (or wraps) a source's failure report.
	SourceFailed func(err error) bool
}

// Fetch is set once by the synco binary before Main runs.
var Fetch FetchErrors

// Classify maps an error of the command cmd ("synco fetch", "synco-lite publish",
// "synco cache gc", …) to its exit code and a hint for the user. Hints name only
// that command's flags.
func Classify(cmd string, err error) (code int, hint string) {
	fetching, publishing := strings.HasSuffix(cmd, " fetch"), strings.HasSuffix(cmd, " publish")
	fe := Fetch
	switch {
	case err == nil:
		return ExitOK, ""
	case errors.Is(err, context.Canceled):
		if !fetching {
			return ExitInterrupted, ""
		}
		return ExitInterrupted, "run the same command again to continue where it stopped"
	case errors.Is(err, manifest.ErrTokenMistyped):
		return ExitToken, "copy the whole token again from the source's output (it starts with synco1)"
	case errors.Is(err, manifest.ErrTokenVersion):
		return ExitToken, "the token comes from another synco version: use matching versions on both sides"
	case errors.Is(err, httpsrv.ErrCertPin):
		return ExitTampered, "something between here and the source answered with another certificate (a TLS-intercepting proxy?), or the token is from another run of synco-lite; copy the token again"
	case errors.Is(err, dumpers.ErrRefused):
		return ExitTampered, "the source's dump holds a statement that synco's dumpers never write (it could act outside the imported database); nothing was installed. Is the source compromised? Tell its administrator"
	case errors.Is(err, fe.Replay):
		return ExitTampered, "this token is for an older publication of the same source than one already fetched here (an old command from the shell history, or a replay); publish again on the source and use the new token"
	case errors.Is(err, httpsrv.ErrForbiddenAddr):
		return ExitTampered, "the publication names files on an address in this machine's or this network's private range; synco does not fetch those (a compromised source could reach your local services). Nothing was installed"
	case errors.Is(err, httpsrv.ErrRedirect):
		return ExitTampered, "a server redirected synco to another host; synco stays on the publication's own hosts. Check proxies/CDNs in between"
	case errors.Is(err, manifest.ErrRootAuth):
		return ExitTampered, "the token does not belong to this publication, or the data was altered in transit; copy the token again"
	case errors.Is(err, fe.CacheDamaged):
		return ExitLocal, "the local chunk cache was damaged (disk?); the bad chunk was removed: run the same command again"
	case errors.Is(err, chunkstore.ErrCorrupt), errors.Is(err, fe.Tampered), errors.Is(err, manifest.ErrFormat), errors.Is(err, manifest.ErrVersion):
		return ExitTampered, "data was altered between source and here; nothing was installed. Check proxies/CDNs in between, then retry"
	case errors.Is(err, httpsrv.ErrUntrusted):
		return ExitUnreachable, "the source's HTTPS certificate is not trusted on this machine (self-signed? expired? another name?); fix it on the web server, or publish with --tls for a certificate the token pins"
	case errors.Is(err, fe.Stalled):
		return ExitUnreachable, "the source shows no progress: is synco-lite still running there (it may have been killed)? Publish again and use the new token"
	case errors.Is(err, fe.TargetLocked):
		return ExitLocal, "another synco fetch is writing into this directory; wait for it to finish, or choose another --to"
	case errors.Is(err, httpsrv.ErrGone):
		return ExitUnreachable, "the publication is gone: was synco-lite stopped? Publish again and use the new token"
	case errors.Is(err, httpsrv.ErrUnreachable):
		return ExitUnreachable, "is synco-lite still running on the source (it stops by itself after --ttl, and after --once), and is its port reachable from here (firewall, --listen, --url)? If it stopped, publish again and use the new token: what was downloaded stays in the cache"
	case errors.Is(err, remote.ErrHTTP):
		return ExitUnreachable, "synco pull --http fetches from the source's port directly: pass --http-url URL when this machine reaches it under another address (NAT, a proxy), open the port in the firewall, or drop --http to fetch over the channel"
	case errors.Is(err, remote.ErrNoShell):
		return ExitChannel, "the source has no /bin/sh (a distroless image?): copy synco-lite into it (docker cp / kubectl cp), run synco-lite publish there and synco fetch here, or pull from a container of the same volumes that has a shell"
	case errors.Is(err, remote.ErrChannel):
		return ExitChannel, "check that the same ssh, docker exec, kubectl exec or --via command works from this shell (host, user, keys, container or pod name, context, the command's name; a --via command that runs a program, like docker exec -i NAME, ends with sh -c); SYNCO_SSH replaces the ssh command"
	case errors.Is(err, remote.ErrUnsupported):
		return ExitAgent, "synco-lite runs on Linux, FreeBSD, OpenBSD, NetBSD and macOS, amd64 or arm64; put synco-lite-OS-ARCH next to synco or into SYNCO_LITE_DIR (scripts/build.sh makes them)"
	case errors.Is(err, remote.ErrRemoteDir):
		return ExitAgent, "pass --remote-dir DIR, a directory on the source that the remote user can write and run programs from (e.g. /var/tmp/synco, not on a noexec mount)"
	case errors.Is(err, remote.ErrDamaged):
		return ExitTampered, "synco-lite changed on the source after it was uploaded, or the upload was damaged; run again to upload it anew"
	case errors.Is(err, remote.ErrAgent) && credentialsRefused(err.Error()):
		return ExitSourceFail, "the source's database refused the user or password that the application's configuration on the source names: check them there (synco detect on the source shows which file they come from)"
	case errors.Is(err, remote.ErrAgent):
		return ExitSourceFail, "fix it on the source: give the application's directory (where synco detect finds its framework and database), or see synco-lite publish --help"
	case fe.SourceFailed != nil && fe.SourceFailed(err):
		return ExitSourceFail, "see the source's output for details"
	case errors.Is(err, fe.UnsafePath):
		return ExitLocal, "move the conflicting file or symlink away, or choose another --to"
	case errors.Is(err, syscall.ENOSPC) && fetching:
		return ExitLocal, "free some disk space (synco cache gc --max-size … helps) and run again: downloaded chunks are kept"
	case errors.Is(err, syscall.ENOSPC) && publishing:
		return ExitLocal, "free some disk space for the --state-dir store (or the --out DIR) and publish again"
	case errors.Is(err, syscall.ENOSPC):
		return ExitLocal, "free some disk space and run again"
	case (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) && fetching:
		return ExitLocal, "check the permissions of the target and cache directories"
	case (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) && publishing:
		return ExitLocal, "check that this user can read what is published and write the --state-dir (and the --out DIR)"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return ExitLocal, "check the permissions of the directory in the error"
	case (errors.Is(err, mysql.ErrAccessDenied) || errors.Is(err, postgres.ErrAuth)) && fetching:
		return ExitError, "check the user and password of the local database (--db / SYNCO_LOCAL_DB, or the project's configuration: see synco detect)"
	case errors.Is(err, mysql.ErrAccessDenied), errors.Is(err, postgres.ErrAuth):
		return ExitError, "check the user and password of the database (--db / SYNCO_DB, or the application's configuration)"
	case errors.Is(err, mysql.ErrUnreachable), errors.Is(err, postgres.ErrNoAnswer):
		return ExitError, "is the database server running, and are host, port or socket right (and is it the right kind of database on that port)?"
	case errors.As(err, new(*mysql.PrivilegeError)), errors.Is(err, postgres.ErrPrivilege):
		return ExitError, "grant the named privilege to the database user, or use a user that has it"
	case errors.Is(err, publish.ErrLocked):
		return ExitError, "another synco-lite publish is running with this --state-dir; stop it or pass another --state-dir"
	}
	// Before IsTransient: a syscall.Errno satisfies net.Error, so a failed local
	// file operation (e.g. --to is a file) would pass for a network failure.
	var pe *fs.PathError
	var le *os.LinkError
	if errors.As(err, &pe) || errors.As(err, &le) {
		return ExitLocal, "a local file operation failed: check the path in the error (a file where a directory belongs, permissions, free space)"
	}
	var se *httpsrv.StatusError
	if errors.As(err, &se) || httpsrv.IsTransient(err) {
		return ExitUnreachable, "the source or the network failed repeatedly; run the same command again to resume"
	}
	return ExitError, ""
}

// Report prints "<prog>: error: …" and an optional hint line for an error of the
// command cmd (see Classify), and returns the exit code. It is for errors that were
// not caused by a signal (Main handles those).
func Report(w io.Writer, prog, cmd string, err error) int {
	code, hint := Classify(cmd, err)
	if code == ExitInterrupted {
		code, hint = ExitError, "" // cancelled from within, not by the user: a bug, show it
	}
	fmt.Fprintf(w, "%s: error: %s\n", prog, Clean(err.Error())) // may quote the source
	if hint != "" {
		fmt.Fprintf(w, "%s: hint: %s\n", prog, hint)
	}
	return code
}

// exitMeanings describe the exit codes for --help, in order.
var exitMeanings = []struct {
	code    int
	meaning string
}{
	{ExitOK, "success"},
	{ExitError, "other error"},
	{ExitUsage, "usage error"},
	{ExitToken, "token mistyped, incomplete or of another version"},
	{ExitUnreachable, "source unreachable, or the publication is gone"},
	{ExitTampered, "verification failed (tampered data, a token for another publication, a dump\n       statement outside what a dump may do)"},
	{ExitLocal, "local write failed (disk full, permissions, unsafe target path)"},
	{ExitSourceFail, "the source failed to publish"},
	{ExitChannel, "synco pull: ssh, docker or kubectl failed, or the source has no shell"},
	{ExitAgent, "synco pull: synco-lite cannot run on the source (platform, read-only or\n       noexec directory: see --remote-dir)"},
	{ExitInterrupted, "interrupted (run the same command again to resume)"},
}

// ExitCodes is the exit code table shown in --help, with the given codes only (all
// of them when none is given).
func ExitCodes(codes ...int) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, m := range exitMeanings {
		if len(codes) == 0 || slices.Contains(codes, m.code) {
			fmt.Fprintf(&b, "  %-4d %s\n", m.code, m.meaning)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// ExitCodesHelp is the table of every exit code.
var ExitCodesHelp = ExitCodes()

// PublishExitCodes are the codes of publish. Stopping it (Ctrl-C, SIGTERM, --ttl)
// once it serves is a success; 130 is for an interrupt while it prepares.
var PublishExitCodes = ExitCodes(ExitOK, ExitError, ExitUsage, ExitLocal, ExitInterrupted)

// credentialsRefused reports whether an error of the source's agent (its text)
// is a database that refused the user or password: MariaDB/MySQL's "access
// denied", PostgreSQL's failed password authentication or unknown role.
func credentialsRefused(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "access denied") || strings.Contains(m, "password authentication failed") ||
		strings.Contains(m, "role \"") && strings.Contains(m, "does not exist")
}
