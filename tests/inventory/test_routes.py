"""Inventory API: products, stock with audit trail, waitlist, reviews."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import assert_problem

NEW_PRODUCT = {"sku": "PEN-1", "name": "Blue pen", "category": "writing", "price_cents": 150, "stock": 12}


def outbox_names() -> list[str]:
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    return list(db.session.scalars(select(OutboxEvent.name).order_by(OutboxEvent.id)))


def test_staff_creates_product_with_defaults_and_audit_row(client, staff):
    _, headers = staff
    response = client.post("/api/products", json=NEW_PRODUCT, headers=headers)
    assert response.status_code == 201
    product = response.get_json()
    assert product["stock"] == 12 and product["low_stock_threshold"] == 5 and product["is_active"] is True
    assert set(product) == {
        "id",
        "sku",
        "name",
        "description",
        "category",
        "price_cents",
        "stock",
        "low_stock_threshold",
        "is_active",
        "created_at",
        "updated_at",
    }
    history = client.get(f"/api/products/{product['id']}/stock", headers=headers).get_json()["items"]
    assert [(m["delta"], m["stock_after"], m["reason"]) for m in history] == [(12, 12, "opening stock")]


def test_customers_and_anonymous_cannot_manage_products(client, customer, make_product):
    _, headers = customer
    product_id = make_product()
    assert_problem(client.post("/api/products", json=NEW_PRODUCT, headers=headers), 403, "forbidden")
    assert_problem(client.post("/api/products", json=NEW_PRODUCT), 401)
    assert_problem(client.patch(f"/api/products/{product_id}", json={"name": "x"}, headers=headers), 403)
    assert_problem(client.delete(f"/api/products/{product_id}", headers=headers), 403)
    assert_problem(
        client.post(f"/api/products/{product_id}/stock", json={"delta": 1, "reason": "x"}, headers=headers), 403
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": 1.5}, "price_cents"),
        ({"price_cents": "12"}, "price_cents"),
        ({"sku": "bad sku with spaces"}, "sku"),
        ({"name": ""}, "name"),
        ({"stock": -3}, "stock"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_product_validates(client, staff, change, field):
    _, headers = staff
    body = assert_problem(client.post("/api/products", json={**NEW_PRODUCT, **change}, headers=headers), 422)
    assert field in body["errors"]


def test_duplicate_sku_is_409(client, staff):
    _, headers = staff
    client.post("/api/products", json=NEW_PRODUCT, headers=headers)
    assert_problem(
        client.post("/api/products", json={**NEW_PRODUCT, "sku": "pen-1"}, headers=headers), 409, "duplicate_sku"
    )


def test_list_filters_and_paginates_with_a_cursor(client, make_product):
    ids = [make_product(category="paper", name=f"Paper {i}") for i in range(5)]
    make_product(category="ink", name="Black ink", stock=0)
    first = client.get("/api/products?category=paper&limit=2").get_json()
    assert [p["id"] for p in first["items"]] == ids[:2] and first["next_cursor"]
    second = client.get(f"/api/products?category=paper&limit=2&cursor={first['next_cursor']}").get_json()
    assert [p["id"] for p in second["items"]] == ids[2:4]
    third = client.get(f"/api/products?category=paper&limit=2&cursor={second['next_cursor']}").get_json()
    assert [p["id"] for p in third["items"]] == ids[4:] and third["next_cursor"] is None
    assert [p["name"] for p in client.get("/api/products?q=INK").get_json()["items"]] == ["Black ink"]
    assert [p["name"] for p in client.get("/api/products?in_stock=false").get_json()["items"]] == ["Black ink"]
    assert len(client.get("/api/products?in_stock=true").get_json()["items"]) == 5
    assert len(client.get("/api/products?limit=1000").get_json()["items"]) == 6  # capped at 100, not refused
    assert client.get("/api/products?q=%25").get_json()["items"] == []  # LIKE wildcards are literal


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "cursor=not-a-cursor", "in_stock=maybe"])
def test_list_rejects_bad_query_args(client, query):
    assert_problem(client.get(f"/api/products?{query}"), 422, "validation_error")


def test_patch_updates_some_fields_and_not_stock(client, staff, make_product):
    _, headers = staff
    product_id = make_product(stock=7)
    response = client.patch(
        f"/api/products/{product_id}", json={"name": "Renamed", "price_cents": 999}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["name"] == "Renamed" and response.get_json()["stock"] == 7
    assert_problem(client.patch(f"/api/products/{product_id}", json={"stock": 100}, headers=headers), 422)
    assert_problem(client.patch("/api/products/99999", json={"name": "x"}, headers=headers), 404, "not_found")


def test_delete_is_a_soft_delete(client, staff, make_product):
    _, headers = staff
    product_id = make_product()
    assert client.delete(f"/api/products/{product_id}", headers=headers).status_code == 204
    assert_problem(client.get(f"/api/products/{product_id}"), 404)
    assert client.get("/api/products").get_json()["items"] == []
    as_staff = client.get(f"/api/products/{product_id}", headers=headers)
    assert as_staff.status_code == 200 and as_staff.get_json()["is_active"] is False
    assert len(client.get("/api/products?include_inactive=true", headers=headers).get_json()["items"]) == 1
    assert client.get("/api/products?include_inactive=true").get_json()["items"] == []


def test_stock_adjustment_records_reason_and_never_goes_below_zero(client, staff, make_product):
    staff_id, headers = staff
    product_id = make_product(stock=3, threshold=1)
    response = client.post(
        f"/api/products/{product_id}/stock", json={"delta": 10, "reason": "delivery"}, headers=headers
    )
    assert response.status_code == 200 and response.get_json()["stock"] == 13
    assert_problem(
        client.post(f"/api/products/{product_id}/stock", json={"delta": -14, "reason": "breakage"}, headers=headers),
        409,
        "insufficient_stock",
    )
    assert_problem(
        client.post(f"/api/products/{product_id}/stock", json={"delta": 0, "reason": "x"}, headers=headers), 422
    )
    assert_problem(client.post(f"/api/products/{product_id}/stock", json={"delta": 2}, headers=headers), 422)
    history = client.get(f"/api/products/{product_id}/stock", headers=headers).get_json()["items"]
    assert [(m["delta"], m["reason"], m["actor_id"]) for m in history][0] == (10, "delivery", staff_id)
    assert client.get(f"/api/products/{product_id}").get_json()["stock"] == 13


def test_stock_falling_to_threshold_publishes_low_stock_once(client, staff, make_product):
    _, headers = staff
    product_id = make_product(stock=10, threshold=5)
    for delta in (-4, -1, -2):  # 6, then 5 (crosses), then 3 (already low)
        client.post(f"/api/products/{product_id}/stock", json={"delta": delta, "reason": "count"}, headers=headers)
    assert outbox_names().count("inventory.stock_low") == 1


def test_waitlist_join_is_idempotent_and_back_in_stock_fulfils_it_once(
    client, staff, customer, make_user, make_product
):
    _, staff_headers = staff
    customer_id, headers = customer
    other_id, other_headers = make_user("customer")
    product_id = make_product(stock=0)
    assert client.post(f"/api/products/{product_id}/waitlist", headers=headers).status_code == 201
    assert client.post(f"/api/products/{product_id}/waitlist", headers=headers).status_code == 201
    assert client.post(f"/api/products/{product_id}/waitlist", headers=other_headers).status_code == 201
    assert client.delete(f"/api/products/{product_id}/waitlist", headers=other_headers).status_code == 204
    assert client.delete(f"/api/products/{product_id}/waitlist", headers=other_headers).status_code == 204
    assert_problem(client.post(f"/api/products/{product_id}/waitlist", headers=staff_headers), 403)
    assert_problem(client.post("/api/products/424242/waitlist", headers=headers), 404)
    # when stock arrives, then more stock arrives
    client.post(f"/api/products/{product_id}/stock", json={"delta": 5, "reason": "delivery"}, headers=staff_headers)
    client.post(f"/api/products/{product_id}/stock", json={"delta": 5, "reason": "delivery"}, headers=staff_headers)
    # then exactly one back-in-stock event, naming only the customer still waiting
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db
    from novacart.inventory import services

    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "inventory.back_in_stock")).all()
    assert len(events) == 1 and events[0].payload["product_id"] == product_id
    assert services.waitlisted_user_ids(events[0].id) == [customer_id]
    assert services.waitlist_size(product_id) == 0


def test_review_once_per_customer_and_validated(client, customer, staff, make_product):
    customer_id, headers = customer
    _, staff_headers = staff
    product_id = make_product()
    response = client.post(
        f"/api/products/{product_id}/reviews", json={"rating": 5, "body": "Great pen"}, headers=headers
    )
    assert response.status_code == 201
    assert response.get_json()["user_id"] == customer_id and response.get_json()["rating"] == 5
    assert "inventory.review_posted" in outbox_names()
    assert_problem(
        client.post(f"/api/products/{product_id}/reviews", json={"rating": 4, "body": "x"}, headers=headers), 409
    )
    for bad in ({"rating": 6, "body": "x"}, {"rating": 0, "body": "x"}, {"rating": 3}, {"rating": "5", "body": "x"}):
        assert_problem(client.post(f"/api/products/{product_id}/reviews", json=bad, headers=headers), 422)
    assert_problem(
        client.post(f"/api/products/{product_id}/reviews", json={"rating": 3, "body": "x"}, headers=staff_headers), 403
    )
    listed = client.get(f"/api/products/{product_id}/reviews").get_json()["items"]
    assert [r["body"] for r in listed] == ["Great pen"]
