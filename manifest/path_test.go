package manifest_test

import (
	"errors"
	"strings"
	"testing"

	"synco/manifest"
)

func TestValidPath(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	elems := func(n int) string { return strings.TrimSuffix(strings.Repeat("abc/", n), "/") }
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"a", true},
		{"a/b/c.txt", true},
		{".hidden/..x/x..", true},
		{"a b/ü/~$", true},
		{long(255), true},
		{long(255) + "/" + long(255), true},
		{elems(1024) + "x", true}, // 4096 bytes
		{"", false},
		{"/abs", false},
		{"../x", false},
		{"a/../b", false},
		{"..", false},
		{".", false},
		{"a/./b", false},
		{"./a", false},
		{"a//b", false},
		{"a/", false},
		{"a\\b", false},
		{"a\x00b", false},
		{long(256), false},
		{"a/" + long(256), false},
		{elems(1024) + "/x", false}, // 4097 bytes
	} {
		err := manifest.ValidPath(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("ValidPath(%.40q) = %v, want ok %v", tc.path, err, tc.ok)
		}
		if err != nil && !errors.Is(err, manifest.ErrPath) {
			t.Errorf("ValidPath(%.40q) error %v does not wrap ErrPath", tc.path, err)
		}
	}
}
