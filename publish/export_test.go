package publish

import (
	"time"

	"synco/chunkstore"
)

// SetTrainAhead sets how much the dictionary gate holds while it trains, until
// the test ends (restore).
func SetTrainAhead(n int64) (restore func()) {
	old := trainAhead
	trainAhead = n
	return func() { trainAhead = old }
}

// FirstPackForTest is the size at which the store closes the first pack of a run.
const FirstPackForTest = chunkstore.FirstPack

// SetBeforeTrain makes a training goroutine call f before it trains, until the
// test ends (restore).
func SetBeforeTrain(f func()) (restore func()) {
	old := beforeTrain
	beforeTrain = f
	return func() { beforeTrain = old }
}

// SetReportEvery sets how often a build reports its progress, until the test
// ends (restore).
func SetReportEvery(d time.Duration) (restore func()) {
	old := reportEvery
	reportEvery = d
	return func() { reportEvery = old }
}
