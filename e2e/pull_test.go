package e2e_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The synco pull tests reach the source through real channels: sshd and dockerd
// started by scripts/pull-services.sh (SYNCO_TEST_SSH…, SYNCO_TEST_DOCKER…), and
// --via with a local shell. Without the services they skip (CI=true: fail), with
// the reason the script gave.

// pullResult is a finished synco pull.
type pullResult struct {
	fetchResult
	upload int64 // agent_upload_bytes
}

// pull runs synco pull in dir with env added and waits for it.
func pull(t *testing.T, dir string, env []string, args ...string) pullResult {
	t.Helper()
	p := startDir(t, dir, bin.synco, "", env, append([]string{"pull"}, args...)...)
	code := p.wait(3 * time.Minute)
	r := pullResult{fetchResult: fetchResult{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}}
	if code == 0 && strings.Contains(strings.Join(args, " "), "--json") {
		var f struct {
			Upload *int64 `json:"agent_upload_bytes"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &f); err != nil || f.Upload == nil {
			t.Fatalf("pull --json has no agent_upload_bytes (%v):\n%s", err, r.stdout)
		}
		r.upload = *f.Upload
	}
	return r
}

func (r pullResult) must(t *testing.T) pullResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("pull: exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	return r
}

// wantCode checks a failed pull's exit code, its one error line and its hint.
func (r pullResult) wantCode(t *testing.T, code int, errHas, hintHas string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("pull: exit %d, want %d\nstderr:\n%s", r.code, code, r.stderr)
	}
	if strings.Count(r.stderr, "synco: error: ") != 1 || !strings.Contains(r.stderr, errHas) {
		t.Errorf("want one error line with %q:\n%s", errHas, r.stderr)
	}
	if !strings.Contains(r.stderr, "\nsynco: hint: ") || !strings.Contains(r.stderr, hintHas) {
		t.Errorf("want a hint with %q:\n%s", hintHas, r.stderr)
	}
}

// sshService returns the SYNCO_SSH command and host of the test sshd, or skips.
func sshService(t *testing.T) (sshCmd, host string) {
	t.Helper()
	sshCmd, host = os.Getenv("SYNCO_TEST_SSH"), os.Getenv("SYNCO_TEST_SSH_HOST")
	if sshCmd == "" {
		needService(t, "sshd", os.Getenv("SYNCO_TEST_SSH_SKIP"))
	}
	return sshCmd, host
}

func needService(t *testing.T, what, why string) {
	t.Helper()
	if why == "" {
		why = "not started: run the tests with scripts/test.sh or scripts/pull-services.sh go test …"
	}
	msg := what + " for the pull tests: " + why
	if os.Getenv("CI") == "true" && !strings.Contains(why, "cannot") {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// pullProject is a source project of a framework (a real MariaDB database with
// rows, uploaded files) and an empty checkout of it with its own database.
type pullProject struct {
	src, local   string
	files        string // the upload directory, relative
	table        string // the table with rows
	srcDB, dstDB string
	sameDB       func() // compares the table of both databases
}

// wordpress is sourceProject(t, "wordpress", dbHost).
func wordpress(t *testing.T, dbHost string) (src, local string, sameDB func()) {
	p := sourceProject(t, "wordpress", dbHost)
	return p.src, p.local, p.sameDB
}

// sourceProject makes a WordPress-like or Neos-like project (as frameworks detects
// them); dbHost is how the source reaches MariaDB (WordPress: host:port or
// localhost:/socket; Neos: always 127.0.0.1:3306).
func sourceProject(t *testing.T, kind, dbHost string) *pullProject {
	t.Helper()
	root := mariadb(t)
	p := &pullProject{src: t.TempDir(), local: t.TempDir()}
	srcDB, dstDB := dbName("synco_e2e_pull_src"), dbName("synco_e2e_pull_dst")
	p.srcDB, p.dstDB = srcDB, dstDB
	t.Cleanup(func() {
		root.Exec("DROP DATABASE IF EXISTS " + srcDB)
		root.Exec("DROP DATABASE IF EXISTS " + dstDB)
	})
	var config func(dir, db, host string)
	switch kind {
	case "wordpress":
		p.files, p.table = "wp-content/uploads", "wp_posts"
		config = func(dir, db, host string) {
			writeFile(t, filepath.Join(dir, "wp-config.php"), []byte(`<?php
define( 'DB_NAME', '`+db+`' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '`+host+`' );
$table_prefix = 'wp_';
`), 0o644)
		}
	case "neos":
		p.files, p.table = "Data/Persistent/Resources", "neos_contentrepository_domain_model_nodedata"
		config = func(dir, db, host string) {
			writeFile(t, filepath.Join(dir, "flow"), []byte("#!/usr/bin/env php\n"), 0o755)
			writeFile(t, filepath.Join(dir, "composer.json"), []byte(`{"require": {"neos/neos": "^8.3"}}`), 0o644)
			writeFile(t, filepath.Join(dir, "Configuration", "Settings.yaml"), []byte(
				"Neos:\n  Flow:\n    persistence:\n      backendOptions:\n        driver: pdo_mysql\n        host: 127.0.0.1\n        port: 3306\n        dbname: "+db+"\n        user: root\n        password: ''\n"), 0o644)
		}
	default:
		t.Fatalf("unknown project kind %q", kind)
	}
	for _, q := range []string{
		"CREATE DATABASE " + srcDB,
		"CREATE TABLE " + srcDB + "." + p.table + " (id INT PRIMARY KEY, body TEXT)",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	r := newRand(12)
	var rows []string
	for i := 1; i <= 2000; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'%s')", i, text(r, 200)))
	}
	if _, err := root.Exec("INSERT INTO " + srcDB + "." + p.table + " VALUES " + strings.Join(rows, ",")); err != nil {
		t.Fatal(err)
	}
	config(p.src, srcDB, dbHost)
	config(p.local, dstDB, "127.0.0.1:3306")
	makeBlobs(t, filepath.Join(p.src, p.files), 5, 8)
	os.MkdirAll(filepath.Join(p.local, p.files), 0o755)
	p.sameDB = func() {
		t.Helper()
		var a, b, tb string
		root.QueryRow("CHECKSUM TABLE "+srcDB+"."+p.table).Scan(&tb, &a)
		root.QueryRow("CHECKSUM TABLE "+dstDB+"."+p.table).Scan(&tb, &b)
		if a == "" || a != b {
			t.Errorf("%s: checksum source %q, local %q", p.table, a, b)
		}
	}
	return p
}

// noAgentLeft fails if a process runs the agent binary under dir.
func noAgentLeft(t *testing.T, dir string) {
	t.Helper()
	out, _ := exec.Command("pgrep", "-af", dir+"/").Output()
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "synco-lite") {
			t.Errorf("synco-lite still runs after the pull: %s", line)
		}
	}
}

func TestPullSSH(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	for _, kind := range []string{"wordpress", "neos"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			p := sourceProject(t, kind, "127.0.0.1:3306")
			remoteDir, cache := t.TempDir(), t.TempDir()
			// ssh through a wrapper that counts the connections.
			runs := filepath.Join(t.TempDir(), "ssh-runs")
			env := []string{"SYNCO_SSH=sh -c 'echo run >> " + runs + "; exec " + sshCmd + ` "$@"' ssh`}
			args := []string{host + ":" + p.src, "--yes", "--json", "--remote-dir", remoteDir, "--cache", cache}

			first := pull(t, p.local, env, args...).must(t)
			p.sameDB()
			requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
			fi, err := os.Stat(bin.lite)
			if err != nil {
				t.Fatal(err)
			}
			// Sent gzip-compressed (the source has gzip): about half of synco-lite.
			if first.upload <= 0 || first.upload > fi.Size()*6/10 {
				t.Errorf("first pull uploaded %d agent bytes, want ≤ 60 %% of synco-lite's %d (compressed)", first.upload, fi.Size())
			}
			if strings.Contains(first.stderr, "synco1") {
				t.Errorf("pull showed the token:\n%s", first.stderr)
			}
			noAgentLeft(t, remoteDir)
			// Probe, upload and start in one ssh connection (each costs ≈ 10 round
			// trips and a fork of sshd), not three.
			wantRuns(t, runs, 1)

			// A day later: one row and one file changed.
			if _, err := mariadb(t).Exec("UPDATE " + p.srcDB + "." + p.table + " SET body = 'edited' WHERE id = 7"); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(p.src, p.files, "new.txt"), []byte("a new upload\n"), 0o644)

			second := pull(t, p.local, env, args...).must(t)
			p.sameDB()
			requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
			if second.upload != 0 {
				t.Errorf("second pull uploaded %d agent bytes, want 0", second.upload)
			}
			s1, s2 := first.stats(t), second.stats(t)
			if s2.BytesDownloaded*4 > s1.BytesDownloaded {
				t.Errorf("second pull downloaded %d bytes, the first %d: want a small delta", s2.BytesDownloaded, s1.BytesDownloaded)
			}
			t.Logf("first pull %d bytes, second %d bytes", s1.BytesDownloaded, s2.BytesDownloaded)
			noAgentLeft(t, remoteDir)
			wantRuns(t, runs, 2) // probe and start in one connection, not two
		})
	}
}

