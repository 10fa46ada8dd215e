package mysql

// EndsStatement reports whether a statement that holds StmtMin bytes ends after
// a row whose key values, as dumped, are key.
func EndsStatement(key ...[]byte) bool {
	idx := make([]int, len(key))
	for i := range idx {
		idx[i] = i
	}
	return endsStatement(key, idx)
}

// StmtMin is stmtMin.
const StmtMin = stmtMin
