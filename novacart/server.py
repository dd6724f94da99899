"""Run the web process in the configured async mode, sized for thousands of sockets."""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask

logger = logging.getLogger(__name__)


def serve(app: Flask) -> None:
    host = os.environ.get("HOST", "0.0.0.0")
    port = app.config["PORT"]
    mode = app.config["ASYNC_MODE"]
    max_connections = int(os.environ.get("MAX_CONNECTIONS", "20000"))
    backlog = int(os.environ.get("LISTEN_BACKLOG", "2048"))
    logger.info("NovaCart web listening on http://%s:%s (%s)", host, port, mode)
    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        # eventlet's defaults (1,024 connections, backlog 50) hang the 1,025th client.
        listener = eventlet.listen((host, port), backlog=backlog)
        eventlet.wsgi.server(listener, app, max_size=max_connections, log_output=False, keepalive=True)
    elif mode == "gevent":
        # gevent is served by gunicorn's gevent worker (one process: Socket.IO needs sticky sessions).
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            "gevent",
            "-w",
            "1",
            "--no-control-socket",
            "--worker-connections",
            str(max_connections),
            "--backlog",
            str(backlog),
            "-b",
            f"{host}:{port}",
            "--graceful-timeout",
            "5",
            "wsgi:app",
        ]
        os.execvp(args[0], args)
    else:
        raise SystemExit(f"ASYNC_MODE must be eventlet or gevent, not {mode!r}")
