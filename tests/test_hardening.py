"""Small safety rules: /metrics behind METRICS_TOKEN, outbox pruning, password hashing off the event loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from novacart.db import utcnow
from novacart.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_metrics_want_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "scrape-me-0123456789"
    try:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    finally:
        app.config["METRICS_TOKEN"] = None
    assert ok.status_code == 200 and b"novacart_connected_sockets" in ok.data
    assert client.get("/metrics").status_code == 200  # no token set: open, as before


def test_beat_prunes_dispatched_events_past_their_retention(app, make_user, make_product):
    from novacart import events
    from novacart.events import tasks
    from novacart.events.models import OutboxEvent
    from novacart.inventory import services as inventory_services
    from novacart.inventory.models import WaitlistEntry

    # given an old dispatched event (one a fulfilled waitlist entry points at), a recent one, an undispatched one
    user_id, _ = make_user("customer")
    product = make_product(stock=0)
    inventory_services.join_waitlist(user_id, product)
    inventory_services.adjust_stock(None, product, 5, "delivery")  # back in stock: an event, dispatched eagerly
    old = db.session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()))
    recent = events.publish("test.recent", {})
    waiting = events.publish("test.waiting", {})
    db.session.commit()
    long_ago = utcnow() - timedelta(days=app.config["OUTBOX_RETENTION_DAYS"] + 1)
    db.session.execute(update(OutboxEvent).where(OutboxEvent.id == old).values(dispatched_at=long_ago))
    db.session.execute(update(OutboxEvent).where(OutboxEvent.id == recent).values(dispatched_at=utcnow()))
    db.session.execute(
        update(OutboxEvent).where(OutboxEvent.id == waiting).values(dispatched_at=None, created_at=long_ago)
    )
    db.session.commit()
    # when beat prunes
    assert tasks.prune_outbox() == 1
    # then only the old dispatched one is gone; the waitlist entry forgets it
    left = set(db.session.scalars(select(OutboxEvent.id)))
    assert old not in left and {recent, waiting} <= left
    entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.product_id == product))
    db.session.refresh(entry)
    assert entry.fulfilled_at is not None and entry.fulfilled_event_id is None


HUB_CHECK = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import gevent, os
    from config import TestingConfig
    from novacart import create_app
    from novacart.auth import hashing

    class Gevent(TestingConfig):
        PASSWORD_HASH_METHOD = "scrypt"
        PASSWORD_HASH_CONCURRENCY = 2

    app = create_app(Gevent)
    app.config["SOCKETIO_ASYNC_MODE"] = "gevent"  # as in the web process
    ticks = []
    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.005)
    gevent.spawn(ticker)
    gevent.sleep(0.02)
    def login():  # what one request does
        with app.app_context():
            return hashing.check_password(hashing.hash_password("correct horse"), "correct horse")
    before = len(ticks)
    logins = [gevent.spawn(login) for _ in range(4)]
    gevent.joinall(logins, raise_error=True)
    during = len(ticks) - before
    ok = all(g.value for g in logins)
    print(during, ok)
    """
)


def test_password_hashing_leaves_the_gevent_hub_running():
    # given a gevent web process where a green thread ticks every 5 ms, when four scrypt hashes run
    result = subprocess.run(
        [sys.executable, "-c", HUB_CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    during, ok = result.stdout.split()[-2:]
    # then the hub kept running meanwhile (on the hub itself, scrypt would have let not one tick through)
    assert ok == "True" and int(during) >= 5, result.stdout


def test_each_app_hashes_as_many_passwords_at_once_as_its_own_setting_allows(app):
    # given an app that hashes one password at a time has already hashed one
    import threading

    from config import TestingConfig
    from novacart import create_app
    from novacart.auth import hashing

    class OneAtATime(TestingConfig):
        PASSWORD_HASH_CONCURRENCY = 1

    class ThreeAtATime(TestingConfig):
        PASSWORD_HASH_CONCURRENCY = 3

    with create_app(OneAtATime).app_context():
        assert hashing.check_password(hashing.hash_password("first"), "first")

    # when an app allowed three at once gets three logins together, each of which waits for the others
    second = create_app(ThreeAtATime)
    together = threading.Barrier(3, timeout=10)
    outcomes: list[object] = []

    def login() -> None:
        with second.app_context():
            try:
                outcomes.append(hashing._off_the_loop(together.wait))
            except threading.BrokenBarrierError as error:
                outcomes.append(error)

    threads = [threading.Thread(target=login) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    # then all three ran at once: the first app's single slot did not bind the second app
    assert sorted(outcomes) == [0, 1, 2], outcomes
