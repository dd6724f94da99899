"""Celery tasks that hand stored domain events to their subscribers."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import delete, select

from novacart import events
from novacart.db import utcnow
from novacart.events.models import OutboxEvent
from novacart.extensions import db

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


@shared_task(name="events.dispatch_event", autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def dispatch_event(event_id: int) -> None:
    """Run every subscriber of a stored event, then mark it dispatched. Safe to run twice."""
    event = db.session.get(OutboxEvent, event_id)
    if event is None:
        logger.warning("outbox event %s is gone", event_id)
        return
    if event.dispatched_at is not None:
        return
    event.attempts += 1
    db.session.commit()
    name, payload = event.name, dict(event.payload)
    for handler in events.subscribers(name):
        handler(event_id, payload)
    event = db.session.get(OutboxEvent, event_id)
    event.dispatched_at = utcnow()
    db.session.commit()


@shared_task(name="events.sweep_outbox")
def sweep_outbox(older_than_seconds: float | None = None, batch: int = 500) -> int:
    """Re-dispatch events whose after-commit hand-off was lost (a Redis outage, a killed web process):
    those undispatched OUTBOX_RETRY_AFTER_SECONDS after they were stored."""
    if older_than_seconds is None:
        older_than_seconds = current_app.config["OUTBOX_RETRY_AFTER_SECONDS"]
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stmt = (
        select(OutboxEvent.id)
        .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.created_at < cutoff)
        .where(OutboxEvent.attempts < MAX_ATTEMPTS)
        .order_by(OutboxEvent.id)
        .limit(batch)
    )
    ids = list(db.session.scalars(stmt))
    db.session.rollback()
    for event_id in ids:
        dispatch_event.delay(event_id)
    if ids:
        logger.info("re-dispatched %d outbox events", len(ids))
    return len(ids)


@shared_task(name="events.prune_outbox")
def prune_outbox(batch: int = 10_000) -> int:
    """Delete events dispatched more than OUTBOX_RETENTION_DAYS ago (undispatched ones are never pruned)."""
    cutoff = utcnow() - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    total = 0
    while True:
        ids = select(OutboxEvent.id).where(OutboxEvent.dispatched_at < cutoff).limit(batch)
        deleted = db.session.execute(
            delete(OutboxEvent).where(OutboxEvent.id.in_(ids)).execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        total += deleted
        if deleted < batch:
            break
    if total:
        logger.info("pruned %d dispatched outbox events", total)
    return total
