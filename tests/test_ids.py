"""IDs are never reused (CONTRACT.md): delete the newest row, create one, and it gets a new id, on SQLite too."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text

from novacart.extensions import db
from novacart.inventory.models import Review, StockMovement
from novacart.orders.models import Order, OrderLine, OrderStatusChange, Payment
from tests.orders.test_routes import place


def _newest_then_delete(model) -> int:
    newest = db.session.scalar(select(func.max(model.id)))
    db.session.execute(delete(model).where(model.id == newest))
    db.session.commit()
    return newest


def test_a_deleted_notifications_id_is_never_handed_out_again(client, customer, staff):
    # given a notification the customer deleted (the newest one)
    user_id, headers = customer
    body = {"user_id": user_id, "type": "promotion", "title": "Hello", "message": "First"}
    first = client.post("/api/notifications", json=body, headers=staff[1]).get_json()["id"]
    assert client.delete(f"/api/notifications/{first}", headers=headers).status_code == 204
    # when the next one is created
    second = client.post("/api/notifications", json={**body, "message": "Second"}, headers=staff[1]).get_json()
    # then it has an id of its own, so a client that de-duplicates by id shows it
    assert second["id"] > first


def test_deleted_orders_payments_and_events_leave_their_ids_behind(client, customer, make_product):
    from novacart.events.models import OutboxEvent

    # given an order with its payment and events, all deleted (newest rows of each table)
    _, headers = customer
    product = make_product(stock=10)
    order_id = place(client, headers, (product, 1)).get_json()["id"]
    client.post(f"/api/orders/{order_id}/pay", headers=headers)
    db.session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
    db.session.execute(delete(OrderStatusChange).where(OrderStatusChange.order_id == order_id))
    db.session.execute(delete(StockMovement).where(StockMovement.order_id == order_id))
    deleted = {model: _newest_then_delete(model) for model in (Payment, Order, OutboxEvent)}
    # when another order is placed and paid
    again = place(client, headers, (product, 1)).get_json()["id"]
    client.post(f"/api/orders/{again}/pay", headers=headers)
    # then every new row has a new id
    assert again > deleted[Order]
    assert db.session.scalar(select(Payment.id).where(Payment.order_id == again)) > deleted[Payment]
    assert db.session.scalar(select(func.max(OutboxEvent.id))) > deleted[OutboxEvent]


def test_a_deleted_reviews_id_is_not_reused(client, make_user, make_product):
    product = make_product()
    _, alice = make_user("customer")
    _, bob = make_user("customer")
    client.post(f"/api/products/{product}/reviews", json={"rating": 5, "body": "Good"}, headers=alice)
    deleted = _newest_then_delete(Review)
    created = client.post(f"/api/products/{product}/reviews", json={"rating": 4, "body": "Fine"}, headers=bob)
    assert created.get_json()["id"] > deleted


def test_every_table_with_integer_ids_is_autoincrement_on_sqlite(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's sequences never hand an id out twice")
    ddl = dict(db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    with_ids = [table.name for table in db.metadata.sorted_tables if table.autoincrement_column is not None]
    assert with_ids and all("AUTOINCREMENT" in ddl[name] for name in with_ids), [
        name for name in with_ids if "AUTOINCREMENT" not in ddl[name]
    ]
