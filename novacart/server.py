"""Run the web process in the configured async mode, sized for thousands of sockets."""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask

logger = logging.getLogger(__name__)


def _settings() -> tuple[str, int, int, int]:
    return (
        os.environ.get("HOST", "0.0.0.0"),
        int(os.environ.get("PORT", "5000")),
        int(os.environ.get("MAX_CONNECTIONS", "20000")),
        int(os.environ.get("LISTEN_BACKLOG", "2048")),
    )


def serve_eventlet(app: Flask) -> None:
    """eventlet's own WSGI server (gunicorn >= 26 has no eventlet worker)."""
    import eventlet
    import eventlet.wsgi

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
    args = [
        sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--no-control-socket",
        "--worker-connections", str(max_connections), "--backlog", str(backlog),
        "-b", f"{host}:{port}", "--graceful-timeout", "5", "wsgi:app",
    ]  # fmt: skip
    os.execvp(args[0], args)
