package people_test

import (
	"strings"
	"testing"

	"synco/bench/gen/people"
)

func TestPeople(t *testing.T) {
	ps := people.New(7).People(50000)
	again := people.New(7).People(50000)
	emails, logins := map[string]bool{}, map[string]bool{}
	for i, p := range ps {
		if p != again[i] {
			t.Fatalf("person %d differs for the same seed: %+v, %+v", i, p, again[i])
		}
		if emails[strings.ToLower(p.Email)] || logins[strings.ToLower(p.Login)] {
			t.Fatalf("person %d: e-mail %q or login %q repeats", i, p.Email, p.Login)
		}
		emails[strings.ToLower(p.Email)], logins[strings.ToLower(p.Login)] = true, true
		for _, c := range p.Email + p.Login + p.Nicename {
			if c > 0x7f {
				t.Fatalf("person %d: e-mail or login not ASCII: %+v", i, p)
			}
		}
		if p.First == "" || p.Last == "" || p.Phone == "" || p.IP == "" || p.Street == "" || !strings.Contains(p.Email, "@") {
			t.Fatalf("person %d incomplete: %+v", i, p)
		}
	}
	for _, f := range []struct {
		name string
		f    func(people.Person) string
	}{
		{"first", func(p people.Person) string { return p.First }},
		{"last", func(p people.Person) string { return p.Last }},
		{"domain", func(p people.Person) string { _, d, _ := strings.Cut(p.Email, "@"); return d }},
		{"city", func(p people.Person) string { return p.City }},
		{"street", func(p people.Person) string { return p.Street }},
	} {
		t.Logf("%s: %.1f bits", f.name, people.Entropy(ps, f.f))
	}
	for _, p := range ps[:12] {
		t.Logf("%+v", p)
	}
}
