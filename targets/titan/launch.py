#!/usr/bin/python3
"""Start titan in one of its multi-process shapes on one public port.

    /usr/bin/python3 launch.py --mode gunicorn-redis|nginx-sticky|split --port PORT [--workers N]

loadcheck picks PORT (the target file's {port}); every internal piece (redis,
upstream uvicorns) gets a free loopback port chosen here. Config files, pid
files, logs and nginx's temp directories live in one tempfile.mkdtemp()
directory, so nothing under /etc or /var is touched, as root or not.

Modes (see README.md):
  gunicorn-redis  option B: redis-server + gunicorn -k uvicorn.workers.UvicornWorker
                  -w N on PORT, BROADCAST_FANOUT=redis (every worker subscribes and
                  forwards to its own boards).
  nginx-sticky    option C: nginx ip_hash on PORT in front of N single-worker
                  uvicorn processes, BROADCAST_FANOUT=memory.
  split           option D: nginx on PORT; /ws/, /api/stream, /api/dispatch/ go to a
                  1-worker uvicorn (its in-memory board list is complete), everything
                  else to a `uvicorn --workers N`.

The launcher prints one "ready" line when every piece serves (and the public
port answers /api/health with 200). On SIGTERM or SIGINT it stops the pieces
(front first), waits, deletes its directory and exits 0. If a piece dies, it
stops the rest and exits 1 with the piece's name and the tail of its output on
stderr. Children get PR_SET_PDEATHSIG, so a SIGKILLed launcher leaves nothing.
Environment (SEARCH_MODE, SEARCH_WAIT_MS, ...) passes through to the app.
TITAN_KEEP_TMP=1 keeps the directory (configs and each piece's log) for debugging.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pg

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.environ.get("TITAN_PYTHON", "/usr/bin/python3")
GUNICORN = os.environ.get("TITAN_GUNICORN", "/usr/bin/gunicorn")
NGINX = os.environ.get("TITAN_NGINX", "/usr/sbin/nginx")
REDIS = os.environ.get("TITAN_REDIS", "/usr/bin/redis-server")
HOST = "127.0.0.1"
# option A's tuning, used for every uvicorn started here (--loop, --http and
# --limit-concurrency of launch.py change it)
UVICORN_TUNING = ["--loop", "uvloop", "--http", "httptools", "--limit-concurrency", "200", "--backlog", "4096"]

START_TIMEOUT = float(os.environ.get("TITAN_START_TIMEOUT", "50"))
STOP_TIMEOUT = float(os.environ.get("TITAN_STOP_TIMEOUT", "8"))  # under loadcheck's 10s grace

_stop_signal: int | None = None


def _on_signal(signum, _frame):
    global _stop_signal
    _stop_signal = signum


def say(msg: str) -> None:
    print(f"titan-launch[{os.getpid()}]: {msg}", file=sys.stderr, flush=True)


# --- children ----------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


class Child:
    def __init__(self, name: str, argv: list[str], tmp: str, tier: int, env: dict | None = None,
                 cwd: str = HERE, stop_signal: int = signal.SIGTERM, user: dict | None = None):
        self.name, self.argv, self.tier, self.stop_signal = name, argv, tier, stop_signal
        self.log_path = os.path.join(tmp, f"{name}.log")
        launcher = os.getpid()

        def pre():
            # die with the launcher even if it is SIGKILLed (set here, after
            # subprocess has switched user: a uid change clears it)
            _libc.prctl(_PR_SET_PDEATHSIG, stop_signal, 0, 0, 0)
            if os.getppid() != launcher:
                os._exit(1)

        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, preexec_fn=pre, **(user or {}))

    def tail(self, lines: int = 25) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16384))
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            return f"(no output: {e})"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"


class Failed(Exception):
    pass


class Launcher:
    def __init__(self, tmp: str):
        self.tmp = tmp
        self.children: list[Child] = []

    def start(self, name, argv, tier, env=None, stop_signal=signal.SIGTERM, user=None) -> Child:
        c = Child(name, argv, self.tmp, tier, env, stop_signal=stop_signal, user=user)
        self.children.append(c)
        say(f"started {name} pid {c.proc.pid}: {' '.join(argv)}")
        return c

    def check(self) -> None:
        """Raise Failed if a child has exited, or return if a stop was asked."""
        for c in self.children:
            rc = c.proc.poll()
            if rc is not None:
                # A group-wide SIGTERM reaches the children and us together:
                # give our handler a moment before calling it a crash.
                time.sleep(0.2)
                if _stop_signal is not None:
                    return
                how = f"was killed by {signal.Signals(-rc).name}" if rc < 0 else f"exited with status {rc}"
                raise Failed(f"{c.name} (pid {c.proc.pid}) {how}; "
                             f"last output:\n{c.tail()}")

    def wait_until(self, what: str, ok, deadline: float) -> bool:
        """Poll ok() until it is true; False if a stop signal came first."""
        while True:
            if _stop_signal is not None:
                return False
            self.check()
            if _stop_signal is not None:
                return False
            if ok():
                return True
            if time.monotonic() > deadline:
                raise Failed(f"timed out after {START_TIMEOUT:.0f}s waiting for {what}; output:\n"
                             + "\n".join(f"--- {c.name}:\n{c.tail(10)}" for c in self.children))
            time.sleep(0.05)

    def stop(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        tree = descendants(os.getpid())
        for tier in sorted({c.tier for c in self.children}, reverse=True):
            group = [c for c in self.children if c.tier == tier and c.proc.poll() is None]
            for c in group:
                try:
                    c.proc.send_signal(c.stop_signal)
                except ProcessLookupError:
                    pass
            for c in group:
                t0 = time.monotonic()
                try:
                    c.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    say(f"{c.name} (pid {c.proc.pid}) ignored SIGTERM; killing it")
                    c.proc.kill()
                    c.proc.wait()
                say(f"{c.name} stopped after {time.monotonic() - t0:.2f}s (status {c.proc.returncode})")
        # uvicorn --workers and gunicorn workers are grandchildren: their
        # parent normally stops them, but if it had to be killed they would
        # be orphaned (PDEATHSIG covers direct children only).
        left = [(pid, start) for pid, start in tree if proc_start(pid) == start]
        t_end = time.monotonic() + 1.0  # e.g. multiprocessing's resource tracker exits by itself
        while left and time.monotonic() < t_end:
            time.sleep(0.05)
            left = [(pid, start) for pid, start in left if proc_start(pid) == start]
        for pid, start in left:
            if proc_start(pid) == start:
                say(f"killing leftover process {pid}")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def proc_start(pid: int) -> str | None:
    """The start time of a live pid (field 22 of /proc/pid/stat): tells reused
    pids apart. None for a zombie or a pid that is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def descendants(root: int) -> list[tuple[int, str]]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(name))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        start = proc_start(pid)
        if start is not None:
            out.append((pid, start))
        todo.extend(children.get(pid, []))
    return out


