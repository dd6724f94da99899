"""The orders board: filter, search, one-click legal status moves, live updates, orders awaiting a reply;
and one order in full, with its conversation and a reply form."""

from __future__ import annotations

import flask_login
from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from novacart.auth import services as auth_services
from novacart.dashboard import texts
from novacart.dashboard.common import (
    actor_id,
    back,
    current_employee,
    cursor_for,
    invalid,
    is_fetch,
    page_args,
    refused,
)
from novacart.dashboard.forms import MessageForm, OrderStatusForm
from novacart.errors import DomainError
from novacart.extensions import limiter
from novacart.orders import messages as order_messages
from novacart.orders import services as order_services
from novacart.orders.models import LEGAL_MOVES, OrderStatus

bp = Blueprint("orders", __name__, url_prefix="/orders")

STATUSES = [s.value for s in OrderStatus]
CONVERSATION_PAGE = 50  # the detail shows this many of the newest messages, then a link to earlier ones
# Forward moves first, cancelling last; the labels are what the buttons say.
MOVE_LABELS = {
    OrderStatus.PAID: _l("Mark paid"),
    OrderStatus.PREPARING: _l("Start preparing"),
    OrderStatus.SHIPPED: _l("Ship"),
    OrderStatus.DELIVERED: _l("Mark delivered"),
    OrderStatus.CANCELLED: _l("Cancel"),
}


def next_moves(status: str) -> list[tuple[str, str]]:
    """The legal next statuses of an order in `status` (LEGAL_MOVES), as (status, button label)."""
    legal = LEGAL_MOVES.get(OrderStatus(status), frozenset())
    return [(move.value, str(label)) for move, label in MOVE_LABELS.items() if move in legal]


def _filters() -> dict:
    status = request.args.get("status") or None
    return {
        "status": status if status in STATUSES else None,
        "q": (request.args.get("q") or "").strip()[:200],
    }


def _render_row(order, customer):
    return render_template(
        "dashboard/orders/_row.html",
        order=order,
        customer=customer,
        next_moves=next_moves,
        awaiting_reply=order_messages.awaiting_reply([order.id]),
    )


@bp.route("/")
def board():
    """Every order, newest first, by status and by order number or customer."""
    filters = _filters()
    limit, after_id = page_args()
    page = order_services.search_orders(limit=limit, after_id=after_id, **filters)
    customers = auth_services.users_by_ids(order.user_id for order in page.items)
    return render_template(
        "dashboard/orders/board.html",
        orders=page.items,
        customers=customers,
        next_cursor=page.next_cursor,
        first_page=after_id is None,
        counts=order_services.count_orders_by_status(),
        statuses=STATUSES,
        filters=filters,
        next_moves=next_moves,
        cursor_for=cursor_for,
        awaiting_reply=order_messages.awaiting_reply(order.id for order in page.items),
    )


@bp.route("/<int:order_id>/row")
def row(order_id: int):
    """One row of the board, for live updates; 204 when the order does not match the board's filters."""
    page = order_services.search_orders(limit=1, after_id=None, order_id=order_id, **_filters())
    if not page.items:
        return "", 204
    order = page.items[0]
    return _render_row(order, auth_services.users_by_ids([order.user_id]).get(order.user_id))


@bp.route("/<int:order_id>")
def detail(order_id: int):
    """An order's lines, total, address, tracking and history, with its legal next moves, and its
    conversation (oldest of the newest CONVERSATION_PAGE first; `?messages=<cursor>` for earlier ones)."""
    order = order_services.get_order(current_employee(), order_id)
    people = auth_services.users_by_ids([order.user_id, *(change.by for change in order.history)])
    return render_template(
        "dashboard/orders/detail.html",
        order=order,
        customer=people.get(order.user_id),
        people=people,
        next_moves=next_moves,
        form=OrderStatusForm(),
        message_form=MessageForm(),
        **_conversation(order),
    )


def _conversation(order) -> dict:
    limit, after_id = page_args("messages", CONVERSATION_PAGE)
    page = order_messages.list_messages(actor_id(), order.id, limit=limit, after_id=after_id)
    items = list(reversed(page.items))  # read top to bottom, the newest last, next to the reply form
    last_reply = max((m["id"] for m in items if m["from"]["id"] != order.user_id), default=0)
    return {
        "conversation": items,
        "earlier_messages": page.next_cursor,
        # The customer's messages after the shop's latest reply are the ones still waiting for an answer.
        "unanswered": {m["id"] for m in items if m["from"]["id"] == order.user_id and m["id"] > last_reply},
    }


def _message_limit() -> str:
    return current_app.config["MESSAGE_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{flask_login.current_user.get_id()}"


@bp.route("/<int:order_id>/messages", methods=["POST"])
@limiter.limit(_message_limit, key_func=_per_user, scope="order-messages")
def reply(order_id: int):
    """Write in the order's conversation: the customer hears it live and in their bell."""
    form = MessageForm()
    if not form.validate():
        return invalid(form, "dashboard.orders.detail", order_id=order_id)
    try:
        order_messages.post_message(actor_id(), order_id, form.text.data)
    except DomainError as error:
        return refused(error, "dashboard.orders.detail", order_id=order_id)
    if is_fetch():
        return "", 204
    flash(_("Reply sent."), "success")
    return back("dashboard.orders.detail", order_id=order_id)


@bp.route("/<int:order_id>/status", methods=["POST"])
def change_status(order_id: int):
    """Move an order to a legal next status (the services refuse an illegal one with 409)."""
    form = OrderStatusForm()
    if not form.validate():
        return invalid(form, "dashboard.orders.detail", order_id=order_id)
    try:
        order = order_services.change_status(
            actor_id(), order_id, form.status.data, form.note.data or None, form.tracking_number.data or None
        )
    except DomainError as error:
        return refused(error, "dashboard.orders.detail", order_id=order_id)
    if is_fetch():
        return _render_row(order, auth_services.users_by_ids([order.user_id]).get(order.user_id))
    flash(
        _("Order #%(order_id)s is now %(status)s.", order_id=order.id, status=texts.status_label(order.status)),
        "success",
    )
    return back("dashboard.orders.detail", order_id=order.id)
