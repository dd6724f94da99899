"""Socket handlers meeting the unexpected: a failing handler, the blocklist unreadable at connect, and the
revocation watcher meeting errors. Faults are injected in the database (tests/faults.py)."""

from __future__ import annotations

import logging

from tests.e2e.harness import wait_until
from tests.faults import table_unavailable
from tests.notifications.conftest import events


def test_a_failing_socket_handler_rolls_back_and_answers_internal_error(
    client, customer, make_product, socket_for, caplog
):
    from novacart.extensions import db

    body = {"items": [{"product_id": make_product(), "quantity": 1}], "shipping_address": "1 Paper Street"}
    order_id = client.post("/api/orders", json=body, headers=customer[1]).get_json()["id"]
    sock = socket_for(customer[1])
    sock.get_received()
    db.session.expire_all()  # in production each event runs in a new session: nothing is cached
    # when
    with caplog.at_level(logging.ERROR, logger="novacart.notifications.sockets"), table_unavailable("orders"):
        sock.emit("joinRoom", {"room": f"order:{order_id}"})
    # then
    assert [e["code"] for e in events(sock, "error")] == ["internal_error"]
    assert any(r.getMessage() == "socket event failed" for r in caplog.records)
    # the session was rolled back: the same socket's next event works (PostgreSQL refuses an aborted one)
    sock.emit("joinRoom", {"room": f"order:{order_id}"})
    assert events(sock, "error") == [] and sock.is_connected()


def test_socket_connect_fails_closed_when_the_blocklist_cannot_be_read(app, customer, caplog):
    from novacart.extensions import socketio

    # when
    with caplog.at_level(logging.WARNING, logger="novacart.notifications.sockets"), table_unavailable("revoked_tokens"):
        refused = socketio.test_client(app, auth={"token": customer[1]["Authorization"].split(" ", 1)[1]})
        connected_while_down = refused.is_connected()
    # then
    assert not connected_while_down
    assert any(r.getMessage().startswith("refusing a socket") for r in caplog.records)
    admitted = socketio.test_client(app, auth={"token": customer[1]["Authorization"].split(" ", 1)[1]})
    assert admitted.is_connected()
    admitted.disconnect()


def test_the_access_watcher_survives_errors_and_still_drops_revoked_sockets(app, client, customer, caplog):
    from novacart.extensions import socketio

    token = customer[1]["Authorization"].split(" ", 1)[1]
    sock = socketio.test_client(app, auth={"token": token})  # (starts the watcher, if nothing did before)
    assert sock.is_connected()
    with caplog.at_level(logging.WARNING, logger="novacart.notifications.sockets"):
        # when its lookup fails for a while
        with table_unavailable("revoked_tokens"):
            wait_until(
                lambda: any(r.getMessage() == "access check failed" for r in caplog.records),
                what="the watcher to meet the error",
            )
        # then it still drops the socket of a token revoked after that
        assert client.post("/api/auth/logout", headers=customer[1]).status_code == 204
        wait_until(lambda: not sock.is_connected(), what="the revoked socket to be dropped")


def test_a_validly_signed_token_that_names_no_user_id_is_refused(app):
    from flask_jwt_extended import create_access_token

    from novacart.extensions import socketio

    sock = socketio.test_client(app, auth={"token": create_access_token(identity="not-a-number")})
    assert not sock.is_connected()
