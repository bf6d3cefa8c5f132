package probe

import (
	"testing"

	"github.com/loadcheck/loadcheck/internal/record"
)

// Merged, board i of shard K of N is board i·N+K-1 of the run whether or
// not its shard reported it per board (a board missing from PerBoard keeps
// its place and number, one present keeps its own counts); the
// broadcaster's latency is that of the shard that sent.
func TestMergeWSBoardIDsAndBroadcaster(t *testing.T) {
	t.Parallel()
	span := [][4]int64{{1, 0, 0, 0}}
	sender := &WSSummary{
		Sent:      1,
		Broadcast: record.EndpointSummary{Name: "broadcast", Requests: 1},
		PerBoard:  []Board{{Duplicates: 3}},
		Ledger: &Ledger{
			Boards: []LedgerBoard{{Spans: span}, {Spans: span}},
		},
	}
	quiet := &WSSummary{
		PerBoard: []Board{{Duplicates: 5}, {Duplicates: 7}},
		Ledger:   &Ledger{Boards: []LedgerBoard{{Spans: span}, {Spans: span}, {Spans: span}}},
	}
	m, err := MergeWS([]Shard[WSSummary]{{Index: 1, Count: 2, Summary: sender}, {Index: 2, Count: 2, Summary: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	var dups []int64
	for _, b := range m.PerBoard {
		ids = append(ids, b.ID)
		dups = append(dups, b.Duplicates)
	}
	if want := []int{0, 1, 2, 3, 5}; !equal(ids, want) {
		t.Errorf("board ids %v, want %v", ids, want)
	}
	if want := []int64{3, 5, 0, 7, 0}; !equal(dups, want) {
		t.Errorf("duplicates per board %v, want %v (each board its own)", dups, want)
	}
	if m.Broadcast.Requests != 1 || m.Broadcast.Name != "broadcast" {
		t.Errorf("broadcast %+v, want the sending shard's", m.Broadcast)
	}
}

// Merged SSE clients: client i of shard K of N is client i·N+K-1, in
// order.
func TestMergeSSEClientIDs(t *testing.T) {
	t.Parallel()
	a := &SSESummary{Clients: 2, PerClient: make([]SSEClient, 2)}
	b := &SSESummary{Clients: 1, PerClient: make([]SSEClient, 1)}
	m := MergeSSE([]Shard[SSESummary]{{Index: 2, Count: 2, Summary: b}, {Index: 1, Count: 2, Summary: a}})
	var ids []int
	for _, c := range m.PerClient {
		ids = append(ids, c.ID)
	}
	if want := []int{0, 1, 2}; m.Clients != 3 || !equal(ids, want) {
		t.Errorf("%d clients with ids %v, want 3: %v", m.Clients, ids, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
