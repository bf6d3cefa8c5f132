package probe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
)

// Ledger is the raw account of one shard's boards, and of the broadcaster
// when the shard ran it, kept so that loadcheck merge can account every
// board of every shard against the one broadcaster's events (MergeWS).
// Times are Unix nanoseconds, so shards on one host, or on hosts whose
// clocks agree, line up; 0 means none.
type Ledger struct {
	// Events are the broadcaster's events in sequence order, as [sent,
	// ack]; ack is 0 unless the POST was answered 2xx. Only the shard that
	// ran the broadcaster has them.
	Events [][2]int64 `json:"events,omitempty"`
	// From and To bound the broadcast window (broadcaster's shard only).
	From   int64         `json:"from_unix_ns,omitempty"`
	To     int64         `json:"to_unix_ns,omitempty"`
	Boards []LedgerBoard `json:"boards"`
}

// LedgerBoard is one board's connections and the events it received.
type LedgerBoard struct {
	// Spans are its connections as [up, alive, down, messages].
	Spans [][4]int64 `json:"spans"`
	// Seen is the bitset of the event sequence numbers it received.
	Seen []uint64 `json:"seen,omitempty"`
}

// Follow is Broadcast for a shard that does not run the broadcaster: it
// prepares the event table for the schedule of the measured phase d, which
// begins after warmup, so this shard's boards recognise the events the
// broadcasting shard sends, and returns when the phase ends or ctx does.
// Call it when the load starts; Close then waits the grace as after a
// broadcast.
func (w *WS) Follow(ctx context.Context, warmup, d time.Duration) error {
	if !w.started.CompareAndSwap(false, true) {
		return errors.New("websocket: broadcast already ran")
	}
	w.events.make(int(w.cfg.Broadcast.Schedule(d).Len()))
	if !sleep(ctx, warmup) {
		return ctx.Err()
	}
	w.win.open(w.clock.now())
	ok := sleep(ctx, d)
	end := time.Now()
	w.win.shut(w.clock.mono(end), end)
	if !ok {
		return ctx.Err()
	}
	return nil
}

// ledger returns the raw account; called by summarize once the boards
// have stopped.
func (w *WS) ledger(events []event, from, to int64) *Ledger {
	c := w.clock
	l := &Ledger{Boards: make([]LedgerBoard, len(w.fleet.boards))}
	if w.bc.sent.Load() > 0 {
		l.From, l.To = c.wall(from), c.wall(to)
		l.Events = make([][2]int64, len(events))
		for i, e := range events {
			l.Events[i] = [2]int64{c.wall(e.sent), c.wall(e.ack)}
		}
	}
	for i, b := range w.fleet.boards {
		lb := LedgerBoard{Spans: make([][4]int64, len(b.spans)), Seen: append([]uint64(nil), b.seen...)}
		for j, sp := range b.spans {
			lb.Spans[j] = [4]int64{c.wall(sp.up), c.wall(sp.alive), c.wall(sp.down), sp.msgs}
		}
		l.Boards[i] = lb
	}
	return l
}

// Shard is one shard's summary (WSSummary or SSESummary) for MergeWS or
// MergeSSE: shard Index of Count (1-based), whose board or client i is
// board or client i·Count+Index-1 of the run.
type Shard[S WSSummary | SSESummary] struct {
	Index, Count int
	Summary      *S
}

