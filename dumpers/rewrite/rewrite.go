// Package rewrite replaces URLs in the values of a database as they are loaded:
// the production URL of a site becomes the local one, the way `wp search-replace`
// does it, so that a synced site does not redirect to production.
//
// A Replacer applies pairs FROM → TO to one value at a time:
//
//   - a PHP-serialized value (WordPress options and meta) is rewritten inside its
//     strings and each string's length is recomputed (package phpser), also for
//     serialized values nested in serialized strings;
//   - anything else, JSON included, is rewritten as text. FROM and TO may hold no
//     quote, backslash, comma, parenthesis, brace, space or control character, so
//     replacing them in the text of a JSON document, a PostgreSQL array or a
//     composite keeps it valid; and the JSON form with escaped slashes
//     (https:\/\/example.com, what PHP's json_encode writes) is replaced too.
//
// A pair of http(s) URLs also stands for its variants: https://HOST and
// http://HOST both become TO, and the scheme-relative //HOST becomes //TOHOST
// (TO without its scheme). A match must end at a boundary: when FROM ends in a
// letter or digit, the byte after it may not be a letter, digit, '-' or '_', nor a
// '.' followed by a letter or digit, so https://example.com does not match in
// https://example.com.au or https://example.community. Matches do not overlap;
// at one position the longest FROM wins. Keys of serialized arrays are kept.
package rewrite

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"synco/dumpers/phpser"
)

// ErrInvalid: a pair that cannot be applied safely (see New).
var ErrInvalid = errors.New("rewrite: invalid pair")

// maxNesting bounds serialized values nested in serialized strings.
const maxNesting = 16

// Pair maps one URL (or other string) to another.
type Pair struct {
	From, To string
}

func (p Pair) String() string { return p.From + " → " + p.To }

// ParsePair reads FROM=TO. Errors wrap ErrInvalid.
func ParsePair(s string) (Pair, error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok {
		return Pair{}, fmt.Errorf("%q is not FROM=TO: %w", s, ErrInvalid)
	}
	return Pair{From: from, To: to}, nil
}

// IsURL reports whether s is an http or https URL with a host.
func IsURL(s string) bool {
	_, rest, ok := cutScheme(s)
	return ok && rest != "" && rest[0] != '/'
}

func cutScheme(s string) (scheme, rest string, ok bool) {
	for _, sc := range []string{"https://", "http://"} {
		if len(s) > len(sc) && strings.EqualFold(s[:len(sc)], sc) {
			return s[:len(sc)-3], s[len(sc):], true
		}
	}
	return "", "", false
}

// sub is one replacement: prefix+body → to. body is what the search looks for.
type sub struct {
	prefix, body, to []byte
	boundary         bool // the byte after body must not continue a name
}

// Replacer applies pairs to values; safe for concurrent use.
type Replacer struct {
	pairs   []Pair
	subs    []sub    // longest prefix+body first
	anchors [][]byte // distinct bodies
	changed atomic.Int64
}

