package install_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"synco/install"
)

func TestPostInstall(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	var ran []string
	err := install.PostInstall(t.Context(), dir, []string{"echo one > a", "pwd", "exit 3", "echo never > b"}, &out, func(c string) { ran = append(ran, c) })
	var he *install.HookError
	if !errors.As(err, &he) || he.Command != "exit 3" || he.Code != 3 {
		t.Fatalf("PostInstall: %v, want the third command's exit code 3", err)
	}
	if len(ran) != 3 {
		t.Errorf("started %q, want the first three", ran)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "one\n" {
		t.Errorf("first command did not run in dir: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "b")); err == nil {
		t.Error("a command after the failing one ran")
	}
	if got, _ := filepath.EvalSymlinks(dir); !bytes.Contains(out.Bytes(), []byte(got)) && !bytes.Contains(out.Bytes(), []byte(dir)) {
		t.Errorf("output %q lacks the working directory", out.String())
	}
}
