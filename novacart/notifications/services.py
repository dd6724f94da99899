"""The notification engine: store, queue, push, acknowledge; preferences; promotions.

Every notification is a row first, with a delivery-queue row beside it in the same transaction;
after the commit it is emitted to `user:<id>`. It leaves the queue when a client of that user
acknowledges it. Bulk paths (`create_many`) write rows in one statement per batch and emit after
commit, so a promotion to many customers is a handful of round trips, not one per customer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, select, update

from novacart import metrics, realtime
from novacart.auth import services as auth_services
from novacart.auth.models import Role, User
from novacart.db import on_commit, run_after_commit, transactional, utcnow
from novacart.errors import ConflictError, NotFoundError, ValidationError
from novacart.extensions import db
from novacart.notifications.models import (
    ALWAYS_ON,
    Delivery,
    Notification,
    NotificationPreference,
    NotificationType,
    Promotion,
    PromotionStatus,
)
from novacart.pagination import Page, paginate

logger = logging.getLogger(__name__)

# The hot paths (creating, queueing, acknowledging) use core statements on the tables: the ORM's
# unit of work and identity map cost more than the SQL itself for rows nobody edits afterwards.
_NOTIFICATIONS = Notification.__table__
_DELIVERIES = Delivery.__table__
_PREFS = NotificationPreference.__table__
_USERS = User.__table__
_RECIPIENT = (
    select(_USERS.c.id, _PREFS.c.disabled_types)
    .outerjoin(_PREFS, _PREFS.c.user_id == _USERS.c.id)
    .where(_USERS.c.id == bindparam("user_id"))
)


class TypeDisabledError(ConflictError):
    code, title = "type_disabled", "Notification type turned off"


class PromotionNotCancellableError(ConflictError):
    code, title = "promotion_not_cancellable", "Promotion cannot be cancelled"


def to_wire(n: Notification | dict[str, Any]) -> dict[str, Any]:
    """The contract's `notification` object."""
    get = n.get if isinstance(n, dict) else lambda key: getattr(n, key)
    read_at, created_at = get("read_at"), get("created_at")
    return {
        "id": get("id"),
        "user_id": get("user_id"),
        "type": get("type"),
        "title": get("title"),
        "message": get("message"),
        "data": get("data") or {},
        "is_read": bool(get("is_read")),
        "read_at": read_at.isoformat() if read_at else None,
        "created_at": created_at.isoformat() if created_at else None,
    }


# -- preferences --------------------------------------------------------------------------------


def disabled_types(user_id: int) -> set[str]:
    pref = db.session.get(NotificationPreference, user_id)
    return set(pref.disabled_types or []) if pref else set()


def _turned_off(type_: str, disabled_types: list[str] | None) -> bool:
    return type_ not in ALWAYS_ON and type_ in (disabled_types or [])


def users_with_type_disabled(user_ids: Sequence[int], type_: str) -> set[int]:
    """Which of `user_ids` turned `type_` off (one query for the whole batch)."""
    if type_ in ALWAYS_ON or not user_ids:
        return set()
    rows = db.session.execute(select(_PREFS.c.user_id, _PREFS.c.disabled_types).where(_PREFS.c.user_id.in_(user_ids)))
    return {user_id for user_id, disabled in rows if _turned_off(type_, disabled)}


def get_preferences(user_id: int) -> dict[str, Any]:
    user = auth_services.get_user(user_id)
    off = disabled_types(user_id)
    return {"types": {t.value: t.value not in off for t in NotificationType}, "interests": list(user.interests or [])}


