package publish

import "synco/chunkstore"

// SetTrainAhead sets how much the dictionary gate holds while it trains, until
// the test ends (restore).
func SetTrainAhead(n int64) (restore func()) {
	old := trainAhead
	trainAhead = n
	return func() { trainAhead = old }
}

// PackTargetForTest is the size at which the store closes a pack.
const PackTargetForTest = chunkstore.PackTarget

// SetBeforeTrain makes a training goroutine call f before it trains, until the
// test ends (restore).
func SetBeforeTrain(f func()) (restore func()) {
	old := beforeTrain
	beforeTrain = f
	return func() { beforeTrain = old }
}
