"""Money and stock that cannot be gamed: payment_status, refunds for cancelled orders, unpaid orders that
expire, a cap on pending orders, the order rate, and sandbox webhooks built from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from novacart.db import utcnow
from novacart.extensions import db
from novacart.orders import signing
from novacart.orders.models import Order, Payment
from tests.helpers import assert_problem
from tests.orders.test_routes import place, signed_post


@pytest.fixture
def order_of(client, customer, make_product):
    """order_of(price_cents=…) → a pending order of the `customer` fixture's user."""

    def make(price_cents: int = 1000, stock: int = 10) -> int:
        return place(client, customer[1], (make_product(price_cents=price_cents, stock=stock), 1)).get_json()["id"]

    return make


def _order(client, headers, order_id) -> dict:
    return client.get(f"/api/orders/{order_id}", headers=headers).get_json()


def _started_payment(order_id: int, amount_cents: int = 1000, ref: str = "sbx_pay_inflight") -> int:
    """A payment the provider has not confirmed yet (the sandbox would confirm it a moment later)."""
    payment = Payment(order_id=order_id, provider="sandbox", provider_ref=ref, amount_cents=amount_cents)
    db.session.add(payment)
    db.session.execute(update(Order).where(Order.id == order_id).values(payment_status="pending"))
    db.session.commit()
    return payment.id


def _succeeded(ref: str, order_id: int, amount_cents: int = 1000, event_id: str = "evt_ok") -> dict:
    data = {"payment_ref": ref, "order_id": order_id, "amount_cents": amount_cents}
    return {"id": event_id, "type": "payment.succeeded", "data": data}


def _notifications(client, headers) -> list[dict]:
    return client.get("/api/notifications", headers=headers).get_json()["items"]


def test_payment_status_follows_the_payment(client, customer, order_of):
    # given
    _, headers = customer
    order_id = order_of()
    assert _order(client, headers, order_id)["payment_status"] == "none"
    # when the sandbox confirms the payment (eagerly in these tests)
    client.post(f"/api/orders/{order_id}/pay", headers=headers)
    # then
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("paid", "succeeded")


def test_cancelling_a_paid_order_refunds_it_and_tells_the_customer(client, customer, order_of):
    # given a paid order
    _, headers = customer
    order_id = order_of(price_cents=1234)
    client.post(f"/api/orders/{order_id}/pay", headers=headers)
    # when its customer cancels it
    cancelled = client.post(f"/api/orders/{order_id}/cancel", headers=headers)
    # then the money goes back and the customer is told
    assert cancelled.status_code == 200
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")
    refund = [n for n in _notifications(client, headers) if n["data"].get("payment_status") == "refunded"]
    assert len(refund) == 1 and refund[0]["type"] == "order_status" and refund[0]["data"]["order_id"] == order_id
    assert refund[0]["data"]["amount_cents"] == 1234
    assert db.session.scalar(select(Payment.status).where(Payment.order_id == order_id)) == "refunded"


def test_a_payment_that_succeeds_after_the_cancel_is_refunded(client, customer, order_of):
    # given an order whose payment is in flight
    _, headers = customer
    order_id = order_of()
    _started_payment(order_id)
    # when the customer cancels first, and the provider's confirmation arrives after
    assert client.post(f"/api/orders/{order_id}/cancel", headers=headers).status_code == 200
    assert _order(client, headers, order_id)["payment_status"] == "pending"
    assert signed_post(client, "payments", _succeeded("sbx_pay_inflight", order_id)).status_code == 200
    # then the order stays cancelled, the money is refunded, and the customer is told
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")
    assert [h["status"] for h in order["history"]] == ["pending", "cancelled"]
    refunds = [n for n in _notifications(client, headers) if n["data"].get("payment_status") == "refunded"]
    assert len(refunds) == 1


def test_a_second_successful_payment_of_a_paid_order_is_refunded(client, customer, order_of):
    # given a paid order, and a second payment of it that the provider also confirms
    _, headers = customer
    order_id = order_of()
    _started_payment(order_id, ref="sbx_pay_first")
    _started_payment(order_id, ref="sbx_pay_second")
    signed_post(client, "payments", _succeeded("sbx_pay_first", order_id, event_id="evt_a"))
    # when
    signed_post(client, "payments", _succeeded("sbx_pay_second", order_id, event_id="evt_b"))
    # then the order is paid once; the second payment goes back
    rows = db.session.execute(select(Payment.provider_ref, Payment.status).where(Payment.order_id == order_id))
    statuses = {ref: status for ref, status in rows}
    assert statuses == {"sbx_pay_first": "succeeded", "sbx_pay_second": "refunded"}
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("paid", "succeeded")


def test_a_repeated_success_for_the_same_payment_refunds_nothing(client, customer, order_of):
    _, headers = customer
    order_id = order_of()
    _started_payment(order_id)
    signed_post(client, "payments", _succeeded("sbx_pay_inflight", order_id, event_id="evt_1"))
    signed_post(client, "payments", _succeeded("sbx_pay_inflight", order_id, event_id="evt_2"))
    assert _order(client, headers, order_id)["payment_status"] == "succeeded"
    assert db.session.scalar(select(Payment.status).where(Payment.order_id == order_id)) == "succeeded"


def test_a_failed_payment_leaves_the_order_pending_and_payable(client, customer, order_of):
    _, headers = customer
    order_id = order_of()
    _started_payment(order_id)
    failed = {"id": "evt_f", "type": "payment.failed", "data": {"payment_ref": "sbx_pay_inflight"}}
    assert signed_post(client, "payments", failed).status_code == 200
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("pending", "failed")
    # a new attempt goes through
    client.post(f"/api/orders/{order_id}/pay", headers=headers)
    assert _order(client, headers, order_id)["payment_status"] == "succeeded"


