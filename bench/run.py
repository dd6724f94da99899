"""NovaCart under load, measured beside a Node.js Socket.IO peer: `make bench` (python -m bench.run).

Starts the real system (the web with WEB_CONCURRENCY 1 and 2 gevent processes, a Celery worker, a private
Redis; SQLite or PostgreSQL) through tests/e2e/harness.py, seeds users in bulk, and drives it with Node
load clients holding the sockets (bench/loadclient). The peer (bench/peer) is a minimal Node Socket.IO server
doing the same push work minus storage, with 1 and 2 processes (Node's cluster module); it runs in the same
command, after NovaCart, so every figure has a ratio (NovaCart ×N against the peer ×N).

Every run starts with a calibration figure: a fixed, client-free CPU job (seeding 10,000 users into a fresh
SQLite database, median of 3), so that figures from hosts of different speeds can be compared.

Scenarios
  1 capacity   N authenticated sockets on the web tier: time to connect all, RSS per connection (all web
               processes), idle CPU over a whole ping interval that starts after every socket's first ping.
               20,000 sockets need more than one process (this sandbox caps a process at 20,000 descriptors).
  2 latency    with 1,000 sockets at 300/500/700/1,000 a second and 10,000 at 200/400: POST /api/notifications
               to random users, open-loop; full path (API call sent → received) p50/p95/p99.
  3 fan-out    one promotion to 10,000 connected customers: stored for all, delivered to all.
  4 replay     1,000 users reconnect at once, 20 queued notifications each: until every queue is
               drained and acknowledged (no delivery rows left).
  5 database   bench/db_scale.py: a million notifications; first page, unread count, mark-all-read.
  6 overload   with 1,000 sockets, twice the highest rate scenario 2 held (p99 ≤ 100 ms), through many
               connections: connection resets (none allowed), accepted p99 (≤ 1 s), the rest 503 + Retry-After.

Examples
  python -m bench.run                                   # everything (about 30 minutes)
  python -m bench.run --quick                           # smoke run, small sizes (a few minutes)
  python -m bench.run --scenarios 2 --concurrency 2 --sockets 1000 --no-peer
  python -m bench.run --postgres                        # PostgreSQL instead of SQLite

A full run (default scenarios, modes and sizes) writes bench/results.json, the plot and the tables
in docs/performance.md; any other run writes bench/results/latest.json unless --out is given.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SCRATCH = BENCH / "results"
sys.path.insert(0, str(ROOT))

from bench import procs  # noqa: E402
from tests.e2e.harness import SECRETS, System, free_port, start_system, wait_until  # noqa: E402
from tests.system.harness import RedisServer  # noqa: E402

DEFAULT_SOCKETS = [1000, 10000, 20000]
DEFAULT_LATENCY_SOCKETS = [1000, 10000]
DEFAULT_RATES = {1000: [300, 500, 700, 1000], 10000: [200, 400]}
DEFAULT_MODES = ["gevent"]
DEFAULT_CONCURRENCY = [1, 2]
DEFAULT_SCENARIOS = [1, 2, 3, 4, 5, 6]
CALIBRATION_USERS, CALIBRATION_RUNS = 10_000, 3
FD_RESERVE = 1000  # descriptors a process keeps for other things than sockets (database, Redis, files)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- environment -------------------------------------------------------------------------------


def raise_fd_limit(want: int = 65536) -> tuple[int, int]:
    """10,000 sockets need > 20,000 descriptors on one machine (both ends); children inherit this."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        target = max(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, target))  # root may raise the hard limit
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def node_bin() -> Path:
    out = subprocess.run([str(ROOT / "scripts" / "node.sh")], capture_output=True, text=True, check=True, timeout=300)
    return Path(out.stdout.strip().splitlines()[-1])


