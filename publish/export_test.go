package publish

// SetTrainAhead sets how much the dictionary gate holds while it trains, until
// the test ends (restore).
func SetTrainAhead(n int64) (restore func()) {
	old := trainAhead
	trainAhead = n
	return func() { trainAhead = old }
}
