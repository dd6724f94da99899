"""Operations (admins only): sockets, the delivery queue, today's notifications, health, users' roles."""

from __future__ import annotations

import flask_login
from flask import Blueprint, abort, current_app, flash, render_template, request
from flask_babel import gettext as _

from novacart import metrics, ops
from novacart.auth import services as auth_services
from novacart.auth.models import Role
from novacart.dashboard import texts
from novacart.dashboard.common import actor_id, back, cursor_for, form_errors, page_args, refused, start_of_today_utc
from novacart.dashboard.forms import ActiveForm, RoleForm
from novacart.errors import DomainError
from novacart.notifications import channels, delivery, types

bp = Blueprint("operations", __name__, url_prefix="/operations")

ROLES = [r.value for r in Role]


@bp.before_request
def _admins_only():
    if flask_login.current_user.role != Role.ADMIN:
        abort(403, description=_("Operations are for admins."))


@bp.route("/")
def index():
    """The system's vital signs, and users with their roles."""
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    q = (request.args.get("q") or "").strip()[:200]
    limit, after_id = page_args()
    users = auth_services.list_users(limit=limit, after_id=after_id, role=Role(role) if role else None, q=q)
    health = {_("Database"): ops.check_database(), "Redis": ops.check_redis()}
    return render_template(
        "dashboard/operations/index.html",
        sockets=int(metrics.connected_sockets()),
        sockets_scope=_("all web processes")
        if current_app.config["PROMETHEUS_MULTIPROC_DIR"]
        else _("this web process"),
        queue=delivery.queue_stats(),
        per_type=delivery.counts_by_type_since(start_of_today_utc()),
        channel_counts=channels.counts_since(start_of_today_utc()),
        channel_failures=channels.recent_failures(),
        health=health,
        type_labels={kind.name: str(kind.label) for kind in types.REGISTRY.values()},
        users=users.items,
        next_cursor=users.next_cursor,
        filters={"role": role, "q": q},
        roles=ROLES,
        role_form=RoleForm(formdata=None),
        me=actor_id(),
        cursor_for=cursor_for,
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
def change_role(user_id: int):
    """Promote or demote a user (never yourself)."""
    form = RoleForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return back("dashboard.operations.index")
    try:
        user = auth_services.update_user(actor_id(), user_id, role=Role(form.role.data))
    except DomainError as error:
        return refused(error, "dashboard.operations.index")
    flash(
        _("%(name)s (%(email)s) is now %(role)s.", name=user.name, email=user.email, role=texts.role_label(user.role)),
        "success",
    )
    return back("dashboard.operations.index")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    """Deactivate a user (signed out everywhere within seconds) or reactivate them; never yourself."""
    form = ActiveForm()
    if not form.validate():
        flash(form_errors(form), "error")
        return back("dashboard.operations.index")
    try:
        user = auth_services.update_user(actor_id(), user_id, is_active=form.active.data == "1")
    except DomainError as error:
        return refused(error, "dashboard.operations.index")
    if user.is_active_account:
        flash(_("%(name)s (%(email)s) is active again.", name=user.name, email=user.email), "success")
    else:
        flash(
            _("%(name)s (%(email)s) is deactivated: signed out everywhere.", name=user.name, email=user.email),
            "success",
        )
    return back("dashboard.operations.index")
