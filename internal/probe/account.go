package probe

import (
	"math/bits"
	"time"
)

// bitset is a set of event sequence numbers. A board keeps one of the
// events it received: 10,000 boards × 60 events cost 8 bytes a board.
type bitset []uint64

func (b *bitset) set(i int) {
	w := i >> 6
	for len(*b) <= w {
		*b = append(*b, 0)
	}
	(*b)[w] |= 1 << (uint(i) & 63)
}

func (b bitset) has(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

func (b bitset) word(w int) uint64 {
	if w < len(b) {
		return b[w]
	}
	return 0
}

// span is one connection of a board, in nanoseconds of the probe's
// monotonic clock: from the end of its handshake (up) to the moment the
// board's reader saw it end (down; 0 while it is open). For a connection
// that dropped, alive is the last sign of life on it (a message or a
// pong); it is 0 for one still open or ended by Close.
type span struct {
	up, alive, down int64
	msgs            int64 // data messages received on it
}

// event is when one broadcast was sent and acknowledged, in nanoseconds
// of the probe's monotonic clock; ack is 0 unless the POST was answered
// 2xx.
type event struct {
	sent, ack int64
}

// covers reports whether the connection was up for the whole POST of e:
// open at least settle before it was sent, and known to be alive when its
// 2xx came back.
func (s span) covers(e event, settle int64) bool {
	return s.up+settle <= e.sent && (s.alive == 0 || e.ack <= s.alive)
}

// tally is one board's account of the broadcast events.
type tally struct {
	// expected: acknowledged events the board was connected for;
	// delivered: those of them it received.
	expected, delivered int64
	// notExpected: acknowledged events it was not connected for (all or
	// part of their POST fell into a disconnection); notExpectedDelivered:
	// those it received anyway.
	notExpected, notExpectedDelivered int64
	// deliveredUnacked: events received whose POST was not answered 2xx.
	deliveredUnacked int64
}

// account applies the definition of "expected" (see the package doc) to
// one board: events are the broadcaster's, spans the board's connections,
// seen the events it received, settle the time a new connection needs
// before it is expected to receive broadcasts. It works a word of 64
// events at a time.
func account(events []event, spans []span, seen bitset, settle int64) tally {
	var t tally
	for w := 0; w<<6 < len(events); w++ {
		var a, e uint64 // acknowledged, expected
		for i := w << 6; i < len(events) && i < (w+1)<<6; i++ {
			ev := events[i]
			if ev.ack == 0 {
				continue
			}
			bit := uint64(1) << (uint(i) & 63)
			a |= bit
			for _, s := range spans {
				if s.covers(ev, settle) {
					e |= bit
					break
				}
			}
		}
		s := seen.word(w)
		t.expected += int64(bits.OnesCount64(e))
		t.delivered += int64(bits.OnesCount64(e & s))
		t.notExpected += int64(bits.OnesCount64(a &^ e))
		t.notExpectedDelivered += int64(bits.OnesCount64(a &^ e & s))
		t.deliveredUnacked += int64(bits.OnesCount64(s &^ a))
	}
	return t
}

// disconnected returns how long, within [from, to), no connection of
// spans was up. Spans are in order and do not overlap; an open span lasts
// until to.
func disconnected(spans []span, from, to int64) int64 {
	if to <= from {
		return 0
	}
	up := int64(0)
	for _, s := range spans {
		lo, hi := max(s.up, from), to
		if s.down != 0 {
			hi = min(s.down, to)
		}
		if hi > lo {
			up += hi - lo
		}
	}
	return to - from - up
}

// addAccount accounts one board against the broadcaster's events over the
// window from–to and adds it to s: pb holds what the board counted itself,
// spans are its connections and seen the events it received. The probe and
// loadcheck merge both account boards through it, so that a sharded run
// counts as one run would.
func (s *WSSummary) addAccount(pb Board, spans []span, seen bitset, events []event, from, to int64) {
	t := account(events, spans, seen, int64(settle))
	off := disconnected(spans, from, to)
	pb.Expected, pb.Delivered = t.expected, t.delivered
	pb.NotExpected, pb.NotExpectedDelivered = t.notExpected, t.notExpectedDelivered
	pb.Disconnected = time.Duration(off)
	pb.Ratio = 1
	if t.expected > 0 {
		pb.Ratio = float64(t.delivered) / float64(t.expected)
	}
	s.PerBoard = append(s.PerBoard, pb)
	for _, sp := range spans {
		s.Messages += sp.msgs
	}
	s.Expected += t.expected
	s.Delivered += t.delivered
	s.NotExpected += t.notExpected
	s.NotExpectedDelivered += t.notExpectedDelivered
	s.DeliveredUnacked += t.deliveredUnacked
	s.Duplicates += pb.Duplicates
	s.OutOfOrder += pb.OutOfOrder
	s.Reconnects += pb.Reconnects
	s.Disconnects += pb.Disconnects
	s.UnansweredPings += pb.UnansweredPings
	s.Disconnected += pb.Disconnected
	if pb.Ratio < 1 {
		s.BoardsBelowFull++
	}
}

// setLoss derives Missing, Loss and Dup from the summed counts. When
// broadcasts went out but no delivery could be expected, none can be shown
// delivered: the loss is 100 %.
func (s *WSSummary) setLoss() {
	s.Missing = s.Expected - s.Delivered
	switch {
	case s.Expected > 0:
		s.Loss = 100 * float64(s.Missing) / float64(s.Expected)
		s.Dup = 100 * float64(s.Duplicates) / float64(s.Expected)
	case s.Sent > 0:
		s.Loss = 100
	}
}

// setConnectRate sets ConnectedIn to d, the time the boards took to
// connect, and ConnectRate to Boards per second of it (0 for no time).
func (s *WSSummary) setConnectRate(d time.Duration) {
	s.ConnectedIn = max(d, 0)
	s.ConnectRate = 0
	if d > 0 {
		s.ConnectRate = float64(s.Boards) / d.Seconds()
	}
}
