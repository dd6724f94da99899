"""Payment providers and carriers behind small interfaces; `sandbox` ones run locally.

The sandbox provider and carrier behave like the real services they stand in for: they answer
at once with a reference, then confirm later by calling our signed webhooks from a Celery task.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from novacart.db import on_commit


@dataclass(frozen=True)
class ProviderPayment:
    reference: str
    status: str  # "pending" until the provider's webhook says otherwise
    redirect_url: str | None = None


@dataclass(frozen=True)
class Shipment:
    tracking_number: str


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment: ...


class Carrier(Protocol):
    name: str

    def create_shipment(self, *, order_id: int, address: str) -> Shipment: ...


class SandboxPaymentProvider:
    """Approves every payment a moment later through the signed payment webhook."""

    name = "sandbox"

    def create_payment(self, *, order_id: int, amount_cents: int) -> ProviderPayment:
        from novacart.orders import tasks as order_tasks

        reference = f"sbx_pay_{secrets.token_hex(8)}"
        event = {
            "id": f"evt_{secrets.token_hex(12)}",
            "type": "payment.succeeded",
            "data": {"payment_ref": reference, "order_id": order_id, "amount_cents": amount_cents},
        }
        delay = current_app.config["SANDBOX_PAYMENT_DELAY_SECONDS"]
        on_commit(lambda: order_tasks.send_sandbox_webhook.apply_async(("payments", event), countdown=delay))
        return ProviderPayment(reference=reference, status="pending")


class SandboxCarrier:
    """Hands out 1Z-style tracking numbers; reports delivery after SANDBOX_DELIVERY_DELAY_SECONDS (0: never)."""

    name = "sandbox"

    def create_shipment(self, *, order_id: int, address: str) -> Shipment:
        from novacart.orders import tasks as order_tasks

        tracking = "1ZNC" + secrets.token_hex(6).upper()
        delay = current_app.config["SANDBOX_DELIVERY_DELAY_SECONDS"]
        if delay > 0:
            event = {
                "id": f"evt_{secrets.token_hex(12)}",
                "type": "shipment.delivered",
                "data": {"order_id": order_id, "tracking_number": tracking},
            }
            on_commit(lambda: order_tasks.send_sandbox_webhook.apply_async(("shipping", event), countdown=delay))
        return Shipment(tracking_number=tracking)


_PAYMENT_PROVIDERS: dict[str, type] = {"sandbox": SandboxPaymentProvider}
_CARRIERS: dict[str, type] = {"sandbox": SandboxCarrier}


def payment_provider() -> PaymentProvider:
    return _PAYMENT_PROVIDERS[current_app.config["PAYMENT_PROVIDER"]]()


def carrier() -> Carrier:
    return _CARRIERS[current_app.config["SHIPPING_CARRIER"]]()


def webhook_secret(kind: str) -> str:
    return current_app.config["PAYMENT_WEBHOOK_SECRET" if kind == "payments" else "SHIPPING_WEBHOOK_SECRET"]
