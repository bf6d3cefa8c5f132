// Package probe measures the real-time side of a target from outside: the
// websocket dispatch boards with the broadcaster that feeds them, and the
// server-sent-events clients.
//
// In the pipeline it runs beside package load and package resource, once
// the target is up: the run starts the boards (StartWS) and the SSE clients
// (StartSSE) before the warm-up, so that connecting is not measured as
// load; runs the broadcaster (WS.Broadcast) for the measured phase; and
// after it calls WS.Close and SSE.Close, which return the WSSummary and
// SSESummary that go into the result, where the ws.* and sse.* gates read
// them.
//
// # Boards
//
// Each board is a github.com/coder/websocket client with one goroutine that
// reads (so pings from the target are answered) and reconnects with
// backoff when its connection ends. Board i starts i × stagger after the
// first, with at most 256 handshakes in flight, so that connecting N
// boards takes a bounded time (the scenario shortens its default stagger
// as boards grow) and the summary states it (ConnectedIn, ConnectRate).
// Each handshake carries the scenario's headers and offers its
// subprotocols, and has a context with its own timeout (10 s).
//
// A board is judged dead only by its connection: a close or reset from
// the peer, or the kernel's TCP keep-alive (15 s idle, 3 probes 5 s apart)
// and user timeout (30 s) for a peer that vanished, all of which end the
// read and count as a disconnect. loadcheck closes no board before Close:
// a board it closed itself would show as the target's disconnect, and the
// events it then missed as not expected rather than lost. A board that has
// received nothing for 15 s is pinged, by one goroutine shared by all
// boards, which waits for a free slot (64 pings in flight) rather than skip
// a board; a ping unanswered within 10 s is counted (UnansweredPings), the
// connection kept. Reads themselves take a context that never ends,
// because coder/websocket allocates per read for one that can (see
// board.read). The X-Worker-Pid header of the upgrade response, when the
// target sends one, is kept as Board.Worker: it shows which worker process
// holds the board.
//
// # Broadcasts
//
// The broadcaster POSTs a JSON object per event to the broadcast path,
//
//	{"<id field>": "<run>-<seq>", "sent_at": "<RFC 3339, ns>", <extra fields>}
//
// with the scenario's broadcast headers, on an open schedule (rate or
// stages; it does not wait for answers, with at most 64 POSTs in flight),
// optionally from a chosen source address so that broadcasts and boards
// can come from different clients (nginx ip_hash). <run> is random per run and <seq> the event's number in the
// schedule: a board parses it back from the id field of each message it
// receives and sets one bit, so the account costs a bit per board and
// event (10,000 boards × 60 events: 80 kB). The broadcaster's latency is
// recorded like an HTTP endpoint's.
//
// # Expected deliveries and loss
//
// Times below are read from loadcheck's monotonic clock. An event is sent
// when its POST is dispatched and acknowledged when a 2xx response to it
// arrives; a board's connection is up from the end of its handshake.
//
// A (board, event) pair is expected when
//
//  1. the event was acknowledged, and
//  2. one connection of the board was up for the whole POST: it had been up
//     for at least 100 ms when the event was sent (a server answers the
//     upgrade before it lists the board), and it was known to be alive
//     when the event was acknowledged. A connection still open at Close is
//     alive throughout; one that dropped is known to be alive until the
//     last message or pong received on it, not until loadcheck noticed the
//     drop, so that an event acknowledged while the connection was already
//     dead, unknown to the board, does not count as lost.
//
// Acknowledged pairs that fail 2 are not expected: they fall into a
// disconnection window and are counted as NotExpected (and those that
// arrived anyway as NotExpectedDelivered), never silently dropped.
// Events whose POST failed are expected of no board; boards that receive
// them anyway count DeliveredUnacked.
//
// A pair is delivered when the board received the event at least once, on
// any of its connections, before Close. Loss = (expected − delivered) ÷
// expected; when broadcasts were sent but none was expected (every POST
// failed), Loss is 100 %. A second receipt of an event by the same board
// is a duplicate; an event whose sequence number is lower than one the
// board already had is out of order (concurrent POSTs may legitimately
// reach a target out of order). Messages without a string id field count
// as NoID, ids of another run as Foreign.
//
// Close waits the scenario's grace period after the last POST was answered
// (not when the run was interrupted), then closes the boards and does the
// account.
//
// # SSE clients
//
// Each SSE client sends the scenario's sse headers, reads text/event-stream
// line by line and counts an event at each blank line that ends one or
// more data lines (comments and an unfinished event at the end of a stream
// do not count). It records the
// time to its first event, the largest gap between events (the time after
// the last one, up to Close, included), disconnects and reconnects (with
// backoff).
//
// # Structure
//
// WS ties together parts with one job each: the fleet of boards
// (fleet.go: start at a bounded rate, stop), each board with its
// connection and read loop (board.go), the dialer that makes and times
// the handshakes (dial.go), the pinger (pinger.go), the inbox that
// recognises what the boards receive (board.go), the broadcaster
// (broadcast.go), which paces its events by schedule.Schedule like the
// HTTP pacer, and the account (account.go, ledger.go). Boards and SSE
// clients reconnect by the one loop and policy of reconnect.go.
//
// WS and SSE are safe for concurrent use. Each starts goroutines that end
// by Close or when the context given to StartWS or StartSSE ends.
package probe
