"""Who gets what, automatically (CONTRACT.md), seen from the users' sockets and the REST API."""

from __future__ import annotations

import time

from tests.notifications.conftest import received

ADDRESS = "1 Paper Street, 75001 Paris"


def place(client, headers, product_id, qty=1):
    body = {"items": [{"product_id": product_id, "quantity": qty}], "shipping_address": ADDRESS}
    response = client.post("/api/orders", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def notifications_of(client, headers, **query):
    return client.get("/api/notifications", query_string=query, headers=headers).get_json()["items"]


def test_staff_status_change_reaches_the_customer_socket_and_no_other(
    client, make_user, staff, make_product, socket_for
):
    # given
    alice_id, alice = make_user("customer")
    _, bob = make_user("customer")
    order_id = place(client, alice, make_product())
    alice_socket, bob_socket, staff_socket = socket_for(alice), socket_for(bob), socket_for(staff[1])
    for sock in (alice_socket, bob_socket, staff_socket):
        sock.get_received()
    # when
    for status in ("paid", "preparing", "shipped"):
        client.patch(f"/api/orders/{order_id}/status", json={"status": status}, headers=staff[1])
    # then
    alice_events = received(alice_socket)
    notes = [payload for name, payload in alice_events if name == "notification"]
    assert [n["data"]["status"] for n in notes] == ["paid", "preparing", "shipped"]
    shipped = notes[-1]
    assert shipped["type"] == "order_status" and shipped["user_id"] == alice_id
    assert shipped["title"] == f"Order #{order_id} has shipped"
    tracking = client.get(f"/api/orders/{order_id}", headers=alice).get_json()["tracking_number"]
    assert shipped["message"] == f"Your order #{order_id} has shipped — tracking {tracking}."
    assert shipped["data"]["order_id"] == order_id and shipped["is_read"] is False
    updates = [payload for name, payload in alice_events if name == "orderUpdate"]
    assert [(u["previous_status"], u["status"]) for u in updates] == [
        ("pending", "paid"),
        ("paid", "preparing"),
        ("preparing", "shipped"),
    ]
    assert all(u["order_id"] == order_id and u["at"] for u in updates)
    assert received(bob_socket) == []
    staff_events = received(staff_socket)
    assert [p["status"] for n, p in staff_events if n == "orderUpdate"] == ["paid", "preparing", "shipped"]
    assert not [p for n, p in staff_events if n == "notification" and p["type"] == "order_status"]


def test_new_order_appears_on_staff_sockets(client, customer, staff, make_product, socket_for):
    staff_socket = socket_for(staff[1])
    staff_socket.get_received()
    order_id = place(client, customer[1], make_product())
    [update] = [p for n, p in received(staff_socket) if n == "orderUpdate"]
    assert {**update, "at": None} == {"order_id": order_id, "status": "pending", "previous_status": None, "at": None}
    assert update["at"].endswith("+00:00")


def test_low_stock_goes_to_staff_and_admins_only(client, staff, admin, customer, make_product):
    product_id = make_product(stock=6, threshold=5, name="Gel pens")
    client.post(f"/api/products/{product_id}/stock", json={"delta": -2, "reason": "damaged"}, headers=staff[1])
    for headers in (staff[1], admin[1]):
        [note] = notifications_of(client, headers)
        assert note["type"] == "low_stock" and note["title"] == "Low stock: Gel pens"
        assert "Only 4 left of Gel pens" in note["message"] and note["data"]["product_id"] == product_id
    assert notifications_of(client, customer[1]) == []


def test_review_goes_to_admins(client, customer, staff, admin, make_product):
    product_id = make_product(name="Stapler")
    client.post(f"/api/products/{product_id}/reviews", json={"rating": 4, "body": "Solid."}, headers=customer[1])
    [note] = notifications_of(client, admin[1])
    assert note["type"] == "new_review" and note["title"] == "New 4★ review of Stapler"
    assert "Solid." in note["message"] and note["data"]["product_id"] == product_id
    assert notifications_of(client, staff[1]) == []


def test_payment_goes_to_admins_and_paid_to_the_customer(client, customer, admin, make_product):
    order_id = place(client, customer[1], make_product(price_cents=1250), qty=2)
    client.post(f"/api/orders/{order_id}/pay", headers=customer[1])
    [admin_note] = notifications_of(client, admin[1], type="payment_received")
    assert admin_note["data"]["order_id"] == order_id
    assert "€25.00" in admin_note["message"]
    paid, received = notifications_of(client, customer[1])  # newest first
    assert paid["type"] == "order_status" and paid["data"]["status"] == "paid"
    assert received["data"]["status"] == "pending" and received["title"] == f"Order #{order_id} received"


def test_back_in_stock_notifies_each_waitlisted_user_exactly_once(client, make_user, staff, make_product, socket_for):
    product_id = make_product(stock=0, name="HB pencils")
    waiting = [make_user("customer") for _ in range(3)]
    _, bystander = make_user("customer")
    for _, headers in waiting:
        client.post(f"/api/products/{product_id}/waitlist", headers=headers)
    sockets = [socket_for(h) for _, h in waiting]
    for sock in sockets:
        sock.get_received()
    # when: restocked, sold out, restocked again
    client.post(f"/api/products/{product_id}/stock", json={"delta": 5, "reason": "delivery"}, headers=staff[1])
    client.post(f"/api/products/{product_id}/stock", json={"delta": 3, "reason": "delivery"}, headers=staff[1])
    # then
    for (user_id, headers), sock in zip(waiting, sockets, strict=True):
        pushed = [p for n, p in received(sock) if n == "notification"]
        assert [(p["type"], p["user_id"]) for p in pushed] == [("back_in_stock", user_id)]
        assert pushed[0]["title"] == "Back in stock: HB pencils" and pushed[0]["data"]["product_id"] == product_id
        assert len(notifications_of(client, headers)) == 1
    assert notifications_of(client, bystander) == []


def test_a_redelivered_event_notifies_nobody_twice(client, customer, staff, make_product):
    from sqlalchemy import select

    from novacart.events import tasks as event_tasks
    from novacart.events.models import OutboxEvent
    from novacart.extensions import db

    order_id = place(client, customer[1], make_product())
    client.patch(f"/api/orders/{order_id}/status", json={"status": "paid"}, headers=staff[1])
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.name == "orders.order_status_changed"))
    # when the hand-off is lost and the sweep dispatches it again
    event.dispatched_at = None
    db.session.commit()
    event_tasks.dispatch_event(event.id)
    # then: "received" and "paid", once each
    assert [n["data"]["status"] for n in notifications_of(client, customer[1])] == ["paid", "pending"]


