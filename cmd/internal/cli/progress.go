package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress is the one progress view of a long command on stderr: a phase with
// bytes done of a total, the rate and the time left, and a note such as
// "source unreachable, retrying…".
//
// On a terminal it is one bar (schollz/progressbar) whose description is the
// status line. Elsewhere (a log, CI, synco pull's agent) it prints a plain
// status line every LineEvery, a note once it has lasted that long; a command
// shorter than that prints none (a failure is then its error line first). It never writes control characters there, nor to
// stdout (which may carry --json).
//
// The rate is its own, not the bar's: the bar averages the growth between
// its updates, which for progress that arrives in jumps (a range of several
// MB at once, a phase that starts half done) reads like "62 GB/s". Here a rate
// is the growth of the current phase over the last rateWindow, and only
// once that spans minRateSpan.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	prog  string
	tty   bool
	now   func() time.Time
	every time.Duration
	// throttle is the least time between redraws of the bar. It is done
	// here, not by the bar's option: the bar would drop the redraw of the
	// text that follows the redraw of the counts.
	throttle time.Duration
	drawn    time.Time

	phase       string
	done, total int64
	m           meter
	note        string
	detail      string // shown after the counts, until the phase changes

	last      time.Time // of the last line (non-TTY)
	noteSince time.Time // when the note appeared
	pb        *progressbar.ProgressBar
}

// LineEvery is how often a Progress that is not on a terminal prints a line.
const LineEvery = 5 * time.Second

// NewProgress returns the view on w, a bar if w is a terminal.
func NewProgress(w io.Writer, prog string) *Progress {
	f, ok := w.(*os.File)
	return newProgress(w, prog, ok && term.IsTerminal(int(f.Fd())), time.Now)
}

func newProgress(w io.Writer, prog string, tty bool, now func() time.Time) *Progress {
	return &Progress{w: w, prog: prog, tty: tty, now: now, every: LineEvery, throttle: 100 * time.Millisecond, last: now()}
}

// Set reports done of total bytes in phase (total 0: not known; done < 0: no
// counts, just the phase). A new phase starts its rate afresh. It clears the
// note: whatever was retried is moving again.
func (p *Progress) Set(phase string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if phase != p.phase {
		p.phase, p.m, p.detail = phase, meter{}, ""
		p.finishBar()
	}
	p.done, p.total, p.note, p.noteSince = done, total, "", time.Time{}
	if done >= 0 {
		p.m.add(now, done)
	}
	p.show(now)
}

// Detail shows text after the counts of the current phase (e.g. "8.4 MB
// downloaded meanwhile") until the phase changes or the next Detail; unlike a
// new phase text it keeps the phase's rate.
func (p *Progress) Detail(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.detail = text
}

// Note shows text (e.g. "source unreachable, retrying…") with the phase until
// the next Set.
func (p *Progress) Note(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.note == "" {
		p.noteSince = now
	}
	p.note = text
	p.show(now)
}

// Finish removes the bar (before a prompt, or the summary). A later Set shows
// a new one.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishBar()
	p.phase = ""
}

// Status is what the view shows now.
func (p *Progress) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status(p.now())
}

func (p *Progress) status(now time.Time) Status {
	s := Status{Phase: p.phase, Done: p.done, Total: p.total, Note: p.note, Detail: p.detail}
	s.Rate, _ = p.m.rate(now)
	return s
}

