"""Operations endpoints: /healthz, and the built React client served at /."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from sqlalchemy import text
from werkzeug.routing import PathConverter

from novacart.extensions import db
from novacart.kv import redis_client

logger = logging.getLogger(__name__)

ops_bp = Blueprint("ops", __name__)
# Every page we render, the React client's and the dashboard's: their own bundles only (no inline
# script or style), API and socket on the same origin. A script smuggled into a notification, an
# address or a product name could not run.
_POLICY = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "font-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
# With PAYMENT_PROVIDER=stripe the React client confirms payments with Stripe.js, which must be loaded from
# Stripe: its script and frames come from js.stripe.com (and its subdomains), 3-D Secure and redirect
# pages from hooks.stripe.com, and it calls api.stripe.com (Stripe's integration security guide). Only the
# client's pages get these, and only then; the dashboard and the API documents stay closed.
STRIPE_SOURCES = {
    "script-src": ("https://js.stripe.com", "https://*.js.stripe.com"),
    "frame-src": ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"),
    "connect-src": ("https://api.stripe.com",),
}


def _policy(extra: dict[str, tuple[str, ...]] | None = None) -> str:
    directives = {name: list(sources) for name, sources in _POLICY.items()}
    for name, sources in (extra or {}).items():
        directives.setdefault(name, []).extend(sources)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


CONTENT_SECURITY_POLICY = _policy()
CLIENT_POLICY_WITH_STRIPE = _policy(STRIPE_SOURCES)


def client_content_security_policy() -> str:
    """The React client's policy: the strict one, opened to Stripe's origins when Stripe takes payments."""
    if current_app.config["PAYMENT_PROVIDER"] == "stripe":
        return CLIENT_POLICY_WITH_STRIPE
    return CONTENT_SECURITY_POLICY


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        logger.exception("database health check failed")
        db.session.rollback()
        return "unavailable"


def check_redis() -> str:
    try:
        return "ok" if redis_client().ping() else "unavailable"
    except Exception:
        logger.warning("redis health check failed", exc_info=True)
        return "unavailable"


@ops_bp.after_app_request
def _strict_transport_security(response: Response) -> Response:
    """Served over HTTPS (SESSION_COOKIE_SECURE, on in production): browsers never try plain HTTP again."""
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={current_app.config['HSTS_MAX_AGE_SECONDS']}; includeSubDomains"
        )
    return response


@ops_bp.get("/healthz")
def healthz():
    """200 when the database and Redis answer; 503 naming the failing part."""
    parts = {"db": check_database(), "redis": check_redis()}
    healthy = all(value == "ok" for value in parts.values())
    return {"status": "ok" if healthy else "unavailable", **parts}, 200 if healthy else 503


class ClientPathConverter(PathConverter):
    """A path of the React client: anything but the API, the sockets, the dashboard and operations.

    Matching those here would make GET answer them all: GET on a POST-only API route would be a 404
    instead of a 405 with `Allow`, and OPTIONS would list GET for every API path.
    """

    regex = r"(?!(?:api|socket\.io|dashboard|healthz|metrics|unsubscribe)(?:/|$))[^/].*?"


@ops_bp.record_once
def _register_converter(state) -> None:
    state.app.url_map.converters["client_path"] = ClientPathConverter


@ops_bp.get("/", defaults={"path": ""})
@ops_bp.get("/<client_path:path>")
def client(path: str):
    """The React client's files; its routes (/orders/12, /login, …) get index.html."""
    dist = Path(current_app.config["CLIENT_DIST"])
    policy = client_content_security_policy()
    if path and (dist / path).is_file():
        return secured(send_from_directory(dist, path), policy)
    if not (dist / "index.html").is_file():
        return secured(
            current_app.make_response(
                "<!doctype html><title>NovaCart</title><h1>NovaCart API</h1>"
                "<p>The React client is not built yet (<code>make setup</code> builds it). "
                'The API is at <a href="/api/docs">/api/docs</a>.</p>'
            )
        )
    return secured(send_from_directory(dist, "index.html", max_age=0), policy)


def secured(response: Response, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    """The headers of every page we render (the client's and the dashboard's): no inline script, no
    framing, no sniffing, no referrer to other sites."""
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
