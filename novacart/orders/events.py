"""Domain events published by orders, with their payload builders."""

ORDER_PLACED = "orders.order_placed"
ORDER_STATUS_CHANGED = "orders.order_status_changed"
PAYMENT_CONFIRMED = "orders.payment_confirmed"
PAYMENT_REFUNDED = "orders.payment_refunded"
MESSAGE_POSTED = "orders.message_posted"


def order_placed_payload(order) -> dict:
    return {"order_id": order.id, "user_id": order.user_id, "total_cents": order.total_cents, "status": order.status}


# The history note of a cancel by the order's own customer (no reason to tell them: they did it).
CANCELLED_BY_CUSTOMER = "Cancelled by customer"


def status_changed_payload(order, previous_status: str, change) -> dict:
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "previous_status": previous_status,
        "at": change.at.isoformat(),
        "by": change.by,
        "note": change.note,
        "tracking_number": order.tracking_number,
    }


def payment_confirmed_payload(order, payment) -> dict:
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "payment_id": payment.id,
        "amount_cents": payment.amount_cents,
        "provider": payment.provider,
    }


def payment_refunded_payload(order, payment) -> dict:
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "payment_id": payment.id,
        "amount_cents": payment.amount_cents,
        "status": order.status,
    }


def message_posted_payload(order, message, author, excerpt: str) -> dict:
    """`from_customer`: written by the order's customer (it goes to staff and admins), else by an employee
    (it goes to the customer)."""
    return {
        "order_id": order.id,
        "message_id": message.id,
        "customer_id": order.user_id,
        "author_id": author.id,
        "author_name": author.name,
        "from_customer": author.id == order.user_id,
        "excerpt": excerpt,
    }
