package fetch

import (
	"testing"
	"time"

	"synco/manifest"
)

// A source whose phase or counts change keeps the wait alive, however long
// it takes; only an unchanged root counts as stalled.
func TestStallWatch(t *testing.T) {
	var w stallWatch
	t0 := time.Unix(1000, 0)
	root := &manifest.Root{State: manifest.StateInitializing, Phase: "database", Done: 1, Total: 100}
	steps := []struct {
		after time.Duration
		edit  func(*manifest.Root)
		want  time.Duration
	}{
		{0, nil, 0},
		{time.Minute, nil, time.Minute},
		{2 * time.Minute, func(r *manifest.Root) { r.Done = 2 }, 0},                      // progress
		{4 * time.Minute, nil, 2 * time.Minute},                                          // …then nothing
		{5 * time.Minute, func(r *manifest.Root) { r.Phase = "files" }, 0},               // a new phase
		{6 * time.Minute, func(r *manifest.Root) { r.Total = 200 }, 0},                   // a new total
		{7 * time.Minute, func(r *manifest.Root) { r.State = manifest.StateCreated }, 0}, // another state
		{12 * time.Minute, nil, 5 * time.Minute},
	}
	for i, s := range steps {
		if s.edit != nil {
			s.edit(root)
		}
		if got := w.still(root, t0.Add(s.after)); got != s.want {
			t.Errorf("step %d: still %v, want %v", i, got, s.want)
		}
	}
}