def test_disabled_type_is_neither_stored_nor_pushed(client, staff, make_user, make_product, socket_for):
    _, staff_b = make_user("staff")
    assert (
        client.put("/api/notifications/preferences", json={"types": {"low_stock": False}}, headers=staff_b).status_code
        == 200
    )
    sock = socket_for(staff_b)
    sock.get_received()
    product_id = make_product(stock=3, threshold=2)
    client.post(f"/api/products/{product_id}/stock", json={"delta": -1, "reason": "count"}, headers=staff[1])
    assert notifications_of(client, staff_b) == []
    assert [n for n, _ in received(sock) if n == "notification"] == []
    assert len(notifications_of(client, staff[1])) == 1


def test_promotion_now_reaches_matching_customers_only(client, make_user, staff, socket_for):
    paper_id, paper = make_user("customer")
    _, ink = make_user("customer")
    _, nothing = make_user("customer")
    client.put("/api/notifications/preferences", json={"interests": ["Paper", "desk"]}, headers=paper)
    client.put("/api/notifications/preferences", json={"interests": ["ink"]}, headers=ink)
    sock = socket_for(paper)
    sock.get_received()
    audience = client.get("/api/promotions/audience?interests=paper", headers=staff[1]).get_json()
    assert audience == {"recipients": 1}
    # when
    response = client.post(
        "/api/promotions",
        json={"title": "Paper week", "message": "20% off all paper", "interests": ["paper"]},
        headers=staff[1],
    )
    # then
    assert response.status_code == 201
    promotion = client.get("/api/promotions", headers=staff[1]).get_json()["items"][0]
    assert promotion["status"] == "sent" and promotion["recipients"] == 1
    pushed = [p for n, p in received(sock) if n == "notification"]
    assert [(p["type"], p["title"], p["user_id"]) for p in pushed] == [("promotion", "Paper week", paper_id)]
    assert notifications_of(client, ink) == [] and notifications_of(client, nothing) == []
    # a promotion without interests goes to every customer, never to staff
    client.post("/api/promotions", json={"title": "Everyone", "message": "Free shipping"}, headers=staff[1])
    assert [n["title"] for n in notifications_of(client, nothing)] == ["Everyone"]
    assert notifications_of(client, staff[1]) == []


