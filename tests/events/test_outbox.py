"""The transactional outbox: a failing subscriber is retried and its attempts counted, the sweep re-dispatches
what lost its hand-off, and gives up on an event after MAX_ATTEMPTS."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from celery.exceptions import Retry

from novacart import events
from novacart.events import tasks

FLAKY = "tests.flaky_event"
calls: Counter[int] = Counter()
failures_left: dict[int, int] = {}


@events.subscribe(FLAKY)
def _flaky_subscriber(event_id: int, payload: dict) -> None:
    """A subscriber that fails `payload["failures"]` times for each event, then works."""
    calls[event_id] += 1
    left = failures_left.setdefault(event_id, payload["failures"])
    if left:
        failures_left[event_id] = left - 1
        raise ConnectionError("the subscriber's dependency is down")


@pytest.fixture(autouse=True)
def _forget_calls():
    yield
    calls.clear()
    failures_left.clear()


def stored(event_id: int):
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    db.session.expire_all()
    return db.session.get(OutboxEvent, event_id)


def commit_then_die() -> None:
    """The web process commits, then is killed before its after-commit hand-off runs."""
    from novacart.extensions import db

    db.session.commit()
    db.session.info.pop("on_commit", None)


def publish_undispatched(name: str, payload: dict, *, attempts: int = 0, age_seconds: float = 0) -> int:
    """An event stored with its change whose hand-off was lost, `age_seconds` old."""
    from novacart.db import utcnow
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    event_id = events.publish(name, payload)
    event = db.session.get(OutboxEvent, event_id)
    event.attempts = attempts
    event.created_at = utcnow() - dt.timedelta(seconds=age_seconds)
    commit_then_die()
    return event_id


def test_a_failing_subscriber_is_retried_and_each_attempt_counted(app):
    from novacart.db import run_after_commit

    # given an event whose subscriber fails twice
    event_id = events.publish(FLAKY, {"failures": 2})
    # when it is committed, the hand-off runs the subscriber, which fails: Celery is asked to retry
    run_after_commit()  # (logs the failed hand-off instead of raising it to the user)
    assert calls[event_id] == 1 and stored(event_id).attempts == 1 and stored(event_id).dispatched_at is None
    # the first retry fails again
    with pytest.raises(Retry):
        tasks.dispatch_event.apply((event_id,), retries=1)
    assert stored(event_id).attempts == 2 and stored(event_id).dispatched_at is None
    # the second goes through and marks the event dispatched
    tasks.dispatch_event.apply((event_id,), retries=2)
    assert calls[event_id] == 3 and stored(event_id).attempts == 3 and stored(event_id).dispatched_at is not None
    # then a late duplicate of the task does nothing
    tasks.dispatch_event.apply((event_id,))
    assert calls[event_id] == 3 and stored(event_id).attempts == 3


def test_dispatching_an_event_that_is_gone_does_nothing(app, caplog):
    tasks.dispatch_event.apply((987654,))
    assert "outbox event 987654 is gone" in caplog.text


def test_the_sweep_recovers_a_lost_hand_off_once_it_is_old_enough(app, client, customer, make_product):
    from novacart.orders import events as order_events
    from novacart.orders.models import Order

    body = {"items": [{"product_id": make_product(), "quantity": 1}], "shipping_address": "1 Paper Street"}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    from novacart.extensions import db

    # given: a status change committed, whose hand-off was lost with the web process
    order = db.session.get(Order, order_id)
    payload = {
        "order_id": order_id,
        "user_id": customer[0],
        "status": "paid",
        "previous_status": "pending",
        "at": order.created_at.isoformat(),
        "by": None,
        "note": None,
        "tracking_number": None,
    }
    event_id = events.publish(order_events.ORDER_STATUS_CHANGED, payload)
    commit_then_die()

    def titles() -> list[str]:
        return [n["title"] for n in client.get("/api/notifications", headers=customer[1]).get_json()["items"]]

    assert f"Order #{order_id} is paid" not in titles()
    # when beat sweeps before OUTBOX_RETRY_AFTER_SECONDS (30 s), the event may still be on its way: left alone
    assert tasks.sweep_outbox() == 0
    # then, once it is overdue, the sweep hands it over and the customer hears about it, once
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)):
        assert tasks.sweep_outbox() == 1
        assert tasks.sweep_outbox() == 0
    assert stored(event_id).dispatched_at is not None and stored(event_id).attempts == 1
    assert titles().count(f"Order #{order_id} is paid") == 1


def test_the_sweep_gives_up_on_an_event_after_max_attempts(app):
    # given two lost events, one with a last attempt left and one without
    last_chance = publish_undispatched(FLAKY, {"failures": 0}, attempts=tasks.MAX_ATTEMPTS - 1, age_seconds=60)
    given_up = publish_undispatched(FLAKY, {"failures": 0}, attempts=tasks.MAX_ATTEMPTS, age_seconds=60)
    # when
    swept = tasks.sweep_outbox()
    # then
    assert swept == 1
    assert calls == {last_chance: 1}
    assert stored(last_chance).dispatched_at is not None and stored(last_chance).attempts == tasks.MAX_ATTEMPTS
    assert stored(given_up).dispatched_at is None and stored(given_up).attempts == tasks.MAX_ATTEMPTS


def test_pruning_deletes_old_dispatched_events_in_batches_and_never_an_undispatched_one(app):
    # given three old dispatched events, an old undispatched one and a recent dispatched one
    def event(*, dispatched: bool, age_days: float) -> int:
        from novacart.db import utcnow
        from novacart.events.models import OutboxEvent
        from novacart.extensions import db

        event_id = events.publish(FLAKY, {"failures": 0})
        row = db.session.get(OutboxEvent, event_id)
        row.created_at = utcnow() - dt.timedelta(days=age_days)
        row.dispatched_at = row.created_at if dispatched else None
        commit_then_die()
        return event_id

    old = [event(dispatched=True, age_days=30) for _ in range(3)]
    lost = event(dispatched=False, age_days=30)
    recent = event(dispatched=True, age_days=1)
    # when
    pruned = tasks.prune_outbox(batch=2)
    # then
    assert pruned == 3 and [stored(i) for i in old] == [None] * 3
    assert stored(lost) is not None and stored(recent) is not None
    assert tasks.prune_outbox(batch=2) == 0
