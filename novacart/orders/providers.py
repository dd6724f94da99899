"""Payment providers and carriers behind small interfaces: `stripe`, and `sandbox` ones that run locally.

The sandbox provider and carrier behave like the real services they stand in for: they answer
at once with a reference, then confirm later by calling our signed webhooks from a Celery task.
Stripe is called through its official library; its outcome arrives at POST /api/webhooks/stripe.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from novacart.db import on_commit
from novacart.errors import BadRequestError, ServiceUnavailableError
from novacart.orders.signing import InvalidSignatureError

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ProviderPayment:
    reference: str
    status: str  # "pending" until the provider's webhook says otherwise
    redirect_url: str | None = None
    client_secret: str | None = None  # what a browser needs to confirm the payment with the provider
    publishable_key: str | None = None  # the provider's public key for its browser library (Stripe.js)


class PaymentProviderUnavailableError(ServiceUnavailableError):
    """The provider could not be reached or refused the call: nothing was charged, the customer may retry."""


@dataclass(frozen=True)
class Shipment:
    tracking_number: str


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment: ...

    def confirm_later(self, payment: Any) -> None:
        """Called once the payment row exists (its id assigned), in the same transaction."""

    def resume_payment(self, reference: str) -> ProviderPayment:
        """What a browser needs to go on with a payment started before (the customer asked to pay again)."""

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> None:
        """Give the money back; raises on failure. Repeating it with the same key refunds once."""


class Carrier(Protocol):
    name: str

    def create_shipment(self, *, order_id: int, address: str) -> Shipment: ...


class SandboxPaymentProvider:
    """Approves every payment a moment later through the signed payment webhook; refunds at once."""

    name = "sandbox"

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment:
        return ProviderPayment(reference=f"sbx_pay_{secrets.token_hex(8)}", status="pending")

    def confirm_later(self, payment: Any) -> None:
        from novacart.orders import tasks as order_tasks

        # The task carries the payment's id only: it builds the event it signs from the database, so a
        # message planted in the broker cannot get an arbitrary event signed.
        payment_id, delay = payment.id, current_app.config["SANDBOX_PAYMENT_DELAY_SECONDS"]
        on_commit(lambda: order_tasks.send_sandbox_webhook.apply_async(("payments", payment_id), countdown=delay))

    def resume_payment(self, reference: str) -> ProviderPayment:
        return ProviderPayment(reference=reference, status="pending")  # it confirms by itself: nothing to do

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> None:
        logger.info("sandbox refunded %d cents of %s", amount_cents, reference)


# Stripe: each call waits at most this long, and the library retries a failed connection twice with the
# same idempotency key (so a retried create makes one PaymentIntent, a retried refund one refund).
STRIPE_TIMEOUT_SECONDS = 20
STRIPE_NETWORK_RETRIES = 2
STRIPE_SIGNATURE_HEADER = "Stripe-Signature"
# The Stripe events NovaCart acts on, as the payment events handle_payment_event applies.
_STRIPE_EVENT_TYPES = {
    "payment_intent.succeeded": "payment.succeeded",
    "payment_intent.payment_failed": "payment.failed",
}


def _stripe_client() -> stripe.StripeClient:
    """One StripeClient per key and API base, kept on the app (its HTTP sessions are reused).

    A client object rather than the library's module-wide `stripe.api_key` / `stripe.api_base`: the
    settings are the app's, not the process's.
    """
    config = current_app.config
    settings = (config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"])
    cached = current_app.extensions.get("novacart.stripe")
    if cached is None or cached[0] != settings:
        client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"] or "",
            base_addresses={"api": config["STRIPE_API_BASE"]} if config["STRIPE_API_BASE"] else {},
            max_network_retries=STRIPE_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
        )
        cached = current_app.extensions["novacart.stripe"] = (settings, client)
    return cached[1]


def _calling_stripe(what: str, call: Callable[[stripe.StripeClient], T]) -> T:
    try:
        return call(_stripe_client())
    except stripe.StripeError as error:
        # Stripe's message and codes only: never the request, which may carry the customer's details.
        logger.error("stripe refused to %s: %s (%s, %s)", what, type(error).__name__, error.code, error.user_message)
        raise PaymentProviderUnavailableError(
            _l("The payment provider did not answer; try again in a moment.")
        ) from error


class StripePaymentProvider:
    """Stripe: a PaymentIntent per payment, confirmed in the customer's browser with Stripe.js (its
    `client_secret` and the publishable key go to the browser); Stripe reports the outcome to
    POST /api/webhooks/stripe, and refunds go back through Stripe's Refunds API."""

    name = "stripe"

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment:
        """Raises PaymentProviderUnavailableError (nothing was charged)."""
        params = {
            "amount": amount_cents,
            "currency": current_app.config["CURRENCY"].lower(),
            "metadata": {"order_id": str(order_id)},
            "description": f"Order #{order_id}",
            "automatic_payment_methods": {"enabled": True},
        }
        # Random, not derived from ids: a fresh database (or another shop on the same Stripe account) repeats
        # ids, and Stripe refuses a key reused with other parameters for 24 hours.
        options = {"idempotency_key": f"novacart-order-{order_id}-{secrets.token_hex(12)}"}
        intent = _calling_stripe("create a PaymentIntent", lambda c: c.v1.payment_intents.create(params, options))
        return self._browser_side(intent)

    def confirm_later(self, payment: Any) -> None:
        """Nothing to schedule: the customer confirms in the browser, then Stripe calls the webhook."""

    def resume_payment(self, reference: str) -> ProviderPayment:
        """Raises PaymentProviderUnavailableError."""
        intent = _calling_stripe("read a PaymentIntent", lambda c: c.v1.payment_intents.retrieve(reference))
        return self._browser_side(intent)

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> None:
        """Refund `amount_cents` of the PaymentIntent `reference`. Raises stripe.StripeError (the task retries)."""
        params = {"payment_intent": reference, "amount": amount_cents, "metadata": {"reason": "order cancelled"}}
        # The PaymentIntent's id makes the key unique on the Stripe account; NovaCart's part keeps it stable
        # across the task's retries, so Stripe refunds once however often it is asked.
        options = {"idempotency_key": f"novacart-{idempotency_key}-{reference}"}
        try:
            _stripe_client().v1.refunds.create(params, options)
        except stripe.InvalidRequestError as error:
            if error.code != "charge_already_refunded":
                raise
            logger.info("stripe says %s was refunded already", reference)

    def verified_event(self, body: bytes, header: str | None) -> dict | None:
        """The payment event a Stripe webhook carries, verified with `stripe.Webhook.construct_event`.

        Returns NovaCart's form of it ({id, type, data: {payment_ref, amount_cents, currency}}), or None
        for an event NovaCart does not act on (another type, or a PaymentIntent NovaCart did not create,
        such as one of another system on the same Stripe account). Raises InvalidSignatureError for a
        missing, malformed, wrong or stale signature, and while STRIPE_WEBHOOK_SECRET is not set.
        """
        secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
        if not secret:
            raise InvalidSignatureError("Stripe webhooks are not set up here (STRIPE_WEBHOOK_SECRET).")
        # The library would raise TypeError comparing a non-ASCII signature, UnicodeDecodeError on a body
        # that is not UTF-8: Stripe sends neither.
        if not header or not header.isascii():
            raise InvalidSignatureError(f"The {STRIPE_SIGNATURE_HEADER} header is missing or malformed.")
        try:
            body.decode("utf-8")
            event = stripe.Webhook.construct_event(
                body, header, secret, tolerance=current_app.config["WEBHOOK_TOLERANCE_SECONDS"]
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
            raise InvalidSignatureError(f"The {STRIPE_SIGNATURE_HEADER} signature does not verify.") from error
        except (ValueError, AttributeError, TypeError) as error:  # signed, yet not a JSON object
            raise BadRequestError("The event is not a JSON object.") from error
        return _payment_event(event.to_dict())

    @staticmethod
    def _browser_side(intent: Any) -> ProviderPayment:
        return ProviderPayment(
            reference=intent.id,
            status="pending",
            client_secret=intent.client_secret,
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        )


def _payment_event(event: dict) -> dict | None:
    kind = _STRIPE_EVENT_TYPES.get(event["type"]) if isinstance(event.get("type"), str) else None
    data = event.get("data")
    intent = data.get("object") if isinstance(data, dict) else None
    if kind is None or not isinstance(intent, dict) or intent.get("object") != "payment_intent":
        return None
    if not isinstance(intent.get("metadata"), dict) or "order_id" not in intent["metadata"]:
        logger.info("stripe event %s is about a PaymentIntent NovaCart did not create", event.get("id"))
        return None
    data = {"payment_ref": intent.get("id"), "currency": intent.get("currency")}
    if kind == "payment.succeeded":
        data["amount_cents"] = intent.get("amount_received")
    return {"id": event.get("id"), "type": kind, "data": data}


class SandboxCarrier:
    """Hands out 1Z-style tracking numbers; reports delivery after SANDBOX_DELIVERY_DELAY_SECONDS (0: never)."""

    name = "sandbox"

    def create_shipment(self, *, order_id: int, address: str) -> Shipment:
        from novacart.orders import tasks as order_tasks

        tracking = "1ZNC" + secrets.token_hex(6).upper()
        delay = current_app.config["SANDBOX_DELIVERY_DELAY_SECONDS"]
        if delay > 0:  # the event is built from the order's row when the task runs
            on_commit(lambda: order_tasks.send_sandbox_webhook.apply_async(("shipping", order_id), countdown=delay))
        return Shipment(tracking_number=tracking)


_PAYMENT_PROVIDERS: dict[str, type] = {"sandbox": SandboxPaymentProvider, "stripe": StripePaymentProvider}
_CARRIERS: dict[str, type] = {"sandbox": SandboxCarrier}


def payment_provider(name: str | None = None) -> PaymentProvider:
    """The configured provider, or the one named (a refund goes back through the provider that took it)."""
    return _PAYMENT_PROVIDERS[name or current_app.config["PAYMENT_PROVIDER"]]()


def carrier() -> Carrier:
    return _CARRIERS[current_app.config["SHIPPING_CARRIER"]]()


def webhook_secret(kind: str) -> str:
    return current_app.config["PAYMENT_WEBHOOK_SECRET" if kind == "payments" else "SHIPPING_WEBHOOK_SECRET"]
