"""titan: a small FastAPI app shaped like the production service.

It is loadcheck's real reference target (see targets/titan/README.md). It
keeps the production service's shape on purpose, bugs included:

* ``connected_boards`` is a module-level list, one per process. Broadcasts
  with ``BROADCAST_FANOUT=memory`` reach only the boards connected to the
  process that received the POST: under ``--workers 2`` about half of the
  deliveries are silently lost.
* the customer cache is a per-process dict: every worker has its own cold
  misses and its own copy (RSS grows per process).
* the SSE poll loop runs once per process: N workers poll N times.

Every cost is set from the environment so tests know the truth they must
measure (all times in milliseconds):

  SEARCH_MODE         async | blocking | cpu             (default async)
  SEARCH_WAIT_MS      async / blocking wait              (default 50)
  SEARCH_WAIT_MAX_MS  if set and larger, the wait is uniform in
                      [SEARCH_WAIT_MS, SEARCH_WAIT_MAX_MS]
  SEARCH_CPU_MS       CPU time burnt per search in cpu mode (default 10)
  LOOKUP_MISS_MS      awaited on a customer cache miss    (default 5)
  LOOKUP_ENTRY_KIB    bytes kept per cached customer      (default 64)
  ANALYZE_MIN_MS / ANALYZE_MAX_MS   /api/analyze wait     (default 2000 / 5000)
  SSE_INTERVAL_MS     SSE poll period                     (default 1000)
  SSE_POLL_MS         awaited per poll ("the query")      (default 5)
  BROADCAST_FANOUT    memory | redis                      (default memory)
  REDIS_URL           for redis fan-out       (default redis://127.0.0.1:6379/0)
  REDIS_CHANNEL       pub/sub channel                     (default titan:dispatch)
  TITAN_WORKERS       when > 1, /api/health answers 503 until that many
                      sibling worker processes (same parent) have finished
                      start-up (and, with redis fan-out, subscribed), so a
                      readiness probe means "every worker serves".

On real components (launch.py --postgres starts a private PostgreSQL; see pg.py):

  DATABASE_URL        postgresql://… ; when set, each worker opens an asyncpg
                      pool of DB_POOL_SIZE connections (default 5) at start-up:
                      customer cache misses and the SSE poll query it
  SEARCH_DB           asyncpg (the default with DATABASE_URL: a full-text query
                      through the pool, the recommended hardening), psycopg2
                      (the same query on one blocking psycopg2 connection per
                      worker, called from the async handler: it stalls every
                      other request of the worker while it runs) or none (the
                      default without DATABASE_URL: SEARCH_MODE above)
  SSE_POLL            per-worker (one poll loop per process, shared by its SSE
                      clients; the default) or per-client (each connected SSE
                      client polls on its own). A poll is a COUNT(*) of open
                      jobs and a revenue SUM with DATABASE_URL, else a wait of
                      SSE_POLL_MS; one per SSE_INTERVAL_MS (the analysis: 3000)
  EMBEDDINGS_URL      /api/embed?text= embeds text through this upstream
                      (POST, python3-httpx) on a miss of the per-process
                      embeddings cache; a hit calls nothing. Unset: /api/embed
                      answers 503
  STARTUP_S           seconds of CPU work per worker at start-up (default 0),
                      before it serves (a model or index loaded at import)

Runs on Debian 12's packages: fastapi 0.92, starlette 0.26, uvicorn 0.17,
redis-py 4.3 (redis.asyncio). FastAPI 0.92 has no lifespan= argument, so
start-up and shutdown use on_event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import tempfile
import time
from typing import Any, Optional

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"titan: {name}={raw!r} is not an integer")


SEARCH_MODE = os.environ.get("SEARCH_MODE", "async").strip() or "async"
SEARCH_WAIT_MS = _env_int("SEARCH_WAIT_MS", 50)
SEARCH_WAIT_MAX_MS = _env_int("SEARCH_WAIT_MAX_MS", SEARCH_WAIT_MS)
SEARCH_CPU_MS = _env_int("SEARCH_CPU_MS", 10)
LOOKUP_MISS_MS = _env_int("LOOKUP_MISS_MS", 5)
LOOKUP_ENTRY_KIB = _env_int("LOOKUP_ENTRY_KIB", 64)
ANALYZE_MIN_MS = _env_int("ANALYZE_MIN_MS", 2000)
ANALYZE_MAX_MS = max(_env_int("ANALYZE_MAX_MS", 5000), ANALYZE_MIN_MS)
SSE_INTERVAL_MS = max(_env_int("SSE_INTERVAL_MS", 1000), 1)
SSE_POLL_MS = _env_int("SSE_POLL_MS", 5)
BROADCAST_FANOUT = os.environ.get("BROADCAST_FANOUT", "memory").strip() or "memory"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_CHANNEL = os.environ.get("REDIS_CHANNEL", "titan:dispatch")
TITAN_WORKERS = _env_int("TITAN_WORKERS", 0)
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
DB_POOL_SIZE = max(_env_int("DB_POOL_SIZE", 5), 1)
SEARCH_DB = os.environ.get("SEARCH_DB", "").strip() or ("asyncpg" if DATABASE_URL else "none")
SSE_POLL = os.environ.get("SSE_POLL", "per-worker").strip() or "per-worker"
EMBEDDINGS_URL = os.environ.get("EMBEDDINGS_URL", "").strip()
try:
    STARTUP_S = float(os.environ.get("STARTUP_S", "0") or 0)
except ValueError:
    raise SystemExit(f"titan: STARTUP_S={os.environ.get('STARTUP_S')!r} is not a number of seconds")

if SEARCH_MODE not in ("async", "blocking", "cpu"):
    raise SystemExit(f"titan: SEARCH_MODE={SEARCH_MODE!r}: want async, blocking or cpu")
if BROADCAST_FANOUT not in ("memory", "redis"):
    raise SystemExit(f"titan: BROADCAST_FANOUT={BROADCAST_FANOUT!r}: want memory or redis")
if SEARCH_DB not in ("none", "asyncpg", "psycopg2"):
    raise SystemExit(f"titan: SEARCH_DB={SEARCH_DB!r}: want asyncpg, psycopg2 or none")
if SEARCH_DB != "none" and not DATABASE_URL:
    raise SystemExit(f"titan: SEARCH_DB={SEARCH_DB} needs DATABASE_URL (launch.py --postgres sets it)")
if SSE_POLL not in ("per-worker", "per-client"):
    raise SystemExit(f"titan: SSE_POLL={SSE_POLL!r}: want per-worker or per-client")
if not 0 <= STARTUP_S <= 600:
    raise SystemExit(f"titan: STARTUP_S={STARTUP_S}: want 0 to 600 seconds")

PID = os.getpid()
STARTED = time.time()
log = logging.getLogger("uvicorn.error")

# --- module-level state, one copy per worker process (the production shape) --

connected_boards: list[WebSocket] = []  # the bug: per process, not per service
customer_cache: dict[str, bytes] = {}  # per process: N workers, N copies
stats = {
    "searches": 0,
    "lookups": 0,
    "cache_hits": 0,
    "cache_misses": 0,
    "broadcasts_received": 0,  # POSTs handled by this process
    "broadcast_deliveries": 0,  # websocket sends done by this process
    "polls": 0,  # SSE polls in this process (each: COUNT(*) and SUM with a database)
    "analyze": 0,
    "db_queries": 0,  # statements this process sent to PostgreSQL
    "embedding_calls": 0,  # requests to EMBEDDINGS_URL
    "embedding_hits": 0,
}
sse_clients: set[asyncio.Queue] = set()
_last_poll: Optional[dict[str, Any]] = None
_shutting_down = False
_background: list[asyncio.Task] = []
_redis = None  # redis.asyncio.Redis when BROADCAST_FANOUT=redis
_pool = None  # asyncpg pool when DATABASE_URL is set
_blocking_db = None  # psycopg2 connection when SEARCH_DB=psycopg2
_http = None  # httpx.AsyncClient when EMBEDDINGS_URL is set
embeddings_cache: dict[str, list[float]] = {}  # per process, like customer_cache

app = FastAPI(title="titan", docs_url=None, redoc_url=None, openapi_url=None)


# --- X-Worker-Pid on every response (pure ASGI: no buffering of streams) ----


class WorkerPidHeader:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        header = (b"x-worker-pid", str(PID).encode())

        async def send_with_pid(message):
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = dict(message)
                message["headers"] = list(message.get("headers") or []) + [header]
            await send(message)

        await self.app(scope, receive, send_with_pid)


app.add_middleware(WorkerPidHeader)


# --- graceful stop of endless streams ---------------------------------------
# uvicorn 0.17 waits, on SIGTERM, for every open HTTP connection to finish its
# response, with no time limit (--timeout-graceful-shutdown came later). An
# SSE stream never finishes, so a stop would hang until SIGKILL. The stream
# must learn about the signal; uvicorn exposes no hook, so its handler is
# wrapped. app.py is imported (config.load) before uvicorn installs its
# signal handlers, both under `uvicorn` and under gunicorn's UvicornWorker.


def _begin_shutdown() -> None:
    global _shutting_down
    if _shutting_down:
        return
    _shutting_down = True
    for q in list(sse_clients):
        _offer(q, None)


try:
    from uvicorn.server import Server as _UvicornServer

    if not getattr(_UvicornServer.handle_exit, "_titan", False):
        _uvicorn_handle_exit = _UvicornServer.handle_exit

        def _handle_exit(self, sig, frame):
            _begin_shutdown()
            return _uvicorn_handle_exit(self, sig, frame)

        _handle_exit._titan = True  # type: ignore[attr-defined]
        _UvicornServer.handle_exit = _handle_exit  # type: ignore[method-assign]
except ImportError:  # another ASGI server: streams end at lifespan shutdown
    pass


def _offer(q: asyncio.Queue, item) -> None:
    """Put without waiting; a slow client loses its oldest event, not the loop."""
    try:
        q.put_nowait(item)
    except asyncio.QueueFull:
        try:
            q.get_nowait()
        except asyncio.QueueEmpty:
            pass
        q.put_nowait(item)


# --- readiness of sibling workers -------------------------------------------


def _ready_dir() -> str:
    return os.path.join(tempfile.gettempdir(), f"titan-workers-{os.getppid()}")


def _mark_ready() -> None:
    if TITAN_WORKERS > 1:
        d = _ready_dir()
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, str(PID)), "w"):
            pass


def _unmark_ready() -> None:
    if TITAN_WORKERS > 1:
        d = _ready_dir()
        try:
            os.unlink(os.path.join(d, str(PID)))
            os.rmdir(d)  # fails while siblings remain: fine
        except OSError:
            pass


_all_workers_ready = TITAN_WORKERS <= 1


def _workers_ready() -> int:
    n = 0
    try:
        names = os.listdir(_ready_dir())
    except OSError:
        return 0
    for name in names:
        try:
            os.kill(int(name), 0)
            n += 1
        except (ValueError, ProcessLookupError):
            pass
        except PermissionError:
            n += 1
    return n


# --- start-up and shutdown --------------------------------------------------


@app.on_event("startup")
async def startup() -> None:
    global _redis
    if STARTUP_S > 0:
        _burn_cpu(int(STARTUP_S * 1000))  # holds the loop: this worker does not serve yet
    await _open_clients()
    if SSE_POLL == "per-worker":
        _background.append(asyncio.create_task(_sse_poll_loop(), name="sse-poll"))
    if BROADCAST_FANOUT == "redis":
        import redis.asyncio as aioredis

        _redis = aioredis.from_url(REDIS_URL)
        subscribed = asyncio.get_running_loop().create_future()
        _background.append(asyncio.create_task(_redis_subscriber(subscribed), name="redis-sub"))
        # Serve only once subscribed: a broadcast published before this
        # worker listens would be lost to its boards.
        await asyncio.wait_for(subscribed, timeout=20)
    _mark_ready()
    log.info("titan worker %d ready: search=%s fanout=%s", PID, SEARCH_MODE, BROADCAST_FANOUT)


@app.on_event("shutdown")
async def shutdown() -> None:
    _begin_shutdown()
    _unmark_ready()
    for t in _background:
        t.cancel()
    for t in _background:
        try:
            await t
        except BaseException:
            pass
    if _redis is not None:
        try:
            await _redis.close(close_connection_pool=True)
        except Exception:
            pass
    await _close_clients()


async def _open_clients() -> None:
    """The worker's own database pool, blocking connection and HTTP client."""
    global _pool, _blocking_db, _http
    if DATABASE_URL:
        import asyncpg

        # application_name names the worker in pg_stat_activity, so its
        # connections can be counted per process.
        _pool = await asyncpg.create_pool(DATABASE_URL, min_size=DB_POOL_SIZE, max_size=DB_POOL_SIZE,
                                          command_timeout=60, server_settings={"application_name": f"titan-{PID}"})
    if SEARCH_DB == "psycopg2":
        import psycopg2

        _blocking_db = psycopg2.connect(DATABASE_URL, application_name=f"titan-{PID}")
        _blocking_db.autocommit = True
    if EMBEDDINGS_URL:
        import httpx

        _http = httpx.AsyncClient(timeout=30.0)


