package scrub_test

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"synco/dumpers/scrub"
)

var key = [32]byte{1, 2, 3}

func specs(t *testing.T, ss ...string) []scrub.Spec {
	t.Helper()
	var out []scrub.Spec
	for _, s := range ss {
		sp, err := scrub.ParseSpec(s)
		if err != nil {
			t.Fatal(err)
		}
		if sp.String() != s {
			t.Fatalf("ParseSpec(%q).String() = %q", s, sp.String())
		}
		out = append(out, sp)
	}
	return out
}

func row(vals ...any) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v != nil {
			out[i] = []byte(v.(string))
		}
	}
	return out
}

func TestParseSpec(t *testing.T) {
	specs(t, "wp_users.user_email=email", "public.users.mail=hash", "*.phone*=phone",
		"wp_usermeta.meta_value[meta_key=billing_*]=text", "t.c=const:a=b", "t.c=const:")
	for _, bad := range []string{"users=email", "users.email", ".x=email", "t.c=mail", "t.c[k]=email", "t.[=email", "t.c[k=v=email"} {
		if _, err := scrub.ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
}

func TestDeterministicUniqueKeyed(t *testing.T) {
	r := scrub.New(key, "", specs(t, "*.mail=email", "*.login=username"))
	a := r.Table([]string{"a"}, []scrub.Column{{Name: "mail"}, {Name: "login"}})
	b := r.Table([]string{"b"}, []scrub.Column{{Name: "id", Numeric: true}, {Name: "MAIL"}})
	seen := map[string]bool{}
	for i := range 20000 {
		v := row(fmt.Sprintf("person%d@gmail.com", i), fmt.Sprintf("login%d", i))
		a.Row(v)
		if seen[string(v[0])] || seen[string(v[1])] {
			t.Fatalf("collision at %d: %s", i, v)
		}
		seen[string(v[0])], seen[string(v[1])] = true, true
		if i == 7 {
			w := row("7", fmt.Sprintf("Person%d@Gmail.com ", i)) // other table, other case
			b.Row(w)
			if !bytes.Equal(w[1], v[0]) || string(w[0]) != "7" {
				t.Fatalf("same address in another table: %s vs %s", w[1], v[0])
			}
			if !strings.HasSuffix(string(v[0]), "@example.invalid") || strings.Contains(string(v[0]), "person") {
				t.Fatalf("fake %s", v[0])
			}
		}
	}
	other := scrub.New([32]byte{9}, "", specs(t, "*.mail=email")).Table([]string{"a"}, []scrub.Column{{Name: "mail"}})
	v1, v2 := row("x@y.org"), row("x@y.org")
	a.Row(append(v1, []byte("l")))
	other.Row(v2)
	if bytes.Equal(v1[0], v2[0]) {
		t.Fatal("fake does not depend on the key")
	}
}

func TestNullEmptyConst(t *testing.T) {
	r := scrub.New(key, "", specs(t, "t.a=email", "t.b=const:x", "t.c=null", "t.d=empty", "t.e=text"))
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}, {Name: "e"}})
	v := row(nil, nil, "q", "q", "")
	tb.Row(v)
	if v[0] != nil || string(v[1]) != "x" || v[2] != nil || v[3] == nil || len(v[3]) != 0 || v[4] == nil || len(v[4]) != 0 {
		t.Fatalf("got %q", v)
	}
	v = row("ä\nbcdé", nil, nil, nil, "Grüße aus\nKöln")
	tb.Row(v)
	if string(v[4]) == "Grüße aus\nKöln" || len([]rune(string(v[4]))) != len([]rune("Grüße aus\nKöln")) || !bytes.Contains(v[4], []byte("\n")) {
		t.Fatalf("text: %q", v[4])
	}
}

