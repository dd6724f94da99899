"""Orders, their lines and status history, payments, processed webhook events, and conversations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from novacart.db import UTCDateTime, utcnow
from novacart.extensions import db


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PREPARING = "preparing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


LEGAL_MOVES: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.PREPARING, OrderStatus.CANCELLED}),
    OrderStatus.PREPARING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
CUSTOMER_CANCELLABLE = frozenset({OrderStatus.PENDING, OrderStatus.PAID})
MESSAGE_MAX_CHARS = 2000  # a message's text, after trimming (CONTRACT.md)


class PaymentStatus(enum.StrEnum):
    """A payment's life. `refunding`: money taken for an order that will not ship, being given back."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class OrderPaymentStatus(enum.StrEnum):
    """An order's `payment_status` (CONTRACT.md): what its payments add up to."""

    NONE = "none"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


def order_payment_status(payment_statuses: list[str]) -> OrderPaymentStatus:
    """Money held wins (a refund under way still holds it), then money given back, then a payment
    under way, then a failed one."""
    statuses = set(payment_statuses)
    if statuses & {PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDING}:
        return OrderPaymentStatus.SUCCEEDED
    for payment, order in (
        (PaymentStatus.REFUNDED, OrderPaymentStatus.REFUNDED),
        (PaymentStatus.PENDING, OrderPaymentStatus.PENDING),
        (PaymentStatus.FAILED, OrderPaymentStatus.FAILED),
    ):
        if payment in statuses:
            return order
    return OrderPaymentStatus.NONE


class Order(db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PENDING)
    total_cents: Mapped[int]
    shipping_address: Mapped[str] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    payment_status: Mapped[str] = mapped_column(
        String(16), default=OrderPaymentStatus.NONE, server_default=OrderPaymentStatus.NONE.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan", lazy="selectin"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        Index("ix_orders_user_id_id", "user_id", "id"),
        Index("ix_orders_status_id", "status", "id"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    def can_move_to(self, status: str) -> bool:
        return status in LEGAL_MOVES[OrderStatus(self.status)]


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class OrderStatusChange(db.Model):
    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))

    order: Mapped[Order] = relationship(back_populates="history")


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(128))
    amount_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=PaymentStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),)


class WebhookEvent(db.Model):
    """A provider event id we have processed: each is processed once."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_provider_event"),)


class OrderMessage(db.Model):
    """One message of an order's conversation, written by its customer or by an employee.

    `author_role` is the author's role when they wrote it (the `from.role` of the wire object): a later
    change of role does not rewrite who said what.
    """

    __tablename__ = "order_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # An order's conversation newest first, and its latest message (the board's "awaiting reply").
        Index("ix_order_messages_order_id_id", "order_id", "id"),
    )
