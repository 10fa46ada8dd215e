package mysql

import (
	"testing"

	"synco/dumpers"
)

// TestLexHexAndBitStrings: X'…' and B'…' end at the next quote, as the server
// reads them (X'41”42' is two literals, and X'41\' ends at its second quote);
// N'…' is a string with escapes and doubled quotes.
func TestLexHexAndBitStrings(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`X'41' x'' B'01' b'1'`, []string{`X'41'`, `x''`, `B'01'`, `b'1'`}},
		{`X'41''42'`, []string{`X'41'`, `'42'`}},
		{`X'4\',1`, []string{`X'4\'`, `,`, `1`}},
		{`N'a''b' n'c\'d'`, []string{`N'a''b'`, `n'c\'d'`}},
	} {
		toks, err := lexAll([]byte(tc.in), true, false)
		if err != "" {
			t.Fatalf("%s: %s", tc.in, err)
		}
		var got []string
		for _, tk := range toks {
			got = append(got, tc.in[tk.pos:tk.end])
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: tokens %q, want %q", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: tokens %q, want %q", tc.in, got, tc.want)
			}
		}
	}
	// In a data statement, what the server reads as a second literal (or as code
	// after a hex literal ended) is refused.
	ck := newChecker(dumpers.DataStream("t"))
	for _, st := range []string{
		"INSERT INTO `t` (`a`) VALUES (X'41''42')",
		"INSERT INTO `t` (`a`) VALUES (X'41\\',(SELECT 1),'')",
		"INSERT INTO `t` (`a`) VALUES (X''',(SELECT 1),''')",
	} {
		if _, err := ck.check(1, []byte(st)); err == nil {
			t.Errorf("allowed: %s", st)
		}
	}
	if _, err := ck.check(1, []byte("INSERT INTO `t` (`a`) VALUES (X'41'),(_utf8mb4 X''),(B'01'),(N'it''s')")); err != nil {
		t.Errorf("refused: %v", err)
	}
}