func TestKeyColumnAndOverride(t *testing.T) {
	r := scrub.New(key, "wordpress", specs(t, "wp_usermeta.meta_value[meta_key=billing_phone]=phone",
		"wp_usermeta.meta_value[meta_key=first_name]=first_name", "wp_usermeta.meta_value[meta_key=first_name]=keep"))
	tb := r.Table([]string{"wp_usermeta"}, []scrub.Column{{Name: "umeta_id", Numeric: true}, {Name: "meta_key"}, {Name: "meta_value"}})
	v := row("1", "billing_phone", "+49 (30) 1234-5678")
	tb.Row(v)
	if string(v[2]) == "+49 (30) 1234-5678" || len(v[2]) != len("+49 (30) 1234-5678") || v[2][0] != '+' || v[2][4] != '(' {
		t.Fatalf("phone: %q", v[2])
	}
	v = row("2", "first_name", "Jolanda")
	tb.Row(v)
	if string(v[2]) != "Jolanda" {
		t.Fatalf("keep did not override: %q", v[2])
	}
	v = row("3", "wp_capabilities", `a:1:{s:13:"administrator";b:1;}`)
	tb.Row(v)
	if string(v[2]) != `a:1:{s:13:"administrator";b:1;}` {
		t.Fatalf("unmatched key changed: %q", v[2])
	}
	if got := r.Scrubbed(); len(got) != 1 || got[0] != "wp_usermeta.meta_value[meta_key=billing_phone]=phone" {
		t.Fatalf("Scrubbed = %q", got)
	}
}

func TestNestedValues(t *testing.T) {
	r := scrub.New(key, "", specs(t, "t.v=email"))
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "v"}})
	ser := `a:3:{s:5:"email";s:16:"jane@example.org";i:0;O:8:"stdClass":1:{s:4:"mail";s:14:"bob@bobs.co.uk";}s:1:"n";i:42;}`
	v := row(ser)
	tb.Row(v)
	out := string(v[0])
	if strings.Contains(out, "jane@") || strings.Contains(out, "bob@") || !strings.Contains(out, `s:5:"email"`) || !strings.Contains(out, `s:4:"mail"`) {
		t.Fatalf("serialized: %s", out)
	}
	// every s:N: length is right
	for _, part := range strings.Split(out, `s:`)[1:] {
		var n int
		var rest string
		if _, err := fmt.Sscanf(part, "%d:", &n); err != nil {
			t.Fatal(err)
		}
		rest = part[strings.IndexByte(part, ':')+2:]
		if len(rest) < n+1 || rest[n] != '"' {
			t.Fatalf("bad length in %s", out)
		}
	}
	js := `{"email":"jane@example.org","list":["a@b.cc",1.50,true,null],"n":12345678901234567890}`
	v = row(js)
	tb.Row(v)
	var m map[string]any
	if err := json.Unmarshal(v[0], &m); err != nil || strings.Contains(string(v[0]), "jane@") || !strings.Contains(string(v[0]), `"n":12345678901234567890`) || !strings.Contains(string(v[0]), "1.50") {
		t.Fatalf("json: %s (%v)", v[0], err)
	}
	// broken serialization: treated as one string
	v = row(`a:2:{s:5:"email";s:99:"jane@example.org";}`)
	tb.Row(v)
	if strings.Contains(string(v[0]), "jane") {
		t.Fatalf("broken: %s", v[0])
	}
}

func TestNumericAndMaxLen(t *testing.T) {
	r := scrub.New(key, "", specs(t, "t.ip=ip", "t.phone=phone", "t.short=email"))
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "ip", Numeric: true}, {Name: "phone"}, {Name: "short", MaxLen: 12}})
	v := row("3232235777", "0301234567", "someone@somewhere.example")
	tb.Row(v)
	if len(v[0]) != 10 || string(v[0]) == "3232235777" || len([]rune(string(v[2]))) != 12 {
		t.Fatalf("got %q", v)
	}
	ipt := r.Table([]string{"t"}, []scrub.Column{{Name: "ip"}})
	for in, prefix := range map[string]string{"192.168.1.7": "10.", "2a00:1450::1": "2001:db8:", "10.1.2.3/24": "10."} {
		v := row(in)
		ipt.Row(v)
		if !strings.HasPrefix(string(v[0]), prefix) {
			t.Errorf("ip %s → %s", in, v[0])
		}
	}
}

