"""Celery tasks of orders: the sandbox providers' webhook calls."""

from __future__ import annotations

import json
import logging

import requests
from celery import shared_task
from flask import current_app

from novacart.orders import providers, signing

logger = logging.getLogger(__name__)


@shared_task(
    name="orders.send_sandbox_webhook",
    autoretry_for=(requests.ConnectionError, requests.Timeout, RuntimeError),
    retry_backoff=True,
    max_retries=8,
)
def send_sandbox_webhook(kind: str, event: dict) -> int:
    """Deliver a sandbox provider's event to our own webhook, signed like a real provider would.

    Retries until the web answers; our webhook processes each event id once, so retries are safe.
    """
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
