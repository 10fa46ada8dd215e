package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FormatSize renders n bytes for humans: 0 B, 999 B, 1.2 KB, 3.4 GB (powers of 1000).
func FormatSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// SizeUnits explains the units ParseSize takes, for hints.
const SizeUnits = "give a unit: 500M or 10G (K, M, G, T: powers of 1000), 2GiB (KiB, MiB, GiB, TiB: powers of 1024), 4096B for bytes"

// ErrSizeUnit is returned by ParseSize for a number without a unit.
var ErrSizeUnit = errors.New("size without a unit")

// ParseSize reads sizes like 512M, 10GB, 1.5GiB, 2T, 1000B. K/M/G/T (also KB/MB/…)
// are powers of 1000, KiB/MiB/GiB/TiB powers of 1024, B is bytes. A bare number is
// ErrSizeUnit: "--max-size 5" meaning 5 bytes surprises everyone who typed it.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := 0.0
	for _, u := range []struct {
		suffix string
		m      float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	switch {
	case err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v):
		return 0, fmt.Errorf("invalid size %q", s)
	case mult == 0:
		return 0, fmt.Errorf("%q: %w", s, ErrSizeUnit)
	case v*mult >= math.MaxInt64:
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v * mult), nil
}
