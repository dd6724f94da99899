"""Socket.IO test clients (in-process) for the notification tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def socket_for(app, client):
    """Connect an in-process Socket.IO client with a user's auth headers; disconnects them after the test."""
    from novacart.extensions import socketio

    opened = []

    def connect(headers: dict | None = None, auth: dict | None = None):
        if auth is None and headers is not None:
            auth = {"token": headers["Authorization"].split(" ", 1)[1]}
        sock = socketio.test_client(app, auth=auth, flask_test_client=app.test_client())
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def events(sock, name: str) -> list:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def received(sock) -> list[tuple[str, object]]:
    return [(e["name"], e["args"][0] if e["args"] else None) for e in sock.get_received()]


def wait_for_queue_depth(depth: int, timeout: float = 5.0) -> None:
    """Acks are applied in batches by a background flusher: wait (bounded) until the queue holds `depth`."""
    import time

    from novacart.extensions import db
    from novacart.notifications import delivery

    deadline = time.monotonic() + timeout
    while delivery.queue_stats()["depth"] != depth:
        db.session.rollback()
        if time.monotonic() > deadline:
            raise TimeoutError(f"delivery queue did not reach {depth} in {timeout}s")
        time.sleep(0.02)