// New makes a Replacer. A trailing "/" of FROM and TO is dropped; pairs with
// FROM = TO are left out; a later pair with the same FROM as an earlier one is
// ignored (the earlier wins). An empty FROM or TO, characters outside the safe
// set (see the package doc), or a pair of which FROM is a URL and TO is not are
// ErrInvalid.
func New(pairs ...Pair) (*Replacer, error) {
	r := &Replacer{}
	seen := map[string]bool{}
	for _, p := range pairs {
		p.From, p.To = strings.TrimRight(p.From, "/"), strings.TrimRight(p.To, "/")
		for _, s := range []string{p.From, p.To} {
			if err := check(s); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
		if IsURL(p.From) != IsURL(p.To) {
			return nil, fmt.Errorf("%s: one is an http(s) URL, the other is not: %w", p, ErrInvalid)
		}
		if p.From == p.To || seen[p.From] {
			continue
		}
		seen[p.From] = true
		r.pairs = append(r.pairs, p)
		r.addSubs(p)
	}
	slices.SortStableFunc(r.subs, func(a, b sub) int { return len(b.prefix) + len(b.body) - len(a.prefix) - len(a.body) })
	for _, s := range r.subs {
		if !slices.ContainsFunc(r.anchors, func(a []byte) bool { return bytes.Equal(a, s.body) }) {
			r.anchors = append(r.anchors, s.body)
		}
	}
	return r, nil
}

// check reports a FROM or TO that could break the syntax around a value.
func check(s string) error {
	if s == "" {
		return fmt.Errorf("empty: %w", ErrInvalid)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("not UTF-8: %w", ErrInvalid)
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c == 0x7f || strings.IndexByte(`"'\,;(){}<>`+"`", c) >= 0 {
			return fmt.Errorf("%q may not hold %q: %w", s, c, ErrInvalid)
		}
	}
	if sc, rest, ok := cutScheme(s); ok && (rest == "" || rest[0] == '/') {
		return fmt.Errorf("%s URL without a host: %w", sc, ErrInvalid)
	}
	return nil
}

func (r *Replacer) addSubs(p Pair) {
	add := func(prefix, body, to string) {
		b := body[len(body)-1]
		boundary := b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		r.subs = append(r.subs, sub{prefix: []byte(prefix), body: []byte(body), to: []byte(to), boundary: boundary})
		if strings.Contains(prefix+body, "/") {
			esc := func(s string) []byte { return []byte(strings.ReplaceAll(s, "/", `\/`)) }
			r.subs = append(r.subs, sub{prefix: esc(prefix), body: esc(body), to: esc(to), boundary: boundary})
		}
	}
	_, fromRest, ok := cutScheme(p.From)
	if !ok {
		add("", p.From, p.To)
		return
	}
	_, toRest, _ := cutScheme(p.To)
	add("https://", fromRest, p.To)
	add("http://", fromRest, p.To)
	add("//", fromRest, "//"+toRest)
}

// Pairs returns the pairs in effect, as normalised by New.
func (r *Replacer) Pairs() []Pair { return slices.Clone(r.pairs) }

// Empty reports whether r changes nothing.
func (r *Replacer) Empty() bool { return r == nil || len(r.pairs) == 0 }

// Changed is the number of values Value changed so far.
func (r *Replacer) Changed() int64 { return r.changed.Load() }

// MayChange reports whether v holds the text a pair looks for, as it is; a value
// encoded in another way (hex, escapes) must be decoded first.
func (r *Replacer) MayChange(v []byte) bool {
	if r.Empty() {
		return false
	}
	for _, a := range r.anchors {
		if bytes.Contains(v, a) {
			return true
		}
	}
	return false
}

// Value returns v rewritten, and whether it changed; v itself is never modified,
// and is returned as is when nothing changed.
func (r *Replacer) Value(v []byte) ([]byte, bool) {
	if !r.MayChange(v) {
		return v, false
	}
	out, changed := r.value(v, 0)
	if changed {
		r.changed.Add(1)
	}
	return out, changed
}

func (r *Replacer) value(v []byte, depth int) ([]byte, bool) {
	if !r.MayChange(v) {
		return v, false
	}
	if depth < maxNesting && phpser.Looks(v) {
		changed := false
		out, ok := phpser.Rewrite(v, func(s []byte) []byte {
			n, c := r.value(s, depth+1)
			changed = changed || c
			return n
		})
		if ok {
			if !changed {
				return v, false
			}
			return out, true
		}
	}
	return r.text(v)
}

// text replaces every match in v, left to right.
func (r *Replacer) text(v []byte) ([]byte, bool) {
	var out []byte
	done := 0 // v[:done] is in out (or unchanged)
	from := 0 // where to look for the next anchor
	for {
		p := -1
		for _, a := range r.anchors {
			if i := bytes.Index(v[from:], a); i >= 0 && (p < 0 || from+i < p) {
				p = from + i
			}
		}
		if p < 0 {
			break
		}
		if s, ok := r.match(v, p, done); ok {
			start := p - len(s.prefix)
			out = append(out, v[done:start]...)
			out = append(out, s.to...)
			done = p + len(s.body)
			from = done
			continue
		}
		from = p + 1
	}
	if out == nil {
		return v, false
	}
	return append(out, v[done:]...), true
}

// match finds the longest sub whose body starts at p and whose prefix starts at
// or after min, ending at a boundary.
func (r *Replacer) match(v []byte, p, min int) (sub, bool) {
	for _, s := range r.subs {
		start := p - len(s.prefix)
		if start < min || !bytes.HasPrefix(v[p:], s.body) || !bytes.Equal(v[start:p], s.prefix) {
			continue
		}
		if s.boundary && continues(v[p+len(s.body):]) {
			continue
		}
		return s, true
	}
	return sub{}, false
}

// continues reports whether rest goes on with a name: a letter, digit, '-', '_',
// or '.' followed by a letter or digit.
func continues(rest []byte) bool {
	if len(rest) == 0 {
		return false
	}
	alnum := func(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	c := rest[0]
	return alnum(c) || c == '-' || c == '_' || c == '.' && len(rest) > 1 && alnum(rest[1])
}
