package scrub

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"github.com/zeebo/blake3"
)

// faker makes the fakes of one goroutine: a keyed hash of the value (blake3 keyed
// with the store's scrub key), so the same value gives the same fake in every table
// and every day, and nobody without the key can tell which value a fake stands for.
type faker struct {
	h   *blake3.Hasher
	sum [32]byte
}

func newFaker(key *[32]byte) *faker {
	h, _ := blake3.NewKeyed(key[:]) // a 32-byte key never fails
	return &faker{h: h}
}

// mac is the keyed hash of value in the domain of the rule kind: two rules never
// give related outputs for the same value.
func (f *faker) mac(k Kind, value []byte) []byte {
	f.h.Reset()
	f.h.Write([]byte{byte(k), 0})
	f.h.Write(value)
	return f.h.Sum(f.sum[:0])
}

const base32Lower = "abcdefghijklmnopqrstuvwxyz234567"

// b32 appends n base-32 characters of h (5 bits each, n ≤ 51).
func b32(b []byte, h []byte, n int) []byte {
	v := binary.LittleEndian.Uint64(h)
	v2 := binary.LittleEndian.Uint64(h[8:])
	for i := range n {
		if i == 12 {
			v = v2
		}
		b = append(b, base32Lower[v&31])
		v >>= 5
	}
	return b
}

// fake is the fake of one non-NULL, non-empty scalar value. numeric says the
// column holds numbers: value rules then write digits.
func (f *faker) fake(r Rule, v []byte, numeric bool, framework string) []byte {
	switch r.Kind {
	case Keep:
		return v
	case Null:
		return nil
	case Empty:
		return []byte{}
	case Const:
		return []byte(r.Value)
	case Password:
		return []byte(PasswordHash(framework))
	}
	if numeric {
		return f.digits(r.Kind, v)
	}
	switch r.Kind {
	case Email:
		// e-mail addresses compare case-insensitively in practice (and in MySQL's
		// default collations): Anna@X and anna@x get the same fake, so joins hold.
		h := f.mac(Email, bytes.ToLower(bytes.TrimSpace(v)))
		return append(b32(append(make([]byte, 0, 32), 'u'), h, 10), "@example.invalid"...)
	case Username:
		h := f.mac(Username, bytes.ToLower(bytes.TrimSpace(v)))
		return b32(append(make([]byte, 0, 12), "user"...), h, 10)
	case Name:
		h := f.mac(Name, v)
		b := append(make([]byte, 0, 24), firstNames[h[0]%byte(len(firstNames))]...)
		b = append(b, ' ')
		return append(b, lastNames[h[1]%byte(len(lastNames))]...)
	case FirstName:
		h := f.mac(FirstName, v)
		return []byte(firstNames[h[0]%byte(len(firstNames))])
	case LastName:
		h := f.mac(LastName, v)
		return []byte(lastNames[h[0]%byte(len(lastNames))])
	case Phone:
		return f.phone(v)
	case IP:
		return f.ip(v)
	case Address:
		h := f.mac(Address, v)
		n := 1 + binary.LittleEndian.Uint16(h)%199
		b := strconv.AppendUint(make([]byte, 0, 24), uint64(n), 10)
		b = append(b, ' ')
		return append(b, streets[h[2]%byte(len(streets))]...)
	case Text:
		return f.text(v)
	case Hash:
		h := f.mac(Hash, v)
		const hex = "0123456789abcdef"
		b := make([]byte, 32)
		for i := range 16 {
			b[2*i], b[2*i+1] = hex[h[i]>>4], hex[h[i]&15]
		}
		return b
	}
	return v
}

// phone keeps the value's shape (length, separators, a leading +) and replaces
// every digit with one of the keyed hash; letters (a value that is not a phone
// number after all) become keyed letters, so nothing of it is left readable.
func (f *faker) phone(v []byte) []byte {
	h := f.mac(Phone, v)
	out := make([]byte, len(v))
	j := 0
	for i, c := range v {
		k := h[j%32] ^ byte(j/32) // a value longer than the hash reuses it shifted
		switch {
		case c >= '0' && c <= '9':
			out[i] = '0' + k%10
		case c >= 'a' && c <= 'z':
			out[i] = 'a' + k%26
		case c >= 'A' && c <= 'Z':
			out[i] = 'A' + k%26
		default:
			out[i] = c
			continue
		}
		j++
	}
	return out
}

