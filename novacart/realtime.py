"""Socket.IO wiring and the only code that emits: rooms, emit(), emit_many() and the worker's write-only emitter."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import socketio as python_socketio
from flask import Flask, current_app
from flask_socketio import SocketIO

from novacart import fastjson
from novacart.extensions import socketio
from novacart.wire import WireEvent

logger = logging.getLogger(__name__)

STAFF_ROOM = "staff"
BATCH_SIZE = 500  # emits per Redis message: ~200 KB of notifications
LISTEN_RETRY_SECONDS = 1.0


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def order_room(order_id: int) -> str:
    return f"order:{order_id}"


class _Room(dict):
    """A room's members (sid → engine.io sid) as a plain dict, where python-socketio makes a bidict.

    Only the room of every connected sid (`None`) is looked up backwards (eio sid → sid); the per-socket
    and per-user rooms never are, and a bidict of one member costs 465 bytes against a dict's 192
    (tracemalloc). python-socketio reads a room's members as `room._fwdm`: that is the dict itself.

    A socket's own room also lists the other rooms that socket has joined (`joined`), so that its
    disconnect visits those and not every room of the process (BatchingRedisManager.basic_disconnect).
    """

    __slots__ = ("joined",)

    def __init__(self) -> None:
        super().__init__()
        self.joined: tuple[str, ...] = ()

    @property
    def _fwdm(self) -> dict:
        return self


class BatchingRedisManager(python_socketio.RedisManager):
    """The Redis client manager, plus `emit_many`: many per-room emits published as one Redis message.

    A fan-out to 10,000 users is then 20 publishes instead of 10,000; every web process unpacks the
    batch and relays each emit to its own sockets. Plain emits work exactly as before.

    In a web process (`coalesce()`), emit_many delivers to this process's sockets at once and hands the
    rest to one publisher task: it publishes what is waiting, and what arrives while that publish is on
    its way goes out together in the next one. An idle process publishes each emit at once; a busy one
    sends one Redis message for many API calls' notifications, where each call paid its own round trip
    (~20 % of the web's CPU under load, py-spy) and every other process decoded one message per emit.
    """

    _outbox: dict[str, list[dict]] | None = None

    def basic_enter_room(self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None) -> None:
        # A new room other than `None` starts as a _Room, which python-socketio then fills as it would its
        # bidict (two rooms of one member each per socket: 0.5 KiB of a socket's ~60 KiB).
        rooms = self.rooms.get(namespace)
        if (
            room is not None
            and rooms is not None
            and room not in rooms
            and (sid == room or not self.is_sid_room(namespace, room))
        ):
            rooms[room] = _Room()
        super().basic_enter_room(sid, namespace, room, eio_sid)
        own = self._own_room(sid, namespace)
        if own is not None and room is not None and room != sid and room not in own.joined:
            own.joined += (room,)

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        own = self._own_room(sid, namespace)
        if own is not None and room in own.joined:
            own.joined = tuple(joined for joined in own.joined if joined != room)
        super().basic_leave_room(sid, namespace, room)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """python-socketio's disconnect, shown only the rooms this socket is in.

        python-socketio finds a socket's rooms by copying and walking every room of the namespace: at
        20,000 sockets (40,000 rooms) that was 1.4-1.9 ms of CPU per disconnect, 30-40 s for a mass
        reconnect. The socket's own room knows them (`_Room.joined`); python-socketio runs unchanged on
        a namespace of just those rooms (no other task runs meanwhile: nothing here waits), and the rooms
        it emptied are then removed from the whole.
        """
        rooms = self.rooms.get(namespace)
        own = self._own_room(sid, namespace)
        if own is None:  # not connected here, or not through basic_enter_room: python-socketio's walk
            super().basic_disconnect(sid, namespace, **kwargs)
            return
        names = (None, sid, *own.joined)
        mine = {name: rooms[name] for name in names if name in rooms}
        self.rooms[namespace] = mine
        try:
            super().basic_disconnect(sid, namespace, **kwargs)
        finally:
            for name in names:
                if name not in mine:  # emptied: python-socketio deleted it from `mine`
                    rooms.pop(name, None)
            if rooms:
                self.rooms[namespace] = rooms
            else:
                self.rooms.pop(namespace, None)

    def _own_room(self, sid: str, namespace: str) -> _Room | None:
        own = self.rooms.get(namespace, {}).get(sid)
        return own if isinstance(own, _Room) else None

    def coalesce(self) -> None:
        """Publish emit_many's emits from one background task (web processes, once the server is bound)."""
        self._outbox = {}
        self._outbox_ready = self.server.eio.create_event()
        self.server.start_background_task(self._publish_outbox)

    def emit_many(self, items: Sequence[tuple[str, Any, str]], namespace: str = "/") -> None:
        batch = [{"event": event, "data": [data], "room": room} for event, data, room in items]
        message = {"method": "emit", "namespace": namespace, "host_id": self.host_id, "batch": batch}
        self._handle_emit(message)  # this host's sockets (none in a write-only worker)
        if self._outbox is None:
            self._publish(message)  # every other host
            return
        self._outbox.setdefault(namespace, []).extend(batch)
        self._outbox_ready.set()

    def _publish_outbox(self) -> None:
        while True:
            self._outbox_ready.wait()
            self._outbox_ready.clear()
            outbox, self._outbox = self._outbox, {}
            for namespace, batch in outbox.items():
                for start in range(0, len(batch), BATCH_SIZE):
                    try:
                        self._publish(
                            {
                                "method": "emit",
                                "namespace": namespace,
                                "host_id": self.host_id,
                                "batch": batch[start : start + BATCH_SIZE],
                            }
                        )
                    except Exception:  # the delivery queue re-sends what a lost publish did not carry
                        logger.exception("publishing %d emits failed", len(batch[start : start + BATCH_SIZE]))

    def _handle_emit(self, message: dict) -> None:
        namespace = message.get("namespace")
        batch = message.get("batch")
        if batch is None:
            if self._holds(namespace, message.get("room")):
                super()._handle_emit(message)
            return
        for item in batch:
            if self._holds(namespace, item.get("room")):
                super()._handle_emit({**item, "namespace": namespace, "binary": False})

    def _holds(self, namespace: str | None, room: Any) -> bool:
        """Whether a socket of this process is in `room`: every process receives every emit on the channel.

        python-socketio encodes the packet before it looks for the room's sockets, so an emit for a room
        held by another process cost as much as one delivered: with 4 processes, three quarters of each
        one's relaying work (bench/scaling.py). Rooms with no socket here are skipped before that.
        """
        if room is None:  # to everyone in the namespace
            return True
        rooms = self.rooms.get(namespace or "/")
        if not rooms:
            return False
        if isinstance(room, str):
            return room in rooms
        return any(r in rooms for r in room)

    def _redis_listen_with_retries(self):  # pragma: no cover  (exercised by tests/system)
        """python-socketio's listener loop, retrying every second instead of doubling up to 60 s.

        With doubling sleeps a web process stayed deaf to every emit for ~30 s after a 20 s Redis
        outage (resubscribing only at 1+2+4+8+16 s), so live notifications waited for the resend sweep.
        """
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                yield from self.pubsub.listen()
            except Exception as exc:
                logger.warning("Socket.IO lost its Redis subscription (%s); retrying in 1 s", exc)
                subscribed = False
                time.sleep(LISTEN_RETRY_SECONDS)


def init_app(app: Flask, *, worker: bool = False, serving: bool = False) -> None:
    """Bind Socket.IO to the app; a worker gets a write-only emitter that publishes through Redis."""
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    channel = app.config["SOCKETIO_CHANNEL"]
    origins = app.config["ALLOWED_ORIGINS"] or None  # None: same origin only (python-engineio's default)
    # Always named: `socketio` is one object, and an earlier app's Redis manager must not outlive its app.
    manager = {
        "client_manager": BatchingRedisManager(queue, channel=channel, write_only=worker, json=fastjson.channel)
        if queue
        else None
    }
    if worker:
        # Built without an app, SocketIO is write-only: it publishes and runs no Redis listener thread.
        app.extensions["novacart.emitter"] = SocketIO(message_queue=queue, async_mode="threading", **manager)
        return
    socketio.init_app(
        app,
        message_queue=queue,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE") or app.config["ASYNC_MODE"],
        cors_allowed_origins=origins,
        max_http_buffer_size=app.config.get("SOCKETIO_MAX_MESSAGE_BYTES", 64 * 1024),
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 25),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
        # A socket's events run one after another in its reader: a flooding client is throttled and cut
        # off (sockets.py) before it can queue thousands of handlers that starve every other socket.
        async_handlers=False,
        json=fastjson,  # packets (and, through the manager, Redis messages) encoded by orjson
        # Several processes on one port (WEB_CONCURRENCY): a long-polling session's requests would land on
        # any of them, so only WebSocket is offered (a polling client gets a 400 at once, not a session
        # that breaks on its second request). One process, or one per port behind sticky nginx: both.
        transports=["websocket"] if app.config.get("WEB_CONCURRENCY", 1) > 1 else ["polling", "websocket"],
        **manager,
    )
    app.extensions["novacart.emitter"] = socketio
    if socketio.server.eio.async_mode == "gevent":
        from novacart import sockqueue  # imports gevent: not in an eventlet process

        sockqueue.install(socketio.server.eio)  # each socket's outgoing queue in 0.3 KiB, not 2.6
    if not app.config.get("WEBSOCKET_COMPRESSION", False):
        app.wsgi_app = _without_websocket_compression(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = _socket_under_werkzeug_name(app.wsgi_app)  # type: ignore[method-assign]
    if serving:
        from novacart import pings

        pings.install(socketio.server.eio)
    if serving and queue:
        # python-socketio subscribes to Redis on the first client connection; an emit published
        # before that subscription completes would miss this process. Subscribe at start-up instead.
        socketio.server.manager_initialized = True
        socketio.server.manager.initialize()
        socketio.server.manager.coalesce()


def _without_websocket_compression(wsgi_app):
    """Decline permessage-deflate: hide the browser's offer from the WebSocket handshake.

    Browsers always offer it and eventlet and simple-websocket always accept it, which keeps a zlib
    compressor and decompressor (~100 KiB) alive per socket — most of a socket's memory — to squeeze
    notifications of a few hundred bytes. WEBSOCKET_COMPRESSION=true turns it back on.
    """

    def middleware(environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return wsgi_app(environ, start_response)

    return middleware


def _socket_under_werkzeug_name(wsgi_app):
    """Hand gunicorn's socket to simple-websocket under the name it looks for first.

    python-engineio's middleware defines a new class for every request that carries `gunicorn.socket`
    (an adapter for eventlet's websocket module, unused under gevent) and leaves an instance in the
    environ, which a socket keeps for its lifetime: ~2.5 KiB per socket held, and a reference cycle for
    the garbage collector on every API request. simple-websocket reads `werkzeug.socket` first.
    """

    def middleware(environ, start_response):
        sock = environ.pop("gunicorn.socket", None)
        if sock is None:
            return wsgi_app(environ, start_response)
        environ["werkzeug.socket"] = sock
        try:
            return wsgi_app(environ, start_response)
        except ConnectionError as exc:
            # A finished WebSocket under the werkzeug name ends with a bare ConnectionError (python-engineio
            # tells werkzeug's server so); gunicorn would log it as "Socket error processing request" with a
            # traceback after every normal close. StopIteration is what engineio raises for gunicorn itself.
            upgraded = "upgrade" in environ.get("HTTP_CONNECTION", "").lower()
            if type(exc) is ConnectionError and not exc.args and upgraded:
                raise StopIteration from None
            raise

    return middleware


def emit(event: WireEvent, data: Any, *, room: str | list[str]) -> None:
    """Emit a wire event (novacart/wire.py) to one room (or a list of rooms, each socket once), from a web
    process or a worker."""
    emitter: SocketIO = current_app.extensions["novacart.emitter"]
    emitter.emit(event.name, data, to=room)


def emit_many(items: Sequence[tuple[WireEvent, Any, str]]) -> None:
    """Emit many (event, data, room) triples: batched into few Redis messages when a queue is configured."""
    emitter: SocketIO = current_app.extensions["novacart.emitter"]
    manager = emitter.server.manager
    named = [(event.name, data, room) for event, data, room in items]
    if isinstance(manager, BatchingRedisManager):
        for start in range(0, len(named), BATCH_SIZE):
            manager.emit_many(named[start : start + BATCH_SIZE])
    else:
        for event, data, room in named:
            emitter.emit(event, data, to=room)
