"""Operations endpoints: /healthz, and the built React client served at /."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory
from sqlalchemy import text

from novacart.extensions import db
from novacart.kv import redis_client

logger = logging.getLogger(__name__)

ops_bp = Blueprint("ops", __name__)
RESERVED_PREFIXES = ("api/", "socket.io", "dashboard", "healthz", "metrics")
# Every page we render, the React client's and the dashboard's: their own bundles only (no inline
# script or style), API and socket on the same origin. A script smuggled into a notification, an
# address or a product name could not run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


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


@ops_bp.get("/", defaults={"path": ""})
@ops_bp.get("/<path:path>")
def client(path: str):
    """The React client's files; its routes (/orders/12, /login, …) get index.html."""
    if path.startswith(RESERVED_PREFIXES) or path == "api":
        abort(404)
    dist = Path(current_app.config["CLIENT_DIST"])
    if path and (dist / path).is_file():
        return _secured(send_from_directory(dist, path))
    if not (dist / "index.html").is_file():
        return _secured(
            current_app.make_response(
                "<!doctype html><title>NovaCart</title><h1>NovaCart API</h1>"
                "<p>The React client is not built yet (<code>make setup</code> builds it). "
                'The API is at <a href="/api/docs">/api/docs</a>.</p>'
            )
        )
    return _secured(send_from_directory(dist, "index.html", max_age=0))


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
