"""Run the web process in the configured async mode, sized for thousands of sockets."""

from __future__ import annotations

import gc
import logging
import os
import sys

from flask import Flask

logger = logging.getLogger(__name__)


def _settings() -> tuple[str, int, int, int]:
    from config import config_class

    return (
        config_class().HOST,
        int(os.environ.get("PORT", "5000")),
        int(os.environ.get("MAX_CONNECTIONS", "20000")),
        int(os.environ.get("LISTEN_BACKLOG", "2048")),
    )


def tune_gc(start_background_task, sleep) -> None:
    """Keep the garbage collector from freezing a process that holds thousands of sockets.

    Each socket is a few hundred long-lived objects; at 10,000 sockets a full collection walks
    ~1.5 million of them and stops every greenlet for half a second. So: freeze what exists after
    start-up, collect the young generation less often, and every GC_FREEZE_SECONDS move everything
    (mostly connections) to the permanent generation, which collections skip. Once every
    GC_FULL_SECONDS everything is unfrozen and collected in full, so garbage cycles that were frozen
    are reclaimed. GC_TUNING=off keeps CPython's defaults.
    """
    if os.environ.get("GC_TUNING", "on") == "off":
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(int(os.environ.get("GC_GEN0_THRESHOLD", "50000")), 20, 20)
    freeze_every = float(os.environ.get("GC_FREEZE_SECONDS", "30"))
    full_every = float(os.environ.get("GC_FULL_SECONDS", "3600"))

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


def serve_eventlet(app: Flask) -> None:
    """eventlet's own WSGI server (gunicorn >= 26 has no eventlet worker)."""
    import eventlet
    import eventlet.wsgi

    tune_gc(eventlet.spawn, eventlet.sleep)
    host, port, max_connections, backlog = _settings()
    logger.info("NovaCart web listening on http://%s:%s (eventlet)", host, port)
    # eventlet's defaults (1,024 connections, backlog 50) hang the 1,025th client.
    listener = eventlet.listen((host, port), backlog=backlog)
    eventlet.wsgi.server(listener, app, max_size=max_connections, log_output=False, keepalive=True)


def exec_gevent() -> None:
    """Replace this process with gunicorn's gevent worker, one process (Socket.IO needs sticky sessions).

    Called before the app is created: the worker patches the standard library, then imports wsgi:app.
    """
    host, port, max_connections, backlog = _settings()
    # psycopg 3's default wait (a C poll) would block gevent's whole hub during a query; select is patched.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    args = [
        sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--no-control-socket",
        "--worker-connections", str(max_connections), "--backlog", str(backlog),
        "-b", f"{host}:{port}", "--graceful-timeout", "5",
        # A request line up to gunicorn's maximum: a search with non-ASCII text and a cursor reaches 5 KB.
        "--limit-request-line", "8190", "wsgi:app",
    ]  # fmt: skip
    os.execvp(args[0], args)
