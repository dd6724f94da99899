"""End to end: web (gevent) processes, a Celery worker, beat and Redis, with Socket.IO clients over real sockets."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.e2e.harness import fence

pytestmark = pytest.mark.e2e

ADDRESS = "12 Stationery Road, Springfield"


def place_order(system, customer, product_id, qty=1) -> int:
    return system.place_order(customer["token"], {product_id: qty}, ADDRESS)


def test_staff_status_change_reaches_only_the_customers_socket(system, staff_user, product, recorders):
    alice, bob = system.register("Alice"), system.register("Bob")
    order_id = place_order(system, alice, product())
    alice_socket = recorders(alice["token"]).connect()
    bob_socket = recorders(bob["token"]).connect()
    # when
    response = system.api("PATCH", f"/api/orders/{order_id}/status", staff_user["token"], json={"status": "paid"})
    assert response.status_code == 200

    # then
    # the order's "received" notification may be replayed on connect: wait for the change to paid
    def status_changed(n):
        return n["type"] == "order_status" and n["data"]["previous_status"] is not None

    [note] = alice_socket.wait_for("notification", status_changed)
    assert note["data"] == {
        "order_id": order_id,
        "status": "paid",
        "previous_status": "pending",
        "tracking_number": None,
    }
    [update] = alice_socket.wait_for("orderUpdate", lambda u: u["status"] == "paid")
    assert update["order_id"] == order_id and update["previous_status"] == "pending"
    fence(system, staff_user["token"], bob_socket, bob["id"])
    assert [n["title"] for n in bob_socket.of("notification")][:-1] == [] and bob_socket.of("orderUpdate") == []


def test_an_order_placed_rings_the_customers_bell_and_the_staffs(system, staff_user, admin_user, product, recorders):
    # given a customer, a staff member and an admin online (the admin on the other web process)
    customer = system.register("Gina")
    customer_socket = recorders(customer["token"]).connect()
    staff_socket = recorders(staff_user["token"]).connect()
    admin_socket = recorders(admin_user["token"], url=system.web_url(1)).connect()
    # when the customer places an order
    order_id = place_order(system, customer, product(), qty=2)
    # then the customer hears it was received
    [received] = customer_socket.wait_for(
        "notification", lambda n: n["type"] == "order_status" and n["data"]["order_id"] == order_id
    )
    assert received["data"]["status"] == "pending" and received["data"]["previous_status"] is None

    # and staff and admins hear of it: at once after a quiet spell, else in the digest that ends the
    # window other tests' orders opened (NEW_ORDER_DIGEST_SECONDS, 60 s here as in production)
    def names_the_order(n):
        data = n["data"]
        return n["type"] == "new_order" and (data.get("order_id") == order_id or order_id in data.get("order_ids", []))

    for employee_socket in (staff_socket, admin_socket):
        [announced] = employee_socket.wait_for("notification", names_the_order, timeout=90)
        assert f"#{order_id}" in announced["title"] + announced["message"]
    # and the customer is not told what staff are told
    assert [n for n in customer_socket.of("notification") if n["type"] == "new_order"] == []


def test_a_notification_created_through_one_web_process_reaches_a_client_on_the_other(system, staff_user, recorders):
    customer = system.register("Carol")
    on_second = recorders(customer["token"], url=system.web_url(1)).connect()
    body = {"user_id": customer["id"], "type": "promotion", "title": "Cross-process", "message": "via Redis"}
    response = system.api("POST", "/api/notifications", staff_user["token"], json=body, base=system.web_url(0))
    assert response.status_code == 201
    [note] = on_second.wait_for("notification", lambda n: n["title"] == "Cross-process")
    assert note["id"] == response.json()["id"]


def test_long_polling_transport_delivers_too(system, staff_user, recorders):
    customer = system.register("Dave")
    polling = recorders(customer["token"], transports=["polling"]).connect()
    body = {"user_id": customer["id"], "type": "promotion", "title": "By polling", "message": "m"}
    system.api("POST", "/api/notifications", staff_user["token"], json=body)
    polling.wait_for("notification", lambda n: n["title"] == "By polling")
    assert polling.client.transport() == "polling"


def test_offline_user_gets_the_queue_replayed_oldest_first_until_acknowledged(system, staff_user, recorders):
    customer = system.register("Erin")
    ids = []
    for i in range(3):
        body = {"user_id": customer["id"], "type": "promotion", "title": f"queued {i}", "message": "m"}
        ids.append(system.api("POST", "/api/notifications", staff_user["token"], json=body).json()["id"])
    # connect without acknowledging: everything replays, oldest first
    first = recorders(customer["token"], ack=False).connect()
    assert [n["id"] for n in first.wait_for("notification", count=3)] == ids
    first.close()
    second = recorders(customer["token"], ack=False).connect()
    assert [n["id"] for n in second.wait_for("notification", count=3)] == ids
    # acknowledge the first two
    second.emit("notification:ack", {"ids": ids[:2]})
    fence(system, staff_user["token"], second, customer["id"])
    second.close()
    third = recorders(customer["token"], ack=False).connect()
    replayed = [n["id"] for n in third.wait_for("notification", count=2)]
    assert replayed[0] == ids[2] and ids[0] not in replayed and ids[1] not in replayed


def test_every_trigger_of_the_contract(system, staff_user, admin_user, product, recorders):
    customer = system.register("Frank")
    staff_socket = recorders(staff_user["token"]).connect()
    admin_socket = recorders(admin_user["token"]).connect()
    customer_socket = recorders(customer["token"]).connect()

    # low stock → staff and admins
    low = product(stock=5, threshold=3, name="Low pens")
    system.api("POST", f"/api/products/{low}/stock", staff_user["token"], json={"delta": -2, "reason": "count"})
    for sock in (staff_socket, admin_socket):
        sock.wait_for("notification", lambda n: n["type"] == "low_stock" and n["data"]["product_id"] == low)

    # review → admins
    reviewed = product(name="Reviewed stapler")
    system.api("POST", f"/api/products/{reviewed}/reviews", customer["token"], json={"rating": 5, "body": "Lovely"})
    admin_socket.wait_for("notification", lambda n: n["type"] == "new_review" and n["data"]["product_id"] == reviewed)

    # payment → admins, and order_status paid → customer (through the sandbox provider's signed webhook)
    order_id = place_order(system, customer, product())
    assert system.api("POST", f"/api/orders/{order_id}/pay", customer["token"]).status_code == 200
    admin_socket.wait_for(
        "notification", lambda n: n["type"] == "payment_received" and n["data"]["order_id"] == order_id
    )
    customer_socket.wait_for("notification", lambda n: n["type"] == "order_status" and n["data"]["status"] == "paid")

    # promotion with interests → matching customers only
    system.api("PUT", "/api/notifications/preferences", customer["token"], json={"interests": ["ink"]})
    title = f"Ink sale {uuid.uuid4().hex[:4]}"
    system.api(
        "POST", "/api/promotions", staff_user["token"], json={"title": title, "message": "m", "interests": ["ink"]}
    )
    customer_socket.wait_for("notification", lambda n: n["type"] == "promotion" and n["title"] == title)


def test_back_in_stock_reaches_each_waitlisted_user_exactly_once(system, staff_user, product, recorders):
    waiting = [system.register(f"Waiter{i}") for i in range(3)]
    sold_out = product(stock=0, name="Sold-out toner")
    sockets = []
    for user in waiting:
        assert system.api("POST", f"/api/products/{sold_out}/waitlist", user["token"]).status_code == 201
        sockets.append(recorders(user["token"]).connect())
    # when: restocked, then restocked again
    for delta in (4, 4):
        system.api(
            "POST", f"/api/products/{sold_out}/stock", staff_user["token"], json={"delta": delta, "reason": "delivery"}
        )
    # then
    for user, sock in zip(waiting, sockets, strict=True):
        sock.wait_for("notification", lambda n: n["type"] == "back_in_stock" and n["data"]["product_id"] == sold_out)
        fence(system, staff_user["token"], sock, user["id"])
        assert len([n for n in sock.of("notification") if n["type"] == "back_in_stock"]) == 1


def test_scheduled_promotion_arrives_after_its_send_at_not_before(system, staff_user, recorders):
    customer = system.register("Grace")
    sock = recorders(customer["token"]).connect()
    send_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    title = f"Scheduled {uuid.uuid4().hex[:4]}"
    created = system.api(
        "POST",
        "/api/promotions",
        staff_user["token"],
        json={"title": title, "message": "m", "send_at": send_at.isoformat()},
    )
    assert created.status_code == 201 and created.json()["status"] == "scheduled"
    [note] = sock.wait_for("notification", lambda n: n["title"] == title, timeout=20)
    assert dt.datetime.now(dt.UTC) >= send_at
    assert dt.datetime.fromisoformat(note["created_at"]) >= send_at


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "refresh", "revoked"])
def test_refused_connections(system, recorders, kind):
    import jwt as pyjwt

    customer = system.register("Heidi")
    token = {
        "missing": None,
        "garbage": "garbage.token.value",
        "expired": pyjwt.encode(
            {
                "sub": str(customer["id"]),
                "type": "access",
                "jti": uuid.uuid4().hex,
                "fresh": False,
                "iat": 1,
                "nbf": 1,
                "exp": 2,
            },
            system.env["JWT_SECRET_KEY"],
            algorithm="HS256",
        ),
        "refresh": customer["refresh"],
        "revoked": customer["token"],
    }[kind]
    if kind == "revoked":
        assert system.api("POST", "/api/auth/logout", customer["token"]).status_code == 204
    refused = recorders(token)
    assert refused.try_connect() is False
    assert refused.connect_error == {"message": "unauthorized"}


def test_foreign_origin_is_refused(system, recorders):
    customer = system.register("Ivan")
    # long-polling, so the Origin header is exactly the one given (the WebSocket client adds its own)
    foreign = recorders(customer["token"], headers={"Origin": "https://evil.example"}, transports=["polling"])
    assert foreign.try_connect() is False
    null = recorders(customer["token"], headers={"Origin": "null"}, transports=["polling"])
    assert null.try_connect() is False
    same = recorders(customer["token"], headers={"Origin": system.url}, transports=["polling"])
    assert same.try_connect() is True


def test_join_room_of_another_users_order_is_refused(system, staff_user, product, recorders):
    alice, mallory = system.register("Alice2"), system.register("Mallory")
    order_id = place_order(system, alice, product())
    mallory_socket = recorders(mallory["token"]).connect()
    mallory_socket.emit("joinRoom", {"room": f"order:{order_id}"})
    [error] = mallory_socket.wait_for("error")
    assert error["code"] == "forbidden"
    alice_socket = recorders(alice["token"]).connect()
    alice_socket.emit("joinRoom", {"room": f"order:{order_id}"})
    system.api("PATCH", f"/api/orders/{order_id}/status", staff_user["token"], json={"status": "paid"})
    alice_socket.wait_for("orderUpdate", lambda u: u["order_id"] == order_id)
    fence(system, staff_user["token"], mallory_socket, mallory["id"])
    assert mallory_socket.of("orderUpdate") == []


def test_a_revoked_token_drops_its_connected_socket(system, recorders):
    customer = system.register("Judy")
    sock = recorders(customer["token"]).connect()
    assert system.api("POST", "/api/auth/logout", customer["token"]).status_code == 204
    from tests.e2e.harness import wait_until

    wait_until(lambda: not sock.client.connected, timeout=5, what="the revoked socket to be dropped")


def test_eventlet_web_process_serves_the_same_rooms(system, staff_user, recorders):
    """ASYNC_MODE=eventlet (eventlet's own server) joins the same Redis queue as the default gevent processes."""
    other_url = system.start_web(index=2, async_mode="eventlet")
    customer = system.register("Gina")
    for transports in (["websocket"], ["polling"]):
        sock = recorders(customer["token"], url=other_url, transports=transports).connect()
        title = f"to eventlet over {transports[0]}"
        body = {"user_id": customer["id"], "type": "promotion", "title": title, "message": "m"}
        assert system.api("POST", "/api/notifications", staff_user["token"], json=body).status_code == 201
        sock.wait_for("notification", lambda n, title=title: n["title"] == title)
        sock.close()
    assert system.api("GET", "/api/products", base=other_url).status_code == 200


@pytest.mark.parametrize("async_mode", ["gevent", "eventlet"])
def test_heartbeat_keeps_live_sockets_and_drops_silent_ones(system, staff_user, recorders, async_mode):
    """One process-wide ping timer (novacart/pings.py) replaces engine.io's green thread per socket."""
    import json
    import time

    import websocket
    from engineio import packet

    from tests.e2e.harness import wait_until

    fast = {"SOCKETIO_PING_INTERVAL": "0.5", "SOCKETIO_PING_TIMEOUT": "1"}
    url = system.start_web(index=3 if async_mode == "gevent" else 4, async_mode=async_mode, env=fast)
    customer = system.register("Hana")

    live = recorders(customer["token"], url=url)
    pings: list[float] = []
    receive = live.client.eio._receive_packet

    def counting(pkt):
        if pkt.packet_type == packet.PING:
            pings.append(time.monotonic())
        return receive(pkt)

    live.client.eio._receive_packet = counting
    live.connect()
    # four pings in a deadline that the default interval (25 s) could not meet: the setting is applied
    wait_until(lambda: len(pings) >= 4, timeout=15, what="four pings, one every 0.5 s")
    assert live.client.connected
    body = {"user_id": customer["id"], "type": "promotion", "title": "still here", "message": "m"}
    assert system.api("POST", "/api/notifications", staff_user["token"], json=body).status_code == 201
    live.wait_for("notification", lambda n: n["title"] == "still here")

    # A client that never answers PING is dropped after interval + timeout.
    endpoint = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    silent = websocket.create_connection(endpoint, timeout=10)
    assert silent.recv().startswith("0")  # engine.io open
    silent.send("40" + json.dumps({"token": customer["token"]}))
    # a deadline the default heartbeat (25 + 20 s) could not meet; how fast is not the point
    deadline, frames, dropped = time.monotonic() + 30, [], False
    try:
        while time.monotonic() < deadline:
            frame = silent.recv()
            if not frame:
                dropped = True
                break
            frames.append(frame)
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        dropped = True
    assert "2" in frames  # it was pinged
    assert dropped, "a silent client was still connected after 30 s"
    assert live.client.connected  # while the live one, which answers, stays
