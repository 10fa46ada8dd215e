package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPath is wrapped by the errors of ValidPath.
var ErrPath = errors.New("manifest: invalid path")

const (
	maxPath    = 4096
	maxElement = 255
)

// ValidPath checks that p is a relative, clean, slash-separated path that stays
// inside the directory it is resolved against: not empty, at most 4096 bytes, no
// leading "/", no empty, "." or ".." elements (so no trailing or doubled slash), no
// element longer than 255 bytes, and no NUL or backslash. Errors wrap ErrPath.
func ValidPath(p string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrPath, truncate(p), why) }
	switch {
	case p == "":
		return bad("empty")
	case len(p) > maxPath:
		return bad(fmt.Sprintf("longer than %d bytes", maxPath))
	case p[0] == '/':
		return bad("absolute")
	case strings.IndexByte(p, 0) >= 0:
		return bad("contains NUL")
	case strings.IndexByte(p, '\\') >= 0:
		return bad("contains a backslash")
	}
	for elem := range strings.SplitSeq(p, "/") {
		switch {
		case elem == "":
			return bad("empty element")
		case elem == "." || elem == "..":
			return bad(fmt.Sprintf("%q element", elem))
		case len(elem) > maxElement:
			return bad(fmt.Sprintf("element longer than %d bytes", maxElement))
		}
	}
	return nil
}
