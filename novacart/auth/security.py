"""Who is calling: JWT loaders for the API, the flask-login loader for the dashboard, role checks."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

import flask_login
from flask import g, session
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import current_user as jwt_current_user
from flask_jwt_extended import verify_jwt_in_request

from novacart.auth import services
from novacart.auth.models import EMPLOYEE_ROLES, Role, User
from novacart.errors import PermissionDeniedError
from novacart.extensions import db, jwt, login_manager

P = ParamSpec("P")
R = TypeVar("R")


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict, payload: dict) -> bool:
    """Runs first on every authenticated request: loads the token's user too, for _load_jwt_user."""
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        return services.is_token_revoked(payload["jti"])
    user, revoked = services.principal(user_id, payload["jti"])
    g.novacart_principal = (user_id, user)
    return revoked


@jwt.user_lookup_loader
def _load_jwt_user(_header: dict, payload: dict) -> User | None:
    try:
        user_id = int(payload["sub"])
    except (TypeError, ValueError):
        return None
    loaded = g.pop("novacart_principal", None)
    user = loaded[1] if loaded and loaded[0] == user_id else db.session.get(User, user_id)
    return user if user is not None and user.is_active_account else None


SESSION_ID_KEY = "novacart_session"


def start_session(user: User) -> None:
    """Sign an employee in to the dashboard, under a session id that sign-out can revoke."""
    flask_login.login_user(user)
    session[SESSION_ID_KEY] = secrets.token_urlsafe(24)


def end_session() -> None:
    """Sign out: the session id is revoked, so a copy of the cookie is refused and its sockets dropped."""
    if session_id := session.pop(SESSION_ID_KEY, None):
        services.end_session(session_id)
    flask_login.logout_user()


def current_session_jti() -> str | None:
    session_id = session.get(SESSION_ID_KEY)
    return services.session_jti(session_id) if isinstance(session_id, str) else None


@login_manager.user_loader
def _load_session_user(user_id: str) -> User | None:
    jti = current_session_jti()
    if jti is None or services.is_token_revoked(jti):
        return None  # signed out (a replayed cookie), or a session from before sessions had ids
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active_account else None


def get_current_user() -> User:
    """The user of the verified access token (API views only)."""
    return jwt_current_user._get_current_object()


def auth_required(roles: Iterable[Role] | None = None, *, refresh: bool = False) -> Callable:
    """Require a valid, unrevoked token, and (with `roles`) one of those roles, else 401 / 403."""
    allowed = frozenset(roles) if roles else None

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            verify_jwt_in_request(refresh=refresh)
            if allowed is not None and get_current_user().role not in allowed:
                raise PermissionDeniedError(_l("Your role may not do this."))
            return view(*args, **kwargs)

        # flask-smorest reads this to document the security requirement and its refusals.
        wrapper._apidoc = getattr(view, "_apidoc", {})  # type: ignore[attr-defined]
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual.setdefault("security", [{"bearerAuth": []}])
        refusals = {"401": "UNAUTHORIZED", **({"403": "FORBIDDEN"} if allowed is not None else {})}
        manual.setdefault("responses", {}).update(refusals)
        return wrapper

    return decorator


EMPLOYEES = EMPLOYEE_ROLES
ADMINS = frozenset({Role.ADMIN})
CUSTOMERS = frozenset({Role.CUSTOMER})
