"""The declarative base, timestamps, the unit-of-work decorator and after-commit side effects."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.orm import DeclarativeBase

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use novacart.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Base.metadata, "before_create")
def _never_reuse_ids(metadata: MetaData, connection, **_) -> None:
    """Ids are never reused (CONTRACT.md): clients de-duplicate by id, so a deleted row's id handed to
    a new one would hide that one. SQLite hands out max(id)+1 unless the table says AUTOINCREMENT."""
    for table in metadata.tables.values():
        if table.autoincrement_column is not None:
            table.dialect_kwargs["sqlite_autoincrement"] = True


def _session():
    from novacart.extensions import db

    return db.session


def on_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction has committed; drop it if it rolls back."""
    _session().info.setdefault("on_commit", []).append(callback)


def run_after_commit() -> None:
    """Commit the session, then run the side effects queued with on_commit()."""
    session = _session()
    session.commit()
    callbacks = session.info.pop("on_commit", [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The data is committed; a failed side effect is retried by the outbox sweep, not raised to the user.
            logger.exception("after-commit side effect failed")


def transactional(func: Callable[P, R]) -> Callable[P, R]:
    """Make a service one transaction: commit on return (then run on_commit callbacks), roll back on raise."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = _session()
        try:
            result = func(*args, **kwargs)
        except BaseException:
            session.rollback()
            session.info.pop("on_commit", None)
            raise
        run_after_commit()
        return result

    return wrapper
