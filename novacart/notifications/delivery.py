"""Storing, queueing and pushing notifications, and the delivery queue that keeps them until acknowledged.

Every notification is a row first, with a delivery-queue row beside it in the same transaction;
after the commit it is emitted to `user:<id>`. It leaves the queue when a client of that user
acknowledges it. Bulk paths (`create_many`) write rows in one statement per batch and emit after
commit, so a promotion to many customers is a handful of round trips, not one per customer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, update

from novacart import metrics, realtime, wire
from novacart.auth.models import DEFAULT_LOCALE, Role, User
from novacart.db import on_commit, transactional, utcnow
from novacart.errors import ConflictError, ErrorCode, ValidationError
from novacart.extensions import db
from novacart.notifications import channels, preferences, types
from novacart.notifications.models import Delivery, Notification, NotificationPreference

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
# The wire object's fields, in the contract's order: its schema in novacart/wire.py is the one definition.
_WIRE_FIELDS = tuple(wire.NotificationPayload().fields)


class TypeDisabledError(ConflictError):
    code, title = ErrorCode.TYPE_DISABLED, "Notification type turned off"


def to_wire(n: Notification | Mapping[str, Any]) -> dict[str, Any]:
    """The contract's `notification` object (wire.NotificationPayload), built without marshmallow: the
    fan-out builds thousands of them."""
    get = n.get if isinstance(n, Mapping) else lambda key: getattr(n, key)
    item = {key: get(key) for key in _WIRE_FIELDS}
    read_at, created_at = item["read_at"], item["created_at"]
    item["data"] = item["data"] or {}
    item["is_read"] = bool(item["is_read"])
    item["read_at"] = read_at.isoformat() if read_at else None
    item["created_at"] = created_at.isoformat() if created_at else None
    return item


def notify(
    user_ids: Iterable[int],
    kind: types.NotificationType,
    data: dict[str, Any],
    *,
    source_key: str,
    variant: str = types.DEFAULT_VARIANT,
    **params: Any,
) -> list[dict[str, Any]]:
    """Store and queue one notification of `kind` per user, written from the type's texts in each user's
    locale: the users are grouped by locale and each group's text is rendered once. Caller commits."""
    created: list[dict[str, Any]] = []
    for locale, group in locales_of(user_ids).items():
        title, message = kind.render(variant, locale, **params)
        created += create_many(group, kind.name, title, message, data, source_key=source_key)
    return created


def locales_of(user_ids: Iterable[int]) -> dict[str, list[int]]:
    """The users grouped by their locale, each group in the given order (an unknown id: the default)."""
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return {}
    known = dict(db.session.execute(select(_USERS.c.id, _USERS.c.locale).where(_USERS.c.id.in_(user_ids))).all())
    groups: dict[str, list[int]] = {}
    for user_id in user_ids:
        groups.setdefault(known.get(user_id) or DEFAULT_LOCALE, []).append(user_id)
    return groups


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
    skip = preferences.users_with_type_disabled(user_ids, type_)
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
        # Each user appears once, so the ids are matched by user, not by order. Asking SQLAlchemy for the
        # parameters' order (sort_by_parameter_order) made SQLite run one INSERT per row: 1,000 statements
        # a batch, most of a promotion's CPU in the worker.
        returning = insert(_NOTIFICATIONS).returning(_NOTIFICATIONS.c.id, _NOTIFICATIONS.c.user_id)
        id_of = {uid: nid for nid, uid in db.session.execute(returning, rows)}
        ids = [id_of[row["user_id"]] for row in rows]
    pairs = list(zip(ids, rows, strict=True))
    deliveries = [{"notification_id": nid, "user_id": row["user_id"], "queued_at": now} for nid, row in pairs]
    db.session.execute(insert(_DELIVERIES), deliveries[0] if len(deliveries) == 1 else deliveries)
    created = [{**row, "id": nid, "read_at": None} for nid, row in pairs]
    wire = [to_wire(item) for item in created]
    metrics.NOTIFICATIONS_CREATED.labels(type=str(type_)).inc(len(created))
    on_commit(lambda: send_realtime(wire))
    channels.schedule(created)
    return created


def send_realtime(notifications: Sequence[dict[str, Any]]) -> None:
    """Emit each notification to its user's room (every tab and device of that user)."""
    realtime.emit_many([(wire.NOTIFICATION, item, realtime.user_room(item["user_id"])) for item in notifications])
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
        raise ValidationError(_l("No such user."), {"user_id": ["No user with this id."]})
    if preferences.turned_off(type_, recipient.disabled_types):
        raise TypeDisabledError(_l("User %(id)s has turned off %(type)s notifications.", id=user_id, type=type_))
    created = _store([user_id], type_, title, message, data, source_key=None, skip=set())
    logger.info("user %s sent a %s notification to user %s", actor_id, type_, user_id)
    return created[0]


def employee_ids(roles: Iterable[Role]) -> list[int]:
    stmt = select(User.id).where(User.role.in_(list(roles)), User.is_active_account.is_(True)).order_by(User.id)
    return list(db.session.scalars(stmt))


# -- the delivery queue ------------------------------------------------------------------------


# Asked at every socket connect, and most users have nothing queued: a core statement, built once.
_QUEUED = (
    select(_NOTIFICATIONS)
    .join(_DELIVERIES, _DELIVERIES.c.notification_id == _NOTIFICATIONS.c.id)
    .where(_DELIVERIES.c.user_id == bindparam("user_id"))
    .order_by(_DELIVERIES.c.notification_id)
    .limit(bindparam("limit"))
)


def queued_for(user_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The user's unacknowledged notifications, oldest first (replayed at connect)."""
    rows = db.session.execute(_QUEUED, {"user_id": user_id, "limit": limit})
    return [to_wire(row._mapping) for row in rows]


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


def counts_by_type_since(since: datetime) -> dict[str, int]:
    """How many notifications of each type were created since `since` (every type, zeros included)."""
    counts = dict.fromkeys(types.names(), 0)
    rows = db.session.execute(
        select(Notification.type, func.count()).where(Notification.created_at >= since).group_by(Notification.type)
    )
    for type_, count in rows:
        counts[str(type_)] = count
    return counts


metrics.register_queue_stats(queue_stats)
