// Command smallfiles measures synco on many small files against tar, side by
// side (issue 15 §3): a cold `synco-lite publish --files` until it is ready
// against `tar c | zstd -3 -T1 > /dev/null`, and a cold `synco fetch` (empty
// cache, no target) from the publisher's embedded server against
// `curl URL | tar x` of a tar stream served over HTTP on loopback by
// bench/httpserve. Several builds of synco (-bins) run in the same rounds, in
// an order that alternates, so "before" and "after" see the same machine.
//
// Reported per side: medians of wall time, CPU time (user+sys of the
// process and its children; for publish, of the publisher until it turned
// ready, read from /proc) and peak RSS; with -strace, one more round under
// `strace -c -f` gives the system calls per file.
//
//	go build -o BIN/ ./cmd/synco ./cmd/synco-lite ./bench/gen ./bench/httpserve
//	smallfiles -n 100000 -maxsize 8192 -runs 5 -work /tmp/small -bins old=OLDBIN,new=BIN [-strace]
//
// BIN of the first build also provides gen and httpserve. `smallfiles profile`
// runs one side in process with CPU and heap profiles (profile.go).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type build struct{ name, dir string }

type sample struct {
	wall, cpu time.Duration
	rssKB     int64
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "profile" {
		if err := profile(os.Args[2:]); err != nil {
			fail(err)
		}
		return
	}
	n := flag.Int("n", 100000, "number of files")
	maxSize := flag.Int("maxsize", 8192, "largest file (bytes; sizes are uniform from 1 KiB)")
	runs := flag.Int("runs", 5, "rounds")
	work := flag.String("work", "/tmp/synco-smallfiles", "work directory (the tree is kept between invocations)")
	bins := flag.String("bins", "", "NAME=DIR,… builds of synco and synco-lite to compare")
	port := flag.Int("port", 18620, "first of three loopback ports")
	straceFlag := flag.Bool("strace", false, "one more round under strace -c -f: system calls per file")
	only := flag.String("only", "publish,fetch", "what to measure")
	clean := flag.Bool("clean", true, "remove the trees this run wrote (WORK/trash) when it is over")
	flag.Parse()
	var builds []build
	for _, b := range strings.Split(*bins, ",") {
		name, dir, ok := strings.Cut(b, "=")
		if !ok {
			fail(errors.New("-bins: want NAME=DIR,…"))
		}
		builds = append(builds, build{name, dir})
	}
	if len(builds) == 0 {
		fail(errors.New("-bins is required"))
	}
	b := &bench{n: *n, work: *work, builds: builds, port: *port, res: map[string][]sample{}}
	if err := b.run(*maxSize, *runs, *straceFlag, *clean, *only); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "smallfiles:", err)
	os.Exit(1)
}

type bench struct {
	n      int
	work   string
	tree   string
	builds []build
	port   int
	res    map[string][]sample
	order  []string
	seq    int // of fresh paths
}

func (b *bench) add(key string, s sample) {
	if _, ok := b.res[key]; !ok {
		b.order = append(b.order, key)
	}
	b.res[key] = append(b.res[key], s)
	fmt.Fprintf(os.Stderr, "  %-22s wall %7.3fs  cpu %7.3fs  rss %7.1f MB\n", key, s.wall.Seconds(), s.cpu.Seconds(), float64(s.rssKB)/1024)
}

