"""A test service with known downstream work: every GET /work calls the
stub at $STUB_URL $CALLS times (path /embed, one keep-alive connection per
server thread) before it answers; GET /stats returns the service's own
counts, the truth a test compares loadcheck's figures with.

Usage: python3 downstream-caller.py PORT
"""
import http.client
import http.server
import json
import os
import sys
import threading
import urllib.parse

STUB = urllib.parse.urlsplit(os.environ["STUB_URL"])
CALLS = int(os.environ["CALLS"])
lock = threading.Lock()
counts = {"requests": 0, "calls": 0}
local = threading.local()


def call_stub():
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPConnection(STUB.hostname, STUB.port, timeout=10)
    try:
        conn.request("GET", "/embed")
        conn.getresponse().read()
    except (http.client.HTTPException, OSError):
        local.conn = None
        raise


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/work":
            for _ in range(CALLS):
                call_stub()
            with lock:
                counts["requests"] += 1
                counts["calls"] += CALLS
            body = b"ok"
        elif self.path == "/stats":
            with lock:
                body = json.dumps(counts).encode()
        else:
            body = b"ready"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.serve_forever()
