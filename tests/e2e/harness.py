"""Start NovaCart as real processes (web, worker, beat) against a real Redis and database, and drive it.

Used by the end-to-end tests and the benchmarks. Every process gets its own environment, the way
the Procfile starts them; logs go to files under the system's directory for post-mortems.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import socketio

ROOT = Path(__file__).resolve().parents[2]
WORKER_THREADS = 4  # each Celery worker: --pool threads --concurrency 4
SECRETS = {  # production wants 32 characters or more
    "SECRET_KEY": "e2e-secret-key-0123456789abcdef-0123456789",
    "JWT_SECRET_KEY": "e2e-jwt-secret-key-0123456789abcdef-0123456789",
    "PAYMENT_WEBHOOK_SECRET": "e2e-payment-secret-0123456789abcdef-0123",
    "SHIPPING_WEBHOOK_SECRET": "e2e-shipping-secret-0123456789abcdef-0123",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)  # spawned with start_new_session: its pid is its group's id


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Signal the process's whole group: gunicorn's worker, a child of the master, goes too."""
        if self.popen.poll() is None:
            _signal_group(self.popen, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen, signal.SIGKILL)
                self.popen.wait(5)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class System:
    """A running NovaCart: `web_urls` (one per web process), a worker and a beat."""

    workdir: Path
    env: dict[str, str]
    web_ports: list[int] = field(default_factory=list)
    processes: dict[str, Process] = field(default_factory=dict)
    root: Path = ROOT  # the source tree the processes run from (bench.ab runs other commits' trees)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_ports[0]}"

    def web_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> Process:
        log = self.workdir / f"{name}.log"
        popen = subprocess.Popen(
            args,
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_web(self, index: int = 0, async_mode: str | None = None, env: dict[str, str] | None = None) -> str:
        while len(self.web_ports) <= index:
            self.web_ports.append(free_port())
        port = self.web_ports[index]
        env = {**(env or {}), "PORT": str(port)}
        if async_mode:
            env["ASYNC_MODE"] = async_mode
        self._spawn(f"web{index}", [sys.executable, "wsgi.py"], env)
        url = self.web_url(index)
        wait_until(lambda: _healthy(url), timeout=30, what=f"web{index} on {url}")
        return url

    def start_worker(self, name: str = "worker") -> Process:
        process = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_worker.celery",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "threads",
                "--concurrency",
                str(WORKER_THREADS),
                "--hostname",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
        )
        wait_until(lambda: "ready." in process.log.read_text(errors="replace"), timeout=30, what=f"{name} ready")
        return process

    def start_beat(self, name: str = "beat") -> Process:
        return self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "celery_worker.celery",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / f"{name}-schedule"),
            ],
        )

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{p.tail()}" for name, p in self.processes.items())

    # -- API helpers -----------------------------------------------------------------------------

    def api(
        self, method: str, path: str, token: str | None = None, base: str | None = None, **kwargs
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, (base or self.url) + path, headers=headers, timeout=15, **kwargs)

    def add_product(self, token: str, *, price_cents: int = 499, stock: int = 10, name: str = "Test product") -> int:
        """Create a product (a fresh SKU, no low-stock alerts) as the token's staff user; returns its id."""
        body = {
            "sku": f"P-{uuid.uuid4().hex[:10]}",
            "name": name,
            "category": "paper",
            "price_cents": price_cents,
            "stock": stock,
            "low_stock_threshold": 0,
        }
        response = self.api("POST", "/api/products", token, json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def place_order(self, token: str, lines: dict[int, int], address: str = "12 Stationery Road, Springfield") -> int:
        """Place an order of `lines` ({product id: quantity}) as the token's user; returns its id."""
        body = {"items": [{"product_id": p, "quantity": q} for p, q in lines.items()], "shipping_address": address}
        response = self.api("POST", "/api/orders", token, json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def register(self, name: str = "Customer") -> dict:
        email = f"{name.lower().replace(' ', '')}-{uuid.uuid4().hex[:8]}@e2e.test"
        response = self.api(
            "POST", "/api/auth/register", json={"email": email, "password": "password123", "name": name}
        )
        response.raise_for_status()
        body = response.json()
        return {
            "id": body["user"]["id"],
            "email": email,
            "token": body["access_token"],
            "refresh": body["refresh_token"],
        }

    def employee(self, role: str) -> dict:
        email = f"{role}-{uuid.uuid4().hex[:8]}@e2e.test"
        self.flask(
            "users", "create", "--email", email, "--password", "password123", "--role", role, "--name", role.title()
        )
        body = self.api("POST", "/api/auth/login", json={"email": email, "password": "password123"}).json()
        return {"id": body["user"]["id"], "email": email, "token": body["access_token"]}


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def fresh_database(prefix: str = "novacart_test", base: str | None = None) -> Iterator[str | None]:
    """A new, empty PostgreSQL database when the suite runs on PostgreSQL (TEST_DATABASE_URL) or `base`
    names a server, else None (the caller uses SQLite in its own directory). Dropped on exit, connections and all."""
    base = base or os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgres"):
        yield None
        return
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = sa.engine.make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False).replace("postgresql+psycopg", "postgresql")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def start_system(
    redis_url: str,
    database_url: str | None = None,
    *,
    web: int = 1,
    worker: bool = True,
    beat: bool = True,
    extra_env: dict[str, str] | None = None,
    root: Path = ROOT,
) -> System:
    """Migrate a fresh database and start the processes (from `root`). The caller stops them (System.stop)."""
    workdir = Path(tempfile.mkdtemp(prefix="novacart-e2e-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NOVACART_", "TEST_", "PYTEST"))},
        **SECRETS,
        "NOVACART_CONFIG": "production",
        # Production settings, minus what needs a real provider and HTTPS on loopback.
        "ALLOW_SANDBOX_PAYMENTS": "true",
        "SESSION_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'novacart.db'}",
        "REDIS_URL": redis_url,
        "AUTH_RATE_LIMIT": "10000/minute",
        "NOTIFICATION_RATE_LIMIT": "100000/minute",
        "ORDER_RATE_LIMIT": "100000/minute",  # tests/system/test_safety.py checks the real limits
        "MAX_PENDING_ORDERS": "1000",
        "SOCKET_CONNECT_RATE_LIMIT": "100000/minute",
        "PROMOTION_POLL_SECONDS": "0.5",
        "OUTBOX_SWEEP_SECONDS": "2",
        "SANDBOX_PAYMENT_DELAY_SECONDS": "0.2",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    system = System(workdir=workdir, env=env, root=root)
    try:
        system.flask("db", "upgrade")
        for index in range(web):
            system.start_web(index)
        if worker:
            system.start_worker()
        if beat:
            system.start_beat()
    except Exception:
        print(system.logs())
        system.stop()
        raise
    return system