# --- probes ------------------------------------------------------------------------


def free_ports(n: int, avoid: set[int]) -> list[int]:
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            p = s.getsockname()[1]
            if p not in avoid and p not in ports:
                ports.append(p)
    finally:
        for s in socks:
            s.close()
    return ports


def http_ok(port: int, path: str = "/api/health") -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def redis_ok(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


# --- configuration files -----------------------------------------------------------

NGINX_HEAD = """\
# written by targets/titan/launch.py; lives and dies with {tmp}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;

    # WebSocket upgrade: pass Upgrade on, and "Connection: upgrade" only when
    # the client asked; otherwise an empty Connection keeps upstream keep-alive.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_read_timeout 3600s;   # boards and SSE clients stay for the whole run
    proxy_send_timeout 3600s;
"""

SSE_LOCATION = """\
        location = /api/stream {{
            proxy_pass http://{upstream};
            proxy_buffering off;    # each SSE event leaves at once
            proxy_cache off;
        }}
"""


def nginx_sticky_conf(tmp: str, port: int, upstream_ports: list[int]) -> str:
    # ip_hash picks one of the `server` lines below by the client address, so
    # stickiness needs one upstream address per worker: N single-worker
    # uvicorn processes. A single `uvicorn --workers N` is one address (its
    # workers share one listening socket and the kernel hands out
    # connections), so nginx could not pin a client to a worker at all.
    # Note: for IPv4 ip_hash uses only the first three octets, so 127.0.0.1
    # and 127.0.0.2 always land on the same upstream; 127.0.1.1 (another /24)
    # lands on the other one of two.
    servers = "".join(f"        server {HOST}:{p};\n" for p in upstream_ports)
    return NGINX_HEAD.format(tmp=tmp) + f"""
    upstream titan {{
        ip_hash;
{servers}        keepalive 64;
    }}
    server {{
        listen {HOST}:{port} backlog=4096;
{SSE_LOCATION.format(upstream="titan")}
        location / {{
            proxy_pass http://titan;
        }}
    }}
}}
"""


def nginx_split_conf(tmp: str, port: int, rt_port: int, pool_port: int) -> str:
    return NGINX_HEAD.format(tmp=tmp) + f"""
    upstream realtime {{              # one process: its connected_boards list is complete
        server {HOST}:{rt_port};
        keepalive 32;
    }}
    upstream pool {{                  # uvicorn --workers N: stateless HTTP routes
        server {HOST}:{pool_port};
        keepalive 64;
    }}
    server {{
        listen {HOST}:{port} backlog=4096;
        location /ws/ {{
            proxy_pass http://realtime;
        }}
{SSE_LOCATION.format(upstream="realtime")}
        location /api/dispatch/ {{
            proxy_pass http://realtime;
        }}
        location = /api/debug/realtime {{   # the real-time process's /api/debug/state
            proxy_pass http://realtime/api/debug/state;
        }}
        location / {{
            proxy_pass http://pool;
        }}
    }}
}}
"""


def redis_conf(tmp: str, port: int) -> str:
    return f"""\
# written by targets/titan/launch.py: a throw-away pub/sub broker
bind {HOST}
port {port}
protected-mode yes
daemonize no
save ""
appendonly no
dir {tmp}
logfile ""
databases 1
"""


# --- modes -------------------------------------------------------------------------


def app_env(**over) -> dict:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in over.items()})
    return env