async def _close_clients() -> None:
    if _pool is not None:
        try:
            await asyncio.wait_for(_pool.close(), timeout=3)
        except Exception:
            _pool.terminate()
    if _blocking_db is not None:
        _blocking_db.close()
    if _http is not None:
        await _http.aclose()


# --- plain pages ---------------------------------------------------------------

INDEX_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>titan dispatch</title></head>
<body><h1>titan dispatch</h1>
<p>Search, customers, dispatch boards.</p>
<ul><li><a href="/emergency">Emergency line</a></li>
<li><a href="/api/health">health</a></li></ul>
</body></html>
"""

EMERGENCY_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Emergency service</title></head>
<body><h1>24/7 emergency service</h1>
<p>Burst pipe, sewer backup, no heat? Call now: a technician is dispatched
within the hour.</p>
<p><strong>Phone: 555-0100</strong></p>
</body></html>
"""


@app.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return HTMLResponse(INDEX_HTML)


@app.get("/emergency", response_class=HTMLResponse)
async def emergency() -> HTMLResponse:
    return HTMLResponse(EMERGENCY_HTML)


@app.get("/api/health")
async def health():
    global _all_workers_ready
    body = {
        "status": "ok",
        "pid": PID,
        "uptime_s": round(time.time() - STARTED, 3),
        "search_mode": SEARCH_MODE,
        "fanout": BROADCAST_FANOUT,
    }
    if not _all_workers_ready:
        ready = _workers_ready()
        if ready < TITAN_WORKERS:
            body.update(status="starting", workers_ready=ready, workers_expected=TITAN_WORKERS)
            return JSONResponse(body, status_code=503)
        _all_workers_ready = True
    return body


