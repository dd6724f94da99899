"""Socket.IO wiring and the only code that emits: rooms, emit(), and the worker's write-only emitter."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_socketio import SocketIO

from novacart.extensions import socketio

logger = logging.getLogger(__name__)

STAFF_ROOM = "staff"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def order_room(order_id: int) -> str:
    return f"order:{order_id}"


def init_app(app: Flask, *, worker: bool = False) -> None:
    """Bind Socket.IO to the app; a worker gets a write-only emitter that publishes through Redis."""
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    channel = app.config["SOCKETIO_CHANNEL"]
    origins = app.config["ALLOWED_ORIGINS"] or None  # None: same origin only (python-engineio's default)
    if worker:
        # Built without an app, SocketIO is write-only: it publishes and runs no Redis listener thread.
        app.extensions["novacart.emitter"] = SocketIO(message_queue=queue, channel=channel, async_mode="threading")
        return
    socketio.init_app(
        app,
        message_queue=queue,
        channel=channel,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE") or app.config["ASYNC_MODE"],
        cors_allowed_origins=origins,
        max_http_buffer_size=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 64 * 1024),
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 25),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
    )
    app.extensions["novacart.emitter"] = socketio


def emit(event: str, data: Any, *, room: str) -> None:
    """Emit a wire event to one room, from a web process or a worker alike."""
    emitter: SocketIO = current_app.extensions["novacart.emitter"]
    emitter.emit(event, data, to=room)
