"""Order use cases: placing (with stock reserved atomically), the status machine, payments, shipments."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from novacart import events, i18n, realtime, wire
from novacart.auth import services as auth_services
from novacart.auth.models import User
from novacart.db import on_commit, transactional, utcnow
from novacart.errors import ConflictError, ErrorCode, NotFoundError, PermissionDeniedError, ValidationError
from novacart.extensions import db
from novacart.inventory import services as inventory_services
from novacart.orders import events as order_events
from novacart.orders import providers
from novacart.orders import tasks as order_tasks
from novacart.orders.models import (
    CUSTOMER_CANCELLABLE,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentStatus,
    WebhookEvent,
    order_payment_status,
)
from novacart.pagination import MAX_ID, Page, paginate

logger = logging.getLogger(__name__)


class IllegalTransitionError(ConflictError):
    code, title = ErrorCode.ILLEGAL_TRANSITION, "Illegal status change"


class PaymentNotAllowedError(ConflictError):
    code, title = ErrorCode.PAYMENT_NOT_ALLOWED, "Order cannot be paid"


class AmountMismatchError(ConflictError):
    code, title = ErrorCode.AMOUNT_MISMATCH, "Amount does not match"


class TrackingMismatchError(ConflictError):
    code, title = ErrorCode.TRACKING_MISMATCH, "Tracking number does not match"


class TooManyPendingOrdersError(ConflictError):
    code, title = ErrorCode.TOO_MANY_PENDING_ORDERS, "Too many unpaid orders"


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int


@transactional
def place_order(user_id: int, lines: list[LineInput], shipping_address: str) -> Order:
    """Create a pending order and reserve its stock, all or nothing.

    Raises InsufficientStockError or ProductUnavailableError (409), and writes nothing, if any line
    cannot be reserved; TooManyPendingOrdersError while the customer holds MAX_PENDING_ORDERS unpaid ones.
    """
    _check_pending_orders(user_id)
    merged: OrderedDict[int, int] = OrderedDict()
    for line in lines:
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    order = Order(user_id=user_id, status=OrderStatus.PENDING, total_cents=0, shipping_address=shipping_address.strip())
    db.session.add(order)
    db.session.flush()
    total = 0
    # Reserve in product-id order so two orders never wait on each other's rows (no deadlock on PostgreSQL).
    for product_id in sorted(merged):
        quantity = merged[product_id]
        product = db.session.get(inventory_services.Product, product_id)
        if product is None or not product.is_active:
            raise inventory_services.ProductUnavailableError(
                f"Product {product_id} is not for sale.", product_id=product_id
            )
        inventory_services.change_stock(
            product_id, -quantity, f"order #{order.id}", actor_id=user_id, order_id=order.id, require_active=True
        )
        order.items.append(
            OrderLine(product_id=product_id, name=product.name, quantity=quantity, unit_price_cents=product.price_cents)
        )
        total += quantity * product.price_cents
    order.total_cents = total
    change = OrderStatusChange(status=OrderStatus.PENDING, by=user_id, note="Order placed")
    order.history.append(change)
    db.session.flush()
    events.publish(order_events.ORDER_PLACED, order_events.order_placed_payload(order))
    _emit_order_update(order, None, change.at)
    logger.info("user %s placed order %s (%d cents)", user_id, order.id, total)
    return order


def _emit_order_update(order: Order, previous_status: str | None, at) -> None:
    """Boards and order pages follow at once: `orderUpdate` after the commit, from here, not after a hop
    through the worker. Caller commits."""
    update = {
        "order_id": order.id,
        "status": str(order.status),
        "previous_status": previous_status,
        "at": at.isoformat(),
    }
    rooms = [realtime.user_room(order.user_id), realtime.order_room(order.id), realtime.STAFF_ROOM]
    on_commit(lambda: realtime.emit(wire.ORDER_UPDATE, update, room=rooms))


def _check_pending_orders(user_id: int) -> None:
    """Refuse a customer's next order while they hold MAX_PENDING_ORDERS unpaid ones (stock hoarding).

    The customer's row is locked first (PostgreSQL), so two orders placed at once cannot both squeeze
    under the limit; SQLite serialises writers anyway.
    """
    limit = current_app.config["MAX_PENDING_ORDERS"]
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    pending = db.session.scalar(
        select(func.count()).where(Order.user_id == user_id, Order.status == OrderStatus.PENDING)
    )
    if pending >= limit:
        raise TooManyPendingOrdersError(
            _l("You have %(count)s unpaid orders; pay or cancel one before placing another.", count=pending),
            limit=limit,
        )


def list_orders(
    viewer: User, *, limit: int, after_id: int | None, status: str | None = None, user_id: int | None = None
) -> Page:
    """Newest first; customers see only their own orders whatever they ask for."""
    stmt = select(Order)
    if not viewer.is_employee:
        stmt = stmt.where(Order.user_id == viewer.id)
    elif user_id is not None:
        stmt = stmt.where(Order.user_id == user_id)
    if status:
        stmt = stmt.where(Order.status == str(status))
    return paginate(stmt, Order.id, limit=limit, after_id=after_id, newest_first=True)


def get_order(viewer: User, order_id: int) -> Order:
    """Raises NotFoundError, also for another customer's order (its existence is not revealed)."""
    order = db.session.get(Order, order_id)
    if order is None or (not viewer.is_employee and order.user_id != viewer.id):
        raise NotFoundError(_l("Order %(order_id)s does not exist.", order_id=order_id))
    return order


