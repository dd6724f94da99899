"""Registration, credentials, tokens and roles."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import bindparam, delete, event, func, or_, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from novacart.auth.hashing import check_password, hash_password
from novacart.auth.models import DEFAULT_LOCALE, EMPLOYEE_ROLES, RevokedToken, Role, User
from novacart.db import transactional, utcnow
from novacart.errors import ConflictError, ErrorCode, InvalidCredentialsError, NotFoundError
from novacart.extensions import db
from novacart.pagination import Page, paginate

logger = logging.getLogger(__name__)


class DuplicateEmailError(ConflictError):
    code, title = ErrorCode.DUPLICATE_EMAIL, "E-mail already registered"


class OwnRoleChangeError(ConflictError):
    code, title = ErrorCode.OWN_ROLE_CHANGE, "Admins cannot change their own role"


class OwnDeactivationError(ConflictError):
    code, title = ErrorCode.OWN_DEACTIVATION, "Admins cannot deactivate themselves"


@dataclass(frozen=True)
class Tokens:
    user: User
    access_token: str
    refresh_token: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(_l("User %(id)s does not exist.", id=user_id))
    return user


def issue_access_token(user: User) -> str:
    return create_access_token(
        identity=str(user.id),
        additional_claims={"role": user.role.value},
        expires_delta=timedelta(minutes=current_app.config["ACCESS_TOKEN_MINUTES"]),
    )


def issue_tokens(user: User) -> Tokens:
    return Tokens(
        user=user,
        access_token=issue_access_token(user),
        refresh_token=create_refresh_token(
            identity=str(user.id), expires_delta=timedelta(days=current_app.config["REFRESH_TOKEN_DAYS"])
        ),
    )


def _add_user(email: str, password: str, name: str, role: Role, locale: str = DEFAULT_LOCALE) -> User:
    """Insert a user. Caller commits."""
    password_hash = hash_password(password)  # before any query: no pooled connection waits on the hash
    if find_user_by_email(email) is not None:
        raise DuplicateEmailError(_l("%(email)s is already registered.", email=normalise_email(email)))
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=password_hash,
        role=role,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


@transactional
def register_customer(email: str, password: str, name: str, locale: str = DEFAULT_LOCALE) -> Tokens:
    """Create a customer account (nobody chooses their own role) and sign it in.

    Raises DuplicateEmailError.
    """
    user = _add_user(email, password, name, Role.CUSTOMER, locale)
    logger.info("user %s registered", user.id)
    return issue_tokens(user)


@transactional
def create_user(email: str, password: str, name: str, role: Role) -> User:
    """Create a user of any role: for the CLI and the seed, never reachable from the API."""
    return _add_user(email, password, name, role)


_DUMMY_HASH: str | None = None


def check_credentials(email: str, password: str) -> User:
    """The active user with these credentials (the dashboard's session sign-in).

    Raises InvalidCredentialsError, the same for an unknown e-mail and a wrong password.
    """
    global _DUMMY_HASH
    user = find_user_by_email(email)
    # The hash takes ~0.1 s and may wait for a slot (PASSWORD_HASH_CONCURRENCY): the read is over, so the
    # connection goes back to the pool meanwhile. 25 logins at once held 25 connections, and on PostgreSQL
    # those past the pool's 15 failed with 500 after its 30 s timeout. (Loaded objects stay loaded.)
    db.session.commit()
    if user is None:
        # Spend the same time as a real check, so response times do not reveal which e-mails exist.
        _DUMMY_HASH = _DUMMY_HASH or hash_password("not-a-real-password")
        check_password(_DUMMY_HASH, password)
        raise InvalidCredentialsError(_l("Wrong e-mail or password."))
    if not check_password(user.password_hash, password) or not user.is_active_account:
        raise InvalidCredentialsError(_l("Wrong e-mail or password."))
    return user


def authenticate(email: str, password: str) -> Tokens:
    """Check credentials and issue tokens. Raises InvalidCredentialsError, the same for both mistakes."""
    return issue_tokens(check_credentials(email, password))


def revoke_token(jti: str, expires_at: float) -> None:
    """Add a token id to the blocklist until the token would have expired anyway. Caller commits."""
    now = utcnow()
    db.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))  # forget expired ones
    if db.session.get(RevokedToken, jti) is None:
        db.session.add(RevokedToken(jti=jti, expires_at=datetime.fromtimestamp(expires_at, UTC), revoked_at=now))


def session_jti(session_id: str) -> str:
    """A dashboard session's entry in the blocklist (sessions are signed cookies: a copy outlives sign-out)."""
    return f"session:{session_id}"


@transactional
def end_session(session_id: str) -> None:
    """Revoke a dashboard session: its cookie is refused from now on and its sockets are dropped."""
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"]
    revoke_token(session_jti(session_id), (utcnow() + lifetime).timestamp())


@transactional
def logout(access_payload: dict, refresh_token: str | None, user_id: int) -> None:
    """Revoke the access token, and the refresh token if it belongs to the same user."""
    revoke_token(access_payload["jti"], access_payload["exp"])
    if refresh_token:
        try:
            refresh = decode_token(refresh_token)
        except Exception:
            logger.info("logout of user %s sent an unusable refresh token", user_id)
            return
        if refresh.get("type") == "refresh" and refresh.get("sub") == str(user_id):
            revoke_token(refresh["jti"], refresh["exp"])


_REVOKED = RevokedToken.__table__
_IS_REVOKED = select(_REVOKED.c.jti).where(_REVOKED.c.jti == bindparam("jti"))


_USERS = User.__table__
_PRINCIPAL = select(_USERS, _IS_REVOKED.exists().label("revoked")).where(_USERS.c.id == bindparam("user_id"))


def is_token_revoked(jti: str) -> bool:
    return db.session.execute(_IS_REVOKED, {"jti": jti}).first() is not None


# (user id, token id) → (valid until, the user's row or None, revoked): this process's recent answers.
_principals: dict[tuple[int, str], tuple[float, dict[str, Any] | None, bool]] = {}
PRINCIPALS_KEPT = 50_000  # beyond this many (tokens seen within PRINCIPAL_CACHE_SECONDS), start afresh


def principal_fields(user_id: int, jti: str) -> tuple[dict[str, Any] | None, bool]:
    """The columns of the user a token names (None for no such user) and whether the token is revoked,
    in one query, or none.

    Every authenticated request and socket connect asks this. The answer is kept for
    PRINCIPAL_CACHE_SECONDS (2 s; 0: never), within the contract's 5 s for a revocation or a deactivation
    made through another process to take effect; this process forgets a user or token at once when it
    changes them (forget_principals). The fields are the cache's own: read them, do not change them.
    """
    ttl = current_app.config["PRINCIPAL_CACHE_SECONDS"]
    now = time.monotonic()
    cached = _principals.get((user_id, jti)) if ttl > 0 else None
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    row = db.session.execute(_PRINCIPAL, {"user_id": user_id, "jti": jti}).first()
    if row is None:
        fields, revoked = None, is_token_revoked(jti)
    else:
        fields = {key: value for key, value in row._mapping.items() if key != "revoked"}
        revoked = bool(row.revoked)
    if ttl > 0:
        if len(_principals) >= PRINCIPALS_KEPT:
            _principals.clear()
        _principals[(user_id, jti)] = (now + ttl, fields, revoked)
    return fields, revoked


def principal(user_id: int, jti: str) -> tuple[User | None, bool]:
    """principal_fields as a session-attached User (built without a load), for a request's current user."""
    fields, revoked = principal_fields(user_id, jti)
    if fields is None:
        return None, revoked
    user = db.session.identity_map.get(identity_key(User, user_id))
    if user is None:
        # A copy of mutable values (interests): a request changing its User must not change the cache.
        user = User(**{key: copy.copy(value) for key, value in fields.items()})
        make_transient_to_detached(user)
        user = db.session.merge(user, load=False)
    return user, revoked


def forget_principals(*, user_ids: Iterable[int] = (), jtis: Iterable[str] = ()) -> None:
    """Drop this process's cached answers for these users and tokens (they just changed)."""
    users, tokens = set(user_ids), set(jtis)
    for key in [k for k in list(_principals) if k[0] in users or k[1] in tokens]:
        _principals.pop(key, None)


@event.listens_for(Session, "after_flush")
def _forget_changed_principals(session: Session, _context: Any) -> None:
    """A user or a revocation written through this process is seen by its next request, not 2 s later."""
    if not _principals:
        return
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, User | RevokedToken)]
    if changed:
        forget_principals(
            user_ids=[obj.id for obj in changed if isinstance(obj, User)],
            jtis=[obj.jti for obj in changed if isinstance(obj, RevokedToken)],
        )


