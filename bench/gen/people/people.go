// Package people generates realistic, seeded personal data for benchmarks of
// scrubbing: names drawn from long lists with a Zipf-like spread (a few common
// names, a long tail of rare ones, as in a real customer table), e-mail addresses
// and logins derived from the names in the ways people actually pick them
// (anna.mueller, amueller84, anna_m@web.de), phone numbers in real formats,
// public IP addresses and street addresses.
//
// It is meant to flatter neither side of a scrubbed-versus-unscrubbed comparison:
// the originals carry about as much information as real ones (Entropy reports it),
// not the few bits of a handful of repeated names, nor the full randomness of
// random strings.
package people

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Person is one customer or commenter.
type Person struct {
	First, Last string
	Display     string // display name: "First Last", sometimes the login
	Email       string // unique within a Gen
	Login       string // unique within a Gen
	Nicename    string // the login as WordPress's sanitize_title makes it
	Phone       string
	IP          string // IPv4 or IPv6, public
	Street      string // "Lindenstraße 12a"
	Postcode    string
	City        string
}

// Gen makes people; e-mail addresses and logins are unique among the people of one
// Gen. A Gen is not safe for concurrent use.
type Gen struct {
	r            *rand.Rand
	first, last  *rand.Zipf
	city, street *rand.Zipf
	emails       map[string]bool
	logins       map[string]bool
}

// New returns a generator seeded with seed: the same seed gives the same people.
func New(seed uint64) *Gen {
	r := rand.New(rand.NewPCG(seed, 0x70656f706c65))
	return &Gen{
		r:      r,
		first:  rand.NewZipf(r, 1.07, 20, uint64(len(firstNames)-1)),
		last:   rand.NewZipf(r, 1.05, 30, uint64(len(lastNames)-1)),
		city:   rand.NewZipf(r, 1.1, 2, uint64(len(cities)-1)),
		street: rand.NewZipf(r, 1.02, 4, uint64(len(streetStems)-1)),
		emails: map[string]bool{},
		logins: map[string]bool{},
	}
}

// People returns n new people.
func (g *Gen) People(n int) []Person {
	out := make([]Person, n)
	for i := range out {
		out[i] = g.Person()
	}
	return out
}

// Person returns one new person.
func (g *Gen) Person() Person {
	r := g.r
	p := Person{First: g.firstName(), Last: g.lastName()}
	f, l := ascii(p.First), ascii(p.Last)
	p.Email = g.unique(g.emails, g.localPart(f, l)+"@"+g.domain(l))
	local, _, _ := strings.Cut(p.Email, "@")
	var login string
	switch x := r.IntN(100); {
	case x < 35: // WooCommerce makes the login from the e-mail address
		login = local
	case x < 50:
		login = p.Email
	case x < 70:
		login = f + l
	case x < 85:
		login = f[:1] + l
	default:
		login = f + strconv.Itoa(r.IntN(100))
	}
	p.Login = g.unique(g.logins, login)
	p.Nicename = nicename(p.Login)
	p.Display = p.First + " " + p.Last
	if r.IntN(100) < 25 {
		p.Display = p.Login
	}
	p.Phone = g.phone()
	p.IP = g.ip()
	p.Street = g.streetAddress()
	p.Postcode = fmt.Sprintf("%05d", 1067+r.IntN(98000))
	p.City = cities[g.city.Uint64()]
	return p
}

// unique is s, or s with a number added when seen already, marked seen.
func (g *Gen) unique(seen map[string]bool, s string) string {
	for n := 2; seen[s]; n++ {
		local, dom, ok := strings.Cut(s, "@")
		digits := strconv.Itoa(g.r.IntN(n * 10))
		if ok {
			s = local + digits + "@" + dom
		} else {
			s += digits
		}
	}
	seen[s] = true
	return s
}

func (g *Gen) firstName() string {
	n := firstNames[g.first.Uint64()]
	if g.r.IntN(100) < 3 { // Anna-Lena, Hans-Peter
		n += "-" + firstNames[g.first.Uint64()]
	}
	return n
}

// lastName is from the list most of the time, and from the long tail of rare
// names (stem + ending) otherwise.
func (g *Gen) lastName() string {
	if g.r.IntN(100) < 40 {
		return tailStems[g.r.IntN(len(tailStems))] + tailEnds[g.r.IntN(len(tailEnds))]
	}
	n := lastNames[g.last.Uint64()]
	if g.r.IntN(100) < 2 { // Müller-Lüdenscheidt
		n += "-" + lastNames[g.last.Uint64()]
	}
	return n
}

