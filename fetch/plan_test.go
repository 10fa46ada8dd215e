package fetch

import (
	"testing"

	"synco/chunkstore"
	"synco/manifest"
)

func loc(pack string, off uint64, n uint32) manifest.Loc {
	var id chunkstore.ID
	id[0], id[1] = byte(off), byte(off>>8)
	return manifest.Loc{ID: id, Pack: pack, Off: off, SealedLen: n}
}

func TestPlanSpansCoalesces(t *testing.T) {
	tests := []struct {
		name string
		locs []manifest.Loc
		want []int // chunks per span
	}{
		{"empty", nil, nil},
		{"one", []manifest.Loc{loc("a", 0, 10)}, []int{1}},
		{"adjacent, unsorted", []manifest.Loc{loc("a", 10, 10), loc("a", 0, 10)}, []int{2}},
		{"gap = maxGap", []manifest.Loc{loc("a", 0, 4*maxGap), loc("a", 5*maxGap, 4*maxGap)}, []int{2}},
		{"gap = maxGap+1", []manifest.Loc{loc("a", 0, 4*maxGap), loc("a", 5*maxGap+1, 4*maxGap)}, []int{1, 1}},
		{"waste = 1/8", []manifest.Loc{loc("a", 0, 400), loc("a", 500, 400)}, []int{2}},
		{"waste > 1/8", []manifest.Loc{loc("a", 0, 400), loc("a", 501, 400)}, []int{1, 1}},
		{"small holes add up", []manifest.Loc{loc("a", 0, 400), loc("a", 450, 400), loc("a", 900, 400), loc("a", 1350, 400)}, []int{4}},
		{"too many holes", []manifest.Loc{loc("a", 0, 400), loc("a", 500, 400), loc("a", 1000, 100)}, []int{2, 1}},
		{"two packs", []manifest.Loc{loc("b", 0, 10), loc("a", 10, 10)}, []int{1, 1}},
		{"span = maxSpan", []manifest.Loc{loc("a", 0, maxSpan/2), loc("a", maxSpan/2, maxSpan/2)}, []int{2}},
		{"span = maxSpan+1", []manifest.Loc{loc("a", 0, maxSpan/2), loc("a", maxSpan/2, maxSpan/2+1)}, []int{1, 1}},
	}
	for _, tt := range tests {
		spans := planSpans(tt.locs)
		if len(spans) != len(tt.want) {
			t.Errorf("%s: %d spans, want %d", tt.name, len(spans), len(tt.want))
			continue
		}
		for i, s := range spans {
			if len(s.chunks) != tt.want[i] {
				t.Errorf("%s: span %d has %d chunks, want %d", tt.name, i, len(s.chunks), tt.want[i])
			}
			for j := 1; j < len(s.chunks); j++ {
				if s.at(j).off < s.at(j-1).off || s.at(j).pack != s.pack || s.at(0).pack != s.pack {
					t.Errorf("%s: span %d out of order or mixed packs", tt.name, i)
				}
			}
		}
	}
}
