package probe

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// scripted is a session whose attempts fail or succeed as told, and whose
// connections ask to reconnect as told.
type scripted struct {
	dials   []bool // per attempt: true connects
	serves  []bool // per connection: true asks to reconnect
	firsts  []bool // first, per connection served
	fails   int
	ready   int
	readyAt int // connections served when ready was called
}

func (s *scripted) connect(context.Context) (int, error) {
	ok := s.dials[0]
	s.dials = s.dials[1:]
	if !ok {
		return 0, errors.New("refused")
	}
	return len(s.firsts), nil
}

func (s *scripted) failed(error) { s.fails++ }

func (s *scripted) serve(_ context.Context, _ int, first bool) bool {
	s.firsts = append(s.firsts, first)
	again := s.serves[0]
	s.serves = s.serves[1:]
	return again
}

// The reconnect policy boards and SSE clients share: waits double from
// min to max after failed attempts, fall back to min once connected and
// after a connection ends; ready comes once, before the first connection
// is served or on giving up.
func TestKeepConnected(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	tests := []struct {
		name       string
		dials      []bool
		serves     []bool
		stopAfter  int // pauses allowed before the context ends; -1 none
		waits      []time.Duration
		firsts     []bool
		failed     int
		readyAfter int // connections served before ready
	}{
		{
			name:  "fail, fail, serve, fail, serve and stop",
			dials: []bool{false, false, true, false, true}, serves: []bool{true, false},
			stopAfter: -1,
			waits:     []time.Duration{100 * ms, 200 * ms, 100 * ms, 100 * ms},
			firsts:    []bool{true, false}, failed: 3,
		},
		{
			name:  "backoff capped at max",
			dials: []bool{false, false, false, false, false, false, false, true}, serves: []bool{false},
			stopAfter: -1,
			waits:     []time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 800 * ms, 800 * ms, 800 * ms},
			firsts:    []bool{true}, failed: 7,
		},
		{
			name:  "gives up while backing off: ready all the same",
			dials: []bool{false, false}, stopAfter: 1,
			waits:  []time.Duration{100 * ms, 200 * ms},
			failed: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &scripted{dials: tt.dials, serves: tt.serves}
			var waits []time.Duration
			r := redial{min: 100 * ms, max: 800 * ms, pause: func(_ context.Context, d time.Duration) bool {
				waits = append(waits, d)
				return tt.stopAfter < 0 || len(waits) <= tt.stopAfter
			}}
			keepConnected(context.Background(), r, s, func() { s.ready++; s.readyAt = len(s.firsts) })
			if !slices.Equal(waits, tt.waits) {
				t.Errorf("waits = %v, want %v", waits, tt.waits)
			}
			if !slices.Equal(s.firsts, tt.firsts) {
				t.Errorf("served with first = %v, want %v", s.firsts, tt.firsts)
			}
			if s.fails != tt.failed || s.ready != 1 || s.readyAt != tt.readyAfter {
				t.Errorf("failed, ready calls, served before ready = %d, %d, %d, want %d, 1, %d", s.fails, s.ready, s.readyAt, tt.failed, tt.readyAfter)
			}
		})
	}
}
