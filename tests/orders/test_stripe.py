"""The `stripe` payment provider against a local stand-in for Stripe's API (tests/stripe_standin.py):
PaymentIntents on /pay, the signed webhook, amounts checked, each event once, refunds through Stripe."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from novacart.extensions import db
from novacart.orders.models import Payment, WebhookEvent
from tests.helpers import assert_problem
from tests.orders.test_routes import place
from tests.stripe_standin import PUBLISHABLE_KEY, SECRET_KEY, StripeStandIn

PAID = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


@pytest.fixture
def stripe_order(client, customer, make_product, stripe_shop):
    """stripe_order(price_cents=…) → (order id, the /pay answer): a pending order whose PaymentIntent exists."""

    def make(price_cents: int = 1250) -> tuple[int, dict]:
        _, headers = customer
        order_id = place(client, headers, (make_product(price_cents=price_cents), 2)).get_json()["id"]
        paying = client.post(f"/api/orders/{order_id}/pay", headers=headers)
        assert paying.status_code == 200, paying.get_json()
        return order_id, paying.get_json()

    return make


def _send(client, event: dict):
    """Stripe's delivery of `event`, signed with the endpoint's secret."""
    raw = json.dumps(event).encode()
    return client.post("/api/webhooks/stripe", data=raw, headers=StripeStandIn.signed(raw))


def _order(client, headers, order_id: int) -> dict:
    return client.get(f"/api/orders/{order_id}", headers=headers).get_json()


def _refund_notices(client, headers) -> list[dict]:
    items = client.get("/api/notifications", headers=headers).get_json()["items"]
    return [n for n in items if n["data"].get("payment_status") == "refunded"]


def test_pay_creates_a_payment_intent_and_answers_what_stripe_js_needs(client, customer, stripe_order, stripe_shop):
    # when
    order_id, paying = stripe_order(price_cents=1250)
    # then Stripe was asked for a PaymentIntent of the order's total, in the shop's currency, once
    [call] = stripe_shop.calls_to("POST", "/v1/payment_intents")
    assert call.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert call.params["amount"] == "2500" and call.params["currency"] == "eur"
    assert call.params["metadata[order_id]"] == str(order_id)
    assert call.headers["Idempotency-Key"].startswith(f"novacart-order-{order_id}-")
    intent = stripe_shop.intents[paying["provider_ref"]]
    # and the browser gets the intent's client secret and the publishable key, never the secret key
    assert paying["provider"] == "stripe" and paying["status"] == "pending" and paying["amount_cents"] == 2500
    assert paying["client_secret"] == intent["client_secret"]
    assert paying["publishable_key"] == PUBLISHABLE_KEY
    assert SECRET_KEY not in json.dumps(paying)
    assert _order(client, customer[1], order_id)["payment_status"] == "pending"


def test_paying_again_goes_on_with_the_same_payment_intent(client, customer, stripe_order, stripe_shop):
    order_id, first = stripe_order()
    # when the customer reloads the page and presses Pay again
    again = client.post(f"/api/orders/{order_id}/pay", headers=customer[1]).get_json()
    # then it is the same payment and intent: read again, not created again
    assert (again["payment_id"], again["client_secret"]) == (first["payment_id"], first["client_secret"])
    assert len(stripe_shop.calls_to("POST", "/v1/payment_intents")) == 1
    assert len(stripe_shop.calls_to("GET", f"/v1/payment_intents/{first['provider_ref']}")) == 1


def test_an_answer_lost_on_the_way_is_retried_with_the_same_idempotency_key(client, stripe_order, stripe_shop):
    # given Stripe makes the PaymentIntent but its answer is lost
    stripe_shop.losing = 1
    # when
    _, paying = stripe_order()
    # then the library asked again with the same key, and Stripe made one PaymentIntent, the one answered
    calls = stripe_shop.calls_to("POST", "/v1/payment_intents")
    assert [c.status for c in calls] == [500, 200]
    assert calls[0].headers["Idempotency-Key"] == calls[1].headers["Idempotency-Key"]
    assert list(stripe_shop.intents) == [paying["provider_ref"]]


def test_stripe_out_of_order_answers_503_and_writes_nothing(client, customer, make_product, stripe_shop):
    # given Stripe answers 500 to the call and to the library's two retries
    _, headers = customer
    order_id = place(client, headers, (make_product(), 1)).get_json()["id"]
    stripe_shop.failing = 3
    # when
    response = client.post(f"/api/orders/{order_id}/pay", headers=headers)
    # then
    assert_problem(response, 503, "service_unavailable")
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0
    assert _order(client, headers, order_id)["payment_status"] == "none"
    # and once Stripe is back, the customer pays
    assert client.post(f"/api/orders/{order_id}/pay", headers=headers).status_code == 200


def test_a_signed_payment_intent_succeeded_pays_the_order_once(client, customer, stripe_order, stripe_shop):
    _, headers = customer
    order_id, paying = stripe_order()
    event = stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"]))
    # when Stripe reports the payment, and reports it again (Stripe delivers at least once)
    first, second = _send(client, event), _send(client, event)
    # then
    assert (first.status_code, first.get_json()) == (200, {"received": True, "duplicate": False})
    assert (second.status_code, second.get_json()) == (200, {"received": True, "duplicate": True})
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("paid", "succeeded")
    assert [h["status"] for h in order["history"]] == ["pending", "paid"]
    assert order["history"][-1]["note"] == "Payment confirmed by stripe"
    told = client.get("/api/notifications", headers=headers).get_json()["items"]
    assert [n["data"].get("status") for n in told if n["type"] == "order_status"].count("paid") == 1


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "stale", "no header", "body changed", "non-ascii signature", "garbage header", "not utf-8"],
)
def test_a_bad_or_stale_signature_is_refused_and_changes_nothing(client, customer, stripe_order, stripe_shop, tamper):
    order_id, paying = stripe_order()
    event = stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"]))
    raw = json.dumps(event).encode()
    headers = StripeStandIn.signed(raw)
    if tamper == "wrong secret":
        headers = StripeStandIn.signed(raw, secret="whsec_someone_else")
    elif tamper == "stale":
        headers = StripeStandIn.signed(raw, timestamp=int(time.time()) - 301)
    elif tamper == "no header":
        del headers["Stripe-Signature"]
    elif tamper == "body changed":
        raw = raw.replace(b'"amount_received": 2500', b'"amount_received": 2501')
    elif tamper == "non-ascii signature":
        headers["Stripe-Signature"] = headers["Stripe-Signature"][:-1].encode() + "é".encode()
    elif tamper == "garbage header":
        headers["Stripe-Signature"] = "t=\u00b2,v1="
    elif tamper == "not utf-8":
        raw = b"\xff\xfe" + raw
        headers = StripeStandIn.signed(raw)
    # when
    response = client.post("/api/webhooks/stripe", data=raw, headers=headers)
    # then
    assert_problem(response, 400, "invalid_signature")
    assert _order(client, customer[1], order_id)["status"] == "pending"
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_without_a_webhook_secret_every_stripe_event_is_refused(app, client, stripe_order, stripe_shop):
    _, paying = stripe_order()
    event = stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"]))
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    assert_problem(_send(client, event), 400, "invalid_signature")


@pytest.mark.parametrize("field, value", [("amount_received", 2499), ("currency", "usd")])
def test_a_payment_of_another_amount_or_currency_is_refused(client, customer, stripe_order, stripe_shop, field, value):
    order_id, paying = stripe_order()
    intent = {**stripe_shop.succeed(paying["provider_ref"]), field: value}
    # when
    response = _send(client, stripe_shop.event(PAID, intent))
    # then
    assert_problem(response, 409, "amount_mismatch")
    assert _order(client, customer[1], order_id)["status"] == "pending"
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0  # Stripe will ask again


def test_a_declined_card_marks_the_payment_failed_and_another_card_still_pays(
    client, customer, stripe_order, stripe_shop
):
    _, headers = customer
    order_id, paying = stripe_order()
    # when the first card is declined
    declined = _send(client, stripe_shop.event(FAILED, stripe_shop.fail(paying["provider_ref"])))
    # then
    assert declined.status_code == 200
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("pending", "failed")
    # and when the customer tries another card on the same PaymentIntent and it goes through
    assert _send(client, stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"]))).status_code == 200
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("paid", "succeeded")


def test_events_novacart_does_not_act_on_are_acknowledged_and_ignored(client, customer, stripe_order, stripe_shop):
    order_id, paying = stripe_order()
    intent = stripe_shop.succeed(paying["provider_ref"])
    others = [
        stripe_shop.event("charge.succeeded", {"id": "ch_1", "object": "charge", "amount": 2500}),
        stripe_shop.event("payment_intent.created", intent),
        # a PaymentIntent of another system on the same Stripe account
        stripe_shop.event(PAID, {**intent, "id": "pi_elsewhere", "metadata": {}}),
    ]
    for event in others:
        response = _send(client, event)
        assert (response.status_code, response.get_json()["duplicate"]) == (200, False)
    assert _order(client, customer[1], order_id)["status"] == "pending"
    # while one of NovaCart's that no payment holds is not found (Stripe retries it, and shows it failing)
    assert_problem(_send(client, stripe_shop.event(PAID, {**intent, "id": "pi_unknown"})), 404, "not_found")


def test_a_payment_that_succeeds_after_the_cancel_is_refunded_through_stripe(
    client, customer, stripe_order, stripe_shop
):
    # given an order whose customer cancels while the card payment is under way
    _, headers = customer
    order_id, paying = stripe_order()
    assert client.post(f"/api/orders/{order_id}/cancel", headers=headers).status_code == 200
    # when Stripe then reports the money taken
    assert _send(client, stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"]))).status_code == 200
    # then Stripe is asked for the refund of that PaymentIntent, once, and the customer is told
    [refund] = stripe_shop.calls_to("POST", "/v1/refunds")
    assert refund.params["payment_intent"] == paying["provider_ref"] and refund.params["amount"] == "2500"
    assert refund.headers["Idempotency-Key"] == f"novacart-refund-{paying['payment_id']}-{paying['provider_ref']}"
    assert [r["amount"] for r in stripe_shop.refunds.values()] == [2500]
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")
    assert len(_refund_notices(client, headers)) == 1


def test_cancelling_an_order_paid_with_stripe_refunds_it(client, customer, stripe_order, stripe_shop):
    _, headers = customer
    order_id, paying = stripe_order()
    _send(client, stripe_shop.event(PAID, stripe_shop.succeed(paying["provider_ref"])))
    # when
    assert client.post(f"/api/orders/{order_id}/cancel", headers=headers).status_code == 200
    # then
    assert [r["payment_intent"] for r in stripe_shop.refunds.values()] == [paying["provider_ref"]]
    order = _order(client, headers, order_id)
    assert (order["status"], order["payment_status"]) == ("cancelled", "refunded")


def test_a_refund_asked_twice_refunds_once(app, stripe_order, stripe_shop):
    from novacart.orders.providers import StripePaymentProvider

    _, paying = stripe_order()
    stripe_shop.succeed(paying["provider_ref"])
    provider = StripePaymentProvider()
    # when the task runs twice (a retry after its answer was lost), then once more under another key
    for key in ("refund-1", "refund-1", "refund-other"):
        provider.refund(reference=paying["provider_ref"], amount_cents=2500, idempotency_key=key)
    # then Stripe refunded once: the same key is replayed, and "already refunded" counts as done
    assert len(stripe_shop.refunds) == 1
    assert [c.status for c in stripe_shop.calls_to("POST", "/v1/refunds")] == [200, 200, 400]


@pytest.mark.parametrize(
    "body, status",
    [
        (b"[1]", 400),
        (b"null", 400),
        (b"{not json", 400),
        (b'{"id": "evt_1", "type": ["payment_intent.succeeded"], "data": 3}', 200),  # not a type NovaCart knows
        (
            b'{"id": 5, "type": "payment_intent.succeeded", "data": {"object": '
            b'{"id": "pi_1", "object": "payment_intent", "metadata": {"order_id": "1"}}}}',
            422,
        ),
        (
            b'{"id": "evt_2", "type": "payment_intent.succeeded", "data": {"object": '
            b'{"id": 7, "object": "payment_intent", "metadata": {"order_id": "1"}, "amount_received": 1}}}',
            422,
        ),
    ],
    ids=["list", "null", "not json", "type a list", "id a number", "intent id a number"],
)
def test_a_signed_but_malformed_event_gets_a_problem_never_a_500(client, stripe_shop, body, status):
    response = client.post("/api/webhooks/stripe", data=body, headers=StripeStandIn.signed(body))
    assert response.status_code == status, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_a_payment_reference_that_is_not_a_string_is_a_422_on_novacart_s_webhook_too(client):
    from tests.orders.test_routes import signed_post

    event = {"id": "evt_n", "type": "payment.succeeded", "data": {"payment_ref": 12, "amount_cents": 1}}
    assert_problem(signed_post(client, "payments", event), 422, "validation_error")