// ip maps an IPv4 address into 10.0.0.0/8 and anything else (IPv6, unparsable)
// into 2001:db8::/32, the documentation prefix; a /len suffix stays.
func (f *faker) ip(v []byte) []byte {
	s := string(v)
	suffix := ""
	if i := bytes.IndexByte(v, '/'); i >= 0 {
		s, suffix = s[:i], s[i:]
	}
	h := f.mac(IP, []byte(s))
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() || err != nil && !bytes.ContainsRune(v, ':') {
		if suffix != "" {
			suffix = "/32"
		}
		return append(netip.AddrFrom4([4]byte{10, h[0], h[1], h[2]}).AppendTo(nil), suffix...)
	}
	var a16 [16]byte
	copy(a16[:], []byte{0x20, 0x01, 0x0d, 0xb8})
	copy(a16[4:], h[:12])
	if suffix != "" {
		suffix = "/128"
	}
	return append(netip.AddrFrom16(a16).AppendTo(nil), suffix...)
}

// text is lorem ipsum of the value's length in characters, starting at a keyed
// place, with the value's line breaks kept.
func (f *faker) text(v []byte) []byte {
	h := f.mac(Text, v)
	pos := int(binary.LittleEndian.Uint32(h) % uint32(len(lorem)))
	out := make([]byte, 0, len(v))
	for len(v) > 0 {
		r, n := utf8.DecodeRune(v)
		v = v[n:]
		if r == '\n' || r == '\r' {
			out = append(out, byte(r))
			continue
		}
		out = append(out, lorem[pos])
		pos = (pos + 1) % len(lorem)
	}
	return out
}

// digits replaces each digit of a number with a keyed one (the first stays
// non-zero), so a numeric column keeps its width and sign.
func (f *faker) digits(k Kind, v []byte) []byte {
	h := f.mac(k, v)
	out := make([]byte, len(v))
	j, first := 0, true
	for i, c := range v {
		if c < '0' || c > '9' {
			out[i] = c
			continue
		}
		d := h[j%32] % 10
		if first && d == 0 && i+1 < len(v) {
			d = 1 + h[j%32]%9
		}
		first = false
		out[i] = '0' + d
		j++
	}
	return out
}

const lorem = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt in culpa qui officia deserunt mollit anim id est laborum "

var firstNames = []string{
	"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas", "Karla", "Leon",
	"Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Simon", "Tara", "Uwe", "Vera", "Walter", "Xenia",
	"Yara", "Zoe", "Alex", "Bianca", "Carlos", "Dana", "Elias", "Fatima", "Georg", "Hanna", "Ivan", "Julia",
	"Kai", "Lena", "Marco", "Nina", "Oscar", "Pia", "Rafael", "Sara", "Tim", "Ulla", "Viktor", "Wanda",
	"Amir", "Bea", "Chen", "Dora", "Emil", "Frida", "Gustav", "Helen", "Igor", "Jana", "Kurt", "Lara",
	"Malik", "Nora", "Otto", "Petra",
}

var lastNames = []string{
	"Example", "Sample", "Muster", "Tester", "Placeholder", "Doe", "Roe", "Fake", "Demo", "Dummy", "Mock", "Stub",
	"Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Neumann",
	"Schwarz", "Braun", "Zimmermann", "Hartmann", "Lange", "Krause", "Walter", "Peters", "Smith", "Jones", "Brown", "Taylor",
	"Wilson", "Evans", "Thomas", "Moore", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
	"Rossi", "Bianchi", "Romano", "Garcia", "Lopez", "Martinez", "Dubois", "Laurent", "Moreau", "Jansen", "Visser", "Novak",
	"Horvat", "Nowak", "Kowalski", "Berg",
}

var streets = []string{
	"Example Street", "Sample Road", "Test Avenue", "Demo Lane", "Placeholder Way", "Mock Square", "Stub Alley", "Dummy Court",
	"Musterstraße", "Beispielweg", "Testallee", "Probegasse", "Main Street", "High Street", "Park Road", "Church Lane",
}