func TestWarnings(t *testing.T) {
	r := scrub.New(key, "", specs(t, "users.email=email", "meta.value[key=email]=email"))
	tb := r.Table([]string{"users"}, []scrub.Column{{Name: "id", Numeric: true}, {Name: "email"}, {Name: "phoneNumber"},
		{Name: "email_verified_at"}, {Name: "notes"}, {Name: "comment_author_IP"}})
	tb.Row(row("1", "a@b.cd", "1", nil, "reach me at x@y.com", "1.2.3.4"))
	tb.Row(row("2", "a@b.cd", "1", nil, "x@y.com", "1.2.3.4"))
	mt := r.Table([]string{"meta"}, []scrub.Column{{Name: "key"}, {Name: "value"}})
	mt.Row(row("email", "a@b.cd"))
	mt.Row(row("paypal", "me@paypal.example"))
	pt := r.Table([]string{"posts"}, []scrub.Column{{Name: "title"}, {Name: "meta"}, {Name: "opts"}})
	pt.Row(row("{not json", `{"author": {"name": "X", "mail": "a@b.example"}, "n": 1}`, `a:1:{s:4:"mail";s:11:"a@b.example";}`))
	var got []string
	for _, w := range r.Warnings() {
		got = append(got, w.Table+"."+w.Column+": "+w.Why)
	}
	want := []string{
		"meta.value: values look like e-mail addresses where key=paypal",
		"posts.meta: values hold e-mail addresses in their JSON or PHP-serialized data",
		"posts.opts: values hold e-mail addresses in their JSON or PHP-serialized data",
		"users.comment_author_IP: its name looks like IP address",
		"users.notes: values look like e-mail addresses",
		"users.phoneNumber: its name looks like phone number",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPasswordHashes(t *testing.T) {
	for _, fw := range []string{"", "laravel", "drupal", "symfony", "typo3"} {
		if err := bcrypt.CompareHashAndPassword([]byte(scrub.PasswordHash(fw)), []byte(scrub.LocalPassword)); err != nil {
			t.Errorf("%s: %v", fw, err)
		}
	}
	flow, ok := strings.CutPrefix(scrub.PasswordHash("neos/flow"), "bcrypt=>")
	if !ok || bcrypt.CompareHashAndPassword([]byte(flow), []byte(scrub.LocalPassword)) != nil {
		t.Error("flow hash")
	}
	if wp := scrub.PasswordHash("wordpress"); phpass(scrub.LocalPassword, wp) != wp {
		t.Errorf("wordpress hash %s, phpass gives %s", wp, phpass(scrub.LocalPassword, wp))
	}
	r := scrub.New(key, "wordpress", specs(t, "u.p=password"))
	v := row("$P$Bsomethingelse")
	r.Table([]string{"u"}, []scrub.Column{{Name: "p"}}).Row(v)
	if string(v[0]) != scrub.PasswordHash("wordpress") {
		t.Fatal(string(v[0]))
	}
}

// phpass is PasswordHash::crypt_private of the phpass library (portable hashes).
func phpass(password, setting string) string {
	const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	countLog2 := strings.IndexByte(itoa64, setting[3])
	salt := setting[4:12]
	h := md5.Sum([]byte(salt + password))
	for range 1 << countLog2 {
		h = md5.Sum(append(h[:], password...))
	}
	out := setting[:12]
	for i := 0; i < 16; {
		v := int(h[i])
		i++
		out += string(itoa64[v&63])
		if i < 16 {
			v |= int(h[i]) << 8
		}
		out += string(itoa64[(v>>6)&63])
		if i >= 16 {
			break
		}
		i++
		if i < 16 {
			v |= int(h[i]) << 16
		}
		out += string(itoa64[(v>>12)&63])
		if i >= 16 {
			break
		}
		i++
		out += string(itoa64[(v>>18)&63])
	}
	return out
}

func TestDefaultsParse(t *testing.T) {
	for _, fw := range []string{"wordpress", "drupal", "laravel", "neos/flow", "typo3", "symfony", "generic"} {
		sp, _ := scrub.Defaults(fw, "x_")
		if len(sp) == 0 {
			t.Errorf("%s: no defaults", fw)
		}
		for _, s := range sp {
			if got, err := scrub.ParseSpec(s.String()); err != nil || got != s {
				t.Errorf("%s: %s does not round-trip: %v", fw, s, err)
			}
		}
	}
}

func FuzzNested(f *testing.F) {
	f.Add(`a:1:{s:1:"a";s:3:"x@y";}`)
	f.Add(`{"a":["b",{"c":"d"}]}`)
	f.Add(`O:1:"A":1:{s:1:"a";a:0:{}}`)
	r := scrub.New(key, "", []scrub.Spec{{Table: "t", Column: "v", Rule: scrub.Rule{Kind: scrub.Email}}})
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "v"}})
	f.Fuzz(func(t *testing.T, s string) {
		v := [][]byte{[]byte(s)}
		tb.Row(v)
		if json.Valid([]byte(s)) && (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && !json.Valid(v[0]) {
			t.Fatalf("valid JSON %q became %q", s, v[0])
		}
	})
}

