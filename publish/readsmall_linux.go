package publish

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// readSmall reads the file src, size bytes when it was scanned, into buf
// (len(buf) = size+1) with one read, and stats it then: open, read, fstat,
// close and nothing else (an *os.File registers with the poller: three more
// system calls per file, 8 % of a publish of many small files). ok is false if
// the file holds another number of bytes now.
func readSmall(src string, size int64, buf []byte) (data []byte, after statEntry, ok bool, err error) {
	var fd int
	for {
		if fd, err = unix.Open(src, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, after, false, &fs.PathError{Op: "open", Path: src, Err: err}
	}
	defer unix.Close(fd)
	var n int
	for {
		// One read: a regular file reads short only at its end.
		if n, err = unix.Read(fd, buf); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, after, false, &fs.PathError{Op: "read", Path: src, Err: err}
	}
	if int64(n) != size {
		return nil, after, false, nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, after, false, &fs.PathError{Op: "fstat", Path: src, Err: err}
	}
	after = statEntry{Size: st.Size, MTime: st.Mtim.Nano(), CTime: st.Ctim.Nano(), Ino: st.Ino, Dev: st.Dev}
	return buf[:n], after, true, nil
}

// lstatIn is the lstat of the entry name of the directory d (open; its path
// is p), into st: one fstatat on d's descriptor, which resolves one path
// element, not every one of p (an lstat of a file five directories down cost
// twice as much).
func lstatIn(d *os.File, p, name string, st *entryStat) error {
	var s unix.Stat_t
	for {
		err := unix.Fstatat(int(d.Fd()), name, &s, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "lstat", Path: filepath.Join(p, name), Err: err}
		}
		break
	}
	*st = entryStat{dir: s.Mode&unix.S_IFMT == unix.S_IFDIR, regular: s.Mode&unix.S_IFMT == unix.S_IFREG, perm: s.Mode & 0o777,
		size: s.Size, mtime: s.Mtim.Nano(), id: fileID{s.Ino, s.Dev, s.Ctim.Nano()}}
	return nil
}