def test_a_refund_that_failed_is_retried_by_the_sweep(app, client, customer, order_of):
    from novacart.orders import tasks

    # given a refund whose task was lost (the payment stays `refunding`)
    _, headers = customer
    order_id = order_of()
    payment_id = _started_payment(order_id)
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(status="refunding", updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    # when the sweep runs
    tasks.expire_unpaid_orders.delay()
    # then
    assert db.session.scalar(select(Payment.status).where(Payment.id == payment_id)) == "refunded"
    assert tasks.refund_payment(payment_id) is False  # nothing left to do


def _age(order_id: int, seconds: float) -> None:
    db.session.execute(
        update(Order).where(Order.id == order_id).values(created_at=utcnow() - timedelta(seconds=seconds))
    )
    db.session.commit()


def test_unpaid_orders_expire_restock_and_tell_the_customer(app, client, customer, make_product):
    from novacart.orders import tasks

    # given one order left unpaid past the limit and one placed a moment ago
    _, headers = customer
    product = make_product(stock=5)
    old = place(client, headers, (product, 2)).get_json()["id"]
    new = place(client, headers, (product, 1)).get_json()["id"]
    _age(old, app.config["PENDING_ORDER_TTL_SECONDS"] + 1)
    # when the sweep runs
    assert tasks.expire_unpaid_orders() == 1
    # then only the old one is cancelled, with its stock back and its history saying why
    expired = _order(client, headers, old)
    assert expired["status"] == "cancelled" and expired["history"][-1]["note"] == "Not paid within 30 minutes"
    assert expired["history"][-1]["by"] is None
    assert _order(client, headers, new)["status"] == "pending"
    assert client.get(f"/api/products/{product}").get_json()["stock"] == 4
    told = [n for n in _notifications(client, headers) if n["data"].get("status") == "cancelled"]
    assert len(told) == 1 and told[0]["data"]["order_id"] == old and "30 minutes" in told[0]["message"]
    # and a second sweep finds nothing
    assert tasks.expire_unpaid_orders() == 0


def test_an_expired_order_whose_payment_arrives_later_is_refunded(app, client, customer, order_of):
    from novacart.orders import tasks

    _, headers = customer
    order_id = order_of()
    _started_payment(order_id)
    _age(order_id, app.config["PENDING_ORDER_TTL_SECONDS"] + 1)
    tasks.expire_unpaid_orders.delay()
    signed_post(client, "payments", _succeeded("sbx_pay_inflight", order_id))
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")


def test_a_customer_holds_at_most_max_pending_orders(app, client, customer, make_product):
    # given a customer with MAX_PENDING_ORDERS unpaid orders
    _, headers = customer
    product = make_product(stock=100)
    limit = app.config["MAX_PENDING_ORDERS"]
    ids = [place(client, headers, (product, 1)).get_json()["id"] for _ in range(limit)]
    # when they place one more
    body = assert_problem(place(client, headers, (product, 1)), 409, "too_many_pending_orders")
    # then it is refused, nothing is reserved, and paying one frees a place
    assert body["limit"] == limit
    assert client.get(f"/api/products/{product}").get_json()["stock"] == 100 - limit
    client.post(f"/api/orders/{ids[0]}/pay", headers=headers)
    assert place(client, headers, (product, 1)).status_code == 201


def test_placing_orders_is_rate_limited_per_customer(app, client, make_user, make_product):
    product = make_product(stock=100)
    _, alice = make_user("customer")
    _, bob = make_user("customer")
    app.config.update(ORDER_RATE_LIMIT="2/minute", MAX_PENDING_ORDERS=10)
    try:
        codes = [place(client, alice, (product, 1)).status_code for _ in range(3)]
        limited = place(client, alice, (product, 1))
        other = place(client, bob, (product, 1))
    finally:
        app.config.update(ORDER_RATE_LIMIT="20/hour", MAX_PENDING_ORDERS=3)
    assert codes == [201, 201, 429]
    assert_problem(limited, 429, "rate_limited")
    assert "Retry-After" in limited.headers
    assert other.status_code == 201


def test_the_sandbox_task_signs_only_what_the_database_holds(app, client, customer, order_of):
    from novacart.orders import tasks

    # given a planted task message that carries a whole event, as an attacker with broker access would send
    _, headers = customer
    order_id = order_of()
    forged = _succeeded("sbx_pay_anything", order_id, amount_cents=1)
    # when the worker runs it
    assert tasks.send_sandbox_webhook("payments", forged) == 0
    assert tasks.send_sandbox_webhook("payments", 987654321) == 0
    # then nothing was signed or applied
    assert _order(client, headers, order_id)["status"] == "pending"
    # while a real payment's id is confirmed with its own amount
    payment_id = _started_payment(order_id)
    assert tasks.send_sandbox_webhook("payments", payment_id) == 200
    assert _order(client, headers, order_id)["payment_status"] == "succeeded"


@pytest.mark.parametrize("header", ["t=²,v1=" + "a" * 64, "t=1700000000,v1=é" + "a" * 63, "t=٣,v1=zz", "v1=,t="])
def test_malformed_signature_headers_are_a_400_invalid_signature(client, header):
    response = client.post(
        "/api/webhooks/payments",
        data=b'{"id":"evt","type":"payment.succeeded","data":{}}',
        headers={signing.HEADER: header.encode("utf-8").decode("latin-1"), "Content-Type": "application/json"},
    )
    assert_problem(response, 400, "invalid_signature")
