"""Auth and user API: /api/auth/*, /api/users/*."""

from __future__ import annotations

from flask import current_app, request
from flask_jwt_extended import get_jwt

from novacart.auth import services
from novacart.auth.models import DEFAULT_LOCALE, LOCALES, User
from novacart.auth.schemas import (
    AccessTokenSchema,
    LoginSchema,
    LogoutSchema,
    ProfileUpdateSchema,
    RegisterSchema,
    TokensSchema,
    UserPageSchema,
    UserQueryArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from novacart.auth.security import ADMINS, auth_required, get_current_user
from novacart.errors import ApiBlueprint
from novacart.extensions import limiter
from novacart.pagination import Page

api_bp = ApiBlueprint("auth_api", __name__, url_prefix="/api", description="Sign-up, sign-in, tokens and roles")


def _auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def browser_locale() -> str:
    """The supported language the browser prefers most (it-IT counts for it), else en."""
    for language, _quality in request.accept_languages:  # best first
        primary = language.split("-")[0].split("_")[0].lower()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


@api_bp.route("/auth/register", methods=["POST"])
@limiter.limit(_auth_limit, scope="auth-register")
@api_bp.arguments(RegisterSchema())
@api_bp.response(201, TokensSchema)
@api_bp.alt_response(409, description="E-mail already registered")
@api_bp.alt_response(429, description="Too many attempts from this client")
def register(payload: dict) -> services.Tokens:
    """Create a customer account and sign it in; its language is `locale`, else the browser's."""
    locale = payload.get("locale") or browser_locale()
    return services.register_customer(payload["email"], payload["password"], payload["name"], locale)


@api_bp.route("/auth/login", methods=["POST"])
@limiter.limit(_auth_limit, scope="auth-login")
@api_bp.arguments(LoginSchema())
@api_bp.response(200, TokensSchema)
@api_bp.alt_response(401, description="Wrong e-mail or password")
@api_bp.alt_response(429, description="Too many attempts from this client")
def login(payload: dict) -> services.Tokens:
    """Exchange an e-mail and password for an access token and a refresh token."""
    return services.authenticate(payload["email"], payload["password"])


@api_bp.route("/auth/refresh", methods=["POST"])
@auth_required(refresh=True)
@api_bp.response(200, AccessTokenSchema)
def refresh() -> dict:
    """Get a new access token with a refresh token (send the refresh token as the bearer token)."""
    return {"access_token": services.issue_access_token(get_current_user())}


@api_bp.route("/auth/logout", methods=["POST"])
@auth_required()
@api_bp.arguments(LogoutSchema(), required=False)
@api_bp.response(204)
def logout(payload: dict | None = None) -> None:
    """Revoke the access token, and the refresh token if it is sent as `refresh_token`."""
    services.logout(get_jwt(), (payload or {}).get("refresh_token"), get_current_user().id)


@api_bp.route("/auth/me", methods=["GET"])
@auth_required()
@api_bp.response(200, UserSchema)
def me() -> User:
    """The signed-in user."""
    return get_current_user()


@api_bp.route("/auth/me", methods=["PATCH"])
@auth_required()
@api_bp.arguments(ProfileUpdateSchema())
@api_bp.response(200, UserSchema)
def update_me(payload: dict) -> User:
    """Change your name or your language (`en`, `it`, `es`, `vi`)."""
    return services.update_profile(get_current_user().id, **payload)


@api_bp.route("/users", methods=["GET"])
@auth_required(ADMINS)
@api_bp.arguments(UserQueryArgsSchema(), location="query")
@api_bp.response(200, UserPageSchema)
def list_users(args: dict) -> Page:
    """Users, newest first, by `role`, `is_active` and `q` (part of the e-mail or name); admins only."""
    return services.list_users(**args)


@api_bp.route("/users/<int:user_id>", methods=["PATCH"])
@auth_required(ADMINS)
@api_bp.arguments(UserUpdateSchema())
@api_bp.response(200, UserSchema)
@api_bp.alt_response(409, description="Admins cannot change their own role or deactivate themselves")
def update_user(payload: dict, user_id: int) -> User:
    """Change a user's role, or deactivate / reactivate them (admins only; never on yourself).

    A deactivated user's tokens and dashboard session are refused from then on, and their sockets are
    dropped within 5 s; a user who loses the staff role stops receiving the staff room within 5 s.
    """
    return services.update_user(
        get_current_user().id, user_id, role=payload.get("role"), is_active=payload.get("is_active")
    )
