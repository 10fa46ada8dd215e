package cli

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"0B", 0}, {"5B", 5}, {"5b", 5}, {"7K", 7000}, {"7kb", 7000}, {"10KiB", 10240},
		{"500M", 500e6}, {"1.5G", 1.5e9}, {"2GiB", 2 << 30}, {"3T", 3e12}, {" 4 MiB ", 4 << 20},
	} {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"5", "1.5", "0", "  42 "} {
		if _, err := ParseSize(in); !errors.Is(err, ErrSizeUnit) {
			t.Errorf("ParseSize(%q): %v, want ErrSizeUnit", in, err)
		}
	}
	for _, in := range []string{"", "B", "lots", "-1G", "5X", "1e30T", "NaNB", "InfG"} {
		if _, err := ParseSize(in); err == nil || errors.Is(err, ErrSizeUnit) {
			t.Errorf("ParseSize(%q): %v, want an invalid size", in, err)
		}
	}
}
