"""Orders API: placing with atomic reservation, visibility, the status machine, cancel, pay, webhooks."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

from novacart.orders import signing
from tests.helpers import assert_problem

ADDRESS = "1 Paper Street, 75001 Paris"


def place(client, headers, *items, address=ADDRESS):
    lines = [{"product_id": pid, "quantity": qty} for pid, qty in items]
    return client.post("/api/orders", json={"items": lines, "shipping_address": address}, headers=headers)


def stock_of(client, product_id):
    return client.get(f"/api/products/{product_id}").get_json()["stock"]


def signed_post(client, kind, event, *, secret=None, timestamp=None, body=None):
    secret = secret or {"payments": "test-payment-secret", "shipping": "test-shipping-secret"}[kind]
    raw = body if body is not None else json.dumps(event).encode()
    headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(secret, raw, timestamp)}
    return client.post(f"/api/webhooks/{kind}", data=raw, headers=headers)


def test_place_order_reserves_stock_and_records_history(client, customer, make_product):
    customer_id, headers = customer
    pen, paper = make_product(stock=10, price_cents=150), make_product(stock=3, price_cents=600)
    # when
    response = place(client, headers, (pen, 2), (paper, 3), (pen, 1))
    # then
    assert response.status_code == 201
    order = response.get_json()
    assert order["user_id"] == customer_id and order["status"] == "pending"
    assert order["total_cents"] == 3 * 150 + 3 * 600
    assert sorted((i["product_id"], i["quantity"], i["unit_price_cents"]) for i in order["items"]) == [
        (pen, 3, 150),
        (paper, 3, 600),
    ]
    assert [(h["status"], h["by"]) for h in order["history"]] == [("pending", customer_id)]
    assert order["tracking_number"] is None and order["shipping_address"] == ADDRESS
    assert stock_of(client, pen) == 7 and stock_of(client, paper) == 0


def test_place_order_is_all_or_nothing_when_an_item_is_short(client, customer, make_product):
    _, headers = customer
    plenty, scarce = make_product(stock=10), make_product(stock=1)
    body = assert_problem(place(client, headers, (plenty, 2), (scarce, 2)), 409, "insufficient_stock")
    assert body["product_id"] == scarce
    assert stock_of(client, plenty) == 10 and stock_of(client, scarce) == 1
    assert client.get("/api/orders", headers=headers).get_json()["items"] == []


def test_place_order_of_a_deactivated_product_is_409(client, customer, staff, make_product):
    _, headers = customer
    product_id = make_product()
    client.delete(f"/api/products/{product_id}", headers=staff[1])
    assert_problem(place(client, headers, (product_id, 1)), 409, "product_unavailable")
    assert_problem(place(client, headers, (987654, 1)), 409, "product_unavailable")


@pytest.mark.parametrize("quantity", [0, -1, 1.5, 10**12, "2", None, True])
def test_place_order_rejects_bad_quantities(client, customer, make_product, quantity):
    _, headers = customer
    product_id = make_product(stock=10)
    body = {"items": [{"product_id": product_id, "quantity": quantity}], "shipping_address": ADDRESS}
    assert_problem(client.post("/api/orders", json=body, headers=headers), 422, "validation_error")
    assert stock_of(client, product_id) == 10


@pytest.mark.parametrize(
    "body",
    [
        {"items": [], "shipping_address": ADDRESS},
        {"shipping_address": ADDRESS},
        {"items": [{"product_id": 1, "quantity": 1}]},
        {"items": "all of them", "shipping_address": ADDRESS},
        {"items": [{"product_id": 1, "quantity": 1, "price_cents": 0}], "shipping_address": ADDRESS},
    ],
)
def test_place_order_validates_the_body(client, customer, body):
    assert_problem(client.post("/api/orders", json=body, headers=customer[1]), 422)


def test_only_customers_place_orders(client, staff, make_product):
    assert_problem(place(client, staff[1], (make_product(), 1)), 403)
    assert_problem(place(client, {}, (1, 1)), 401)


def test_malformed_json_is_a_json_400(client, customer):
    response = client.post("/api/orders", data="{not json", headers={**customer[1], "Content-Type": "application/json"})
    assert_problem(response, 400)
    response = client.post("/api/orders", data="[1, 2]", headers={**customer[1], "Content-Type": "application/json"})
    assert_problem(response, 400, "invalid_body")


def test_json_nested_too_deeply_is_a_400_not_a_500(client, customer):
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/api/orders", "/api/auth/login"):
        response = client.post(path, data=deep, headers={**customer[1], "Content-Type": "application/json"})
        assert_problem(response, 400, "invalid_body")


# beyond SQLite's 64 bits, and beyond PostgreSQL's INTEGER (which SQLite would have held)
@pytest.mark.parametrize("huge", [2**63, 2**31])
def test_ids_beyond_the_id_columns_are_not_found_or_invalid_not_a_500(client, customer, staff, huge):
    assert_problem(client.get(f"/api/orders/{huge}", headers=customer[1]), 404)
    assert_problem(client.patch(f"/api/notifications/{huge}/read", headers=customer[1]), 404)
    assert_problem(place(client, customer[1], (huge, 1)), 422)
    assert_problem(client.get(f"/api/orders?user_id={huge}", headers=staff[1]), 422)
    body = {"user_id": huge, "type": "promotion", "title": "t", "message": "m"}
    assert_problem(client.post("/api/notifications", json=body, headers=staff[1]), 422)
    event = {"id": "evt_huge", "type": "shipment.shipped", "data": {"order_id": huge}}
    assert_problem(signed_post(client, "shipping", event), 422)


def test_text_with_a_nul_character_is_a_422_naming_its_fields_not_a_500(client, customer, make_product):
    # PostgreSQL cannot hold NUL in text: refused before the database, on SQLite too
    body = {"items": [{"product_id": make_product(), "quantity": 1}], "shipping_address": "12 Main\u0000 Street"}
    response = client.post("/api/orders", json=body, headers=customer[1])
    assert_problem(response, 422, "validation_error")
    assert list(response.get_json()["errors"]) == ["shipping_address"]
    response = client.get("/api/products?q=pa%00per", headers=customer[1])
    assert_problem(response, 422, "validation_error")
    assert list(response.get_json()["errors"]) == ["?q"]
    assert client.get("/api/orders", headers=customer[1]).get_json()["items"] == []


def test_unknown_routes_and_methods_are_json_problems(client):
    assert_problem(client.get("/api/nothing-here"), 404, "not_found")
    assert_problem(client.delete("/api/orders"), 405, "method_not_allowed")


def test_oversized_body_is_413(client, customer):
    big = {"items": [{"product_id": 1, "quantity": 1}], "shipping_address": "x" * (2 * 1024 * 1024)}
    assert_problem(client.post("/api/orders", json=big, headers=customer[1]), 413, "payload_too_large")


def test_customers_see_only_their_own_orders(client, make_user, staff, make_product):
    alice_id, alice = make_user("customer")
    bob_id, bob = make_user("customer")
    product_id = make_product(stock=10)
    alice_order = place(client, alice, (product_id, 1)).get_json()["id"]
    bob_order = place(client, bob, (product_id, 1)).get_json()["id"]
    assert [o["id"] for o in client.get("/api/orders", headers=alice).get_json()["items"]] == [alice_order]
    # a filter for someone else's orders gives the customer only their own
    assert [o["id"] for o in client.get(f"/api/orders?user_id={bob_id}", headers=alice).get_json()["items"]] == [
        alice_order
    ]
    assert_problem(client.get(f"/api/orders/{bob_order}", headers=alice), 404, "not_found")
    assert_problem(client.post(f"/api/orders/{bob_order}/cancel", headers=alice), 404)
    assert_problem(client.post(f"/api/orders/{bob_order}/pay", headers=alice), 404)
    everything = client.get("/api/orders", headers=staff[1]).get_json()["items"]
    assert [o["id"] for o in everything] == [bob_order, alice_order]  # newest first
    only_alice = client.get(f"/api/orders?user_id={alice_id}", headers=staff[1]).get_json()["items"]
    assert [o["id"] for o in only_alice] == [alice_order]
    assert client.get(f"/api/orders/{alice_order}", headers=staff[1]).status_code == 200
    assert_problem(client.get("/api/orders"), 401)


def test_status_machine_with_history_and_illegal_moves(client, customer, staff, make_product):
    _, headers = customer
    staff_id, staff_headers = staff
    order_id = place(client, headers, (make_product(), 1)).get_json()["id"]

    def move(status, **extra):
        return client.patch(f"/api/orders/{order_id}/status", json={"status": status, **extra}, headers=staff_headers)

    assert_problem(move("shipped"), 409, "illegal_transition")
    assert move("paid").status_code == 200
    assert move("preparing", note="Picking").status_code == 200
    shipped = move("shipped")
    assert shipped.status_code == 200
    assert shipped.get_json()["tracking_number"].startswith("1Z")
    assert_problem(move("cancelled"), 409, "illegal_transition")
    delivered = move("delivered").get_json()
    assert [h["status"] for h in delivered["history"]] == ["pending", "paid", "preparing", "shipped", "delivered"]
    assert delivered["history"][2] | {"at": None} == {
        "status": "preparing",
        "by": staff_id,
        "note": "Picking",
        "at": None,
    }
    assert_problem(move("pending"), 409)
    assert_problem(move("lost"), 422)
    assert_problem(client.patch(f"/api/orders/{order_id}/status", json={"status": "paid"}, headers=headers), 403)
    assert_problem(client.patch("/api/orders/999999/status", json={"status": "paid"}, headers=staff_headers), 404)


def test_status_changes_publish_domain_events(client, customer, staff, make_product):
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    order_id = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    client.patch(f"/api/orders/{order_id}/status", json={"status": "paid"}, headers=staff[1])
    payloads = [
        e.payload
        for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.name == "orders.order_status_changed"))
    ]
    assert [(p["order_id"], p["previous_status"], p["status"]) for p in payloads] == [(order_id, "pending", "paid")]
    assert all(e.dispatched_at is not None for e in db.session.scalars(select(OutboxEvent)))


def test_customer_cancels_while_pending_or_paid_and_stock_returns(client, customer, staff, make_product):
    _, headers = customer
    product_id = make_product(stock=5)
    first = place(client, headers, (product_id, 2)).get_json()["id"]
    assert stock_of(client, product_id) == 3
    cancelled = client.post(f"/api/orders/{first}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert stock_of(client, product_id) == 5
    assert_problem(client.post(f"/api/orders/{first}/cancel", headers=headers), 409, "illegal_transition")
    second = place(client, headers, (product_id, 1)).get_json()["id"]
    for status in ("paid", "preparing"):
        client.patch(f"/api/orders/{second}/status", json={"status": status}, headers=staff[1])
    assert_problem(client.post(f"/api/orders/{second}/cancel", headers=headers), 409, "illegal_transition")
    assert (
        client.post(f"/api/orders/{second}/cancel", headers=staff[1], json={"note": "Out of boxes"}).status_code == 200
    )
    assert stock_of(client, product_id) == 5


def test_pay_runs_the_sandbox_provider_through_the_signed_webhook(client, customer, make_product):
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    _, headers = customer
    order_id = place(client, headers, (make_product(price_cents=1234), 2)).get_json()["id"]
    # when
    response = client.post(f"/api/orders/{order_id}/pay", headers=headers)
    # then (Celery runs eagerly in these tests: the provider's webhook has already been delivered)
    assert response.status_code == 200
    payment = response.get_json()
    assert payment["amount_cents"] == 2468 and payment["provider"] == "sandbox" and payment["payment_id"]
    order = client.get(f"/api/orders/{order_id}", headers=headers).get_json()
    assert order["status"] == "paid"
    assert order["history"][-1]["by"] is None and "sandbox" in order["history"][-1]["note"]
    names = list(db.session.scalars(select(OutboxEvent.name)))
    assert "orders.payment_confirmed" in names
    assert_problem(client.post(f"/api/orders/{order_id}/pay", headers=headers), 409, "payment_not_allowed")


def test_only_the_owner_pays(client, customer, staff, make_product):
    order_id = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    assert_problem(client.post(f"/api/orders/{order_id}/pay", headers=staff[1]), 403)


def _pending_payment(client, headers, make_product, app):
    """An order with a started payment whose provider has not answered yet."""
    from novacart.extensions import db
    from novacart.orders.models import Payment

    app.config["PAYMENT_PROVIDER"] = "sandbox"
    order_id = place(client, headers, (make_product(price_cents=1000), 1)).get_json()["id"]
    payment = Payment(order_id=order_id, provider="sandbox", provider_ref="sbx_pay_test", amount_cents=1000)
    db.session.add(payment)
    db.session.commit()
    return order_id


def test_payment_webhook_verifies_signature_staleness_and_replays(client, customer, make_product, app):
    _, headers = customer
    order_id = _pending_payment(client, headers, make_product, app)
    event = {
        "id": "evt_1",
        "type": "payment.succeeded",
        "data": {"payment_ref": "sbx_pay_test", "order_id": order_id, "amount_cents": 1000},
    }

    # forged: wrong secret, tampered body, missing and malformed headers
    assert_problem(signed_post(client, "payments", event, secret="guessed"), 400, "invalid_signature")
    good_header = signing.sign("test-payment-secret", json.dumps(event).encode())
    tampered = json.dumps({**event, "data": {**event["data"], "amount_cents": 1}}).encode()
    response = client.post(
        "/api/webhooks/payments",
        data=tampered,
        headers={signing.HEADER: good_header, "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_signature")
    assert_problem(client.post("/api/webhooks/payments", json=event), 400, "invalid_signature")
    assert_problem(
        client.post("/api/webhooks/payments", json=event, headers={signing.HEADER: "t=abc,v1="}),
        400,
        "invalid_signature",
    )
    # stale
    assert_problem(signed_post(client, "payments", event, timestamp=int(time.time()) - 301), 400, "stale_signature")
    assert client.get(f"/api/orders/{order_id}", headers=headers).get_json()["status"] == "pending"

    # when the genuine event arrives, twice
    first = signed_post(client, "payments", event)
    replay = signed_post(client, "payments", event)
    # then it is applied once
    assert first.status_code == 200 and first.get_json() == {"received": True, "duplicate": False}
    assert replay.status_code == 200 and replay.get_json()["duplicate"] is True
    history = client.get(f"/api/orders/{order_id}", headers=headers).get_json()["history"]
    assert [h["status"] for h in history] == ["pending", "paid"]


def test_payment_webhook_rejects_a_wrong_amount_and_bad_bodies(client, customer, make_product, app):
    order_id = _pending_payment(client, customer[1], make_product, app)
    wrong = {
        "id": "evt_2",
        "type": "payment.succeeded",
        "data": {"payment_ref": "sbx_pay_test", "order_id": order_id, "amount_cents": 1},
    }
    assert_problem(signed_post(client, "payments", wrong), 409, "amount_mismatch")
    assert_problem(signed_post(client, "payments", None, body=b"{nope"), 400)
    assert_problem(signed_post(client, "payments", None, body=b"[1]"), 400)
    assert_problem(signed_post(client, "payments", {"type": "payment.succeeded", "data": {}}), 422)
    assert client.get(f"/api/orders/{order_id}", headers=customer[1]).get_json()["status"] == "pending"


def test_shipping_webhook_marks_shipped_then_delivered_once(client, customer, staff, make_product):
    _, headers = customer
    order_id = place(client, headers, (make_product(), 1)).get_json()["id"]
    for status in ("paid", "preparing"):
        client.patch(f"/api/orders/{order_id}/status", json={"status": status}, headers=staff[1])
    shipped = {
        "id": "evt_s1",
        "type": "shipment.shipped",
        "data": {"order_id": order_id, "tracking_number": "1ZTEST123"},
    }
    assert_problem(signed_post(client, "shipping", shipped, secret="test-payment-secret"), 400, "invalid_signature")
    assert signed_post(client, "shipping", shipped).status_code == 200
    order = client.get(f"/api/orders/{order_id}", headers=headers).get_json()
    assert order["status"] == "shipped" and order["tracking_number"] == "1ZTEST123"
    delivered = {
        "id": "evt_s2",
        "type": "shipment.delivered",
        "data": {"order_id": order_id, "tracking_number": "1ZTEST123"},
    }
    assert signed_post(client, "shipping", delivered).status_code == 200
    assert signed_post(client, "shipping", delivered).get_json()["duplicate"] is True
    history = client.get(f"/api/orders/{order_id}", headers=headers).get_json()["history"]
    assert [h["status"] for h in history][-2:] == ["shipped", "delivered"]


def test_twenty_concurrent_orders_on_five_units_sell_exactly_five(app, make_user, make_product):
    # given
    product_id = make_product(stock=5, threshold=0)
    buyers = [make_user("customer")[1] for _ in range(20)]
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def buy(headers):
        with app.app_context():
            client = app.test_client()
            barrier.wait(timeout=10)
            response = place(client, headers, (product_id, 1))
            with lock:
                statuses.append(response.status_code)
            from novacart.extensions import db

            db.session.remove()

    # when
    threads = [threading.Thread(target=buy, args=(h,)) for h in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then
    assert sorted(statuses) == [201] * 5 + [409] * 15
    from novacart.extensions import db
    from novacart.inventory.models import Product, StockMovement

    db.session.expire_all()
    assert db.session.get(Product, product_id).stock == 0
    movements = db.session.scalars(select(StockMovement.delta).where(StockMovement.product_id == product_id)).all()
    assert sorted(movements) == [-1] * 5 + [5]