// show renders the status: the bar on a terminal; elsewhere a line when
// LineEvery has passed since the last one (and since the note appeared).
func (p *Progress) show(now time.Time) {
	s := p.status(now)
	if !p.tty {
		// A note waits as long as a line: a retry that succeeds, or a
		// failure that is reported soon, needs no word.
		if now.Sub(p.last) >= p.every && (p.note == "" || now.Sub(p.noteSince) >= p.every) {
			fmt.Fprintf(p.w, "%s: %s\n", p.prog, s.Line(true))
			p.last = now
		}
		return
	}
	if p.pb != nil && p.note == "" && now.Sub(p.drawn) < p.throttle {
		return
	}
	p.drawn = now
	if p.pb == nil {
		max := p.total
		if max <= 0 || p.done < 0 {
			max = -1
		}
		p.pb = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(s.Line(false)),
			progressbar.OptionSetWidth(20),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionShowBytes(false),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	p.pb.Describe(s.Line(false))
	if p.total > 0 && p.done >= 0 { // draws the text with the counts
		if p.total != p.pb.GetMax64() {
			p.pb.ChangeMax64(p.total)
		}
		p.pb.Set64(min(p.done, p.total))
	}
}

func (p *Progress) finishBar() {
	if p.pb != nil {
		p.pb.Finish()
		p.pb = nil
	}
}

// Status is one moment of a Progress.
type Status struct {
	Phase       string
	Done, Total int64   // bytes; Total 0: not known; Done < 0: no counts
	Rate        float64 // bytes per second; 0: not known (yet)
	Note        string
	Detail      string // after the counts
}

// Line is s as one line: "download 120.4 MB of 332.0 MB (36 %), 18.2 MB/s,
// 12 s left", a note first, without rate and time left (nothing moves):
// "source unreachable, retrying (attempt 2)…; download 120.4 MB of 332.0 MB".
// The percentage is left out with percent false (the bar shows it).
func (s Status) Line(percent bool) string {
	line := s.Phase
	switch {
	case s.Done < 0:
	case s.Total >= s.Done && s.Total > 0: // a total the source outgrew is no total
		line += " " + FormatSize(s.Done) + " of " + FormatSize(s.Total)
		if percent {
			line += fmt.Sprintf(" (%d %%)", min(s.Done*100/s.Total, 100))
		}
	case s.Done > 0:
		line += " " + FormatSize(s.Done)
	}
	if s.Done >= 0 && s.Rate > 0 && s.Note == "" { // a note: nothing moves, no rate holds
		line += ", " + FormatSize(int64(s.Rate)) + "/s"
		if s.Total > s.Done {
			line += ", " + FormatLeft(time.Duration(float64(s.Total-s.Done)/s.Rate*float64(time.Second))) + " left"
		}
	}
	if s.Detail != "" {
		line += "; " + s.Detail
	}
	if s.Note != "" {
		if line == "" {
			return s.Note
		}
		return s.Note + "; " + line
	}
	return line
}

// FormatLeft renders a duration for humans, as precise as it is worth: 0.4 s,
// 12 s, 3 min 17 s, 1 h 5 min.
func FormatLeft(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < 10*time.Minute:
		d = d.Round(time.Second)
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%d min %d s", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(time.Minute)
	if m := int(d.Minutes()) % 60; m != 0 {
		return fmt.Sprintf("%d h %d min", int(d.Hours()), m)
	}
	return fmt.Sprintf("%d h", int(d.Hours()))
}

// Rates: over the last rateWindow, and only once the samples span
// minRateSpan (before that, one early jump would read as an absurd rate).
const (
	rateWindow  = 10 * time.Second
	minRateSpan = time.Second
)

// meter is a rate over a sliding window of (time, bytes done) samples.
type meter struct{ samples []sample }

type sample struct {
	t time.Time
	n int64
}

func (m *meter) add(t time.Time, n int64) {
	m.samples = append(m.samples, sample{t, n})
	// Keep one sample at or before the window's start, so the window is full.
	i := 0
	for i+1 < len(m.samples) && !m.samples[i+1].t.After(t.Add(-rateWindow)) {
		i++
	}
	m.samples = m.samples[i:]
}

// rate is the growth per second from the window's first sample to the last,
// over the time up to now (a pause lowers it); ok is false until the window
// spans minRateSpan.
func (m *meter) rate(now time.Time) (float64, bool) {
	if len(m.samples) == 0 {
		return 0, false
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	span := now.Sub(first.t)
	if span < minRateSpan || last.n < first.n {
		return 0, false
	}
	return float64(last.n-first.n) / span.Seconds(), true
}

// bar is the publisher's progress: a Progress with one phase.
type bar struct {
	p     *Progress
	label string
}

func newBar(w io.Writer, prog, label string) *bar {
	return &bar{p: NewProgress(w, prog), label: label}
}

// set shows done of total bytes (total 0: unknown yet).
func (b *bar) set(done, total uint64) { b.p.Set(b.label, int64(done), int64(total)) }

func (b *bar) finish() { b.p.Finish() }
