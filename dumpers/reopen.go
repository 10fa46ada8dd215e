package dumpers

import (
	"context"
	"errors"
	"io"
)

// ErrGone: a stream of an earlier snapshot can no longer be read (its chunks left
// the cache, or it was written with other keys). A delta install falls back to a
// full one.
var ErrGone = errors.New("dumpers: stream of an earlier snapshot no longer available")

// StreamRef identifies a stream's content. Equal Hash means equal content (within
// one source: the hash is keyed). Loc is opaque to the importer: what the Source
// needs to find the stream again later (for fetch: its chunk IDs).
type StreamRef struct {
	Hash [32]byte
	Loc  []byte
}

// Reopener is implemented by a Source whose streams can be read again in a later
// import (fetch's, from its cache): what a delta install needs to diff the
// snapshot it installed last against a new one.
type Reopener interface {
	// Ref returns the reference of the stream name of this dump.
	Ref(name string) (StreamRef, bool)
	// Reopen opens a stream of this or an earlier dump by its reference, checking
	// its content against ref.Hash as it is read (an error at the end otherwise).
	// ErrGone when it can no longer be read.
	Reopen(ctx context.Context, ref StreamRef) (io.ReadCloser, error)
}

// Sharer is implemented by a Reopener that can tell, without reading them, how
// much of a stream is made of pieces an earlier one also has (fetch: the
// chunks they share). A delta install takes a table whose new stream shares
// nothing with the installed one, and whose first rows share no key, for
// rewritten sooner.
type Sharer interface {
	// Shared returns how many bytes of cur's content are in pieces that old
	// also has, and cur's size; ok is false when a ref is not this source's.
	Shared(old, cur StreamRef) (shared, size int64, ok bool)
}

// SharesNothing tells whether re knows (Sharer) that the non-empty stream cur
// has no piece in common with old: a table filled anew, not edited.
func SharesNothing(re Reopener, old, cur StreamRef) bool {
	sh, ok := re.(Sharer)
	if !ok {
		return false
	}
	shared, size, ok := sh.Shared(old, cur)
	return ok && shared == 0 && size > 0
}

// Readable reports whether the stream of ref can be read again, whole: its
// chunks are in the cache and open with the current publication's keys.
func Readable(ctx context.Context, re Reopener, ref StreamRef) bool {
	r, err := re.Reopen(ctx, ref)
	if err != nil {
		return false
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err == nil
}

// NoSnapshot is the reason for a full import when the installed snapshot
// cannot be read again: the cache no longer holds it, or its chunks do not open
// with the new publication's keys (a store with new keys, or another store).
const NoSnapshot = "the cache no longer holds the installed snapshot, or the source published it with other keys (publish --rotate, or another way of publishing: pull after publish)"

// Installed says how an install went.
type Installed struct {
	// Mode is "full" (staged import and swap), "delta" (row changes applied in
	// place) or "unchanged" (nothing to do: no database work).
	Mode string
	// Reason says why a full import was done instead of a delta ("" for the
	// first install, or when the source cannot be reopened).
	Reason string
	// Tables changed by a delta, and the rows it deleted and inserted (an
	// updated row counts once in both).
	Tables            []string
	Deleted, Inserted int64
	// Replaced counts the Tables whose every row a delta replaced by loading
	// them anew (MariaDB/MySQL: a staged table moved in their place;
	// PostgreSQL: emptied by TRUNCATE): their old rows are not in Deleted.
	Replaced int
	// Notes says what the install changed from the dump to fit this server
	// (a collation it does not have, and the one used instead), one line each.
	Notes []string
	// Verified counts the tables whose rows were compared with the installed
	// ones, because the server had forgotten when they changed (MariaDB after
	// a restart: dumpers/mysql, verify.go).
	Verified int
	// Stamped counts the Verified tables a delta gave a change time again
	// (MariaDB: their first row deleted and inserted as it was, in its
	// transaction), so that the next install need not compare them.
	Stamped int
	// Local counts the tables changed locally since the last install that the
	// delta brought back to the new dump's rows by their difference (read
	// from the target, not from the installed snapshot).
	Local int
}
