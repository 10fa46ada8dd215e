package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
)

// HookError is a post-install command that failed. The sync itself succeeded.
type HookError struct {
	Command string
	Code    int   // the command's exit code, or -1 when it could not run
	Err     error // why it could not run (Code -1)
}

func (e *HookError) Error() string {
	if e.Code >= 0 {
		return fmt.Sprintf("post-install command %q failed with exit code %d (the sync itself succeeded)", e.Command, e.Code)
	}
	return fmt.Sprintf("post-install command %q: %v", e.Command, e.Err)
}

func (e *HookError) Unwrap() error { return e.Err }

// PostInstall runs the project's post-install commands (from .synco.yml or
// --post-install; local configuration, never from the source) one after another
// with /bin/sh in dir, their output to out. started is called before each. The
// first that fails stops the rest: *HookError.
func PostInstall(ctx context.Context, dir string, commands []string, out io.Writer, started func(command string)) error {
	for _, c := range commands {
		if started != nil {
			started(c)
		}
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return &HookError{Command: c, Code: ee.ExitCode()}
			}
			return &HookError{Command: c, Code: -1, Err: err}
		}
	}
	return nil
}