@transactional
def update_preferences(user_id: int, types: dict[str, bool] | None, interests: list[str] | None) -> dict[str, Any]:
    """Turn types on or off and replace the interests; both parts optional.

    Raises ValidationError for an unknown type or for turning off a transactional one.
    """
    user = auth_services.get_user(user_id)
    if types:
        unknown = sorted(set(types) - {t.value for t in NotificationType})
        if unknown:
            raise ValidationError("Unknown notification types.", {"types": [f"Unknown type: {t}" for t in unknown]})
        forced = sorted(t for t, on in types.items() if not on and t in ALWAYS_ON)
        if forced:
            raise ValidationError(
                "Order updates are transactional and cannot be turned off.",
                {"types": [f"{t} cannot be turned off." for t in forced]},
            )
        pref = db.session.get(NotificationPreference, user_id) or NotificationPreference(user_id=user_id)
        off = set(pref.disabled_types or [])
        off |= {t for t, on in types.items() if not on}
        off -= {t for t, on in types.items() if on}
        pref.disabled_types = sorted(off)
        db.session.add(pref)
    if interests is not None:
        user.interests = sorted({i.strip().lower() for i in interests if i.strip()})
    db.session.flush()
    return get_preferences(user_id)


# -- creating and pushing -----------------------------------------------------------------------


def create_many(
    user_ids: Iterable[int],
    type_: str,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
    *,
    source_key: str | None = None,
) -> list[dict[str, Any]]:
    """Store and queue one notification per user, skipping users who turned the type off and,
    with `source_key`, users who already have this one (so a retried task creates no duplicate).

    Emits after commit. Returns the rows created (dicts with the columns and `id`). Caller commits.
    """
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return []
    skip = users_with_type_disabled(user_ids, type_)
    if source_key is not None:
        skip |= set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.source_key == source_key, Notification.user_id.in_(user_ids)
                )
            )
        )
    return _store(user_ids, type_, title, message, data, source_key=source_key, skip=skip)


def _store(
    user_ids: list[int],
    type_: str,
    title: str,
    message: str,
    data: dict[str, Any] | None,
    *,
    source_key: str | None,
    skip: set[int],
) -> list[dict[str, Any]]:
    """Insert the notifications and their delivery rows, and emit them after the commit."""
    now = utcnow()
    rows = [
        {
            "user_id": uid,
            "type": str(type_),
            "title": title,
            "message": message,
            "data": data or {},
            "is_read": False,
            "created_at": now,
            "source_key": source_key,
        }
        for uid in user_ids
        if uid not in skip
    ]
    if not rows:
        return []
    if len(rows) == 1:  # the API's single notification: no executemany machinery
        ids = [db.session.execute(insert(_NOTIFICATIONS).returning(_NOTIFICATIONS.c.id), rows[0]).scalar_one()]
    else:
        returning = insert(_NOTIFICATIONS).returning(_NOTIFICATIONS.c.id, sort_by_parameter_order=True)
        ids = db.session.scalars(returning, rows).all()
    pairs = list(zip(ids, rows, strict=True))
    deliveries = [{"notification_id": nid, "user_id": row["user_id"], "queued_at": now} for nid, row in pairs]
    db.session.execute(insert(_DELIVERIES), deliveries[0] if len(deliveries) == 1 else deliveries)
    created = [{**row, "id": nid, "read_at": None} for nid, row in pairs]
    wire = [to_wire(item) for item in created]
    metrics.NOTIFICATIONS_CREATED.labels(type=str(type_)).inc(len(created))
    on_commit(lambda: send_realtime(wire))
    return created


def send_realtime(notifications: Sequence[dict[str, Any]]) -> None:
    """Emit each notification to its user's room (every tab and device of that user)."""
    realtime.emit_many([("notification", item, realtime.user_room(item["user_id"])) for item in notifications])
    for item in notifications:
        metrics.NOTIFICATIONS_PUSHED.labels(type=item["type"]).inc()


@transactional
def create(
    actor_id: int | None, user_id: int, type_: str, title: str, message: str, data: dict | None = None
) -> dict[str, Any]:
    """Store, queue and push one notification to a user (the API's POST /api/notifications).

    Raises ValidationError for an unknown user, TypeDisabledError if the user turned the type off.
    """
    recipient = db.session.execute(_RECIPIENT, {"user_id": user_id}).first()
    if recipient is None:
        raise ValidationError("No such user.", {"user_id": ["No user with this id."]})
    if _turned_off(type_, recipient.disabled_types):
        raise TypeDisabledError(f"User {user_id} has turned off {type_} notifications.")
    created = _store([user_id], type_, title, message, data, source_key=None, skip=set())
    logger.info("user %s sent a %s notification to user %s", actor_id, type_, user_id)
    return created[0]


