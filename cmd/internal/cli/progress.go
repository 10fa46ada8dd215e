package cli

import (
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// bar is a byte progress bar on a terminal and nothing elsewhere (scripts and CI
// logs stay clean; --json output stays parseable).
type bar struct {
	mu  sync.Mutex
	pb  *progressbar.ProgressBar
	w   io.Writer
	tty bool
	lbl string
}

func newBar(w io.Writer, label string) *bar {
	f, ok := w.(*os.File)
	return &bar{w: w, lbl: label, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// set shows done of total bytes (total 0: unknown yet).
func (b *bar) set(done, total uint64) {
	if !b.tty {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb == nil {
		max := int64(total)
		if max == 0 {
			max = -1
		}
		b.pb = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(b.lbl),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetWidth(30),
		)
	}
	if total > 0 && int64(total) != b.pb.GetMax64() {
		b.pb.ChangeMax64(int64(total))
	}
	b.pb.Set64(int64(done))
}

// label changes the description (e.g. from "waiting for source" to "downloading").
func (b *bar) label(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lbl == l {
		return
	}
	b.lbl = l
	if b.pb != nil {
		b.pb.Finish()
		b.pb = nil
	}
}

func (b *bar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		b.pb.Finish()
		b.pb = nil
	}
}

// NewBar is the exported form for the synco binary's commands.
func NewBar(w io.Writer, label string) *Bar { return &Bar{newBar(w, label)} }

// Bar wraps bar for other packages of cmd.
type Bar struct{ b *bar }

func (b *Bar) Set(done, total uint64) { b.b.set(done, total) }
func (b *Bar) Label(l string)         { b.b.label(l) }
func (b *Bar) Finish()                { b.b.finish() }
