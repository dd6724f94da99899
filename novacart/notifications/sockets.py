"""Inbound Socket.IO handlers: authenticated connect with queue replay, joinRoom, notification:ack.

Handlers stay thin, like routes: authenticate, validate, call a service. Each web process keeps the
state of its own sockets only (who they are, their event budget); everything shared is in Redis.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import flask_login
import redis
from flask import Flask, current_app, request
from flask_jwt_extended import decode_token
from flask_socketio import ConnectionRefusedError, emit, join_room
from limits import parse as parse_limit

from novacart import metrics, realtime, wire
from novacart.auth import security
from novacart.auth import services as auth_services
from novacart.auth.models import EMPLOYEE_ROLES, User
from novacart.db import utcnow
from novacart.errors import DomainError, ErrorCode
from novacart.extensions import db, limiter, socketio
from novacart.kv import redis_client
from novacart.notifications import acks, delivery
from novacart.orders import services as order_services

logger = logging.getLogger(__name__)

ORDER_ROOM = re.compile(r"^order:([1-9][0-9]{0,17})$")
MAX_ACK_IDS = 500  # per notification:ack event; a client acknowledges in batches far smaller
# The watcher looks back this far past its previous look, so a change committed a little after the
# moment it was stamped (a slow transaction, another host's clock) is still seen.
ACCESS_LOOKBACK = timedelta(seconds=10)


@dataclass(slots=True)  # one per socket: no __dict__ each
class SocketState:
    user_id: int
    jti: str | None  # the access token's id, or the dashboard session's blocklist entry
    expires_at: float | None  # the access token's `exp`; None for a dashboard session
    tokens: float
    last: float = field(default_factory=time.monotonic)


_sockets: dict[str, SocketState] = {}
# The sockets by user, by token id and by the second their token expires (rounded up): the access
# watcher looks up what changed instead of walking every socket each second (10,000 sockets: a few
# milliseconds of a busy process's CPU every second).
_by_user: dict[int, set[str]] = {}
_by_jti: dict[str, set[str]] = {}
_by_expiry: dict[int, set[str]] = {}
_watcher_started = False


def held() -> int:
    """The sockets this process holds (their handlers have let them in)."""
    return len(_sockets)


def _track(sid: str, state: SocketState) -> None:
    _sockets[sid] = state
    _by_user.setdefault(state.user_id, set()).add(sid)
    if state.jti is not None:
        _by_jti.setdefault(state.jti, set()).add(sid)
    if state.expires_at is not None:
        _by_expiry.setdefault(_expiry_second(state), set()).add(sid)


def _forget(sid: str) -> SocketState | None:
    state = _sockets.pop(sid, None)
    if state is not None:
        _discard(_by_user, state.user_id, sid)
        _discard(_by_jti, state.jti, sid)
        _discard(_by_expiry, _expiry_second(state), sid)
    return state


def _expiry_second(state: SocketState) -> int | None:
    return None if state.expires_at is None else math.ceil(state.expires_at)


def _discard(index: dict[Any, set[str]], key: Any, sid: str) -> None:
    sids = index.get(key)
    if sids is not None:
        sids.discard(sid)
        if not sids:
            del index[key]


def _refuse(reason: str) -> ConnectionRefusedError:
    metrics.SOCKET_EVENTS_REFUSED.labels(reason=reason).inc()
    return ConnectionRefusedError(ErrorCode.UNAUTHORIZED.value)


def _authenticate(auth: Any) -> tuple[int, bool, str | None, float | None]:
    """Who is behind a connection (user id, whether an employee), the id to revoke it by and when it
    expires: an access token in `auth.token`, else the dashboard's session."""
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
            # The columns only: a socket needs no ORM User (building and merging one was a twentieth of
            # a connect's CPU, py-spy).
            fields, revoked = auth_services.principal_fields(int(claims["sub"]), claims["jti"])
        except (TypeError, ValueError):
            fields, revoked = None, auth_services.is_token_revoked(claims["jti"])
        if revoked:
            raise _refuse("revoked")
        if fields is None or not fields["is_active_account"]:
            raise _refuse("unknown_user")
        return fields["id"], fields["role"] in EMPLOYEE_ROLES, claims["jti"], claims.get("exp")
    session_user = flask_login.current_user
    if session_user is not None and session_user.is_authenticated:
        return session_user.id, session_user.is_employee, security.current_session_jti(), None
    raise _refuse("missing_token")


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    try:
        user_id, is_employee, jti, expires_at = _authenticate(auth)
    except ConnectionRefusedError:
        raise
    except Exception as exc:
        # The user or the token blocklist (both in the database) cannot be read: nobody is let in. Left to
        # Flask-SocketIO's error handler, the connection would have been accepted.
        logger.warning("refusing a socket: its user or token revocation could not be checked (%r)", exc)
        db.session.rollback()
        raise _refuse("unavailable") from None
    # The reads are done: the connection goes back to the pool before this handler waits on anything. A
    # thousand sockets connecting at once each held one while waiting for the ack flush below, which then
    # waited 30 s for a connection of its own (the bench's replay scenario: 98 of 1,000 got in).
    db.session.rollback()
    config = current_app.config
    if not _connect_allowed(config, user_id):
        metrics.SOCKET_EVENTS_REFUSED.labels(reason="connect_rate").inc()
        raise ConnectionRefusedError(ErrorCode.RATE_LIMITED.value)
    sid = request.sid
    _track(sid, SocketState(user_id, jti, expires_at, tokens=config["SOCKET_EVENT_BURST"]))
    join_room(realtime.user_room(user_id))
    if is_employee:
        join_room(realtime.STAFF_ROOM)
    metrics.CONNECTED_SOCKETS.inc()
    _start_access_watcher()
    _close_beyond_limit(config, user_id, sid)
    # Replay what this user has not acknowledged yet, oldest first, to this socket only (after
    # applying the acks this process already holds, so a quick reconnect does not replay them).
    acks.buffer.flush()
    queued = delivery.queued_for(user_id)
    db.session.rollback()  # and again before the emits
    for item in queued:
        # to this socket, which this process holds: straight to it, not through Redis (a thousand sockets
        # connecting at once published 20,000 replays and ran redis-py's pool out of connections)
        emit(wire.NOTIFICATION.name, item, ignore_queue=True)