# --- search: the slow endpoint --------------------------------------------------


def _burn_cpu(ms: int) -> int:
    """Pure-Python work until this thread has used ms of CPU time."""
    end = time.thread_time() + ms / 1000.0
    x = 0
    while time.thread_time() < end:
        for i in range(1000):
            x = (x * 31 + i) % 1000003
    return x


def _search_wait_s() -> float:
    if SEARCH_WAIT_MAX_MS > SEARCH_WAIT_MS:
        return random.uniform(SEARCH_WAIT_MS, SEARCH_WAIT_MAX_MS) / 1000.0
    return SEARCH_WAIT_MS / 1000.0


SEARCH_SQL = (
    "SELECT id, title, ts_rank(tsv, query) AS rank "
    "FROM articles, plainto_tsquery('english', {}) query "
    "WHERE tsv @@ query ORDER BY rank DESC LIMIT 5"
)


def _search_blocking(q: str) -> list:
    """psycopg2 from an async handler: the event loop waits for the query."""
    with _blocking_db.cursor() as cur:
        cur.execute(SEARCH_SQL.format("%s"), (q,))
        return cur.fetchall()


@app.get("/api/zeus/search")
async def zeus_search(q: str = ""):
    t0 = time.perf_counter()
    if SEARCH_DB != "none":
        if SEARCH_DB == "asyncpg":
            async with _pool.acquire() as conn:
                rows = await conn.fetch(SEARCH_SQL.format("$1"), q or "service")
        else:
            rows = _search_blocking(q or "service")  # the stall: nothing else runs meanwhile
        stats["searches"] += 1
        stats["db_queries"] += 1
        return {
            "q": q,
            "mode": SEARCH_DB,
            "results": [{"rank": i + 1, "title": r[1], "score": round(float(r[2]), 4)} for i, r in enumerate(rows)],
            "took_ms": round((time.perf_counter() - t0) * 1000, 2),
            "pid": PID,
        }
    if SEARCH_MODE == "async":
        await asyncio.sleep(_search_wait_s())  # an awaited outbound call: fine
    elif SEARCH_MODE == "blocking":
        time.sleep(_search_wait_s())  # the common mistake: blocks the event loop
    else:
        _burn_cpu(SEARCH_CPU_MS)  # CPU-bound ranking: holds the GIL
    stats["searches"] += 1
    words = q.split() or ["service"]
    results = [
        {"rank": i + 1, "title": f"{w.title()} — result {i + 1}", "score": round(1 / (i + 1), 3)}
        for i, w in enumerate(words[:5] * 2)
    ][:5]
    return {
        "q": q,
        "mode": SEARCH_MODE,
        "results": results,
        "took_ms": round((time.perf_counter() - t0) * 1000, 2),
        "pid": PID,
    }


