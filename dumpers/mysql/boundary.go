package mysql

// Statement boundaries of a data stream (see stmtMin). Up to December 2026 a
// statement ended after the row whose whole text had an FNV-1a hash with its
// low 6 bits zero: 9 % of a warm publish's CPU went into hashing rows, and an
// update of a row could add or remove a boundary. Now the row's key decides:
// the values of the columns of the key the rows are ordered by (the primary
// key, or the unique key readOrder picked; every column for a table without
// one), as dumped (scrubbed), at most keyPrefix bytes of each.
//
// Changing this rule changes the layout of every dump once: the first publish
// after an upgrade re-sends about one chunk per statement.

// keyPrefix is how many bytes of each key value endsStatement reads: a key
// longer than that (a long string, or a row of a table without a key) is told
// apart by its start and its length.
const keyPrefix = 64

// keyColumns returns the indexes in cols (the dumped columns) of t's key
// columns, or of every column if t has no key or a key column is not dumped
// (generated).
func keyColumns(t *table, cols []column) []int {
	var key []int
	for _, name := range t.key {
		i := len(cols) - 1
		for i >= 0 && cols[i].name != name {
			i--
		}
		if i < 0 {
			key = nil
			break
		}
		key = append(key, i)
	}
	if len(key) == 0 {
		key = make([]int, len(cols))
		for i := range key {
			key[i] = i
		}
	}
	return key
}

// endsStatement reports whether a statement that holds stmtMin bytes ends
// after the row of vals (the dumped values, nil for NULL): FNV-1a (32 bits)
// of each key value's length (4 bytes, little-endian; NULL: 0xffffffff) and
// first keyPrefix bytes, finished with MurmurHash3's fmix32 (FNV-1a's low
// bits depend only on the low bits of its input), is 0 in its low 6 bits —
// one row in 64.
func endsStatement(vals [][]byte, key []int) bool {
	const prime = 16777619
	h := uint32(2166136261)
	for _, i := range key {
		v := vals[i]
		n := uint32(len(v))
		if v == nil {
			n = 0xffffffff
		}
		for s := 0; s < 32; s += 8 {
			h = (h ^ (n >> s & 0xff)) * prime
		}
		for _, c := range v[:min(len(v), keyPrefix)] {
			h = (h ^ uint32(c)) * prime
		}
	}
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h&63 == 0
}
