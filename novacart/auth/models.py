"""The user table and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from novacart.db import UTCDateTime, utcnow
from novacart.extensions import db

LOCALES = ("en", "it", "es", "vi")  # CONTRACT.md, "Languages"
DEFAULT_LOCALE = "en"


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


EMPLOYEE_ROLES = frozenset({Role.STAFF, Role.ADMIN})


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Role.CUSTOMER,
        index=True,
    )
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default=DEFAULT_LOCALE, server_default=DEFAULT_LOCALE)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the role or the active flag last changed: each web process asks every second for the users
    # changed since, and drops or re-rooms their sockets (access follows the account).
    access_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def is_employee(self) -> bool:
        return self.role in EMPLOYEE_ROLES

    @property
    def is_active(self) -> bool:  # flask-login
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RevokedToken(db.Model):
    """A signed-out token (by its `jti`; a dashboard session as `session:<id>`) until it would have
    expired anyway: the blocklist.

    In the database, not only in Redis: a Redis restarted without its data must not bring signed-out
    tokens back to life, and sign-in checks keep working while Redis is down.
    """

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Web processes drop the sockets of tokens (and dashboard sessions) revoked since their last look.
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
