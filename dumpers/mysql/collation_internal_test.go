package mysql

import (
	"strings"
	"testing"
)

// A collation the server lacks is replaced by one of the same character set
// that tells apart at least what the source's did; statements that name none,
// or name it in a string, come back as they were; names that are not a
// collation's are left for the server to refuse.
func TestCollationSubstitute(t *testing.T) {
	mk := func(names ...string) *collations {
		c := &collations{have: map[string]bool{}, defaults: map[string]string{"utf8mb4": "utf8mb4_general_ci", "latin1": "latin1_swedish_ci", "utf8mb3": "utf8mb3_general_ci"}, used: map[string]string{}}
		for _, n := range names {
			c.have[n] = true
		}
		return c
	}
	mariadb1011 := mk("utf8mb4_general_ci", "utf8mb4_bin", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci", "utf8mb4_uca1400_ai_ci", "utf8mb4_uca1400_as_cs", "utf8mb4_uca1400_as_ci", "latin1_swedish_ci", "latin1_bin", "latin1_general_ci", "latin1_general_cs")
	mariadb105 := mk("utf8mb4_general_ci", "utf8mb4_bin", "utf8mb4_unicode_ci", "utf8mb4_unicode_520_ci", "latin1_swedish_ci", "latin1_bin")
	for _, tc := range []struct {
		c          *collations
		name, want string
	}{
		{mariadb1011, "utf8mb4_0900_ai_ci", "utf8mb4_uca1400_ai_ci"},
		{mariadb1011, "UTF8MB4_0900_AS_CS", "utf8mb4_uca1400_as_cs"},
		{mariadb1011, "utf8mb4_0900_as_ci", "utf8mb4_uca1400_as_ci"},
		{mariadb1011, "utf8mb4_0900_bin", "utf8mb4_bin"},
		{mariadb1011, "utf8mb4_ja_0900_as_cs_ks", "utf8mb4_bin"}, // kana-sensitive: nothing as fine but _bin
		{mariadb105, "utf8mb4_0900_ai_ci", "utf8mb4_unicode_520_ci"},
		{mariadb105, "utf8mb4_uca1400_ai_ci", "utf8mb4_unicode_520_ci"},
		{mariadb105, "utf8mb4_uca1400_as_cs", "utf8mb4_bin"},
		{mariadb105, "latin1_german3_ci", "latin1_swedish_ci"}, // the character set's default
		{mariadb105, "utf8mb3_0900_ai_ci", "utf8mb3_general_ci"},
		{mariadb105, "nosuch_0900_ai_ci", ""},
		{mariadb105, "utf8mb4_0900_ai_ci\x1b[2J", ""},
		{mariadb105, "utf8mb4_" + strings.Repeat("x", 60) + "_ci", ""},
	} {
		got, ok := tc.c.substitute(tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("substitute(%q) = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}

	c := mariadb105
	for _, tc := range []struct{ in, want string }{
		{"CREATE TABLE `t` (\n  `a` varchar(10) COLLATE utf8mb4_0900_bin DEFAULT 'COLLATE utf8mb4_0900_ai_ci',\n  `b` text\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci",
			"CREATE TABLE `t` (\n  `a` varchar(10) COLLATE utf8mb4_bin DEFAULT 'COLLATE utf8mb4_0900_ai_ci',\n  `b` text\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"},
		{"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci", "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"},
		{"ALTER DATABASE CHARACTER SET utf8mb4 COLLATE 'utf8mb4_0900_ai_ci'", "ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"},
		{"CREATE TABLE `t` (`a` int) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci", "CREATE TABLE `t` (`a` int) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"},
		{"CREATE TABLE `t` (`a` int) DEFAULT CHARSET=zz COLLATE=zz_0900_ai_ci", "CREATE TABLE `t` (`a` int) DEFAULT CHARSET=zz COLLATE=zz_0900_ai_ci"},
		{"CREATE TABLE `COLLATE` (`a` int)", "CREATE TABLE `COLLATE` (`a` int)"},
	} {
		if got := string(c.fix([]byte(tc.in))); got != tc.want {
			t.Errorf("fix(%q)\n= %q\nwant %q", tc.in, got, tc.want)
		}
	}
	if n := c.notes(); len(n) != 2 || !strings.HasPrefix(n[0], "collation utf8mb4_0900_ai_ci is unknown to this server: utf8mb4_unicode_520_ci used instead") ||
		!strings.HasPrefix(n[1], "collation utf8mb4_0900_bin is unknown to this server: utf8mb4_bin used instead") {
		t.Errorf("notes: %q", n)
	}
}

// The reason of a full import names how the target differs: a table that
// exists only here, one dropped here, one changed here.
func TestLocalChange(t *testing.T) {
	line := func(name, what string) string { return tableKey(name) + "\t" + what + "\n" }
	a1, a2 := line("a", "BASE TABLE InnoDB 2026-01-01 00:00:00 -"), line("a", "BASE TABLE InnoDB 2026-01-02 00:00:00 -")
	b := line("b", "BASE TABLE InnoDB 2026-01-01 00:00:00 -")
	for _, c := range []struct{ was, now, want string }{
		{a1, a1 + b, "table `b` exists only locally (the full import drops it)"},
		{a1 + b, a1, "table `b` was dropped locally since the last install"},
		{a1 + b, a2 + b, "table `a` changed locally since the last install"},
	} {
		if got := localChange(c.was, c.now); got != c.want {
			t.Errorf("localChange = %q, want %q", got, c.want)
		}
	}
}
