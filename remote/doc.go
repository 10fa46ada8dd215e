// Package remote runs synco-lite on a source that the developer reaches through a
// control channel (ssh, docker exec, kubectl exec, or any command that runs a shell
// command line there), and carries the publication over that channel's standard
// input and output.
//
// The destination side:
//
//	ch, _ := remote.ParseSource("deploy@prod:/var/www/app", "")
//	s, _ := remote.Open(ctx, ch, remote.Options{Base: remoteDir, Version: version, Agent: find, Path: path})
//	fetch with s.Token and s.Transport, then s.Close()  // explicit end, grace period, kill
//
// Open runs the channel program once: a script that probes the source (uname -s -m,
// $HOME, the installed agent's hash, gzip), then reads the destination's answer on
// its stdin — "start", or "install SIZE SHA256 HOW" and the agent's bytes — and
// runs "synco-lite agent …", whose hello and HTTP/2 connection follow on the same
// stdin and stdout. Every run of the channel program costs: over ssh a connection
// (key exchange, authentication, a fork of sshd: ≈ 10 round trips), over kubectl a
// round through the API server. Probe, Install and Start (StartHTTP) do the same
// in three runs.
//
// The source side (synco-lite agent) calls WriteHello and Serve on its standard input
// and output.
//
// # Wire format on the channel's stdout
//
// Anything (e.g. the greeting of a login shell) may come first; the destination skips
// it up to 64 KiB. Then the hello: the 8 bytes Magic, a 2-byte big-endian length n,
// n bytes of token text. Then both directions carry one HTTP/2 connection without TLS
// (prior knowledge; the destination sends the client preface): every range read of
// the fetch is a stream of it. A GET of EndPath asks the agent to stop: it answers,
// stops serving, and exits. The agent also exits when the connection ends or stays
// idle, so it never relies on end-of-file of its standard input alone.
//
// With Open, the probe's lines come first on stdout ("synco-probe-2", the system,
// the machine, the base directory, the installed agent's SHA-256 or "none", "gzip"
// or "-"; after up to 64 KiB of anything), and stdin carries the destination's
// answer line (and the upload) before the client preface; the destination writes
// nothing more until it has read the hello, so the script's read and head -c never
// take bytes meant for the agent (busybox's head reads ahead through stdio).
//
// With StartHTTP (synco pull --http) the hello is the same, but the token's URL is
// the agent's HTTP server (agent --http --listen --url) and nothing else follows on
// stdout; the destination GETs PingPath there first (204: it reaches this agent,
// else ErrHTTP), fetches over that connection, and at the end writes EndMessage on
// the agent's stdin (its end-of-file or --idle stop it too).
//
// # Quoting
//
// One rule per transport: ssh and --via get one POSIX shell command line (ssh joins
// its arguments into one line for the remote user's shell anyway); docker and kubectl
// get an argv (after "--" for kubectl) that runs "sh -c SCRIPT sh ARGS…", where SCRIPT
// is a constant of this package and ARGS are passed as they are. Paths and names given
// by the user never become part of SCRIPT.
package remote
