package unit

import (
	"fmt"
	"strconv"
	"strings"
)

// Bytes is a size as it was written: N bytes, written in Unit ("MB",
// "MiB", …), so that it prints as written. Unit "" prints in the binary
// unit that suits the size, as a measured size does.
type Bytes struct {
	N    float64
	Unit string
}

// byteUnits maps each unit a size may be written in to its bytes: decimal
// (KB is 10³) and binary (KiB is 2¹⁰), as both are in use.
var byteUnits = map[string]float64{
	"B":  1,
	"KB": 1e3, "MB": 1e6, "GB": 1e9,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

// ParseBytes parses a size with its unit: "300MB", "1.5GiB", "512B".
func ParseBytes(s string) (Bytes, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return Bytes{}, fmt.Errorf("size %q: want a number and B, KB, MB, GB, KiB, MiB or GiB, e.g. 300MB", s)
	}
	f, err := strconv.ParseFloat(t[:i], 64)
	mult := byteUnits[t[i:]]
	if err != nil || mult == 0 {
		return Bytes{}, fmt.Errorf("size %q: want a number and B, KB, MB, GB, KiB, MiB or GiB, e.g. 300MB", s)
	}
	return Bytes{N: f * mult, Unit: t[i:]}, nil
}

// String formats b in the unit it was written in ("300MB"), or, without
// one, as FormatBytes does.
func (b Bytes) String() string {
	mult := byteUnits[b.Unit]
	if mult == 0 {
		return FormatBytes(b.N)
	}
	// Round away the float error of N = written·mult before printing, so
	// 300MB prints as 300MB and not 299.99999999999994MB.
	f, _ := strconv.ParseFloat(strconv.FormatFloat(b.N/mult, 'g', 12, 64), 64)
	return strconv.FormatFloat(f, 'f', -1, 64) + b.Unit
}

// FormatBytes formats a measured size in the binary unit that suits it:
// "512B", "1.5KiB", "160.0MiB", "1.25GiB".
func FormatBytes(n float64) string {
	const k = 1024
	switch {
	case n >= k*k*k:
		return strconv.FormatFloat(n/(k*k*k), 'f', 2, 64) + "GiB"
	case n >= k*k:
		return strconv.FormatFloat(n/(k*k), 'f', 1, 64) + "MiB"
	case n >= k:
		return strconv.FormatFloat(n/k, 'f', 1, 64) + "KiB"
	}
	return strconv.FormatFloat(n, 'f', 0, 64) + "B"
}

// FormatMiB formats a limit on a file's size, or the size measured against
// it, in whole MiB where it is whole: "1 MiB", "1.3 MiB".
func FormatMiB(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
