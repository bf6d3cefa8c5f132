package probe

import (
	"testing"
)

func TestAccount(t *testing.T) {
	t.Parallel()
	// Events every 10 ns, each answered 5 ns after it was sent; event 3
	// was not acknowledged.
	events := make([]event, 8)
	for i := range events {
		events[i] = event{sent: int64(10 + 10*i), ack: int64(15 + 10*i)}
	}
	events[3].ack = 0
	all := func(ids ...int) bitset {
		var b bitset
		for _, i := range ids {
			b.set(i)
		}
		return b
	}
	tests := []struct {
		name   string
		spans  []span
		seen   bitset
		settle int64
		want   tally
	}{
		{
			name:  "connected throughout, all received",
			spans: []span{{up: 1}},
			seen:  all(0, 1, 2, 4, 5, 6, 7),
			want:  tally{expected: 7, delivered: 7},
		},
		{
			name:  "connected throughout, unacknowledged event received",
			spans: []span{{up: 1}},
			seen:  all(0, 1, 2, 3, 4, 5, 6, 7),
			want:  tally{expected: 7, delivered: 7, deliveredUnacked: 1},
		},
		{
			name:  "half lost",
			spans: []span{{up: 1}},
			seen:  all(0, 2, 4, 6),
			want:  tally{expected: 7, delivered: 4},
		},
		{
			// Alive until 32: event 2 (sent 30, acked 35) was acked after
			// the last sign of life; up again at 50 = event 4's send time.
			name:  "disconnect window",
			spans: []span{{up: 1, alive: 32, down: 40}, {up: 50}},
			seen:  all(0, 1, 2, 4, 5, 6, 7),
			want:  tally{expected: 6, delivered: 6, notExpected: 1, notExpectedDelivered: 1},
		},
		{
			// Seen to drop at 48, but the last sign of life was at 16:
			// events 1 and 2 are in doubt, not lost.
			name:  "drop noticed late",
			spans: []span{{up: 1, alive: 16, down: 48}},
			seen:  all(0),
			want:  tally{expected: 1, delivered: 1, notExpected: 6},
		},
		{
			// Up at 51: event 4 (sent 50) was sent before it was up.
			name:  "connected just after the send",
			spans: []span{{up: 51}},
			seen:  all(5, 6, 7),
			want:  tally{expected: 3, delivered: 3, notExpected: 4},
		},
		{
			// Last alive exactly when event 1's ack came back (25): still
			// counts.
			name:  "ack at the last sign of life",
			spans: []span{{up: 1, alive: 25, down: 30}},
			seen:  all(0),
			want:  tally{expected: 2, delivered: 1, notExpected: 5},
		},
		{
			// Up at 45 with a settle of 5: event 4 (sent 50) is expected;
			// up at 46 it is not.
			name:   "settled in time",
			spans:  []span{{up: 45}},
			settle: 5,
			seen:   all(4, 5, 6, 7),
			want:   tally{expected: 4, delivered: 4, notExpected: 3},
		},
		{
			name:   "not settled",
			spans:  []span{{up: 46}},
			settle: 5,
			seen:   all(4, 5, 6, 7),
			want:   tally{expected: 3, delivered: 3, notExpected: 4, notExpectedDelivered: 1},
		},
		{
			name:  "never connected",
			spans: nil,
			seen:  nil,
			want:  tally{notExpected: 7},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := account(events, tc.spans, tc.seen, tc.settle); got != tc.want {
				t.Errorf("account() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAccountWide(t *testing.T) {
	t.Parallel()
	// 200 events over four words; the board lost every 4th.
	events := make([]event, 200)
	var seen bitset
	for i := range events {
		events[i] = event{sent: int64(i + 1), ack: int64(i + 2)}
		if i%4 != 3 {
			seen.set(i)
		}
	}
	got := account(events, []span{{up: 1}}, seen, 0)
	if want := (tally{expected: 200, delivered: 150}); got != want {
		t.Errorf("account() = %+v, want %+v", got, want)
	}
}

func TestDisconnected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spans    []span
		from, to int64
		want     int64
	}{
		{[]span{{up: 0}}, 10, 100, 0},
		{[]span{{up: 20}}, 10, 100, 10},
		{[]span{{up: 0, down: 40}, {up: 60}}, 10, 100, 20},
		{[]span{{up: 0, down: 40}, {up: 60, down: 90}}, 10, 100, 30},
		{[]span{{up: 0, down: 5}, {up: 120}}, 10, 100, 90},
		{nil, 10, 100, 90},
		{[]span{{up: 0}}, 100, 10, 0},
	}
	for _, tc := range tests {
		if got := disconnected(tc.spans, tc.from, tc.to); got != tc.want {
			t.Errorf("disconnected(%v, %d, %d) = %d, want %d", tc.spans, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestBitset(t *testing.T) {
	t.Parallel()
	var b bitset
	for _, i := range []int{0, 63, 64, 130} {
		b.set(i)
	}
	for i := range 200 {
		want := i == 0 || i == 63 || i == 64 || i == 130
		if b.has(i) != want {
			t.Errorf("has(%d) = %v, want %v", i, b.has(i), want)
		}
	}
	if len(b) != 3 {
		t.Errorf("len = %d words, want 3", len(b))
	}
}

func TestReceive(t *testing.T) {
	t.Parallel()
	var events eventTable
	w := newInbox("event_id", "ab12cd34", false, newClock(), &events)
	table := events.make(4)
	for i := range table {
		table[i].sent.Store(int64(1000 * (i + 1)))
	}
	b := &board{maxSeq: -1, spans: []span{{up: 1}}}
	for i, msg := range []string{
		`{"event_id":"ab12cd34-1","sent_at":"x"}`,
		`{"event_id":"ab12cd34-3"}`,
		`{"event_id":"ab12cd34-0"}`, // out of order
		`{"event_id":"ab12cd34-3"}`, // duplicate
		`{"event_id":"ab12cd34-9"}`, // not sent: foreign
		`{"event_id":"ffffffff-1"}`, // another run
		`{"id":"ab12cd34-2"}`,       // no id in the configured field
		`ping`,
	} {
		w.receive(b, []byte(msg), int64(10000+i))
	}
	got := [...]int64{b.dups, b.outOfOrder, b.foreign, b.noID, b.spans[0].msgs, int64(b.maxSeq)}
	want := [...]int64{1, 1, 2, 2, 8, 3}
	if got != want {
		t.Errorf("dups, outOfOrder, foreign, noID, msgs, maxSeq = %v, want %v", got, want)
	}
	for i, want := range []bool{true, true, false, true} {
		if b.seen.has(i) != want {
			t.Errorf("seen %d = %v, want %v", i, b.seen.has(i), want)
		}
	}
	if n := w.deliveries().Count(); n != 3 {
		t.Errorf("delivery latencies recorded = %d, want 3 (first deliveries)", n)
	}
}