def _move(order: Order, status: str, *, by: int | None, note: str | None) -> None:
    """Move an order along the status machine, record it and publish it. Caller commits.

    A conditional UPDATE on the current status, so two concurrent moves cannot both win.
    Raises IllegalTransitionError.
    """
    previous = order.status
    if not order.can_move_to(status):
        raise IllegalTransitionError(
            _l(
                "Order #%(order_id)s is %(status)s; it cannot become %(target)s.",
                order_id=order.id,
                status=i18n.status_word(previous),
                target=i18n.status_word(status),
            ),
            current_status=previous,
        )
    now = utcnow()
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == previous)
        .values(status=str(status), updated_at=now, tracking_number=order.tracking_number)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(order)
        raise IllegalTransitionError(
            _l(
                "Order #%(order_id)s changed meanwhile; it is now %(status)s.",
                order_id=order.id,
                status=i18n.status_word(order.status),
            )
        )
    change = OrderStatusChange(order_id=order.id, status=str(status), at=now, by=by, note=note)
    db.session.add(change)
    db.session.flush()
    db.session.refresh(order)
    events.publish(order_events.ORDER_STATUS_CHANGED, order_events.status_changed_payload(order, previous, change))
    _emit_order_update(order, previous, now)


def _restock(order: Order, actor_id: int | None) -> None:
    for line in order.items:
        inventory_services.change_stock(
            line.product_id, line.quantity, f"order #{order.id} cancelled", actor_id=actor_id, order_id=order.id
        )


@transactional
def change_status(
    actor_id: int, order_id: int, status: str, note: str | None = None, tracking_number: str | None = None
) -> Order:
    """Move an order to `status` (staff and admins; checked by the caller).

    Shipping without a tracking number asks the carrier for a shipment. Cancelling restocks.
    Raises NotFoundError, IllegalTransitionError.
    """
    actor = auth_services.get_user(actor_id)
    order = get_order(actor, order_id)
    if status == OrderStatus.SHIPPED and order.can_move_to(status):
        order.tracking_number = (
            tracking_number
            or providers.carrier().create_shipment(order_id=order.id, address=order.shipping_address).tracking_number
        )
    elif tracking_number:
        raise ValidationError(
            _l("Only a shipped order has a tracking number."), {"tracking_number": ["Only with shipped."]}
        )
    _move(order, status, by=actor_id, note=note)
    if status == OrderStatus.CANCELLED:
        _after_cancel(order, actor_id)
    return order


