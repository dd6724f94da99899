"""Faults: kill, stop and restart parts of the running system while notifications are in flight.

Each test counts, from the clients' side, what was lost (must be 0), shown twice (must be 0) and
received twice (allowed, counted), and how long the system took to recover.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from tests.e2e.harness import wait_until
from tests.system.harness import (
    database,
    delivery_figures,
    last_shown,
    register_many,
    scalar,
    settle,
)

pytestmark = pytest.mark.e2e

QUICK, SLOW = 200, 2000
SIZES = [pytest.param(QUICK, id="quick"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]


def _clients_for(fleet, url, users):
    clients = fleet.open(url, [u["token"] for u in users])
    return {u["id"]: c for u, c in zip(users, clients, strict=True)}


def _promote(system, staff, title: str) -> None:
    response = system.api("POST", "/api/promotions", staff["token"], json={"title": title, "message": "m"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("size", SIZES)
def test_worker_killed_three_times_mid_fan_out_loses_nothing(boot, fleet, reliability, size):
    customers, rounds = (50, 4) if size == QUICK else (200, 10)
    row = reliability(
        "Celery worker SIGKILL ×3 mid fan-out",
        "fault",
        f"{rounds} promotions to {customers} connected customers ({customers * rounds} notifications), fan-out in "
        "batches of 10; the worker is killed with SIGKILL three times while a fan-out is half done, then restarted",
        "every customer shows every promotion once; the killed fan-outs resume",
        order=1,
        size=customers * rounds,
    )
    booted = boot(extra_env={"FANOUT_BATCH_SIZE": "10"})
    system = booted.system
    staff = system.employee("staff")
    users = register_many(system, customers)
    clients = _clients_for(fleet, system.url, users)
    engine = database(system)
    expected_titles: set[str] = set()
    kills = []
    per_kill = rounds // 3 or 1
    started = time.monotonic()
    for kill in range(3):
        before = scalar(engine, "SELECT count(*) FROM notifications")
        batch = [
            f"Promo {kill}-{k} {uuid.uuid4().hex[:6]}" for k in range(per_kill if kill < 2 else rounds - 2 * per_kill)
        ]
        for title in batch:
            _promote(system, staff, title)
        expected_titles |= set(batch)
        target = before + len(batch) * customers
        # mid fan-out: some of this round's rows are written, not all
        wait_until(
            lambda b=before: scalar(engine, "SELECT count(*) FROM notifications") > b,
            timeout=30,
            interval=0.01,
            what="the fan-out to start",
        )
        at = scalar(engine, "SELECT count(*) FROM notifications")
        system.processes["worker"].stop(signal.SIGKILL)
        kills.append(f"{at - before}/{target - before}")
        system.start_worker()
    restarted = time.monotonic()
    expected = {uid: set(expected_titles) for uid in clients}
    recovery = settle(clients, expected, restarted, timeout=90)
    figures = delivery_figures(clients, expected)
    row.figures.update(
        {
            **figures,
            "rows written when killed": ", ".join(kills),
            "recovery s": recovery,
            "total s": round(time.monotonic() - started, 1),
        }
    )
    assert recovery is not None and figures["lost"] == 0 and figures["duplicates_shown"] == 0, row.figures


class Creator(threading.Thread):
    """Staff creating `count` notifications (and moving `orders` to paid) at a steady pace over `seconds`,
    retrying each one until it is accepted, the way an operator's tool would. Bounded in count and time."""

    def __init__(self, system, staff, users, count, seconds, orders=(), prefix="Note"):
        super().__init__(daemon=True)
        self.system, self.staff, self.users, self.count, self.seconds = system, staff, users, count, seconds
        self.orders, self.prefix = list(orders), prefix
        self.expected: dict[int, set[str]] = {u["id"]: set() for u in users}
        self.refused: Counter[str] = Counter()
        self.codes: Counter[str] = Counter()  # `code` of the 503 problems
        self.accepted: list[tuple[float, int, str]] = []  # (when, user id, title)
        self.first_refusal = self.last_refusal = None
        self.deadline = time.monotonic() + seconds + 120

    def _until_accepted(self, method, path, body, ok) -> bool:
        while time.monotonic() < self.deadline:
            try:
                response = self.system.api(method, path, self.staff["token"], json=body)
                status = response.status_code
            except requests.RequestException:
                status = "no answer"
            if status == ok:
                return True
            if status == 503:
                if response.headers.get("Content-Type", "").startswith("application/problem+json") and (
                    response.headers.get("Retry-After")
                ):
                    self.codes[response.json().get("code", "?")] += 1
                else:
                    status = "503 without problem JSON and Retry-After"
            self.refused[str(status)] += 1
            now = time.monotonic()
            self.first_refusal = self.first_refusal or now
            self.last_refusal = now
            time.sleep(0.25)
        return False

    def run(self) -> None:
        start = time.monotonic()
        order_every = max(1, self.count // max(1, len(self.orders))) if self.orders else 0
        for i in range(self.count):
            time.sleep(max(0.0, start + i * self.seconds / self.count - time.monotonic()))
            user = self.users[i % len(self.users)]
            title = f"{self.prefix} {i} {uuid.uuid4().hex[:6]}"
            body = {"user_id": user["id"], "type": "promotion", "title": title, "message": "m"}
            if self._until_accepted("POST", "/api/notifications", body, 201):
                self.expected[user["id"]].add(title)
                self.accepted.append((time.monotonic(), user["id"], title))
            if order_every and i % order_every == 0 and self.orders:
                order_id, owner = self.orders.pop(0)
                path = f"/api/orders/{order_id}/status"
                if self._until_accepted("PATCH", path, {"status": "paid"}, 200):
                    self.expected[owner].add(f"Order #{order_id} is paid")
                    self.accepted.append((time.monotonic(), owner, f"Order #{order_id} is paid"))

    def between(self, start: float, end: float) -> dict[int, set[str]]:
        """What was accepted between `start` and `end` (time.monotonic), per user."""
        titles: dict[int, set[str]] = {}
        for when, user_id, title in self.accepted:
            if start <= when <= end:
                titles.setdefault(user_id, set()).add(title)
        return titles

    def first_accepted_after(self, moment: float) -> float | None:
        return min((when for when, _, _ in self.accepted if when >= moment), default=None)


def _orders_for(system, users, staff):
    """One pending order per user (a product with plenty of stock): (order_id, user_id) pairs."""
    body = {
        "sku": f"SYS-{uuid.uuid4().hex[:8]}",
        "name": "Fault pens",
        "category": "pens",
        "price_cents": 100,
        "stock": 100000,
        "low_stock_threshold": 0,
    }
    product = system.api("POST", "/api/products", staff["token"], json=body).json()["id"]
    orders = []
    for user in users:
        body = {"items": [{"product_id": product, "quantity": 1}], "shipping_address": "1 Fault Lane, Springfield"}
        response = system.api("POST", "/api/orders", user["token"], json=body)
        assert response.status_code == 201, response.text
        orders.append((response.json()["id"], user["id"]))
    return orders


@pytest.mark.parametrize("size", SIZES)
def test_redis_restarted_while_notifications_are_created_loses_nothing(boot, fleet, reliability, size):
    customers, down, orders_n = (20, 3, 10) if size == QUICK else (100, 20, 50)
    seconds = down + 5 if size == QUICK else down + 30
    row = reliability(
        "Redis restarted (down, data lost) while notifications are created",
        "fault",
        f"staff create {size} notifications for {customers} connected customers over {seconds} s and mark "
        f"{orders_n} orders paid; Redis (no persistence) is killed and stays down {down} s, then starts empty",
        "the API keeps accepting (auth does not need Redis); every accepted notification is shown once, those "
        "accepted while Redis was down soon after it is back (resend and outbox sweeps)",
        order=2,
        size=size,
    )
    booted = boot()
    system = booted.system
    staff = system.employee("staff")
    users = register_many(system, customers)
    orders = _orders_for(system, users[:orders_n] * (orders_n // customers + 1), staff)[:orders_n]
    clients = _clients_for(fleet, system.url, users)
    creator = Creator(system, staff, users, size, seconds, orders)
    creator.start()
    wait_until(lambda: len(creator.accepted) >= 5, timeout=30, interval=0.02, what="the creator under way")
    booted.redis.stop(signal.SIGKILL)
    down_at = time.monotonic()
    time.sleep(down)
    booted.redis.start()
    back = time.monotonic()
    creator.join(seconds + 180)
    assert not creator.is_alive()
    recovery = settle(clients, creator.expected, back, timeout=120)
    during = creator.between(down_at, back)
    shown_at = last_shown(clients, during)
    figures = delivery_figures(clients, creator.expected)
    row.figures.update(
        {
            **figures,
            "down s": round(back - down_at, 1),
            "accepted while down": sum(map(len, during.values())),
            "requests refused (retried)": dict(creator.refused) or 0,
            "those shown after s (from Redis back)": round(shown_at - back, 1) if shown_at else None,
            "all shown after s (creation goes on)": recovery,
        }
    )
    assert row.figures["accepted while down"] > 0, row.figures  # the outage happened under traffic
    assert recovery is not None and figures["lost"] == 0 and figures["duplicates_shown"] == 0, row.figures


def _schedule(system, staff, title: str, in_seconds: float) -> int:
    send_at = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=in_seconds)).isoformat()
    response = system.api(
        "POST", "/api/promotions", staff["token"], json={"title": title, "message": "m", "send_at": send_at}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize("size", [pytest.param(100, id="quick"), pytest.param(500, id="slow", marks=pytest.mark.slow)])
def test_web_restarted_under_connected_clients_replays_their_queues(boot, fleet, reliability, size):
    row = reliability(
        "Web process restarted under connected clients",
        "fault",
        f"{size} customers connected (WebSocket); a promotion, then the only web process is stopped while two "
        "scheduled promotions go out (beat and worker keep running), started again on the same port; clients "
        "reconnect with jittered backoff (0.5–5 s, ±50 %); one more promotion after",
        f"all {size} clients reconnect, the promotions sent while the web was down are replayed from their "
        "queues, every promotion shown once",
        order=3,
        size=size * 4,
    )
    system = boot().system
    staff = system.employee("staff")
    users = register_many(system, size)
    clients = _clients_for(fleet, system.url, users)
    engine = database(system)
    titles = [f"Restart {k} {uuid.uuid4().hex[:6]}" for k in range(4)]
    _promote(system, staff, titles[0])
    settle(clients, {uid: {titles[0]} for uid in clients}, time.monotonic(), timeout=60)
    promo_ids = [_schedule(system, staff, titles[1], 1.5), _schedule(system, staff, titles[2], 2.5)]
    system.processes["web0"].stop()
    stopped = time.monotonic()
    ids = ",".join(map(str, promo_ids))
    wait_until(
        lambda: scalar(engine, f"SELECT count(*) FROM promotions WHERE status = 'sent' AND id IN ({ids})") == 2,
        timeout=60,
        what="the promotions sent while the web is down",
    )
    system.start_web(0)
    back = time.monotonic()
    try:
        wait_until(lambda: fleet.connected() == size, timeout=90, interval=0.2, what="every client reconnected")
        reconnected = round(time.monotonic() - back, 1)
    except TimeoutError:
        reconnected = None
    _promote(system, staff, titles[3])
    expected = {uid: set(titles) for uid in clients}
    recovery = settle(clients, expected, back, timeout=90)
    figures = delivery_figures(clients, expected)
    row.figures.update(
        {
            **figures,
            "web down s": round(back - stopped, 1),
            "all reconnected after s": reconnected,
            "connections per client": round(sum(c.connects for c in clients.values()) / size, 2),
            "recovery s (from web back)": recovery,
        }
    )
    assert reconnected is not None and recovery is not None, row.figures
    assert figures["lost"] == 0 and figures["duplicates_shown"] == 0, row.figures


@pytest.mark.parametrize("size", SIZES)
def test_clients_offline_for_a_while_get_everything_when_back(boot, fleet, reliability, size):
    customers, offline = (20, 3) if size == QUICK else (100, 20)
    row = reliability(
        "Clients offline for a while, then back",
        "fault",
        f"{customers} customers; half of them close their client, {size} notifications are created for all of "
        f"them over {offline} s, then the absent ones connect again",
        "those online see theirs live; the returning ones get their queue replayed; all shown once",
        order=4,
        size=size,
    )
    system = boot().system
    staff = system.employee("staff")
    users = register_many(system, customers)
    clients = _clients_for(fleet, system.url, users)
    away = users[: customers // 2]
    for user in away:
        clients[user["id"]].close()
    creator = Creator(system, staff, users, size, offline, prefix="Away")
    creator.start()
    creator.join(offline + 120)
    assert not creator.is_alive()
    back = time.monotonic()
    returned = fleet.open(system.url, [u["token"] for u in away])
    for user, client in zip(away, returned, strict=True):
        previous = clients[user["id"]]
        client.wire.update(previous.wire)
        client.shown.update(previous.shown)
        clients[user["id"]] = client
    recovery = settle(clients, creator.expected, back, timeout=60)
    figures = delivery_figures(clients, creator.expected)
    row.figures.update(
        {
            **figures,
            "offline clients": len(away),
            "replay complete after s": recovery,
            "refused": dict(creator.refused) or 0,
        }
    )
    assert recovery is not None and figures["lost"] == 0 and figures["duplicates_shown"] == 0, row.figures


@pytest.mark.parametrize("size", SIZES)
def test_two_beats_send_each_scheduled_promotion_once(boot, fleet, reliability, size):
    customers, promotions = (40, 5) if size == QUICK else (200, 10)
    row = reliability(
        "Two beat processes started by mistake",
        "fault",
        f"a second `celery beat` next to the first; {promotions} promotions scheduled 1–3 s ahead for "
        f"{customers} connected customers ({customers * promotions} notifications)",
        "each promotion is claimed once and each customer shows each once; the doubled delivery sweep only "
        "adds duplicates on the wire",
        order=5,
        size=customers * promotions,
    )
    system = boot().system
    system.start_beat("beat2")
    staff = system.employee("staff")
    users = register_many(system, customers)
    clients = _clients_for(fleet, system.url, users)
    engine = database(system)
    titles = [f"Twice-scheduled {k} {uuid.uuid4().hex[:6]}" for k in range(promotions)]
    ids = [_schedule(system, staff, title, 1 + 2 * k / promotions) for k, title in enumerate(titles)]
    started = time.monotonic()
    expected = {uid: set(titles) for uid in clients}
    recovery = settle(clients, expected, started, timeout=90)
    id_list = ",".join(map(str, ids))
    wait_until(
        lambda: (
            scalar(engine, f"SELECT count(*) FROM promotions WHERE status='sent' AND id IN ({id_list})") == promotions
        ),
        timeout=60,
        what="every promotion marked sent",
    )
    rows = scalar(
        engine, f"SELECT count(*) FROM notifications WHERE source_key IN ({','.join(repr(f'promo:{i}') for i in ids)})"
    )
    beats = [p for name, p in system.processes.items() if name.startswith("beat")]
    figures = delivery_figures(clients, expected)
    row.figures.update(
        {
            **figures,
            "beats running": sum(1 for p in beats if p.popen.poll() is None),
            "notification rows": rows,
            "all shown after s": recovery,
        }
    )
    assert recovery is not None and rows == customers * promotions, row.figures
    assert figures["lost"] == 0 and figures["duplicates_shown"] == 0 and row.figures["beats running"] == 2


class DatabaseOutage:
    """Make the database unavailable from outside the app: on SQLite an exclusive lock held longer than the
    app's busy timeout; on PostgreSQL new connections refused and the app's sessions terminated."""

    def __init__(self, system):
        self.system, self.url = system, system.env["DATABASE_URL"]

    def __enter__(self):
        if self.url.startswith("sqlite"):
            import sqlite3

            self.conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=10, isolation_level=None)
            self.conn.execute("BEGIN EXCLUSIVE")
        else:
            import sqlalchemy as sa

            name = sa.engine.make_url(self.url).database
            self.admin = sa.create_engine(
                sa.engine.make_url(self.url.replace("postgresql://", "postgresql+psycopg://", 1)).set(
                    database="postgres"
                ),
                isolation_level="AUTOCOMMIT",
            )
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                )
            self.name = name
        return self

    def __exit__(self, *exc):
        if self.url.startswith("sqlite"):
            self.conn.execute("ROLLBACK")
            self.conn.close()
        else:
            import sqlalchemy as sa

            with self.admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))
            self.admin.dispose()


