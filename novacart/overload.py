"""Graceful overload: past what a web process can serve in time, new requests get a quick 503.

Past saturation an open-loop client keeps sending. Without a bound, every request is accepted, they all
share the CPU, and each one's latency grows without limit (thousands still queued seconds after the last
send). Two bounds keep what is accepted on time; the rest is answered at once, from bytes built at
start-up, with 503 and Retry-After: `overloaded` problem details under /api, a short page elsewhere. The
connection stays open (keep-alive).

- **Requests in flight** (MAX_INFLIGHT_REQUESTS): at most that many requests in progress.
- **The event loop's lag** (OVERLOAD_LAG_MS): how late a timer of this process fires. It grows with
  everything the process has still to run, not only with requests: the pushes an accepted call queued
  for its sockets, the relay of other processes' emits, the writers of 10,000 sockets. Requests alone
  are not enough: at twice their rate two processes each stayed under 64 in flight, refused almost
  nothing and answered with p99 5.8-8.9 s; with this bound at 50 ms, 0.4-0.5 s (docs/performance.md,
  "where overload waited" and "the lag limit, tuned"). Above the limit a growing share of new requests
  is refused, as Node's toobusy-js does: none at the limit, all at twice it, so the loop catches up
  without the process swinging between taking all and none. Only a busy loop's lag counts (LoopLag),
  with many requests coming in (LAG_MIN_REQUESTS_PER_SECOND): a stall, or one client's slow requests,
  is not an overload.

Socket.IO's own requests (a long-poll waits up to a ping interval), /healthz and /metrics are not counted.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from novacart import metrics
from novacart.errors import problem

EXEMPT_PREFIXES = ("/socket.io", "/healthz", "/metrics")
PAGE = b"<!doctype html><title>Busy</title><p>NovaCart is busy right now; try again in a moment.</p>"
LAG_INTERVAL_SECONDS = 0.05  # how often the loop's lag is sampled
LAG_SMOOTHING = 3  # each sample moves the figure a third of the way (toobusy-js's dampening)
LAG_SAMPLE_CAP = 0.125  # one sample says at most this much: one stall alone moves the figure < 0.05 s
LAG_BUSY_SHARE = 0.5  # a late sample counts only if the process was on the CPU this share of its time
# ...and the lag refuses only while requests come in at least this fast: overload is many requests. One
# client's two 10 MiB bodies kept the loop busy for a second, and the next (its own) got `overloaded`.
LAG_MIN_REQUESTS_PER_SECOND = 50


class LoopLag:
    """How late this process's timers fire, and go on firing: a green thread sleeps `interval` and
    measures how much longer it took to run again. Under gevent or eventlet that is the time every ready
    green thread waited for the CPU; with plain threads, the wait for the GIL.

    `seconds` is smoothed over the samples. Only overload counts, which refusing requests cures: CI found
    stalls turning the contract's `400`s and `database_unavailable` into `overloaded`. So one sample
    says at most LAG_SAMPLE_CAP (an overloaded loop is late at every sample; a 300 ms parse of a hostile
    body, once), and a sample during which the process was mostly off the CPU counts as on time: that
    loop was blocked, not busy (SQLite's busy wait while the database is locked sleeps the whole process).
    """

    def __init__(
        self,
        interval: float = LAG_INTERVAL_SECONDS,
        *,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.interval, self.sleep, self.clock, self.cpu_clock = interval, sleep, clock, cpu_clock
        self.seconds = 0.0

    def sample(self) -> float:
        """Sleep one interval and fold how late it ended into `seconds`."""
        start, cpu_start = self.clock(), self.cpu_clock()
        self.sleep(self.interval)
        took, cpu = self.clock() - start, self.cpu_clock() - cpu_start
        busy = took > 0 and cpu >= LAG_BUSY_SHARE * took
        late = min(LAG_SAMPLE_CAP, max(0.0, took - self.interval)) if busy else 0.0
        self.seconds += (late - self.seconds) / LAG_SMOOTHING
        metrics.EVENT_LOOP_LAG.set(self.seconds)
        return self.seconds

    def run(self) -> None:
        while True:
            self.sample()


class InFlightLimit:
    """WSGI middleware: new requests get 503 with Retry-After when `limit` are in progress, or, with a
    `lag_limit` (seconds), with a probability that grows as the loop's lag passes it."""

    def __init__(
        self,
        wsgi_app: Callable,
        limit: int,
        retry_after: int,
        *,
        lag_limit: float = 0.0,
        lag: LoopLag | None = None,
        start_watching: Callable[[Callable[[], None]], object] | None = None,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self.wsgi_app = wsgi_app
        # A count under a plain lock, not threading.BoundedSemaphore: under gevent the semaphore's release
        # (Condition.notify probing its Lock with acquire(False)) yields to the loop while it holds that
        # lock, so every request queued behind one trip around a busy loop; with 1,024 connections 750
        # requests waited unread for seconds while the loop's timers ran on time. Nothing here blocks.
        self.limit = limit
        self.in_flight = 0
        self._count_lock = threading.Lock()
        self.retry_after = str(retry_after)
        body = problem(
            503,
            "Overloaded",
            code="overloaded",
            detail=f"The server is busy; try again in {retry_after} s.",
        ).get_data()
        self.api_body, self.page_body = body, PAGE
        self.lag_limit = lag_limit
        self.lag = lag if lag is not None else LoopLag()
        # The lag's green thread starts with the first request: after gunicorn forked this worker.
        self._start_watching = start_watching if lag_limit > 0 else None
        self.chance = chance
        self._window_start, self._window_requests, self._requests_per_second = time.monotonic(), 0, 0.0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(EXEMPT_PREFIXES):
            return self.wsgi_app(environ, start_response)
        if self._start_watching is not None:
            start, self._start_watching = self._start_watching, None
            start(self.lag.run)
        if self.lag_limit and self._too_late():
            return self._refuse(path, start_response, "loop_lag")
        if not self.limit:
            return self.wsgi_app(environ, start_response)
        if not self._take_slot():
            return self._refuse(path, start_response, "in_flight")
        try:
            response = self.wsgi_app(environ, start_response)
        except BaseException:
            self._give_slot_back()
            raise
        # Given back when the server has sent the body (or given up on it), not when the view returned.
        return ClosingIterator(response, self._give_slot_back)

    def _take_slot(self) -> bool:
        with self._count_lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            return True

    def _give_slot_back(self) -> None:
        with self._count_lock:
            self.in_flight -= 1

    def _too_late(self) -> bool:
        if not self._many_requests():
            return False
        over = (self.lag.seconds - self.lag_limit) / self.lag_limit
        return over > 0 and self.chance() < over

    def _many_requests(self) -> bool:
        """Count this request; whether LAG_MIN_REQUESTS_PER_SECOND came in, this second or the last."""
        now = time.monotonic()
        self._window_requests += 1
        if now - self._window_start >= 1.0:
            self._requests_per_second = self._window_requests / (now - self._window_start)
            self._window_start, self._window_requests = now, 0
        return max(self._requests_per_second, self._window_requests) >= LAG_MIN_REQUESTS_PER_SECOND

    def _refuse(self, path: str, start_response: Callable, reason: str) -> list[bytes]:
        metrics.REQUESTS_SHED.labels(reason).inc()
        api = path.startswith("/api/")
        body = self.api_body if api else self.page_body
        content_type = "application/problem+json" if api else "text/html; charset=utf-8"
        start_response(
            "503 Service Unavailable",
            [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Retry-After", self.retry_after)],
        )
        return [body]


def init_app(app: Flask) -> None:
    """Bound this process's requests in flight (MAX_INFLIGHT_REQUESTS) and its loop's lag (OVERLOAD_LAG_MS);
    0 turns either bound off. Outermost."""
    from novacart.extensions import socketio

    limit, lag_ms = app.config["MAX_INFLIGHT_REQUESTS"], app.config["OVERLOAD_LAG_MS"]
    if limit > 0 or lag_ms > 0:
        app.wsgi_app = InFlightLimit(  # type: ignore[method-assign]
            app.wsgi_app,
            limit,
            app.config["OVERLOAD_RETRY_AFTER_SECONDS"],
            lag_limit=lag_ms / 1000,
            # The server's own kind of thread and sleep: a green thread under gevent and eventlet.
            lag=LoopLag(sleep=socketio.sleep),
            start_watching=socketio.start_background_task,
        )
