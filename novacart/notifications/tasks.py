"""Celery tasks of the notification engine: promotions and the delivery sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from novacart.notifications import delivery, digests, promotions

logger = logging.getLogger(__name__)


@shared_task(name="notifications.send_promotion", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def send_promotion(promotion_id: int) -> int:
    """Fan a promotion out to its audience; safe to run twice (nobody gets it twice)."""
    return promotions.send_promotion(promotion_id)


@shared_task(name="notifications.send_due_promotions")
def send_due_promotions() -> int:
    """Claim scheduled promotions whose time has come, and stalled fan-outs (each exactly once, whatever
    runs this), and send them."""
    claimed = promotions.claim_due_promotions() + promotions.claim_stalled_promotions()
    for promotion_id in claimed:
        send_promotion.delay(promotion_id)
    return len(claimed)


@shared_task(name="notifications.resend_unacknowledged")
def resend_unacknowledged() -> int:
    """Re-send deliveries that stayed unacknowledged too long to their users' rooms."""
    count = delivery.resend_unacknowledged()
    if count:
        logger.info("re-sent %d unacknowledged notifications", count)
    return count


@shared_task(name="notifications.send_new_order_digest")
def send_new_order_digest() -> int:
    """Announce to staff, in one notification, the orders that waited out the digest window."""
    return digests.send_due_digest()


@shared_task(name="notifications.prune_order_alerts")
def prune_order_alerts() -> int:
    """Forget new-order alerts sent longer ago than OUTBOX_RETENTION_DAYS."""
    return digests.prune(timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"]))