@socketio.on("disconnect")
def on_disconnect(*_: Any) -> None:
    state = _forget(request.sid)
    if state is None:
        return
    metrics.CONNECTED_SOCKETS.dec()
    try:
        redis_client().zrem(_user_sockets_key(state.user_id), request.sid)
    except redis.RedisError:
        logger.warning("could not forget socket %s of user %s", request.sid, state.user_id)


def _user_sockets_key(user_id: int) -> str:
    return f"novacart:sockets:user:{user_id}"


def _connect_allowed(config: Any, user_id: int) -> bool:
    """SOCKET_CONNECT_RATE_LIMIT per user, across every web process (Flask-Limiter's Redis storage)."""
    try:
        return limiter.limiter.hit(parse_limit(config["SOCKET_CONNECT_RATE_LIMIT"]), "socket-connect", str(user_id))
    except Exception:  # the limit is a defence, not authentication: Redis down lets the user in
        logger.warning("socket connect rate check failed for user %s", user_id, exc_info=True)
        return True


def _close_beyond_limit(config: Any, user_id: int, sid: str) -> None:
    """Keep each user to MAX_SOCKETS_PER_USER sockets across every web process: the oldest are closed.

    The user's sockets are a Redis sorted set by connect time; closing one held by another process goes
    to it through the Socket.IO channel. An entry left by a crashed process is closed harmlessly.
    """
    key, limit = _user_sockets_key(user_id), config["MAX_SOCKETS_PER_USER"]
    try:
        pipe = redis_client().pipeline()
        pipe.zadd(key, {sid: time.time()})
        pipe.expire(key, 86400)
        pipe.zcard(key)
        count = pipe.execute()[-1]
        if count <= limit:
            return
        oldest = [s.decode() for s in redis_client().zrange(key, 0, count - limit - 1)]
        redis_client().zrem(key, *oldest)
    except redis.RedisError:
        logger.warning("could not count the sockets of user %s", user_id, exc_info=True)
        return
    for old in oldest:
        if old != sid:
            logger.info("user %s has more than %d sockets; closing the oldest, %s", user_id, limit, old)
            metrics.SOCKET_EVENTS_REFUSED.labels(reason="too_many_sockets").inc()
            socketio.server.disconnect(old)


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


