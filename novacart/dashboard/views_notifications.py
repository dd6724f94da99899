"""The employee's own notifications: a live feed with mark read, filters and paging."""

from __future__ import annotations

import flask_login
from flask import Blueprint, flash, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext

from novacart.dashboard.common import actor_id, back, cursor_for, is_fetch, page_args, refused
from novacart.dashboard.forms import ActionForm
from novacart.errors import DomainError
from novacart.notifications import delivery, inbox, types

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def link_for(notification) -> tuple[str, str] | None:
    """Where a notification leads in the dashboard: (endpoint, id) from its data, if anywhere."""
    data = notification.data or {}
    if isinstance(data.get("order_id"), int):
        return "dashboard.orders.detail", {"order_id": data["order_id"]}
    if isinstance(data.get("product_id"), int):
        return "dashboard.inventory.product", {"product_id": data["product_id"]}
    return None


@bp.route("/")
def feed():
    """Newest first; unread only or one type on request."""
    unread_only = request.args.get("unread") == "1"
    kinds = types.for_role(flask_login.current_user.role)
    type_ = (
        request.args.get("type") if request.args.get("type") in types.known([request.args.get("type", "")]) else None
    )
    limit, after_id = page_args()
    page = inbox.find_by_user(actor_id(), unread_only=unread_only, type_=type_, limit=limit, after_id=after_id)
    return render_template(
        "dashboard/notifications/feed.html",
        notifications=page.items,
        next_cursor=page.next_cursor,
        first_page=after_id is None,
        filters={"unread": unread_only, "type": type_},
        kinds=kinds,
        type_labels={kind.name: str(kind.label) for kind in types.REGISTRY.values()},
        link_for=link_for,
        action_form=ActionForm(),
        cursor_for=cursor_for,
    )


@bp.route("/unread-count")
def unread_count():
    """The navigation's count, re-read by the page after its socket reconnects."""
    return jsonify({"count": inbox.unread_count(actor_id())})


@bp.route("/unread")
def unread():
    """The newest unread notifications and the count: the page polls this while its socket cannot connect.

    The dashboard's counterpart of the API's `GET /api/notifications?unread_only=true` (which wants a token).
    """
    page = inbox.find_by_user(actor_id(), unread_only=True, limit=20, after_id=None)
    return jsonify(
        {
            "items": [delivery.to_wire(n) for n in page.items],
            "unread_count": inbox.unread_count(actor_id()),
        }
    )


@bp.route("/<int:notification_id>/item")
def item(notification_id: int):
    """One entry of the feed, for live updates (204 if it is not this employee's)."""
    page = inbox.find_by_user(actor_id(), limit=1, after_id=notification_id + 1)
    if not page.items or page.items[0].id != notification_id:
        return "", 204
    return render_template(
        "dashboard/notifications/_item.html",
        notification=page.items[0],
        link_for=link_for,
        type_labels={kind.name: str(kind.label) for kind in types.REGISTRY.values()},
    )


@bp.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    """Mark one of your notifications read (your other tabs hear of it)."""
    try:
        inbox.mark_read(actor_id(), notification_id)
    except DomainError as error:
        return refused(error, "dashboard.notifications.feed")
    if is_fetch():
        return jsonify({"unread_count": inbox.unread_count(actor_id())})
    return back("dashboard.notifications.feed")


@bp.route("/read-all", methods=["POST"])
def mark_all_read():
    """Mark every unread notification of yours read."""
    changed = inbox.mark_all_read(actor_id())
    if is_fetch():
        return jsonify({"unread_count": 0, "updated": changed})
    flash(
        ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", changed)
        if changed
        else _("Nothing was unread."),
        "success",
    )
    return back("dashboard.notifications.feed")
