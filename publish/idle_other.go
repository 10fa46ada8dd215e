//go:build !linux

package publish

// threadID is 0: idle does nothing here (idle_linux.go).
func threadID() int { return 0 }

func idle(int) {}
