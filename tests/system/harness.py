"""Break the running system: a Redis of its own, the database from the outside, and clients that count.

Builds on tests/e2e/harness.py (start_system, Process, wait_until): the faults here need a Redis they
may stop and restart, so each system gets a private redis-server on a free port; the shared
TEST_REDIS_URL server is never touched. Every loop is bounded and every process is stopped by the
fixture that started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import redis as redis_lib
import requests
import socketio
import sqlalchemy as sa

from tests.e2e.harness import System, free_port, fresh_database, wait_until  # noqa: F401  (fresh_database re-exported)

ACK_DELAY_SECONDS = 0.1  # the React client batches its acks over 100 ms (useNotificationSocket's ackDelayMs)


class RedisServer:
    """A redis-server of our own on a fixed port, so it can be stopped and started again at the same URL.

    No persistence (`--save "" --appendonly no`): a restart loses everything in it (queued Celery
    tasks, unacknowledged-task bookkeeping, rate-limit counters), the harshest case.
    """

    def __init__(self, workdir: Path, *, maxclients: int | None = None):
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed (make setup)")
        self.workdir, self.port, self.maxclients = workdir, free_port(), maxclients
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                *(["--maxclients", str(self.maxclients)] if self.maxclients else []),
            ],
            stdout=(self.workdir / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis_lib.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(lambda: _pings(client), timeout=10, what=f"redis-server on {self.port}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _pings(client: redis_lib.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_lib.RedisError:
        return False


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (gunicorn's workers under its master), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:  # the name may hold spaces and parentheses
            found.append(int(entry.name))
    return sorted(found)


def sockets_held(pid: int, port: int) -> int:
    """Established TCP connections that process `pid` accepted on its listening `port`."""
    inodes = set()
    with suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    held = 0
    for table in ("tcp", "tcp6"):
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                    held += 1
    return held


def database(system: System) -> sa.Engine:
    """The system's database, seen from outside (counting rows, taking locks): never through the app."""
    url = system.env["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


class DisplayClient:
    """One user's browser tab: a python-socketio client that reconnects with jittered backoff (as
    socket.io-client does), shows each notification once by id, and acknowledges in batches.

    Counts everything that came over the wire (`wire`), what it showed (`shown`, de-duplicated by id),
    its connections, and when each id was first shown.
    """

    def __init__(self, url: str, token: str, *, reconnect: bool = True, transports: list[str] | None = None):
        self.url, self.token, self.transports = url, token, transports or ["websocket"]
        self.client = socketio.Client(
            reconnection=reconnect,
            reconnection_attempts=0,
            reconnection_delay=0.5,
            reconnection_delay_max=5,
            randomization_factor=0.5,
        )
        self.lock = threading.Lock()
        self.wire: Counter[int] = Counter()
        self.shown: dict[int, dict] = {}
        self.shown_at: dict[int, float] = {}
        self.connects = 0
        self.pending_acks: set[int] = set()
        self.events: Counter[str] = Counter()
        self.client.on("notification", self._on_notification)
        self.client.on("connect", self._on_connect)
        self.client.on("*", self._on_other)

    def _on_connect(self) -> None:
        with self.lock:
            self.connects += 1

    def _on_other(self, event: str, *args: Any) -> None:
        with self.lock:
            self.events[event] += 1

    def _on_notification(self, payload: Any) -> None:
        if not isinstance(payload, dict) or "id" not in payload:
            return
        nid = payload["id"]
        with self.lock:
            self.wire[nid] += 1
            self.pending_acks.add(nid)
            if nid not in self.shown:
                self.shown[nid] = payload
                self.shown_at[nid] = time.monotonic()

    def flush_acks(self) -> None:
        with self.lock:
            ids, self.pending_acks = sorted(self.pending_acks), set()
        if ids and self.client.connected:
            try:
                for start in range(0, len(ids), 500):
                    self.client.emit("notification:ack", {"ids": ids[start : start + 500]})
            except Exception:  # disconnected meanwhile: the queue keeps them, they come again
                pass

    def connect(self, timeout: float = 20) -> DisplayClient:
        self.client.connect(
            self.url, auth={"token": self.token}, transports=self.transports, wait_timeout=timeout, retry=True
        )
        return self

    def titles(self) -> Counter[str]:
        with self.lock:
            return Counter(n["title"] for n in self.shown.values())

    def close(self) -> None:
        with suppress(Exception):
            self.client.disconnect()


class Fleet:
    """Many DisplayClients and one thread that flushes their acks every 100 ms, like the real client."""

    def __init__(self) -> None:
        self.clients: list[DisplayClient] = []
        self._stop = threading.Event()
        self._acker = threading.Thread(target=self._ack_loop, daemon=True)
        self._acker.start()

    def _ack_loop(self) -> None:
        while not self._stop.wait(ACK_DELAY_SECONDS):
            for client in list(self.clients):
                client.flush_acks()

    def open(self, url: str, tokens: list[str], *, parallel: int = 16, **kwargs: Any) -> list[DisplayClient]:
        opened = [DisplayClient(url, token, **kwargs) for token in tokens]
        self.clients.extend(opened)
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(lambda c: c.connect(), opened))
        return opened

    def connected(self) -> int:
        return sum(1 for c in self.clients if c.client.connected)

    def close(self) -> None:
        self._stop.set()
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda c: c.close(), self.clients))
        self._acker.join(2)