// MergeWS accounts the boards of every shard against the broadcaster's
// events, exactly as one process would have (the package doc defines
// "expected"), and sums or merges the rest. Exactly one shard must carry
// the broadcaster's events when any were sent.
func MergeWS(parts []Shard[WSSummary]) (WSSummary, error) {
	var bc *Ledger
	for _, p := range parts {
		if p.Summary.Ledger == nil {
			return WSSummary{}, fmt.Errorf("websocket: shard %d/%d has no ledger (not a sharded run)", p.Index, p.Count)
		}
		if len(p.Summary.Ledger.Events) > 0 || p.Summary.Sent > 0 {
			if bc != nil {
				return WSSummary{}, fmt.Errorf("websocket: shard %d/%d ran a second broadcaster", p.Index, p.Count)
			}
			bc = p.Summary.Ledger
		}
	}
	var events []event
	var from, to int64
	if bc != nil {
		events = make([]event, len(bc.Events))
		for i, e := range bc.Events {
			events[i] = event{sent: e[0], ack: e[1]}
		}
		from, to = bc.From, bc.To
	}
	var s WSSummary
	delivery := record.NewHistogram()
	for _, p := range parts {
		ps := p.Summary
		if err := mergeHist(delivery, ps.DeliveryHist); err != nil {
			return WSSummary{}, fmt.Errorf("websocket: shard %d/%d: %v", p.Index, p.Count, err)
		}
		s.addCounts(ps)
		if ps.Sent > 0 {
			s.Broadcast = ps.Broadcast
		}
		for i, lb := range ps.Ledger.Boards {
			pb := Board{ID: i*p.Count + p.Index - 1}
			if i < len(ps.PerBoard) {
				pb = ps.PerBoard[i]
				pb.ID = i*p.Count + p.Index - 1
			}
			s.addBoard(pb, lb, events, from, to)
		}
	}
	sort.Slice(s.PerBoard, func(i, j int) bool { return s.PerBoard[i].ID < s.PerBoard[j].ID })
	s.setLoss()
	s.setConnectRate(s.ConnectedIn)
	s.Delivery = delivery.Percentiles()
	s.DeliveryHist, _ = delivery.Encode()
	return s, nil
}

// addCounts adds what a shard counted on its own: boards, messages, the
// broadcaster's POSTs, connection troubles. Connection times are kept as
// histograms by no shard: the merge keeps the worst shard's percentiles.
func (s *WSSummary) addCounts(p *WSSummary) {
	s.Boards += p.Boards
	s.Connected += p.Connected
	s.Sent += p.Sent
	s.Acked += p.Acked
	s.ConnectErrors += p.ConnectErrors
	s.NoID += p.NoID
	s.Foreign += p.Foreign
	s.Connect = worst(s.Connect, p.Connect)
	s.ConnectTCP = worst(s.ConnectTCP, p.ConnectTCP)
	s.ConnectedIn = max(s.ConnectedIn, p.ConnectedIn)
}

// addBoard accounts one board of a shard's ledger against the
// broadcaster's events.
func (s *WSSummary) addBoard(pb Board, lb LedgerBoard, events []event, from, to int64) {
	spans := make([]span, len(lb.Spans))
	for j, sp := range lb.Spans {
		spans[j] = span{up: sp[0], alive: sp[1], down: sp[2], msgs: sp[3]}
	}
	s.addAccount(pb, spans, bitset(lb.Seen), events, from, to)
}

// MergeSSE sums the shards' SSE clients; client i of shard Index/Count
// becomes client i·Count+Index-1. Time to first event is kept as
// percentiles by each shard: the merge keeps the worst shard's.
func MergeSSE(parts []Shard[SSESummary]) SSESummary {
	var s SSESummary
	for _, p := range parts {
		ps := p.Summary
		s.Clients += ps.Clients
		s.Connected += ps.Connected
		s.Events += ps.Events
		s.GapMax = max(s.GapMax, ps.GapMax)
		s.Disconnects += ps.Disconnects
		s.Reconnects += ps.Reconnects
		s.NoEvents += ps.NoEvents
		s.FirstEvent = worst(s.FirstEvent, ps.FirstEvent)
		for i, c := range ps.PerClient {
			c.ID = i*p.Count + p.Index - 1
			s.PerClient = append(s.PerClient, c)
		}
	}
	sort.Slice(s.PerClient, func(i, j int) bool { return s.PerClient[i].ID < s.PerClient[j].ID })
	return s
}

func worst(a, b record.Percentiles) record.Percentiles {
	return record.Percentiles{
		P50: max(a.P50, b.P50), P90: max(a.P90, b.P90), P95: max(a.P95, b.P95),
		P99: max(a.P99, b.P99), Max: max(a.Max, b.Max), Mean: max(a.Mean, b.Mean),
	}
}

func mergeHist(into *record.Histogram, enc string) error {
	if enc == "" {
		return nil
	}
	h, err := record.DecodeHistogram(enc)
	if err != nil {
		return err
	}
	into.Merge(h)
	return nil
}
