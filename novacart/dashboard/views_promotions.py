"""Promotions: compose one with its audience counted live, send now or later, list and cancel."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from novacart.dashboard.common import actor_id, back, cursor_for, page_args, refused, utc_from_local
from novacart.dashboard.forms import ActionForm, PromotionForm, parse_interests
from novacart.errors import DomainError, ValidationError
from novacart.notifications import promotions
from novacart.notifications.models import PromotionStatus

bp = Blueprint("promotions", __name__, url_prefix="/promotions")


@bp.route("/", methods=["GET", "POST"])
def index():
    """Compose a promotion (sent now or at a time) above the scheduled and sent ones."""
    form = PromotionForm()
    status = 200
    if form.validate_on_submit():
        send_at = None
        if form.when.data == "later":
            send_at = utc_from_local(form.send_at.data, int(form.tz_offset.data or 0))
        try:
            promotion = promotions.create_promotion(
                actor_id(), form.title.data, form.message.data, form.interest_list(), send_at
            )
        except ValidationError as error:  # the service's rule: a time that has passed
            form.send_at.errors = [*form.send_at.errors, *error.extensions["errors"].get("send_at", [error.detail])]
            status = 422
        else:
            flash(
                _("“%(title)s” is on its way.", title=promotion.title)
                if send_at is None
                else _("“%(title)s” is scheduled.", title=promotion.title),
                "success",
            )
            return redirect(url_for(".index"))
    elif request.method == "POST":
        status = 422
    limit, after_id = page_args()
    page = promotions.list_promotions(limit=limit, after_id=after_id)
    reach = {
        p.id: promotions.audience_size(p.interests or []) for p in page.items if p.status == PromotionStatus.SCHEDULED
    }
    return (
        render_template(
            "dashboard/promotions/index.html",
            form=form,
            audience=promotions.audience_size(form.interest_list() if not form.errors else []),
            promotions=page.items,
            reach=reach,
            next_cursor=page.next_cursor,
            action_form=ActionForm(),
            cursor_for=cursor_for,
        ),
        status,
    )


@bp.route("/audience")
def audience():
    """How many customers a promotion with `?interests=a,b` would reach (the composer's live count)."""
    interests = parse_interests(request.args.get("interests"))[:50]
    return jsonify({"recipients": promotions.audience_size(interests), "interests": interests})


@bp.route("/<int:promotion_id>/cancel", methods=["POST"])
def cancel(promotion_id: int):
    """Cancel a scheduled promotion."""
    try:
        promotion = promotions.cancel_promotion(actor_id(), promotion_id)
    except DomainError as error:
        return refused(error, "dashboard.promotions.index")
    flash(_("“%(title)s” is cancelled.", title=promotion.title), "success")
    return back("dashboard.promotions.index")