def delivery_figures(clients: dict[int, DisplayClient], expected: dict[int, set[str]]) -> dict[str, int]:
    """Compare what each user's client showed with the titles that user must see (one each).

    lost: expected titles never shown; duplicates shown: a title shown under two ids (the client's
    de-duplication by id cannot hide that); duplicates on the wire: notifications received again.
    """
    lost = shown_twice = on_wire = shown = 0
    for user_id, client in clients.items():
        titles = client.titles()
        want = expected.get(user_id, set())
        lost += len(want - titles.keys())
        shown_twice += sum(n - 1 for title, n in titles.items() if n > 1)
        with client.lock:
            on_wire += sum(n - 1 for n in client.wire.values())
            shown += len(client.shown)
    return {
        "expected": sum(len(v) for v in expected.values()),
        "shown": shown,
        "lost": lost,
        "duplicates_shown": shown_twice,
        "duplicates_on_wire": on_wire,
    }


def settle(
    clients: dict[int, DisplayClient], expected: dict[int, set[str]], since: float, timeout: float
) -> float | None:
    """Wait until every client showed what it must; the seconds since `since`, or None if that never happened."""
    try:
        wait_until(lambda: all_shown(clients, expected), timeout=timeout, interval=0.2, what="every notification shown")
    except TimeoutError:
        return None
    return round(time.monotonic() - since, 1)


def last_shown(clients: dict[int, DisplayClient], titles: dict[int, set[str]]) -> float | None:
    """When the last of `titles` (per user) was first shown (time.monotonic), or None if one never was."""
    latest = 0.0
    for user_id, wanted in titles.items():
        client = clients[user_id]
        with client.lock:
            seen = {n["title"]: client.shown_at[nid] for nid, n in client.shown.items()}
        for title in wanted:
            if title not in seen:
                return None
            latest = max(latest, seen[title])
    return latest


def all_shown(clients: dict[int, DisplayClient], expected: dict[int, set[str]]) -> bool:
    return all(expected.get(uid, set()) <= client.titles().keys() for uid, client in clients.items())


def register_many(system: System, count: int, prefix: str = "cust", parallel: int = 8) -> list[dict]:
    """`count` customers through the real API (the harness' web runs with a high AUTH_RATE_LIMIT)."""
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda i: system.register(f"{prefix}{i}"), range(count)))


def start_nginx(system: System) -> str:
    """deploy/nginx/novacart.conf, as shipped, in front of every web process of `system`; returns its URL."""
    from deploy import cluster

    port = free_port()
    command = cluster.write(
        system.workdir / "nginx",
        f"127.0.0.1:{port}",
        [f"127.0.0.1:{web}" for web in system.web_ports],
        workers=1,
        connections=4096,
    )
    system._spawn("nginx", command)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with suppress(requests.RequestException):
            return requests.get(url + "/healthz", timeout=2).status_code == 200
        return False

    wait_until(healthy, timeout=20, what=f"nginx on {url}")
    return url


def postgres_server() -> str:
    """The suite's PostgreSQL (TEST_DATABASE_URL), else the one scripts/postgres.sh starts (installing it as root)."""
    if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        return os.environ["TEST_DATABASE_URL"]
    script = Path(__file__).resolve().parents[2] / "scripts" / "postgres.sh"
    result = subprocess.run([str(script), "novacart_system"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/postgres.sh failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="novacart-sys-"))