def revoked_since(since: datetime) -> set[str]:
    """Token ids (and dashboard sessions) revoked since `since`: what the sockets' watcher drops.

    One indexed range query, however many sockets are open.
    """
    return set(db.session.scalars(select(_REVOKED.c.jti).where(_REVOKED.c.revoked_at >= since)))


@dataclass(frozen=True)
class Access:
    user_id: int
    role: Role
    is_active: bool

    @property
    def is_employee(self) -> bool:
        return self.is_active and self.role in EMPLOYEE_ROLES


def access_changed_since(since: datetime) -> list[Access]:
    """Users whose role or active flag changed since `since` (one indexed range query)."""
    rows = db.session.execute(
        select(_USERS.c.id, _USERS.c.role, _USERS.c.is_active_account).where(_USERS.c.access_changed_at >= since)
    )
    return [Access(user_id, Role(role), bool(active)) for user_id, role, active in rows]


@transactional
def update_profile(user_id: int, *, name: str | None = None, locale: str | None = None) -> User:
    """Change one's own name or language. Raises NotFoundError."""
    user = get_user(user_id)
    if name is not None:
        user.name = name.strip()
    if locale is not None:
        user.locale = locale
    return user


@transactional
def update_user(actor_id: int, user_id: int, *, role: Role | None = None, is_active: bool | None = None) -> User:
    """Change a user's role or deactivate / reactivate them (admins only; checked by the caller).

    Never on oneself. A deactivated user's tokens and dashboard session are refused at once and their
    sockets dropped within seconds; a demoted one leaves the staff room.
    Raises NotFoundError, OwnRoleChangeError, OwnDeactivationError.
    """
    user = get_user(user_id)
    changed = False
    if role is not None and role != user.role:
        if user.id == actor_id:
            raise OwnRoleChangeError(_l("Ask another admin to change your role."))
        logger.info("user %s changed role of user %s from %s to %s", actor_id, user.id, user.role, role)
        user.role, changed = role, True
    if is_active is not None and is_active != user.is_active_account:
        if user.id == actor_id:
            raise OwnDeactivationError(_l("Ask another admin to deactivate your account."))
        logger.info("user %s %s user %s", actor_id, "reactivated" if is_active else "deactivated", user.id)
        user.is_active_account, changed = is_active, True
    if changed:
        user.access_changed_at = utcnow()
    return user


def users_by_ids(user_ids: Iterable[int]) -> dict[int, User]:
    """The users with these ids, keyed by id, in one query (unknown ids are left out)."""
    ids = {int(i) for i in user_ids if i is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


def list_users(
    *, limit: int, after_id: int | None, role: Role | None = None, q: str | None = None, is_active: bool | None = None
) -> Page:
    """Users newest first, by role, active flag and part of the e-mail or name (the admins' user list)."""
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if is_active is not None:
        stmt = stmt.where(User.is_active_account.is_(is_active))
    if q and q.strip():
        needle = q.strip().lower()
        stmt = stmt.where(
            or_(
                func.lower(User.email).contains(needle, autoescape=True),
                func.lower(User.name).contains(needle, autoescape=True),
            )
        )
    return paginate(stmt, User.id, limit=limit, after_id=after_id, newest_first=True)
