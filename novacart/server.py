"""Run the web process in the configured async mode, sized for thousands of sockets."""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from config import Config, choose_psycopg_wait

logger = logging.getLogger(__name__)

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


FREEZE_CHECK_SECONDS = 1.0
FREEZE_AFTER_SOCKETS = 500  # new sockets since the last freeze that make the next check collect and freeze


class FreezePolicy:
    """When a web process moves its objects to the permanent generation, which collections skip.

    Every `freeze_every` seconds, as before; and as soon as `growth` more sockets are held than at the
    last freeze. A socket's few hundred objects otherwise wait in the young generations, and every
    collection of generation 1 walks them again until the next timed freeze: after 10,000 connects, a
    promotion sent at once met a 290 ms collection (bench scenario 3: the first of four promotions took
    1.2 s, the others 0.8 s). Such a freeze first collects the young generations, so that what it
    freezes is alive; a timed one does not (at 10,000 sockets that collection took 0.35-0.56 s). Every
    `full_every` seconds everything is unfrozen and collected in full.
    """

    def __init__(self, freeze_every: float, full_every: float, growth: int, now: float, held: int) -> None:
        self.freeze_every, self.full_every, self.growth = freeze_every, full_every, growth
        self.frozen_at = self.full_at = now
        self.held_at_freeze = held

    def action(self, now: float, held: int) -> str | None:
        """'full', 'collect-and-freeze', 'freeze' or None, and the policy counts it done."""
        self.held_at_freeze = min(self.held_at_freeze, held)  # sockets that left make room for new ones
        if now - self.full_at >= self.full_every:
            chosen = "full"
            self.full_at = now
        elif held - self.held_at_freeze >= self.growth:
            chosen = "collect-and-freeze"
        elif now - self.frozen_at >= self.freeze_every:
            chosen = "freeze"
        else:
            return None
        self.frozen_at, self.held_at_freeze = now, held
        return chosen


def tune_gc(settings: type[Config], start_background_task, sleep, held: Callable[[], int] = lambda: 0) -> None:
    """Keep the garbage collector from freezing a process that holds thousands of sockets.

    Each socket is a few hundred long-lived objects; at 10,000 sockets a full collection walks
    ~1.5 million of them and stops every greenlet for half a second. So: freeze what exists after
    start-up, collect the young generation less often, and freeze again as FreezePolicy says (`held`:
    the sockets this process holds). Garbage cycles that were frozen are reclaimed by the full
    collection every GC_FULL_SECONDS. GC_TUNING=off keeps CPython's defaults. Called in every web
    process (each gunicorn worker imports the app after its fork), never in a parent that forks afterwards.
    """
    if not settings.GC_TUNING:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(settings.GC_GEN0_THRESHOLD, 20, 20)
    policy = FreezePolicy(
        settings.GC_FREEZE_SECONDS, settings.GC_FULL_SECONDS, FREEZE_AFTER_SOCKETS, time.monotonic(), held()
    )

    def maintain() -> None:
        while True:
            sleep(FREEZE_CHECK_SECONDS)
            apply_gc_action(policy.action(time.monotonic(), held()))

    start_background_task(maintain)


def apply_gc_action(action: str | None) -> None:
    if action == "full":
        gc.unfreeze()
        gc.collect()
    elif action == "collect-and-freeze":
        gc.collect(1)
    if action is not None:
        gc.freeze()


def serve_eventlet(app: Flask, settings: type[Config]) -> None:
    """eventlet's own WSGI server, one process (gunicorn >= 26 has no eventlet worker)."""
    import eventlet
    import eventlet.wsgi

    from novacart.notifications import sockets

    tune_gc(settings, eventlet.spawn, eventlet.sleep, sockets.held)
    logger.info("NovaCart web listening on http://%s:%s (eventlet)", settings.HOST, settings.PORT)
    # eventlet's defaults (1,024 connections, backlog 50) hang the 1,025th client.
    listener = eventlet.listen((settings.HOST, settings.PORT), backlog=settings.LISTEN_BACKLOG)
    # keepalive=True: no idle timeout (a number would become the socket's timeout, WebSockets included).
    eventlet.wsgi.server(listener, app, max_size=settings.MAX_CONNECTIONS, log_output=False, keepalive=True)


def exec_gevent(settings: type[Config]) -> None:
    """Replace this process with gunicorn: WEB_CONCURRENCY gevent workers accepting on one listener.

    Called before the app is created, and gunicorn does not preload it: each worker forks, patches the
    standard library, then calls wsgi.serve() itself, so everything a web process starts (the Redis
    subscription, the ack flusher, the ping timer, the GC tuning, its Prometheus files) is its own.
    Built before the fork, they would run unpatched, or only in the parent.
    """
    choose_psycopg_wait("gevent")  # inherited by the workers, which import psycopg after gevent's patch
    args = [
        # The gevent worker class is GUNICORN_CONF's (gunicorn's, accepting more than one connection a wake-up).
        sys.executable, "-m", "gunicorn", "-w", str(settings.WEB_CONCURRENCY),
        "-c", str(GUNICORN_CONF), "--no-control-socket",
        "--worker-connections", str(settings.MAX_CONNECTIONS), "--backlog", str(settings.LISTEN_BACKLOG),
        "--keep-alive", str(settings.KEEPALIVE_SECONDS),
        "-b", f"{settings.HOST}:{settings.PORT}", "--graceful-timeout", "5",
        # A request line up to gunicorn's maximum: a search with non-ASCII text and a cursor reaches 5 KB.
        "--limit-request-line", "8190", "wsgi:serve()",
    ]  # fmt: skip
    os.execvp(args[0], args)
