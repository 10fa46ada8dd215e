//go:build !(linux || darwin || freebsd || openbsd || netbsd)

package remote

// localUname: no uname here, so Open offers no agent (Options.Offer).
func localUname() (system, machine string, ok bool) { return "", "", false }
