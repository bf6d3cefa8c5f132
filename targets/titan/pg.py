"""A private PostgreSQL cluster for one titan run (Debian's postgresql package).

launch.py --postgres PORT uses it: the cluster is a copy of a seeded data
directory, served by `postgres` on 127.0.0.1:PORT with its unix socket in the
run's own directory, pg_stat_statements loaded, and stopped (fast shutdown)
with the run. Nothing under /etc or /var/lib/postgresql is touched.

Seeding is paid once per machine: the first run builds the seeded data
directory under TITAN_PG_CACHE (default /var/tmp/titan-pg), keyed by
SCHEMA_VERSION, the PostgreSQL major version and the row counts, into a
temporary name and renames it, so concurrent first runs cannot see half of
it. Later runs copy it (a second or two). Change the schema or the seed ->
bump SCHEMA_VERSION.

As root, initdb and postgres refuse to run; the cluster then belongs to the
`postgres` user that Debian's package creates, and runs as it.

Tables (database titan, user titan, trust authentication on loopback only):
  articles(id, title, body, tsv)     TITAN_PG_ARTICLES rows (300000); tsv is a
                                     stored tsvector with NO index, so a
                                     full-text query scans them all: tens to
                                     hundreds of ms, like production's search
  customers(id, phone, name, notes)  TITAN_PG_CUSTOMERS rows (100000), phone unique
  jobs(id, customer_id, status, revenue, created_at)  TITAN_PG_JOBS rows (200000):
                                     what the SSE poll counts and sums
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

SCHEMA_VERSION = 1
HOST = "127.0.0.1"
DATABASE = "titan"
USER = "titan"
SEED_TIMEOUT = float(os.environ.get("TITAN_PG_SEED_TIMEOUT", "300"))


class Problem(Exception):
    """PostgreSQL cannot run here; the message says what to install or change."""


def _env_rows(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        n = int(raw) if raw else default
    except ValueError:
        raise Problem(f"{name}={raw!r}: want a whole number of rows")
    if not 1000 <= n <= 5_000_000:
        raise Problem(f"{name}={n}: want 1000 to 5000000 rows")
    return n


def bindir() -> str:
    """The directory of initdb and postgres: TITAN_PG_BIN, else the newest
    /usr/lib/postgresql/*/bin."""
    want = os.environ.get("TITAN_PG_BIN")
    dirs = [want] if want else sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                      key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0,
                                      reverse=True)
    for d in dirs:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "postgres")):
            return d
    where = f"TITAN_PG_BIN={want}" if want else "/usr/lib/postgresql/*/bin"
    raise Problem(f"PostgreSQL not found ({where} has no initdb and postgres): "
                  "install it with `apt-get install postgresql postgresql-contrib` (make deps does), "
                  "or set TITAN_PG_BIN to the directory that holds initdb and postgres")


def _owner() -> pwd.struct_passwd | None:
    """The user the cluster runs as: postgres when we are root, else us."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise Problem("running as root, and there is no `postgres` user to own the cluster: "
                      "install Debian's postgresql package (it creates the user), or run as another user")


def _chown_tree(path: str, owner) -> None:
    if owner is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, owner.pw_uid, owner.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), owner.pw_uid, owner.pw_gid, follow_symlinks=False)


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def postgres_argv(bin_dir: str, data: str, port: int, sock: str, listen: str = HOST) -> list[str]:
    return [os.path.join(bin_dir, "postgres"), "-D", data, "-p", str(port), "-k", sock,
            "-c", f"listen_addresses={listen}",
            "-c", "shared_preload_libraries=pg_stat_statements",
            "-c", "pg_stat_statements.track=top",
            "-c", "max_connections=200",
            "-c", "shared_buffers=32MB",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "jit=off", "-c", "max_parallel_workers_per_gather=0",
            "-c", "logging_collector=off", "-c", "log_min_messages=warning"]


def ready(data: str) -> bool:
    """postmaster.pid's eighth line is "ready" once it accepts connections."""
    try:
        with open(os.path.join(data, "postmaster.pid")) as f:
            lines = f.read().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