// wantRuns checks that the file runs has n lines (ssh connections so far).
func wantRuns(t *testing.T, runs string, n int) {
	t.Helper()
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "run\n"); got != n {
		t.Errorf("synco pull opened %d ssh connections so far, want %d", got, n)
	}
}

// A source named in .synco.yml, reached with --via through ssh.
func TestPullNamedSource(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	src, local, sameDB := wordpress(t, "127.0.0.1:3306")
	writeFile(t, filepath.Join(local, ".synco.yml"), []byte(fmt.Sprintf("sources:\n  prod:\n    via: %s %s\n    from: %s\n", sshCmd, host, src)), 0o644)
	pull(t, local, nil, "--yes", "--remote-dir", t.TempDir(), "--cache", t.TempDir()).must(t)
	sameDB()
	pull(t, local, nil, "staging", "--yes").wantCode(t, 2, `has no source "staging"`, "usage")
}

func TestPullSSHFailures(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	env := []string{"SYNCO_SSH=" + sshCmd}
	t.Run("unknown host", func(t *testing.T) {
		pull(t, t.TempDir(), env, "no-such-host.invalid:/srv/app", "--to", t.TempDir()).
			wantCode(t, 8, "ssh no-such-host.invalid: the control channel to the source failed", "ssh")
	})
	t.Run("no application", func(t *testing.T) {
		empty := t.TempDir()
		pull(t, t.TempDir(), env, host+":"+empty, "--to", t.TempDir(), "--remote-dir", t.TempDir()).
			wantCode(t, 7, "no Neos, Flow, Symfony, Laravel, WordPress, Drupal or TYPO3 configuration found", "the application's directory")
	})
	t.Run("hostile path", func(t *testing.T) {
		// Quotes, $(), ; and spaces in the path reach the source as one word.
		marker := filepath.Join(t.TempDir(), "pwned")
		dir := filepath.Join(t.TempDir(), `it's a $(touch `+marker+`); "x" `+"`touch "+marker+"`")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		pull(t, t.TempDir(), env, host+":"+dir, "--to", t.TempDir(), "--remote-dir", t.TempDir()).
			wantCode(t, 7, "detect project in "+dir, "")
		if _, err := os.Stat(marker); err == nil {
			t.Error("the path was run as a command")
		}
	})
}

