package publish

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/zeebo/blake3"

	"synco/chunkstore"
	"synco/internal/atomicfile"
	"synco/manifest"
)

// ErrLocked means another publish holds the state directory.
var ErrLocked = errors.New("publish: state directory is in use by another publish")

// State is the source's persistent store between runs: a master secret from which
// every key derives, the pack store of sealed chunks, and the stat cache that lets a
// second publish skip files whose size, mtime, inode and ctime are unchanged.
//
// Layout of the directory (mode 0700):
//
//	master       32 random bytes (0600); the read key, signing key and chunker
//	             polynomial are derived from it, so tokens stay valid for the store
//	packs/       chunkstore.PackStore
//	files.cache  stat cache (statcache.go), and the chunk list of each dump stream of the
//	             last publish (key "dump:"+path), which the next splits it by
//	db-chunks    the last publish's database chunks (ID, first and last 8 bytes):
//	             the bases of the next publish's splices (a cache: losing it only
//	             costs one publish its splices)
//	zstd-dict-<id>  the store's zstd dictionary for ClassDB chunks (chunkstore.DictID
//	             in hex), trained once by the first publish with enough database data
//	             and kept forever: chunks sealed with it need it to be read
//	selection    what the database content was published with (Select)
//	lock         held with flock while a publish runs
type State struct {
	dir      string
	readKey  [32]byte
	scrubKey [32]byte
	sign     ed25519.PrivateKey
	keys     *chunkstore.Keys
	splitter *chunkstore.Splitter
	packs    *chunkstore.PackStore
	lock     *os.File
	cache    map[string]statEntry
	bases    *baseIndex // db-chunks: splice bases, open while a publish builds (useBases)

	dict      chunkstore.DictID // ClassDB chunks are sealed with it; zero: none yet
	dictBytes []byte
}

// dictFilePrefix + DictID in hex is the dictionary's file in the state directory.
const dictFilePrefix = "zstd-dict-"

// statEntry remembers how a source file was chunked.
type statEntry struct {
	Class       chunkstore.Class
	Size        int64
	MTime       int64
	CTime       int64
	Ino, Dev    uint64
	Hash        chunkstore.ID
	Refs        []manifest.Ref
	Path        string // where it was published: its chunks are the splice bases of its next version
	Publication int    // not used for matching; helps debugging
}

// OpenState opens or creates the state directory dir and locks it.
func OpenState(dir string) (*State, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, ErrLocked
	}
	s := &State{dir: dir, lock: lock}
	if err := s.init(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

func (s *State) init() error {
	master, err := loadOrCreateSecret(filepath.Join(s.dir, "master"))
	if err != nil {
		return err
	}
	blake3.DeriveKey("synco 2026-11 read key", master[:], s.readKey[:])
	blake3.DeriveKey("synco 2026-11 scrub key", master[:], s.scrubKey[:])
	var seed [ed25519.SeedSize]byte
	blake3.DeriveKey("synco 2026-11 signing key", master[:], seed[:])
	s.sign = ed25519.NewKeyFromSeed(seed[:])
	s.keys = chunkstore.NewKeys(s.readKey)
	pol, err := chunkstore.DerivePolynomial(master)
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	s.splitter = chunkstore.NewSplitter(pol)
	if s.packs, err = chunkstore.OpenPackStore(filepath.Join(s.dir, "packs")); err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	s.cache = s.loadCache()
	return s.loadDict()
}

// loadDict registers the store's dictionary, if it has one. A damaged one is an
// error: chunks already sealed with it could not be read without it.
func (s *State) loadDict() error {
	names, err := filepath.Glob(filepath.Join(s.dir, dictFilePrefix+"*"))
	if err != nil || len(names) == 0 {
		return nil
	}
	if len(names) > 1 {
		return fmt.Errorf("open state: %d dictionaries in %s, want one", len(names), s.dir)
	}
	b, err := os.ReadFile(names[0])
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	id, err := s.keys.AddDict(b)
	if err != nil || dictFilePrefix+id.String() != filepath.Base(names[0]) {
		return fmt.Errorf("open state: dictionary %s is damaged", names[0])
	}
	s.dict, s.dictBytes = id, b
	return nil
}

// saveDict makes b the store's dictionary: written durably before any chunk is
// sealed with it.
func (s *State) saveDict(b []byte) error {
	id, err := s.keys.AddDict(b)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(s.dir, dictFilePrefix+id.String()), b, 0o600); err != nil {
		return fmt.Errorf("save dictionary: %w", err)
	}
	s.dict, s.dictBytes = id, b
	return nil
}

func loadOrCreateSecret(path string) ([32]byte, error) {
	var k [32]byte
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == len(k):
		copy(k[:], b)
		return k, nil
	case err == nil:
		return k, fmt.Errorf("open state: %s is damaged (want %d bytes, have %d)", path, len(k), len(b))
	case !errors.Is(err, fs.ErrNotExist):
		return k, fmt.Errorf("open state: %w", err)
	}
	rand.Read(k[:])
	if err := atomicfile.Write(path, k[:], 0o600); err != nil {
		return k, fmt.Errorf("open state: %w", err)
	}
	return k, nil
}

// Token returns the store's keys for url, bound to no publication: a destination
// accepts only a token with the PubID of the root it reads (Publication.Token).
func (s *State) Token(url string) manifest.Token {
	return manifest.Token{URL: url, ReadKey: s.readKey, SignPub: s.sign.Public().(ed25519.PublicKey)}
}

