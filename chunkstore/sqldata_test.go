package chunkstore_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// sqlDump returns about n bytes of mysqldump-like SQL: extended INSERTs of
// ~16 KiB with ids, timestamps, numbers and Zipf-distributed words, all from a
// PRNG seeded with seed.
func sqlDump(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0xd0b))
	vocab := make([]string, 4000)
	const letters = "etaoinshrdlucmfwypvbgkqjxz"
	for i := range vocab {
		w := make([]byte, 2+r.IntN(9))
		for j := range w {
			w[j] = letters[min(r.IntN(len(letters)), r.IntN(len(letters)))]
		}
		vocab[i] = string(w)
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	words := func(b *bytes.Buffer, k int) {
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[zipf.Uint64()])
		}
	}

	var b bytes.Buffer
	b.Grow(n + 20<<10)
	b.WriteString("-- synco test dump\nDROP TABLE IF EXISTS `posts`;\nCREATE TABLE `posts` (\n  `id` int NOT NULL,\n  `title` varchar(255),\n  `body` text,\n  `created` datetime,\n  `views` int,\n  PRIMARY KEY (`id`)\n);\n")
	id := 0
	for b.Len() < n {
		b.WriteString("INSERT INTO `posts` VALUES ")
		for start := b.Len(); b.Len()-start < 16<<10; {
			id++
			if b.Len() > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'", id)
			words(&b, 3+r.IntN(6))
			b.WriteString("','<p>")
			words(&b, 10+r.IntN(120))
			fmt.Fprintf(&b, "</p>','2024-%02d-%02d %02d:%02d:%02d',%d)",
				1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(100000))
		}
		b.WriteString(";\n")
	}
	return b.Bytes()[:n]
}

// randBytes returns n bytes from a PRNG seeded with seed.
func randBytes(seed uint64, n int) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 0x42})
	b := make([]byte, n)
	_, _ = r.Read(b)
	return b
}
