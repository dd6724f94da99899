"""A user's own notifications: the list, the unread count, marking read and deleting, kept in sync across tabs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from novacart import realtime, wire
from novacart.db import on_commit, transactional, utcnow
from novacart.errors import NotFoundError
from novacart.extensions import db
from novacart.notifications.models import Delivery, Notification
from novacart.pagination import Page, paginate


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
        raise NotFoundError(_l("Notification %(id)s does not exist.", id=notification_id))
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
    realtime.emit(wire.NOTIFICATION_READ, {"ids": ids, "unread_count": count}, room=realtime.user_room(user_id))


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
            wire.NOTIFICATION_DELETED, {"id": notification_id, "unread_count": count}, room=realtime.user_room(user_id)
        )
    )
