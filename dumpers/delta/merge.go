// Package delta computes the row-level difference between two snapshots of a
// table, given as two streams of rows in the same order (the dumps write rows in
// primary-key order). It knows nothing about SQL: the engine packages give it rows
// as (key, line) pairs, where key is the row's primary key as the dump wrote it
// (literal text) and line the row as the dump wrote it.
//
// Rows are compared by their bytes, keys by their bytes: a dump writes the same
// value always the same way, so equal bytes mean equal rows. Two keys the server
// holds equal but the dump wrote differently (a case-insensitive collation: 'a'
// and 'A') are a delete of the one and an insert of the other; the engine applies
// all deletes of a table before its inserts, so that is right too.
//
// The merge does not need to compare keys by order (which would mean knowing the
// server's collations): it walks both streams in lock-step and keeps the rows it
// has not matched yet in two pending sets. When a row's key is found pending on
// the other side (or both sides read the same key at once), both streams are at the
// same key k; every row pending before it has a key below k on its side, and every
// row still to come a key above k, so the pending rows before it can never match:
// they are deletes (old) and inserts (new). Memory is therefore bounded by the
// longest run of rows without a common key (a block of inserts or deletes), and
// capped by Limit.
package delta

import (
	"bytes"
	"errors"
	"io"
)

// ErrTooLarge: the difference (or a run of unmatched rows) is bigger than the
// limit; a full import is the better choice.
var ErrTooLarge = errors.New("delta: difference too large")

// ErrDisjoint: the two snapshots had no key in common in their first rows
// (Parts.Disjoint): the table was most likely rewritten (a cache), and
// replacing all its rows is cheaper than holding them to compare.
var ErrDisjoint = errors.New("delta: the snapshots share no rows")

// OldError is an error reading the old snapshot (the installed one, read back from
// a cache): a reason to fall back to a full import rather than a failure.
type OldError struct{ Err error }

func (e *OldError) Error() string { return "delta: read the old snapshot: " + e.Err.Error() }
func (e *OldError) Unwrap() error { return e.Err }

// Row is one row of a table snapshot.
type Row struct {
	Key  []byte // primary key, as the dump wrote it
	Line []byte // the whole row, as the dump wrote it
}

// Reader gives rows in the dump's order; io.EOF after the last. The slices of a
// Row may be reused by the next call.
type Reader interface {
	Next() (Row, error)
}

// Skipper is a Reader of the new snapshot that can pass over rows it has in
// common with the old snapshot's Reader byte for byte. Merge calls SkipSame when
// nothing is pending (every row read so far is matched): if both streams
// continue with the same rows, byte for byte, SkipSame moves both readers past
// them; Merge would have read them in lock-step and found each equal to its
// partner, so the difference is the same. Errors of the old reader come back
// as *OldError.
type Skipper interface {
	SkipSame(old Reader) error
}

// Diff is the difference from an old snapshot to a new one: delete the rows with
// the keys Delete (old keys), then insert the rows Insert (new lines). A row whose
// key stayed and whose content changed is in both.
type Diff struct {
	Delete [][]byte
	Insert [][]byte
	bytes  int
}

// Empty reports whether there is nothing to do.
func (d *Diff) Empty() bool { return len(d.Delete) == 0 && len(d.Insert) == 0 }

// Bytes is the memory the diff holds (keys and lines).
func (d *Diff) Bytes() int { return d.bytes }

type entry struct{ key, line []byte }

type side struct {
	queue []*entry
	byKey map[string]*entry
	eof   bool
}

func (s *side) add(r Row) {
	e := &entry{key: bytes.Clone(r.Key), line: bytes.Clone(r.Line)}
	s.queue = append(s.queue, e)
	s.byKey[string(e.key)] = e
}

// Merge reads both streams to their end and returns the difference. limit caps
// the bytes held (pending rows and the diff); <= 0 means no cap. Errors: those of
// the new reader, those of the old one as *OldError, ErrTooLarge.
func Merge(old, new Reader, limit int) (*Diff, error) {
	var d *Diff
	err := MergeParts(old, new, Parts{Limit: limit}, func(p *Diff) error { d = p; return nil })
	if d == nil {
		d = &Diff{}
	}
	return d, err
}