def cleanup(system: System) -> None:
    system.stop()
    shutil.rmtree(system.workdir, ignore_errors=True)


@functools.cache
def wire_validators(base_url: str) -> dict[str, Any]:
    """A JSON Schema validator per Socket.IO event, from the system's own /api/asyncapi.json."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = requests.get(base_url + "/api/asyncapi.json", timeout=10).json()
    registry = Registry().with_resource("urn:asyncapi", Resource(contents=document, specification=DRAFT202012))
    validators = {}
    for message in document["components"]["messages"].values():
        ref = "urn:asyncapi" + message["payload"]["$ref"]
        validators[message["name"]] = Draft202012Validator({"$ref": ref}, registry=registry)
    return validators


def check_wire(base_url: str, event: str, payload: Any) -> str | None:
    """Why `payload` is not what the AsyncAPI document says `event` carries, or None."""
    validator = wire_validators(base_url.rstrip("/")).get(event)
    if validator is None:
        return f"{event!r} is not in /api/asyncapi.json"
    error = next(iter(validator.iter_errors(payload)), None)
    return f"{event}: {error.message} at {list(error.absolute_path)}" if error else None


class Recorder:
    """A python-socketio client over a real socket that records every event and can wait for them.

    Every payload it receives is checked against the system's AsyncAPI document; `invalid` lists what
    did not match (the `recorders` fixture fails a test that received any)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        transports: list[str] | None = None,
        headers: dict[str, str] | None = None,
        ack: bool = True,
        auth: dict | None = None,
    ):
        self.url, self.token, self.transports, self.headers, self.auto_ack = url, token, transports, headers, ack
        self.auth = auth if auth is not None else ({"token": token} if token else {})
        self.client = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.cond = threading.Condition()
        self.client.on("*", self._on_any)
        self.client.on("connect_error", self._on_connect_error)
        self.connect_error: Any = None
        self.invalid: list[str] = []

    def _on_any(self, event: str, *args: Any) -> None:
        payload = args[0] if args else None
        try:
            problem = check_wire(self.url, event, payload)
        except Exception as exc:  # a broken check must fail the test, not kill the client's thread
            problem = f"{event}: could not be checked ({exc!r})"
        with self.cond:
            if problem:
                self.invalid.append(problem)
            self.events.append((event, payload))
            self.cond.notify_all()
        if self.auto_ack and event == "notification" and isinstance(payload, dict):
            # A notification read while the test closes the socket cannot be acknowledged any more.
            with contextlib.suppress(socketio.exceptions.BadNamespaceError):
                self.client.emit("notification:ack", {"ids": [payload["id"]]})

    def _on_connect_error(self, data: Any) -> None:
        self.connect_error = data

    def connect(self, timeout: float = 10) -> Recorder:
        self.client.connect(
            self.url,
            auth=self.auth,
            transports=self.transports or ["websocket"],
            headers=self.headers or {},
            wait_timeout=timeout,
        )
        return self

    def try_connect(self, timeout: float = 5) -> bool:
        try:
            self.connect(timeout)
            return True
        except socketio.exceptions.ConnectionError:
            return False

    def of(self, name: str) -> list[Any]:
        with self.cond:
            return [payload for event, payload in self.events if event == name]

    def wait_for(
        self, name: str, predicate: Callable[[Any], bool] = lambda _: True, timeout: float = 10, count: int = 1
    ) -> list[Any]:
        """Wait until `count` events `name` matching `predicate` have arrived; return them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                matched = [p for e, p in self.events if e == name and predicate(p)]
                if len(matched) >= count:
                    return matched
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{count} × {name!r} not received in {timeout}s; got {self.events[-10:]}")
                self.cond.wait(remaining)

    def emit(self, event: str, data: Any) -> None:
        self.client.emit(event, data)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def fence(system: System, staff_token: str, recorder: Recorder, user_id: int) -> str:
    """Send `user_id` a marker notification and wait for it on `recorder`: anything meant for that socket
    before it has arrived by then (one Redis channel, relayed in order). Returns the marker's title."""
    marker = f"fence-{uuid.uuid4().hex[:6]}"
    body = {"user_id": user_id, "type": "promotion", "title": marker, "message": marker}
    assert system.api("POST", "/api/notifications", staff_token, json=body).status_code == 201
    recorder.wait_for("notification", lambda n: n["title"] == marker)
    return marker
