"""Payment providers and carriers behind small interfaces; `sandbox` ones run locally.

The sandbox provider and carrier behave like the real services they stand in for: they answer
at once with a reference, then confirm later by calling our signed webhooks from a Celery task.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app

from novacart.db import on_commit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderPayment:
    reference: str
    status: str  # "pending" until the provider's webhook says otherwise
    redirect_url: str | None = None
    client_secret: str | None = None  # what a browser needs to confirm the payment with the provider


@dataclass(frozen=True)
class Shipment:
    tracking_number: str


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment: ...

    def confirm_later(self, payment: Any) -> None:
        """Called once the payment row exists (its id assigned), in the same transaction."""

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

    def refund(self, *, reference: str, amount_cents: int, idempotency_key: str) -> None:
        logger.info("sandbox refunded %d cents of %s", amount_cents, reference)


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


_PAYMENT_PROVIDERS: dict[str, type] = {"sandbox": SandboxPaymentProvider}
_CARRIERS: dict[str, type] = {"sandbox": SandboxCarrier}


def payment_provider(name: str | None = None) -> PaymentProvider:
    """The configured provider, or the one named (a refund goes back through the provider that took it)."""
    return _PAYMENT_PROVIDERS[name or current_app.config["PAYMENT_PROVIDER"]]()


def carrier() -> Carrier:
    return _CARRIERS[current_app.config["SHIPPING_CARRIER"]]()


def webhook_secret(kind: str) -> str:
    return current_app.config["PAYMENT_WEBHOOK_SECRET" if kind == "payments" else "SHIPPING_WEBHOOK_SECRET"]