// Parts says how MergeParts hands a difference over.
type Parts struct {
	// Size: a part is handed over once it holds this many bytes (keys and
	// rows); <= 0: one part at the end.
	Size int
	// Limit caps the bytes held (pending rows and the part being built) and
	// those of all parts together (ErrTooLarge); <= 0: no cap.
	Limit int
	// Disjoint > 0: ErrDisjoint once the rows read from both sides hold more
	// than this many bytes and not one key matched (rows of both sides read).
	Disjoint int
	// DeletesFirst: the parts handed over before the end hold deletes only,
	// once their keys hold Size bytes; every insert comes in the last part.
	// For a target that must see all deletes before any insert (a unique key
	// besides the primary one: a changed row may take a value another row
	// gives up further on), with the deletes applied while the merge goes on.
	DeletesFirst bool
}

// MergeParts is Merge handing the difference over in parts as it goes, so that a
// caller can apply one part while the next is computed: fn gets a part as soon
// as it holds at least p.Size bytes, and the rest at the end; it is not called
// with an empty part.
//
// Applying the parts in order, each one's deletes before its inserts, gives
// the same result as applying Merge's one Diff, provided two keys that collide
// in the target (equal under its collation, not byte for byte) are in the
// same place of both streams' order: rows go into a part only where both
// streams stood at one key k (every pending row before k), so the rows of a
// part are before k and those of later parts after it, and a delete and an
// insert that collide are in the same part. Otherwise (a target
// whose collation orders keys differently from the source's) an insert can
// meet a row a later part deletes: the engine then sees a duplicate key, and
// must fall back.
//
// An error of fn stops the merge and is returned as it is.
func MergeParts(old, new Reader, p Parts, fn func(*Diff) error) error {
	m := &merger{
		d:        &Diff{},
		limit:    p.Limit,
		part:     p.Size,
		disjoint: p.Disjoint,
		delFirst: p.DeletesFirst,
		emit:     fn,
		o:        side{byKey: map[string]*entry{}},
		n:        side{byKey: map[string]*entry{}},
	}
	if err := m.run(old, new); err != nil {
		return err
	}
	if m.d.Empty() {
		return nil
	}
	return fn(m.d)
}

type merger struct {
	d        *Diff // the part being built
	limit    int
	part     int
	disjoint int
	emit     func(*Diff) error
	total    int // bytes of the parts handed over
	o, n     side
	pending  int  // bytes in the pending sets
	matched  bool // a key was found on both sides
	delFirst bool // Parts.DeletesFirst
	delBytes int  // bytes of the keys in d.Delete
}

// handOver gives the part built so far to emit when it is big enough.
func (m *merger) handOver() error {
	if m.part <= 0 || m.d.bytes < m.part {
		return nil
	}
	if m.delFirst {
		if m.delBytes < m.part {
			return nil
		}
		d := &Diff{Delete: m.d.Delete, bytes: m.delBytes}
		m.total += m.delBytes
		m.d.Delete, m.d.bytes, m.delBytes = nil, m.d.bytes-m.delBytes, 0
		return m.emit(d)
	}
	m.total += m.d.bytes
	d := m.d
	m.d, m.delBytes = &Diff{}, 0
	return m.emit(d)
}

