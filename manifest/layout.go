package manifest

import (
	"encoding/json"
	"errors"
	"path"
	"slices"
	"strings"

	"synco/chunkstore"
)

// Publication layout (SPEC.md, "Publication layout"): the names a publication
// uses besides the streams its inputs name. The source (publish) writes them and
// the destination (fetch) reads them; both take them from here.

// Object names under a publication's base URL or --out directory.
const (
	// RootObject is the sealed root, re-read while the destination waits.
	RootObject = "root"
	// PackPrefix followed by a pack name (see ValidPackName) is a pack object.
	PackPrefix = "p/"
)

// PackObject is the object name of pack (PackPrefix + pack).
func PackObject(pack string) string { return PackPrefix + pack }

// ReservedDir is the top-level directory of a publication that holds synco's own
// streams; inputs may not use the name, and the destination never writes it to
// its target.
const ReservedDir = ".synco"

// DictStreamPrefix followed by a chunkstore.DictID in hex names the stream that
// ships a compression dictionary (sealed without one, like any chunk, so it dedupes
// and is verified by the signed manifest). The destination registers it before it
// opens any chunk.
const DictStreamPrefix = ReservedDir + "/zstd-dict-"

// IsReserved reports whether p is ReservedDir or a path under it.
func IsReserved(p string) bool { return p == ReservedDir || strings.HasPrefix(p, ReservedDir+"/") }

// DictStream is the path of the stream that ships dictionary id.
func DictStream(id chunkstore.DictID) string { return DictStreamPrefix + id.String() }

// DictStreamID returns the hex dictionary ID named by the stream path p, if p is
// a dictionary stream's path.
func DictStreamID(p string) (hexID string, ok bool) { return strings.CutPrefix(p, DictStreamPrefix) }

// DumpMarker is the name of the marker stream inside a dump's prefix: a stream
// of KindDump at <prefix>/dump.json whose content is the JSON of a
// DumpMarkerInfo and a newline.
const DumpMarker = "dump.json"

// DumpFormat is the Format of the dump markers this version writes and reads.
const DumpFormat = 1

// DumpMarkerInfo is the content of a dump marker.
type DumpMarkerInfo struct {
	Engine string `json:"engine"` // the dumper that wrote the dump: "mysql", "postgres"
	Format int    `json:"format"` // DumpFormat
	// Scrub is "on" when personal data was scrubbed while dumping, "off" when the
	// publisher turned it off or had no rules, "" from a publisher that does not
	// know scrubbing. Scrubbed lists the scrubbed columns (TABLE.COLUMN…=RULE).
	Scrub    string   `json:"scrub,omitempty"`
	Scrubbed []string `json:"scrubbed,omitempty"`
	// Lacks says what of the source database the dump leaves out, so the copy
	// lacks it (row-level security, table inheritance…): a sentence each. A
	// reader keeps at most MaxLacks of them, each cut to MaxLackLen bytes.
	Lacks []string `json:"lacks,omitempty"`
}

// Bounds of DumpMarkerInfo.Lacks as ParseDumpMarker returns it: it is text
// from the source, for a terminal.
const (
	MaxLacks   = 20
	MaxLackLen = 300
)

// ErrDumpFormat is returned by ParseDumpMarker for a marker this version cannot
// read (another format, most likely a newer synco-lite).
var ErrDumpFormat = errors.New("manifest: unknown dump format")

// DumpMarkerJSON is the content of a dump marker (Format is set to DumpFormat).
func DumpMarkerJSON(m DumpMarkerInfo) []byte {
	m.Format = DumpFormat
	b, _ := json.Marshal(m)
	return append(b, '\n')
}

// ParseDumpMarker reads the content of a dump marker, or returns ErrDumpFormat. A
// Scrub other than "on" or "off" reads as "" (unknown).
func ParseDumpMarker(b []byte) (DumpMarkerInfo, error) {
	var m DumpMarkerInfo
	if err := json.Unmarshal(b, &m); err != nil || m.Format != DumpFormat || m.Engine == "" {
		return DumpMarkerInfo{}, ErrDumpFormat
	}
	if m.Scrub != "on" && m.Scrub != "off" {
		m.Scrub, m.Scrubbed = "", nil
	}
	if len(m.Lacks) > MaxLacks {
		m.Lacks = m.Lacks[:MaxLacks]
	}
	for i, l := range m.Lacks {
		if len(l) > MaxLackLen {
			m.Lacks[i] = strings.ToValidUTF8(l[:MaxLackLen], "") + "…"
		}
	}
	return m, nil
}

// IsDumpMarker reports whether s is the marker of a dump, and returns the dump's
// prefix. Only streams of KindDump count: a dump.json among files is a file.
func IsDumpMarker(s Stream) (prefix string, ok bool) {
	if s.Kind != KindDump || path.Base(s.Path) != DumpMarker || path.Dir(s.Path) == "." {
		return "", false
	}
	return path.Dir(s.Path), true
}

// Names of a dump's streams below its prefix (package dumpers writes them; the
// constants there are the same).
const (
	DumpSchemaStream = "schema.sql"
	DumpPostStream   = "post.sql"
)

// SortDumpStreams sorts the streams of the dump at prefix (its marker left out)
// into the order their contents concatenate to one plain .sql file: schema.sql,
// the data streams in byte order of their paths, post.sql.
func SortDumpStreams(prefix string, parts []Stream) {
	rank := func(s Stream) int {
		switch strings.TrimPrefix(s.Path, prefix+"/") {
		case DumpSchemaStream:
			return 0
		case DumpPostStream:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(parts, func(a, b Stream) int {
		ra, rb := rank(a), rank(b)
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Path, b.Path)
	})
}
