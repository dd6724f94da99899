"""Run the web process in the configured async mode, sized for thousands of sockets."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

from flask import Flask

from config import Config, choose_psycopg_wait

logger = logging.getLogger(__name__)

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


def tune_gc(settings: type[Config], start_background_task, sleep) -> None:
    """Keep the garbage collector from freezing a process that holds thousands of sockets.

    Each socket is a few hundred long-lived objects; at 10,000 sockets a full collection walks
    ~1.5 million of them and stops every greenlet for half a second. So: freeze what exists after
    start-up, collect the young generation less often, and every GC_FREEZE_SECONDS move everything
    (mostly connections) to the permanent generation, which collections skip. Once every
    GC_FULL_SECONDS everything is unfrozen and collected in full, so garbage cycles that were frozen
    are reclaimed. GC_TUNING=off keeps CPython's defaults. Called in every web process (each gunicorn
    worker imports the app after its fork), never in a parent that forks afterwards.
    """
    if not settings.GC_TUNING:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(settings.GC_GEN0_THRESHOLD, 20, 20)
    freeze_every, full_every = settings.GC_FREEZE_SECONDS, settings.GC_FULL_SECONDS

    def maintain() -> None:
        since_full = 0.0
        while True:
            sleep(freeze_every)
            since_full += freeze_every
            if since_full >= full_every:
                since_full = 0.0
                gc.unfreeze()
                gc.collect()
            # No collection here: at 10,000 sockets even gc.collect(1) stopped the process for 0.35-0.56 s
            # every 30 s (bench profiles). Young garbage frozen with the survivors waits for the hourly pass.
            gc.freeze()

    start_background_task(maintain)


def serve_eventlet(app: Flask, settings: type[Config]) -> None:
    """eventlet's own WSGI server, one process (gunicorn >= 26 has no eventlet worker)."""
    import eventlet
    import eventlet.wsgi

    tune_gc(settings, eventlet.spawn, eventlet.sleep)
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
