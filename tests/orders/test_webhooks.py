"""The providers' signed webhooks beyond the happy path, and the sandbox provider's task that calls them."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from novacart.orders import signing
from tests.helpers import assert_problem

ADDRESS = "1 Paper Street, 75001 Paris"
SECRETS = {"payments": "test-payment-secret", "shipping": "test-shipping-secret"}


def webhook(client, kind: str, event: dict):
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(SECRETS[kind], body)}
    return client.post(f"/api/webhooks/{kind}", data=body, headers=headers)


def order_of(client, headers, order_id: int) -> dict:
    return client.get(f"/api/orders/{order_id}", headers=headers).get_json()


def count(model, *where) -> int:
    from novacart.extensions import db

    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def unpaid(app, client, customer, make_product):
    """An order whose payment was started but whose provider has not answered: (order id, payment ref).

    The payment's id is `unpaid_payment_id(order id)`."""
    from novacart.extensions import db
    from novacart.orders.models import Payment

    body = {"items": [{"product_id": make_product(price_cents=1000), "quantity": 1}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    db.session.add(Payment(order_id=order_id, provider="sandbox", provider_ref="sbx_pay_unpaid", amount_cents=1000))
    db.session.commit()
    return order_id, "sbx_pay_unpaid"


def payment_id_of(order_id: int) -> int:
    from novacart.extensions import db
    from novacart.orders.models import Payment

    return db.session.scalar(select(Payment.id).where(Payment.order_id == order_id))


def payment_event(event_id: str, type_: str, order_id: int, ref: str, amount: int = 1000) -> dict:
    return {"id": event_id, "type": type_, "data": {"payment_ref": ref, "order_id": order_id, "amount_cents": amount}}


# -- payments -----------------------------------------------------------------------------------------


def test_payment_failed_marks_the_payment_failed_and_the_order_can_be_paid_again(client, customer, unpaid):
    from novacart.orders.models import Payment

    order_id, ref = unpaid
    # when
    response = webhook(client, "payments", payment_event("evt_f1", "payment.failed", order_id, ref))
    # then
    assert response.status_code == 200 and response.get_json() == {"received": True, "duplicate": False}
    assert count(Payment, Payment.provider_ref == ref, Payment.status == "failed") == 1
    assert order_of(client, customer[1], order_id)["status"] == "pending"
    retry = client.post(f"/api/orders/{order_id}/pay", headers=customer[1])
    assert retry.status_code == 200 and retry.get_json()["provider_ref"] != ref  # a new payment, not the failed one


def test_an_unknown_payment_event_type_is_acknowledged_and_changes_nothing(client, customer, unpaid):
    from novacart.orders.models import Payment

    order_id, ref = unpaid
    response = webhook(client, "payments", payment_event("evt_u1", "payment.disputed", order_id, ref))
    assert response.status_code == 200 and response.get_json()["duplicate"] is False
    assert count(Payment, Payment.provider_ref == ref, Payment.status == "pending") == 1
    assert [h["status"] for h in order_of(client, customer[1], order_id)["history"]] == ["pending"]


def test_a_repeated_success_under_a_new_event_id_pays_the_order_once(client, customer, unpaid):
    from novacart.events.models import OutboxEvent

    order_id, ref = unpaid
    first = webhook(client, "payments", payment_event("evt_s1", "payment.succeeded", order_id, ref))
    again = webhook(client, "payments", payment_event("evt_s2", "payment.succeeded", order_id, ref))
    assert first.status_code == again.status_code == 200
    assert again.get_json() == {"received": True, "duplicate": False}  # a new event id, applied as a no-op
    assert [h["status"] for h in order_of(client, customer[1], order_id)["history"]] == ["pending", "paid"]
    assert count(OutboxEvent, OutboxEvent.name == "orders.payment_confirmed") == 1


def test_a_payment_event_for_an_unknown_reference_is_404_and_can_come_again(client, customer, unpaid):
    from novacart.orders.models import WebhookEvent

    order_id, _ = unpaid
    event = payment_event("evt_n1", "payment.succeeded", order_id, "sbx_pay_nobody")
    assert_problem(webhook(client, "payments", event), 404, "not_found")
    assert count(WebhookEvent, WebhookEvent.event_id == "evt_n1") == 0  # not swallowed as processed
    assert order_of(client, customer[1], order_id)["status"] == "pending"
    assert_problem(webhook(client, "payments", event), 404, "not_found")


def test_a_success_for_an_order_cancelled_meanwhile_leaves_it_cancelled(client, customer, unpaid):
    order_id, ref = unpaid
    assert client.post(f"/api/orders/{order_id}/cancel", headers=customer[1]).status_code == 200
    response = webhook(client, "payments", payment_event("evt_c1", "payment.succeeded", order_id, ref))
    assert response.status_code == 200
    assert order_of(client, customer[1], order_id)["status"] == "cancelled"


# -- the carrier --------------------------------------------------------------------------------------


@pytest.fixture
def preparing(client, customer, staff, make_product) -> int:
    body = {"items": [{"product_id": make_product(), "quantity": 1}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    for status in ("paid", "preparing"):
        client.patch(f"/api/orders/{order_id}/status", json={"status": status}, headers=staff[1])
    return order_id


def shipping_event(event_id: str, type_: str, order_id: int, tracking: str | None = "1ZTRACK1") -> dict:
    return {"id": event_id, "type": type_, "data": {"order_id": order_id, "tracking_number": tracking}}


def test_a_carrier_event_for_an_unknown_order_is_404(client):
    assert_problem(webhook(client, "shipping", shipping_event("evt_x1", "shipment.shipped", 987654)), 404, "not_found")


def test_a_delivery_with_another_tracking_number_is_409_and_the_order_stays_shipped(client, customer, preparing):
    assert webhook(client, "shipping", shipping_event("evt_t1", "shipment.shipped", preparing)).status_code == 200
    wrong = shipping_event("evt_t2", "shipment.delivered", preparing, tracking="1ZSOMEONEELSE")
    assert_problem(webhook(client, "shipping", wrong), 409, "tracking_mismatch")
    order = order_of(client, customer[1], preparing)
    assert order["status"] == "shipped" and order["tracking_number"] == "1ZTRACK1"


def test_carrier_events_out_of_order_are_ignored_until_they_fit(client, customer, preparing):
    # given: the delivery report overtakes the pick-up
    early = webhook(client, "shipping", shipping_event("evt_o1", "shipment.delivered", preparing))
    assert early.status_code == 200
    assert order_of(client, customer[1], preparing)["status"] == "preparing"
    # when the pick-up comes, then a late copy of it under another id
    assert webhook(client, "shipping", shipping_event("evt_o2", "shipment.shipped", preparing)).status_code == 200
    assert webhook(client, "shipping", shipping_event("evt_o3", "shipment.shipped", preparing)).status_code == 200
    # then it shipped once; the delivery counts when it comes again (a new event id) after the pick-up
    assert webhook(client, "shipping", shipping_event("evt_o4", "shipment.delivered", preparing)).status_code == 200
    history = [h["status"] for h in order_of(client, customer[1], preparing)["history"]]
    assert history == ["pending", "paid", "preparing", "shipped", "delivered"]


def test_carrier_event_types_we_do_not_handle_are_acknowledged_and_ignored(client, customer, preparing):
    response = webhook(client, "shipping", shipping_event("evt_i1", "shipment.delayed", preparing))
    assert response.status_code == 200 and response.get_json()["duplicate"] is False
    assert order_of(client, customer[1], preparing)["status"] == "preparing"


def test_a_pick_up_without_a_tracking_number_ships_the_order_without_one(client, customer, preparing):
    event = shipping_event("evt_n2", "shipment.shipped", preparing, tracking=None)
    assert webhook(client, "shipping", event).status_code == 200
    order = order_of(client, customer[1], preparing)
    assert order["status"] == "shipped" and order["tracking_number"] is None


# -- the sandbox provider's task ------------------------------------------------------------------------


class Flaky:
    """Our web process as the sandbox task meets it over HTTP: the first `failures` requests answer `status`
    (503: restarting; 400: a web configured with another webhook secret), the others reach the app."""

    def __init__(self, app, failures: int, status: str = "503 Service Unavailable") -> None:
        self.app, self.failures, self.status, self.requests, self.statuses = app, failures, status, [], []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.requests.append(environ["PATH_INFO"])
            failing = len(self.requests) <= self.failures
        if failing:
            start_response(self.status, [("Content-Type", "text/plain")])
            return [b"not now"]

        def recording_start_response(status, headers, *args):
            self.statuses.append(int(status.split()[0]))
            return start_response(status, headers, *args)

        return self.app(environ, recording_start_response)


@pytest.fixture
def web_over_http(app) -> Iterator:
    """serve(failures) → a loopback HTTP server running the app; SANDBOX_WEBHOOK_BASE_URL points at it."""
    servers = []

    def serve(failures: int = 0, status: str = "503 Service Unavailable") -> Flaky:
        flaky = Flaky(app, failures, status)
        server = make_server("127.0.0.1", 0, flaky, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        app.config["SANDBOX_WEBHOOK_BASE_URL"] = f"http://127.0.0.1:{server.server_port}/"
        return flaky

    yield serve
    app.config["SANDBOX_WEBHOOK_BASE_URL"] = ""
    for server in servers:
        server.shutdown()


def test_sandbox_payment_reaches_the_web_over_http(client, customer, make_product, web_over_http):
    web = web_over_http()
    body = {"items": [{"product_id": make_product(price_cents=700), "quantity": 1}], "shipping_address": ADDRESS}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    # when
    assert client.post(f"/api/orders/{order_id}/pay", headers=customer[1]).status_code == 200
    # then: the signed event went over HTTP through the same route and signature check
    assert web.requests == ["/api/webhooks/payments"] and web.statuses == [200]
    order = order_of(client, customer[1], order_id)
    assert order["status"] == "paid" and "sandbox" in order["history"][-1]["note"]


def test_sandbox_webhook_answered_5xx_is_retried_until_the_web_takes_it(client, customer, unpaid, web_over_http):
    from celery.exceptions import Retry

    from novacart.orders import tasks

    web = web_over_http(failures=1)
    order_id, _ = unpaid
    payment_id = payment_id_of(order_id)
    # when the web answers 503 (restarting), the task asks Celery to run it again later
    with pytest.raises(Retry) as retry:
        tasks.send_sandbox_webhook.delay("payments", payment_id)
    assert isinstance(retry.value.exc, RuntimeError) and "503" in str(retry.value.exc)
    assert order_of(client, customer[1], order_id)["status"] == "pending"
    # then the retry (what the worker runs next) gets through
    assert tasks.send_sandbox_webhook.apply(("payments", payment_id), retries=1).result == 200
    assert web.requests == ["/api/webhooks/payments"] * 2
    assert order_of(client, customer[1], order_id)["status"] == "paid"


def test_sandbox_webhook_gives_up_after_its_last_retry(client, customer, unpaid, web_over_http):
    from novacart.orders import tasks

    web_over_http(failures=100)
    order_id, _ = unpaid
    last = tasks.send_sandbox_webhook.max_retries
    with pytest.raises(RuntimeError, match="answered 503"):
        tasks.send_sandbox_webhook.apply(("payments", payment_id_of(order_id)), retries=last)
    assert order_of(client, customer[1], order_id)["status"] == "pending"


def test_sandbox_webhook_refused_with_a_4xx_is_logged_and_not_retried(client, customer, unpaid, web_over_http, caplog):
    from novacart.orders import tasks

    web = web_over_http(failures=100, status="400 Bad Request")  # e.g. a web with another webhook secret
    order_id, _ = unpaid
    payment_id = payment_id_of(order_id)
    with caplog.at_level(logging.ERROR, logger="novacart.orders.tasks"):
        status = tasks.send_sandbox_webhook.apply(("payments", payment_id)).result
    assert status == 400 and len(web.requests) == 1
    assert [r.getMessage() for r in caplog.records if r.name == "novacart.orders.tasks"] == [
        f"sandbox payments webhook evt_sbx_pay_{payment_id} was refused with 400"
    ]
    assert order_of(client, customer[1], order_id)["status"] == "pending"


def test_sandbox_carrier_reports_delivery_by_itself_when_a_delay_is_set(app, client, customer, staff, preparing):
    app.config["SANDBOX_DELIVERY_DELAY_SECONDS"] = 60.0
    try:
        shipped = client.patch(f"/api/orders/{preparing}/status", json={"status": "shipped"}, headers=staff[1])
    finally:
        app.config["SANDBOX_DELIVERY_DELAY_SECONDS"] = 0.0
    assert shipped.status_code == 200
    # Celery runs eagerly here, so the carrier's report (due in 60 s) has already come through the webhook
    order = order_of(client, customer[1], preparing)
    assert [h["status"] for h in order["history"]][-2:] == ["shipped", "delivered"]
    assert order["history"][-1]["note"] == "Delivered (sandbox)" and order["history"][-1]["by"] is None


def test_sandbox_carrier_reports_nothing_without_a_delay(client, customer, staff, preparing):
    client.patch(f"/api/orders/{preparing}/status", json={"status": "shipped"}, headers=staff[1])
    assert order_of(client, customer[1], preparing)["status"] == "shipped"
