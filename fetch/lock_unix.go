//go:build unix

package fetch

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockTarget takes an exclusive, non-blocking flock on the target directory
// itself (nothing is left behind, and a crash never leaves a stale lock);
// ErrTargetLocked if another fetch holds it.
func lockTarget(root *os.Root) (*os.File, error) {
	d, err := root.Open(".")
	if err != nil {
		return nil, fmt.Errorf("lock target: %w", err)
	}
	err = syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err != nil {
		d.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrTargetLocked
		}
		return nil, fmt.Errorf("lock target: %w", err)
	}
	return d, nil
}