// fakeUname makes a directory with a uname that reports system and machine.
func fakeUname(t *testing.T, system, machine string) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uname"), []byte("#!/bin/sh\ncase \"$1\" in -s) echo "+system+";; -m) echo "+machine+";; esac\n"), 0o755)
	return dir
}

func TestPullPlatforms(t *testing.T) {
	t.Parallel()
	t.Run("unsupported", func(t *testing.T) {
		via := "env PATH=" + fakeUname(t, "SunOS", "sun4v") + ":/usr/bin:/bin sh -c"
		pull(t, t.TempDir(), nil, "--via", via, "/srv/app", "--to", t.TempDir(), "--remote-dir", t.TempDir()).
			wantCode(t, 9, `the source runs "SunOS" on "sun4v"`, "synco-lite runs on Linux")
	})
	t.Run("no build here", func(t *testing.T) {
		via := "env PATH=" + fakeUname(t, "Linux", "aarch64") + ":/usr/bin:/bin sh -c"
		pull(t, t.TempDir(), []string{"SYNCO_LITE_DIR=" + t.TempDir()}, "--via", via, "/srv/app", "--to", t.TempDir(), "--remote-dir", t.TempDir()).
			wantCode(t, 9, "looked for synco-lite-linux-arm64", "SYNCO_LITE_DIR")
	})
	t.Run("no shell", func(t *testing.T) {
		pull(t, t.TempDir(), nil, "--via", "env PATH=/nonexistent /bin/sh -c", "/srv/app", "--to", t.TempDir()).
			wantCode(t, 8, "no shell on the source", "distroless")
	})
}

