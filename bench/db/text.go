package main

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// vocab is a deterministic vocabulary of word-like tokens drawn with a Zipf
// distribution, so generated prose compresses roughly like real text.
type vocab struct{ words []string }

var syllables = []string{
	"ka", "lo", "mi", "ne", "ra", "su", "te", "vo", "da", "ri", "po", "an", "el", "in", "or",
	"ul", "ber", "con", "dis", "for", "gen", "har", "ment", "tion", "able", "ing", "ed", "er",
	"st", "pro", "re", "de", "com", "ex", "sta", "ver", "lin", "mar", "col", "ter", "sen", "ly",
}

// extra adds a few multi-byte UTF-8 words (incl. 4-byte ones) to the vocabulary.
var extra = []string{"Grüße", "Straße", "café", "naïve", "Ærø", "日本語", "東京", "😀", "𝄞music", "Ünïcödé"}

func newVocab(seed uint64) *vocab {
	r := rand.New(rand.NewPCG(seed, 0x766f636162))
	v := &vocab{}
	seen := map[string]bool{}
	for len(v.words) < 6000 {
		k := 1 + r.IntN(3)
		if r.IntN(8) == 0 {
			k++
		}
		w := ""
		for range k {
			w += syllables[r.IntN(len(syllables))]
		}
		if !seen[w] {
			seen[w] = true
			v.words = append(v.words, w)
		}
	}
	// Rare words: put the UTF-8 ones far down the Zipf ranking.
	for i, w := range extra {
		v.words[1000+i*300] = w
	}
	return v
}

// gen is the random source of one table: an RNG, a Zipf word picker and helpers
// for the kinds of values a CMS stores.
type gen struct {
	r *rand.Rand
	v *vocab
	z *rand.Zipf
}

func newGen(v *vocab, seed uint64, table string) *gen {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(table); i++ {
		h = (h ^ uint64(table[i])) * 1099511628211
	}
	r := rand.New(rand.NewPCG(seed, h))
	return &gen{r: r, v: v, z: rand.NewZipf(r, 1.15, 4, uint64(len(v.words)-1))}
}

func (g *gen) word() string { return g.v.words[g.z.Uint64()] }

// sentence appends n words, capitalised, with an occasional comma and a period.
func (g *gen) sentence(b []byte, n int) []byte {
	for i := range n {
		w := g.word()
		if i == 0 {
			if w[0] >= 'a' && w[0] <= 'z' {
				b = append(b, w[0]-'a'+'A')
				w = w[1:]
			}
		} else {
			b = append(b, ' ')
		}
		b = append(b, w...)
		if i > 0 && i < n-1 && g.r.IntN(12) == 0 {
			b = append(b, ',')
		}
	}
	return append(b, '.')
}

// prose appends about size bytes of paragraphs separated by blank lines; now
// and then a quote, backslash or tab, so escaping is exercised.
func (g *gen) prose(b []byte, size int) []byte {
	start := len(b)
	for len(b)-start < size {
		if len(b) > start {
			b = append(b, "\n\n"...)
		}
		for range 2 + g.r.IntN(5) {
			if len(b) > start && b[len(b)-1] != '\n' {
				b = append(b, ' ')
			}
			b = g.sentence(b, 5+g.r.IntN(14))
		}
		switch g.r.IntN(40) {
		case 0:
			b = append(b, ` It's "quoted".`...)
		case 1:
			b = append(b, ` C:\path\to\file`...)
		case 2:
			b = append(b, "\tTabbed\r\n"...)
		}
	}
	return b
}

func (g *gen) title(n int) string {
	b := make([]byte, 0, 64)
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		w := g.word()
		if w[0] >= 'a' && w[0] <= 'z' {
			b = append(b, w[0]-'a'+'A')
			w = w[1:]
		}
		b = append(b, w...)
	}
	return string(b)
}

// logNormal returns a size around median, clamped to [lo, hi].
func (g *gen) logNormal(median, sigma float64, lo, hi int) int {
	v := int(median * math.Exp(sigma*g.r.NormFloat64()))
	return max(lo, min(hi, v))
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		x := g.r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(x >> (8 * j))
		}
	}
	return b
}

func (g *gen) hex(n int) string { return hex.EncodeToString(g.bytes(n)) }

func (g *gen) uuid() string {
	h := g.hex(16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

var (
	epoch = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	until = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
)

// at spreads i of n over [epoch, until) with jitter, in microseconds.
func (g *gen) at(i, n int) time.Time {
	span := until.Sub(epoch)
	t := epoch.Add(time.Duration(float64(span) * float64(i) / float64(n+1)))
	return t.Add(time.Duration(g.r.Int64N(int64(6 * time.Hour)))).Truncate(time.Microsecond)
}

// money returns an amount with the given decimals as exact decimal text.
func money(cents int64, decimals int) dec {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	p := int64(math.Pow10(decimals))
	s := fmt.Sprintf("%d.%0*d", cents/p, decimals, cents%p)
	if neg {
		s = "-" + s
	}
	return dec(s)
}
