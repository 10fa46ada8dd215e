package main

import (
	"math/rand/v2"
)

// vocab is a deterministic vocabulary of word-ish tokens built from
// syllables, drawn with a Zipf distribution so generated text compresses
// roughly like real prose (zstd -3 ≈ 3×).
type vocab struct {
	words [][]byte
}

var syllables = []string{
	"ka", "lo", "mi", "ne", "ra", "su", "te", "vo", "da", "ri", "po", "an", "el", "in", "or",
	"ul", "ber", "con", "dis", "for", "gen", "har", "ment", "tion", "able", "ing", "ed", "er",
	"st", "pro", "re", "de", "com", "ex", "sta", "ver", "lin", "mar", "col", "ter", "sen", "ly",
}

func newVocab(seed uint64, n int) *vocab {
	r := rand.New(rand.NewPCG(seed, 0x766f636162))
	v := &vocab{words: make([][]byte, 0, n)}
	seen := make(map[string]bool, n)
	for len(v.words) < n {
		k := 1 + r.IntN(3)
		if r.IntN(8) == 0 {
			k++
		}
		w := ""
		for range k {
			w += syllables[r.IntN(len(syllables))]
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		v.words = append(v.words, []byte(w))
	}
	return v
}

// text is a word source bound to one RNG.
type text struct {
	v *vocab
	r *rand.Rand
	z *rand.Zipf
}

func (v *vocab) text(r *rand.Rand) *text {
	return &text{v: v, r: r, z: rand.NewZipf(r, 1.15, 4, uint64(len(v.words)-1))}
}

func (t *text) word() []byte { return t.v.words[t.z.Uint64()] }

// sentence appends a sentence of n words (capitalised, with an occasional
// comma, ending in a period) to b.
func (t *text) sentence(b []byte, n int) []byte {
	for i := range n {
		w := t.word()
		if i == 0 {
			b = append(b, w[0]-'a'+'A')
			b = append(b, w[1:]...)
		} else {
			b = append(b, ' ')
			b = append(b, w...)
		}
		if i > 0 && i < n-1 && t.r.IntN(12) == 0 {
			b = append(b, ',')
		}
	}
	return append(b, '.')
}

// paragraphs appends roughly size bytes of prose, paragraphs separated by
// "\n\n" (escaped later by the SQL writer).
func (t *text) paragraphs(b []byte, size int) []byte {
	start := len(b)
	for len(b)-start < size {
		if len(b) > start {
			b = append(b, "\n\n"...)
		}
		for range 2 + t.r.IntN(5) {
			if len(b) > start && b[len(b)-1] == '.' {
				b = append(b, ' ')
			}
			b = t.sentence(b, 5+t.r.IntN(14))
		}
	}
	return b
}

// title appends a few capitalised words.
func (t *text) title(b []byte, n int) []byte {
	for i := range n {
		if i > 0 {
			b = append(b, ' ')
		}
		w := t.word()
		b = append(b, w[0]-'a'+'A')
		b = append(b, w[1:]...)
	}
	return b
}