func (b *bench) run(maxSize, runs int, straceRun, clean bool, only string) error {
	b.tree = filepath.Join(b.work, fmt.Sprintf("small-%d-%d", b.n, maxSize))
	if _, err := os.Stat(filepath.Join(b.tree, ".done")); err != nil {
		os.RemoveAll(b.tree)
		fmt.Fprintf(os.Stderr, "generate %d files (1 KiB–%d B) in %s\n", b.n, maxSize, b.tree)
		cmd := exec.Command(filepath.Join(b.builds[0].dir, "gen"), "smallfiles", "-n", strconv.Itoa(b.n), "-maxsize", strconv.Itoa(maxSize), "-out", filepath.Join(b.tree, "small"))
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		if err := os.WriteFile(filepath.Join(b.tree, ".done"), nil, 0o644); err != nil {
			return err
		}
	}
	// Trees left by an earlier invocation are deleted now, and then the
	// bench waits for ext4 to let their inodes be used again (see discard);
	// this run's when it is over (≈ 3 GB a round at 100,000 files: kept
	// longer they fill the disk), unless -clean=false.
	if _, err := os.Stat(b.trash()); err == nil {
		fmt.Fprintf(os.Stderr, "remove %s, then wait %v\n", b.trash(), settle)
		os.RemoveAll(b.trash())
		time.Sleep(settle)
	}
	defer func() {
		if clean {
			fmt.Fprintf(os.Stderr, "remove %s (file creation on this disk is slow for a few minutes now)\n", b.trash())
			os.RemoveAll(b.trash())
		} else {
			fmt.Fprintf(os.Stderr, "the trees written are in %s (≈ 3 GB a round): remove them\n", b.trash())
		}
	}()
	src := filepath.Join(b.tree, "small")
	// Warm the page cache: every side reads the tree from memory.
	if err := sh("tar -C " + src + " -cf - . | cat >/dev/null"); err != nil {
		return err
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", b.port+2)
	srv := exec.Command(filepath.Join(b.builds[0].dir, "httpserve"), "-addr", httpAddr, "-dir", b.work, "-tar", "small="+src)
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	time.Sleep(300 * time.Millisecond)
	doPub, doFetch := strings.Contains(only, "publish"), strings.Contains(only, "fetch")
	for r := range runs {
		fmt.Fprintf(os.Stderr, "round %d\n", r+1)
		sides := []string{"tar"}
		for _, bd := range b.builds {
			sides = append(sides, bd.name)
		}
		if r%2 == 1 {
			slices.Reverse(sides)
		}
		for _, side := range sides {
			if side == "tar" {
				if doPub {
					s, err := runSh("tar -C " + src + " -cf - . | zstd -q -3 -T1 >/dev/null")
					if err != nil {
						return err
					}
					b.add("publish tar|zstd", s)
				}
				if doFetch {
					to := b.fresh("to-tar")
					os.MkdirAll(to, 0o755)
					s, err := runSh("curl -sf http://" + httpAddr + "/tar/small | tar -C " + to + " -xf -")
					if err != nil {
						return err
					}
					b.add("fetch curl|tar x", s)
					if r == 0 {
						if err := sh("diff -r -q " + src + " " + to); err != nil {
							return fmt.Errorf("untarred tree differs: %w", err)
						}
					}
					b.discard(to)
				}
				continue
			}
			bd := b.buildNamed(side)
			if err := b.synco(bd, r == 0, doPub, doFetch, nil); err != nil {
				return fmt.Errorf("%s: %w", bd.name, err)
			}
		}
	}
	b.report()
	if straceRun {
		fmt.Fprintln(os.Stderr, "strace round")
		for _, bd := range b.builds {
			if doPub { // publish alone under strace (stopped once ready)
				if err := b.synco(bd, false, true, false, []string{"strace", "-c", "-f", "-o"}); err != nil {
					return err
				}
			}
			if doFetch { // the fetch under strace, from a publisher that is not
				if err := b.synco(bd, false, false, true, []string{"strace", "-c", "-f", "-o"}); err != nil {
					return err
				}
			}
		}
		to := b.fresh("to-tar")
		os.MkdirAll(to, 0o755)
		out := filepath.Join(b.work, "strace-tar-fetch.txt")
		if doFetch {
			if _, err := runSh("strace -c -f -o " + out + " sh -c 'curl -sf http://" + httpAddr + "/tar/small | tar -C " + to + " -xf -'"); err != nil {
				return err
			}
			fmt.Printf("syscalls per file, fetch curl|tar x: %s\n", perFile(out, b.n))
		}
		b.discard(to)
		if doPub {
			out = filepath.Join(b.work, "strace-tar-publish.txt")
			if _, err := runSh("strace -c -f -o " + out + " sh -c 'tar -C " + src + " -cf - . | zstd -q -3 -T1 >/dev/null'"); err != nil {
				return err
			}
			fmt.Printf("syscalls per file, publish tar|zstd: %s\n", perFile(out, b.n))
		}
	}
	return nil
}

// settle is how long ext4 without a journal keeps recently deleted inodes
// from being used again (60 s, 360 s while their inode table block is dirty;
// dirty blocks are written back after 30 s): see discard.
const settle = 2 * time.Minute

// trash is where discard puts the trees a round wrote.
func (b *bench) trash() string { return filepath.Join(b.work, "trash") }

// fresh returns a path in the work directory named for name that does not
// exist yet.
func (b *bench) fresh(name string) string {
	b.seq++
	return filepath.Join(b.work, fmt.Sprintf("%s-%d-%d", name, os.Getpid(), b.seq))
}

// discard moves dir into the trash, deleted only when the run is over. On
// ext4 without a journal (this machine's root), a new inode is never one
// deleted in the last 60–360 s, and the kernel finds a free one by checking
// every recently deleted inode of the group in turn (recently_deleted): after
// a round deleted 100,000 files, the next `tar x` of 100,000 files took
// 30–60 s of system time instead of 3.5 s (perf: find_inode_bit →
// recently_deleted, 80 % of its samples), and the fetch sides grew from
// round to round.
func (b *bench) discard(dir string) {
	if _, err := os.Lstat(dir); err != nil {
		return
	}
	os.MkdirAll(b.trash(), 0o755)
	if os.Rename(dir, filepath.Join(b.trash(), filepath.Base(dir))) != nil {
		os.RemoveAll(dir)
	}
}

func (b *bench) buildNamed(name string) build {
	for _, bd := range b.builds {
		if bd.name == name {
			return bd
		}
	}
	panic(name)
}

// synco publishes the tree with bd's synco-lite (a fresh state directory),
// and fetches it cold with bd's synco; with wrap (strace), both run under it
// and only the system call counts are reported.
func (b *bench) synco(bd build, check, doPub, doFetch bool, wrap []string) error {
	state, cache, to := b.fresh("state-"+bd.name), b.fresh("cache-"+bd.name), b.fresh("to-"+bd.name)
	defer func() {
		for _, d := range []string{state, cache, to} {
			b.discard(d)
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d", b.port)
	args := []string{filepath.Join(bd.dir, "synco-lite"), "publish", "--files", "small=" + filepath.Join(b.tree, "small"),
		"--listen", fmt.Sprintf("127.0.0.1:%d", b.port), "--url", url, "--state-dir", state}
	pubTrace := filepath.Join(b.work, "strace-"+bd.name+"-publish.txt")
	if wrap != nil && doPub {
		args = append(append(slices.Clone(wrap), pubTrace), args...)
	}
	pub := exec.Command(args[0], args[1:]...)
	stdout, err := pub.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := pub.StderrPipe()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := pub.Start(); err != nil {
		return err
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			if wrap != nil && doPub { // SIGTERM the traced publisher, not strace
				if pid := childPid(pub.Process.Pid); pid > 0 {
					syscall.Kill(pid, syscall.SIGTERM)
				}
			} else {
				pub.Process.Signal(syscall.SIGTERM)
			}
			pub.Wait()
		}
	}
	defer stop()
	ready := make(chan error, 1)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if !sent && strings.Contains(sc.Text(), "ready in") {
				ready <- nil
				sent = true
			}
		}
		if !sent {
			ready <- errors.New("publish ended before it was ready")
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	select {
	case err := <-ready:
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			return fmt.Errorf("%w: %s", err, log.String())
		}
	case <-ctx.Done():
		return errors.New("publish not ready in 10 minutes")
	}
	wall := time.Since(t0)
	pid := pub.Process.Pid
	if wrap != nil && doPub {
		pid = childPid(pid)
	}
	cpu, rss := procCPU(pid), procHWM(pid)
	token, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read token: %w", err)
	}
	token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "synco fetch "))
	if wrap == nil && doPub {
		b.add("publish "+bd.name, sample{wall, cpu, rss})
	}
	if doFetch {
		fargs := []string{filepath.Join(bd.dir, "synco"), "fetch", token, "--to", to, "--cache", cache, "--json"}
		fetchTrace := filepath.Join(b.work, "strace-"+bd.name+"-fetch.txt")
		if wrap != nil && !doPub {
			fargs = append(append(slices.Clone(wrap), fetchTrace), fargs...)
		}
		f := exec.Command(fargs[0], fargs[1:]...)
		var ferr strings.Builder
		f.Stderr = &ferr
		f.Stdout = io.Discard
		t1 := time.Now()
		if err := f.Run(); err != nil {
			return fmt.Errorf("fetch: %w: %s", err, ferr.String())
		}
		s := sample{time.Since(t1), cpuOf(f.ProcessState), maxRSS(f.ProcessState)}
		if wrap == nil {
			b.add("fetch "+bd.name, s)
		} else {
			fmt.Printf("syscalls per file, fetch %s: %s\n", bd.name, perFile(fetchTrace, b.n))
		}
		if check {
			if err := sh("diff -r -q " + filepath.Join(b.tree, "small") + " " + filepath.Join(to, "small")); err != nil {
				return fmt.Errorf("fetched tree differs: %w", err)
			}
		}
	}
	stop()
	if wrap != nil && doPub {
		fmt.Printf("syscalls per file, publish %s: %s\n", bd.name, perFile(pubTrace, b.n))
	}
	return nil
}

