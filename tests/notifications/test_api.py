"""Notifications REST API and Socket.IO protocol: queue, replay, ack, rooms, refusals, tab sync."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from tests.notifications.conftest import events, wait_for_queue_depth


def send(client, staff_headers, user_id, title="Hello", type_="promotion", **extra):
    body = {"user_id": user_id, "type": type_, "title": title, "message": f"{title}!", **extra}
    response = client.post("/api/notifications", json=body, headers=staff_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_staff_creates_a_notification_that_is_stored_queued_and_pushed(client, customer, staff, socket_for):
    user_id, headers = customer
    sock = socket_for(headers)
    sock.get_received()
    created = send(client, staff[1], user_id, "Your invoice", data={"order_id": 7})
    assert set(created) == {"id", "user_id", "type", "title", "message", "data", "is_read", "read_at", "created_at"}
    assert created["data"] == {"order_id": 7} and created["read_at"] is None
    assert events(sock, "notification") == [created]
    listing = client.get("/api/notifications", headers=headers).get_json()
    assert listing["items"] == [created] and listing["unread_count"] == 1 and listing["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"user_id": 999999, "type": "promotion", "title": "t", "message": "m"}, 422),
        ({"user_id": 1, "type": "gossip", "title": "t", "message": "m"}, 422),
        ({"user_id": 1, "type": "promotion", "title": "", "message": "m"}, 422),
        ({"user_id": "1", "type": "promotion", "title": "t", "message": "m"}, 422),
        ({"user_id": 1, "type": "promotion", "title": "t", "message": "m", "data": "x"}, 422),
    ],
)
def test_create_notification_validates(client, staff, body, status):
    assert_problem(client.post("/api/notifications", json=body, headers=staff[1]), status)


def test_create_notification_is_for_employees_and_respects_preferences(client, customer, staff):
    user_id, headers = customer
    assert_problem(
        client.post(
            "/api/notifications",
            json={"user_id": user_id, "type": "promotion", "title": "t", "message": "m"},
            headers=headers,
        ),
        403,
    )
    client.put("/api/notifications/preferences", json={"types": {"promotion": False}}, headers=headers)
    body = {"user_id": user_id, "type": "promotion", "title": "t", "message": "m"}
    assert_problem(client.post("/api/notifications", json=body, headers=staff[1]), 409, "type_disabled")
    assert client.get("/api/notifications", headers=headers).get_json()["items"] == []


def test_notification_creation_is_rate_limited(app, client, customer, staff):
    app.config["NOTIFICATION_RATE_LIMIT"] = "3/minute"
    try:
        codes = [
            client.post(
                "/api/notifications",
                json={"user_id": customer[0], "type": "promotion", "title": f"t{i}", "message": "m"},
                headers=staff[1],
            ).status_code
            for i in range(4)
        ]
        assert codes == [201, 201, 201, 429]
    finally:
        app.config["NOTIFICATION_RATE_LIMIT"] = "120/minute"


def test_list_filters_paginates_and_counts(client, customer, staff):
    user_id, headers = customer
    ids = [
        send(client, staff[1], user_id, f"n{i}", type_="promotion" if i % 2 else "low_stock")["id"] for i in range(5)
    ]
    client.patch(f"/api/notifications/{ids[0]}/read", headers=headers)
    page = client.get("/api/notifications?limit=2", headers=headers).get_json()
    assert [n["id"] for n in page["items"]] == [ids[4], ids[3]] and page["unread_count"] == 4
    rest = client.get(f"/api/notifications?limit=10&cursor={page['next_cursor']}", headers=headers).get_json()
    assert [n["id"] for n in rest["items"]] == [ids[2], ids[1], ids[0]] and rest["next_cursor"] is None
    unread = client.get("/api/notifications?unread_only=true", headers=headers).get_json()["items"]
    assert ids[0] not in [n["id"] for n in unread] and len(unread) == 4
    promos = client.get("/api/notifications?type=promotion", headers=headers).get_json()["items"]
    assert [n["id"] for n in promos] == [ids[3], ids[1]]
    assert client.get("/api/notifications/unread-count", headers=headers).get_json() == {"count": 4}
    assert_problem(client.get("/api/notifications?type=gossip", headers=headers), 422)
    assert_problem(client.get("/api/notifications"), 401)


def test_others_notifications_are_404_and_untouched(client, make_user, staff):
    alice_id, alice = make_user("customer")
    _, bob = make_user("customer")
    note = send(client, staff[1], alice_id)
    assert_problem(client.patch(f"/api/notifications/{note['id']}/read", headers=bob), 404)
    assert_problem(client.delete(f"/api/notifications/{note['id']}", headers=bob), 404)
    assert client.get("/api/notifications", headers=bob).get_json()["items"] == []
    assert client.patch("/api/notifications/mark-all-read", headers=bob).get_json() == {"updated": 0}
    assert client.get("/api/notifications/unread-count", headers=alice).get_json() == {"count": 1}


def test_reads_and_deletes_reach_the_users_other_tabs(client, customer, staff, socket_for):
    user_id, headers = customer
    first = send(client, staff[1], user_id, "one")
    second = send(client, staff[1], user_id, "two")
    third = send(client, staff[1], user_id, "three")
    other_tab = socket_for(headers)
    other_tab.get_received()
    # read one over REST
    read = client.patch(f"/api/notifications/{first['id']}/read", headers=headers)
    assert read.status_code == 200 and read.get_json()["is_read"] is True and read.get_json()["read_at"]
    assert events(other_tab, "notification:read") == [{"ids": [first["id"]], "unread_count": 2}]
    # delete one
    assert client.delete(f"/api/notifications/{second['id']}", headers=headers).status_code == 204
    assert events(other_tab, "notification:deleted") == [{"id": second["id"], "unread_count": 1}]
    # mark all read
    assert client.patch("/api/notifications/mark-all-read", headers=headers).get_json() == {"updated": 1}
    assert events(other_tab, "notification:read") == [{"ids": [third["id"]], "unread_count": 0}]
    assert client.get("/api/notifications/unread-count", headers=headers).get_json() == {"count": 0}


def test_queue_is_replayed_oldest_first_until_acknowledged(client, customer, staff, socket_for):
    user_id, headers = customer
    ids = [send(client, staff[1], user_id, f"offline {i}")["id"] for i in range(3)]
    # when the user connects
    first = socket_for(headers)
    replayed = [n["id"] for n in events(first, "notification")]
    # then the queue arrives oldest first
    assert replayed == ids
    # without an ack it is replayed again
    first.disconnect()
    second = socket_for(headers)
    assert [n["id"] for n in events(second, "notification")] == ids
    # after acknowledging two, only the third remains queued
    second.emit("notification:ack", {"ids": ids[:2]})
    second.disconnect()
    third = socket_for(headers)
    assert [n["id"] for n in events(third, "notification")] == [ids[2]]


def test_acks_of_other_users_notifications_are_ignored(client, make_user, staff, socket_for):
    alice_id, alice = make_user("customer")
    _, bob = make_user("customer")
    note = send(client, staff[1], alice_id)
    bob_socket = socket_for(bob)
    bob_socket.emit("notification:ack", {"ids": [note["id"]]})
    for bad in (None, {"ids": "all"}, {"ids": [1, "2"]}, [1, 2]):
        bob_socket.emit("notification:ack", bad)
    assert [e["code"] for e in events(bob_socket, "error")] == ["invalid_ack"] * 4
    assert [n["id"] for n in events(socket_for(alice), "notification")] == [note["id"]]


def test_sweep_resends_unacknowledged_deliveries_to_connected_users(app, client, customer, staff, socket_for):
    from novacart.notifications import tasks

    user_id, headers = customer
    note = send(client, staff[1], user_id)
    sock = socket_for(headers)
    sock.get_received()
    app.config["DELIVERY_RESEND_AFTER_SECONDS"] = 0
    try:
        assert tasks.resend_unacknowledged() == 1
        assert [n["id"] for n in events(sock, "notification")] == [note["id"]]
        sock.emit("notification:ack", {"ids": [note["id"]]})
        wait_for_queue_depth(0)
        assert tasks.resend_unacknowledged() == 0
    finally:
        app.config["DELIVERY_RESEND_AFTER_SECONDS"] = 60


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "refresh", "revoked", "forged", "not-a-string"])
def test_socket_refuses_bad_tokens(app, client, customer, socket_for, kind):
    import datetime as dt

    import jwt as pyjwt
    from flask_jwt_extended import create_access_token, create_refresh_token

    user_id, headers = customer
    token = headers["Authorization"].split(" ", 1)[1]
    auth = {
        "missing": {},
        "garbage": {"token": "not.a.jwt"},
        "expired": {"token": create_access_token(identity=str(user_id), expires_delta=dt.timedelta(seconds=-1))},
        "refresh": {"token": create_refresh_token(identity=str(user_id))},
        "revoked": {"token": token},
        "forged": {
            "token": pyjwt.encode(
                {"sub": str(user_id), "type": "access", "jti": "j", "exp": 9999999999},
                "wrong-key-of-enough-length-here!!",
                "HS256",
            )
        },
        "not-a-string": {"token": 12345},
    }[kind]
    if kind == "revoked":
        client.post("/api/auth/logout", headers=headers)
    from novacart.extensions import socketio

    sock = socketio.test_client(app, auth=auth)
    assert not sock.is_connected()


def test_join_room_for_own_order_only(client, make_user, staff, make_product, socket_for):
    _, alice = make_user("customer")
    _, bob = make_user("customer")
    product_id = make_product()
    body = {"items": [{"product_id": product_id, "quantity": 1}], "shipping_address": "1 Paper Street"}
    order_id = client.post("/api/orders", json=body, headers=alice).get_json()["id"]
    alice_socket, bob_socket, staff_socket = socket_for(alice), socket_for(bob), socket_for(staff[1])
    for payload in (
        {"room": f"order:{order_id}"},
        {"room": "staff"},
        {"room": "user:1"},
        "order:1",
        None,
        {"room": "order:x"},
    ):
        bob_socket.emit("joinRoom", payload)
    assert [e["code"] for e in events(bob_socket, "error")] == ["forbidden"] + ["invalid_room"] * 5
    alice_socket.emit("joinRoom", {"room": f"order:{order_id}"})
    staff_socket.emit("joinRoom", {"room": f"order:{order_id}"})
    assert events(alice_socket, "error") == [] and events(staff_socket, "error") == []
    client.patch(f"/api/orders/{order_id}/status", json={"status": "paid"}, headers=staff[1])
    # the customer's socket is in user:<id> and order:<id>, but gets each update once
    assert [u["status"] for u in events(alice_socket, "orderUpdate")] == ["paid"]
    assert events(bob_socket, "orderUpdate") == []


def test_a_flooding_socket_is_cut_off(app, client, customer, socket_for):
    sock = socket_for(customer[1])
    app.config["SOCKET_EVENT_BURST"] = 5
    try:
        for _ in range(50):
            if not sock.is_connected():
                break
            sock.emit("notification:ack", {"ids": [1]})
        assert not sock.is_connected()
    finally:
        app.config["SOCKET_EVENT_BURST"] = 60
    assert socket_for(customer[1]).is_connected()


def test_preferences_round_trip_and_validation(client, customer):
    _, headers = customer
    initial = client.get("/api/notifications/preferences", headers=headers).get_json()
    # a customer's switches are the types a customer may receive
    assert initial == {
        "types": {"order_status": True, "back_in_stock": True, "promotion": True, "message": True},
        "channels": {
            "email": {"order_status": True, "back_in_stock": True, "promotion": False, "message": True},
            "push": {"order_status": True, "back_in_stock": True, "promotion": False, "message": True},
        },
        "interests": [],
    }
    updated = client.put(
        "/api/notifications/preferences",
        json={"types": {"promotion": False}, "interests": ["Ink", "paper", "ink"]},
        headers=headers,
    )
    assert updated.status_code == 200
    assert updated.get_json()["types"]["promotion"] is False and updated.get_json()["interests"] == ["ink", "paper"]
    partial = client.put(
        "/api/notifications/preferences", json={"types": {"promotion": True}}, headers=headers
    ).get_json()
    assert partial["types"]["promotion"] is True and partial["interests"] == ["ink", "paper"]
    assert client.get("/api/auth/me", headers=headers).get_json()["interests"] == ["ink", "paper"]
    body = assert_problem(
        client.put("/api/notifications/preferences", json={"types": {"order_status": False}}, headers=headers), 422
    )
    assert "types" in body["errors"]
    assert_problem(client.put("/api/notifications/preferences", json={"types": {"gossip": True}}, headers=headers), 422)
    assert_problem(
        client.put("/api/notifications/preferences", json={"types": {"promotion": "yes please"}}, headers=headers), 422
    )
    assert_problem(client.put("/api/notifications/preferences", json={"colour": "red"}, headers=headers), 422)


def test_metrics_expose_the_engine(client, customer, staff, socket_for):
    user_id, headers = customer
    sock = socket_for(headers)
    note = send(client, staff[1], user_id)
    sock.emit("notification:ack", {"ids": [note["id"]]})
    wait_for_queue_depth(0)
    send(client, staff[1], user_id, "unacked")
    text = client.get("/metrics").get_data(as_text=True)
    for name in (
        "novacart_connected_sockets",
        'novacart_notifications_created_total{type="promotion"}',
        'novacart_notifications_pushed_total{type="promotion"}',
        'novacart_notifications_acknowledged_total{type="promotion"}',
        "novacart_delivery_latency_seconds_bucket",
        "novacart_delivery_queue_depth 1.0",
    ):
        assert name in text, name
