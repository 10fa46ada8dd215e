package rewrite_test

import (
	"errors"
	"strings"
	"testing"

	"synco/dumpers/rewrite"
)

func mustNew(t *testing.T, pairs ...rewrite.Pair) *rewrite.Replacer {
	t.Helper()
	r, err := rewrite.New(pairs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestValue(t *testing.T) {
	r := mustNew(t, rewrite.Pair{From: "https://www.example.com", To: "http://example.test"})
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"nothing here", "nothing here"},
		{"https://www.example.com", "http://example.test"},
		{"http://www.example.com/page", "http://example.test/page"},
		{"see https://www.example.com.", "see http://example.test."},
		{"//www.example.com/x.png", "//example.test/x.png"},
		{`{"url":"https:\/\/www.example.com\/a"}`, `{"url":"http:\/\/example.test\/a"}`},
		{`{"u":"\/\/www.example.com"}`, `{"u":"\/\/example.test"}`},
		{"https://www.example.com.au", "https://www.example.com.au"},
		{"https://www.example.community", "https://www.example.community"},
		{"https://www.example.com-x", "https://www.example.com-x"},
		{"https://sub.www.example.com", "https://sub.www.example.com"},
		{"a https://www.example.com b http://www.example.com:8080 c", "a http://example.test b http://example.test:8080 c"},
		// serialized, length changes
		{`s:23:"https://www.example.com";`, `s:19:"http://example.test";`},
		{`a:2:{s:3:"url";s:27:"https://www.example.com/x/y";s:1:"n";i:5;}`, `a:2:{s:3:"url";s:23:"http://example.test/x/y";s:1:"n";i:5;}`},
		// serialized inside a serialized string
		{`a:1:{i:0;s:31:"s:23:"https://www.example.com";";}`, `a:1:{i:0;s:27:"s:19:"http://example.test";";}`},
		// key kept
		{`a:1:{s:23:"https://www.example.com";i:1;}`, `a:1:{s:23:"https://www.example.com";i:1;}`},
		// corrupt serialized value: plain text replacement, as wp search-replace
		{`s:99:"https://www.example.com";`, `s:99:"http://example.test";`},
	} {
		got, changed := r.Value([]byte(c.in))
		if string(got) != c.want || changed != (c.in != c.want) {
			t.Errorf("Value(%q) = %q, %v; want %q", c.in, got, changed, c.want)
		}
	}
}

func TestPairs(t *testing.T) {
	r := mustNew(t,
		rewrite.Pair{From: "https://example.com", To: "http://example.test"},
		rewrite.Pair{From: "https://example.com/wp/", To: "http://example.test/wordpress"},
		rewrite.Pair{From: "https://example.com", To: "http://other.test"}, // ignored: same FROM
		rewrite.Pair{From: "http://same.test", To: "http://same.test"},     // no-op
	)
	if got := len(r.Pairs()); got != 2 {
		t.Fatalf("pairs %v", r.Pairs())
	}
	got, _ := r.Value([]byte("https://example.com/wp/wp-admin https://example.com/wp-content/x https://example.com"))
	if want := "http://example.test/wordpress/wp-admin http://example.test/wp-content/x http://example.test"; string(got) != want {
		t.Fatalf("got %q", got)
	}
	plain := mustNew(t, rewrite.Pair{From: "example.com/shop", To: "example.test/shop"})
	if got, _ := plain.Value([]byte(`x example.com/shop "example.com\/shop"`)); string(got) != `x example.test/shop "example.test\/shop"` {
		t.Fatalf("plain: %q", got)
	}
}

func TestInvalid(t *testing.T) {
	for _, p := range []rewrite.Pair{
		{"", "http://a.test"}, {"http://a.test", ""}, {"https://", "http://a.test"},
		{"http://a.test", "http://b.test/'x"}, {`http://a.test`, `http://b.test\x`}, {"http://a.test", "http://b.test x"},
		{"http://a.test", `http://b.test"`}, {"http://a.test", "b.test"}, {"http://a.test", "http://b.test,c"},
		{"http://a.test", "http://b.test\n"}, {"http://a.test", "http:///b"},
	} {
		if _, err := rewrite.New(p); !errors.Is(err, rewrite.ErrInvalid) {
			t.Errorf("New(%v) = %v, want ErrInvalid", p, err)
		}
	}
	if _, err := rewrite.ParsePair("nope"); !errors.Is(err, rewrite.ErrInvalid) {
		t.Errorf("ParsePair: %v", err)
	}
	if p, err := rewrite.ParsePair("https://a.test=http://b.test?x=1"); err != nil || p.To != "http://b.test?x=1" {
		t.Errorf("ParsePair: %v %v", p, err)
	}
}

func TestDeepNesting(t *testing.T) {
	r := mustNew(t, rewrite.Pair{From: "https://www.example.com", To: "http://example.test"})
	v := "https://www.example.com"
	for range 200 {
		v = `s:` + itoa(len(v)) + `:"` + v + `";`
	}
	got, changed := r.Value([]byte(v))
	if !changed || strings.Contains(string(got), "www.example.com") {
		t.Fatalf("deep value not rewritten")
	}
	deep := strings.Repeat("a:1:{i:0;", 100000) + `s:23:"https://www.example.com";` + strings.Repeat("}", 100000)
	if _, changed := r.Value([]byte(deep)); !changed {
		t.Fatalf("deep array not rewritten as text")
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzValue(f *testing.F) {
	f.Add([]byte(`a:1:{i:0;s:23:"https://www.example.com";}`))
	f.Add([]byte(`{"a":"https:\/\/www.example.com"}`))
	r, _ := rewrite.New(rewrite.Pair{From: "https://www.example.com", To: "http://example.test"})
	f.Fuzz(func(t *testing.T, v []byte) {
		orig := string(v)
		got, changed := r.Value(v)
		if string(v) != orig {
			t.Fatal("input modified")
		}
		if !changed && string(got) != orig {
			t.Fatal("unchanged value differs")
		}
	})
}
