package unit_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		perSec  float64
		str     string // String of the parsed rate
		wantErr bool
	}{
		{in: "20/s", perSec: 20, str: "20/s"},
		{in: " 0.5/sec ", perSec: 0.5, str: "0.5/s"},
		{in: "40/min", perSec: 40.0 / 60, str: "40/min"},
		{in: "3/m", perSec: 3.0 / 60, str: "3/min"},
		{in: "7200/h", perSec: 2, str: "7200/h"},
		{in: "0/s", perSec: 0, str: "0/s"}, // the form only: callers bound it
		{in: "20/d", wantErr: true},
		{in: "x/s", wantErr: true},
	}
	for _, tc := range tests {
		r, err := unit.ParseRate(tc.in)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "want N/s, N/min or N/h") {
				t.Errorf("ParseRate(%q) error = %v, want one naming the form", tc.in, err)
			}
			continue
		}
		if err != nil || math.Abs(r.PerSecond()-tc.perSec) > 1e-12 || r.String() != tc.str {
			t.Errorf("ParseRate(%q) = %v (%v/s), %v, want %v/s printed %q", tc.in, r, r.PerSecond(), err, tc.perSec, tc.str)
		}
	}
}

// A bare number gets the unit suggested, whether it came from a file or
// the --rate flag.
func TestParseRateBareNumber(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"20", " 20 ", "0.5"} {
		_, err := unit.ParseRate(in)
		n := strings.TrimSpace(in)
		want := "want a rate with a unit, e.g. " + n + "/s or " + n + "/min, got " + n
		if err == nil || err.Error() != want {
			t.Errorf("ParseRate(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "30s", want: 30 * time.Second},
		{in: " 1m30s ", want: 90 * time.Second},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "-2s", want: -2 * time.Second}, // the form only: callers bound it
		{in: "5", wantErr: "want a duration with a unit, e.g. 5s, got 5"},
		{in: "0", wantErr: "want a duration with a unit, e.g. 30s, got 0"},
		{in: "5 sec", wantErr: `want a duration such as 30s, 250ms or 2m, got "5 sec"`},
	}
	for _, tc := range tests {
		d, err := unit.ParseDuration(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || d != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tc.in, d, err, tc.want)
		}
	}
}

func TestParsePercent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{in: "1%", want: 1},
		{in: "0.5%", want: 0.5},
		{in: "120%", want: 120}, // the form only: callers bound it
		{in: "1", wantErr: true},
		{in: "%", wantErr: true},
	}
	for _, tc := range tests {
		f, err := unit.ParsePercent(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && f != tc.want) {
			t.Errorf("ParsePercent(%q) = %v, %v, want %v (error %v)", tc.in, f, err, tc.want, tc.wantErr)
		}
	}
}

// Sizes parse in decimal and binary units and print as written.
func TestParseBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		bytes   float64
		str     string
		wantErr bool
	}{
		{in: "300MB", bytes: 300e6, str: "300MB"},
		{in: "300MiB", bytes: 300 << 20, str: "300MiB"},
		{in: "1.5GiB", bytes: 1.5 * (1 << 30), str: "1.5GiB"},
		{in: "2GB", bytes: 2e9, str: "2GB"},
		{in: "64KiB", bytes: 64 << 10, str: "64KiB"},
		{in: "10KB", bytes: 10e3, str: "10KB"},
		{in: "512B", bytes: 512, str: "512B"},
		{in: "300", wantErr: true},
		{in: "MB", wantErr: true},
		{in: "300mb", wantErr: true},
		{in: "1.2.3MB", wantErr: true},
	}
	for _, tc := range tests {
		b, err := unit.ParseBytes(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("ParseBytes(%q) = %v, want an error", tc.in, b)
			}
			continue
		}
		if err != nil || b.N != tc.bytes || b.String() != tc.str {
			t.Errorf("ParseBytes(%q) = %v bytes printed %q, %v, want %v printed %q", tc.in, b.N, b, err, tc.bytes, tc.str)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{unit.FormatBytes(512), "512B"},
		{unit.FormatBytes(1536), "1.5KiB"},
		{unit.FormatBytes(160 << 20), "160.0MiB"},
		{unit.FormatBytes(300e6), "286.1MiB"}, // measured: binary
		{unit.FormatBytes(1.25 * (1 << 30)), "1.25GiB"},
		{unit.Bytes{N: 300e6}.String(), "286.1MiB"},
		{unit.FormatMiB(1 << 20), "1 MiB"},
		{unit.FormatMiB(1<<20 + 300<<10), "1.3 MiB"},
		{unit.FormatSeconds(2), "2.00s"},
		{unit.FormatSeconds(0.0123), "12.3ms"},
		{unit.FormatSeconds(0.00008), "80µs"},
		{unit.FormatPercent(49.71), "49.7%"},
		{unit.FormatShare(49.716), "49.72%"},
		{unit.FormatShare(0.04), "0.04%"},
		{unit.MillisNumber(1346.4), "1346"},
		{unit.MillisNumber(87.46), "87.5"},
		{unit.MillisNumber(4.8), "4.80"},
		{unit.FormatMeasuredRate(2.0 / 3), "0.7/s"},
		{unit.Rate{Freq: 5, Per: 2 * time.Second}.String(), "2.5/s"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 targets"}, {1, "1 target"}, {2, "2 targets"}} {
		if got := unit.Plural(tc.n, "target", "targets"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatRoundRate(t *testing.T) {
	for in, want := range map[float64]string{40.0 / 60: "40/min", 34: "34/s", 2.5: "2.5/s", 0.5: "30/min", 0.01: "0.6/min", 150: "150/s", 150.4: "150/s", 47.5: "47.5/s", 47.25: "47.2/s", 1.125: "1.12/s", 3.1: "3.1/s"} {
		if got := unit.FormatRoundRate(in); got != want {
			t.Errorf("FormatRoundRate(%v) = %q, want %q", in, got, want)
		}
	}
	if got := unit.RoundRateNumber(47.5); got != "47.5" {
		t.Errorf("RoundRateNumber(47.5) = %q, want 47.5", got)
	}
}
