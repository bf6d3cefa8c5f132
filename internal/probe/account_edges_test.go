package probe

import (
	"math"
	"testing"
	"time"
)

// The account works 64 events a word: an event at a word's edge counts
// in its own word only, a received id past the broadcaster's last event
// is not one of its events, and a board is below full only when it
// missed something. Loss and duplicates are shares of what was expected.
func TestAccountWordEdgesAndShares(t *testing.T) {
	t.Parallel()
	events := make([]event, 65)
	for i := range events {
		events[i] = event{sent: int64(10 + 10*i), ack: int64(15 + 10*i)}
	}
	events[0].ack = 0 // event 0 unacknowledged, event 64 (word 1, bit 0) acknowledged
	var seen bitset
	for i := 1; i < 65; i++ {
		seen.set(i)
	}
	got := account(events, []span{{up: 1}}, seen, 0)
	if want := (tally{expected: 64, delivered: 64}); got != want {
		t.Errorf("65 events, the first unacknowledged: %+v, want %+v", got, want)
	}
	seen.set(129) // an id the broadcaster never sent, in a word past its last
	if got := account(events[:64], []span{{up: 1}}, seen, 0); got.deliveredUnacked != 0 {
		t.Errorf("64 events and ids received past them: %d delivered unacknowledged, want 0", got.deliveredUnacked)
	}

	// addAccount applies the settle time a new connection needs: events
	// sent after it.
	late := make([]event, len(events))
	for i, e := range events {
		late[i] = event{sent: e.sent + int64(settle)}
		if e.ack != 0 {
			late[i].ack = e.ack + int64(settle)
		}
	}
	events = late
	var s WSSummary
	full, half := seen, bitset(nil)
	for i := 1; i < 65; i += 2 {
		half.set(i)
	}
	s.addAccount(Board{ID: 0, Duplicates: 32}, []span{{up: 1}}, full, events, 0, int64(settle)+1000)
	s.addAccount(Board{ID: 1}, []span{{up: 1}}, half, events, 0, int64(settle)+1000)
	s.addAccount(Board{ID: 2}, []span{{up: 1}}, full, events, 0, int64(settle)+1000)
	s.setLoss()
	if s.BoardsBelowFull != 1 || s.PerBoard[0].Ratio != 1 || s.PerBoard[1].Ratio != 0.5 || s.PerBoard[2].Ratio != 1 {
		t.Errorf("boards below full %d, ratios %v and %v; want 1 (only the half board), 1, 0.5", s.BoardsBelowFull, s.PerBoard[0].Ratio, s.PerBoard[1].Ratio)
	}
	if s.Expected != 192 || s.Missing != 32 || math.Abs(s.Loss-100.0/6) > 1e-9 || math.Abs(s.Dup-100.0/6) > 1e-9 {
		t.Errorf("expected %d, missing %d, loss %v%%, dup %v%%; want 192, 32, 16.7, 16.7", s.Expected, s.Missing, s.Loss, s.Dup)
	}
	none := WSSummary{Sent: 3}
	none.setLoss()
	if none.Loss != 100 || none.Dup != 0 {
		t.Errorf("broadcasts sent, none expected: loss %v%%, dup %v%%; want 100, 0", none.Loss, none.Dup)
	}
	quiet := WSSummary{}
	quiet.setLoss()
	if quiet.Loss != 0 {
		t.Errorf("nothing sent: loss %v%%, want 0", quiet.Loss)
	}
}

// The boards' connect rate is boards per second of the time they took;
// none for no time.
func TestAccountConnectRate(t *testing.T) {
	t.Parallel()
	s := WSSummary{Boards: 10}
	s.setConnectRate(2 * time.Second)
	if s.ConnectRate != 5 || s.ConnectedIn != 2*time.Second {
		t.Errorf("10 boards in 2 s: rate %v/s in %v, want 5/s in 2s", s.ConnectRate, s.ConnectedIn)
	}
	for _, d := range []time.Duration{0, -time.Second} {
		s.setConnectRate(d)
		if s.ConnectRate != 0 || s.ConnectedIn != 0 {
			t.Errorf("boards in %v: rate %v/s in %v, want none", d, s.ConnectRate, s.ConnectedIn)
		}
	}
}

// Event ids: the digit 9 is a digit, an id too long for an int is none;
// a nested or scalar value cut off at the end of the message, or an
// empty value, means no id rather than a panic or a guess.
func TestParseEventIDAndIDOfEdges(t *testing.T) {
	t.Parallel()
	if n, ok := parseEventID("r", []byte("r-99")); !ok || n != 99 {
		t.Errorf("parseEventID(r-99) = %d, %v; want 99", n, ok)
	}
	if n, ok := parseEventID("r", []byte("r-2147483647")); !ok || n != 2147483647 {
		t.Errorf("parseEventID(r-2147483647) = %d, %v; want the largest int32", n, ok)
	}
	for _, id := range []string{"r-99999999999", "r-21474836470"} {
		if n, ok := parseEventID("r", []byte(id)); ok {
			t.Errorf("parseEventID(%s) = %d, want none: too long", id, n)
		}
	}
	for _, msg := range []string{`{"a":{"b":1`, `{"a":[1,2`, `{"a":12`, `{"a":,"id":"x"}`, `{"a": ,"id":"x"}`} {
		if id, ok := idOf([]byte(msg), "id"); ok {
			t.Errorf("idOf(%s) = %q, want none", msg, id)
		}
	}
	if id, ok := idOf([]byte(`{"a":{"id":"no"},"n":12,"id":"yes"}`), "id"); !ok || string(id) != "yes" {
		t.Errorf("idOf = %q, %v; want the top-level yes", id, ok)
	}
}

// A shard without the broadcaster times a delivery from the message's
// sent_at, on this probe's clock; the ledger converts readings to Unix
// time and back, keeping 0 for none.
func TestReceiveSentAt(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	in := &inbox{clock: clock{base: base}}
	msg := []byte(`{"id":"r-1","sent_at":"` + base.Add(1500*time.Millisecond).Format(time.RFC3339Nano) + `"}`)
	if got := in.sentAt(msg); got != int64(1500*time.Millisecond) {
		t.Errorf("sentAt = %v, want 1.5s after the probe's base", time.Duration(got))
	}
	if got := in.sentAt([]byte(`{"id":"r-1"}`)); got != 0 {
		t.Errorf("sentAt without sent_at = %v, want 0", got)
	}
	c := clock{base: base}
	if got := c.wall(int64(2 * time.Second)); got != base.Add(2*time.Second).UnixNano() {
		t.Errorf("wall(2s) = %v, want the base plus 2 s", time.Unix(0, got))
	}
	if got := c.wall(0); got != 0 {
		t.Errorf("wall(0) = %v, want 0 (none)", got)
	}
	if got := c.fromWall(base.Add(3 * time.Second).UnixNano()); got != int64(3*time.Second) {
		t.Errorf("fromWall(base+3s) = %v, want 3s", time.Duration(got))
	}
	if got := c.mono(base.Add(4 * time.Second)); got != int64(4*time.Second) {
		t.Errorf("mono(base+4s) = %v, want 4s", time.Duration(got))
	}
}
