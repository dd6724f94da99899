"""Celery tasks of the notification engine: promotions and the delivery sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from novacart.notifications import channels, delivery, digests, promotions
from novacart.notifications.models import SendStatus

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


@shared_task(name="notifications.check_channel")
def check_channel(channel: str, notification_ids: list[int]) -> int:
    """Send by e-mail or push what no client has shown yet (channels.check): at once for a channel
    without delay; beat's sweep checks the others."""
    return channels.check(channel, notification_ids)


SEND_MAX_ATTEMPTS = 9


@shared_task(name="notifications.send_channel", bind=True)
def send_channel(self, notification_id: int, channel: str, token: str | None, attempt: int = 1) -> str:
    """Send one notification on one channel, once: claim, send, record. A transient failure (the mail
    server or push service down) is recorded with the time of the next attempt, a doubling wait from 5 s
    to 10 minutes (about 40 minutes in all), and beat's sweep starts that attempt when it is due: no
    countdown task waits in the broker (see channels.schedule)."""
    token = token or self.request.id
    if not channels.claim(notification_id, channel, token):
        return "not ours"
    outcome = channels.send(notification_id, channel, token)
    if outcome.status is None and attempt < SEND_MAX_ATTEMPTS:
        wait = min(600, 5 * 2 ** (attempt - 1))
        channels.finish(notification_id, channel, token, outcome, attempts=attempt, retry_in=wait)
        return "retry"
    if outcome.status is None:
        outcome = channels.Outcome(SendStatus.FAILED, f"gave up after {attempt} attempts: {outcome.error}")
    channels.finish(notification_id, channel, token, outcome, attempts=attempt)
    return str(outcome.status)


@shared_task(name="notifications.sweep_channels")
def sweep_channels() -> int:
    """Check what lost its scheduled check, and retry sends whose worker died (channels.sweep)."""
    return channels.sweep()