@pytest.mark.parametrize("size", SIZES)
def test_database_unavailable_answers_503_and_recovers_by_itself(boot, fleet, reliability, size):
    customers, outage = (20, 3) if size == QUICK else (100, 15)
    seconds = outage + 5 if size == QUICK else outage + 25
    row = reliability(
        "Database briefly unavailable or locked",
        "fault",
        f"staff create {size} notifications for {customers} connected customers over {seconds} s; meanwhile the "
        f"database is unavailable for {outage} s (SQLite: an exclusive lock held past SQLITE_BUSY_TIMEOUT_MS="
        "1000; PostgreSQL: connections refused and terminated); reads go on too",
        "503 problem JSON with Retry-After (code `database_unavailable`), never 500; the API recovers by "
        "itself; every accepted notification shown once",
        order=6,
        size=size,
    )
    system = boot(extra_env={"SQLITE_BUSY_TIMEOUT_MS": "1000"}).system
    staff = system.employee("staff")
    users = register_many(system, customers)
    clients = _clients_for(fleet, system.url, users)
    creator = Creator(system, staff, users, size, seconds)
    reads: Counter[str] = Counter()
    bodies: Counter[str] = Counter()
    creator.start()
    wait_until(lambda: len(creator.accepted) >= 5, timeout=30, interval=0.02, what="the creator under way")
    with DatabaseOutage(system):
        locked = time.monotonic()
        while time.monotonic() - locked < outage:
            response = system.api("GET", "/api/notifications", users[0]["token"])
            reads[str(response.status_code)] += 1
            if response.status_code == 503:
                bodies[
                    response.json().get("code", "?")
                    if response.headers["Content-Type"].startswith("application/problem+json")
                    else "not a problem"
                ] += 1
            time.sleep(0.2)
    released = time.monotonic()
    creator.join(seconds + 180)
    assert not creator.is_alive()
    first = creator.first_accepted_after(released)
    around = creator.between(locked - 1, released + 1)
    shown_at = last_shown(clients, around)
    recovery = settle(clients, creator.expected, released, timeout=90)
    figures = delivery_figures(clients, creator.expected)
    row.figures.update(
        {
            **figures,
            "writes refused (retried)": dict(creator.refused) or 0,
            "503 codes": dict(creator.codes) or 0,
            "reads during outage": dict(reads),
            "read 503 codes": dict(bodies) or 0,
            "first write accepted after s": round(first - released, 1) if first else None,
            "those around the outage shown after s": round(shown_at - released, 1) if shown_at else None,
            "all shown after s (creation goes on)": recovery,
        }
    )
    # the outage was seen, and only as the contract's 503: writes were refused with database_unavailable
    # (PostgreSQL also refuses reads; SQLite's write-ahead log lets readers through a writer's lock)
    assert set(creator.refused) == {"503"} and set(creator.codes) == {"database_unavailable"}, row.figures
    assert sum(reads.values()) > 0 and set(reads) <= {"200", "503"}, row.figures
    if system.env["DATABASE_URL"].startswith("postgres"):
        assert reads["503"] > 0 and set(bodies) == {"database_unavailable"}, row.figures
    else:
        assert set(reads) == {"200"}, row.figures
    assert recovery is not None and figures["lost"] == 0 and figures["duplicates_shown"] == 0, row.figures
