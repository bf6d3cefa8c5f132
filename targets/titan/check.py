"""Hand check of a running titan target: endpoints, boards, broadcasts, SSE.

    /usr/bin/python3 check.py http://127.0.0.1:8000 [--boards 6] [--broadcasts 40]
        [--source 127.0.1.1] [--board-source 127.0.0.1,127.0.1.1] [--skip-analyze]

Calls every endpoint once (each must answer 2xx), opens --boards websocket
boards on /ws/dispatch, POSTs --broadcasts events to /api/dispatch/broadcast
(from --source if given, e.g. another loopback /24 to hit another nginx
ip_hash upstream), waits a second and reports, per worker pid, how many of
the expected (board, event) deliveries arrived. Then reads /api/stream for a
few seconds. Prints a JSON summary last; exits 1 if an endpoint failed.

Uses only Debian's python3-websockets (10.x) and the standard library.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import json
import sys
import time
import urllib.parse

import websockets


def request(base: urllib.parse.SplitResult, method: str, path: str, body: bytes | None = None,
            source: str | None = None, timeout: float = 30.0):
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheader("X-Worker-Pid"), data, (time.perf_counter() - t0) * 1000
    finally:
        conn.close()


def check_endpoints(base, skip_analyze: bool) -> list[dict]:
    paths = [
        ("GET", "/"),
        ("GET", "/api/health"),
        ("GET", "/api/zeus/search?q=sewer+camera"),
        ("GET", "/api/customers/lookup?phone=555-0101"),
        ("GET", "/api/customers/lookup?phone=555-0101"),
        ("GET", "/emergency"),
        ("GET", "/api/debug/state"),
    ]
    if not skip_analyze:
        paths.append(("GET", "/api/analyze"))
    paths.append(("POST", "/api/dispatch/broadcast"))
    out = []
    for method, path in paths:
        body = json.dumps({"id": "probe-0", "kind": "check"}).encode() if method == "POST" else None
        status, pid, data, ms = request(base, method, path, body)
        out.append({"method": method, "path": path, "status": status, "pid": pid, "ms": round(ms, 1)})
        print(f"{method:4} {path:45} {status} pid={pid} {ms:7.1f} ms", flush=True)
    return out


async def check_boards(url: str, base, boards: int, broadcasts: int, source: str | None,
                       board_source: str | None) -> dict:
    ws_url = urllib.parse.urlunsplit(("ws", base.netloc, "/ws/dispatch", "", ""))
    conns = []
    sources = board_source.split(",") if board_source else []
    for n in range(boards):
        kw = {"local_addr": (sources[n % len(sources)], 0)} if sources else {}
        ws = await websockets.connect(ws_url, open_timeout=10, **kw)
        conns.append((ws, ws.response_headers.get("X-Worker-Pid")))
    received = [set() for _ in conns]

    async def reader(i, ws):
        try:
            async for msg in ws:
                try:
                    received[i].add(json.loads(msg).get("id"))
                except ValueError:
                    pass
        except websockets.ConnectionClosed:
            pass

    readers = [asyncio.create_task(reader(i, ws)) for i, (ws, _) in enumerate(conns)]
    await asyncio.sleep(0.2)
    post_pids = collections.Counter()
    loop = asyncio.get_running_loop()
    for n in range(broadcasts):
        body = json.dumps({"id": f"ev-{n}", "kind": "job.assigned", "sent": time.time()}).encode()
        status, pid, _, _ = await loop.run_in_executor(
            None, lambda: request(base, "POST", "/api/dispatch/broadcast", body, source))
        if status // 100 != 2:
            raise SystemExit(f"broadcast {n}: HTTP {status}")
        post_pids[pid] += 1
    await asyncio.sleep(1.0)
    for ws, _ in conns:
        await ws.close()
    for t in readers:
        t.cancel()
    per_pid = collections.defaultdict(lambda: {"boards": 0, "received": 0, "expected": 0})
    for (ws, pid), got in zip(conns, received):
        pid = f"{pid} ({ws.local_address[0]})" if sources else pid
        per_pid[pid]["boards"] += 1
        per_pid[pid]["received"] += len(got)
        per_pid[pid]["expected"] += broadcasts
    expected = boards * broadcasts
    got = sum(len(r) for r in received)
    result = {
        "boards": boards,
        "broadcasts": broadcasts,
        "broadcast_source": source or "default",
        "posts_handled_by_pid": dict(post_pids),
        "boards_by_pid": {k: v for k, v in per_pid.items()},
        "delivered": got,
        "expected": expected,
        "loss_pct": round(100.0 * (expected - got) / expected, 1) if expected else 0.0,
    }
    print(json.dumps(result, indent=1), flush=True)
    return result


async def check_sse(base, seconds: float) -> dict:
    reader, writer = await asyncio.open_connection(base.hostname, base.port)
    writer.write(f"GET /api/stream HTTP/1.1\r\nHost: {base.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    events = 0
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            line = await asyncio.wait_for(reader.readline(), left)
            if not line:
                break
            if line.startswith(b"data:"):  # chunk-size lines stand apart
                events += 1
    except asyncio.TimeoutError:
        pass
    writer.close()
    status = head.split(b" ", 2)[1].decode()
    ctype = [h for h in head.decode().split("\r\n") if h.lower().startswith("content-type")]
    res = {"status": int(status), "content_type": ctype[0] if ctype else "", "events": events, "seconds": seconds}
    print("SSE", json.dumps(res), flush=True)
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--boards", type=int, default=6)
    ap.add_argument("--broadcasts", type=int, default=40)
    ap.add_argument("--source", help="source address of the broadcast POSTs")
    ap.add_argument("--board-source", help="source address(es) of the board websockets; "
                    "a comma-separated list is used in turn")
    ap.add_argument("--sse-seconds", type=float, default=3.5)
    ap.add_argument("--skip-analyze", action="store_true")
    ap.add_argument("--only-boards", action="store_true")
    a = ap.parse_args()
    base = urllib.parse.urlsplit(a.url)
    summary: dict = {}
    ok = True
    if not a.only_boards:
        eps = check_endpoints(base, a.skip_analyze)
        ok = all(e["status"] // 100 == 2 for e in eps)
        summary["endpoints_ok"] = ok
    if a.boards > 0:
        summary["ws"] = asyncio.run(check_boards(a.url, base, a.boards, a.broadcasts, a.source, a.board_source))
    if not a.only_boards and a.sse_seconds > 0:
        summary["sse"] = asyncio.run(check_sse(base, a.sse_seconds))
        ok = ok and summary["sse"]["status"] == 200 and summary["sse"]["events"] >= 1
    print("SUMMARY", json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
