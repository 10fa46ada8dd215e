package scrub

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/dchest/siphash"
	"github.com/zeebo/blake3"
)

// faker makes the fakes of one goroutine: a keyed hash of the value (SipHash-2-4,
// keyed per rule with keys derived from the store's scrub key), so the same value
// gives the same fake in every table and every day, and nobody without the key can
// tell which value a fake stands for. It allocates nothing per value: fakes are
// appended to the caller's buffer.
//
// SipHash is a PRF made for short inputs: names, addresses and e-mails cost one
// SipHash each, about a sixth of a keyed BLAKE3 (BenchmarkMAC). Fakes that need
// more than 64 bits (hash, phone, digits) take a second SipHash with a second key.
// Nothing is cached: a SipHash of a name or an e-mail address (≈ 18 ns) costs less
// than looking it up in a cache of the last few thousand values did (the keyed
// BLAKE3 of before needed one), on realistic and on repetitive data alike
// (bench/RESULTS.md, "Scrubbing").
type faker struct {
	keys *macKeys
	sum  [16]byte
	low  []byte // a lower-cased value
	head []byte // a phone fake's leading digits
}

// macKeys are a store's SipHash keys: per rule kind, two 128-bit keys (k0, k1 of
// each), the second for the fakes that need 16 bytes.
type macKeys [Password + 1][4]uint64