def employee_ids(roles: Iterable[Role]) -> list[int]:
    stmt = select(User.id).where(User.role.in_(list(roles)), User.is_active_account.is_(True)).order_by(User.id)
    return list(db.session.scalars(stmt))


# -- reading -----------------------------------------------------------------------------------


def find_by_user(
    user_id: int, *, unread_only: bool = False, type_: str | None = None, limit: int = 20, after_id: int | None = None
) -> Page:
    """A user's notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.is_read.is_(False))
    if type_:
        stmt = stmt.where(Notification.type == type_)
    return paginate(stmt, Notification.id, limit=limit, after_id=after_id, newest_first=True)


def unread_count(user_id: int) -> int:
    stmt = select(func.count()).where(Notification.user_id == user_id, Notification.is_read.is_(False))
    return db.session.scalar(stmt) or 0


def _owned(user_id: int, notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFoundError(f"Notification {notification_id} does not exist.")
    return notification


@transactional
def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read and tell their other tabs. Raises NotFoundError."""
    notification = _owned(user_id, notification_id)
    if not notification.is_read:
        notification.is_read, notification.read_at = True, utcnow()
        db.session.flush()
        count = unread_count(user_id)
        on_commit(lambda: _emit_read(user_id, [notification_id], count))
    return notification


@transactional
def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read (one statement); returns how many changed."""
    ids = list(
        db.session.scalars(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.is_read.is_(False))
            .values(is_read=True, read_at=utcnow())
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    if ids:
        on_commit(lambda: _emit_read(user_id, sorted(ids), 0))
    return len(ids)


def _emit_read(user_id: int, ids: list[int], count: int) -> None:
    realtime.emit("notification:read", {"ids": ids, "unread_count": count}, room=realtime.user_room(user_id))


@transactional
def delete_notification(user_id: int, notification_id: int) -> None:
    """Delete one of the user's notifications (and its queued delivery). Raises NotFoundError."""
    notification = _owned(user_id, notification_id)
    db.session.execute(delete(Delivery).where(Delivery.notification_id == notification_id))
    db.session.delete(notification)
    db.session.flush()
    count = unread_count(user_id)
    on_commit(
        lambda: realtime.emit(
            "notification:deleted", {"id": notification_id, "unread_count": count}, room=realtime.user_room(user_id)
        )
    )


# -- the delivery queue ------------------------------------------------------------------------