@transactional
def cancel_order(actor_id: int, order_id: int, note: str | None = None) -> Order:
    """Cancel an order and put its stock back.

    Its customer may cancel while it is pending or paid; staff and admins until it ships.
    Raises NotFoundError, IllegalTransitionError.
    """
    actor = auth_services.get_user(actor_id)
    order = get_order(actor, order_id)
    if not actor.is_employee and order.status not in CUSTOMER_CANCELLABLE:
        raise IllegalTransitionError(
            _l(
                "Order #%(order_id)s is already %(status)s; contact us to cancel it.",
                order_id=order.id,
                status=i18n.status_word(order.status),
            ),
            current_status=order.status,
        )
    _move(
        order,
        OrderStatus.CANCELLED,
        by=actor_id,
        note=note or (order_events.CANCELLED_BY_CUSTOMER if not actor.is_employee else None),
    )
    _after_cancel(order, actor_id)
    return order


def _after_cancel(order: Order, actor_id: int | None) -> None:
    """A cancelled order gives back its stock and any money taken. Caller commits."""
    _restock(order, actor_id)
    _refund_taken(order)


def _refund_taken(order: Order, only: Payment | None = None) -> None:
    """Claim each succeeded payment of `order` (or just `only`) for a refund, once, and refund it after
    the commit. Caller commits.

    The claim is a conditional UPDATE succeeded → refunding, so a cancel and a payment webhook racing
    on the same order can never refund one payment twice.
    """
    stmt = update(Payment).where(Payment.order_id == order.id, Payment.status == PaymentStatus.SUCCEEDED)
    if only is not None:
        stmt = stmt.where(Payment.id == only.id)
    claimed = list(
        db.session.scalars(
            stmt.values(status=PaymentStatus.REFUNDING, updated_at=utcnow())
            .returning(Payment.id)
            .execution_options(synchronize_session=False)
        )
    )
    for payment_id in claimed:
        logger.info("payment %s of order %s is refunded: the order will not ship", payment_id, order.id)
        on_commit(functools.partial(order_tasks.refund_payment.delay, payment_id))
    _sync_payment_status(order)


def _sync_payment_status(order: Order) -> None:
    """Recompute the order's `payment_status` from its payments. Caller commits."""
    statuses = list(db.session.scalars(select(Payment.status).where(Payment.order_id == order.id)))
    order.payment_status = order_payment_status(statuses).value
    db.session.flush()


@transactional
def refund_payment(payment_id: int) -> bool:
    """Give a payment claimed for refunding back through its provider, then tell the customer.

    Returns False when there is nothing to do (already refunded, or never claimed). A provider error
    propagates, so the task retries; the provider de-duplicates by the payment's own refund key.
    """
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != PaymentStatus.REFUNDING:
        return False
    providers.payment_provider(payment.provider).refund(
        reference=payment.provider_ref, amount_cents=payment.amount_cents, idempotency_key=f"refund-{payment.id}"
    )
    payment.status = PaymentStatus.REFUNDED
    order = db.session.get(Order, payment.order_id)
    _sync_payment_status(order)
    events.publish(order_events.PAYMENT_REFUNDED, order_events.payment_refunded_payload(order, payment))
    logger.info("refunded payment %s (%d cents) of order %s", payment.id, payment.amount_cents, order.id)
    return True