// TestLastMatchingSpecWins mixes literal and wildcard conditions on two key
// columns: the last spec whose condition holds applies, whatever its kind.
func TestLastMatchingSpecWins(t *testing.T) {
	r := scrub.New(key, "", specs(t, "t.v=const:all", "t.v[k=a*]=const:a*", "t.v[k=ab]=const:ab", "t.v[k=a?]=const:a?",
		"t.v[j=x]=const:jx", "t.v[k=ac]=const:ac", "t.v[k=zz]=const:zz1", "t.v[k=zz]=const:zz2"))
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "k"}, {Name: "j"}, {Name: "v"}})
	for _, c := range []struct{ k, j, want string }{
		{"ab", "", "a?"}, {"ac", "", "ac"}, {"abc", "", "a*"}, {"b", "", "all"}, {"ab", "x", "jx"},
		{"ac", "x", "ac"}, {"zz", "x", "zz2"}, {"\x00", "\x00", "all"},
	} {
		v := row(c.k, c.j, "value")
		if c.j == "\x00" {
			v = row(nil, nil, "value")
		}
		tb.Row(v)
		if string(v[2]) != c.want {
			t.Errorf("k=%q j=%q: %q, want %q", c.k, c.j, v[2], c.want)
		}
	}
}

// TestFakesWithoutHistory runs many repeated values through one table: every fake
// is what a fresh table makes of the value, whatever rows came before (the table
// reuses its buffers; it once also had a cache of keyed hashes). The same value
// under the same rule in a text and a numeric column takes 8 and 16 bytes of
// keyed hash.
func TestFakesWithoutHistory(t *testing.T) {
	sp := specs(t, "t.mail=email", "t.name=name", "t.ip=ip", "t.n=phone", "t.ip2=ip", "t.ipn=ip")
	cols := []scrub.Column{{Name: "mail"}, {Name: "name"}, {Name: "ip"}, {Name: "n", Numeric: true}, {Name: "ip2"}, {Name: "ipn", Numeric: true}}
	r := scrub.New(key, "", sp)
	tb := r.Table([]string{"t"}, cols)
	for i := range 20000 {
		j := i * 7919 % 6000 // repeats, in an order that makes slots collide
		in := row(fmt.Sprintf("p%d@x.org", j), fmt.Sprintf("Name %d", j%300), fmt.Sprintf("10.0.%d.%d", j/250, j%250), fmt.Sprint(j),
			fmt.Sprint(100000000000+j), fmt.Sprint(100000000000+j))
		if i%3 == 0 { // the same value in another case, and a long one
			in[0] = []byte(strings.Repeat("X", 60) + fmt.Sprintf("P%d@X.ORG", j))
		}
		got := slices.Clone(in)
		tb.Row(got)
		want := slices.Clone(in)
		scrub.New(key, "", sp).Table([]string{"t"}, cols).Row(want)
		for c := range got {
			if !bytes.Equal(got[c], want[c]) {
				t.Fatalf("row %d column %d: %q after %d rows, %q in a fresh table", i, c, got[c], i, want[c])
			}
		}
	}
}