def queued_for(user_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The user's unacknowledged notifications, oldest first (replayed at connect)."""
    stmt = (
        select(Notification)
        .join(Delivery, Delivery.notification_id == Notification.id)
        .where(Delivery.user_id == user_id)
        .order_by(Delivery.notification_id)
        .limit(limit)
    )
    return [to_wire(n) for n in db.session.scalars(stmt)]


@transactional
def acknowledge_many(pairs: Sequence[tuple[int, int]]) -> int:
    """Apply many sockets' acknowledgements, `(notification_id, user_id)` each, in one transaction."""
    return _acknowledge_pairs(pairs)


def _acknowledge_pairs(pairs: Sequence[tuple[int, int]]) -> int:
    """Delete the deliveries whose notification was acknowledged by its own user. Caller commits.

    An id acknowledged by several users (a socket guessing ids) counts only for its owner.
    """
    acked_by: dict[int, set[int]] = {}
    for notification_id, user_id in pairs:
        acked_by.setdefault(notification_id, set()).add(user_id)
    if not acked_by:
        return 0
    rows = [
        (nid, type_, created_at)
        for nid, owner, type_, created_at in db.session.execute(
            select(
                _DELIVERIES.c.notification_id, _DELIVERIES.c.user_id, _NOTIFICATIONS.c.type, _NOTIFICATIONS.c.created_at
            )
            .join(_NOTIFICATIONS, _NOTIFICATIONS.c.id == _DELIVERIES.c.notification_id)
            .where(_DELIVERIES.c.notification_id.in_(list(acked_by)))
        )
        if owner in acked_by.get(nid, ())  # nobody acknowledges another user's notification
    ]
    if not rows:
        return 0
    db.session.execute(delete(_DELIVERIES).where(_DELIVERIES.c.notification_id.in_([nid for nid, _, _ in rows])))
    now = utcnow()
    for _, type_, created_at in rows:
        metrics.NOTIFICATIONS_ACKNOWLEDGED.labels(type=type_).inc()
        metrics.DELIVERY_LATENCY.observe(max(0.0, (now - created_at).total_seconds()))
    return len(rows)


@transactional
def resend_unacknowledged(batch: int = 1000) -> int:
    """Re-emit deliveries left unacknowledged, each after a doubling wait (1×, 2×, 4× … the resend delay)."""
    base = current_app.config["DELIVERY_RESEND_AFTER_SECONDS"]
    now = utcnow()
    candidates = db.session.execute(
        select(Delivery.notification_id, Delivery.send_count, func.coalesce(Delivery.last_sent_at, Delivery.queued_at))
        .where(func.coalesce(Delivery.last_sent_at, Delivery.queued_at) < now - timedelta(seconds=base))
        .order_by(Delivery.notification_id)
        .limit(batch * 4)
    ).all()
    due = [nid for nid, count, last in candidates if last < now - timedelta(seconds=base * 2 ** min(count, 10))][:batch]
    if not due:
        return 0
    notifications = [to_wire(n) for n in db.session.scalars(select(Notification).where(Notification.id.in_(due)))]
    db.session.execute(
        update(Delivery)
        .where(Delivery.notification_id.in_(due))
        .values(last_sent_at=now, send_count=Delivery.send_count + 1)
        .execution_options(synchronize_session=False)
    )
    on_commit(lambda: send_realtime(notifications))
    return len(due)


def queue_stats() -> dict[str, float]:
    depth, oldest = db.session.execute(select(func.count(), func.min(Delivery.queued_at))).one()
    if oldest is not None and oldest.tzinfo is None:  # aggregates bypass the column type on SQLite
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=UTC)
    age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    db.session.rollback()
    return {"depth": depth or 0, "oldest_seconds": max(0.0, age)}


# -- promotions --------------------------------------------------------------------------------


def _matches(user_interests: Sequence[str] | None, wanted: set[str]) -> bool:
    return not wanted or bool(wanted & {i.lower() for i in (user_interests or [])})