def uvicorn_argv(port: int, workers: int = 1) -> list[str]:
    argv = [PYTHON, "-m", "uvicorn", "app:app", "--host", HOST, "--port", str(port)] + UVICORN_TUNING
    if workers > 1:
        argv += ["--workers", str(workers)]
    return argv


def write(path: str, text: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    return path


def start_postgres(L: Launcher, pg_port: int) -> str | None:
    """Start the run's private PostgreSQL cluster (pg.py) on pg_port; its
    URL, which the app reads from DATABASE_URL, or None if stopped meanwhile.
    It stops last (tier -1), on SIGINT: a fast shutdown that does not wait
    for clients to disconnect."""
    cluster = pg.Cluster(L.tmp, pg_port, log=say)
    if not pg.port_free(pg_port):
        raise pg.Problem(f"PostgreSQL's port {HOST}:{pg_port} is taken (another run, or a PostgreSQL "
                         f"server?): stop what listens there, or pass another --postgres port and "
                         f"name the same port in the target file's postgres downstream dsn")
    argv = cluster.prepare()  # the first run on a machine seeds the cache first
    deadline = time.monotonic() + START_TIMEOUT
    L.start("postgres", argv, tier=-1, stop_signal=signal.SIGINT, user=cluster.user_kwargs())
    if not L.wait_until(f"postgres on port {pg_port}", lambda: pg.ready(cluster.data), deadline):
        return None
    return cluster.url


def run_mode(L: Launcher, mode: str, port: int, workers: int, pg_port: int = 0, redis_port: int = 0) -> bool:
    """Start every piece; True when all serve, False if stopped meanwhile."""
    tmp = L.tmp
    if pg_port:
        url = start_postgres(L, pg_port)
        if url is None:
            return False
        os.environ["DATABASE_URL"] = url  # every app_env() below passes it on
    deadline = time.monotonic() + START_TIMEOUT
    if mode == "uvicorn":
        L.start("uvicorn", uvicorn_argv(port, workers), tier=0,
                env=app_env(BROADCAST_FANOUT="memory", TITAN_WORKERS=workers if workers > 1 else 0))
        return L.wait_until(f"uvicorn on port {port}", lambda: http_ok(port), deadline)
    if mode == "gunicorn-redis":
        (rport,) = [redis_port] if redis_port else free_ports(1, {port})
        if redis_port and not pg.port_free(redis_port):
            raise pg.Problem(f"Redis's port {HOST}:{redis_port} is taken: stop what listens there, or pass another "
                             f"--redis-port and name the same port in the target file's redis downstream")
        conf = write(os.path.join(tmp, "redis.conf"), redis_conf(tmp, rport))
        L.start("redis", [REDIS, conf, "--port", str(rport), "--save", "", "--appendonly", "no"], tier=0)
        if not L.wait_until(f"redis on port {rport}", lambda: redis_ok(rport), deadline):
            return False
        env = app_env(BROADCAST_FANOUT="redis", REDIS_URL=f"redis://{HOST}:{rport}/0",
                      TITAN_WORKERS=workers)
        L.start("gunicorn", [GUNICORN, "-k", "uvicorn.workers.UvicornWorker", "-w", str(workers),
                             "-b", f"{HOST}:{port}", "--chdir", HERE, "--graceful-timeout", "5",
                             "app:app"], tier=1, env=env)
        # /api/health answers 200 only once all workers have subscribed.
        return L.wait_until(f"gunicorn on port {port}", lambda: http_ok(port), deadline)

    if mode == "nginx-sticky":
        ups = free_ports(workers, {port})
        for i, p in enumerate(ups):
            L.start(f"uvicorn-{chr(ord('a') + i)}", uvicorn_argv(p), tier=0,
                    env=app_env(BROADCAST_FANOUT="memory", TITAN_WORKERS=0))
        for p in ups:
            if not L.wait_until(f"uvicorn on port {p}", lambda p=p: http_ok(p), deadline):
                return False
        conf = write(os.path.join(tmp, "nginx.conf"), nginx_sticky_conf(tmp, port, ups))
    elif mode == "split":
        rt, pool = free_ports(2, {port})
        L.start("uvicorn-realtime", uvicorn_argv(rt), tier=0,
                env=app_env(BROADCAST_FANOUT="memory", TITAN_WORKERS=0))
        L.start("uvicorn-pool", uvicorn_argv(pool, workers), tier=0,
                env=app_env(BROADCAST_FANOUT="memory", TITAN_WORKERS=workers))
        for p in (rt, pool):
            if not L.wait_until(f"uvicorn on port {p}", lambda p=p: http_ok(p), deadline):
                return False
        conf = write(os.path.join(tmp, "nginx.conf"), nginx_split_conf(tmp, port, rt, pool))
    else:
        raise Failed(f"unknown mode {mode!r}")

    L.start("nginx", [NGINX, "-p", tmp, "-e", "stderr", "-c", conf, "-g", "daemon off;"], tier=1)
    return L.wait_until(f"nginx on port {port}", lambda: http_ok(port), deadline)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", required=True, choices=["uvicorn", "gunicorn-redis", "nginx-sticky", "split"])
    ap.add_argument("--port", required=True, type=int, help="public port on 127.0.0.1")
    ap.add_argument("--workers", type=int, default=2,
                    help="gunicorn workers, sticky upstreams, or split HTTP-pool workers (default 2)")
    ap.add_argument("--postgres", type=int, default=0, metavar="PG_PORT",
                    help="start a private PostgreSQL cluster (pg.py) on 127.0.0.1:PG_PORT first; "
                         "the app gets DATABASE_URL")
    ap.add_argument("--redis-port", type=int, default=0,
                    help="gunicorn-redis: Redis on this port rather than a free one, so that a target "
                         "file can name it (its redis downstream)")
    ap.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"], help="uvicorn --loop (default uvloop)")
    ap.add_argument("--http", default="httptools", choices=["httptools", "h11"], help="uvicorn --http (default httptools)")
    ap.add_argument("--limit-concurrency", type=int, default=200,
                    help="uvicorn --limit-concurrency; 0 for none (default 200)")
    a = ap.parse_args()
    if a.workers < 1:
        ap.error("--workers must be at least 1")
    UVICORN_TUNING[:] = ["--loop", a.loop, "--http", a.http, "--backlog", "4096"]
    if a.limit_concurrency > 0:
        UVICORN_TUNING[4:4] = ["--limit-concurrency", str(a.limit_concurrency)]

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    # Fail at once, in words loadcheck recognises (it then retries on
    # another port), rather than after the pieces have started.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((HOST, a.port))
    except OSError as e:
        say(f"cannot listen on {HOST}:{a.port}: {e.strerror.lower() if e.strerror else e}")
        return 1

    tmp = tempfile.mkdtemp(prefix=f"titan-{a.mode}-")
    os.chmod(tmp, 0o711)  # nginx workers run as nobody and need to reach their temp dirs
    L = Launcher(tmp)
    status = 0
    t0 = time.monotonic()
    try:
        if run_mode(L, a.mode, a.port, a.workers, a.postgres, a.redis_port):
            pids = " ".join(f"{c.name}={c.proc.pid}" for c in L.children)
            say(f"ready in {time.monotonic() - t0:.2f}s: mode={a.mode} port={a.port} {pids}")
            while _stop_signal is None:
                L.check()
                time.sleep(0.1)
        say(f"signal {_stop_signal}: stopping")
    except Failed as e:
        say(f"{a.mode}: {e}")
        status = 1
    except pg.Problem as e:  # what to install or change: bad input, not a crash
        say(f"{a.mode}: {e}")
        status = 2
    except Exception as e:  # a bug here must still stop the children
        say(f"{a.mode}: launcher error: {e!r}")
        status = 1
    finally:
        L.stop()
        if os.environ.get("TITAN_KEEP_TMP"):
            say(f"kept {tmp} (TITAN_KEEP_TMP)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"stopped (exit {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
