"""Conversations on an order, end to end: the whole system as processes (two gevent web processes, a Celery
worker, beat, Redis), customers and staff over real HTTP and python-socketio clients, then the React client
and the employee dashboard in headless Chromium.

Every payload the socket clients receive is checked against /api/asyncapi.json (the `recorders` fixture).
The README's conversation screenshots are taken here (docs/screenshots with UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.e2e import test_browser as client_pages
from tests.e2e import test_dashboard as dashboard_pages
from tests.e2e.browser import PASSWORD
from tests.e2e.harness import fence, wait_until

try:
    from playwright.sync_api import expect
except ImportError:  # reported by the `browser` fixture (conftest.py)
    expect = None

pytestmark = pytest.mark.e2e

# The browser fixtures of the client's and the dashboard's tests, shared rather than copied.
tabs = client_pages.tabs
screenshots = client_pages.screenshots
staff_page = dashboard_pages.staff_page

ADDRESS = "12 Stationery Road, Springfield"
LIVE_MS = 10_000  # an event travelling web → Redis → web → browser on a busy 2-core machine, and a re-read


def named_employee(system, name: str) -> dict:
    """A staff member with a real name (System.employee() names them after their role)."""
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@novacart.test"
    system.flask("users", "create", "--email", email, "--password", PASSWORD, "--role", "staff", "--name", name)
    body = system.api("POST", "/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"id": body["user"]["id"], "email": email, "token": body["access_token"]}


def place_order(system, customer, product_id) -> int:
    return system.place_order(customer["token"], {product_id: 1}, ADDRESS)


def write(system, user, order_id: int, text: str) -> dict:
    response = system.api("POST", f"/api/orders/{order_id}/messages", user["token"], json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def conversation(system, user, order_id: int) -> list[dict]:
    response = system.api("GET", f"/api/orders/{order_id}/messages", user["token"])
    assert response.status_code == 200, response.text
    return response.json()["items"]


def unread_messages(system, user) -> list[dict]:
    response = system.api("GET", "/api/notifications?type=message&unread_only=true", user["token"])
    return response.json()["items"]


def about(message_id: int):
    return lambda n: n["type"] == "message" and n["data"]["message_id"] == message_id


# -- over sockets -------------------------------------------------------------------------------------


def test_a_conversation_goes_both_ways_live(system, staff_user, admin_user, product, recorders):
    # given a customer's order, the customer and the shop on sockets (on different web processes), and a
    # stranger listening too
    alice, mallory = system.register("Alice Moreau"), system.register("Mallory")
    order_id = place_order(system, alice, product())
    alice_socket = recorders(alice["token"]).connect()
    staff_socket = recorders(staff_user["token"], url=system.web_url(1)).connect()
    admin_socket = recorders(admin_user["token"]).connect()
    mallory_socket = recorders(mallory["token"], url=system.web_url(1)).connect()

    # when the customer asks
    question = write(system, alice, order_id, "Can you deliver to my office instead?")

    # then staff and admins hear it live, and in their bells
    for sock in (staff_socket, admin_socket):
        [live] = sock.wait_for("messageReceived", lambda m: m["id"] == question["id"])
        assert live == question and live["from"] == {"id": alice["id"], "name": "Alice Moreau", "role": "customer"}
        [note] = sock.wait_for("notification", about(question["id"]))
        assert note["data"] == {"order_id": order_id, "message_id": question["id"]}

    # when staff answer
    answer = write(system, staff_user, order_id, "Of course: send us the address here.")

    # then the customer hears it live and in the bell, and the conversation holds both, newest first
    [live] = alice_socket.wait_for("messageReceived", lambda m: m["id"] == answer["id"])
    assert live == answer and live["from"]["role"] == "staff"
    [note] = alice_socket.wait_for("notification", about(answer["id"]))
    assert note["title"] == f"New message about order #{order_id}"
    assert [m["id"] for m in conversation(system, alice, order_id)] == [answer["id"], question["id"]]
    # and the customer heard nothing of their own message, the stranger nothing at all
    assert [m["id"] for m in alice_socket.of("messageReceived")] == [answer["id"]]
    fence(system, staff_user["token"], mallory_socket, mallory["id"])
    assert mallory_socket.of("messageReceived") == []
    assert [n for n in mallory_socket.of("notification") if n["type"] == "message"] == []
    # and nobody else may read or write it
    refused = system.api("GET", f"/api/orders/{order_id}/messages", mallory["token"])
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"


def test_a_reply_survives_the_customer_being_offline(system, staff_user, product, recorders):
    # given a customer who was online, then left
    carla = system.register("Carla Bianchi")
    order_id = place_order(system, carla, product())
    online = recorders(carla["token"]).connect()
    question = write(system, carla, order_id, "Is the invoice in the parcel?")
    online.close()

    # when staff answer while they are away
    answer = write(system, staff_user, order_id, "Yes, and a copy is in your e-mail.")

    # then their next connection replays the message notification, until acknowledged
    again = recorders(carla["token"], ack=False).connect()
    # (the worker's live emit may still be on its way when the replay is sent: the same notification twice
    # on the wire, which the contract allows and clients fold by id)
    notes = again.wait_for("notification", about(answer["id"]))
    note = notes[0]
    assert {n["id"] for n in notes} == {note["id"]}
    assert note["data"] == {"order_id": order_id, "message_id": answer["id"]} and note["is_read"] is False
    assert [m["id"] for m in conversation(system, carla, order_id)] == [answer["id"], question["id"]]
    # and once acknowledged, it is not replayed again
    again.emit("notification:ack", {"ids": [note["id"]]})
    fence(system, staff_user["token"], again, carla["id"])
    again.close()
    last = recorders(carla["token"]).connect()
    fence(system, staff_user["token"], last, carla["id"])
    assert [n for n in last.of("notification") if n["type"] == "message"] == []


# -- in the React client ------------------------------------------------------------------------------


def test_the_customer_converses_on_the_order_page_live(tabs, system, staff_user, product, recorders, screenshots):
    # given an order the customer asked about, and staff listening
    dana = system.register("Dana Whitfield")
    order_id = place_order(system, dana, product(stock=30, threshold=2, name="Ergonomic office chair"))
    write(system, dana, order_id, "Hi! Could the chair come assembled?")
    sam = named_employee(system, "Sam Okoye")
    staff_socket = recorders(staff_user["token"]).connect()
    page = tabs.open("customer")
    client_pages.log_in(page, dana, then=f"/orders/{order_id}")
    chat = page.get_by_test_id("conversation")
    expect(chat.get_by_test_id("message")).to_have_count(1)
    client_pages.mark_document(page)

    # when staff answer through the API
    write(system, sam, order_id, "It comes flat-packed, but the tools are included.\nIt takes 15 minutes.")

    # then the answer appears live, marked new, and the bell has read it (the conversation is where it is read)
    answer = chat.locator('[data-testid="message"][data-unread="true"]')
    expect(answer).to_have_count(1, timeout=LIVE_MS)
    expect(answer).to_contain_text("It comes flat-packed")
    expect(answer).to_contain_text("Sam Okoye")
    expect(answer).to_contain_text("NovaCart team")
    expect(chat.get_by_test_id("conversation-new-count")).to_have_text("1 new")
    wait_until(lambda: unread_messages(system, dana) == [], what="the order page to read the message notification")
    expect(client_pages.badge(page)).to_have_text("1")  # only "order received" is left unread
    page.screenshot(path=screenshots / "conversation.png", animations="disabled")

    # when the customer answers back, markup and all
    reply = "Perfect <b>thanks</b>, flat-packed is fine."
    page.get_by_label("Your message").fill(reply)
    page.get_by_role("button", name="Send").click()

    # then it is shown as text, the box empties, nothing is marked new any more, and staff hear it live
    mine = chat.locator(".message--mine").last
    expect(mine).to_contain_text(reply)
    expect(page.get_by_label("Your message")).to_have_value("")
    expect(chat.locator('[data-testid="message"][data-unread="true"]')).to_have_count(0)
    [live] = staff_socket.wait_for("messageReceived", lambda m: m["text"] == reply)
    assert live["order_id"] == order_id and live["from"]["id"] == dana["id"]
    assert chat.locator("b").count() == 0
    assert client_pages.same_document(page), "the page was reloaded"


def test_a_reply_written_while_the_customer_was_away_is_new_when_they_come_back(tabs, system, staff_user, product):
    # given a question, then the customer's browser closed
    emil = system.register("Emil Novak")
    order_id = place_order(system, emil, product(name="Fountain pen"))
    write(system, emil, order_id, "Does it come with a converter?")
    # when staff answer while no page of theirs is open
    write(system, staff_user, order_id, "It does, and five cartridges.")
    wait_until(lambda: client_pages.unread(system, emil) >= 1, what="the message notification")
    # then signing in shows it in the bell, and the order page marks it new and reads it
    page = tabs.open("returning")
    client_pages.log_in(page, emil, then=f"/orders/{order_id}")
    chat = page.get_by_test_id("conversation")
    unread = chat.locator('[data-testid="message"][data-unread="true"]')
    expect(unread).to_have_count(1, timeout=LIVE_MS)
    expect(unread).to_contain_text("five cartridges")
    wait_until(lambda: unread_messages(system, emil) == [], what="the order page to read the message notification")


# -- in the employee dashboard ------------------------------------------------------------------------


def test_staff_see_a_question_on_the_board_and_answer_it_from_the_order(
    system, staff_page, product, recorders, screenshots
):
    page = staff_page
    # given a customer's order on the open board
    fiona = system.register("Fiona Gallagher")
    order_id = place_order(system, fiona, product(name="Lever-arch binder, A4"))
    page.goto(f"/dashboard/orders/?q={fiona['email']}")
    dashboard_pages.wait_live(page)
    dashboard_pages.mark_no_reload(page)
    row = page.locator(f"#order-{order_id}")
    expect(row.locator("[data-awaiting-badge]")).to_have_count(0)

    # when the customer asks a question
    listener = recorders(fiona["token"]).connect()
    write(system, fiona, order_id, "Hello! Can I add a second binder to this order?")

    # then the board marks the order as awaiting a reply, live
    expect(row.locator("[data-awaiting-badge]")).to_have_text("awaiting reply", timeout=LIVE_MS)
    assert dashboard_pages.same_document(page)

    # when staff open it and answer from the reply form
    row.locator("[data-awaiting-badge]").click()
    expect(page).to_have_url(re.compile(rf"/dashboard/orders/{order_id}#conversation$"))
    dashboard_pages.wait_live(page)
    dashboard_pages.mark_no_reload(page)
    thread = page.locator("#conversation-messages")
    expect(thread.locator(".message.is-unanswered")).to_have_count(1)
    page.get_by_label("Reply").fill("Of course: I added it, and the new total is on the order.")
    page.get_by_role("button", name="Send reply").click()

    # then the reply shows without a reload, nothing awaits a reply, and the customer hears it live
    expect(thread.locator(".message.from-shop")).to_contain_text("I added it", timeout=LIVE_MS)
    expect(thread.locator(".message.is-unanswered")).to_have_count(0)
    expect(page.get_by_label("Reply")).to_have_value("")
    [live] = listener.wait_for("messageReceived", lambda m: m["from"]["role"] == "staff")
    assert live["order_id"] == order_id and "I added it" in live["text"]
    assert dashboard_pages.same_document(page)

    # and when the customer writes again, it appears on the open order page live
    write(system, fiona, order_id, "Thank you!")
    expect(thread.locator(".message.from-customer").last).to_contain_text("Thank you!", timeout=LIVE_MS)
    expect(thread.locator(".message.is-unanswered")).to_have_count(1)
    assert dashboard_pages.same_document(page)
    page.wait_for_timeout(300)  # mid-highlight of the newest message
    page.screenshot(path=screenshots / "dashboard-conversation.png")


def test_a_colleagues_reply_clears_the_boards_mark_live(system, staff_page, product):
    page = staff_page
    # given an order awaiting a reply on the open board
    gus = system.register("Gus Lindqvist")
    order_id = place_order(system, gus, product())
    write(system, gus, order_id, "Is this the 80 gsm paper? <img src=x onerror=alert(1)>")
    page.goto(f"/dashboard/orders/?q={gus['email']}")
    dashboard_pages.wait_live(page)
    dashboard_pages.mark_no_reload(page)
    badge = page.locator(f"#order-{order_id} [data-awaiting-badge]")
    expect(badge).to_be_visible()
    # (its text, markup and all, is shown as text on the order's page)
    page.goto(f"/dashboard/orders/{order_id}")
    expect(page.locator("#conversation-messages")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("#conversation-messages img").count() == 0
    page.goto(f"/dashboard/orders/?q={gus['email']}")
    dashboard_pages.wait_live(page)
    dashboard_pages.mark_no_reload(page)
    # when a colleague answers elsewhere (through the API)
    colleague = system.employee("staff")
    write(system, colleague, order_id, "It is: 80 gsm, FSC certified.")
    # then the mark goes, without a reload
    expect(badge).to_have_count(0, timeout=LIVE_MS)
    assert dashboard_pages.same_document(page)
