package unit_test

import (
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// A value exactly at a unit's boundary prints in the larger unit: 1 GiB
// is "1.00GiB", not "1024.0MiB"; one second is "1.00s", not "1000.0ms".
func TestFormatAtUnitBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{unit.FormatBytes(1 << 30), "1.00GiB"},
		{unit.FormatBytes(1<<30 - 1), "1024.0MiB"},
		{unit.FormatBytes(1 << 20), "1.0MiB"},
		{unit.FormatBytes(1<<20 - 1), "1024.0KiB"},
		{unit.FormatBytes(1024), "1.0KiB"},
		{unit.FormatBytes(1023), "1023B"},
		{unit.FormatBytes(0), "0B"},
		{unit.FormatSeconds(1), "1.00s"},
		{unit.FormatSeconds(0.999), "999.0ms"},
		{unit.FormatSeconds(0.001), "1.0ms"},
		{unit.FormatSeconds(0.000999), "999µs"},
		{unit.FormatSeconds(0), "0µs"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}

// A size's number is digits and dots, its unit what follows: a number
// that starts with a letter, or a unit that holds a digit, is refused.
func TestParseBytesDigits(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"9MB", "0B", "0.5KiB", ".5KB"} {
		if _, err := unit.ParseBytes(in); err != nil {
			t.Errorf("ParseBytes(%q): %v", in, err)
		}
	}
	for _, in := range []string{"/9MB", ":MB", "9M9B", "B", ""} {
		if b, err := unit.ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %+v, want an error", in, b)
		}
	}
}

// The zero Rate (no period) is 0 per second, not a division by zero.
func TestZeroRate(t *testing.T) {
	t.Parallel()
	if got := (unit.Rate{Freq: 5}).PerSecond(); got != 0 {
		t.Errorf("Rate{Freq: 5}.PerSecond() = %v, want 0", got)
	}
	if got := (unit.Rate{Freq: 5, Per: -time.Second}).PerSecond(); got != 0 {
		t.Errorf("a negative period gives %v/s, want 0", got)
	}
}
