"""Notifications, the per-user delivery queue, preferences and promotions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from novacart.db import UTCDateTime, utcnow
from novacart.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_read: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What produced it ("evt:<outbox id>", "promo:<id>"): a retried task creates no duplicate.
    source_key: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        # A user's newest-first page (and type filter) is an index range scan, whatever the table size.
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # The unread count and unread-only page touch only unread rows.
        Index(
            "ix_notifications_user_unread",
            "user_id",
            "id",
            sqlite_where=(is_read == false()),
            postgresql_where=(is_read == false()),
        ),
        UniqueConstraint("user_id", "source_key", name="uq_notifications_user_source"),
    )


class Delivery(db.Model):
    """A notification not yet acknowledged by any client of its user: the delivery queue."""

    __tablename__ = "notification_deliveries"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_notification_deliveries_user_id", "user_id", "notification_id"),
        Index("ix_notification_deliveries_queued_at", "queued_at"),
    )


class NotificationPreference(db.Model):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    disabled_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The user's own choices per channel, over the types' defaults: {"email": {"promotion": true}, …}.
    channel_overrides: Mapped[dict[str, dict[str, bool]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PromotionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class Promotion(db.Model):
    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=PromotionStatus.SCHEDULED)
    recipients: Mapped[int | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While `sending`: when its fan-out last made progress. A worker killed mid fan-out leaves its task
    # unacknowledged in Redis for the broker's visibility timeout (an hour); beat resumes a stalled one.
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_promotions_status_send_at", "status", "send_at"),)


class OrderAlert(db.Model):
    """A placed order, and when staff were alerted to it (`new_order`): at once, or in the next digest.

    Staff hear of the first order after a quiet spell at once; orders that follow within
    NEW_ORDER_DIGEST_SECONDS wait here and go out together in one digest (notifications/digests.py).
    """

    __tablename__ = "order_alerts"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class SendStatus(enum.StrEnum):
    SENDING = "sending"  # claimed by a worker; a row stuck here past CHANNEL_STUCK_AFTER_SECONDS is retried
    SENT = "sent"
    FAILED = "failed"  # permanently: a bad address, a refused message, retries exhausted
    OFF = "off"  # the user keeps this channel off for the type, or has nowhere to receive it


class ChannelSend(db.Model):
    """A notification on a channel other than in-app: at most one row per (notification, channel).

    Written before the e-mail or push goes out (`sending`), updated after: the unique constraint makes
    a retried or duplicated check harmless. See novacart.notifications.channels for the states.
    """

    __tablename__ = "channel_sends"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=SendStatus.SENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(64))  # the task id that owns a `sending` row
    attempts: Mapped[int] = mapped_column(default=0)
    # When its owner will try again after a transient failure: until then the sweep leaves the row alone.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When an e-mail was let go: written just before the mail server is sent the message's final dot.
    # A `sending` row with it lost its worker after the server had the whole message: it is not sent again.
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_channel_sends_notification_channel"),
        Index("ix_channel_sends_status_updated_at", "status", "updated_at"),
    )


class PushSubscription(db.Model):
    """A browser's Web Push subscription (RFC 8030): where to send, and the keys to encrypt for it."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