// TestPhoneFakes: a phone fake keeps the shape (separators, length, a leading +,
// the leading zeros of a long number), carries the head of a German mobile number
// and 8 keyed digits; a short value (a postcode) gets all its digits keyed; no
// digit run of the original is left beyond the kept zeros.
func TestPhoneFakes(t *testing.T) {
	tb := scrub.New(key, "", specs(t, "t.p=phone")).Table([]string{"t"}, []scrub.Column{{Name: "p"}})
	for _, c := range []struct{ in, head string }{
		{"+49 (30) 1234-5678", "+49 (1"},
		{"0049 30 12345678", "0049 1"},
		{"030/1234567", "01"},
		{"+1 212 555 0188", "+4 91"},
		{"+4930123456789", "+491"},
		{"10115", ""},
		{"01067", ""},
	} {
		v := row(c.in)
		tb.Row(v)
		out := string(v[0])
		if len(out) != len(c.in) || out == c.in || !strings.HasPrefix(out, c.head) {
			t.Errorf("%s → %s, want the shape and head %q", c.in, out, c.head)
		}
		for i := range len(out) {
			if (out[i] >= '0' && out[i] <= '9') != (c.in[i] >= '0' && c.in[i] <= '9') {
				t.Errorf("%s → %s: shape changed at %d", c.in, out, i)
			}
		}
		if tail := c.in[len(c.in)-5:]; strings.HasSuffix(out, tail) {
			t.Errorf("%s → %s: the last digits stayed", c.in, out)
		}
	}
	// 9 digits and more: the last 8 keyed, so distinct numbers stay apart
	seen := map[string]string{}
	for i := range 2000 {
		in := fmt.Sprintf("+49 176 %08d", 10000000+i*37)
		v := row(in)
		tb.Row(v)
		if o, ok := seen[string(v[0])]; ok {
			t.Fatalf("%s and %s both → %s", o, in, v[0])
		}
		seen[string(v[0])] = in
	}
}

// TestIPv6Fakes: 48 keyed bits in 2001:db8::/32, written short.
func TestIPv6Fakes(t *testing.T) {
	tb := scrub.New(key, "", specs(t, "t.ip=ip")).Table([]string{"t"}, []scrub.Column{{Name: "ip"}})
	for in, want := range map[string]string{"2a02:810d:4b3f:1c00:9d2:71ff:fe2a:33c1": "::", "2a00:1450::1/64": "::/128"} {
		v := row(in)
		tb.Row(v)
		addr, _, _ := strings.Cut(string(v[0]), "/")
		_, err := netip.ParseAddr(addr)
		if err != nil || !strings.HasPrefix(string(v[0]), "2001:db8:") || !strings.HasSuffix(string(v[0]), want) || len(v[0]) > len("2001:db8:ffff:ffff:ffff::/128") {
			t.Errorf("%s → %s (%v)", in, v[0], err)
		}
	}
}

