"""Who gets what, automatically: subscribers that turn domain events into notifications.

Each handler is idempotent: notifications carry `source_key="evt:<event id>"`, so an event
dispatched twice notifies nobody twice. Messages are plain and specific, and `data` carries
what a client needs to link to the order or product.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from novacart import events, realtime
from novacart.auth.models import Role
from novacart.db import run_after_commit
from novacart.inventory import events as inventory_events
from novacart.inventory import services as inventory_services
from novacart.notifications import services
from novacart.notifications.models import NotificationType
from novacart.orders import events as order_events

STAFF_AND_ADMINS = (Role.STAFF, Role.ADMIN)

ORDER_STATUS_TEXT = {
    "paid": ("Order #{id} is paid", "We received your payment for order #{id}. We'll start preparing it shortly."),
    "preparing": ("Order #{id} is being prepared", "We're packing order #{id} in our warehouse."),
    "shipped": ("Order #{id} has shipped", "Your order #{id} has shipped — tracking {tracking}."),
    "delivered": ("Order #{id} was delivered", "Your order #{id} was delivered. Enjoy, and tell us what you think!"),
    "cancelled": (
        "Order #{id} was cancelled",
        "Your order #{id} was cancelled{reason}. Any reserved items were restocked.",
    ),
}


def _money(cents: int) -> str:
    return f"{current_app.config['CURRENCY_SYMBOL']}{cents / 100:,.2f}"


def _key(event_id: int) -> str:
    return f"evt:{event_id}"


@events.subscribe(order_events.ORDER_PLACED)
def on_order_placed(event_id: int, payload: dict[str, Any]) -> None:
    """Staff boards show a new order at once."""
    update = {"order_id": payload["order_id"], "status": payload["status"], "previous_status": None, "at": None}
    realtime.emit("orderUpdate", update, room=realtime.STAFF_ROOM)


@events.subscribe(order_events.ORDER_STATUS_CHANGED)
def on_order_status_changed(event_id: int, payload: dict[str, Any]) -> None:
    order_id, status = payload["order_id"], payload["status"]
    if status in ORDER_STATUS_TEXT:
        title, message = ORDER_STATUS_TEXT[status]
        note = payload.get("note")
        services.create_many(
            [payload["user_id"]],
            NotificationType.ORDER_STATUS,
            title.format(id=order_id),
            message.format(
                id=order_id,
                tracking=payload.get("tracking_number") or "to follow",
                reason=f" ({note})" if note and status == "cancelled" else "",
            ),
            {
                "order_id": order_id,
                "status": status,
                "previous_status": payload["previous_status"],
                "tracking_number": payload.get("tracking_number"),
            },
            source_key=_key(event_id),
        )
        run_after_commit()
    update = {
        "order_id": order_id,
        "status": status,
        "previous_status": payload["previous_status"],
        "at": payload["at"],
    }
    rooms = [realtime.user_room(payload["user_id"]), realtime.order_room(order_id), realtime.STAFF_ROOM]
    realtime.emit("orderUpdate", update, room=rooms)


@events.subscribe(inventory_events.STOCK_LOW)
def on_stock_low(event_id: int, payload: dict[str, Any]) -> None:
    stock = payload["stock"]
    message = (
        f"{payload['name']} (SKU {payload['sku']}) is out of stock."
        if stock == 0
        else f"Only {stock} left of {payload['name']} (SKU {payload['sku']}); the threshold is "
        f"{payload['low_stock_threshold']}."
    )
    services.create_many(
        services.employee_ids(STAFF_AND_ADMINS),
        NotificationType.LOW_STOCK,
        f"Low stock: {payload['name']}",
        message,
        {
            "product_id": payload["product_id"],
            "sku": payload["sku"],
            "stock": stock,
            "low_stock_threshold": payload["low_stock_threshold"],
        },
        source_key=_key(event_id),
    )
    run_after_commit()


@events.subscribe(inventory_events.REVIEW_POSTED)
def on_review_posted(event_id: int, payload: dict[str, Any]) -> None:
    services.create_many(
        services.employee_ids([Role.ADMIN]),
        NotificationType.NEW_REVIEW,
        f"New {payload['rating']}★ review of {payload['product_name']}",
        f"{payload['author_name']} rated {payload['product_name']} {payload['rating']}/5: “{payload['excerpt']}”",
        {"product_id": payload["product_id"], "review_id": payload["review_id"], "rating": payload["rating"]},
        source_key=_key(event_id),
    )
    run_after_commit()


@events.subscribe(order_events.PAYMENT_CONFIRMED)
def on_payment_confirmed(event_id: int, payload: dict[str, Any]) -> None:
    amount = _money(payload["amount_cents"])
    services.create_many(
        services.employee_ids([Role.ADMIN]),
        NotificationType.PAYMENT_RECEIVED,
        f"Payment received: order #{payload['order_id']}",
        f"{amount} paid for order #{payload['order_id']} ({payload['provider']}).",
        {"order_id": payload["order_id"], "payment_id": payload["payment_id"], "amount_cents": payload["amount_cents"]},
        source_key=_key(event_id),
    )
    run_after_commit()


@events.subscribe(order_events.PAYMENT_REFUNDED)
def on_payment_refunded(event_id: int, payload: dict[str, Any]) -> None:
    """The customer learns that money taken for an order that will not ship went back."""
    order_id, amount = payload["order_id"], _money(payload["amount_cents"])
    services.create_many(
        [payload["user_id"]],
        NotificationType.ORDER_STATUS,
        f"Refund for order #{order_id}",
        f"We refunded {amount} for order #{order_id}, which was cancelled. It reaches your account in a few days.",
        {
            "order_id": order_id,
            "status": payload["status"],
            "previous_status": payload["status"],
            "payment_status": "refunded",
            "amount_cents": payload["amount_cents"],
        },
        source_key=_key(event_id),
    )
    run_after_commit()


@events.subscribe(inventory_events.BACK_IN_STOCK)
def on_back_in_stock(event_id: int, payload: dict[str, Any]) -> None:
    """Each user on the waitlist when the product came back, exactly once."""
    user_ids = inventory_services.waitlisted_user_ids(event_id)
    batch = current_app.config["FANOUT_BATCH_SIZE"]
    for start in range(0, len(user_ids), batch):
        services.create_many(
            user_ids[start : start + batch],
            NotificationType.BACK_IN_STOCK,
            f"Back in stock: {payload['name']}",
            f"{payload['name']} is back in stock ({payload['stock']} available). Order before it runs out again.",
            {"product_id": payload["product_id"], "stock": payload["stock"]},
            source_key=_key(event_id),
        )
        run_after_commit()
