package fetch

// SetTestHook sets the function called before each operation on the target
// (op is "open", "chtimes", "stagedir", "mkdir", "rename", "dirmode" or
// "delete"; rel is the published path) and returns a function that unsets it.
func SetTestHook(h func(op, rel string)) (unset func()) {
	testHook = h
	return func() { testHook = nil }
}