// TestCleanFakes: a value Clean vouches for needs no escaping (valid UTF-8, no
// control character, quote or backslash), whatever the source value held; the
// fakes that are made of fixed characters are vouched for, the others not
// when they keep a character that needs escaping.
func TestCleanFakes(t *testing.T) {
	rules := []string{"email", "username", "name", "first_name", "last_name", "phone", "ip", "address", "text",
		"hash", "null", "empty", "const:x'y", "const:plain", "const:", "password", "keep"}
	values := []string{"", "Jolanda.Quirrenbach@Posteo-Mail.de", " anna@x.org ", "O'Brien", `C:\temp`, "a\"b", "line\nbreak",
		"cr\r\nlf", "nul\x00", "ctrl-z\x1a", "bad\xffutf8", "Grüße", "+49 (30) 1234-5678", "+49 'x' 030\\1234567",
		"+49\t30 1234567", "+49 30\xc3\xa4 1234567", "203.0.113.7", "2a00:1450::1/64", `a:1:{s:1:"x";s:3:"Bob";}`, `{"a":"b"}`, "4711"}
	mustClean := map[string]bool{"email": true, "username": true, "name": true, "first_name": true, "last_name": true,
		"ip": true, "address": true, "hash": true, "empty": true, "const:plain": true, "const:": true, "password": true}
	for _, rs := range rules {
		for _, numeric := range []bool{false, true} {
			for _, maxLen := range []int{0, 5} {
				tb := scrub.New(key, "wordpress", specs(t, "t.c="+rs)).Table([]string{"t"}, []scrub.Column{{Name: "c", Numeric: numeric, MaxLen: maxLen}})
				for _, v := range values {
					vals := row(v)
					tb.Row(vals)
					clean := tb.Clean()[0]
					nested := len(v) > 0 && (v[0] == '{' || v[0] == 'a')
					if clean && !cleanBytes(vals[0]) {
						t.Errorf("%s numeric=%v %q → %q: clean, but needs escaping", rs, numeric, v, vals[0])
					}
					if !clean && !numeric && !nested && len(v) > 0 && mustClean[rs] {
						t.Errorf("%s %q → %q: not clean", rs, v, vals[0])
					}
					if rs == "keep" && clean {
						t.Errorf("keep %q: clean, but left as it was", v)
					}
				}
			}
		}
	}
}

func cleanBytes(v []byte) bool {
	for _, c := range v {
		if c < ' ' || c == 0x7f || c == '\'' || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(v)
}

// TestConstEmpty: const: with an empty value writes an empty string, not NULL.
func TestConstEmpty(t *testing.T) {
	tb := scrub.New(key, "", specs(t, "t.c=const:")).Table([]string{"t"}, []scrub.Column{{Name: "c"}})
	for _, v := range []any{"x", nil, ""} {
		vals := row(v)
		tb.Row(vals)
		if vals[0] == nil || len(vals[0]) != 0 {
			t.Fatalf("const: of %v = %q (nil: %v), want an empty string", v, vals[0], vals[0] == nil)
		}
	}
}

// TestLiteralConditions: literal key conditions of every length (past 64 bytes
// too), repeated ones (the last wins) and values that differ from one only in
// their last byte or length.
func TestLiteralConditions(t *testing.T) {
	long := strings.Repeat("k", 70)
	r := scrub.New(key, "", specs(t, "t.v[k=a]=const:a", "t.v[k=ab]=const:ab", "t.v[k=ac]=const:ac", "t.v[k="+long+"]=const:long",
		"t.v[k="+long+"x]=const:longx", "t.v[k=ab]=const:ab2"))
	tb := r.Table([]string{"t"}, []scrub.Column{{Name: "k"}, {Name: "v"}})
	for k, want := range map[string]string{"a": "a", "ab": "ab2", "ac": "ac", "ad": "value", "abc": "value", "": "value",
		long: "long", long + "x": "longx", long + "y": "value", long[1:]: "value"} {
		v := row(k, "value")
		tb.Row(v)
		if string(v[1]) != want {
			t.Errorf("k=%q: %q, want %q", k, v[1], want)
		}
	}
}
