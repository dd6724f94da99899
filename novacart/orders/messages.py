"""Conversations on an order: its customer and the shop's employees write to each other.

A message is a row of `order_messages`. Writing one records `orders.message_posted` in the same
transaction (the notifications side turns it into the other side's durable `message` notification) and,
after the commit, emits `messageReceived` from here: to the other side (the `staff` room for a customer's
message, the customer's `user:<id>` for an employee's) and to `order:<id>`. The live emit is made here,
once per message, rather than by the event's subscriber, which the outbox may run more than once and
only after a hop through the worker; a lost emit costs nothing, since the notification is queued until
acknowledged and the clients re-read the conversation when it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from novacart import events, realtime, wire
from novacart.auth import services as auth_services
from novacart.db import on_commit, transactional
from novacart.errors import ValidationError
from novacart.extensions import db
from novacart.orders import events as order_events
from novacart.orders.models import MESSAGE_MAX_CHARS, Order, OrderMessage
from novacart.orders.services import get_order
from novacart.pagination import Page, paginate

logger = logging.getLogger(__name__)

EXCERPT = 280  # characters of the text quoted in the notification


def clean_text(text: str) -> str:
    """The text as it is stored: trimmed. Raises ValidationError when that leaves nothing, too much, or a
    NUL character (which no database column may hold)."""
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        problem = "Write something: the message is empty."
    elif len(text) > MESSAGE_MAX_CHARS:
        problem = f"At most {MESSAGE_MAX_CHARS} characters ({len(text)} given)."
    elif "\x00" in text:
        problem = "The message cannot contain NUL characters."
    else:
        return text
    raise ValidationError(problem, {"text": [problem]})


def excerpt(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def as_item(message: OrderMessage, author_name: str) -> dict[str, Any]:
    """The contract's `message` object (wire.MessagePayload), before serialisation."""
    return {
        "id": message.id,
        "order_id": message.order_id,
        "from": {"id": message.author_id, "name": author_name, "role": message.author_role},
        "text": message.text,
        "at": message.created_at,
    }


@transactional
def post_message(actor_id: int, order_id: int, text: str) -> dict[str, Any]:
    """Write a message on an order (its customer, or any employee) and tell the other side.

    Returns the `message` object. Raises NotFoundError (also for another customer's order: its existence
    is not revealed) and ValidationError (empty after trimming, longer than MESSAGE_MAX_CHARS).
    """
    author = auth_services.get_user(actor_id)
    order = get_order(author, order_id)
    message = OrderMessage(order_id=order.id, author_id=author.id, author_role=str(author.role), text=clean_text(text))
    db.session.add(message)
    db.session.flush()
    item = as_item(message, author.name)
    live = wire.MessagePayload().dump(item)
    payload = order_events.message_posted_payload(order, message, author, excerpt(message.text))
    events.publish(order_events.MESSAGE_POSTED, payload)
    other_side = realtime.STAFF_ROOM if payload["from_customer"] else realtime.user_room(order.user_id)
    rooms = [other_side, realtime.order_room(order.id)]
    on_commit(lambda: realtime.emit(wire.MESSAGE_RECEIVED, live, room=rooms))
    logger.info("user %s wrote message %s on order %s", author.id, message.id, order.id)
    return item


def list_messages(viewer_id: int, order_id: int, *, limit: int, after_id: int | None) -> Page:
    """An order's conversation, newest first, as `message` objects.

    Raises NotFoundError (also for another customer's order).
    """
    order = get_order(auth_services.get_user(viewer_id), order_id)
    page = paginate(
        select(OrderMessage).where(OrderMessage.order_id == order.id),
        OrderMessage.id,
        limit=limit,
        after_id=after_id,
        newest_first=True,
    )
    authors = auth_services.users_by_ids(message.author_id for message in page.items)
    items = [as_item(m, authors[m.author_id].name if m.author_id in authors else "") for m in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


def awaiting_reply(order_ids: Iterable[int]) -> set[int]:
    """Which of these orders have an unanswered customer message: their latest message is the customer's."""
    ids = list({int(i) for i in order_ids})
    if not ids:
        return set()
    latest = select(func.max(OrderMessage.id)).where(OrderMessage.order_id.in_(ids)).group_by(OrderMessage.order_id)
    stmt = (
        select(OrderMessage.order_id)
        .join(Order, Order.id == OrderMessage.order_id)
        .where(OrderMessage.id.in_(latest), OrderMessage.author_id == Order.user_id)
    )
    return set(db.session.scalars(stmt))