def npm_ci(folder: Path, bin_dir: Path) -> None:
    """npm ci when node_modules is missing or older than the lock file."""
    stamp = folder / "node_modules" / ".lock.sha"
    import hashlib

    want = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    say(f"npm ci in {folder.relative_to(ROOT)}")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    subprocess.run(
        [str(bin_dir / "npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        env=env,
        check=True,
        timeout=600,
    )
    stamp.write_text(want)


def instrument(prefix: str) -> tuple[Path, Path, RedisServer]:
    """What every benchmark here starts with: descriptors raised, Node and the load client's packages, a
    scratch directory and a private Redis (started; the caller stops it and removes the directory)."""
    raise_fd_limit()
    node = node_bin()
    npm_ci(BENCH / "loadclient", node)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    redis = RedisServer(workdir, maxclients=10000)
    redis.start()
    return node, workdir, redis


def wait_for_quiet_machine(limit: float, max_wait: float) -> list[float]:
    """Other people run tests here: wait (bounded) until the 1-minute load average is below `limit`."""
    deadline = time.monotonic() + max_wait
    while True:
        load = list(os.getloadavg())
        if load[0] <= limit or time.monotonic() > deadline:
            if load[0] > limit:
                say(f"load average still {load[0]:.2f} after waiting; running anyway (noted in the results)")
            return [round(x, 2) for x in load]
        say(f"load average {load[0]:.2f} > {limit}: someone else is busy; waiting 30 s")
        time.sleep(30)


class Postgres:
    """A fresh database per system on the server scripts/postgres.sh starts (dropped afterwards)."""

    def __init__(self):
        out = subprocess.run(
            [str(ROOT / "scripts" / "postgres.sh"), "novacart_bench"],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        self.base = out.stdout.strip().splitlines()[-1]
        self.created: list[str] = []

    def _admin(self):
        import sqlalchemy as sa

        url = sa.engine.make_url(self.base.replace("postgresql://", "postgresql+psycopg://", 1))
        return sa, url, sa.create_engine(url, isolation_level="AUTOCOMMIT")

    def fresh(self) -> str:
        sa, url, admin = self._admin()
        name = f"novacart_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return (
            url.set(database=name)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg://", "postgresql://")
        )

    def version(self) -> str:
        sa, _, admin = self._admin()
        with admin.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        admin.dispose()
        return str(version)

    def drop_all(self) -> None:
        if not self.created:
            return
        sa, _, admin = self._admin()
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the load client ------------------------------------------------------------------------------


class LoadClient:
    """bench/loadclient/client.js: one JSON command a line in, one reply a line out."""

    def __init__(self, node: Path, log: Path):
        self.proc = subprocess.Popen(
            [str(node / "node"), "--max-old-space-size=4096", str(BENCH / "loadclient" / "client.js")],
            cwd=BENCH / "loadclient",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("ab"),
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self.replies: dict[int, dict] = {}
        self.cond = threading.Condition()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.replies[message.get("id")] = message
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send(self, cmd: str, **args: Any) -> int:
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        return self.next_id

    def wait(self, ident: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while ident not in self.replies:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"load client gave no answer to command {ident} in {timeout:.0f} s")
                if self.proc.poll() is not None:
                    raise RuntimeError("the load client exited")
                self.cond.wait(min(remaining, 1.0))
            message = self.replies.pop(ident)
        if not message.get("ok"):
            raise RuntimeError(f"load client: {message.get('error')}")
        return message["result"]

    def ready(self, ident: int) -> bool:
        with self.cond:
            return ident in self.replies

    def call(self, cmd: str, timeout: float = 120, **args: Any) -> dict:
        return self.wait(self.send(cmd, **args), timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("exit")
                self.proc.wait(15)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)


# -- the systems under test ----------------------------------------------------------------------


class Target:
    """Something with a web tier holding sockets: NovaCart with N processes, or the peer with N."""

    name: str
    kind: str
    url: str
    processes: int
    tokens_file: Path
    redis_pid: int

    def restart_web(self) -> None: ...
    def web_pids(self) -> list[int]: ...
    def worker_pid(self) -> int | None: ...
    def stop(self) -> None: ...

    def web_pid(self) -> int | None:
        """One process holding sockets (the one py-spy samples)."""
        pids = self.web_pids()
        return pids[-1] if pids else None

    def pids(self, client: LoadClient) -> dict[str, int | list[int] | None]:
        return {"web": self.web_pids(), "worker": self.worker_pid(), "redis": self.redis_pid, "client": client.pid}


class NovaCart(Target):
    kind = "novacart"

    def __init__(
        self,
        mode: str,
        processes: int,
        redis: RedisServer,
        redis_db: int,
        database_url: str | None,
        customers: int,
        workdir: Path,
        ping_interval: float,
        settings: dict[str, str] | None = None,
    ):
        self.mode, self.processes = mode, processes
        self.name = f"{mode}-{processes}"
        self.redis_pid = redis.pid
        self.system: System = start_system(
            redis.url(redis_db),
            database_url,
            web=0,
            worker=True,
            beat=False,
            extra_env={
                "ASYNC_MODE": mode,
                "WEB_CONCURRENCY": str(processes),
                "MAX_CONNECTIONS": "30000",
                "LISTEN_BACKLOG": "4096",
                "SOCKETIO_PING_INTERVAL": str(ping_interval),
                **(settings or {}),
            },
        )
        self.database_url = self.system.env["DATABASE_URL"]
        self.tokens_file = workdir / f"tokens-{self.name}.json"
        say(f"{self.name}: seeding {customers:,} customers and a staff user (bulk insert, tokens minted in-process)")
        self.seed = json.loads(self._seed("users", "--customers", str(customers), "--out", str(self.tokens_file)))
        self.staff_token = json.loads(self.tokens_file.read_text())["staff"]["token"]
        self.customers = customers
        self._web_pids: list[int] = []
        self._engine = None

    def ensure_customers(self, count: int) -> None:
        """Seed more customers (appended to the tokens file) until there are `count`.

        The promotion of scenario 3 goes to every customer, so the database holds only as many customers
        as the sizes measured so far need (10,000 for the promotion; 20,000 only for the last capacity step).
        """
        if count <= self.customers:
            return
        more = self.workdir_tokens(f"more-{count}")
        say(f"{self.name}: seeding {count - self.customers:,} more customers")
        self._seed("users", "--customers", str(count - self.customers), "--out", str(more))
        tokens = json.loads(self.tokens_file.read_text())
        tokens["customers"] += json.loads(more.read_text())["customers"]
        self.tokens_file.write_text(json.dumps(tokens))
        self.customers = count

    def workdir_tokens(self, label: str) -> Path:
        return self.tokens_file.with_name(f"tokens-{self.name}-{label}.json")

    def _seed(self, *args: str) -> str:
        return run_seed(self.system.env, *args)

    def seed_queue(self, users: int, per_user: int) -> dict:
        return json.loads(
            self._seed("queue", "--tokens", str(self.tokens_file), "--users", str(users), "--per-user", str(per_user))
        )

    def restart_web(self) -> None:
        old = self.system.processes.get("web0")
        old_children = procs.children(old.popen.pid) if old else []
        if old:
            old.stop()
            for pid in old_children:  # gunicorn's workers, if the master left them behind
                if procs.alive(pid):
                    os.kill(pid, signal.SIGKILL)
        self.system.web_ports.clear()  # a fresh port: no TIME_WAIT from the previous round
        self.url = self.system.start_web(0, self.mode)
        self._web_pids = []

    def master_pid(self) -> int | None:
        web = self.system.processes.get("web0")
        return web.popen.pid if web else None

    def web_pids(self) -> list[int]:
        """gunicorn's master and its gevent workers (which hold the sockets), or eventlet's one process."""
        if self._web_pids and all(procs.alive(p) for p in self._web_pids):
            return self._web_pids
        master = self.master_pid()
        if master is None:
            return []
        if self.mode == "gevent":
            kids = wait_until(
                lambda: _exactly(procs.children(master), self.processes),
                timeout=20,
                what=f"{self.processes} gunicorn workers",
            )
            self._web_pids = [master, *kids]
        else:
            self._web_pids = [master]
        return self._web_pids

    def worker_pid(self) -> int | None:
        worker = self.system.processes.get("worker")
        return worker.popen.pid if worker else None

    def engine(self):
        if self._engine is None:
            import sqlalchemy as sa

            url = self.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
            self._engine = sa.create_engine(url)
        return self._engine

    def scalar(self, sql: str, **params: Any) -> Any:
        import sqlalchemy as sa

        with self.engine().connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def execute(self, sql: str, **params: Any) -> int:
        import sqlalchemy as sa

        with self.engine().begin() as conn:
            return conn.execute(sa.text(sql), params).rowcount

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self.system.stop()
        keep = SCRATCH / "logs"
        keep.mkdir(parents=True, exist_ok=True)
        for log in self.system.workdir.glob("*.log"):
            shutil.copy(log, keep / f"{self.name}-{log.name}")
        shutil.rmtree(self.system.workdir, ignore_errors=True)

    def logs(self) -> str:
        return self.system.logs()


def _exactly(pids: list[int], count: int) -> list[int] | None:
    return pids if len(pids) == count else None


def run_seed(env: dict[str, str], *args: str, root: Path = ROOT) -> str:
    """`python -m bench.seed …` against a system's database; its last line of output (JSON)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.seed", *args], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench.seed {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def calibrate(redis: RedisServer, runs: int = CALIBRATION_RUNS, users: int = CALIBRATION_USERS) -> dict:
    """The host's speed: seeding `users` customers into a fresh SQLite database (no clients, no servers).

    CPU-bound Python (SQLAlchemy inserts, minting a JWT per user) and SQLite: the work the web process's
    figures are made of. The median of `runs`, each in a fresh database.
    """
    seconds = []
    for _ in range(runs):
        system = start_system(redis.url(15), None, web=0, worker=False, beat=False)
        try:
            out = json.loads(
                run_seed(system.env, "users", "--customers", str(users), "--out", str(system.workdir / "t"))
            )
            seconds.append(out["seconds"])
        finally:
            system.stop()
            shutil.rmtree(system.workdir, ignore_errors=True)
    seconds.sort()
    return {
        "job": f"seed {users:,} users (bench/seed.py, SQLite)",
        "runs_s": seconds,
        "median_s": seconds[len(seconds) // 2],
    }


class Peer(Target):
    """bench/peer: node server.js (Socket.IO + Redis adapter; WORKERS processes) and node emitter.js."""

    kind = "peer"

    def __init__(
        self,
        node: Path,
        processes: int,
        redis: RedisServer,
        redis_db: int,
        customers: int,
        workdir: Path,
        ping_interval: float,
        promotion_customers: int,
    ):
        self.node, self.workdir, self.redis_pid, self.processes = node, workdir, redis.pid, processes
        self.name = f"node-{processes}"
        self.ping_interval = ping_interval
        self.redis_url = redis.url(redis_db)
        self.tokens_file = workdir / f"tokens-{self.name}.json"
        tokens = mint_peer_tokens(customers)
        self.tokens_file.write_text(json.dumps(tokens))
        # Its promotions go to the customers in USERS_FILE: as many as NovaCart's database holds then.
        self.promotion_file = workdir / f"promotion-{self.name}.json"
        self.promotion_file.write_text(json.dumps({"customers": tokens["customers"][:promotion_customers]}))
        self.staff_token = tokens["staff"]["token"]
        self.server: subprocess.Popen | None = None
        self.emitter = self._spawn("emitter.js", f"{self.name}-emitter", {})
        wait_until(
            lambda: "ready" in (workdir / f"{self.name}-emitter.log").read_text(errors="replace"),
            timeout=15,
            what="peer emitter",
        )

    def _spawn(self, script: str, name: str, env: dict[str, str]) -> subprocess.Popen:
        return subprocess.Popen(
            [str(self.node / "node"), str(BENCH / "peer" / script)],
            cwd=BENCH / "peer",
            env={**os.environ, "REDIS_URL": self.redis_url, "JWT_SECRET_KEY": SECRETS["JWT_SECRET_KEY"], **env},
            stdout=(self.workdir / f"{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def restart_web(self) -> None:
        self._stop_server()
        port = free_port()
        self.server = self._spawn(
            "server.js",
            f"{self.name}-server",
            {
                "PORT": str(port),
                "USERS_FILE": str(self.promotion_file),
                "WORKERS": str(self.processes),
                "PING_INTERVAL_MS": str(int(self.ping_interval * 1000)),
            },
        )
        self.url = f"http://127.0.0.1:{port}"
        import requests

        def healthy() -> bool:
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout=20, what="peer server")
        if self.processes > 1:  # every worker listening, not only the first
            wait_until(lambda: len(procs.children(self.server.pid)) == self.processes, timeout=20, what="peer workers")
            time.sleep(1.0)

    def _stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            workers = procs.children(self.server.pid)
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(5)
            for pid in workers:  # cluster workers the primary did not take with it
                if procs.alive(pid):
                    os.kill(pid, signal.SIGKILL)

    def web_pids(self) -> list[int]:
        """The server, and with WORKERS > 1 its cluster workers (the primary accepts and hands connections out)."""
        if self.server is None:
            return []
        return [self.server.pid, *procs.children(self.server.pid)]

    def worker_pid(self) -> int | None:
        return self.emitter.pid

    def stop(self) -> None:
        self._stop_server()
        if self.emitter.poll() is None:
            self.emitter.terminate()
            try:
                self.emitter.wait(10)
            except subprocess.TimeoutExpired:
                self.emitter.kill()

    def logs(self) -> str:
        return "\n".join(
            (self.workdir / f"{self.name}-{n}.log").read_text(errors="replace")[-3000:]
            for n in ("server", "emitter")
            if (self.workdir / f"{self.name}-{n}.log").exists()
        )


def mint_peer_tokens(customers: int) -> dict:
    """Tokens shaped like flask_jwt_extended's (HS256, sub, type, role, jti, exp) for the peer's users."""
    import jwt

    now = int(time.time())

    def token(uid: int, role: str) -> str:
        claims = {
            "sub": str(uid),
            "type": "access",
            "role": role,
            "fresh": False,
            "iat": now,
            "nbf": now,
            "jti": uuid.uuid4().hex,
            "exp": now + 6 * 3600,
        }
        return jwt.encode(claims, SECRETS["JWT_SECRET_KEY"], algorithm="HS256")

    return {
        "staff": {"id": customers + 1, "token": token(customers + 1, "staff")},
        "customers": [{"id": i, "token": token(i, "customer")} for i in range(1, customers + 1)],
    }


# -- py-spy ------------------------------------------------------------------------------------


class Profiler:
    """py-spy record (raw collapsed stacks) on a pid for `seconds`; summarised into the top frames."""

    def __init__(self, pid: int | None, seconds: float, out: Path, native: bool = False):
        self.out, self.proc, self.error = out, None, None
        exe = Path(sys.executable).with_name("py-spy")
        if not pid or not exe.exists():
            self.error = "py-spy not installed" if pid else "no pid"
            return
        args = [
            str(exe),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "250",
            "--format",
            "raw",
            "--nolineno",
            "--output",
            str(out),
        ]
        # --native shows C frames (the garbage collector among them) but needs to pause the process to sample.
        args.append("--native" if native else "--nonblocking")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )

    def finish(self, timeout: float = 60) -> dict:
        if self.proc is None:
            return {"error": self.error}
        try:
            output, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            output, _ = self.proc.communicate()
        if not self.out.exists():
            return {"error": (output or "py-spy wrote nothing").strip()[-500:]}
        return summarise_profile(self.out)


def summarise_profile(path: Path, top: int = 15, inclusive_top: int = 60) -> dict:
    """Self and inclusive sample counts per function, from py-spy's raw `frame;frame;… count` lines."""
    self_counts: dict[str, int] = {}
    incl: dict[str, int] = {}
    packages: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.strip() for f in stack.split(";") if f.strip()]
        # drop the thread/process header py-spy may put first
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        self_counts[frames[-1]] = self_counts.get(frames[-1], 0) + n
        package = _package(frames[-1])
        packages[package] = packages.get(package, 0) + n
        for frame in set(frames):
            incl[frame] = incl.get(frame, 0) + n

    def ranked(counts: dict[str, int], top: int = top) -> list[dict]:
        return [
            {"frame": f, "samples": c, "pct": round(100 * c / max(1, total), 1)}
            for f, c in sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        ]

    return {
        "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "samples": total,
        "self": ranked(self_counts),
        "inclusive": ranked(incl, inclusive_top),
        "self_by_package": ranked(packages),
    }


def _package(frame: str) -> str:
    """`func (sqlalchemy/engine/default.py)` → `sqlalchemy`; the stdlib's modules by their own name."""
    where = frame.rpartition(" (")[2].rstrip(")")
    head = where.split("/", 1)[0]
    return head.removesuffix(".py") if head else where


# -- scenarios ---------------------------------------------------------------------------------


def settle(pids: list[int], quiet_pct: float = 25, limit: float = 30) -> float:
    """After an overloaded step the web may still be working off its backlog: wait (bounded) until it is quiet."""
    started = time.monotonic()
    time.sleep(1.0)
    while pids and time.monotonic() - started < limit:
        window = procs.CpuWindow({"web": pids}).start()
        time.sleep(0.5)
        if window.stop().get("web", {}).get("cpu_pct", 0) < quiet_pct * max(1, len(pids) - 1):
            break
    return round(time.monotonic() - started, 1)


def _merge_connects(parts: list[dict]) -> dict:
    """One connect result from several load clients' (connected at once, each with its share of users)."""
    if len(parts) == 1:
        return parts[0]
    merged = {key: sum(p[key] for p in parts) for key in ("connected", "failed", "retried")}
    for key in ("errors", "attempt_errors"):
        merged[key] = {}
        for part in parts:
            for reason, count in part[key].items():
                merged[key][reason] = merged[key].get(reason, 0) + count
    merged["seconds"] = max(p["seconds"] for p in parts)
    merged["per_second"] = round(merged["connected"] / max(0.001, merged["seconds"]))
    # Percentiles cannot be merged exactly: the slowest client's, which bounds them.
    merged["connect_ms"] = max((p["connect_ms"] for p in parts), key=lambda c: c.get("p99") or 0)
    return merged


class Bench:
    def __init__(
        self,
        args: argparse.Namespace,
        node: Path,
        workdir: Path,
        redis: RedisServer,
        postgres: Postgres | None,
        results: dict,
        out: Path,
    ):
        self.args, self.node, self.workdir, self.redis, self.postgres = args, node, workdir, redis, postgres
        self.results, self.out = results, out
        self.redis_db = 0

    def save(self) -> None:
        self.results["meta"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(json.dumps(self.results, indent=2))

    def put(self, path: list[str], value: Any) -> None:
        node = self.results
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
        self.save()

    # capacity --------------------------------------------------------------------------------
    def capacity(self, target: Target, client: LoadClient, n: int, report: bool) -> dict:
        """Fresh web tier, N sockets: connect time, RSS per connection, idle CPU once the heartbeats run.

        More sockets than one load client may hold (--client-sockets; each process is capped at 20,000
        descriptors here) are opened by extra load clients, which are stopped again afterwards.
        """
        a = self.args
        budget = (self.results["meta"]["fd_limit"] - FD_RESERVE) * target.processes
        if n > budget:
            reason = f"{target.processes} process(es) × {self.results['meta']['fd_limit']:,} descriptors"
            if report:
                self.put(["capacity", target.name, str(n)], {"sockets": n, "skipped": reason})
            say(f"{target.name}: {n:,} sockets skipped ({reason})")
            return {"skipped": reason}
        target.restart_web()
        time.sleep(1.0)
        web = target.web_pids()
        rss_before = procs.rss_kib(web)
        client.call("reset")
        extras = [
            LoadClient(self.node, self.workdir / f"loadclient-{target.name}-{i}.log")
            for i in range(1, -(-n // a.client_sockets))
        ]
        clients = [client, *extras]
        pids = {**target.pids(client), "client": [c.pid for c in clients]}
        try:
            cpu = procs.CpuWindow(pids).start()
            share = -(-n // len(clients))
            idents = [
                (c, self.send_connect(c, target, min(share, n - i * share), offset=i * share, parallel=len(clients)))
                for i, c in enumerate(clients)
            ]
            parts = [c.wait(ident, a.connect_deadline + 60) for c, ident in idents]
            connected = _merge_connects(parts)
            connected_at = time.monotonic()
            connect_cpu = cpu.stop()
            time.sleep(2.0)
            rss_after = procs.rss_kib(web)
            idle_cpu, idle_seconds, waited = None, None, None
            if report:
                # Every socket's first PING goes out a ping interval after its connect: measure only once they
                # all run, over a whole interval, so that every socket's heartbeat is in the window once.
                waited = max(0.0, a.ping_interval + 1 - (time.monotonic() - connected_at))
                time.sleep(waited)
                idle = procs.CpuWindow(pids).start()
                time.sleep(a.idle_seconds)
                idle_cpu, idle_seconds = idle.stop(), a.idle_seconds
            stats = [c.call("stats") for c in clients]
        finally:
            for extra in extras:
                extra.stop()
        figures = {
            "sockets": n,
            "processes": target.processes,
            "load_clients": len(clients),
            "connected": connected["connected"],
            "failed": connected["failed"],
            "errors": connected["errors"],
            "refused_then_retried": connected["retried"],
            "attempt_errors": connected["attempt_errors"],
            "connect_s": connected["seconds"],
            "connects_per_s": connected["per_second"],
            "connect_ms": connected["connect_ms"],
            "held_after_idle": sum(st["held"] for st in stats),
            "disconnects": stats[0]["disconnects"],
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "rss_per_conn_kib": round((rss_after - rss_before) / max(1, connected["connected"]), 1)
            if rss_after and rss_before
            else None,
            "idle_seconds": idle_seconds,
            "idle_after_s": round(a.ping_interval + 1, 1),
            "ping_interval_s": a.ping_interval,
            "idle_cpu": idle_cpu,
            "connect_cpu": connect_cpu,
            "client_rss_mb": sum(st["rss_mb"] for st in stats),
        }
        if report:
            self.put(["capacity", target.name, str(n)], figures)
            say(
                f"{target.name}: {connected['connected']:,}/{n:,} sockets in {connected['seconds']} s, "
                f"{figures['rss_per_conn_kib']} KiB each, idle web CPU (heartbeats running) "
                f"{(idle_cpu or {}).get('web', {}).get('cpu_pct')}%"
            )
        return figures

    def send_connect(self, client: LoadClient, target: Target, count: int, *, offset: int, parallel: int) -> int:
        a = self.args
        return client.send(
            "connect",
            url=target.url,
            tokens_file=str(target.tokens_file),
            offset=offset,
            count=count,
            concurrency=max(1, a.connect_concurrency // parallel),
            timeout_ms=20000,
            deadline_ms=a.connect_deadline * 1000,
            ack_delay_ms=a.ack_delay_ms,
            per_message_deflate=not a.no_deflate,
        )

    # latency ---------------------------------------------------------------------------------
    def latency(self, target: Target, client: LoadClient, n: int) -> None:
        a = self.args
        saturated_at = None
        for rate in self.rates_for(n):
            key = ["latency", target.name, str(n), str(rate)]
            if saturated_at is not None and not a.no_skip:
                self.put(key, {"rate": rate, "skipped": f"saturated at {saturated_at}/s"})
                say(f"{target.name} @ {n:,} sockets: {rate}/s skipped (saturated at {saturated_at}/s)")
                continue
            client.call("reset")
            result = self.open_loop(target, client, rate, a.http_connections)
            result["sockets_held"] = client.call("stats")["held"]
            self.put(key, result)
            lat = result["latency_ms"]
            say(
                f"{target.name} @ {n:,} sockets, {rate}/s: p50 {lat['p50']} p95 {lat['p95']} p99 {lat['p99']} ms; "
                f"lost {result['lost']}/{result['sent']}; web CPU {result['cpu'].get('web', {}).get('cpu_pct')}%"
            )
            if result["lost"] > 0.5 * result["sent"]:
                saturated_at = rate
            result["settle_s"] = settle(target.web_pids())
            self.put(key, result)
        if isinstance(target, NovaCart):
            self.clear_leftovers(target, f"latency {n}")

    def open_loop(self, target: Target, client: LoadClient, rate: int, connections: int) -> dict:
        """The load client's open-loop POST /api/notifications at `rate` (scenarios 2 and 6), with CPU."""
        a = self.args
        window = procs.CpuWindow(target.pids(client)).start()
        result = client.call(
            "rate",
            timeout=a.rate_seconds + a.drain_seconds + 60,
            url=target.url,
            token=target.staff_token,
            rate=rate,
            seconds=a.rate_seconds,
            drain_ms=a.drain_seconds * 1000,
            max_sockets=connections,
        )
        result["cpu"] = window.stop()
        result.pop("window", None)
        return result

    def rates_for(self, n: int) -> list[int]:
        if self.args.rates:
            return self.args.rates
        return DEFAULT_RATES.get(n) or sorted({r for rates in DEFAULT_RATES.values() for r in rates})

    # overload ------------------------------------------------------------------------------------
    def overload(self, target: Target, client: LoadClient, n: int) -> None:
        """Twice the highest rate held at p99 ≤ 100 ms, through many connections: resets, 503s, accepted p99.

        The peer runs at the rate of the NovaCart tier with as many processes (for the ratio).
        """
        a = self.args
        rate = self.overload_rate(target, n)
        if rate is None:
            say(f"{target.name}: overload skipped (no scenario-2 rates at {n:,} sockets)")
            return
        client.call("reset")
        profiler = None
        if a.profile and isinstance(target, NovaCart) and target.processes == 1:
            out = SCRATCH / f"profile-{target.name}-overload-web.txt"
            profiler = Profiler(target.web_pid(), a.rate_seconds, out, native=a.native_profile)
        result = self.open_loop(target, client, rate, a.overload_connections)
        if profiler is not None:
            self.put(["profiles", target.name, "overload_web"], profiler.finish())
        result["basis"] = self.results.get("overload_basis", {}).get(target.name)
        result["settle_s"] = settle(target.web_pids())
        self.put(["overload", target.name], result)
        acc = result["accepted_latency_ms"]
        say(
            f"{target.name} overload at {rate}/s ({a.overload_connections} connections): "
            f"accepted {result['accepted']:,}"
            f" (p99 {acc['p99']} ms, {result['accepted_lost']} lost), 503 {result['refused_503']:,}"
            f" ({result['refused_503_with_retry_after']:,} with Retry-After), resets {result['resets']},"
            f" other errors {result['errors']}"
        )
        if isinstance(target, NovaCart):
            self.clear_leftovers(target, "overload")

    def overload_rate(self, target: Target, n: int) -> int | None:
        if self.args.overload_rate:
            return self.args.overload_rate
        if isinstance(target, Peer):
            twin = next(
                (
                    e
                    for name, e in (self.results.get("overload") or {}).items()
                    if name.endswith(f"-{target.processes}")
                ),
                None,
            )
            if twin:
                return twin["rate"]
        measured = self.results.get("latency", {}).get(target.name, {}).get(str(n), {})
        rates = sorted(int(r) for r, e in measured.items() if "latency_ms" in e)
        if not rates:
            return None
        held = None
        for rate in rates:
            entry = measured[str(rate)]
            if entry["lost"] == 0 and entry["latency_ms"]["p99"] is not None and entry["latency_ms"]["p99"] <= 100:
                held = rate
            else:
                break
        basis = held or rates[0]
        self.results.setdefault("overload_basis", {})[target.name] = {
            "held_p99_100ms": held,
            "sockets": n,
            "note": "2 × the highest rate held" if held else "2 × the lowest rate measured (none was held)",
        }
        return 2 * basis

    def profile_latency(self, target: NovaCart, client: LoadClient, n: int, rate: int) -> None:
        """An extra, unreported round at `rate` with py-spy on the web process."""
        seconds = 10
        out = SCRATCH / f"profile-{target.name}-latency-{n}-{rate}-web.txt"
        prof = Profiler(target.web_pid(), seconds, out, native=self.args.native_profile)
        time.sleep(1.0)
        result = client.call(
            "rate",
            timeout=seconds + 60,
            url=target.url,
            token=target.staff_token,
            rate=rate,
            seconds=seconds,
            drain_ms=5000,
        )
        summary = prof.finish()
        summary["during"] = {"sockets": n, "rate": rate, "p99_ms": result["latency_ms"]["p99"]}
        self.put(["profiles", target.name, f"latency_{n}_{rate}_web"], summary)
        say(f"{target.name}: profiled web at {rate}/s with {n:,} sockets ({summary.get('samples', 0)} samples)")
        settle(target.web_pids())
        self.clear_leftovers(target, "profile")

    def profile_capacity(self, target: NovaCart, client: LoadClient, n: int) -> None:
        """An extra, unreported round: `n` sockets connecting to a fresh web process, with py-spy on it."""
        a = self.args
        target.restart_web()
        time.sleep(1.0)
        client.call("reset")
        out = SCRATCH / f"profile-{target.name}-connect-{n}-web.txt"
        prof = Profiler(target.web_pid(), 15, out, native=a.native_profile)
        time.sleep(1.0)
        connected = client.wait(self.send_connect(client, target, n, offset=0, parallel=1), a.connect_deadline + 60)
        summary = prof.finish()
        summary["during"] = {"sockets": n, "connecting": True, "connect_s": connected["seconds"]}
        self.put(["profiles", target.name, f"connect_{n}_web"], summary)
        say(f"{target.name}: profiled web while {n:,} sockets connected ({summary.get('samples', 0)} samples)")
        client.call("disconnect")

    # fan-out ---------------------------------------------------------------------------------
    def fanout(
        self, target: Target, client: LoadClient, label: str, *, via: str | None = None, profile: bool = False
    ) -> dict:
        held = client.call("stats")["held"]
        body = {"title": "Flash sale", "message": "Everything 10% off today"}
        if via:
            body["via"] = via
        start_id = promo_start = None
        if isinstance(target, NovaCart):
            start_id = target.scalar("SELECT coalesce(max(id), 0) FROM notifications")
            promo_start = target.scalar("SELECT coalesce(max(id), 0) FROM promotions")
        profilers = {}
        if profile and isinstance(target, NovaCart):
            for proc_name, pid in (("worker", target.worker_pid()), ("web", target.web_pid())):
                out = SCRATCH / f"profile-{target.name}-fanout-{proc_name}.txt"
                profilers[proc_name] = Profiler(pid, 12, out, native=self.args.native_profile)
            time.sleep(1.0)
        window = procs.CpuWindow(target.pids(client)).start()
        ident = client.send(
            "fanout",
            url=target.url,
            token=target.staff_token,
            body=body,
            expect=held,
            timeout_ms=self.args.fanout_timeout * 1000,
        )
        stored_at = sent_status_at = None
        if isinstance(target, NovaCart):
            customers = target.scalar("SELECT count(*) FROM users WHERE role = 'customer'")
            deadline = time.monotonic() + self.args.fanout_timeout
            while time.monotonic() < deadline and (stored_at is None or sent_status_at is None):
                if stored_at is None:
                    count = target.scalar(
                        "SELECT count(*) FROM notifications WHERE id > :start AND type = 'promotion'", start=start_id
                    )
                    if count >= customers:
                        stored_at = time.time()
                if sent_status_at is None:
                    status = target.scalar(
                        "SELECT status FROM promotions WHERE id > :p ORDER BY id DESC LIMIT 1", p=promo_start
                    )
                    if status == "sent":
                        sent_status_at = time.time()
                elif time.time() - sent_status_at > 2:  # sent, yet not everyone has a row: stop looking
                    break
                time.sleep(0.02)
        result = client.wait(ident, self.args.fanout_timeout + 30)
        result["cpu"] = window.stop()
        result.setdefault("received", 0)
        result.setdefault("expected", held)
        sent_at = result.get("sent_at", 0) / 1000
        result["stored_all_s"] = round(stored_at - sent_at, 3) if stored_at else None
        result["status_sent_s"] = round(sent_status_at - sent_at, 3) if sent_status_at else None
        result["delivered_all_s"] = (
            round(result["last_ms"] / 1000, 3)
            if result.get("last_ms") is not None and result["received"] >= result["expected"]
            else None
        )
        result["deliveries_per_s"] = (
            round(result["received"] / (result["last_ms"] / 1000)) if result.get("last_ms") else None
        )
        if isinstance(target, NovaCart):
            row = target.engine()
            import sqlalchemy as sa

            with row.connect() as conn:
                promo = (
                    conn.execute(sa.text("SELECT id, status, recipients FROM promotions ORDER BY id DESC LIMIT 1"))
                    .mappings()
                    .first()
                )
            result["promotion"] = dict(promo) if promo else None
        if profilers:
            result["profiles"] = {name: p.finish() for name, p in profilers.items()}
            self.put(["profiles", target.name, "fanout"], result.pop("profiles"))
        say(
            f"{target.name} fan-out ({label}): {result['received']:,}/{result['expected']:,} delivered, last after "
            f"{result.get('last_ms')} ms; stored for all after {result['stored_all_s']} s"
            + (f"; POST answered {result.get('status')}: {str(result['error'])[:200]}" if result.get("error") else "")
        )
        return result

    def clear_leftovers(self, target: NovaCart, phase: str) -> None:
        """Unacknowledged deliveries left by a phase would be replayed at the next connects: count, then clear."""
        time.sleep(max(0.3, self.args.ack_delay_ms / 1000 + 0.3))
        left = target.scalar("SELECT count(*) FROM notification_deliveries")
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:  # acks still on their way: wait while the queue shrinks
            time.sleep(0.5)
            now_left = target.scalar("SELECT count(*) FROM notification_deliveries")
            if now_left >= left:
                break
            left = now_left
        if left:
            self.results.setdefault("leftover_deliveries", {}).setdefault(target.name, {})[phase] = left
            target.execute("DELETE FROM notification_deliveries")

    # replay ------------------------------------------------------------------------------------
    def replay(self, target: NovaCart, client: LoadClient) -> None:
        a = self.args
        users, per_user = a.replay_users, a.replay_per_user
        client.call("disconnect")
        target.restart_web()
        self.clear_leftovers(target, "before replay")
        seeded = target.seed_queue(users, per_user)
        expect = users * per_user
        depth = target.scalar("SELECT count(*) FROM notification_deliveries")
        client.call("reset")
        window = procs.CpuWindow(target.pids(client)).start()
        t0 = time.time()
        ident = client.send(
            "connect",
            url=target.url,
            tokens_file=str(target.tokens_file),
            offset=0,
            count=users,
            concurrency=users,
            timeout_ms=30000,
            deadline_ms=60000,
            ack_delay_ms=a.ack_delay_ms,
            per_message_deflate=not a.no_deflate,
        )
        drained_at = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if target.scalar("SELECT count(*) FROM notification_deliveries") == 0:
                drained_at = time.time()
                break
            time.sleep(0.05)
        connected = client.wait(ident, 90)
        got = client.call("wait_replay", timeout=90, expect=expect, timeout_ms=30000)
        cpu = window.stop()
        figures = {
            "users": users,
            "per_user": per_user,
            "queued": depth,
            "seed": seeded,
            "connected": connected["connected"],
            "connect_s": connected["seconds"],
            "received": got["received"],
            "received_all_s": round(got["last"] / 1000 - t0, 3) if got["last"] and got["received"] >= expect else None,
            "drained_s": round(drained_at - t0, 3) if drained_at else None,
            "left_in_queue": target.scalar("SELECT count(*) FROM notification_deliveries"),
            "acks_sent": got["acks_sent"],
            "cpu": cpu,
        }
        self.put(["replay", target.name], figures)
        say(
            f"{target.name} replay: {users:,} users × {per_user}: all received after {figures['received_all_s']} s, "
            f"queues drained after {figures['drained_s']} s"
        )
        client.call("disconnect")

    # per target --------------------------------------------------------------------------------
    def run_target(self, target: Target, client: LoadClient) -> None:
        a = self.args
        scenarios = set(a.scenarios)
        latency_sizes = set(a.latency_sockets)
        overload_size = min(latency_sizes)
        sizes = sorted(set(a.sockets) | latency_sizes | {a.fanout_sockets})
        for n in sizes:
            wanted = {
                1: 1 in scenarios and n in a.sockets,
                2: 2 in scenarios and n in latency_sizes,
                3: 3 in scenarios and n == a.fanout_sockets,
                6: 6 in scenarios and n == overload_size,
            }
            if not any(wanted.values()):
                continue
            if isinstance(target, NovaCart):
                target.ensure_customers(n)
            figures = self.capacity(target, client, n, report=wanted[1])
            if figures.get("skipped"):
                continue
            if wanted[2]:
                self.latency(target, client, n)
                if a.profile and isinstance(target, NovaCart) and target.processes == 1 and n == max(latency_sizes):
                    self.profile_latency(target, client, n, a.profile_rate)
            if wanted[6]:
                self.overload(target, client, n)
            if wanted[3]:
                self.fanout_runs(target, client, n)
            client.call("disconnect")
        if a.profile and isinstance(target, NovaCart) and target.processes == 1 and 1 in scenarios:
            self.profile_capacity(target, client, min(10_000, max(a.sockets)))
        if 4 in scenarios and isinstance(target, NovaCart):
            self.replay(target, client)

    def fanout_runs(self, target: Target, client: LoadClient, n: int) -> None:
        a = self.args
        runs = []
        if isinstance(target, Peer):
            for i in range(a.fanout_runs):
                runs.append({"via": "emitter", **self.fanout(target, client, f"emitter run {i + 1}", via="emitter")})
            runs.append({"via": "direct", **self.fanout(target, client, "direct", via="direct")})
        else:
            for i in range(a.fanout_runs):
                runs.append(self.fanout(target, client, f"run {i + 1}"))
                self.clear_leftovers(target, f"fanout {i + 1}")
            if a.profile and target.processes == 1:
                self.fanout(target, client, "profiled", profile=True)
                self.clear_leftovers(target, "fanout profiled")
        self.put(["fanout", target.name], {"sockets": n, "runs": runs})


def db_scale(args: argparse.Namespace, redis: RedisServer, postgres: Postgres | None) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "bench.db_scale",
        "--users",
        str(args.db_users),
        "--per-user",
        str(args.db_per_user),
        "--samples",
        str(args.db_samples),
        "--redis-url",
        redis.url(9),
    ]
    if postgres:
        cmd += ["--database-url", postgres.fresh().replace("postgresql://", "postgresql+psycopg://", 1)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOVACART_", "DATABASE_URL"))}
    say(f"scenario 5: bench.db_scale --users {args.db_users:,} --per-user {args.db_per_user}")
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    (SCRATCH / "db_scale.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        return {"error": result.stderr[-2000:]}
    return json.loads((SCRATCH / "db_scale.json").read_text())


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    def ints(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--scenarios", type=ints, default=None, help="comma-separated, e.g. 1,2,3 (default: 1,2,3,4,5,6)")
    p.add_argument("--sockets", type=ints, default=None, help="socket counts for scenario 1 (default 1000,10000,20000)")
    p.add_argument(
        "--latency-sockets",
        type=ints,
        default=None,
        help="socket counts for scenario 2 (default 1000,10000); scenario 6 uses the smallest",
    )
    p.add_argument(
        "--rates",
        type=ints,
        default=None,
        help="notifications per second at every size (default: 300,500,700,1000 at 1,000 sockets; 200,400 at 10,000)",
    )
    p.add_argument("--fanout-sockets", type=int, default=None, help="sockets for scenario 3 (default 10000)")
    p.add_argument("--modes", default=None, help="NovaCart async modes: gevent,eventlet (default gevent; '' for none)")
    p.add_argument(
        "--concurrency", type=ints, default=None, help="WEB_CONCURRENCY values for gevent (default 1,2; eventlet: 1)"
    )
    p.add_argument("--peer-concurrency", type=ints, default=None, help="peer processes (default: --concurrency)")
    p.add_argument("--client-sockets", type=int, default=None, help="sockets per load client process (default 10000)")
    p.add_argument(
        "--ping-interval", type=float, default=None, help="engine.io ping interval for both servers (default 25 s)"
    )
    p.add_argument(
        "--overload-rate", type=int, default=None, help="scenario 6's rate (default: 2 × the highest rate held)"
    )
    p.add_argument(
        "--overload-connections", type=int, default=1024, help="keep-alive connections in scenario 6 (default 1024)"
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting for NovaCart's processes (repeatable)",
    )
    p.add_argument("--no-peer", action="store_true", help="skip the Node.js peer")
    p.add_argument("--postgres", action="store_true", help="PostgreSQL (scripts/postgres.sh) instead of SQLite")
    p.add_argument("--quick", action="store_true", help="small sizes for a smoke run (a few minutes)")
    p.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="py-spy on web and worker in extra, unreported rounds (default: on, off with --quick)",
    )
    p.add_argument("--native-profile", action="store_true", help="py-spy --native (shows C frames such as the GC)")
    p.add_argument("--profile-rate", type=int, default=100)
    p.add_argument("--rate-seconds", type=float, default=None, help="seconds per rate (default 10)")
    p.add_argument("--drain-seconds", type=float, default=None, help="bounded wait after sending (default 10)")
    p.add_argument(
        "--idle-seconds",
        type=float,
        default=None,
        help="idle CPU window, after the first pings (default: a ping interval)",
    )
    p.add_argument("--fanout-runs", type=int, default=None, help="promotions per target (default 2)")
    p.add_argument("--fanout-timeout", type=float, default=60)
    p.add_argument("--replay-users", type=int, default=None)
    p.add_argument("--replay-per-user", type=int, default=20)
    p.add_argument("--db-users", type=int, default=None)
    p.add_argument("--db-per-user", type=int, default=None)
    p.add_argument("--db-samples", type=int, default=500)
    p.add_argument("--connect-concurrency", type=int, default=200, help="connection attempts in flight")
    p.add_argument("--http-connections", type=int, default=64, help="keep-alive connections for the API calls")
    p.add_argument("--connect-deadline", type=float, default=120, help="give up connecting after this many seconds")
    p.add_argument("--ack-delay-ms", type=int, default=100, help="acks batched like the React client's (0: at once)")
    p.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate (browsers do)")
    p.add_argument("--no-skip", action="store_true", help="run higher rates even after one lost > 50%%")
    p.add_argument("--max-load", type=float, default=1.5, help="wait while the 1-min load average is above this")
    p.add_argument("--max-wait", type=float, default=600, help="wait at most this long for a quiet machine")
    p.add_argument("--out", type=Path, default=None, help="results file (default: see above)")
    p.add_argument("--no-docs", action="store_true", help="do not rewrite the plot and docs/performance.md")
    p.add_argument(
        "--snapshot",
        metavar="REF",
        default=None,
        help="measure this commit (e.g. HEAD) from an exported copy, so that edits made while the benchmark runs "
        "do not change the code under test halfway; results and docs come back to this tree",
    )
    args = p.parse_args(argv)

    full = (
        all(
            getattr(args, k) is None
            for k in ("scenarios", "sockets", "latency_sockets", "rates", "modes", "concurrency", "fanout_sockets")
        )
        and not args.quick
        and not args.no_peer
    )
    quick = args.quick
    args.scenarios = args.scenarios or DEFAULT_SCENARIOS
    args.sockets = args.sockets or ([200, 400] if quick else DEFAULT_SOCKETS)
    args.latency_sockets = args.latency_sockets or ([200] if quick else DEFAULT_LATENCY_SOCKETS)
    args.rates = args.rates or ([50, 100] if quick else None)
    args.fanout_sockets = args.fanout_sockets or (200 if quick else 10_000)
    args.modes = [m for m in (args.modes if args.modes is not None else ",".join(DEFAULT_MODES)).split(",") if m]
    args.concurrency = args.concurrency or DEFAULT_CONCURRENCY
    args.peer_concurrency = args.peer_concurrency or args.concurrency
    args.client_sockets = args.client_sockets or (200 if quick else 10_000)
    args.ping_interval = args.ping_interval or (5 if quick else 25)
    args.rate_seconds = args.rate_seconds or (3 if quick else 10)
    args.drain_seconds = args.drain_seconds or (3 if quick else 10)
    args.idle_seconds = args.idle_seconds or args.ping_interval
    args.fanout_runs = args.fanout_runs or (1 if quick else 2)
    args.replay_users = args.replay_users or (100 if quick else 1000)
    args.db_users = args.db_users or (1000 if quick else 10_000)
    args.db_per_user = args.db_per_user or (20 if quick else 100)
    if args.profile is None:
        args.profile = not quick
    args.full = full
    args.out = args.out or (BENCH / "results.json" if full else SCRATCH / "latest.json")
    return args


def export_tree(ref: str) -> tuple[str, Path]:
    """REF's files (git archive) in a new directory, with this tree's bench/ (the instrument) laid over them,
    and this tree's installed Node packages and client build linked in. Returns (short commit, directory)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    copy = Path(tempfile.mkdtemp(prefix=f"novacart-bench-{commit}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
    # The instrument is this tree's bench/ (the code under test is REF's): overlay it, without scratch or packages.
    for source in (ROOT / "bench").rglob("*"):
        relative = source.relative_to(ROOT)
        if source.is_file() and not {"node_modules", "results", "__pycache__"} & set(relative.parts):
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / relative)
    for folder in ("bench/loadclient", "bench/peer"):  # reuse installed packages when the lock files agree
        mine, theirs = ROOT / folder / "node_modules", copy / folder
        if (
            mine.exists()
            and theirs.exists()
            and (ROOT / folder / "package-lock.json").read_bytes() == (theirs / "package-lock.json").read_bytes()
        ):
            (theirs / "node_modules").symlink_to(mine)
    if (ROOT / "client" / "dist").exists() and not (copy / "client" / "dist").exists():
        (copy / "client").mkdir(exist_ok=True)
        (copy / "client" / "dist").symlink_to(ROOT / "client" / "dist")
    return commit, copy


def run_snapshot(args: argparse.Namespace, argv: list[str]) -> int:
    """Export REF with git archive, run the benchmark from there (same .venv), bring the results back."""
    commit, copy = export_tree(args.snapshot)
    say(f"measuring commit {commit} from an exported copy in {copy}")
    out = copy / "bench" / "results" / "snapshot.json"
    rest = []
    skip = False
    for item in argv:  # drop --snapshot REF / --snapshot=REF and --out
        if skip:
            skip = False
            continue
        if item in ("--snapshot", "--out"):
            skip = True
            continue
        if item.startswith(("--snapshot=", "--out=")):
            continue
        rest.append(item)
    try:
        code = subprocess.run(
            [sys.executable, "-m", "bench.run", *rest, "--no-docs", "--out", str(out)],
            cwd=copy,
            env={**os.environ, "NOVACART_BENCH_SNAPSHOT": commit},
        ).returncode
        if out.exists():
            results = json.loads(out.read_text())
            results["meta"]["command"] = "python -m bench.run " + " ".join(argv)
            if results["meta"].get("interrupted") or code != 0:
                args.out = SCRATCH / "latest.json"  # an interrupted run does not replace the full results
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(results, indent=2))
            for scratch in (copy / "bench" / "results").glob("*"):
                target = SCRATCH / scratch.name
                if scratch.is_dir():
                    shutil.copytree(scratch, target, dirs_exist_ok=True)
                elif scratch.name != "snapshot.json":
                    shutil.copy(scratch, target)
            from bench import report

            if args.full and not args.no_docs and not results["meta"].get("interrupted"):
                report.write_docs(results)
            say(f"results of {commit}: {args.out}")
        return code
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.snapshot:
        SCRATCH.mkdir(parents=True, exist_ok=True)
        return run_snapshot(args, list(argv if argv is not None else sys.argv[1:]))
    started = time.monotonic()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    limit = raise_fd_limit()
    say(
        f"file-descriptor limit {limit[0]:,}; scenarios {args.scenarios}, sockets {args.sockets}, modes "
        f"{args.modes} × WEB_CONCURRENCY {args.concurrency}"
        f"{'' if args.no_peer else f' + node peer × {args.peer_concurrency}'}, rates {args.rates or DEFAULT_RATES}"
    )
    node = node_bin()
    npm_ci(BENCH / "loadclient", node)
    if not args.no_peer:
        npm_ci(BENCH / "peer", node)
    load = wait_for_quiet_machine(args.max_load, 0 if args.quick else args.max_wait)
    workdir = Path(tempfile.mkdtemp(prefix="novacart-bench-"))
    results: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
            "quick": args.quick,
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "database": "postgresql" if args.postgres else "sqlite",
            "load_average_at_start": load,
            "fd_limit": limit[0],
            "machine": procs.machine(str(node / "node"), ROOT),
        }
    }
    redis = postgres = client = None
    targets: list[Target] = []
    interrupted = False

    def on_term(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        redis = RedisServer(workdir, maxclients=10000)
        redis.start()
        if args.postgres:
            postgres = Postgres()
            results["meta"]["postgresql"] = postgres.version()
        bench = Bench(args, node, workdir, redis, postgres, results, args.out)
        say(f"calibration: seeding {CALIBRATION_USERS:,} users into a fresh SQLite database, {CALIBRATION_RUNS} times")
        results["meta"]["calibration"] = calibrate(redis)
        calibration = results["meta"]["calibration"]
        say(f"calibration: {calibration['median_s']} s (runs {calibration['runs_s']})")
        bench.save()
        everything = max(args.sockets + args.latency_sockets + [args.fanout_sockets])
        # NovaCart seeds what the promotion and the replay need first, and more before a larger capacity step.
        first = max(
            [min(args.sockets), *args.latency_sockets]
            + ([args.fanout_sockets] if 3 in args.scenarios else [])
            + ([args.replay_users] if 4 in args.scenarios else [])
        )
        socket_scenarios = {1, 2, 3, 4, 6} & set(args.scenarios)
        plan = [(mode, c) for mode in args.modes for c in (args.concurrency if mode == "gevent" else [1])]
        if not args.no_peer and {1, 2, 3, 6} & socket_scenarios:
            plan += [("node", c) for c in args.peer_concurrency]
        for index, (kind, processes) in enumerate(plan if socket_scenarios else []):
            name = f"{kind}-{processes}"
            say(f"=== {name} ===")
            results["meta"].setdefault("load_average_per_target", {})[name] = [round(x, 2) for x in os.getloadavg()]
            client = LoadClient(node, workdir / f"loadclient-{name}.log")
            bench.redis_db = index + 1
            if kind == "node":
                target: Target = Peer(
                    node, processes, redis, index + 1, everything, workdir, args.ping_interval, args.fanout_sockets
                )
            else:
                database_url = postgres.fresh() if postgres else None
                settings = dict(item.split("=", 1) for item in args.env)
                target = NovaCart(
                    kind, processes, redis, index + 1, database_url, first, workdir, args.ping_interval, settings
                )
                results.setdefault("seeding", {})[name] = target.seed
            targets.append(target)
            try:
                bench.run_target(target, client)
            except Exception as exc:  # noqa: BLE001  (record it, go on with the next target)
                import traceback

                say(f"{name} failed: {exc!r}; logs under bench/results/logs/")
                results.setdefault("errors", {})[name] = traceback.format_exc()[-3000:]
                bench.save()
            finally:
                client.stop()
                target.stop()
                targets.remove(target)
        if 5 in args.scenarios:
            results["database_scale"] = db_scale(args, redis, postgres)
            bench.save()
    except KeyboardInterrupt:
        interrupted = True
        say("interrupted: stopping everything")
    finally:
        if client is not None:
            client.stop()
        for target in targets:
            target.stop()
        if redis is not None:
            redis.stop(signal.SIGTERM)
        if postgres is not None:
            try:
                postgres.drop_all()
            except Exception as exc:  # noqa: BLE001
                say(f"could not drop the benchmark databases: {exc}")
        keep = SCRATCH / "logs"
        keep.mkdir(parents=True, exist_ok=True)
        for log in workdir.glob("*.log"):
            shutil.copy(log, keep / log.name)
        shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    results["meta"]["interrupted"] = interrupted
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    (SCRATCH / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=2))

    from bench import report

    print(report.render(results))
    if args.full and not args.no_docs and not interrupted:
        report.write_docs(results)
    say(
        f"results: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} "
        f"({results['meta']['duration_s']} s)"
    )
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