# --- customer lookup with a per-process cache ------------------------------------


@app.get("/api/customers/lookup")
async def customer_lookup(phone: str):
    stats["lookups"] += 1
    entry = customer_cache.get(phone)
    hit = entry is not None
    if hit:
        stats["cache_hits"] += 1
    else:
        stats["cache_misses"] += 1
        if _pool is not None:
            await _pool.fetchrow("SELECT id, name, notes FROM customers WHERE phone = $1", phone)
            stats["db_queries"] += 1
        elif LOOKUP_MISS_MS > 0:
            await asyncio.sleep(LOOKUP_MISS_MS / 1000.0)  # the database round trip
        # The cached record: history, notes, invoices ... LOOKUP_ENTRY_KIB per
        # customer, written byte by byte so the pages are really resident.
        seed = (phone + "|").encode()
        size = LOOKUP_ENTRY_KIB * 1024
        entry = (seed * (size // len(seed) + 1))[:size]
        customer_cache[phone] = entry
    digits = "".join(c for c in phone if c.isdigit()) or "0"
    return {
        "phone": phone,
        "customer_id": int(digits[-6:]),
        "name": f"Customer {digits[-4:]}",
        "cached": hit,
        "cache_entries": len(customer_cache),
        "pid": PID,
    }


# --- analyze: I/O-bound, like an outbound LLM call --------------------------------


@app.get("/api/analyze")
async def analyze():
    wait_ms = random.uniform(ANALYZE_MIN_MS, ANALYZE_MAX_MS)
    await asyncio.sleep(wait_ms / 1000.0)
    stats["analyze"] += 1
    return {"summary": "Likely root intrusion; camera inspection advised.", "waited_ms": round(wait_ms), "pid": PID}


@app.get("/api/embed")
async def embed(text: str = ""):
    """Embed text through the upstream on a miss of this process's cache."""
    if _http is None:
        return JSONResponse({"error": "EMBEDDINGS_URL is not set", "pid": PID}, status_code=503)
    t0 = time.perf_counter()
    vector = embeddings_cache.get(text)
    hit = vector is not None
    if hit:
        stats["embedding_hits"] += 1
    else:
        stats["embedding_calls"] += 1
        r = await _http.post(EMBEDDINGS_URL, json={"input": text})
        if r.status_code >= 400:
            return JSONResponse({"error": f"embeddings upstream answered {r.status_code}", "pid": PID}, status_code=502)
        vector = [((hash(text) >> i) & 0xFF) / 255.0 for i in range(0, 64, 8)]
        embeddings_cache[text] = vector
    return {"text": text, "dimensions": len(vector), "cached": hit,
            "waited_ms": round((time.perf_counter() - t0) * 1000), "pid": PID}


# --- dispatch boards: websocket + broadcast ----------------------------------------


@app.websocket("/ws/dispatch")
async def ws_dispatch(websocket: WebSocket):
    await websocket.accept()
    connected_boards.append(websocket)
    try:
        while True:
            await websocket.receive_text()  # boards only listen; ignore input
    except WebSocketDisconnect:
        pass
    finally:
        if websocket in connected_boards:
            connected_boards.remove(websocket)


async def _deliver(text: str) -> int:
    """Send to this process's boards; returns how many got it."""
    sent = 0
    for board in list(connected_boards):
        try:
            await board.send_text(text)
            sent += 1
        except Exception:
            if board in connected_boards:
                connected_boards.remove(board)
    stats["broadcast_deliveries"] += sent
    return sent


@app.post("/api/dispatch/broadcast")
async def dispatch_broadcast(request: Request):
    raw = await request.body()
    try:
        json.loads(raw)
    except ValueError:
        return JSONResponse({"error": "body must be JSON", "pid": PID}, status_code=400)
    text = raw.decode("utf-8")  # forwarded verbatim: the event's id survives
    stats["broadcasts_received"] += 1
    if BROADCAST_FANOUT == "redis":
        receivers = await _redis.publish(REDIS_CHANNEL, text)  # workers subscribed
        return {"fanout": "redis", "published_to_workers": receivers, "pid": PID}
    delivered = await _deliver(text)  # the bug: this process's boards only
    return {"fanout": "memory", "delivered": delivered, "boards": len(connected_boards), "pid": PID}


async def _redis_subscriber(subscribed: asyncio.Future) -> None:
    """Forward every message on REDIS_CHANNEL to this process's boards."""
    backoff = 0.2
    while True:
        pubsub = _redis.pubsub()
        try:
            await pubsub.subscribe(REDIS_CHANNEL)
            async for msg in pubsub.listen():
                if msg["type"] == "subscribe":
                    backoff = 0.2
                    if not subscribed.done():
                        subscribed.set_result(True)
                    continue
                if msg["type"] != "message":
                    continue
                data = msg["data"]
                await _deliver(data.decode("utf-8") if isinstance(data, bytes) else str(data))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # redis restarted or unreachable: retry
            log.warning("titan %d: redis subscriber: %s; retrying in %.1fs", PID, e, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            try:
                await pubsub.reset()
            except Exception:
                pass


# --- SSE: one poll loop per process, shared by this process's clients --------------


POLL_COUNT_SQL = "SELECT count(*) FROM jobs WHERE status = 'open'"
POLL_SUM_SQL = "SELECT coalesce(sum(revenue), 0) FROM jobs WHERE created_at > now() - interval '30 days'"


async def _poll(seq: int) -> dict[str, Any]:
    """One SSE poll: the dashboard's COUNT(*) and revenue SUM."""
    stats["polls"] += 1
    if _pool is not None:
        async with _pool.acquire() as conn:
            open_jobs = await conn.fetchval(POLL_COUNT_SQL)
            revenue = await conn.fetchval(POLL_SUM_SQL)
        stats["db_queries"] += 2
    else:
        if SSE_POLL_MS > 0:
            await asyncio.sleep(SSE_POLL_MS / 1000.0)  # the database query
        open_jobs, revenue = 12 + stats["polls"] % 7, 0
    return {
        "seq": seq,
        "ts": round(time.time(), 3),
        "open_jobs": open_jobs,
        "revenue": float(revenue),
        "boards": len(connected_boards),
        "pid": PID,
    }


async def _poll_loop(deliver) -> None:
    """Poll every SSE_INTERVAL_MS and hand each result to deliver."""
    period = SSE_INTERVAL_MS / 1000.0
    next_at = time.monotonic()
    seq = 0
    while not _shutting_down:
        seq += 1
        try:
            deliver(await _poll(seq))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the database went away: keep the stream, say so
            log.warning("titan %d: SSE poll: %s", PID, e)
        next_at += period
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


async def _sse_poll_loop() -> None:
    """SSE_POLL=per-worker: one loop per process, shared by its clients."""

    def deliver(item):
        global _last_poll
        _last_poll = item
        for q in list(sse_clients):
            _offer(q, item)

    await _poll_loop(deliver)


async def _sse_events(q: asyncio.Queue, own_poll: Optional[asyncio.Task] = None):
    try:
        yield f": connected to worker {PID}\nretry: 1000\n\n"
        while True:
            item = await q.get()
            if item is None:  # server stopping
                return
            yield f"id: {item['seq']}\ndata: {json.dumps(item)}\n\n"
    finally:
        sse_clients.discard(q)
        if own_poll is not None:
            own_poll.cancel()


@app.get("/api/stream")
async def stream():
    q: asyncio.Queue = asyncio.Queue(maxsize=16)
    sse_clients.add(q)
    if _shutting_down:
        _offer(q, None)
    own = None
    if SSE_POLL == "per-client":  # this client's own poll loop, ended with its stream
        own = asyncio.create_task(_poll_loop(lambda item: _offer(q, item)), name="sse-client-poll")
    return StreamingResponse(
        _sse_events(q, own),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- what this process holds ------------------------------------------------------


def _rss_kib() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return -1


@app.get("/api/debug/state")
async def debug_state():
    return {
        "pid": PID,
        "boards": len(connected_boards),
        "sse_clients": len(sse_clients),
        "cache_entries": len(customer_cache),
        "cache_bytes": sum(len(v) for v in customer_cache.values()),
        "polls": stats["polls"],
        "stats": stats,
        "rss_kib": _rss_kib(),
        "search_mode": SEARCH_MODE,
        "search_db": SEARCH_DB,
        "sse_poll": SSE_POLL,
        "embeddings_cached": len(embeddings_cache),
        "fanout": BROADCAST_FANOUT,
        "uptime_s": round(time.time() - STARTED, 3),
    }
