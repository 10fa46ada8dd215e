package mysql

// GeneralDiffs is the number of table differences computed by the general
// readers (rowReader) instead of the canonical ones (canonRows) so far.
func GeneralDiffs() int64 { return generalDiffs.Load() }

// SetDeltaPart sets the size of the parts a delta applies at once, for a test.
func SetDeltaPart(n int) (restore func()) {
	old := deltaPart
	deltaPart = n
	return func() { deltaPart = old }
}

// SetRefsHook makes writeRefs call fn first, for a test.
func SetRefsHook(fn func() error) (restore func()) {
	testHookRefs = fn
	return func() { testHookRefs = nil }
}

// SetRewriteAt sets when a table without common keys is rewritten, for a test.
func SetRewriteAt(n int) (restore func()) {
	old := rewriteAt
	rewriteAt = n
	return func() { rewriteAt = old }
}

// Rewrites is the number of tables a delta rewrote so far.
func Rewrites() int64 { return rewrites.Load() }
