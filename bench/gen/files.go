package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"
)

var exts = []string{".jpg", ".jpg", ".jpg", ".png", ".pdf", ".webp", ".mp4", ".zip"}
var textExts = []string{".txt", ".css", ".json", ".svg", ".log", ".csv"}

type fileGen struct {
	seed uint64
	day  int
	v    *vocab
}

func (f *fileGen) rng(i int, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(f.seed^0x66696c6573, uint64(i)<<8|salt))
}

// content returns n bytes of file content: random (like JPEGs) or prose.
func (f *fileGen) content(r *rand.Rand, text bool, n int) []byte {
	if !text {
		return randBytes(r, n)
	}
	b := f.v.text(r).paragraphs(make([]byte, 0, n+256), n)
	return b[:n]
}

type fileSpec struct {
	path  string
	data  []byte
	mtime time.Time
}

// day1 is when the day-1 tree was taken; day-2 changes happen in the hours after it.
var day1 = time.Date(2025, 3, 9, 18, 0, 0, 0, time.UTC)

// path returns the path of file i and the generator positioned after it.
func (f *fileGen) path(i int) (r *rand.Rand, text bool, path string) {
	r = f.rng(i, saltBase)
	text = r.IntN(5) == 0
	if text {
		path = filepath.Join("Documents", string(f.v.words[r.IntN(300)]), fmt.Sprintf("%s-%d%s", f.v.words[r.IntN(len(f.v.words))], i, textExts[r.IntN(len(textExts))]))
	} else {
		path = filepath.Join("_Resources", "Persistent", hexKey(r, 20), fmt.Sprintf("%s-%s%s", f.v.words[r.IntN(len(f.v.words))], f.v.words[r.IntN(len(f.v.words))], exts[r.IntN(len(exts))]))
	}
	return r, text, path
}

// change is what day 2 does to day-1 file i: < 0.005 deleted, < 0.01 edited.
func (f *fileGen) change(i int) float64 { return f.rng(i, saltDecide).Float64() }

// file returns file i as of f.day, or ok=false when it does not exist.
func (f *fileGen) file(i, n int) (spec fileSpec, ok bool) {
	r, text, path := f.path(i)
	size := logNormal(r, 48<<10, 1.4, 1<<10, 24<<20)
	mtime := day1.Add(-time.Duration(r.IntN(700*86400)) * time.Second)
	if i >= n { // new on day 2
		if f.day < 2 {
			return spec, false
		}
		mtime = day1.Add(time.Duration(3600+r.IntN(40000)) * time.Second)
	}
	data := f.content(r, text, size)
	if f.day >= 2 && i < n {
		d := f.change(i)
		switch {
		case d < 0.005:
			return spec, false // deleted
		case d < 0.01:
			er := f.rng(i, saltEdit)
			mtime = day1.Add(time.Duration(3600+er.IntN(40000)) * time.Second)
			switch er.IntN(3) {
			case 0: // rewritten (re-encoded image, new export)
				data = f.content(er, text, logNormal(er, float64(len(data)), 0.2, 1<<10, 24<<20))
			case 1: // appended (logs, CSV exports)
				data = append(data, f.content(er, text, 256+er.IntN(max(1, len(data)/5)))...)
			default: // patched in place near the start (metadata edit)
				off := er.IntN(min(len(data), 1024))
				patch := f.content(er, text, min(len(data)-off, 2048+er.IntN(14<<10)))
				data = slices.Concat(data[:off], patch, data[off+len(patch):])
			}
		}
	}
	return fileSpec{path, data, mtime}, true
}

func genFiles(out string, seed uint64, day, n int) (files int, bytes int64, err error) {
	f := &fileGen{seed: seed, day: day, v: newVocab(seed, 6000)}
	dirs := f.dirTimes(n)
	for i := range n + n/100 {
		spec, ok := f.file(i, n)
		if !ok {
			continue
		}
		if err := writeFile(out, spec); err != nil {
			return files, bytes, err
		}
		files++
		bytes += int64(len(spec.data))
	}
	// Directory mtimes as a live upload directory has them: set when an entry
	// was added or removed, so on day 2 only the directories that gained or lost
	// an entry change (not every directory, as writing a fresh tree would do).
	for d, t := range dirs {
		if err := os.Chtimes(filepath.Join(out, d), t, t); err != nil {
			return files, bytes, err
		}
	}
	return files, bytes, nil
}

// dirTimes returns the mtime of every directory of the tree as of f.day ("." is
// the root): a fixed day-1 time, or on day 2 the time of the last entry added
// to or removed from it (a directory created or removed is an entry of its parent).
func (f *fileGen) dirTimes(n int) map[string]time.Time {
	base := day1.Add(-time.Hour)
	existed, now := map[string]bool{}, map[string]bool{}
	add := func(set map[string]bool, p string) {
		for d := filepath.Dir(p); !set[d]; d = filepath.Dir(d) {
			set[d] = true
			if d == "." {
				break
			}
		}
	}
	type change struct {
		path string
		at   time.Time
	}
	var changes []change
	for i := range n + n/100 {
		_, _, p := f.path(i)
		switch {
		case i < n:
			add(existed, p)
			if f.day < 2 || f.change(i) >= 0.005 {
				add(now, p)
				continue
			}
			changes = append(changes, change{p, day1.Add(time.Duration(3600+f.rng(i, saltDir).IntN(40000)) * time.Second)}) // deleted
		case f.day >= 2:
			add(now, p)
			spec, _ := f.file(i, n)
			changes = append(changes, change{p, spec.mtime}) // new
		}
	}
	dirs := map[string]time.Time{}
	for d := range now {
		dirs[d] = base
	}
	for _, c := range changes {
		for d := filepath.Dir(c.path); ; d = filepath.Dir(d) {
			if now[d] && c.at.After(dirs[d]) {
				dirs[d] = c.at
			}
			if now[d] && existed[d] || d == "." {
				break // an entry changed in a directory that stays: its parent is unchanged
			}
		}
	}
	return dirs
}

func genSmallFiles(out string, seed uint64, n, maxSize int) (int64, error) {
	if maxSize < 1<<10 {
		return 0, fmt.Errorf("-maxsize must be at least 1024")
	}
	f := &fileGen{seed: seed, v: newVocab(seed, 6000)}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var total int64
	for i := range n {
		r := rand.New(rand.NewPCG(seed^0x736d616c6c, uint64(i)))
		text := r.IntN(2) == 0
		ext := ".bin"
		if text {
			ext = ".html"
		}
		spec := fileSpec{
			path:  filepath.Join(fmt.Sprintf("d%03d", i/100), fmt.Sprintf("%s-%05d%s", f.v.words[r.IntN(len(f.v.words))], i, ext)),
			data:  f.content(r, text, 1024+r.IntN(maxSize-1024+1)),
			mtime: base.Add(time.Duration(i) * time.Minute),
		}
		if err := writeFile(out, spec); err != nil {
			return total, err
		}
		total += int64(len(spec.data))
	}
	return total, nil
}

func writeFile(root string, s fileSpec) error {
	p := filepath.Join(root, s.path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, s.data, 0o644); err != nil {
		return err
	}
	return os.Chtimes(p, s.mtime, s.mtime)
}