def test_each_customer_of_a_promotion_is_pushed_their_own_stored_notification(client, make_user, staff, socket_for):
    # given three customers online (a batch stores their rows in one statement)
    customers = [make_user("customer") for _ in range(3)]
    sockets = [socket_for(headers) for _, headers in customers]
    for sock in sockets:
        sock.get_received()
    # when a promotion goes to all of them
    client.post("/api/promotions", json={"title": "Pens", "message": "Two for one"}, headers=staff[1])
    # then each was pushed the notification stored for them (the id their toast opens and acknowledges)
    for (user_id, headers), sock in zip(customers, sockets, strict=True):
        pushed = [p for n, p in received(sock) if n == "notification"]
        inbox = notifications_of(client, headers)
        assert [(p["id"], p["user_id"]) for p in pushed] == [(inbox[0]["id"], user_id)]


def test_scheduled_promotion_goes_out_after_send_at_and_only_once(client, customer, staff, app):
    from datetime import UTC, datetime, timedelta

    from novacart.notifications import tasks

    send_at = datetime.now(UTC) + timedelta(seconds=1.5)
    response = client.post(
        "/api/promotions",
        json={"title": "Soon", "message": "Wait for it", "send_at": send_at.isoformat()},
        headers=staff[1],
    )
    assert response.status_code == 201 and response.get_json()["status"] == "scheduled"
    # before send_at: nothing is claimed or sent
    assert tasks.send_due_promotions() == 0
    assert notifications_of(client, customer[1]) == []
    # wait (bounded) for its time; two schedulers racing claim it once
    deadline = time.monotonic() + 10
    claimed = 0
    while time.monotonic() < deadline and not claimed:
        claimed = tasks.send_due_promotions() + tasks.send_due_promotions()
        if not claimed:
            time.sleep(0.1)
    assert claimed == 1
    [note] = notifications_of(client, customer[1])
    assert note["title"] == "Soon" and datetime.fromisoformat(note["created_at"]) >= send_at


def test_scheduled_promotion_can_be_cancelled(client, customer, staff):
    from datetime import UTC, datetime, timedelta

    send_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    promo = client.post(
        "/api/promotions", json={"title": "Later", "message": "m", "send_at": send_at}, headers=staff[1]
    ).get_json()
    cancelled = client.post(f"/api/promotions/{promo['id']}/cancel", headers=staff[1])
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"/api/promotions/{promo['id']}/cancel", headers=staff[1]).status_code == 409
    assert client.post("/api/promotions", json={"title": "x", "message": "m"}, headers=customer[1]).status_code == 403
    assert (
        client.post(
            "/api/promotions", json={"title": "x", "message": "m", "send_at": "tomorrow"}, headers=staff[1]
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/promotions", json={"title": "x", "message": "m", "send_at": "2030-01-01T10:00:00"}, headers=staff[1]
        ).status_code
        == 422
    )


def test_a_promotion_whose_fan_out_stalled_is_resumed_once(app, client, customer, staff):
    from datetime import timedelta

    from sqlalchemy import update

    from novacart.db import utcnow
    from novacart.extensions import db
    from novacart.notifications import tasks
    from novacart.notifications.models import Notification, Promotion, PromotionStatus

    # given: a promotion left `sending` by a worker that died before writing anything
    promo = client.post("/api/promotions", json={"title": "Stalled", "message": "m"}, headers=staff[1]).get_json()
    db.session.execute(
        update(Promotion)
        .where(Promotion.id == promo["id"])
        .values(status=PromotionStatus.SENDING, progress_at=utcnow() - timedelta(hours=1))
    )
    db.session.execute(Notification.__table__.delete().where(Notification.source_key == f"promo:{promo['id']}"))
    db.session.commit()
    # when: two schedulers poll
    resumed = tasks.send_due_promotions() + tasks.send_due_promotions()
    # then: resumed once, and the customer has it once
    assert resumed == 1
    assert [n["title"] for n in notifications_of(client, customer[1])] == ["Stalled"]
    assert db.session.get(Promotion, promo["id"]).status == PromotionStatus.SENT