// Rotate gives the store new keys: a new master secret, so a new read key, signing
// key and chunker polynomial. Every token printed before cannot read anything
// published after, and the sealed chunks, the stat cache, the splice bases and the
// dictionary of the old keys are dropped: the next publish reads and seals
// everything anew, and the next fetch downloads everything once. The caller holds
// the state (it is locked); on error the state must not be used.
func (s *State) Rotate() error {
	s.bases.close()
	if err := s.packs.Close(); err != nil {
		return fmt.Errorf("rotate keys: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(s.dir, dictFilePrefix+"*"))
	old = append(old, filepath.Join(s.dir, "packs"), filepath.Join(s.dir, "files.cache"), filepath.Join(s.dir, basesFile), filepath.Join(s.dir, selectionFile), filepath.Join(s.dir, "master"))
	for _, p := range old {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("rotate keys: %w", err)
		}
	}
	*s = State{dir: s.dir, lock: s.lock}
	if err := s.init(); err != nil {
		return fmt.Errorf("rotate keys: %w", err)
	}
	return nil
}

// selectionFile holds the selection (Select) the store's content was published with.
const selectionFile = "selection"

// Select records what the caller publishes from its database — a canonical text
// of the tables left out, structure-only and filtered (and anything else that
// decides which bytes may leave the server) — and rotates the keys (Rotate) when it
// differs from what the store's content was published with. Publications expose
// only the chunks their manifest references, but the store's compression
// dictionary is trained on earlier content and travels with every publication:
// after a table was excluded, its rows could be read from the dictionary. So a
// store that has a dictionary is rotated when the selection changed, or when it
// was never recorded (a store of an earlier release). It reports whether it
// rotated.
func (s *State) Select(selection string) (rotated bool, err error) {
	path := filepath.Join(s.dir, selectionFile)
	old, rerr := os.ReadFile(path)
	switch {
	case rerr == nil && string(old) == selection:
		return false, nil
	case rerr != nil && !errors.Is(rerr, fs.ErrNotExist):
		return false, fmt.Errorf("read selection: %w", rerr)
	}
	if s.dict != (chunkstore.DictID{}) {
		if err := s.Rotate(); err != nil {
			return false, err
		}
		rotated = true
	}
	if err := atomicfile.Write(path, []byte(selection), 0o600); err != nil {
		return rotated, fmt.Errorf("save selection: %w", err)
	}
	return rotated, nil
}

// maskID stands in for the ID of a chunk a publication does not reference, in its
// manifest's pack list: the keyed ID would let anyone with the token confirm a
// guess of left-out content (a deleted file they know). The stand-in is keyed
// with the signing key, which no token carries, and is stable between publishes
// so the manifest's chunks stay the same from day to day.
func (s *State) maskID(id chunkstore.ID) chunkstore.ID {
	h, _ := blake3.NewKeyed(s.sign.Seed())
	h.WriteString("synco orphan slot\x00")
	h.Write(id[:])
	var m chunkstore.ID
	h.Sum(m[:0])
	return m
}

// Packs returns the store's pack store (for serving and copying packs).
// ScrubKey is the key of the store's scrubbing fakes (package dumpers/scrub): derived
// from the master secret like the other keys, but no token carries it, so a fake
// cannot be traced back to its value by anyone who reads a publication. It stays
// the same until Rotate, so the same value gets the same fake every day.
func (s *State) ScrubKey() [32]byte { return s.scrubKey }

func (s *State) Packs() *chunkstore.PackStore { return s.packs }

// Close releases the pack store and the lock.
func (s *State) Close() error {
	s.bases.close()
	err := s.packs.Close()
	s.lock.Close()
	return err
}

func (s *State) loadCache() map[string]statEntry {
	f, err := os.Open(filepath.Join(s.dir, "files.cache"))
	if err != nil {
		return map[string]statEntry{}
	}
	defer f.Close()
	m, err := readStatCache(f)
	if err != nil {
		return map[string]statEntry{} // a damaged cache only costs a re-read
	}
	return m
}

func (s *State) saveCache(m map[string]statEntry) error {
	err := atomicfile.From(filepath.Join(s.dir, "files.cache"), 0o600, func(w io.Writer) error {
		return writeStatCache(w, m)
	})
	if err == nil {
		s.cache = m
	}
	return err
}

// basesFile holds the database chunks of the last publish (baseIndex).
const basesFile = "db-chunks"

// useBases opens the db-chunks file of the last publish for this one's
// splices, unless it is open.
func (s *State) useBases() {
	if s.bases == nil {
		s.bases = openBases(filepath.Join(s.dir, basesFile))
	}
}

// saveBases keeps the database chunks of the publish just built (l) for the
// next, and closes the last publish's. With need, the chunks of the last
// publish that need holds and l does not are kept too: the database streams
// this publish took from the stat cache without reading them, so an unchanged
// dump still has bases for the publish after next.
func (s *State) saveBases(l *baseLog, need *idSet) error {
	old := s.bases
	s.bases = nil
	defer old.close()
	if l.n == 0 && l.err == nil && old == nil {
		return nil // no database streams, now or before: no file (and no fsync) for a files-only publish
	}
	var have *idSet
	if need != nil && old != nil {
		ids := make([]chunkstore.ID, 0, l.n)
		if err := l.each(func(rec []byte) { ids = append(ids, chunkstore.ID(rec[:32])) }); err != nil {
			return err
		}
		have = newIDSet(ids)
	}
	return atomicfile.From(filepath.Join(s.dir, basesFile), 0o600, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		if err := l.each(func(rec []byte) { bw.Write(rec) }); err != nil {
			return err
		}
		if have != nil {
			err := old.each(func(rec []byte) {
				if id := chunkstore.ID(rec[:32]); need.has(id) && !have.has(id) {
					bw.Write(rec)
				}
			})
			if err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}
