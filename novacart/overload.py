"""Graceful overload: a bound on the HTTP requests one web process works on at once, then a quick 503.

Past saturation an open-loop client keeps sending. Without a bound, every request is accepted, they all
share the CPU, and each one's latency grows without limit (thousands still queued seconds after the last
send). With it, the process works on at most MAX_INFLIGHT_REQUESTS requests (so what it accepts keeps a
bounded latency), and answers the rest at once, from bytes built at start-up, with 503 and Retry-After:
`overloaded` problem details under /api, a short page elsewhere. The connection stays open (keep-alive).

Socket.IO's own requests (a long-poll waits up to a ping interval), /healthz and /metrics are not counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from novacart.errors import problem

EXEMPT_PREFIXES = ("/socket.io", "/healthz", "/metrics")
PAGE = b"<!doctype html><title>Busy</title><p>NovaCart is busy right now; try again in a moment.</p>"


class InFlightLimit:
    """WSGI middleware: at most `limit` requests in progress; the next ones get 503 with Retry-After."""

    def __init__(self, wsgi_app: Callable, limit: int, retry_after: int) -> None:
        self.wsgi_app = wsgi_app
        # Patched into a green semaphore under gevent and eventlet (the app is imported after the patching).
        self.slots = threading.BoundedSemaphore(limit)
        self.retry_after = str(retry_after)
        body = problem(
            503,
            "Overloaded",
            code="overloaded",
            detail=f"The server is busy; try again in {retry_after} s.",
        ).get_data()
        self.api_body, self.page_body = body, PAGE
        self.shed = 0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(EXEMPT_PREFIXES):
            return self.wsgi_app(environ, start_response)
        if not self.slots.acquire(blocking=False):
            return self._refuse(path, start_response)
        try:
            response = self.wsgi_app(environ, start_response)
        except BaseException:
            self.slots.release()
            raise
        # Released when the server has sent the body (or given up on it), not when the view returned.
        return ClosingIterator(response, self.slots.release)

    def _refuse(self, path: str, start_response: Callable) -> list[bytes]:
        self.shed += 1
        api = path.startswith("/api/")
        body = self.api_body if api else self.page_body
        content_type = "application/problem+json" if api else "text/html; charset=utf-8"
        start_response(
            "503 Service Unavailable",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Retry-After", self.retry_after)],
        )
        return [body]


def init_app(app: Flask) -> None:
    """Bound this process's requests in flight (MAX_INFLIGHT_REQUESTS; 0 turns the bound off). Outermost."""
    limit = app.config["MAX_INFLIGHT_REQUESTS"]
    if limit > 0:
        app.wsgi_app = InFlightLimit(app.wsgi_app, limit, app.config["OVERLOAD_RETRY_AFTER_SECONDS"])  # type: ignore[method-assign]
