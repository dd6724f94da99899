"""The losers of races, played in a fixed order: one request is parked right before its write (tests/faults.Hold)
while a second one, in another session, runs to its commit; then the first goes on and must lose cleanly."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from novacart.orders import signing
from tests.faults import Hold, in_thread
from tests.helpers import assert_problem

ADDRESS = "1 Paper Street, 75001 Paris"


def count(model, *where) -> int:
    from novacart.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def db_notifications(model, user_id: int) -> list:
    from novacart.extensions import db

    db.session.expire_all()
    stmt = select(model).where(model.user_id == user_id, model.type == "order_status").order_by(model.id)
    return list(db.session.scalars(stmt))


def race(app, pattern: str, loser, winner):
    """Run `loser` in its own thread and session until it is about to run `pattern`; run `winner` to the end;
    then let the loser go on. Returns (loser's response, winner's response)."""
    from novacart.extensions import db

    with Hold(db.engine, pattern) as hold:
        thread, outcome = in_thread(app, loser)
        hold.wait_parked()
        won = winner()
        hold.release()
        thread.join(30)
    assert not thread.is_alive() and "error" not in outcome, outcome
    return outcome["result"], won


def test_status_change_race_has_one_winner_and_the_loser_gets_409(app, client, customer, staff, make_product):
    from novacart.events.models import OutboxEvent
    from novacart.inventory.models import Product
    from novacart.notifications.models import Notification
    from novacart.orders.models import OrderStatusChange

    product_id = make_product(stock=5)
    body = {"items": [{"product_id": product_id, "quantity": 2}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    path = f"/api/orders/{order_id}/status"

    # when: one employee marks it paid while another cancels it; the cancel commits first
    paid, cancelled = race(
        app,
        r"^UPDATE orders SET status",
        lambda: app.test_client().patch(path, json={"status": "paid"}, headers=staff[1]),
        lambda: client.patch(path, json={"status": "cancelled"}, headers=staff[1]),
    )

    # then
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert_problem(paid, 409, "illegal_transition")
    assert [h["status"] for h in client.get(f"/api/orders/{order_id}", headers=customer[1]).get_json()["history"]] == [
        "pending",
        "cancelled",
    ]
    assert count(OrderStatusChange, OrderStatusChange.order_id == order_id) == 2
    assert count(OutboxEvent, OutboxEvent.name == "orders.order_status_changed") == 1
    notes = db_notifications(Notification, customer[0])
    assert [n.data["status"] for n in notes] == ["pending", "cancelled"]  # received, then the one move
    from novacart.extensions import db

    assert db.session.get(Product, product_id).stock == 5  # restocked once


def _payment(client, customer, make_product) -> tuple[int, dict]:
    from novacart.extensions import db
    from novacart.orders.models import Payment

    body = {"items": [{"product_id": make_product(price_cents=900), "quantity": 1}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    db.session.add(Payment(order_id=order_id, provider="sandbox", provider_ref="sbx_pay_race", amount_cents=900))
    db.session.commit()
    event = {
        "id": "evt_race",
        "type": "payment.succeeded",
        "data": {"payment_ref": "sbx_pay_race", "order_id": order_id, "amount_cents": 900},
    }
    return order_id, event


def _deliver(client, event: dict):
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", signing.HEADER: signing.sign("test-payment-secret", body)}
    return client.post("/api/webhooks/payments", data=body, headers=headers)


def test_the_same_webhook_event_delivered_twice_at_once_is_applied_once(app, client, customer, make_product):
    from novacart.events.models import OutboxEvent
    from novacart.orders.models import OrderStatusChange, WebhookEvent

    order_id, event = _payment(client, customer, make_product)

    # when: both deliveries found the event id unseen; the second records it first
    late, early = race(
        app,
        r"^INSERT INTO webhook_events",
        lambda: _deliver(app.test_client(), event),
        lambda: _deliver(client, event),
    )

    # then
    assert early.status_code == 200 and early.get_json() == {"received": True, "duplicate": False}
    assert late.status_code == 200 and late.get_json() == {"received": True, "duplicate": True}
    assert count(WebhookEvent, WebhookEvent.event_id == "evt_race") == 1
    assert count(OrderStatusChange, OrderStatusChange.order_id == order_id, OrderStatusChange.status == "paid") == 1
    assert count(OutboxEvent, OutboxEvent.name == "orders.payment_confirmed") == 1


def test_two_products_created_at_once_with_one_sku_give_one_product_and_a_409(app, client, staff):
    from novacart.inventory.models import Product

    body = {"sku": "RACE-1", "name": "Racing pen", "category": "pens", "price_cents": 120, "stock": 3}

    # when: both creations found the SKU free; the second inserts first
    late, early = race(
        app,
        r"^INSERT INTO products",
        lambda: app.test_client().post("/api/products", json=body, headers=staff[1]),
        lambda: client.post("/api/products", json=body, headers=staff[1]),
    )

    # then
    assert early.status_code == 201
    assert_problem(late, 409, "duplicate_sku")
    assert count(Product, Product.sku == "RACE-1") == 1


def test_two_beats_claiming_one_due_promotion_claim_it_once(app, client, staff):
    import datetime as dt

    import time_machine

    from novacart.notifications import promotions

    send_at = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    body = {"title": "Claimed once", "message": "m", "send_at": send_at}
    promotion_id = client.post("/api/promotions", json=body, headers=staff[1]).get_json()["id"]

    # when: both beats saw it due; the second claims it first
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)):
        late, early = race(
            app, r"^UPDATE promotions SET status", promotions.claim_due_promotions, promotions.claim_due_promotions
        )

    # then
    assert (early, late) == ([promotion_id], [])


@pytest.mark.postgres
def test_an_order_for_a_product_deactivated_meanwhile_is_refused_and_reserves_nothing(
    app, client, customer, staff, make_product
):
    from novacart.extensions import db
    from novacart.inventory.models import Product
    from novacart.orders.models import Order

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: the deactivation waits for the order, no race")
    product_id = make_product(stock=5)
    body = {"items": [{"product_id": product_id, "quantity": 2}], "shipping_address": ADDRESS}

    # when: the order found the product on sale; staff take it off sale before its stock is reserved
    ordered, deactivated = race(
        app,
        r"^UPDATE products SET stock",
        lambda: app.test_client().post("/api/orders", json=body, headers=customer[1]),
        lambda: client.delete(f"/api/products/{product_id}", headers=staff[1]),
    )

    # then
    assert deactivated.status_code == 204
    assert_problem(ordered, 409, "product_unavailable")
    db.session.expire_all()
    assert db.session.get(Product, product_id).stock == 5
    assert count(Order) == 0


def test_an_order_paid_while_the_expiry_sweep_cancels_it_stays_paid(app, client, customer, staff, make_product):
    import datetime as dt

    import time_machine

    from novacart.orders import services as order_services

    product_id = make_product(stock=5)
    body = {"items": [{"product_id": product_id, "quantity": 1}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    path = f"/api/orders/{order_id}/status"
    ttl, app.config["PENDING_ORDER_TTL_SECONDS"] = app.config["PENDING_ORDER_TTL_SECONDS"], 60  # tokens outlive it

    # when: the sweep found the order overdue; staff record its payment before the sweep's cancel
    try:
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)):
            expired, paid = race(
                app,
                r"^UPDATE orders SET status",
                order_services.expire_unpaid_orders,
                lambda: client.patch(path, json={"status": "paid"}, headers=staff[1]),
            )
    finally:
        app.config["PENDING_ORDER_TTL_SECONDS"] = ttl

    # then
    assert paid.status_code == 200 and expired == 0
    order = client.get(f"/api/orders/{order_id}", headers=customer[1]).get_json()
    assert [h["status"] for h in order["history"]] == ["pending", "paid"]
