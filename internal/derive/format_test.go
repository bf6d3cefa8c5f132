package derive

import (
	"testing"
	"time"
)

func TestParseTimes(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 12, 1, 14, 3, 22, 0, time.UTC)
	for _, tc := range []struct {
		in    string
		parse func([]byte) (time.Time, bool)
		want  time.Time
		ok    bool
	}{
		{"01/Dec/2026:14:03:22 +0000", parseCLFTime, want, true},
		{"01/Dec/2026:15:33:22 +0130", parseCLFTime, want, true},
		{"01/Dec/2026:09:03:22 -0500", parseCLFTime, want, true},
		{"01/Dez/2026:14:03:22 +0000", parseCLFTime, time.Time{}, false},
		{"1/Dec/2026:14:03:22 +0000", parseCLFTime, time.Time{}, false},
		{"2026-12-01T14:03:22+0000", parseISOTime, want, true},
		{"2026-12-01T15:03:22+01:00", parseISOTime, want, true},
		{"2026-12-01T14:03:22Z", parseISOTime, want, true},
		{"2026-12-01T14:03:22", parseISOTime, want, true},
		{"2026-12-01T14:03:22.250000+0000", parseISOTime, want.Add(250 * time.Millisecond), true},
		{"2026-13-01T14:03:22+0000", parseISOTime, time.Time{}, false},
		{"2026-12-01T14:03:22+00", parseISOTime, time.Time{}, false},
		{"2026-12-01 14:03:22", parseISOTime, time.Time{}, false},
	} {
		got, ok := tc.parse([]byte(tc.in))
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parse(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