func (b *bench) report() {
	med := func(xs []sample, f func(sample) float64) float64 {
		v := make([]float64, len(xs))
		for i, x := range xs {
			v[i] = f(x)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	wall := func(s sample) float64 { return s.wall.Seconds() }
	cpu := func(s sample) float64 { return s.cpu.Seconds() }
	rss := func(s sample) float64 { return float64(s.rssKB) / 1024 }
	fmt.Printf("%d files, medians of %d rounds\n", b.n, len(b.res[b.order[0]]))
	fmt.Printf("| %-22s | wall s | CPU s | peak RSS MB | wall vs tar | CPU vs tar |\n|---|---|---|---|---|---|\n", "side")
	for _, k := range b.order {
		base := "publish tar|zstd"
		if strings.HasPrefix(k, "fetch") {
			base = "fetch curl|tar x"
		}
		fmt.Printf("| %-22s | %.2f | %.2f | %.0f | %.2f× | %.2f× |\n", k, med(b.res[k], wall), med(b.res[k], cpu), med(b.res[k], rss),
			med(b.res[k], wall)/med(b.res[base], wall), med(b.res[k], cpu)/med(b.res[base], cpu))
	}
}

func sh(script string) error {
	cmd := exec.Command("sh", "-c", script)
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

// runSh runs script and returns its wall time, and the CPU time and peak RSS
// of the shell and everything it waited for.
func runSh(script string) (sample, error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Stderr = os.Stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", script, err)
	}
	return sample{time.Since(t0), cpuOf(cmd.ProcessState), maxRSS(cmd.ProcessState)}, nil
}

func cpuOf(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }

func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// procCPU is the user+sys time of a running process.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procHWM is the peak RSS of a running process in KB.
func procHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// childPid is the first child of pid (the program strace runs).
func childPid(pid int) int {
	for range 100 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if f := strings.Fields(string(b)); len(f) > 0 {
			c, _ := strconv.Atoi(f[0])
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

// runtimeCalls are the system calls of the Go runtime's scheduling, signals
// and memory (strace inflates them), left out of the I/O count.
var runtimeCalls = map[string]bool{"futex": true, "nanosleep": true, "epoll_pwait": true, "sched_yield": true,
	"madvise": true, "rt_sigreturn": true, "tgkill": true, "getpid": true, "mmap": true, "munmap": true,
	"rt_sigprocmask": true, "sigaltstack": true, "clone": true, "clone3": true, "gettid": true,
	"sched_getaffinity": true, "rt_sigaction": true}

// straceTotal is the total of calls in an strace -c summary, and of those
// that are not the runtime's.
func straceTotal(file string) (total, io int64) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, 0
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line) // % time, seconds, usecs/call, calls[, errors] syscall
		if len(f) < 5 {
			continue
		}
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			continue
		}
		switch name := f[len(f)-1]; {
		case name == "total":
			return n, io
		case !runtimeCalls[name]:
			io += n
		}
	}
	return 0, 0
}

// perFile formats an strace summary's counts per file.
func perFile(file string, n int) string {
	total, io := straceTotal(file)
	return fmt.Sprintf("%.2f (I/O %.2f)", float64(total)/float64(n), float64(io)/float64(n))
}
