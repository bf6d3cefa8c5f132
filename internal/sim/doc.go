// Package sim is loadcheck's built-in target (`loadcheck sim`): a model of
// a FastAPI app served by uvicorn with N worker processes.
//
// # Why it exists
//
// loadcheck's job is to measure, from outside, what happens when the
// production app moves from one uvicorn worker to several: CPU per
// process, search latency, and the silent loss of websocket broadcasts
// that live in a per-process list. To test loadcheck we need a target
// whose truth is known and set by flags: "this search burns 20 ms of CPU
// under the GIL", "this worker has 3 boards". sim is that target. It also
// makes the first command of the README work on a machine with no Python.
// It is a model, not the real thing: targets/titan is the real thing.
//
// # The model
//
// Processes. Start (or Run) opens one listening TCP socket and starts
// Options.Workers copies of the running executable, handing them the
// socket as fd 3 (exec.Cmd.ExtraFiles), as uvicorn --workers hands its
// socket to its children. Every worker accepts on the same socket, so the
// kernel, not a proxy, spreads connections. A worker is the same binary:
// main (and TestMain in tests) calls MaybeChild first, which turns the
// process into a worker when LOADCHECK_SIM_CHILD=1 is set. Options reach
// workers as JSON in LOADCHECK_SIM_OPTIONS. Each worker also gets fd 4,
// a unix socket to the parent, used to report readiness and to relay
// broadcasts with FanoutShared. Workers die with the parent
// (PR_SET_PDEATHSIG on Linux, EOF on fd 4 elsewhere).
//
// The GIL. Each worker has one lock standing for CPython's GIL and
// uvicorn's single-threaded event loop together. A handler holds it for
// CPU work (a busy loop that runs until its thread has used the configured
// CPU time: 20 ms costs 20 ms of one core) and for blocking work (a sleep
// while holding it: time.sleep or a sync driver inside async def), and
// releases it while awaiting (await asyncio.sleep, an async DB call).
// Every request, SSE poll and accept waits for the lock to be free first,
// because the event loop must come round to it. So with --search-cpu 20ms
// one worker saturates near 50 req/s and two near 100 on two cores, and a
// blocking sleep stalls every request of its worker, health checks too.
//
// Workers run with GOMAXPROCS=1. The GIL already serialises the modelled
// work; one P also keeps the process's own overhead (HTTP parsing, GC) on
// the same single core, so a worker's CPU, like a Python process's, tops
// out near 100 % of one core, which is what the cpu.sustained gate
// measures against. GOMAXPROCS=2 would let that overhead spill onto a
// second core and blur the "busiest process" figure.
//
// Per-process state, the module globals of the app: the list of connected
// dispatch boards, the SSE poll loop, and a lazily filled lookup cache.
// With FanoutProcess a broadcast reaches only the boards of the worker
// that received the POST (about 1/N of the boards are reached, the trap);
// with FanoutShared the worker hands it to the parent, which relays it to
// every worker, as Redis pub/sub would. Each worker polls for SSE on its
// own (N workers, N× the polls). Each worker fills its own cache, so N
// workers pay N cold misses per phone and hold N copies.
//
// # Endpoints
//
// Every response carries PIDHeader (X-Worker-Pid) naming the worker.
//
//	GET  /                         small HTML page
//	GET  /api/health               {"status":"ok","pid":…,"uptime_s":…,"fanout":…}
//	GET  /api/zeus/search?q=       wait SearchWait(+jitter) without the GIL,
//	                               then SearchCPU and SearchBlocking with it;
//	                               {"q":…,"results":[…],"took_ms":…,"pid":…}
//	GET  /api/customers/lookup?phone=
//	                               miss: LookupMiss with the GIL, then keeps
//	                               CacheEntryBytes; hit: free; {"phone":…,
//	                               "customer_id":…,"name":…,"cached":bool,
//	                               "cache_entries":…,"pid":…}
//	GET  /ws/dispatch              websocket; joins this worker's boards
//	                               just after the handshake answers (as in
//	                               the app: accept(), then append), so a
//	                               broadcast sent at once may miss it
//	POST /api/dispatch/broadcast   JSON body sent as one text message to the
//	                               boards; {"boards":…,"delivered":n,
//	                               "skipped":n,"workers":n,"fanout":…,
//	                               "pid":…}, counted over all workers with
//	                               FanoutShared
//	GET  /api/stream               SSE: "id: N" and "data: {seq,ts,boards,pid}"
//	                               once per SSEInterval from this worker's
//	                               poll loop
//	GET  /api/debug/state          State of this worker, for tests
//	GET  /emergency                static page, no cost
//
// Paths, keys and shapes follow targets/titan/app.py, so a scenario runs
// against either.
//
// # Where it differs from uvicorn
//
//   - Go parses HTTP and runs the websocket protocol outside the "GIL";
//     only a brief pass through it per request is modelled, so per-request
//     overhead is far below Python's. Measured CPU is the configured
//     costs plus a little.
//   - A worker accepts only when its GIL is free, but one accept may
//     already be waiting inside the kernel call when a handler takes the
//     lock; uvicorn stops accepting entirely while its loop is blocked.
//   - uvicorn's supervisor restarts a dead worker; here the death of any
//     worker stops the sim (Server.Wait reports it).
//   - With --workers 1 uvicorn serves in its own process; sim always uses
//     one child, so the process tree has an extra, idle parent.
//   - Keep-alive idle timeout is 5 s, like uvicorn's default; there is no
//     --limit-concurrency and the backlog is the kernel's default.
//   - A poll of the SSE loop costs nothing but a pass through the GIL;
//     titan awaits a query (SSE_POLL_MS). A lookup miss here is blocking
//     (GIL held), in titan it is awaited.
//   - There is no /api/analyze; titan has it for the io-bound scenario.
//   - Broadcasts go to the boards one after another with a 2 s write
//     timeout per board; a board that times out is dropped, as a failed
//     send_text would drop it from the list.
//
// # Test hooks
//
// WSDropEvery skips every Nth broadcast to each board, WSDup sends each
// twice, WSCloseAfter closes every board once (status 1012) some time
// after the first connected: they give loss, duplicate and reconnect
// accounting a known answer.
//
// Options.Flags registers all of this on a pflag.FlagSet for the
// `loadcheck sim` command.
package sim
