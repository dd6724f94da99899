"""Inbound Socket.IO handlers: authenticated connect with queue replay, joinRoom, notification:ack.

Handlers stay thin, like routes: authenticate, validate, call a service. Each web process keeps the
state of its own sockets only (who they are, their event budget); everything shared is in Redis.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import flask_login
from flask import Flask, current_app, request
from flask_jwt_extended import decode_token
from flask_socketio import ConnectionRefusedError, emit, join_room

from novacart import metrics, realtime
from novacart.auth import services as auth_services
from novacart.auth.models import User
from novacart.errors import DomainError
from novacart.extensions import db, socketio
from novacart.notifications import acks, services
from novacart.orders import services as order_services

logger = logging.getLogger(__name__)

ORDER_ROOM = re.compile(r"^order:([1-9][0-9]{0,17})$")
REVOCATION_CHECK_SECONDS = 2.0


@dataclass
class SocketState:
    user_id: int
    jti: str | None
    tokens: float
    last: float = field(default_factory=time.monotonic)


_sockets: dict[str, SocketState] = {}
_watcher_started = False


def _refuse(reason: str) -> ConnectionRefusedError:
    metrics.SOCKET_EVENTS_REFUSED.labels(reason=reason).inc()
    return ConnectionRefusedError("unauthorized")


def _authenticate(auth: Any) -> tuple[User, str | None]:
    """The user behind a connection: an access token in `auth.token`, else the dashboard's session."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is not None:
        if not isinstance(token, str) or len(token) > 4096:
            raise _refuse("bad_token")
        try:
            claims = decode_token(token)
        except Exception:
            raise _refuse("bad_token") from None
        if claims.get("type") != "access":
            raise _refuse("not_access_token")
        try:
            user, revoked = auth_services.principal(int(claims["sub"]), claims["jti"])
        except (TypeError, ValueError):
            user, revoked = None, auth_services.is_token_revoked(claims["jti"])
        if revoked:
            raise _refuse("revoked")
        if user is None or not user.is_active_account:
            raise _refuse("unknown_user")
        return user, claims["jti"]
    session_user = flask_login.current_user
    if session_user is not None and session_user.is_authenticated:
        return session_user._get_current_object(), None
    raise _refuse("missing_token")


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    try:
        user, jti = _authenticate(auth)
    except ConnectionRefusedError:
        raise
    except Exception as exc:
        # The user or the token blocklist (both in the database) cannot be read: nobody is let in. Left to
        # Flask-SocketIO's error handler, the connection would have been accepted.
        logger.warning("refusing a socket: its user or token revocation could not be checked (%r)", exc)
        db.session.rollback()
        raise _refuse("unavailable") from None
    _sockets[request.sid] = SocketState(user_id=user.id, jti=jti, tokens=current_app.config["SOCKET_EVENT_BURST"])
    join_room(realtime.user_room(user.id))
    if user.is_employee:
        join_room(realtime.STAFF_ROOM)
    metrics.CONNECTED_SOCKETS.inc()
    _start_revocation_watcher()
    # Replay what this user has not acknowledged yet, oldest first, to this socket only (after
    # applying the acks this process already holds, so a quick reconnect does not replay them).
    acks.buffer.flush()
    for item in services.queued_for(user.id):
        emit("notification", item)


@socketio.on("disconnect")
def on_disconnect(*_: Any) -> None:
    if _sockets.pop(request.sid, None) is not None:
        metrics.CONNECTED_SOCKETS.dec()


def _current() -> SocketState | None:
    return _charge(current_app.config, request.sid)


