package scrub

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrBadRule means a rule or a TABLE.COLUMN=RULE spec could not be parsed.
var ErrBadRule = errors.New("scrub: bad rule")

// Kind is what a rule makes of a value.
type Kind uint8

// The rules. See the package documentation for what each one writes.
const (
	Keep Kind = iota
	Email
	Username
	Name
	FirstName
	LastName
	Phone
	IP
	Address
	Text
	Hash
	Null
	Empty
	Const
	Password
)

var kindNames = [...]string{
	Keep: "keep", Email: "email", Username: "username", Name: "name", FirstName: "first_name",
	LastName: "last_name", Phone: "phone", IP: "ip", Address: "address", Text: "text",
	Hash: "hash", Null: "null", Empty: "empty", Const: "const", Password: "password",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Rule is what becomes of the values of a column.
type Rule struct {
	Kind  Kind
	Value string // of Const
}

// String is the rule as ParseRule reads it.
func (r Rule) String() string {
	if r.Kind == Const {
		return "const:" + r.Value
	}
	return r.Kind.String()
}

// ParseRule reads a rule name: email, username, name, first_name, last_name,
// phone, ip, address, text, hash, null, empty, const:VALUE, keep, password.
// Errors wrap ErrBadRule.
func ParseRule(s string) (Rule, error) {
	if v, ok := strings.CutPrefix(s, "const:"); ok {
		return Rule{Kind: Const, Value: v}, nil
	}
	for k, n := range kindNames {
		if s == n && Kind(k) != Const {
			return Rule{Kind: Kind(k)}, nil
		}
	}
	return Rule{}, fmt.Errorf("%w %q (want one of email, username, name, first_name, last_name, phone, ip, address, text, hash, null, empty, const:VALUE, keep, password)", ErrBadRule, s)
}

// Spec says which columns get a rule: the columns matching Column (a glob,
// case-insensitive) of the tables matching Table (a glob as in path.Match). With
// KeyColumn set, only rows whose KeyColumn value matches KeyGlob: the way to scrub
// key/value tables such as WordPress's usermeta (meta_value where meta_key is
// billing_phone).
type Spec struct {
	Table, Column      string
	KeyColumn, KeyGlob string
	Rule               Rule
}

// String is the spec as ParseSpec reads it.
func (s Spec) String() string {
	t := s.Table + "." + s.Column
	if s.KeyColumn != "" {
		t += "[" + s.KeyColumn + "=" + s.KeyGlob + "]"
	}
	return t + "=" + s.Rule.String()
}

// ParseSpec reads TABLE.COLUMN=RULE or TABLE.COLUMN[KEYCOLUMN=GLOB]=RULE. The
// table is everything before the last dot of the target (PostgreSQL tables may be
// schema-qualified: public.users.email). Errors wrap ErrBadRule.
func ParseSpec(s string) (Spec, error) {
	target, rule, ok := cutTarget(s)
	if !ok {
		return Spec{}, fmt.Errorf("%w: %q: want TABLE.COLUMN=RULE", ErrBadRule, s)
	}
	r, err := ParseRule(rule)
	if err != nil {
		return Spec{}, err
	}
	return parseTarget(target, r)
}

// ParseTarget reads TABLE.COLUMN or TABLE.COLUMN[KEYCOLUMN=GLOB] and gives it
// rule r (.synco.yml maps targets to rules). Errors wrap ErrBadRule.
func ParseTarget(target string, r Rule) (Spec, error) { return parseTarget(target, r) }

func parseTarget(target string, r Rule) (Spec, error) {
	sp := Spec{Rule: r}
	if i := strings.IndexByte(target, '['); i >= 0 {
		if !strings.HasSuffix(target, "]") {
			return Spec{}, fmt.Errorf("%w: %q: want TABLE.COLUMN[KEYCOLUMN=GLOB]", ErrBadRule, target)
		}
		cond := target[i+1 : len(target)-1]
		target = target[:i]
		k, g, ok := strings.Cut(cond, "=")
		if !ok || k == "" || g == "" {
			return Spec{}, fmt.Errorf("%w: %q: want [KEYCOLUMN=GLOB]", ErrBadRule, cond)
		}
		sp.KeyColumn, sp.KeyGlob = k, g
	}
	dot := strings.LastIndexByte(target, '.')
	if dot <= 0 || dot == len(target)-1 {
		return Spec{}, fmt.Errorf("%w: %q: want TABLE.COLUMN", ErrBadRule, target)
	}
	sp.Table, sp.Column = target[:dot], target[dot+1:]
	for _, g := range []string{sp.Table, sp.Column, sp.KeyGlob} {
		if _, err := path.Match(g, ""); err != nil {
			return Spec{}, fmt.Errorf("%w: bad glob %q", ErrBadRule, g)
		}
	}
	return sp, nil
}

// cutTarget splits SPEC at the '=' that ends its target (not one inside [ ]).
func cutTarget(s string) (target, rule string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '=':
			if depth == 0 {
				return s[:i], s[i+1:], i > 0 && i < len(s)-1
			}
		}
	}
	return "", "", false
}
