package mysql

// GeneralDiffs is the number of table differences computed by the general
// readers (rowReader) instead of the canonical ones (canonRows) so far.
func GeneralDiffs() int64 { return generalDiffs.Load() }
