"""Faults and interleavings forced at the database, the process boundary the in-process tests control.

`table_unavailable` makes one table vanish for a moment (every query on it fails, as when a database
is broken or migrated under a running process). `Hold` parks one thread right before a chosen SQL
statement until the test lets it go, so a race is played in a fixed order instead of hoped for.
Neither touches NovaCart's code: they act on SQLAlchemy's engine and on the database itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text


@contextmanager
def table_unavailable(table: str) -> Iterator[None]:
    """Rename `table` away for the block (SQLite and PostgreSQL alike); every query on it fails meanwhile."""
    from novacart.extensions import db

    db.session.commit()  # PostgreSQL's ALTER TABLE waits for every lock on the table: hold none
    _ddl(f"ALTER TABLE {table} RENAME TO {table}_unavailable")
    try:
        yield
    finally:
        # No rollback here: whatever failed must have rolled its session back by itself (tests check that).
        _ddl(f"ALTER TABLE {table}_unavailable RENAME TO {table}")


@contextmanager
def inserts_fail(table: str) -> Iterator[None]:
    """Make every INSERT into `table` fail inside the database (a trigger), with an error that is not
    an OperationalError: the kind of failure nobody planned for."""
    from novacart.extensions import db

    db.session.commit()
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        _ddl(
            "CREATE FUNCTION novacart_injected_fault() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
        )
        _ddl(
            f"CREATE TRIGGER injected_fault BEFORE INSERT ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION novacart_injected_fault()"
        )
    else:
        _ddl(f"CREATE TRIGGER injected_fault BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    try:
        yield
    finally:
        db.session.rollback()
        if dialect == "postgresql":
            _ddl(f"DROP TRIGGER injected_fault ON {table}")
            _ddl("DROP FUNCTION novacart_injected_fault()")
        else:
            _ddl("DROP TRIGGER injected_fault")


def _ddl(statement: str) -> None:
    from novacart.extensions import db

    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # fail, never hang, if a lock is left
        conn.execute(text(statement))


class Hold:
    """Park the first thread that runs a statement matching `pattern` until `release()`.

    Usage: start the thread that must lose, `wait_parked()`, let the other side run to its commit,
    then `release()` and join. Only one thread is ever parked; the others pass straight through.
    """

    def __init__(self, engine: Any, pattern: str, timeout: float = 30) -> None:
        self.engine, self.pattern, self.timeout = engine, re.compile(pattern, re.I | re.S), timeout
        self._parked, self._released = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._taken = False
        self.thread_id: int | None = None

    def _listener(self, conn, cursor, statement: str, parameters, context, executemany) -> None:
        if not self.pattern.search(statement):
            return
        with self._lock:
            if self._taken:
                return
            self._taken = True
            self.thread_id = threading.get_ident()
        self._parked.set()
        if not self._released.wait(self.timeout):
            raise TimeoutError(f"nobody released the statement {self.pattern.pattern!r}")

    def __enter__(self) -> Hold:
        event.listen(self.engine, "before_cursor_execute", self._listener)
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        event.remove(self.engine, "before_cursor_execute", self._listener)

    def wait_parked(self) -> None:
        if not self._parked.wait(self.timeout):
            raise TimeoutError(f"no thread reached {self.pattern.pattern!r}")

    def release(self) -> None:
        self._released.set()


def in_thread(app: Any, target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run `target` in a new thread with its own app context (its own database session); start it.

    The returned dict gets `result` or `error` once the thread is done."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        from novacart.extensions import db

        with app.app_context():
            try:
                outcome["result"] = target()
            except Exception as exc:  # the caller asserts on it
                outcome["error"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@contextmanager
def errors_as_responses(app: Any) -> Iterator[None]:
    """Unhandled errors become 500 responses, as in production (TESTING re-raises them into the test)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        yield
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