def refunds_to_retry(older_than_seconds: float = 300) -> list[int]:
    """Payments stuck in `refunding` (their task was lost or gave up): the sweep tries them again."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stmt = select(Payment.id).where(Payment.status == PaymentStatus.REFUNDING, Payment.updated_at < cutoff)
    return list(db.session.scalars(stmt.order_by(Payment.id).limit(500)))


def expire_unpaid_orders(batch: int = 200) -> int:
    """Cancel pending orders older than PENDING_ORDER_TTL_SECONDS: stock back, customer told. Returns how many.

    Each order is its own transaction; one paid meanwhile is skipped (its move loses the race).
    """
    ttl = current_app.config["PENDING_ORDER_TTL_SECONDS"]
    cutoff = utcnow() - timedelta(seconds=ttl)
    ids = list(
        db.session.scalars(
            select(Order.id)
            .where(Order.status == OrderStatus.PENDING, Order.created_at < cutoff)
            .order_by(Order.id)
            .limit(batch)
        )
    )
    db.session.rollback()
    expired = 0
    for order_id in ids:
        try:
            expired += _expire(order_id, ttl)
        except IllegalTransitionError:
            logger.info("order %s changed while it expired; left as it is", order_id)
    if expired:
        logger.info("cancelled %d unpaid orders after %d s", expired, ttl)
    return expired


@transactional
def _expire(order_id: int, ttl: int) -> bool:
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.PENDING:
        return False
    _move(order, OrderStatus.CANCELLED, by=None, note=f"Not paid within {_duration(ttl)}")
    _after_cancel(order, None)
    return True


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} seconds"


@transactional
def start_payment(actor_id: int, order_id: int) -> dict[str, Any]:
    """Start paying a pending order with the payment provider (its owner only), or go on with the payment
    started before.

    The provider confirms through its webhook. Raises NotFoundError, PaymentNotAllowedError,
    PaymentProviderUnavailableError (nothing was charged or written).
    """
    actor = auth_services.get_user(actor_id)
    order = get_order(actor, order_id)
    if order.user_id != actor.id:
        raise PermissionDeniedError(_l("Only the customer who placed the order pays for it."))
    if order.status != OrderStatus.PENDING:
        raise PaymentNotAllowedError(
            _l(
                "Order #%(order_id)s is %(status)s; only an order awaiting payment can be paid.",
                order_id=order.id,
                status=i18n.status_word(order.status),
            )
        )
    provider = providers.payment_provider()
    pending = db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == PaymentStatus.PENDING)
        .order_by(Payment.id.desc())
    )
    if pending is None:
        # The provider is called before anything is written: on SQLite, no write lock waits on the network.
        started = provider.create_payment(order_id=order.id, amount_cents=order.total_cents)
        pending = Payment(
            order_id=order.id, provider=provider.name, provider_ref=started.reference, amount_cents=order.total_cents
        )
        db.session.add(pending)
        db.session.flush()
        provider.confirm_later(pending)
        _sync_payment_status(order)
    else:  # asked again (a reload, a second tab): the same payment, with what the browser needs to go on
        started = providers.payment_provider(pending.provider).resume_payment(pending.provider_ref)
    return {
        "payment_id": pending.id,
        "order_id": order.id,
        "status": pending.status,
        "provider": pending.provider,
        "provider_ref": pending.provider_ref,
        "amount_cents": pending.amount_cents,
        "redirect_url": started.redirect_url,
        "client_secret": started.client_secret,
        "publishable_key": started.publishable_key,
    }


def _record_webhook_event(provider: str, event: dict) -> bool:
    """Remember a provider event id; False if it was processed before. Caller commits.

    One INSERT … ON CONFLICT DO NOTHING: a concurrent delivery of the same event waits for the first
    one's commit and inserts nothing. (A failed plain INSERT would spoil this whole transaction, and a
    savepoint on SQLite's driver would commit the row on its own.)
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(WebhookEvent)
        .values(provider=provider, event_id=event["id"], event_type=event["type"], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(WebhookEvent.id)
    )
    return db.session.execute(stmt).scalar_one_or_none() is not None


def _data_int(data: dict, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_ID:
        raise ValidationError(f"data.{key} must be an integer.", {f"data.{key}": ["Must be an integer."]})
    return value


@transactional
def handle_payment_event(provider_name: str, event: dict) -> bool:
    """Apply a verified payment-provider event once. Returns False for a duplicate event id.

    `payment.succeeded` marks the payment and its pending order paid; money that arrives for an order
    that was cancelled meanwhile (or already paid by another payment) is refunded. Its `amount_cents`
    must be the payment's, and its `currency`, when the provider says, the shop's CURRENCY.
    `payment.failed` marks a pending payment failed. Raises NotFoundError, AmountMismatchError.
    """
    if not _record_webhook_event(f"payments:{provider_name}", event):
        return False
    data = event["data"]
    reference = data.get("payment_ref")
    if not isinstance(reference, str):
        raise ValidationError("data.payment_ref must be a string.", {"data.payment_ref": ["Must be a string."]})
    payment = db.session.scalar(
        select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == reference)
    )
    if payment is None:
        raise NotFoundError(f"No payment with reference {reference!r}.")
    if event["type"] == "payment.succeeded":
        if _data_int(data, "amount_cents") != payment.amount_cents:
            raise AmountMismatchError("The paid amount does not match the payment.")
        currency = data.get("currency")
        if currency is not None and str(currency).upper() != current_app.config["CURRENCY"]:
            raise AmountMismatchError("The payment was made in another currency than the shop's.")
        apply_payment_success(payment, provider_name)
    elif event["type"] == "payment.failed":
        apply_payment_failure(payment)
    else:
        logger.info("ignored payment event type %s", event["type"])
    return True


