"""Stripe end to end: web, worker and beat as processes with PAYMENT_PROVIDER=stripe, Stripe's API played by
the local stand-in (tests/stripe_standin.py, in this test process, reached through STRIPE_API_BASE) and its
webhooks sent over real HTTP, signed as Stripe signs them; the customer watches on a real socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import requests

from tests.e2e.harness import Recorder, System
from tests.stripe_standin import StripeStandIn

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stripe_system(stripe_api: StripeStandIn) -> Iterator[System]:
    from tests.system.conftest import _boot

    with ExitStack() as stack:
        yield _boot(stack, extra_env=stripe_api.settings()).system


@pytest.fixture
def shopper(stripe_system: System, stripe_api: StripeStandIn) -> Iterator[tuple[dict, Recorder]]:
    """A customer with a socket open, and the stand-in emptied."""
    stripe_api.reset()
    customer = stripe_system.register("Card payer")
    sock = Recorder(stripe_system.url, customer["token"]).connect()
    yield customer, sock
    sock.close()
    assert sock.invalid == []  # every payload the customer received is what /api/asyncapi.json says


def _order(system: System, customer: dict, price_cents: int = 1990) -> int:
    product_id = system.add_product(system.employee("staff")["token"], price_cents=price_cents, name="Fountain pen")
    return system.place_order(customer["token"], {product_id: 1})


def _deliver(system: System, event: dict, **signing) -> requests.Response:
    """Stripe delivering `event` to the shop's webhook endpoint (signed with the endpoint's secret by default)."""
    body = json.dumps(event).encode()
    headers = StripeStandIn.signed(body, **signing)
    return requests.post(system.url + "/api/webhooks/stripe", data=body, headers=headers, timeout=10)


def _state(system: System, customer: dict, order_id: int) -> tuple[str, str]:
    order = system.api("GET", f"/api/orders/{order_id}", customer["token"]).json()
    return order["status"], order["payment_status"]


def test_a_stripe_payment_goes_from_pay_to_paid_through_a_signed_webhook(
    stripe_system, stripe_api, shopper, reliability
):
    row = reliability(
        "Stripe: /pay to paid through a signed webhook; forged, stale and replayed events",
        "attack",
        "with `PAYMENT_PROVIDER=stripe` (Stripe's API: a local stand-in): a customer's `POST /pay`; then "
        "`payment_intent.succeeded` for it signed with another secret, signed 10 minutes ago, and with the "
        "endpoint's secret, then that one again",
        "`/pay` creates a PaymentIntent of the order's total in EUR and answers its `client_secret`; the forged "
        "and stale events get 400 `invalid_signature` and change nothing; the signed one pays the order (its "
        "customer's socket shows it) and its replay is acknowledged as a duplicate",
        order=14,
    )
    system = stripe_system
    customer, sock = shopper
    order_id = _order(system, customer)
    # when the customer pays
    paying = system.api("POST", f"/api/orders/{order_id}/pay", customer["token"])
    assert paying.status_code == 200, paying.text
    payment = paying.json()
    [created] = stripe_api.calls_to("POST", "/v1/payment_intents")
    intent = stripe_api.succeed(payment["provider_ref"])  # the customer confirmed with Stripe.js
    event = stripe_api.event("payment_intent.succeeded", intent)
    # and someone without the secret, or with an old delivery, tries first
    forged = _deliver(system, event, secret="whsec_not_the_shops_secret")
    stale = _deliver(system, event, timestamp=int(time.time()) - 600)
    after_attacks = _state(system, customer, order_id)
    # then Stripe's own delivery pays the order, once
    started = time.monotonic()
    delivered = _deliver(system, event)
    paid = sock.wait_for("notification", lambda n: n["type"] == "order_status" and n["data"].get("status") == "paid")
    shown_after = time.monotonic() - started
    replayed = _deliver(system, event)
    row.figures.update(
        {
            "PaymentIntent asked for": f"amount {created.params['amount']} {created.params['currency']}, "
            f"metadata order_id {created.params['metadata[order_id]']}",
            "pay answer": f"{paying.status_code}, client_secret of {payment['provider_ref'][:3]}…",
            "forged": f"{forged.status_code} {forged.json().get('code')}",
            "stale": f"{stale.status_code} {stale.json().get('code')}",
            "order after them": "/".join(after_attacks),
            "signed": delivered.status_code,
            "paid on the socket after s": round(shown_after, 2),
            "replay": replayed.json(),
            "order at the end": "/".join(_state(system, customer, order_id)),
        }
    )
    assert created.params["amount"] == "1990" and created.params["currency"] == "eur"
    assert payment["client_secret"] == intent["client_secret"] and payment["publishable_key"].startswith("pk_")
    assert (forged.status_code, forged.json()["code"]) == (400, "invalid_signature")
    assert (stale.status_code, stale.json()["code"]) == (400, "invalid_signature")
    assert after_attacks == ("pending", "pending")
    assert delivered.json() == {"received": True, "duplicate": False} and len(paid) == 1
    assert replayed.json() == {"received": True, "duplicate": True}
    assert _state(system, customer, order_id) == ("paid", "succeeded")


def test_a_stripe_payment_that_succeeds_on_a_cancelled_order_is_refunded(
    stripe_system, stripe_api, shopper, reliability
):
    row = reliability(
        "Stripe: money taken for a cancelled order",
        "safety",
        "with `PAYMENT_PROVIDER=stripe`: a customer starts paying by card (`POST /pay`), cancels the order before "
        "the card is charged, then Stripe reports `payment_intent.succeeded`",
        "the order stays cancelled; the worker asks Stripe (the stand-in) for a refund of that PaymentIntent's "
        "whole amount, once, with an idempotency key; the order ends `payment_status: refunded` and the "
        "customer's socket shows the refund",
        order=14,
    )
    system = stripe_system
    customer, sock = shopper
    order_id = _order(system, customer, price_cents=4250)
    payment = system.api("POST", f"/api/orders/{order_id}/pay", customer["token"]).json()
    cancelled = system.api("POST", f"/api/orders/{order_id}/cancel", customer["token"])
    # when the card is charged after all
    started = time.monotonic()
    charged = stripe_api.succeed(payment["provider_ref"])
    delivered = _deliver(system, stripe_api.event("payment_intent.succeeded", charged))
    # then the money goes back through Stripe, and the customer is told
    [refund] = stripe_api.wait_for_calls("POST", "/v1/refunds", timeout=20)
    refunded_after = time.monotonic() - started
    told = sock.wait_for("notification", lambda n: n["data"].get("payment_status") == "refunded", timeout=20)
    row.figures.update(
        {
            "cancel": cancelled.status_code,
            "webhook": delivered.status_code,
            "refund asked of Stripe after s": round(refunded_after, 2),
            "refund": f"{refund.params['amount']} of {refund.params['payment_intent'][:3]}…, "
            f"Idempotency-Key {refund.headers['Idempotency-Key'].split('-pi_')[0]}-pi_…",
            "refunds at Stripe": len(stripe_api.refunds),
            "customer told": told[0]["title"],
            "order at the end": "/".join(_state(system, customer, order_id)),
        }
    )
    assert cancelled.status_code == 200 and delivered.status_code == 200
    assert (refund.params["payment_intent"], refund.params["amount"]) == (payment["provider_ref"], "4250")
    assert refund.headers["Idempotency-Key"] == f"novacart-refund-{payment['payment_id']}-{payment['provider_ref']}"
    assert len(stripe_api.refunds) == 1 and len(told) == 1
    assert _state(system, customer, order_id) == ("cancelled", "refunded")
