//go:build linux || darwin || freebsd || openbsd || netbsd

package remote

import "golang.org/x/sys/unix"

// localUname is what `uname -s` and `uname -m` print on this machine.
func localUname() (system, machine string, ok bool) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", "", false
	}
	return unix.ByteSliceToString(u.Sysname[:]), unix.ByteSliceToString(u.Machine[:]), true
}