def psql_argv(bin_dir: str, sock: str, port: int, db: str = DATABASE) -> list[str]:
    psql = os.path.join(bin_dir, "psql")
    if not os.access(psql, os.X_OK):
        psql = shutil.which("psql") or "/usr/bin/psql"
    return [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", sock, "-p", str(port), "-U", USER, "-d", db]


SEED_SQL = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE words AS
  SELECT row_number() OVER () AS n, w FROM unnest(string_to_array(
    'sewer camera drain cleaning water heater tankless install sump pump gas leak backflow test '
    'pipe burst valve faucet toilet clog root intrusion hydro jetting leak detection repipe '
    'copper pex boiler furnace thermostat vent flue septic grease trap lateral main line '
    'slab estimate warranty invoice emergency weekend technician dispatch permit inspection '
    'pressure regulator expansion tank anode rod flush descale filter softener disposal '
    'shutoff meter hose bib spigot sprinkler irrigation trench excavation lining bursting', ' ')) AS w;
CREATE TABLE articles (
  id serial PRIMARY KEY,
  title text NOT NULL,
  body text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED
);
WITH v AS (SELECT array_agg(w ORDER BY n) AS a, count(*)::int AS k FROM words)
INSERT INTO articles (title, body)
SELECT 'Job note ' || g,
       array_to_string(ARRAY(SELECT v.a[1 + (g::bigint * 7919 + r * 104729 + (g % 13) * r * r) % v.k]
                             FROM generate_series(1, 12) r), ' ')
FROM v, generate_series(1, :articles) g;
CREATE TABLE customers (id serial PRIMARY KEY, phone text UNIQUE NOT NULL, name text NOT NULL, notes text NOT NULL);
INSERT INTO customers (phone, name, notes)
SELECT '555-' || lpad((g % 1000)::text, 3, '0') || '-' || lpad((g / 1000)::text, 4, '0'),
       'Customer ' || g, repeat(md5(g::text), 8)
FROM generate_series(0, :customers - 1) g;
CREATE TABLE jobs (id serial PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                   revenue numeric(10,2) NOT NULL, created_at timestamptz NOT NULL);
INSERT INTO jobs (customer_id, status, revenue, created_at)
SELECT 1 + g % :customers, (ARRAY['open','scheduled','done','done','done'])[1 + g % 5],
       (50 + (g * 37) % 2000)::numeric / 1.0, now() - ((g % 90) || ' days')::interval
FROM generate_series(1, :jobs) g;
"""


class Cluster:
    """One run's cluster: prepare() copies the seeded data directory into
    run_dir; argv() is the postgres command to start as a child."""

    def __init__(self, run_dir: str, port: int, log=print):
        self.bin = bindir()
        self.owner = _owner()
        self.port = port
        self.log = log
        self.articles = _env_rows("TITAN_PG_ARTICLES", 300_000)
        self.customers = _env_rows("TITAN_PG_CUSTOMERS", 100_000)
        self.jobs = _env_rows("TITAN_PG_JOBS", 200_000)
        self.run_dir = run_dir
        self.data = os.path.join(run_dir, "pgdata")
        self.sock = os.path.join(run_dir, "pgsock")
        self.cache = os.environ.get("TITAN_PG_CACHE", "/var/tmp/titan-pg")

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@{HOST}:{self.port}/{DATABASE}"

    def user_kwargs(self) -> dict:
        if self.owner is None:
            return {}
        return {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}

    def _major(self) -> str:
        out = subprocess.run([os.path.join(self.bin, "postgres"), "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.split()[-1].split(".")[0] if out.returncode == 0 and out.stdout else "x"

    def seeded(self) -> str:
        """The seeded data directory in the cache, built if missing."""
        key = f"v{SCHEMA_VERSION}-pg{self._major()}-a{self.articles}-c{self.customers}-j{self.jobs}"
        path = os.path.join(self.cache, key)
        if os.path.exists(os.path.join(path, "PG_VERSION")):
            return path
        os.makedirs(self.cache, mode=0o755, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.monotonic()
        self.log(f"seeding PostgreSQL once into {path} ({self.articles} articles, {self.customers} customers, {self.jobs} jobs)")
        try:
            self._build(tmp)
            try:
                os.rename(tmp, path)
            except OSError:
                if not os.path.exists(os.path.join(path, "PG_VERSION")):  # not another run's rename
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.log(f"seeded in {time.monotonic() - t0:.1f}s")
        return path

    def _build(self, data: str) -> None:
        os.makedirs(data, mode=0o700)
        sock = data + ".sock"
        os.makedirs(sock, mode=0o700, exist_ok=True)
        _chown_tree(data, self.owner)
        _chown_tree(sock, self.owner)
        try:
            subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-U", USER, "--auth=trust",
                            "-E", "UTF8", "--locale=C", "--no-sync"], check=True, capture_output=True,
                           timeout=120, **self.user_kwargs())
            # wal_level=minimal: tables created and filled in one
            # transaction write (almost) no WAL, so the copy stays small.
            srv = subprocess.Popen(postgres_argv(self.bin, data, self.port_for_seed(), sock, listen="")
                                   + ["-c", "wal_level=minimal", "-c", "max_wal_senders=0",
                                      "-c", "max_wal_size=64MB", "-c", "min_wal_size=32MB"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **self.user_kwargs())
            try:
                deadline = time.monotonic() + 60
                while not ready(data):
                    if srv.poll() is not None or time.monotonic() > deadline:
                        raise Problem("the seeding server did not start: " + srv.stderr.read().decode(errors="replace")[-2000:])
                    time.sleep(0.05)
                port = self.port_for_seed()
                subprocess.run(psql_argv(self.bin, sock, port, "postgres") + ["-c", f"CREATE DATABASE {DATABASE}"],
                               check=True, capture_output=True, timeout=60)
                subprocess.run(psql_argv(self.bin, sock, port) + ["-1", "-v", f"articles={self.articles}",
                                                                  "-v", f"customers={self.customers}",
                                                                  "-v", f"jobs={self.jobs}"],
                               input=SEED_SQL.encode(), check=True, capture_output=True, timeout=SEED_TIMEOUT)
                subprocess.run(psql_argv(self.bin, sock, port) + ["-c", "VACUUM ANALYZE", "-c", "CHECKPOINT",
                                                                  "-c", "SELECT pg_stat_statements_reset()"],
                               check=True, capture_output=True, timeout=SEED_TIMEOUT)
            finally:
                srv.send_signal(signal.SIGINT)  # fast shutdown: a clean checkpoint
                try:
                    srv.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    srv.kill()
                    srv.wait()
        except subprocess.CalledProcessError as e:
            raise Problem(f"seeding failed: {' '.join(e.cmd[:2])}…: {(e.stderr or b'').decode(errors='replace')[-2000:]}")
        except subprocess.TimeoutExpired as e:
            raise Problem(f"seeding took longer than {e.timeout:.0f}s (TITAN_PG_SEED_TIMEOUT); fewer rows: TITAN_PG_ARTICLES")
        finally:
            shutil.rmtree(sock, ignore_errors=True)
        for f in ("postmaster.pid", "postmaster.opts"):
            try:
                os.unlink(os.path.join(data, f))
            except OSError:
                pass

    def port_for_seed(self) -> int:
        # The seeding server listens on its unix socket only; the port
        # number just names the socket file.
        return 5432

    def prepare(self) -> list[str]:
        """Copy the seeded cluster into the run's directory; the postgres
        command line to start."""
        src = self.seeded()
        shutil.copytree(src, self.data, symlinks=True)
        os.makedirs(self.sock, mode=0o700, exist_ok=True)
        os.chmod(self.data, 0o700)
        _chown_tree(self.data, self.owner)
        _chown_tree(self.sock, self.owner)
        return postgres_argv(self.bin, self.data, self.port, self.sock)
