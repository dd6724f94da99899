"""The one place domain events go through: publish() inside a transaction, subscribe() to react after it.

A service records an event with `publish(name, payload)` in the same transaction as the change it
describes (a transactional outbox row). After the commit a Celery task hands the event to every
subscriber; the beat sweep re-dispatches any event whose hand-off was lost. Subscribers (the
notification engine) are registered by name, so inventory and orders never import them, and they
must be idempotent: an event can be delivered more than once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from novacart.db import on_commit

logger = logging.getLogger(__name__)

Handler = Callable[[int, dict[str, Any]], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str) -> Callable[[Handler], Handler]:
    """Register `handler(event_id, payload)` for the domain event `name`."""

    def register(handler: Handler) -> Handler:
        if handler not in _subscribers[name]:
            _subscribers[name].append(handler)
        return handler

    return register


def subscribers(name: str) -> list[Handler]:
    return list(_subscribers.get(name, ()))


def publish(name: str, payload: dict[str, Any]) -> int:
    """Record the event `name` in the current transaction; it is dispatched once that commits.

    Caller commits. Returns the event's id.
    """
    from novacart.events import tasks
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    event = OutboxEvent(name=name, payload=payload)
    db.session.add(event)
    db.session.flush()
    event_id = event.id
    on_commit(lambda: tasks.dispatch_event.delay(event_id))
    return event_id
