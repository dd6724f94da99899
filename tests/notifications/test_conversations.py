"""A message on an order reaches the other side live (`messageReceived`) and durably (a `message` notification)."""

from __future__ import annotations

from sqlalchemy import select

from novacart.events import tasks as event_tasks
from novacart.events.models import OutboxEvent
from novacart.extensions import db
from tests.notifications.conftest import events, received
from tests.notifications.test_triggers import notifications_of, place


def write(client, headers, order_id, text):
    response = client.post(f"/api/orders/{order_id}/messages", json={"text": text}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def follow(sock, order_id):
    sock.emit("joinRoom", {"room": f"order:{order_id}"})
    assert events(sock, "error") == []


def test_a_customers_message_reaches_staff_and_admins_live_and_in_their_bell(
    client, make_user, admin, make_product, socket_for
):
    # given a customer's order, the staff on their sockets, and another customer listening too
    customer_id, alice = make_user("customer", name="Alice Paper")
    _, bob = make_user("customer")
    staff_id, staff = make_user("staff")
    order_id = place(client, alice, make_product())
    staff_socket, admin_socket, bob_socket = socket_for(staff), socket_for(admin[1]), socket_for(bob)
    alice_socket = socket_for(alice)
    follow(alice_socket, order_id)
    for sock in (staff_socket, admin_socket, bob_socket, alice_socket):
        sock.get_received()
    # when the customer writes
    message = write(client, alice, order_id, "Could you gift-wrap it?")
    # then staff and admins hear it live, once each, with the whole message
    for sock in (staff_socket, admin_socket):
        got = received(sock)
        assert [payload for name, payload in got if name == "messageReceived"] == [message]
        [note] = [payload for name, payload in got if name == "notification"]
        assert note["type"] == "message" and note["data"] == {"order_id": order_id, "message_id": message["id"]}
        assert note["title"] == f"Alice Paper wrote about order #{order_id}"
        assert note["message"] == "Could you gift-wrap it?"
    # and the customer's own tab following the order sees it too (it de-duplicates by id), but no notification
    assert [(name, payload) for name, payload in received(alice_socket)] == [("messageReceived", message)]
    assert notifications_of(client, alice, type="message") == []
    # and nobody else hears a thing
    assert received(bob_socket) == []
    # and the bells of staff and admins hold it
    for headers in (staff, admin[1]):
        [stored] = notifications_of(client, headers, type="message")
        assert stored["data"]["message_id"] == message["id"] and stored["is_read"] is False
    assert message["from"]["id"] == customer_id and staff_id != customer_id


def test_a_staff_reply_reaches_the_customer_and_whoever_follows_the_order(client, make_user, make_product, socket_for):
    # given the customer online, one colleague following the order and one not
    _, alice = make_user("customer")
    _, sam = make_user("staff", name="Sam Okoye")
    _, following = make_user("staff")
    _, elsewhere = make_user("staff")
    order_id = place(client, alice, make_product())
    alice_socket, following_socket, elsewhere_socket = socket_for(alice), socket_for(following), socket_for(elsewhere)
    follow(following_socket, order_id)
    for sock in (alice_socket, following_socket, elsewhere_socket):
        sock.get_received()
    # when staff reply
    reply = write(client, sam, order_id, "It ships <today> & arrives tomorrow.")
    # then the customer hears it live and durably
    got = received(alice_socket)
    assert [payload for name, payload in got if name == "messageReceived"] == [reply]
    [note] = [payload for name, payload in got if name == "notification" and payload["type"] == "message"]
    assert note["title"] == f"New message about order #{order_id}"
    assert note["message"] == "Sam Okoye: It ships <today> & arrives tomorrow."  # as typed: pages escape it
    assert note["data"] == {"order_id": order_id, "message_id": reply["id"]}
    # and the colleague following the order sees the reply live; employees get no notification of it
    assert [name for name, _ in received(following_socket)] == ["messageReceived"]
    assert received(elsewhere_socket) == []
    for headers in (sam, following, elsewhere):
        assert notifications_of(client, headers, type="message") == []


def test_an_offline_customer_gets_the_reply_when_they_connect(client, make_user, staff, make_product, socket_for):
    # given a customer with no socket open
    _, alice = make_user("customer")
    order_id = place(client, alice, make_product())
    # when staff reply
    reply = write(client, staff[1], order_id, "Your parcel is at the depot.")
    # then the message notification waits in the delivery queue and is replayed at connect
    sock = socket_for(alice)
    replayed = [n for n in events(sock, "notification") if n["type"] == "message"]
    assert [n["data"]["message_id"] for n in replayed] == [reply["id"]]
    # and the conversation holds the message for the client to show
    page = client.get(f"/api/orders/{order_id}/messages", headers=alice).get_json()
    assert [m["id"] for m in page["items"]] == [reply["id"]]


def test_messages_can_be_turned_off(client, make_user, make_product):
    _, alice = make_user("customer")
    _, quiet = make_user("staff")
    _, loud = make_user("staff")
    response = client.put("/api/notifications/preferences", json={"types": {"message": False}}, headers=quiet)
    assert response.status_code == 200 and response.get_json()["types"]["message"] is False
    write(client, alice, place(client, alice, make_product()), "Hello shop")
    assert notifications_of(client, quiet, type="message") == []
    assert len(notifications_of(client, loud, type="message")) == 1


def test_a_long_message_is_quoted_in_the_notification_and_whole_in_the_conversation(
    client, make_user, staff, make_product
):
    _, alice = make_user("customer")
    order_id = place(client, alice, make_product())
    text = "word " * 399 + "end"
    message = write(client, staff[1], order_id, text)
    [note] = notifications_of(client, alice, type="message")
    assert note["message"].endswith("…") and len(note["message"]) < 400
    assert message["text"] == text.strip()


def test_a_redispatched_message_event_notifies_nobody_twice_and_emits_nothing_again(
    client, make_user, staff, make_product, socket_for
):
    # given a reply already delivered to the customer
    _, alice = make_user("customer")
    order_id = place(client, alice, make_product())
    sock = socket_for(alice)
    write(client, staff[1], order_id, "Shipped.")
    sock.get_received()
    # when the outbox sweep dispatches its event again (a lost hand-off)
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.name == "orders.message_posted"))
    event.dispatched_at = None
    db.session.commit()
    event_tasks.dispatch_event(event.id)
    # then nothing new is stored, and no second messageReceived goes out
    assert len(notifications_of(client, alice, type="message")) == 1
    assert [name for name, _ in received(sock)] == []


def test_everyone_may_receive_messages_with_their_icon(client, customer, staff, admin):
    for headers in (customer[1], staff[1], admin[1]):
        listed = {t["type"]: t for t in client.get("/api/notifications/types", headers=headers).get_json()}
        assert listed["message"]["icon"] == "message" and listed["message"]["always_on"] is False
        assert listed["message"]["channels"] == ["in_app", "email", "push"]
