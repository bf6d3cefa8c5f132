package probe

import (
	"time"

	"github.com/loadcheck/loadcheck/internal/record"
)

// WSSummary is what the dispatch boards and the broadcaster measured.
// Loss and Dup are percentages of expected deliveries.
type WSSummary struct {
	Boards    int `json:"boards"`
	Connected int `json:"connected"` // boards connected at the end
	// Sent counts broadcast POSTs; Acked those answered 2xx.
	Sent  int `json:"sent"`
	Acked int `json:"acked"`
	// Expected counts (board, event) pairs whose POST was acknowledged while
	// the board was connected; Delivered those that arrived. The package
	// doc defines "expected" exactly. Loss is Missing / Expected; when
	// broadcasts were sent but no pair was expected, Loss is 100.
	Expected   int64   `json:"expected"`
	Delivered  int64   `json:"delivered"`
	Missing    int64   `json:"missing"`
	Loss       float64 `json:"loss_pct"`
	Duplicates int64   `json:"duplicates"`
	Dup        float64 `json:"dup_pct"`
	OutOfOrder int64   `json:"out_of_order"`
	// Messages counts the data messages the boards received, whatever
	// they held.
	Messages int64 `json:"messages"`
	// NoID counts messages without a string id field; Foreign those whose
	// id is not one of this run's events.
	NoID    int64 `json:"no_id"`
	Foreign int64 `json:"foreign"`
	// NotExpected counts (board, acknowledged event) pairs left out of
	// Expected because the board was disconnected during some of the
	// event's POST; NotExpectedDelivered those of them that arrived
	// anyway. DeliveredUnacked counts (board, event) deliveries of events
	// whose POST was not answered 2xx.
	NotExpected          int64 `json:"not_expected"`
	NotExpectedDelivered int64 `json:"not_expected_delivered"`
	DeliveredUnacked     int64 `json:"delivered_unacked"`
	// BoardsBelowFull counts boards whose Ratio is below 1.
	BoardsBelowFull int `json:"boards_below_full"`
	// Reconnects counts successful reconnections, Disconnects dropped
	// connections (not those Close ended), ConnectErrors failed handshakes.
	// Only the target or the network drops a connection: loadcheck closes
	// none before Close.
	Reconnects    int `json:"reconnects"`
	Disconnects   int `json:"disconnects"`
	ConnectErrors int `json:"connect_errors"`
	// UnansweredPings counts the pings of idle boards that the target did
	// not answer within 10 s; the connections were kept.
	UnansweredPings int64 `json:"unanswered_pings"`
	// ConnectedIn is how long the boards took to connect, from the first
	// board's dial to the last board's first connection; ConnectRate is
	// Boards per second of it. Of a sharded run: the slowest shard's time,
	// and all the boards over it.
	ConnectedIn time.Duration `json:"connected_in_ns"`
	ConnectRate float64       `json:"connect_rate_per_s"`
	// Disconnected is the boards' summed time without a connection during
	// the broadcast window (Board.Disconnected).
	Disconnected time.Duration `json:"disconnected_ns"`
	// Delivery is, for each first delivery of an event to a board, the
	// receive time minus the event's sent_at, both read from loadcheck's
	// monotonic clock (the sent_at in the body is the same moment in wall
	// time, for the target's eyes). DeliveryHist is its HDR histogram,
	// encoded.
	Delivery     record.Percentiles `json:"delivery"`
	DeliveryHist string             `json:"delivery_hdr"`
	// Connect is the websocket handshake time of the boards, from the
	// start of the dial to the 101 response; ConnectTCP its TCP connect
	// alone. Reconnections count too.
	Connect    record.Percentiles `json:"connect"`
	ConnectTCP record.Percentiles `json:"connect_tcp"`
	// Broadcast is the broadcaster's HTTP latency, like an endpoint's.
	Broadcast record.EndpointSummary `json:"broadcast"`
	PerBoard  []Board                `json:"per_board"`
	// Ledger is the raw account of a shard of a sharded run, for
	// loadcheck merge; nil otherwise.
	Ledger *Ledger `json:"ledger,omitempty"`
}

// Board is one dispatch board's account.
type Board struct {
	ID         int     `json:"id"`
	Expected   int64   `json:"expected"`
	Delivered  int64   `json:"delivered"`
	Ratio      float64 `json:"ratio"` // Delivered / Expected, 0–1; 1 when nothing was expected
	Duplicates int64   `json:"duplicates"`
	OutOfOrder int64   `json:"out_of_order,omitempty"`
	// NotExpected and NotExpectedDelivered are the board's share of the
	// WSSummary fields.
	NotExpected          int64 `json:"not_expected,omitempty"`
	NotExpectedDelivered int64 `json:"not_expected_delivered,omitempty"`
	Reconnects           int   `json:"reconnects"`
	Disconnects          int   `json:"disconnects,omitempty"`
	UnansweredPings      int64 `json:"unanswered_pings,omitempty"`
	// Disconnected is the total time the board was not connected during the
	// measured window (from the first broadcast POST to the last answer):
	// events acknowledged then are not expected of it.
	Disconnected time.Duration `json:"disconnected_ns"`
	// Worker is the value of the X-Worker-Pid header of the upgrade
	// response, when the target sends one: it shows which worker holds the
	// board. A board that reconnected to other workers lists each,
	// comma-separated, in order.
	Worker string `json:"worker,omitempty"`
	// From is the board's source address, "" when the system chose it: a
	// proxy that balances by client address (nginx ip_hash) pins the board
	// by it.
	From string `json:"from,omitempty"`
}

// SSESummary is what the server-sent-events clients measured.
type SSESummary struct {
	Clients    int                `json:"clients"`
	Connected  int                `json:"connected"` // at the end
	Events     int64              `json:"events"`
	FirstEvent record.Percentiles `json:"first_event"` // time to first event
	// GapMax is the largest gap between events of one client, the time
	// from its last event to Close included (see SSE.Close).
	GapMax      record.DurationMs `json:"gap_max_ms"`
	Disconnects int               `json:"disconnects"`
	Reconnects  int               `json:"reconnects"`
	// NoEvents counts clients that received no event at all.
	NoEvents  int         `json:"no_events"`
	PerClient []SSEClient `json:"per_client"`
}

// SSEClient is one SSE client's account.
type SSEClient struct {
	ID          int               `json:"id"`
	Events      int64             `json:"events"`
	FirstEvent  record.DurationMs `json:"first_event_ms"`
	GapMax      record.DurationMs `json:"gap_max_ms"`
	Disconnects int               `json:"disconnects"`
	Reconnects  int               `json:"reconnects"`
}
