"""The employee dashboard: server-rendered pages at /dashboard for staff and admins.

Flask-Login sessions (never JWTs), a CSRF token on every state-changing request, customers refused.
Every page calls the same services as the API and adds no rules of its own. Each area is a child
blueprint (orders, inventory, notifications, promotions, operations); this module holds what they share:
sign-in, the access check, security headers and the navigation's data.
"""

from __future__ import annotations

import logging
from datetime import datetime

import flask_login
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from novacart import ops
from novacart.auth import security
from novacart.auth import services as auth_services
from novacart.dashboard import (
    texts,
    views_inventory,
    views_notifications,
    views_operations,
    views_orders,
    views_promotions,
)
from novacart.dashboard.common import is_fetch, safe_next
from novacart.dashboard.forms import ActionForm, LanguageForm, LoginForm
from novacart.errors import InvalidCredentialsError
from novacart.extensions import csrf, db, limiter, login_manager
from novacart.money import format_money
from novacart.notifications import inbox

logger = logging.getLogger(__name__)

web_bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
for child in (views_orders, views_inventory, views_notifications, views_promotions, views_operations):
    web_bp.register_blueprint(child.bp)

PUBLIC_ENDPOINTS = frozenset({"dashboard.login"})
# The language menu: each language in its own words (never translated).
LANGUAGES = {"en": "English", "it": "Italiano", "es": "Español", "vi": "Tiếng Việt"}
EMPLOYEES_ONLY = _l("The dashboard is for NovaCart employees. Customers can shop and follow their orders at /.")


@web_bp.before_request
def _check_csrf_and_employee():
    """Every dashboard request: a valid CSRF token on writes, then an employee's session (except sign-in)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # 400 without a valid token, before anything else happens
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    try:
        user = flask_login.current_user._get_current_object()
    except SQLAlchemyError:
        # The database is down: errors.py answers 503; its page must not try to load the user again.
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()
        raise
    if not user.is_authenticated:
        if is_fetch():
            abort(401)  # dashboard.js reloads, which leads to the sign-in page
        return login_manager.unauthorized()
    if not user.is_employee:
        abort(403, description=str(EMPLOYEES_ONLY))
    return None


@web_bp.after_app_request
def _security_headers(response: Response) -> Response:
    """The dashboard's pages (errors included) forbid inline scripts and framing, and are never cached."""
    if request.path.startswith("/dashboard"):
        ops.secured(response)
        response.headers["Cache-Control"] = "no-store"
    return response


@web_bp.app_context_processor
def _navigation() -> dict:
    """Lazy helpers for the layout (also used by error pages, which render outside the blueprint)."""

    def employee():
        try:
            user = flask_login.current_user
            return user if user.is_authenticated and user.is_employee else None
        except SQLAlchemyError:  # the database is down: the error page still renders, without the navigation
            db.session.rollback()
            return None

    def unread_count() -> int:
        user = employee()
        try:
            return inbox.unread_count(user.id) if user else 0
        except SQLAlchemyError:
            db.session.rollback()
            return 0

    def latest_notification_id() -> int:
        user = employee()
        try:
            page = inbox.find_by_user(user.id, limit=1) if user else None
        except SQLAlchemyError:
            db.session.rollback()
            return 0
        return page.items[0].id if page and page.items else 0

    return {
        "dashboard_employee": employee,
        "dashboard_unread_count": unread_count,
        "dashboard_latest_notification_id": latest_notification_id,
        "signout_form": ActionForm,
        "language_form": LanguageForm,
        "languages": LANGUAGES,
    }


web_bp.add_app_template_filter(format_money, "money")
# Globals, not context: the macros of dashboard/_macros.html are imported without the page's context.
for helper in (
    texts.status_label,
    texts.role_label,
    texts.channel_label,
    texts.health_label,
    texts.script_texts,
    texts.error_title,
    texts.error_text,
):
    web_bp.add_app_template_global(helper)
web_bp.add_app_template_filter(texts.system_text)


@web_bp.app_template_filter("utc")
def _utc(value: datetime | None) -> str:
    """A readable UTC time; dashboard.js rewrites <time> elements into the viewer's time zone."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


@web_bp.app_template_global("dashboard_page_url")
def _page_url(cursor: str | None = None) -> str:
    """This page with its filters, at `cursor` (or the first page)."""
    args = {key: value for key, value in request.args.items() if key != "cursor"}
    if cursor:
        args["cursor"] = cursor
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


@web_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_auth_limit, scope="dashboard-login", methods=["POST"])
def login():
    """Sign in with e-mail and password; a customer is told the dashboard is for employees."""
    default = url_for("dashboard.orders.board")
    user = flask_login.current_user
    if request.method == "GET" and user.is_authenticated and user.is_employee:
        return redirect(default)
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status, refusal = 200, None
    if form.validate_on_submit():
        try:
            account = auth_services.check_credentials(form.email.data, form.password.data)
        except InvalidCredentialsError:
            refusal = _("Wrong e-mail or password.")
        else:
            if account.is_employee:
                security.start_session(account)
                logger.info("user %s signed in to the dashboard", account.id)
                return redirect(safe_next(form.next.data, default))
            logger.info("customer %s was refused the dashboard", account.id)
            status, refusal = 403, EMPLOYEES_ONLY
    elif request.method == "POST":
        status = 422
    return render_template("dashboard/login.html", form=form, refusal=refusal), status


@web_bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign an employee out)."""
    security.end_session()
    flash(_("You are signed out."), "info")
    return redirect(url_for("dashboard.login"))


@web_bp.route("/language", methods=["POST"])
def language():
    """The header's language menu: the employee's locale (theirs everywhere: the dashboard, the shop, e-mails)."""
    form = LanguageForm()
    if form.validate():
        auth_services.update_profile(int(flask_login.current_user.id), locale=form.locale.data)
    return redirect(safe_next(form.next.data, url_for("dashboard.orders.board")))


@web_bp.route("/")
def home():
    return redirect(url_for("dashboard.orders.board"))
