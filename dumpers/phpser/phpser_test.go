package phpser_test

import (
	"bytes"
	"strings"
	"testing"

	"synco/dumpers/phpser"
)

func upper(s []byte) []byte { return bytes.ToUpper(s) }

func TestRewrite(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`s:3:"abc";`, `s:3:"ABC";`},
		{`a:2:{s:1:"k";s:3:"vé";i:0;O:8:"stdClass":1:{s:1:"p";s:1:"x";}}`, `a:2:{s:1:"k";s:3:"VÉ";i:0;O:8:"stdClass":1:{s:1:"p";s:1:"X";}}`},
		{`a:3:{i:0;N;i:1;b:1;i:2;d:0.5;}`, `a:3:{i:0;N;i:1;b:1;i:2;d:0.5;}`},
	} {
		got, ok := phpser.Rewrite([]byte(c.in), upper)
		if !ok || string(got) != c.want {
			t.Errorf("Rewrite(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "s:", `s:4:"abc";`, `a:1:{i:0;s:1:"x";`, `a:1:{i:0;s:1:"x";}x`, `C:3:"Foo":0:{}`, "plain text",
		strings.Repeat("a:1:{i:0;", phpser.MaxDepth+1) + "N;" + strings.Repeat("}", phpser.MaxDepth+1)} {
		if _, ok := phpser.Rewrite([]byte(bad), upper); ok {
			t.Errorf("Rewrite(%.40q) accepted", bad)
		}
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add([]byte(`a:2:{s:1:"k";s:2:"vv";i:0;O:8:"stdClass":1:{s:1:"p";s:1:"x";}}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		got, ok := phpser.Rewrite(v, func(s []byte) []byte { return s })
		if ok && !bytes.Equal(got, v) {
			t.Fatalf("identity rewrite changed %q to %q", v, got)
		}
	})
}
