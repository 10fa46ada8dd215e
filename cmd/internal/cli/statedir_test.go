package cli

import (
	"regexp"
	"strings"
	"testing"
)

func TestStateKey(t *testing.T) {
	files := []string{"uploads=/var/www/shop/uploads", "media=/var/www/shop/media"}
	streams := []string{"dump.sql=/backups/shop.sql"}
	shop := stateKey("", "mysql://shop:secret@127.0.0.1:3306/shop", files, streams)
	if !regexp.MustCompile(`^shop-[0-9a-f]{8}$`).MatchString(shop) {
		t.Errorf("key %q, want shop-<8 hex digits>", shop)
	}
	same := []struct {
		name string
		key  string
	}{
		{"another password", stateKey("", "mysql://shop:other@127.0.0.1:3306/shop", files, streams)},
		{"specs in another order", stateKey("", "mysql://shop:secret@127.0.0.1:3306/shop", []string{files[1], files[0]}, streams)},
	}
	for _, s := range same {
		if s.key != shop {
			t.Errorf("%s: key %q, want %q", s.name, s.key, shop)
		}
	}
	keys := map[string]string{shop: "shop"}
	for _, d := range []struct {
		name string
		key  string
	}{
		{"another database", stateKey("", "mysql://shop:secret@127.0.0.1:3306/blog", files, streams)},
		{"another host", stateKey("", "mysql://shop:secret@10.0.0.2:3306/shop", files, streams)},
		{"another user", stateKey("", "mysql://admin:secret@127.0.0.1:3306/shop", files, streams)},
		{"fewer files", stateKey("", "mysql://shop:secret@127.0.0.1:3306/shop", files[:1], streams)},
		{"a file set as a stream", stateKey("", "mysql://shop:secret@127.0.0.1:3306/shop", files[:1], append([]string{files[1]}, streams...))},
		{"no database", stateKey("", "", files, streams)},
		{"a project", stateKey("/var/www/shop", "", nil, nil)},
		{"another project", stateKey("/var/www/blog", "", nil, nil)},
	} {
		if other, ok := keys[d.key]; ok {
			t.Errorf("%s: key %q, the same as for %s", d.name, d.key, other)
		}
		keys[d.key] = d.name
	}
	if k := stateKey("/var/www/blog", "", nil, nil); !strings.HasPrefix(k, "blog-") {
		t.Errorf("project key %q, want blog-…", k)
	}
	if k := stateKey("", "", []string{"Ünïcode Files=/x"}, nil); !strings.HasPrefix(k, "n-code-files-") {
		t.Errorf("key %q, want n-code-files-… (only safe characters)", k)
	}
	if k := stateKey("", "", nil, []string{"../..=/x"}); !strings.HasPrefix(k, "app-") {
		t.Errorf("key %q, want app-…", k)
	}
}

func TestWithoutPassword(t *testing.T) {
	for in, want := range map[string]string{
		"mysql://u:secret@h:3306/db?socket=/run/m.sock": "mysql://u@h:3306/db?socket=%2Frun%2Fm.sock",
		"postgres://u@h/db?password=secret&sslmode=off": "postgres://u@h/db?sslmode=off",
		"%zz:secret": "",
	} {
		if got := withoutPassword(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("withoutPassword(%q) = %q, want %q", in, got, want)
		}
	}
}