// deriveMacKeys derives the SipHash keys of every rule from the store's scrub key.
func deriveMacKeys(key *[32]byte) *macKeys {
	var ks macKeys
	var b [32]byte
	for k := range ks {
		blake3.DeriveKey("synco 2026-12 scrub siphash "+Kind(k).String(), key[:], b[:])
		for i := range ks[k] {
			ks[k][i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
	return &ks
}

func newFaker(keys *macKeys) *faker {
	return &faker{keys: keys}
}

// mac is the keyed hash (8 bytes) of value in the domain of the rule kind: two
// rules never give related outputs for the same value. It is valid until the next
// call.
func (f *faker) mac(k Kind, value []byte) []byte {
	ks := &f.keys[k]
	binary.LittleEndian.PutUint64(f.sum[:], siphash.Hash(ks[0], ks[1], value))
	return f.sum[:8]
}

// mac16 is mac with 16 bytes; its first 8 are mac's.
func (f *faker) mac16(k Kind, value []byte) []byte {
	ks := &f.keys[k]
	binary.LittleEndian.PutUint64(f.sum[:], siphash.Hash(ks[0], ks[1], value))
	binary.LittleEndian.PutUint64(f.sum[8:], siphash.Hash(ks[2], ks[3], value))
	return f.sum[:16]
}

// folded is v without surrounding white space, lower-cased: bytes.ToLower's
// result, without allocating. It is valid until the next call (it may be v).
func (f *faker) folded(v []byte) []byte {
	// most values are ASCII, lower case already, without surrounding space: v
	if n := len(v); n > 0 && !asciiSpace[v[0]] && !asciiSpace[v[n-1]] && asciiLower(v) {
		return v
	}
	v = bytes.TrimSpace(v)
	f.low = f.low[:0]
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			f.low = append(f.low, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(v[i:]) // as bytes.Map does: invalid bytes become U+FFFD
		f.low = utf8.AppendRune(f.low, unicode.ToLower(r))
		i += n
	}
	return f.low
}

// asciiLower reports whether v is ASCII without upper-case letters, 8 bytes at a
// time: for a byte b below 0x80, b+0x3f reaches 0x80 from 'A' on and b+0x25 from
// 'Z'+1 on (and neither carries into the next byte).
func asciiLower(v []byte) bool {
	const hi = 0x8080808080808080
	for len(v) >= 8 {
		w := binary.LittleEndian.Uint64(v)
		if w&hi != 0 || (w+0x3f3f3f3f3f3f3f3f)&^(w+0x2525252525252525)&hi != 0 {
			return false
		}
		v = v[8:]
	}
	for _, c := range v {
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// asciiSpace are the ASCII bytes bytes.TrimSpace trims.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

const base32Lower = "abcdefghijklmnopqrstuvwxyz234567"

// b32 appends n base-32 characters of h (5 bits each; n ≤ 12 from 8 bytes, ≤ 24
// from 16).
func b32(b []byte, h []byte, n int) []byte {
	v := binary.LittleEndian.Uint64(h)
	for i := range n {
		if i == 12 {
			v = binary.LittleEndian.Uint64(h[8:])
		}
		b = append(b, base32Lower[v&31])
		v >>= 5
	}
	return b
}

// appendFake appends the fake of one non-NULL, non-empty scalar value to b for a
// value rule (not keep, null, empty, const or password). numeric says the column
// holds numbers: value rules then write digits. clean: the fake needs no escaping
// (isClean); only fakes that keep characters of the value may not be.
func (f *faker) appendFake(b []byte, k Kind, v []byte, numeric bool) (_ []byte, clean bool) {
	if numeric {
		return f.digits(b, k, v), false
	}
	switch k {
	case Email:
		// e-mail addresses compare case-insensitively in practice (and in MySQL's
		// default collations): Anna@X and anna@x get the same fake, so joins hold.
		h := f.mac(Email, f.folded(v))
		return append(b32(append(b, 'u'), h, 10), "@example.invalid"...), true
	case Username:
		h := f.mac(Username, f.folded(v))
		return b32(append(b, "user"...), h, 10), true
	case Name:
		h := f.mac(Name, v)
		b = append(b, firstNames[h[0]%byte(len(firstNames))]...)
		b = append(b, ' ')
		return append(b, lastNames[h[1]%byte(len(lastNames))]...), true
	case FirstName:
		h := f.mac(FirstName, v)
		return append(b, firstNames[h[0]%byte(len(firstNames))]...), true
	case LastName:
		h := f.mac(LastName, v)
		return append(b, lastNames[h[0]%byte(len(lastNames))]...), true
	case Phone:
		return f.phone(b, v)
	case IP:
		return f.ip(b, v), true
	case Address:
		h := f.mac(Address, v)
		n := 1 + binary.LittleEndian.Uint16(h)%199
		b = strconv.AppendUint(b, uint64(n), 10)
		b = append(b, ' ')
		return append(b, streets[h[2]%byte(len(streets))]...), true
	case Text:
		return f.text(b, v)
	case Hash:
		h := f.mac16(Hash, v)
		const hex = "0123456789abcdef"
		for i := range 16 {
			b = append(b, hex[h[i]>>4], hex[h[i]&15])
		}
		return b, true
	}
	return append(b, v...), false
}

// phone keeps the value's shape (length, separators, a leading +) and replaces
// its digits; letters (a value that is not a phone number after all) become keyed
// letters, so nothing of it is left readable. A number of 9 digits or more keeps
// its leading zeros (0 or 00: national or international format) and its last 8
// digits are keyed; the digits between come from one of 4 plausible prefixes (the
// country code and a mobile code) the keyed hash picks, so fakes carry about 29
// bits, as much as a real number, and look like one (+49 176…, 0151…).
// A shorter value (a postcode, an extension) gets all its digits keyed.
func (f *faker) phone(b, v []byte) (_ []byte, clean bool) {
	h := f.mac16(Phone, v)
	clean = true
	digits := 0
	for _, c := range v {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	// head: the digits before the keyed ones, when the value is long enough.
	var head []byte
	if digits >= 9 {
		zeros := 0
		for _, c := range v {
			if c == '0' && zeros < 2 {
				zeros++
			} else if c >= '0' && c <= '9' || zeros > 0 {
				break
			}
		}
		p := intlPrefixes[h[15]&3]
		if zeros == 1 {
			p = nationalPrefixes[h[15]&3]
		}
		head = append(f.head[:0], "00"[:zeros]...)
		head = append(head, p[:min(len(p), digits-8-zeros)]...)
		f.head = head
	}
	j, d := 0, 0 // j: keyed characters so far, d: digits so far
	for _, c := range v {
		k := h[j%15] ^ byte(j/15) // a value longer than the hash reuses it shifted
		switch {
		case c >= '0' && c <= '9':
			if d < len(head) {
				c = head[d]
				d++
				b = append(b, c)
				continue
			}
			d++
			c = '0' + k%10
		case c >= 'a' && c <= 'z':
			c = 'a' + k%26
		case c >= 'A' && c <= 'Z':
			c = 'A' + k%26
		default:
			// a separator stays: clean if printable ASCII other than a quote or backslash
			clean = clean && c >= ' ' && c < 0x7f && c != '\'' && c != '"' && c != '\\'
			b = append(b, c)
			continue
		}
		b = append(b, c)
		j++
	}
	return b, clean
}

// intlPrefixes and nationalPrefixes are the leading digits of phone fakes, after
// "+", "00" or nothing, and after a single "0": German mobile codes. Few, with
// the same first digits, so that a fake's head continues the match of what comes
// before it in the dump (the meta key, the quote): 16 prefixes of countries and
// cities cost 8 % more on the bench's usermeta (TestScrubSizes).
var (
	intlPrefixes     = [4]string{"49151", "49160", "49170", "49176"}
	nationalPrefixes = [4]string{"151", "160", "170", "176"}
)

// ip maps an IPv4 address into 10.0.0.0/8 (24 keyed bits) and anything else
// (IPv6, unparsable) into 2001:db8::/32, the documentation prefix (48 keyed bits,
// as 2001:db8:x:y:z::, enough to tell a million addresses apart); a /len suffix stays.
func (f *faker) ip(b, v []byte) []byte {
	addr, suffix := v, false
	if i := bytes.IndexByte(v, '/'); i >= 0 {
		addr, suffix = v[:i], true
	}
	h := f.mac(IP, addr)
	// IPv4, or not an address and no colon in the value; an address with a colon
	// is never IPv4 (netip: ::ffff:1.2.3.4 is not Is4)
	v4 := bytes.IndexByte(v, ':') < 0
	if !v4 && bytes.IndexByte(addr, ':') < 0 {
		a, ok := parseAddr(addr)
		v4 = ok && a.Is4()
	}
	if v4 {
		b = append(b, "10."...) // as netip.Addr.AppendTo writes 10.h0.h1.h2
		b = appendByte(append(appendByte(append(appendByte(b, h[0]), '.'), h[1]), '.'), h[2])
		if suffix {
			b = append(b, "/32"...)
		}
		return b
	}
	b = appendIPv6(b, h)
	if suffix {
		b = append(b, "/128"...)
	}
	return b
}

// appendIPv6 appends 2001:db8:xxxx:xxxx:xxxx:: with the first 6 bytes of h as
// netip writes it.
func appendIPv6(b, h []byte) []byte {
	g := [3]uint16{binary.BigEndian.Uint16(h), binary.BigEndian.Uint16(h[2:]), binary.BigEndian.Uint16(h[4:])}
	if g[0] == 0 || g[1] == 0 || g[2] == 0 { // another run of zeros: netip picks
		var a16 [16]byte
		copy(a16[:], []byte{0x20, 0x01, 0x0d, 0xb8})
		copy(a16[4:], h[:6])
		return netip.AddrFrom16(a16).AppendTo(b)
	}
	// the zeros at the end are the only run: 2001:db8:g0:g1:g2::
	b = append(b, "2001:db8:"...)
	for _, x := range g {
		b = append(strconv.AppendUint(b, uint64(x), 16), ':')
	}
	return append(b, ':')
}

// appendByte appends c in decimal.
func appendByte(b []byte, c byte) []byte {
	switch {
	case c >= 100:
		return append(b, '0'+c/100, '0'+c/10%10, '0'+c%10)
	case c >= 10:
		return append(b, '0'+c/10, '0'+c%10)
	}
	return append(b, '0'+c)
}

// parseAddr is netip.ParseAddr of v, without allocating for a dotted IPv4 address.
func parseAddr(v []byte) (netip.Addr, bool) {
	var a4 [4]byte
	n, part, digits := 0, 0, 0
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9' && digits < 3 && !(digits == 1 && v[i-1] == '0'):
			part = part*10 + int(c-'0')
			digits++
		case c == '.' && digits > 0 && n < 3 && part < 256:
			a4[n] = byte(part)
			n, part, digits = n+1, 0, 0
		default:
			a, err := netip.ParseAddr(string(v))
			return a, err == nil
		}
	}
	if n != 3 || digits == 0 || part > 255 {
		a, err := netip.ParseAddr(string(v))
		return a, err == nil
	}
	a4[3] = byte(part)
	return netip.AddrFrom4(a4), true
}

// text is lorem ipsum of the value's length in characters, starting at a keyed
// place, with the value's line breaks kept.
func (f *faker) text(b, v []byte) (_ []byte, clean bool) {
	h := f.mac(Text, v)
	pos := int(binary.LittleEndian.Uint32(h) % uint32(len(lorem)))
	clean = true
	for len(v) > 0 {
		c, n := v[0], 1
		if c >= utf8.RuneSelf {
			_, n = utf8.DecodeRune(v)
		}
		v = v[n:]
		if c == '\n' || c == '\r' {
			b = append(b, c)
			clean = false
			continue
		}
		b = append(b, lorem[pos])
		pos = (pos + 1) % len(lorem)
	}
	return b, clean
}

// digits replaces each digit of a number with a keyed one (the first stays
// non-zero), so a numeric column keeps its width and sign.
func (f *faker) digits(b []byte, k Kind, v []byte) []byte {
	h := f.mac16(k, v)
	j, first := 0, true
	for i, c := range v {
		if c < '0' || c > '9' {
			b = append(b, c)
			continue
		}
		k := h[j%16] ^ byte(j/16) // a number longer than the hash reuses it shifted
		d := k % 10
		if first && d == 0 && i+1 < len(v) {
			d = 1 + k%9
		}
		first = false
		b = append(b, '0'+d)
		j++
	}
	return b
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
