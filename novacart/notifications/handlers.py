"""Who gets what, automatically: subscribers that turn domain events into notifications.

Each handler names a type of the registry (novacart/notifications/types.py), its variant, the
recipients and the parameters of its texts. Each is idempotent: notifications carry
`source_key="evt:<event id>"`, so an event dispatched twice notifies nobody twice. `data` carries
what a client needs to link to the order or product.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from novacart import events, i18n
from novacart.auth.models import Role
from novacart.db import run_after_commit
from novacart.inventory import events as inventory_events
from novacart.inventory import services as inventory_services
from novacart.money import Money
from novacart.notifications import delivery, digests, types
from novacart.orders import events as order_events

STAFF_AND_ADMINS = (Role.STAFF, Role.ADMIN)


def _key(event_id: int) -> str:
    return f"evt:{event_id}"


@events.subscribe(order_events.ORDER_PLACED)
def on_order_placed(event_id: int, payload: dict[str, Any]) -> None:
    """The customer's bell confirms the order at once; staff hear of it at once, or in the next digest."""
    order_id = payload["order_id"]
    delivery.notify(
        [payload["user_id"]],
        types.ORDER_STATUS,
        {"order_id": order_id, "status": "pending", "previous_status": None},
        source_key=_key(event_id),
        variant="pending",
        order_id=order_id,
        total=Money(payload["total_cents"]),
    )
    run_after_commit()
    digests.order_placed(order_id, payload["user_id"], payload["total_cents"])


@events.subscribe(order_events.ORDER_STATUS_CHANGED)
def on_order_status_changed(event_id: int, payload: dict[str, Any]) -> None:
    """The customer hears of every move of their order (orderUpdate is emitted by orders itself)."""
    order_id, status = payload["order_id"], payload["status"]
    if not types.ORDER_STATUS.has_variant(status):
        return
    delivery.notify(
        [payload["user_id"]],
        types.ORDER_STATUS,
        {
            "order_id": order_id,
            "status": status,
            "previous_status": payload["previous_status"],
            "tracking_number": payload.get("tracking_number"),
        },
        source_key=_key(event_id),
        variant=status,
        order_id=order_id,
        tracking=payload.get("tracking_number") or _l("to follow"),
        reason=_cancel_reason(payload) if status == "cancelled" else "",
    )
    run_after_commit()


def _ttl() -> LazyString:
    """How long an order may stay unpaid, written when (and in the locale in which) it is rendered."""
    return LazyString(i18n.localize, timedelta(seconds=current_app.config["PENDING_ORDER_TTL_SECONDS"]))


def _cancel_reason(payload: dict[str, Any]) -> Any:
    """Why an order was cancelled, as its notification says it: the note an employee typed (as typed),
    "not paid within 30 minutes" in the customer's language when the shop cancelled it unpaid, else nothing."""
    note = payload.get("note")
    if payload.get("by") is None:  # the sweep of unpaid orders
        return _l(" (not paid within %(duration)s)", duration=_ttl())
    if not note or note == order_events.CANCELLED_BY_CUSTOMER:
        return ""
    return f" ({note})"


@events.subscribe(order_events.PAYMENT_REFUNDED)
def on_payment_refunded(event_id: int, payload: dict[str, Any]) -> None:
    """The customer learns that money taken for an order that will not ship went back."""
    delivery.notify(
        [payload["user_id"]],
        types.ORDER_STATUS,
        {
            "order_id": payload["order_id"],
            "status": payload["status"],
            "previous_status": payload["status"],
            "payment_status": "refunded",
            "amount_cents": payload["amount_cents"],
        },
        source_key=_key(event_id),
        variant="refunded",
        order_id=payload["order_id"],
        amount=Money(payload["amount_cents"]),
    )
    run_after_commit()


@events.subscribe(order_events.MESSAGE_POSTED)
def on_message_posted(event_id: int, payload: dict[str, Any]) -> None:
    """The other side hears of a message: every employee of a customer's, the customer of an employee's.

    (`messageReceived` is emitted by orders itself, once, after its commit.)
    """
    if payload["from_customer"]:
        recipients, variant = delivery.employee_ids(STAFF_AND_ADMINS), "to_staff"
    else:
        recipients, variant = [payload["customer_id"]], types.DEFAULT_VARIANT
    delivery.notify(
        [user_id for user_id in recipients if user_id != payload["author_id"]],
        types.MESSAGE,
        {"order_id": payload["order_id"], "message_id": payload["message_id"]},
        source_key=_key(event_id),
        variant=variant,
        order_id=payload["order_id"],
        author=payload["author_name"],
        excerpt=payload["excerpt"],
    )
    run_after_commit()


@events.subscribe(inventory_events.STOCK_LOW)
def on_stock_low(event_id: int, payload: dict[str, Any]) -> None:
    stock = payload["stock"]
    delivery.notify(
        delivery.employee_ids(STAFF_AND_ADMINS),
        types.LOW_STOCK,
        {
            "product_id": payload["product_id"],
            "sku": payload["sku"],
            "stock": stock,
            "low_stock_threshold": payload["low_stock_threshold"],
        },
        source_key=_key(event_id),
        variant="out" if stock == 0 else types.DEFAULT_VARIANT,
        name=payload["name"],
        sku=payload["sku"],
        stock=stock,
        threshold=payload["low_stock_threshold"],
    )
    run_after_commit()


@events.subscribe(inventory_events.REVIEW_POSTED)
def on_review_posted(event_id: int, payload: dict[str, Any]) -> None:
    delivery.notify(
        delivery.employee_ids([Role.ADMIN]),
        types.NEW_REVIEW,
        {"product_id": payload["product_id"], "review_id": payload["review_id"], "rating": payload["rating"]},
        source_key=_key(event_id),
        rating=payload["rating"],
        product=payload["product_name"],
        author=payload["author_name"],
        excerpt=payload["excerpt"],
    )
    run_after_commit()


@events.subscribe(order_events.PAYMENT_CONFIRMED)
def on_payment_confirmed(event_id: int, payload: dict[str, Any]) -> None:
    delivery.notify(
        delivery.employee_ids([Role.ADMIN]),
        types.PAYMENT_RECEIVED,
        {"order_id": payload["order_id"], "payment_id": payload["payment_id"], "amount_cents": payload["amount_cents"]},
        source_key=_key(event_id),
        order_id=payload["order_id"],
        amount=Money(payload["amount_cents"]),
        provider=payload["provider"],
    )
    run_after_commit()


@events.subscribe(inventory_events.BACK_IN_STOCK)
def on_back_in_stock(event_id: int, payload: dict[str, Any]) -> None:
    """Each user on the waitlist when the product came back, exactly once."""
    user_ids = inventory_services.waitlisted_user_ids(event_id)
    batch = current_app.config["FANOUT_BATCH_SIZE"]
    for start in range(0, len(user_ids), batch):
        delivery.notify(
            user_ids[start : start + batch],
            types.BACK_IN_STOCK,
            {"product_id": payload["product_id"], "stock": payload["stock"]},
            source_key=_key(event_id),
            name=payload["name"],
            stock=payload["stock"],
        )
        run_after_commit()