// dockerService returns DOCKER_HOST of the test dockerd and its image, or skips.
func dockerService(t *testing.T) (host, image string) {
	t.Helper()
	host, image = os.Getenv("SYNCO_TEST_DOCKER_HOST"), os.Getenv("SYNCO_TEST_DOCKER_IMAGE")
	if host == "" {
		needService(t, "dockerd", os.Getenv("SYNCO_TEST_DOCKER_SKIP"))
	}
	return host, image
}

// container runs image with args (docker run -d --network none …) and removes it at
// cleanup.
func container(t *testing.T, host string, args ...string) string {
	t.Helper()
	name := dbName("synco-e2e-pull")
	cmd := exec.Command("docker", append([]string{"run", "-d", "--network", "none", "--name", name}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		rm := exec.Command("docker", "rm", "-f", name)
		rm.Env = append(os.Environ(), "DOCKER_HOST="+host)
		rm.Run()
	})
	return name
}

func TestPullDocker(t *testing.T) {
	t.Parallel()
	host, image := dockerService(t)
	env := []string{"DOCKER_HOST=" + host}
	// The application's directory and the database's socket are mounted into a
	// container without network; its files and database are pulled through docker exec.
	src, local, sameDB := wordpress(t, "localhost:/run/mysqld/mysqld.sock")
	ctr := container(t, host, "-v", src+":/app", "-v", "/run/mysqld:/run/mysqld", "--tmpfs", "/noexec:rw,noexec", image, "/bin/sleep", "3600")

	first := pull(t, local, env, "docker://"+ctr+"/app", "--yes", "--json", "--cache", t.TempDir()).must(t)
	sameDB()
	requireSameTree(t, filepath.Join(src, "wp-content", "uploads"), filepath.Join(local, "wp-content", "uploads"))
	if first.upload == 0 {
		t.Error("first pull into a new container uploaded no agent")
	}
	if !strings.Contains(first.stderr, "/.cache/synco-lite/") {
		t.Errorf("the agent did not go to the remote user's cache directory:\n%s", first.stderr)
	}

	t.Run("noexec", func(t *testing.T) {
		pull(t, t.TempDir(), env, "docker://"+ctr+"/app", "--to", t.TempDir(), "--remote-dir", "/noexec").
			wantCode(t, 9, "the agent's directory is not usable", "--remote-dir")
	})
	t.Run("no container", func(t *testing.T) {
		pull(t, t.TempDir(), env, "docker://no-such-container-x/app", "--to", t.TempDir()).
			wantCode(t, 8, "docker container no-such-container-x: the control channel to the source failed", "container")
	})
	t.Run("no shell", func(t *testing.T) {
		// Only /bin/busybox, no sh: a distroless-like container.
		bare := container(t, host, "--entrypoint", "/bin/busybox", image, "sleep", "3600")
		rmSh := exec.Command("docker", "exec", bare, "/bin/busybox", "rm", "/bin/sh")
		rmSh.Env = append(os.Environ(), env...)
		if out, err := rmSh.CombinedOutput(); err != nil {
			t.Fatalf("remove sh: %v\n%s", err, out)
		}
		pull(t, t.TempDir(), env, "docker://"+bare+"/app", "--to", t.TempDir()).
			wantCode(t, 8, "no shell on the source", "distroless")
	})
}

