package cli

import (
	"time"

	"github.com/loadcheck/loadcheck/internal/unit"
)

// durationValue is a duration flag parsed as files are (unit.ParseDuration):
// "--duration 15" is refused with the unit to add ("want a duration with a
// unit, e.g. 15s"), where pflag's own would print Go's "missing unit".
type durationValue struct {
	p   *time.Duration
	set bool
}

// newDurationValue sets *p to def and returns the flag value that sets it.
func newDurationValue(p *time.Duration, def time.Duration) *durationValue {
	*p = def
	return &durationValue{p: p}
}

func (d *durationValue) String() string {
	if d.p == nil || *d.p == 0 && !d.set {
		return "" // no default shown in --help
	}
	return d.p.String()
}

func (d *durationValue) Set(s string) error {
	v, err := unit.ParseDuration(s)
	if err != nil {
		return err
	}
	*d.p, d.set = v, true
	return nil
}

func (d *durationValue) Type() string { return "duration" }
