"""Inventory at its edges: the waitlist after fulfilment, thresholds raised above the stock."""

from __future__ import annotations

from sqlalchemy import select


def outbox(name: str) -> list[dict]:
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    return [e.payload for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == name))]


def back_in_stock_notices(client, headers) -> list[dict]:
    items = client.get("/api/notifications?type=back_in_stock", headers=headers).get_json()["items"]
    return items


def restock(client, staff_headers, product_id: int, delta: int) -> None:
    body = {"delta": delta, "reason": "count"}
    assert client.post(f"/api/products/{product_id}/stock", json=body, headers=staff_headers).status_code == 200


def test_rejoining_the_waitlist_after_fulfilment_brings_a_second_notice(client, customer, staff, make_product):
    _, headers = customer
    product_id = make_product(stock=0, threshold=0)
    client.post(f"/api/products/{product_id}/waitlist", headers=headers)
    restock(client, staff[1], product_id, 2)
    assert len(back_in_stock_notices(client, headers)) == 1
    restock(client, staff[1], product_id, -2)  # sold out again
    # when the customer asks again, and it comes back again
    assert client.post(f"/api/products/{product_id}/waitlist", headers=headers).status_code == 201
    restock(client, staff[1], product_id, 1)
    # then
    assert len(back_in_stock_notices(client, headers)) == 2
    # and without asking again, a third return tells nobody
    restock(client, staff[1], product_id, -1)
    restock(client, staff[1], product_id, 4)
    assert len(back_in_stock_notices(client, headers)) == 2


def test_raising_the_threshold_above_the_stock_publishes_low_stock(client, staff, admin, make_product):
    _, headers = staff
    product_id = make_product(stock=4, threshold=2)
    # when
    response = client.patch(f"/api/products/{product_id}", json={"low_stock_threshold": 5}, headers=headers)
    # then
    assert response.status_code == 200
    assert [(p["product_id"], p["stock"], p["low_stock_threshold"]) for p in outbox("inventory.stock_low")] == [
        (product_id, 4, 5)
    ]
    notes = client.get("/api/notifications?type=low_stock", headers=admin[1]).get_json()["items"]
    assert [n["data"]["product_id"] for n in notes] == [product_id]


def test_changing_the_threshold_of_an_already_low_product_publishes_nothing_more(client, staff, make_product):
    _, headers = staff
    product_id = make_product(stock=4, threshold=5)  # low from the start
    for threshold in (6, 3, 4):  # higher while low; lower, above the stock; back to exactly the stock
        client.patch(f"/api/products/{product_id}", json={"low_stock_threshold": threshold}, headers=headers)
    assert [p["low_stock_threshold"] for p in outbox("inventory.stock_low")] == [4]


def test_editing_a_product_to_another_products_sku_is_409(client, staff, make_product):
    from tests.helpers import assert_problem

    make_product(sku="PEN-BLUE")
    product_id = make_product(sku="PEN-RED")
    response = client.patch(f"/api/products/{product_id}", json={"sku": "pen-blue"}, headers=staff[1])
    assert_problem(response, 409, "duplicate_sku")
    assert client.get(f"/api/products/{product_id}").get_json()["sku"] == "PEN-RED"
