"""Password hashing off the event loop: scrypt on an OS thread, a few at a time.

A scrypt hash holds a core for ~0.1 s. Run on gevent's or eventlet's hub, every login froze every
socket of the web process for that long. Here it runs on the hub's thread pool (hashlib releases the
GIL while it hashes), and at most PASSWORD_HASH_CONCURRENCY hashes run at once per process, so a
burst of logins queues instead of taking every core and ~32 MiB each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")
_EXTENSION = "novacart.password_hash_slots"
_slots_lock = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    """The app's own slots, sized by its own PASSWORD_HASH_CONCURRENCY.

    Created on first use, after the async library patched `threading`, and kept on the app, so that
    a second app in the process (the tests make many) is not bound by the first one's setting.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = app.extensions.get(_EXTENSION)
    if slots is None:
        with _slots_lock:
            slots = app.extensions.setdefault(
                _EXTENSION, threading.BoundedSemaphore(app.config["PASSWORD_HASH_CONCURRENCY"])
            )
    return slots


def _off_the_loop(func: Callable[..., T], *args: object) -> T:
    mode = current_app.config.get("SOCKETIO_ASYNC_MODE") or current_app.config["ASYNC_MODE"]
    with _slots():
        if mode == "gevent":
            import gevent

            return gevent.get_hub().threadpool.apply(func, args)
        if mode == "eventlet":
            from eventlet import tpool

            return tpool.execute(func, *args)
        return func(*args)  # plain threads (the CLI, workers, tests): already off any loop


def hash_password(password: str) -> str:
    return _off_the_loop(generate_password_hash, password, current_app.config["PASSWORD_HASH_METHOD"])


def check_password(password_hash: str, password: str) -> bool:
    return _off_the_loop(check_password_hash, password_hash, password)