// localPart is what people make of their names before the @.
func (g *Gen) localPart(f, l string) string {
	r := g.r
	year := strconv.Itoa(1950 + r.IntN(56))
	switch x := r.IntN(100); {
	case x < 26:
		return f + "." + l
	case x < 34:
		return f + l
	case x < 42:
		return f[:1] + "." + l
	case x < 52:
		return f[:1] + l
	case x < 56:
		return f + "_" + l
	case x < 64:
		return f + "." + l + year[2:]
	case x < 71:
		return f + year
	case x < 75:
		return l + "." + f
	case x < 83:
		return f + strconv.Itoa(1+r.IntN(999))
	case x < 90:
		return f[:min(len(f), 3)] + l[:min(len(l), 4)] + year[2:]
	case x < 95: // a word and a number: sunny84, info
		return words[r.IntN(len(words))] + strconv.Itoa(r.IntN(1000))
	default:
		return l
	}
}

func (g *Gen) domain(l string) string {
	x := g.r.Float64() * 100
	for _, d := range freemail {
		if x -= d.pct; x < 0 {
			return d.name
		}
	}
	// an own or a company domain
	switch g.r.IntN(3) {
	case 0:
		return l + ".de"
	case 1:
		return words[g.r.IntN(len(words))] + "-" + l + ".de"
	}
	return companies[g.r.IntN(len(companies))] + tlds[g.r.IntN(len(tlds))]
}

// phone is a number in one of the ways people type them in.
func (g *Gen) phone() string {
	r := g.r
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	country, mobile := "49", r.IntN(100) < 65
	switch x := r.IntN(100); {
	case x < 6:
		country = "43"
	case x < 11:
		country = "41"
	case x < 14:
		country = []string{"33", "31", "44", "39", "48", "90", "1"}[r.IntN(7)]
	}
	var area string
	if mobile {
		area = mobilePrefixes[r.IntN(len(mobilePrefixes))]
	} else {
		area = areaCodes[r.IntN(len(areaCodes))]
	}
	sub := digits(10 - len(area) + r.IntN(2))
	if country != "49" {
		area = strconv.Itoa(1+r.IntN(9)) + digits(1+r.IntN(2))
		sub = digits(6 + r.IntN(3))
	}
	switch x := r.IntN(100); {
	case x < 30:
		return "+" + country + " " + area + " " + sub
	case x < 50:
		return "0" + area + " " + sub
	case x < 62:
		return "0" + area + "/" + sub
	case x < 72:
		return "+" + country + area + sub
	case x < 80:
		return "+" + country + " (0)" + area + " " + sub
	case x < 88:
		return "0" + area + "-" + sub[:len(sub)/2] + " " + sub[len(sub)/2:]
	case x < 94:
		return "00" + country + " " + area + " " + sub
	default:
		return "0" + area + sub
	}
}

// ip is a public address: IPv4 outside the private and reserved ranges, or
// (one in six) IPv6 from the ranges providers hand out.
func (g *Gen) ip() string {
	r := g.r
	if r.IntN(6) == 0 {
		return fmt.Sprintf("%s:%x:%x:%x:%x:%x:%x", v6Prefixes[r.IntN(len(v6Prefixes))],
			r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16))
	}
	for {
		a := 1 + r.IntN(223)
		b := r.IntN(256)
		if a == 10 || a == 127 || a == 169 && b == 254 || a == 172 && b&0xf0 == 16 || a == 192 && b == 168 || a == 100 && b&0xc0 == 64 {
			continue
		}
		return fmt.Sprintf("%d.%d.%d.%d", a, b, r.IntN(256), 1+r.IntN(254))
	}
}

func (g *Gen) streetAddress() string {
	r := g.r
	s := streetStems[g.street.Uint64()] + streetKinds[r.IntN(len(streetKinds))]
	n := strconv.Itoa(1 + int(math.Exp(r.Float64()*5.3)))
	if r.IntN(10) == 0 {
		n += string(rune('a' + r.IntN(4)))
	}
	return s + " " + n
}

// ascii is a name as people write it in e-mail addresses: lower case, umlauts
// spelled out, no accents, nothing but letters and digits.
func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, translit.Replace(strings.ToLower(s)))
}

var translit = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "é", "e", "è", "e", "ê", "e", "á", "a",
	"à", "a", "â", "a", "ç", "c", "ñ", "n", "ó", "o", "ò", "o", "ô", "o", "í", "i", "ì", "i", "ú", "u", "ł", "l", "ś", "s",
	"ć", "c", "ń", "n", "ź", "z", "ż", "z", "ą", "a", "ę", "e", "ğ", "g", "ş", "s", "ı", "i", "č", "c", "š", "s", "ž", "z",
	"ř", "r", "ý", "y", "ø", "o", "å", "a", "ã", "a", "õ", "o", "ë", "e", "ï", "i")

// nicename is WordPress's sanitize_title of a login: lower case, '@' dropped, dots
// and other punctuation become dashes.
func nicename(login string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(login) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		case c == '@':
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// Entropy is the Shannon entropy, in bits per value, of the values of one field
// over people: how much information the originals carry (an upper bound for small
// samples).
func Entropy(ps []Person, field func(Person) string) float64 {
	n := map[string]int{}
	for _, p := range ps {
		n[field(p)]++
	}
	var h float64
	for _, c := range n {
		q := float64(c) / float64(len(ps))
		h -= q * math.Log2(q)
	}
	return h
}
