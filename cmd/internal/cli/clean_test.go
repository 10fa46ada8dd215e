package cli

import "testing"

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text, ümlauts and 日本", "plain text, ümlauts and 日本"},
		{"\x1b[2J\x1b[Hcleared", `\x1b[2J\x1b[Hcleared`},
		{"reason\nsynco: hint: run rm -rf ~", `reason\x0asynco: hint: run rm -rf ~`},
		{"a\rb\tc\x7f\u0085", `a\x0db\x09c\x7f\x85`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"", ""},
	} {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
