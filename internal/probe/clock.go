package probe

import "time"

// clock is the probe's monotonic clock: nanoseconds since base. Boards,
// the broadcaster and the account keep times as int64 on it, so that a
// time costs a board 8 bytes and a step of the wall clock moves none of
// them; only the ledger, which crosses processes, converts to Unix time.
type clock struct{ base time.Time }

func newClock() clock { return clock{base: time.Now()} }

// now returns the clock's reading.
func (c clock) now() int64 { return int64(time.Since(c.base)) }

// mono converts t, which must carry a monotonic reading, to the clock.
func (c clock) mono(t time.Time) int64 { return int64(t.Sub(c.base)) }

// wall converts a reading to Unix nanoseconds, keeping 0 for none.
func (c clock) wall(mono int64) int64 {
	if mono == 0 {
		return 0
	}
	return c.base.UnixNano() + mono
}

// fromWall converts Unix nanoseconds to the clock: how a shard without the
// broadcaster reads another host's sent_at.
func (c clock) fromWall(unixNano int64) int64 { return unixNano - c.base.UnixNano() }