// Ctrl-C while the agent serves: synco stops it (nothing keeps running on the
// source), and the same command run again completes.
func TestPullInterrupted(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	src, local, sameDB := wordpress(t, "127.0.0.1:3306")
	makeBlobs(t, filepath.Join(src, "wp-content", "uploads", "more"), 9, 40)
	remoteDir, cache := t.TempDir(), t.TempDir()
	env := []string{"SYNCO_SSH=" + sshCmd}
	args := []string{"pull", host + ":" + src, "--yes", "--remote-dir", remoteDir, "--cache", cache}

	p := startDir(t, local, bin.synco, "", env, args...)
	agentRuns := func() bool {
		out, _ := exec.Command("pgrep", "-f", remoteDir+"/").Output()
		return len(out) > 0
	}
	waitFor(t, 2*time.Minute, "the agent to start", func() bool { return agentRuns() || p.exited() })
	p.signal(syscall.SIGINT)
	code := p.wait(time.Minute)
	t.Logf("pull after Ctrl-C: exit %d", code)
	if code != 130 && code != 0 {
		t.Fatalf("pull after Ctrl-C: exit %d, want 130 (or 0 if it had finished)\n%s", code, p.stderr.String())
	}
	waitFor(t, 30*time.Second, "the agent to stop", func() bool { return !agentRuns() })

	pull(t, local, env, args[1:]...).must(t)
	sameDB()
	requireSameTree(t, filepath.Join(src, "wp-content", "uploads"), filepath.Join(local, "wp-content", "uploads"))
	noAgentLeft(t, remoteDir)
}

func TestPullHelp(t *testing.T) {
	t.Parallel()
	p := start(t, bin.synco, "", nil, "pull", "--help")
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("pull --help: exit %d", code)
	}
	for _, want := range []string{"Examples:", "Exit codes:", "docker://", "kubectl://", "SYNCO_SSH", "--remote-dir", "--yes", "8    synco pull", "9    synco pull"} {
		if !strings.Contains(p.stdout.String(), want) {
			t.Errorf("pull --help lacks %q", want)
		}
	}
}

