package cli

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes text that may come from the source (a Failed reason, a file name, a
// statement in an error) safe to print on a terminal: control characters (C0, DEL,
// C1: escape sequences, carriage returns and line breaks that would forge a
// "synco: hint:" line) and bidirectional overrides become visible escapes such as
// \x1b and \u202e, and invalid UTF-8 becomes U+FFFD. Ordinary text is unchanged.
func Clean(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r < 0x100 && unsafeRune(r):
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&15])
		case unsafeRune(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte("0123456789abcdef"[(r>>shift)&15])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}
