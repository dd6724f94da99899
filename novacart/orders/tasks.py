"""Celery tasks of orders: the sandbox providers' webhook calls, refunds, and the unpaid-order sweep."""

from __future__ import annotations

import json
import logging

import requests
from celery import shared_task
from flask import current_app

from novacart.extensions import db
from novacart.orders import providers, services, signing
from novacart.orders.models import Order, Payment

logger = logging.getLogger(__name__)


def _sandbox_event(kind: str, record_id: int) -> dict | None:
    """The event a sandbox provider sends about a payment or an order, built from its row.

    Its id is derived from the row, so a retried task sends the same event and the webhook applies it once.
    """
    if kind == "payments":
        payment = db.session.get(Payment, record_id)
        if payment is None or payment.provider != "sandbox":
            return None
        return {
            "id": f"evt_sbx_pay_{payment.id}",
            "type": "payment.succeeded",
            "data": {
                "payment_ref": payment.provider_ref,
                "order_id": payment.order_id,
                "amount_cents": payment.amount_cents,
            },
        }
    if kind == "shipping":
        order = db.session.get(Order, record_id)
        if order is None or not order.tracking_number:
            return None
        return {
            "id": f"evt_sbx_dlv_{order.id}",
            "type": "shipment.delivered",
            "data": {"order_id": order.id, "tracking_number": order.tracking_number},
        }
    return None


@shared_task(
    name="orders.send_sandbox_webhook",
    autoretry_for=(requests.ConnectionError, requests.Timeout, RuntimeError),
    retry_backoff=True,
    max_retries=8,
)
def send_sandbox_webhook(kind: str, record_id: int) -> int:
    """Deliver a sandbox provider's event about a payment or an order to our own webhook, signed like a
    real provider would. Takes an id, never an event: what it signs comes from the database.

    Retries until the web answers; our webhook processes each event id once, so retries are safe.
    """
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        logger.error("sandbox %s webhook task refused: it takes a row id, not %s", kind, type(record_id).__name__)
        return 0
    event = _sandbox_event(kind, record_id)
    db.session.rollback()
    if event is None:
        logger.warning("sandbox %s webhook for %s: nothing to report", kind, record_id)
        return 0
    body = json.dumps(event, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", signing.HEADER: signing.sign(providers.webhook_secret(kind), body)}
    path = f"/api/webhooks/{kind}"
    base_url = current_app.config["SANDBOX_WEBHOOK_BASE_URL"]
    if base_url:
        status = requests.post(base_url.rstrip("/") + path, data=body, headers=headers, timeout=10).status_code
    else:
        status = current_app.test_client().post(path, data=body, headers=headers).status_code
    if status >= 500:
        raise RuntimeError(f"webhook {path} answered {status}")
    if status >= 400:
        logger.error("sandbox %s webhook %s was refused with %s", kind, event["id"], status)
    return status


@shared_task(name="orders.refund_payment", autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def refund_payment(payment_id: int) -> bool:
    """Refund a payment claimed for refunding (its order was cancelled); safe to run twice."""
    return services.refund_payment(payment_id)


@shared_task(name="orders.expire_unpaid_orders")
def expire_unpaid_orders() -> int:
    """Cancel orders left unpaid past PENDING_ORDER_TTL_SECONDS, and retry refunds whose task was lost."""
    for payment_id in services.refunds_to_retry():
        refund_payment.delay(payment_id)
    return services.expire_unpaid_orders()