func (m *merger) run(old, new Reader) error {
	sk, _ := new.(Skipper)
	for !m.o.eof || !m.n.eof {
		if err := m.handOver(); err != nil {
			return err
		}
		if sk != nil && !m.o.eof && !m.n.eof && len(m.o.queue) == 0 && len(m.n.queue) == 0 {
			if err := sk.SkipSame(old); err != nil {
				return err
			}
		}
		var or, nr Row
		var okO, okN bool
		if !m.o.eof {
			r, err := old.Next()
			switch {
			case err == io.EOF:
				m.o.eof = true
			case err != nil:
				return &OldError{err}
			default:
				or, okO = r, true
			}
		}
		if !m.n.eof {
			r, err := new.Next()
			switch {
			case err == io.EOF:
				m.n.eof = true
			case err != nil:
				return err
			default:
				nr, okN = r, true
			}
		}
		if okO && okN && bytes.Equal(or.Key, nr.Key) {
			m.matched = true
			m.flushAll()
			if !bytes.Equal(or.Line, nr.Line) {
				m.del(or.Key)
				m.ins(nr.Line)
			}
		} else {
			if okO {
				if e := m.n.byKey[string(or.Key)]; e != nil {
					// new is past this key: every old row pending is before it
					m.matched = true
					m.flushOld()
					m.flushNewBefore(e)
					if !bytes.Equal(or.Line, e.line) {
						m.del(or.Key)
						m.ins(e.line)
					}
				} else {
					m.o.add(or)
					m.pending += len(or.Key) + len(or.Line)
				}
			}
			if okN {
				if e := m.o.byKey[string(nr.Key)]; e != nil {
					m.matched = true
					m.flushNew()
					m.flushOldBefore(e)
					if !bytes.Equal(nr.Line, e.line) {
						m.del(e.key)
						m.ins(nr.Line)
					}
				} else {
					m.n.add(nr)
					m.pending += len(nr.Key) + len(nr.Line)
				}
			}
		}
		if m.limit > 0 && m.total+m.pending+m.d.bytes > m.limit {
			return ErrTooLarge
		}
		if m.disjoint > 0 && !m.matched && m.pending > m.disjoint && len(m.o.queue) > 0 && len(m.n.queue) > 0 {
			return ErrDisjoint
		}
	}
	m.flushAll()
	if m.limit > 0 && m.total+m.d.bytes > m.limit {
		return ErrTooLarge
	}
	return nil
}

func (m *merger) del(key []byte) {
	k := bytes.Clone(key)
	m.d.Delete = append(m.d.Delete, k)
	m.d.bytes += len(k)
	m.delBytes += len(k)
}

func (m *merger) ins(line []byte) {
	l := bytes.Clone(line)
	m.d.Insert = append(m.d.Insert, l)
	m.d.bytes += len(l)
}

func (m *merger) flushAll() { m.flushOld(); m.flushNew() }

// flushOld deletes every pending old row.
func (m *merger) flushOld() {
	if len(m.o.queue) == 0 {
		return
	}
	for _, e := range m.o.queue {
		m.d.Delete = append(m.d.Delete, e.key)
		m.d.bytes += len(e.key)
		m.delBytes += len(e.key)
		m.pending -= len(e.key) + len(e.line)
	}
	m.o.queue = m.o.queue[:0]
	clear(m.o.byKey)
}

// flushNew inserts every pending new row.
func (m *merger) flushNew() {
	if len(m.n.queue) == 0 {
		return
	}
	for _, e := range m.n.queue {
		m.d.Insert = append(m.d.Insert, e.line)
		m.d.bytes += len(e.line)
		m.pending -= len(e.key) + len(e.line)
	}
	m.n.queue = m.n.queue[:0]
	clear(m.n.byKey)
}

// flushOldBefore deletes the pending old rows read before match and takes match
// out of the pending set (its caller compares it).
func (m *merger) flushOldBefore(match *entry) { m.flushBefore(&m.o, match, true) }

func (m *merger) flushNewBefore(match *entry) { m.flushBefore(&m.n, match, false) }

func (m *merger) flushBefore(s *side, match *entry, old bool) {
	i := 0
	for ; s.queue[i] != match; i++ {
		e := s.queue[i]
		if old {
			m.d.Delete = append(m.d.Delete, e.key)
			m.d.bytes += len(e.key)
			m.delBytes += len(e.key)
		} else {
			m.d.Insert = append(m.d.Insert, e.line)
			m.d.bytes += len(e.line)
		}
		delete(s.byKey, string(e.key))
		m.pending -= len(e.key) + len(e.line)
	}
	delete(s.byKey, string(match.key))
	m.pending -= len(match.key) + len(match.line)
	s.queue = s.queue[i+1:]
}
