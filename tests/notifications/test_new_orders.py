"""Order confirmation: the customer's bell says "received" at once; staff hear of a new order at once,
and of a burst of orders in one digest per window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from novacart.db import utcnow
from novacart.extensions import db
from novacart.notifications import digests, tasks
from novacart.notifications.models import OrderAlert
from tests.orders.test_routes import place


def _orders(client, headers, product, count: int) -> list[int]:
    return [place(client, headers, (product, 1)).get_json()["id"] for _ in range(count)]


def _new_orders(client, headers) -> list[dict]:
    return client.get("/api/notifications?type=new_order", headers=headers).get_json()["items"]


def _window_passes() -> None:
    """As if NEW_ORDER_DIGEST_SECONDS went by since the last alert."""
    db.session.execute(
        update(OrderAlert).where(OrderAlert.alerted_at.is_not(None)).values(alerted_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()


def test_placing_an_order_confirms_it_to_the_customer(client, customer, make_product):
    order_id = place(client, customer[1], (make_product(price_cents=250), 2)).get_json()["id"]
    [note] = client.get("/api/notifications", headers=customer[1]).get_json()["items"]
    assert note["type"] == "order_status" and note["data"] == {
        "order_id": order_id,
        "status": "pending",
        "previous_status": None,
    }
    assert note["title"] == f"Order #{order_id} received" and "€5.00" in note["message"]


def test_a_first_order_rings_at_once_and_a_burst_rings_once(app, client, make_user, staff, admin, make_product):
    # given staff, and customers ordering in a burst
    product = make_product(stock=100)
    _, alice = make_user("customer", name="Alice Paper")
    _, bob = make_user("customer")
    app.config["MAX_PENDING_ORDERS"] = 100
    try:
        # when the first order of a quiet spell is placed
        [first] = _orders(client, alice, product, 1)
        # then staff and admins hear of it at once
        for headers in (staff[1], admin[1]):
            [note] = _new_orders(client, headers)
            assert note["data"] == {"order_id": first} and "Alice Paper" in note["message"]
        # when nine more follow within the window
        burst = _orders(client, alice, product, 4) + _orders(client, bob, product, 5)
        tasks.send_new_order_digest()
        # then nothing more rings yet
        assert len(_new_orders(client, staff[1])) == 1
        # and once the window has passed, one digest names them all
        _window_passes()
        assert tasks.send_new_order_digest() == 9
        digest = _new_orders(client, staff[1])[0]
        assert digest["data"] == {"order_ids": burst} and digest["title"] == "9 new orders"
        assert tasks.send_new_order_digest() == 0  # nothing left waiting
        # and after a quiet window, the next order rings at once again
        _window_passes()
        [later] = _orders(client, bob, product, 1)
        assert _new_orders(client, admin[1])[0]["data"] == {"order_id": later}
    finally:
        app.config["MAX_PENDING_ORDERS"] = 3


def test_new_orders_can_be_turned_off(client, customer, make_user, make_product):
    _, quiet = make_user("staff")
    _, loud = make_user("staff")
    assert (
        client.put("/api/notifications/preferences", json={"types": {"new_order": False}}, headers=quiet).status_code
        == 200
    )
    place(client, customer[1], (make_product(), 1))
    assert _new_orders(client, quiet) == [] and len(_new_orders(client, loud)) == 1


def test_a_redispatched_order_event_rings_nobody_twice(client, customer, staff, make_product):
    from sqlalchemy import select

    from novacart.events import tasks as event_tasks
    from novacart.events.models import OutboxEvent

    place(client, customer[1], (make_product(), 1))
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.name == "orders.order_placed"))
    event.dispatched_at = None
    db.session.commit()
    event_tasks.dispatch_event(event.id)
    assert len(_new_orders(client, staff[1])) == 1
    assert len(client.get("/api/notifications", headers=customer[1]).get_json()["items"]) == 1


def test_orders_waiting_when_the_window_ends_go_out_together_with_the_next_one(
    app, client, make_user, staff, make_product
):
    # given an alert, then two orders waiting inside its window
    product = make_product(stock=100)
    _, alice = make_user("customer")
    app.config["MAX_PENDING_ORDERS"] = 100
    try:
        [first] = _orders(client, alice, product, 1)
        waiting = _orders(client, alice, product, 2)
        # when the window passes and a third order arrives before beat's digest sweep
        _window_passes()
        [third] = _orders(client, alice, product, 1)
    finally:
        app.config["MAX_PENDING_ORDERS"] = 3
    # then that order announces the waiting ones with it, in one digest
    digest, alert = _new_orders(client, staff[1])
    assert alert["data"] == {"order_id": first}
    assert digest["data"] == {"order_ids": [*waiting, third]}
    # and beat's sweep finds nothing left to announce
    assert tasks.send_new_order_digest() == 0


def test_alerts_are_forgotten_after_the_retention(client, customer, staff, make_product):
    # given an order announced long ago, and one just now
    _orders(client, customer[1], make_product(), 1)
    _window_passes()
    [recent] = _orders(client, customer[1], make_product(), 1)
    # when alerts older than half an hour are pruned
    assert digests.prune(timedelta(minutes=30)) == 1
    # then only the recent alert is kept (a re-dispatched event of it still rings nobody)
    assert [a.order_id for a in db.session.query(OrderAlert).all()] == [recent]