def _charge(config: Any, sid: str) -> SocketState | None:
    """This socket's state, after charging one event to its budget; a flooding socket is cut off."""
    state = _sockets.get(sid)
    if state is None:
        return None
    now = time.monotonic()
    rate, burst = config["SOCKET_EVENT_RATE"], config["SOCKET_EVENT_BURST"]
    state.tokens = min(burst, state.tokens + (now - state.last) * rate)
    state.last = now
    if state.tokens < 1:
        metrics.SOCKET_EVENTS_REFUSED.labels(reason="flood").inc()
        logger.warning("socket of user %s flooded events; disconnecting it", state.user_id)
        # Close the connection itself, not only the namespace: otherwise the server goes on reading and
        # decoding everything the flooder has still queued, at the cost of every other socket.
        eio_sid = socketio.server.manager.eio_sid_from_sid(sid, "/")
        socketio.server.disconnect(sid)
        if eio_sid is not None:
            socketio.server.eio.disconnect(eio_sid)
        return None
    state.tokens -= 1
    return state


def _error(code: str, message: str, *, sid: str | None = None, **extra: Any) -> None:
    """The contract's `error` event to one socket (this event's, unless `sid` is given)."""
    socketio.server.emit("error", {"code": code, "message": message, **extra}, to=sid or request.sid)


TRY_AGAIN = "That did not work; try again."


@socketio.on("joinRoom")
def on_join_room(payload: Any = None) -> None:
    state = _current()
    if state is None:
        return
    room = payload.get("room") if isinstance(payload, dict) else None
    match = ORDER_ROOM.match(room) if isinstance(room, str) else None
    if match is None:
        _error("invalid_room", "Only order:<id> rooms can be joined.", room=room if isinstance(room, str) else None)
        return
    viewer = db.session.get(User, state.user_id)
    try:
        order_services.get_order(viewer, int(match.group(1)))
    except DomainError:
        metrics.SOCKET_EVENTS_REFUSED.labels(reason="foreign_room").inc()
        _error("forbidden", "You cannot follow this order.", room=room)
        return
    join_room(room)


def on_ack(app: Flask, sid: str, payload: Any = None) -> None:
    """`notification:ack {ids}`: the most frequent event (one per delivered notification, batched by clients).

    Registered on python-socketio directly (init_app), not through Flask-SocketIO: it needs no request,
    session or database here, and building a Flask request context per ack was a fifth of the web
    process's time in a 10,000-socket fan-out. The ids go to the ack buffer, applied in batches.
    """
    try:
        state = _charge(app.config, sid)
        if state is None:
            return
        ids = payload.get("ids") if isinstance(payload, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            _error("invalid_ack", "notification:ack takes {ids: [integers]}.", sid=sid)
            return
        acks.buffer.submit(app, state.user_id, ids)
    except Exception:
        logger.exception("notification:ack failed")
        _error("internal_error", TRY_AGAIN, sid=sid)


def init_app(app: Flask) -> None:
    """Register the handlers that bypass Flask-SocketIO (after socketio.init_app built the server)."""
    if getattr(socketio, "server", None) is not None:
        socketio.server.on("notification:ack", functools.partial(on_ack, app), namespace="/")


@socketio.on_error_default
def on_socket_error(exc: Exception) -> None:
    logger.exception("socket event failed", exc_info=exc)
    db.session.rollback()
    _error("internal_error", TRY_AGAIN)


def _start_revocation_watcher() -> None:
    global _watcher_started
    if not _watcher_started:
        _watcher_started = True
        socketio.start_background_task(_watch_revocations, current_app._get_current_object())


def _watch_revocations(app) -> None:
    """Drop sockets whose access token was revoked (a sign-out elsewhere) within a few seconds.

    Asks the database for the revoked access tokens (a handful: sign-outs of the last token lifetime),
    not for each socket's token: the cost does not grow with the number of sockets.
    """
    window = timedelta(minutes=app.config["ACCESS_TOKEN_MINUTES"], seconds=60)
    while True:
        socketio.sleep(REVOCATION_CHECK_SECONDS)
        try:
            with app.app_context():
                revoked = auth_services.revoked_expiring_within(window)
                db.session.remove()
            if not revoked:
                continue
            for sid, state in list(_sockets.items()):
                if state.jti in revoked:
                    logger.info("dropping socket %s: its token was revoked", sid)
                    socketio.server.disconnect(sid)
        except Exception:
            logger.warning("revocation check failed", exc_info=True)
