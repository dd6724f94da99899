"""Sockets follow the account: acks count only for their owner, sockets are capped per user, and a socket
goes when its token expires or is revoked, when its user is deactivated, and leaves `staff` on demotion."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from novacart.auth import services as auth_services
from novacart.db import utcnow
from novacart.notifications import acks, delivery, sockets
from tests.notifications.conftest import events, wait_for_queue_depth


def _notify(client, staff_headers, user_id: int, title: str = "Hello") -> int:
    body = {"user_id": user_id, "type": "promotion", "title": title, "message": "for you"}
    return client.post("/api/notifications", json=body, headers=staff_headers).get_json()["id"]


def _watch(since) -> None:
    """One look of the access watcher at what changed since `since`."""
    sockets._apply_access(auth_services.revoked_since(since), auth_services.access_changed_since(since), time.time())


def test_another_users_ack_flood_does_not_clear_the_owners_queue(app, client, make_user, staff, socket_for):
    # given Alice's unacknowledged notifications, and Mallory's socket sending her ids before Alice's own ack
    alice_id, _ = make_user("customer")
    _, mallory = make_user("customer")
    ids = [_notify(client, staff[1], alice_id, f"n{i}") for i in range(3)]
    flooder = socket_for(mallory)
    # when Mallory acknowledges them, in the same batch as nobody else's
    flooder.emit("notification:ack", {"ids": ids})
    acks.buffer.flush()
    # then Alice's queue still holds them: she gets them when she connects
    assert [n["id"] for n in delivery.queued_for(alice_id)] == ids


def test_acks_of_the_owner_and_a_flooder_in_one_batch_count_for_the_owner(app, client, make_user, staff):
    alice_id, _ = make_user("customer")
    mallory_id, _ = make_user("customer")
    nid = _notify(client, staff[1], alice_id)
    # the same id from both, the flooder's last (a dict keyed by id would have kept only Mallory's)
    acks.buffer.submit(app, alice_id, [nid])
    acks.buffer.submit(app, mallory_id, [nid])
    acks.buffer.flush()
    assert delivery.queued_for(alice_id) == []


def test_an_ack_of_more_than_500_ids_is_refused(customer, socket_for):
    sock = socket_for(customer[1])
    sock.get_received()
    sock.emit("notification:ack", {"ids": list(range(1, 502))})
    assert [e["code"] for e in events(sock, "error")] == ["too_many_ids"]


def test_a_user_holds_at_most_max_sockets_the_oldest_is_closed(app, customer, socket_for):
    app.config["MAX_SOCKETS_PER_USER"] = 2
    try:
        first, second = socket_for(customer[1]), socket_for(customer[1])
        assert first.is_connected() and second.is_connected()
        third = socket_for(customer[1])
    finally:
        app.config["MAX_SOCKETS_PER_USER"] = 20
    assert not first.is_connected()
    assert second.is_connected() and third.is_connected()


def test_connecting_is_rate_limited_per_user(app, make_user, socket_for):
    _, alice = make_user("customer")
    _, bob = make_user("customer")
    app.config["SOCKET_CONNECT_RATE_LIMIT"] = "2/minute"
    try:
        allowed = [socket_for(alice).is_connected() for _ in range(3)]
        other = socket_for(bob).is_connected()
    finally:
        app.config["SOCKET_CONNECT_RATE_LIMIT"] = "60/minute"
    assert allowed == [True, True, False] and other


def test_deactivating_a_user_refuses_their_tokens_and_drops_their_sockets(client, make_user, admin, socket_for):
    # given a customer with an open socket
    since = utcnow() - timedelta(seconds=1)
    user_id, headers = make_user("customer")
    sock = socket_for(headers)
    # when an admin deactivates them
    response = client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=admin[1])
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    _watch(since)
    # then the socket is gone, the token refused, and a new socket refused
    assert not sock.is_connected()
    assert client.get("/api/auth/me", headers=headers).status_code == 401
    assert not socket_for(headers).is_connected()
    # and reactivated, they are back
    client.patch(f"/api/users/{user_id}", json={"is_active": True}, headers=admin[1])
    assert client.get("/api/auth/me", headers=headers).status_code == 200


def test_a_demoted_employee_leaves_the_staff_room(client, make_user, admin, socket_for):
    # given a staff member's socket in the staff room
    since = utcnow() - timedelta(seconds=1)
    staff_id, staff_headers = make_user("staff")
    sock = socket_for(staff_headers)
    # when an admin demotes them, and an order event goes to staff
    client.patch(f"/api/users/{staff_id}", json={"role": "customer"}, headers=admin[1])
    _watch(since)
    sock.get_received()
    from novacart import realtime, wire

    realtime.emit(wire.ORDER_UPDATE, {"order_id": 1, "status": "paid"}, room=realtime.STAFF_ROOM)
    # then they no longer receive it, but stay connected for their own notifications
    assert sock.is_connected() and events(sock, "orderUpdate") == []
    # promoted again, they are back in the room
    client.patch(f"/api/users/{staff_id}", json={"role": "staff"}, headers=admin[1])
    _watch(since)
    realtime.emit(wire.ORDER_UPDATE, {"order_id": 2, "status": "paid"}, room=realtime.STAFF_ROOM)
    assert [e["order_id"] for e in events(sock, "orderUpdate")] == [2]


def test_a_socket_goes_when_its_token_expires(app, make_user, socket_for):
    from flask_jwt_extended import create_access_token

    user_id, _ = make_user("customer")
    token = create_access_token(identity=str(user_id), expires_delta=timedelta(seconds=30))
    later = create_access_token(identity=str(user_id), expires_delta=timedelta(seconds=40))
    sock, other_tab = socket_for(auth={"token": token}), socket_for(auth={"token": later})
    sockets._apply_access(set(), [], time.time())
    assert sock.is_connected()
    sockets._apply_access(set(), [], time.time() + 31)
    # only the socket whose token expired goes; the tab signed in with a later token stays until it expires
    assert not sock.is_connected() and other_tab.is_connected()
    sockets._apply_access(set(), [], time.time() + 41)
    assert not other_tab.is_connected()


def test_a_socket_goes_when_its_token_is_revoked(client, customer, socket_for):
    from flask_jwt_extended import create_access_token

    since = utcnow() - timedelta(seconds=1)
    sock = socket_for(customer[1])
    other_device = socket_for(auth={"token": create_access_token(identity=str(customer[0]))})
    client.post("/api/auth/logout", headers=customer[1])
    _watch(since)
    # the signed-out token's socket goes; the same user's other device, signed in apart, stays
    assert not sock.is_connected() and other_device.is_connected()


def test_users_api_lists_and_refuses_changes_to_oneself(client, make_user, admin, customer):
    admin_id, admin_headers = admin
    user_id, _ = make_user("customer", name="Zoe Quill")
    client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=admin_headers)
    page = client.get("/api/users?is_active=false&q=quill", headers=admin_headers).get_json()
    assert [u["id"] for u in page["items"]] == [user_id] and page["items"][0]["is_active"] is False
    assert client.get("/api/users", headers=customer[1]).status_code == 403
    own = client.patch(f"/api/users/{admin_id}", json={"is_active": False}, headers=admin_headers)
    assert own.status_code == 409 and own.get_json()["code"] == "own_deactivation"
    empty = client.patch(f"/api/users/{user_id}", json={}, headers=admin_headers)
    assert empty.status_code == 422


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_rate_limits_key_ipv6_clients_by_their_64(app, address, key):
    from novacart.ratelimit import client_network

    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        assert client_network() == key


def test_logins_from_one_ipv6_64_share_one_budget(app, make_user):
    make_user(email="v6@example.test", password="the-real-password")
    app.config["AUTH_RATE_LIMIT"] = "2/minute"
    try:
        codes = []
        for host in ("1", "2", "3"):
            attacker = app.test_client()
            attacker.environ_base["REMOTE_ADDR"] = f"2001:db8:7:7::{host}"
            body = {"email": "v6@example.test", "password": f"guess-{host}"}
            codes.append(attacker.post("/api/auth/login", json=body).status_code)
    finally:
        app.config["AUTH_RATE_LIMIT"] = "10/minute"
    assert codes == [401, 401, 429]


def test_the_ack_queue_depth_helper_sees_the_owners_ack(app, client, customer, staff, socket_for):
    # the owner's own ack over the socket still empties the queue
    user_id, headers = customer
    _notify(client, staff[1], user_id)
    sock = socket_for(headers)
    ids = [n["id"] for n in events(sock, "notification")]
    sock.emit("notification:ack", {"ids": ids})
    wait_for_queue_depth(0)
