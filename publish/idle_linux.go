package publish

import "golang.org/x/sys/unix"

// threadID is the calling OS thread's ID (lock the goroutine to it first).
func threadID() int { return unix.Gettid() }

// idle gives thread tid of this process the lowest scheduling priority (nice
// 19), so it runs only on CPU time nothing else wants: a dictionary trained
// after Ready must not slow the destination's download and import, which often
// share the source's cores (a pull from a container, a benchmark). A thread so
// lowered must end with its goroutine (left locked to it). A failure leaves the
// thread as it was.
func idle(tid int) { _ = unix.Setpriority(unix.PRIO_PROCESS, tid, 19) }