def _customer_batches(interests: Sequence[str], batch: int) -> Iterable[list[int]]:
    """Ids of active customers whose interests match (all customers when none are given), in batches."""
    wanted = {i.lower() for i in interests}
    after = 0
    while True:
        rows = db.session.execute(
            select(User.id, User.interests)
            .where(User.role == Role.CUSTOMER, User.is_active_account.is_(True), User.id > after)
            .order_by(User.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        after = rows[-1][0]
        yield [uid for uid, user_interests in rows if _matches(user_interests, wanted)]


def audience_size(interests: Sequence[str]) -> int:
    """How many customers a promotion with these interests would reach (before preferences)."""
    return sum(len(ids) for ids in _customer_batches(interests, 5000))


@transactional
def create_promotion(
    actor_id: int, title: str, message: str, interests: list[str] | None, send_at: datetime | None
) -> Promotion:
    """Schedule a promotion; without `send_at` (or one in the past) it goes out now."""
    now = utcnow()
    promotion = Promotion(
        title=title.strip(),
        message=message.strip(),
        interests=sorted({i.strip().lower() for i in (interests or []) if i.strip()}),
        send_at=send_at if send_at and send_at > now else now,
        status=PromotionStatus.SCHEDULED,
        created_by=actor_id,
    )
    db.session.add(promotion)
    db.session.flush()
    if promotion.send_at <= now:
        from novacart.notifications import tasks as notification_tasks

        promotion_id = promotion.id
        on_commit(lambda: notification_tasks.send_promotion.delay(promotion_id))
    return promotion


def list_promotions(*, limit: int, after_id: int | None, status: str | None = None) -> Page:
    stmt = select(Promotion)
    if status:
        stmt = stmt.where(Promotion.status == status)
    return paginate(stmt, Promotion.id, limit=limit, after_id=after_id, newest_first=True)


@transactional
def cancel_promotion(actor_id: int, promotion_id: int) -> Promotion:
    """Cancel a scheduled promotion. Raises NotFoundError, PromotionNotCancellableError."""
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None:
        raise NotFoundError(f"Promotion {promotion_id} does not exist.")
    claimed = db.session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SCHEDULED)
        .values(status=PromotionStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise PromotionNotCancellableError(f"Promotion {promotion_id} is already {promotion.status}.")
    db.session.refresh(promotion)
    logger.info("user %s cancelled promotion %s", actor_id, promotion_id)
    return promotion


def claim_due_promotions() -> list[int]:
    """Atomically move due scheduled promotions to `sending`; each is claimed by exactly one caller."""
    due = list(
        db.session.scalars(
            select(Promotion.id).where(Promotion.status == PromotionStatus.SCHEDULED, Promotion.send_at <= utcnow())
        )
    )
    claimed = []
    for promotion_id in due:
        result = db.session.execute(
            update(Promotion)
            .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SCHEDULED)
            .values(status=PromotionStatus.SENDING, progress_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            claimed.append(promotion_id)
    return claimed


def claim_stalled_promotions() -> list[int]:
    """Claim promotions whose fan-out stopped making progress (its worker died), each by exactly one caller.

    Claiming moves `progress_at` to now, so a second beat (or the next poll) leaves it to the resumed task.
    """
    stalled = func.coalesce(Promotion.progress_at, Promotion.send_at) < utcnow() - timedelta(
        seconds=current_app.config["PROMOTION_STALLED_SECONDS"]
    )
    candidates = list(
        db.session.scalars(select(Promotion.id).where(Promotion.status == PromotionStatus.SENDING, stalled))
    )
    claimed = []
    for promotion_id in candidates:
        result = db.session.execute(
            update(Promotion)
            .where(Promotion.id == promotion_id, Promotion.status == PromotionStatus.SENDING, stalled)
            .values(progress_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            logger.warning("promotion %s stalled mid fan-out; resuming it", promotion_id)
            claimed.append(promotion_id)
    return claimed


def send_promotion(promotion_id: int) -> int:
    """Fan a promotion out to its audience in batches (one commit and one emit round per batch).

    Idempotent: users who already have it are skipped, so a retried or duplicated task sends nobody twice.
    Returns the number of recipients.
    """
    promotion = db.session.get(Promotion, promotion_id)
    if promotion is None or promotion.status in (PromotionStatus.CANCELLED, PromotionStatus.SENT):
        return promotion.recipients or 0 if promotion else 0
    if promotion.status == PromotionStatus.SCHEDULED:
        if promotion.send_at > utcnow():
            return 0
        promotion.status = PromotionStatus.SENDING
        promotion.progress_at = utcnow()
        db.session.commit()
    title, message, interests = promotion.title, promotion.message, list(promotion.interests or [])
    source_key = f"promo:{promotion_id}"
    data = {"promotion_id": promotion_id}
    for batch in _customer_batches(interests, current_app.config["FANOUT_BATCH_SIZE"]):
        create_many(batch, NotificationType.PROMOTION, title, message, data, source_key=source_key)
        db.session.execute(update(Promotion).where(Promotion.id == promotion_id).values(progress_at=utcnow()))
        run_after_commit()  # one batch: its rows committed, then emitted
    recipients = db.session.scalar(select(func.count()).where(Notification.source_key == source_key)) or 0
    db.session.execute(
        update(Promotion)
        .where(Promotion.id == promotion_id)
        .values(status=PromotionStatus.SENT, recipients=recipients, sent_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    logger.info("promotion %s sent to %d customers", promotion_id, recipients)
    return recipients


def counts_by_type_since(since: datetime) -> dict[str, int]:
    """How many notifications of each type were created since `since` (every type, zeros included)."""
    counts = {t.value: 0 for t in NotificationType}
    rows = db.session.execute(
        select(Notification.type, func.count()).where(Notification.created_at >= since).group_by(Notification.type)
    )
    for type_, count in rows:
        counts[str(type_)] = count
    return counts