def apply_payment_success(payment: Payment, provider_name: str) -> None:
    """The provider took the money: pay the pending order, or give the money back. Caller commits."""
    if payment.status != PaymentStatus.PENDING and payment.status != PaymentStatus.FAILED:
        return  # already applied (another event for the same payment)
    payment.status = PaymentStatus.SUCCEEDED
    order = db.session.get(Order, payment.order_id)
    paid_by_this = False
    if order.status == OrderStatus.PENDING:
        try:
            _move(order, OrderStatus.PAID, by=None, note=f"Payment confirmed by {provider_name}")
            paid_by_this = True
            events.publish(order_events.PAYMENT_CONFIRMED, order_events.payment_confirmed_payload(order, payment))
        except IllegalTransitionError:
            logger.info("order %s changed while payment %s succeeded; it is %s", order.id, payment.id, order.status)
    if not paid_by_this:
        # Cancelled (by its customer, staff or the expiry sweep) or paid twice: the money goes back.
        _refund_taken(order, only=payment)
    else:
        _sync_payment_status(order)


def apply_payment_failure(payment: Payment) -> None:
    """The provider gave up on a payment. Caller commits."""
    if payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.FAILED
        _sync_payment_status(db.session.get(Order, payment.order_id))


@transactional
def handle_shipping_event(carrier_name: str, event: dict) -> bool:
    """Apply a verified carrier event once: `shipment.shipped` (with tracking) or `shipment.delivered`."""
    if not _record_webhook_event(f"shipping:{carrier_name}", event):
        return False
    data = event["data"]
    order = db.session.get(Order, _data_int(data, "order_id"))
    if order is None:
        raise NotFoundError("No such order.")
    tracking = data.get("tracking_number")
    if event["type"] == "shipment.shipped" and order.status == OrderStatus.PREPARING:
        order.tracking_number = str(tracking)[:64] if tracking else order.tracking_number
        _move(order, OrderStatus.SHIPPED, by=None, note=f"Picked up by {carrier_name}")
    elif event["type"] == "shipment.delivered" and order.status == OrderStatus.SHIPPED:
        if tracking and order.tracking_number and tracking != order.tracking_number:
            raise TrackingMismatchError("The tracking number does not match the order.")
        _move(order, OrderStatus.DELIVERED, by=None, note=f"Delivered ({carrier_name})")
    else:
        logger.info("carrier event %s for order %s in status %s ignored", event["type"], order.id, order.status)
    return True


def search_orders(
    *,
    limit: int,
    after_id: int | None,
    status: str | None = None,
    q: str | None = None,
    order_id: int | None = None,
) -> Page:
    """The employees' order board: every order, newest first, by status and by a search.

    `q` matches an order number exactly ("42" or "#42") or part of the customer's e-mail or name,
    case-insensitively. `order_id` narrows the result to that one order, so the board can ask whether
    an order that just changed still matches its filters. Callers check that the viewer is an employee.
    """
    stmt = select(Order)
    if status:
        stmt = stmt.where(Order.status == str(status))
    if order_id is not None:
        stmt = stmt.where(Order.id == order_id)
    q = (q or "").strip()
    if q:
        needle = q.lower()
        matches = [
            Order.user_id.in_(
                select(User.id).where(
                    or_(
                        func.lower(User.email).contains(needle, autoescape=True),
                        func.lower(User.name).contains(needle, autoescape=True),
                    )
                )
            )
        ]
        number = q.removeprefix("#").strip()
        if number.isascii() and number.isdigit() and len(number) <= 18:
            matches.append(Order.id == int(number))
        stmt = stmt.where(or_(*matches))
    return paginate(stmt, Order.id, limit=limit, after_id=after_id, newest_first=True)


def count_orders_by_status() -> dict[str, int]:
    """How many orders are in each status (every status, zeros included)."""
    counts = {status.value: 0 for status in OrderStatus}
    for status, count in db.session.execute(select(Order.status, func.count()).group_by(Order.status)):
        counts[str(status)] = count
    return counts
