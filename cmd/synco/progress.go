package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"synco/cmd/internal/cli"
	"synco/fetch"
)

// fetchView shows a fetch's progress (cli.Progress) and remembers how long its
// download took, for the summary.
type fetchView struct {
	v   *cli.Progress
	now func() time.Time

	mu             sync.Mutex
	dlStart, dlEnd time.Time // first and last download report
}

func newFetchView(v *cli.Progress) *fetchView { return &fetchView{v: v, now: time.Now} }

// report is fetch.Options.Progress.
func (f *fetchView) report(p fetch.Progress) {
	switch p.Phase {
	case "retrying":
		f.v.Note(retryNote(p))
		return
	case "download":
		f.mu.Lock()
		if now := f.now(); f.dlStart.IsZero() {
			f.dlStart = now
		} else {
			f.dlEnd = now
		}
		f.mu.Unlock()
	}
	phase, done := phaseLabel(p), p.Done
	if p.Phase == "write" {
		done = -1
	}
	f.v.Set(phase, done, p.Total)
	if p.Phase == "waiting" && p.Ahead > 0 {
		f.v.Detail(cli.FormatSize(p.Ahead) + " of its finished packs downloaded meanwhile")
	}
}

// downloadTime is how long the download phase took (0: no download reported).
func (f *fetchView) downloadTime() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dlEnd.IsZero() {
		return 0
	}
	return f.dlEnd.Sub(f.dlStart)
}

// phaseLabel names the phase of p for the view.
func phaseLabel(p fetch.Progress) string {
	switch p.Phase {
	case "waiting":
		if p.SourcePhase == "" {
			return "waiting for the source"
		}
		return "waiting for the source: " + cli.Clean(p.SourcePhase)
	case "import":
		return "import into the database"
	case "write":
		return "write the files into place"
	}
	return p.Phase // manifest, download
}

// retryNote says why nothing moves: "source unreachable, retrying (attempt 2)…".
func retryNote(p fetch.Progress) string {
	what := "connection to the source lost"
	switch p.Reason {
	case "unreachable":
		what = "source unreachable"
	case "stalled":
		what = "source stalled"
	case "error":
		what = "source answered with an error"
	}
	return fmt.Sprintf("%s, retrying (attempt %d)…", what, p.Attempt+1)
}

// fetchSummary is what a finished fetch says on stderr.
type fetchSummary struct {
	prog     string
	stats    *fetch.Stats
	to       string        // --to or the project's directory ("": none)
	db       string        // the database installed into, without password ("": none)
	download time.Duration // the download's own time (0: unknown)
	asked    time.Duration // spent at the question whether to go on (0: none)
	// A partial database sync (--tables, --exclude-tables): selected are the
	// tables that took the published rows, of published with rows in the dump.
	partial   bool
	selected  []string
	published int
	// sqlFiles are the dumps written as NAME.sql into to (no database
	// installed); dbOnly: only the database was synced (--only db).
	sqlFiles []fetch.Dump
	dbOnly   bool
}

// loadCommand is how a dump written as a .sql file loads into a database.
func loadCommand(engine, path string) string {
	if engine == "postgres" {
		return "psql -v ON_ERROR_STOP=1 -d DBNAME -f " + path
	}
	return "mysql DBNAME < " + path
}