// TestPullScrubs: synco pull of a WordPress project scrubs at the source by
// default, like publish: no original e-mail or login reaches the local database,
// and the pull says the dump was scrubbed.
func TestPullScrubs(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	p := sourceProject(t, "wordpress", "127.0.0.1:3306")
	root := mariadb(t)
	if _, err := root.Exec("CREATE TABLE " + p.srcDB + ".wp_users (ID BIGINT PRIMARY KEY, user_login VARCHAR(60) UNIQUE, user_email VARCHAR(100), user_pass VARCHAR(255))"); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for i := 1; i <= 50; i++ {
		rows = append(rows, fmt.Sprintf("(%d,'customer%03d','customer%03d@shop-example.com','$P$Bsecrethash%03d')", i, i, i, i))
	}
	if _, err := root.Exec("INSERT INTO " + p.srcDB + ".wp_users VALUES " + strings.Join(rows, ",")); err != nil {
		t.Fatal(err)
	}
	// a column that looks personal, without a rule: the agent warns, and the
	// pull shows it (only the source's terminal showed it before)
	if _, err := root.Exec("CREATE TABLE " + p.srcDB + ".wp_leads (id INT PRIMARY KEY, phone VARCHAR(30))"); err != nil {
		t.Fatal(err)
	}
	env := []string{"SYNCO_SSH=" + sshCmd}
	r := pull(t, p.local, env, host+":"+p.src, "--yes", "--remote-dir", t.TempDir(), "--cache", t.TempDir()).must(t)
	if !strings.Contains(r.stderr, "scrubbed at the source") {
		t.Errorf("pull does not say the dump was scrubbed:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "synco: source: warning: 1 column looks personal") || !strings.Contains(r.stderr, "synco: source:   wp_leads.phone") {
		t.Errorf("pull does not show the source's warning about wp_leads.phone:\n%s", r.stderr)
	}
	dst := p.dstDB
	var n, leaked int
	if err := root.QueryRow("SELECT COUNT(*), SUM(user_email LIKE '%shop-example.com' OR user_login LIKE 'customer%' OR user_pass LIKE '%secrethash%') FROM "+dst+".wp_users").Scan(&n, &leaked); err != nil {
		t.Fatal(err)
	}
	if n != 50 || leaked != 0 {
		t.Errorf("local wp_users: %d rows, %d with original personal data; want 50 and 0", n, leaked)
	}
}

// freePort returns a TCP port that was free on the machine a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// synco pull --http: the agent still starts over ssh and passes the token in its
// hello, but the data comes over its HTTP port; the install is the same, and the
// agent stops afterwards. A URL that does not reach it fails with exit 4.
func TestPullHTTP(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	p := sourceProject(t, "wordpress", "127.0.0.1:3306")
	remoteDir := t.TempDir()
	env := []string{"SYNCO_SSH=" + sshCmd}
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := []string{host + ":" + p.src, "--yes", "--json", "--remote-dir", remoteDir, "--cache", t.TempDir(), fmt.Sprintf("--http=%d", port)}

	r := pull(t, p.local, env, append(args, "--http-url", url)...).must(t)
	p.sameDB()
	requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
	if !strings.Contains(r.stderr, "the data comes over HTTP from "+url) {
		t.Errorf("pull --http does not say where the data comes from:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "synco1") {
		t.Errorf("pull --http showed the token:\n%s", r.stderr)
	}
	if st := r.stats(t); st.BytesDownloaded == 0 {
		t.Error("pull --http downloaded nothing")
	}
	noAgentLeft(t, remoteDir)
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Errorf("port %d still answers after the pull", port)
	}

	t.Run("wrong url", func(t *testing.T) {
		wrong := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
		pull(t, p.local, env, append(args, "--http-url", wrong)...).
			wantCode(t, 4, "the source's HTTP server cannot be reached: at "+wrong, "--http-url")
		noAgentLeft(t, remoteDir)
	})
	t.Run("host alias", func(t *testing.T) {
		// The default URL names the ssh host, here an alias of ssh_config that
		// does not resolve.
		pull(t, p.local, env, args...).
			wantCode(t, 4, fmt.Sprintf("at http://%s:%d", host, port), "--http-url")
		noAgentLeft(t, remoteDir)
	})
	t.Run("docker without url", func(t *testing.T) {
		// --http before the source: it takes no separate value.
		pull(t, t.TempDir(), nil, "--http", "docker://app/srv", "--to", t.TempDir()).
			wantCode(t, 2, "needs --http-url", "usage")
	})
}

// TestPullOnlyFiles: synco pull --only files does not dump the database on the
// source (it was dumped, sealed and published, only to be ignored here).
func TestPullOnlyFiles(t *testing.T) {
	t.Parallel()
	sshCmd, host := sshService(t)
	p := sourceProject(t, "wordpress", "127.0.0.1:3306")
	env := []string{"SYNCO_SSH=" + sshCmd}
	r := pull(t, p.local, env, host+":"+p.src, "--yes", "--json", "--only", "files", "--remote-dir", t.TempDir(), "--cache", t.TempDir()).must(t)
	if strings.Contains(r.stdout, `"prefix":"db"`) {
		t.Errorf("pull --only files published the database:\n%s", r.stdout)
	}
	requireSameTree(t, filepath.Join(p.src, p.files), filepath.Join(p.local, p.files))
}