def _error(code: ErrorCode, message: str, *, sid: str | None = None, **extra: Any) -> None:
    """The contract's `error` event to one socket (this event's, unless `sid` is given)."""
    socketio.server.emit(wire.ERROR.name, {"code": code, "message": message, **extra}, to=sid or request.sid)


TRY_AGAIN = "That did not work; try again."


@socketio.on(wire.JOIN_ROOM.name)
def on_join_room(payload: Any = None) -> None:
    state = _current()
    if state is None:
        return
    room = payload.get("room") if isinstance(payload, dict) else None
    match = ORDER_ROOM.match(room) if isinstance(room, str) else None
    if match is None:
        _error(
            ErrorCode.INVALID_ROOM, "Only order:<id> rooms can be joined.", room=room if isinstance(room, str) else None
        )
        return
    viewer = db.session.get(User, state.user_id)
    try:
        order_services.get_order(viewer, int(match.group(1)))
    except DomainError:
        metrics.SOCKET_EVENTS_REFUSED.labels(reason="foreign_room").inc()
        _error(ErrorCode.FORBIDDEN, "You cannot follow this order.", room=room)
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
            _error(ErrorCode.INVALID_ACK, "notification:ack takes {ids: [integers]}.", sid=sid)
            return
        if len(ids) > MAX_ACK_IDS:
            _error(ErrorCode.TOO_MANY_IDS, f"Acknowledge at most {MAX_ACK_IDS} ids at a time.", sid=sid)
            return
        acks.buffer.submit(app, state.user_id, ids)
    except Exception:
        logger.exception("notification:ack failed")
        _error(ErrorCode.INTERNAL_ERROR, TRY_AGAIN, sid=sid)


def init_app(app: Flask) -> None:
    """Register the handlers that bypass Flask-SocketIO (after socketio.init_app built the server)."""
    if getattr(socketio, "server", None) is not None:
        socketio.server.on(wire.NOTIFICATION_ACK.name, functools.partial(on_ack, app), namespace="/")


@socketio.on_error_default
def on_socket_error(exc: Exception) -> None:
    logger.exception("socket event failed", exc_info=exc)
    db.session.rollback()
    _error(ErrorCode.INTERNAL_ERROR, TRY_AGAIN)


def _start_access_watcher() -> None:
    global _watcher_started
    if not _watcher_started:
        _watcher_started = True
        socketio.start_background_task(_watch_access, current_app._get_current_object())


def _watch_access(app: Flask) -> None:
    """Access follows the account: every ACCESS_CHECK_SECONDS, act on this process's sockets whose token
    expired, was revoked (a sign-out, on the API or the dashboard), or whose user was deactivated or
    demoted since the last look. Two indexed queries per look, however many sockets are open."""
    since = utcnow()
    while True:
        socketio.sleep(app.config["ACCESS_CHECK_SECONDS"])
        try:
            looked_at = utcnow()
            with app.app_context():
                revoked = auth_services.revoked_since(since - ACCESS_LOOKBACK)
                changed = auth_services.access_changed_since(since - ACCESS_LOOKBACK)
                db.session.remove()
            since = looked_at
            _apply_access(revoked, changed, time.time())
        except Exception:
            logger.warning("access check failed", exc_info=True)


def _apply_access(revoked: set[str], changed: list[auth_services.Access], now: float) -> None:
    # a bucket holds the tokens expiring within one second, all expired by its end
    for second in [second for second in _by_expiry if second <= now]:
        for sid in list(_by_expiry.get(second, ())):
            _drop(sid, "token_expired", "its token expired")
    for jti in revoked:
        for sid in list(_by_jti.get(jti, ())):
            _drop(sid, "revoked", "its token was revoked")
    for access in changed:
        for sid in list(_by_user.get(access.user_id, ())):
            if not access.is_active:
                _drop(sid, "deactivated", "the user was deactivated")
            elif access.is_employee:
                socketio.server.enter_room(sid, realtime.STAFF_ROOM)
            else:
                socketio.server.leave_room(sid, realtime.STAFF_ROOM)


def _drop(sid: str, reason: str, why: str) -> None:
    state = _sockets.get(sid)
    if state is None:  # gone already: its disconnect handler forgot it
        return
    logger.info("dropping socket %s of user %s: %s", sid, state.user_id, why)
    metrics.SOCKET_EVENTS_REFUSED.labels(reason=reason).inc()
    socketio.server.disconnect(sid)