// lines are the summary lines: what was written, which database was installed,
// and the time, bytes and speed of the whole.
func (s fetchSummary) lines() []string {
	st := s.stats
	var out []string
	if s.to != "" && !(s.dbOnly && st.FilesWritten == 0 && st.FilesUnchanged == 0 && st.FilesDeleted == 0) {
		l := fmt.Sprintf("%s: wrote %s (%s) into %s", s.prog, plural(st.FilesWritten, "file"), cli.FormatSize(st.BytesWritten), s.to)
		if st.FilesUnchanged > 0 {
			l += fmt.Sprintf("; %d %s already up to date", st.FilesUnchanged, cli.Verb(st.FilesUnchanged, "was", "were"))
		}
		if st.FilesDeleted > 0 {
			l += fmt.Sprintf("; deleted %d the source does not have", st.FilesDeleted)
		}
		out = append(out, l)
		for _, d := range s.sqlFiles {
			// where the database went, and how it loads
			f := filepath.Join(s.to, cli.Clean(d.Prefix)+".sql")
			out = append(out, fmt.Sprintf("%s: database %s written as %s (load it with: %s)", s.prog, cli.Clean(d.Prefix), f, loadCommand(d.Engine, f)))
		}
	}
	if s.db != "" {
		// True of a full import, a delta and a database found unchanged alike
		// (the import's notes, printed before, say which it was).
		name := "the database"
		if s.db != "-" {
			name += " " + s.db
		}
		var from []string
		for _, d := range st.Dumps {
			f := cli.Clean(d.Engine)
			if len(st.Dumps) > 1 {
				f = cli.Clean(d.Prefix) + ": " + f
			}
			if d.Tables > 0 && !s.partial {
				f += ", rows of " + plural(d.Tables, "table")
			}
			from = append(from, f)
		}
		var l string
		switch {
		case s.partial:
			if len(from) > 0 {
				name += " (" + strings.Join(from, "; ") + ")"
			}
			l = fmt.Sprintf("%s: %s holds the published rows of %d of %s (%s); the other tables kept their local rows",
				s.prog, name, len(s.selected), plural(s.published, "table"), someTables(s.selected, 10))
		case len(from) > 0:
			l = fmt.Sprintf("%s: %s holds the published data (%s)", s.prog, name, strings.Join(from, "; "))
		default:
			l = fmt.Sprintf("%s: %s holds the published data", s.prog, name)
		}
		out = append(out, l)
	}
	elapsed := time.Duration(st.DurationMS) * time.Millisecond
	asked := s.asked > 0 && s.asked < elapsed
	if asked {
		elapsed -= s.asked
	}
	l := fmt.Sprintf("%s: done in %s", s.prog, cli.FormatLeft(elapsed))
	if asked {
		l += fmt.Sprintf(" (and %s waiting for your answer)", cli.FormatLeft(s.asked))
	}
	l += ": downloaded " + cli.FormatSize(st.BytesDownloaded)
	if st.ChunksTotal > 0 && st.ChunksFromCache == st.ChunksTotal && st.BytesDownloaded > 0 && st.AheadBytes == 0 {
		l += " (only the publication's root and manifest)" // the plan said "nothing"
	}
	switch {
	case asked:
		// The user's time is not the fetch's, and downloading ahead may have
		// gone on meanwhile: a rate only over the download's own time.
		if r, ok := speed(st.BytesDownloaded, s.download, 0); ok {
			l += " at " + r
		}
	case st.AheadBytes > 0:
		// Downloading ahead began before the download phase and may go on in
		// it: the rate is over the whole fetch.
		if r, ok := speed(st.BytesDownloaded, 0, elapsed); ok {
			l += " at " + r
		}
	default:
		if r, ok := speed(st.BytesDownloaded, s.download, elapsed); ok {
			l += " at " + r
		}
	}
	if st.AheadBytes > 0 {
		l += fmt.Sprintf(" (%s of it ahead, in packs the source finished before it was ready)", cli.FormatSize(st.AheadBytes))
	}
	l += fmt.Sprintf("; %d of %d chunks were already cached", st.ChunksFromCache, st.ChunksTotal)
	if st.ChunksLocal > 0 {
		l += fmt.Sprintf(" (%d of them found in the local files)", st.ChunksLocal)
	}
	if st.ChunksSpliced > 0 {
		if st.ChunksSpliced == 1 {
			l += ", 1 changed one came as an edit of a cached one"
		} else {
			l += fmt.Sprintf(", %d changed ones came as edits of cached ones", st.ChunksSpliced)
		}
	}
	return append(out, l)
}

// minRateBytes is the least download that the summary gives a rate for: below
// it (a fetch that found almost everything in the cache), the time is mostly
// the manifest's round trips, the plan and the install, and a rate over it
// would be noise ("downloaded 4.5 kB at 513 B/s").
const minRateBytes = 1_000_000

// speed is the average rate of n bytes over the download's time (or, if that
// is unknown or too short to tell, the whole time), if that spans a second and
// n is at least minRateBytes.
func speed(n int64, download, elapsed time.Duration) (string, bool) {
	d := download
	if d < time.Second {
		d = elapsed
	}
	if d < time.Second || n < minRateBytes {
		return "", false
	}
	return cli.FormatSize(int64(float64(n)/d.Seconds())) + "/s", true
}

// dbName is a database DSN without its password, for the summary; "-" if it
// does not read as a URL.
func dbName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "-"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return cli.Clean(u.String())
}
