"""The conversation on an order in the dashboard: shown on the order's page, answered with a form (CSRF,
errors flashed), and orders awaiting a reply marked on the board."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from novacart.extensions import db
from novacart.notifications import inbox
from novacart.orders import messages
from novacart.orders.models import OrderMessage
from tests.dashboard.conftest import submit

FETCH = {"X-Requested-With": "fetch"}
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def order(make_user, make_product, place_order):
    """A customer's order: {'customer': id, 'order': id}."""
    email = f"carla-{uuid.uuid4().hex[:6]}@example.test"
    customer_id, _ = make_user("customer", name="Carla Customer", email=email)
    return {"customer": customer_id, "order": place_order(customer_id, {make_product(): 1})}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def message_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OrderMessage))


def test_the_order_page_shows_the_conversation_oldest_first_with_the_unanswered_marked(sign_in, order):
    # given a customer's question, a staff answer, then two more questions
    staff_id, client = sign_in("staff", name="Sam Staff")
    messages.post_message(order["customer"], order["order"], "Is it in stock?")
    messages.post_message(staff_id, order["order"], "Yes, it ships today.")
    late = [messages.post_message(order["customer"], order["order"], text)["id"] for text in ("Thanks!", "One more")]
    # when the staff member opens the order
    page = text_of(client.get(f"/dashboard/orders/{order['order']}"))
    # then the messages read top to bottom, with who wrote them
    positions = [page.index(text) for text in ("Is it in stock?", "Yes, it ships today.", "Thanks!", "One more")]
    assert positions == sorted(positions)
    assert "Carla Customer" in page and "Sam Staff" in page
    # and the customer's messages after the latest reply are marked as waiting for one
    unanswered = re.findall(r'id="message-(\d+)" class="message from-customer is-unanswered"', page)
    assert [int(i) for i in unanswered] == late
    assert 'id="reply-form"' in page and 'name="csrf_token"' in page


def test_an_order_without_messages_invites_a_reply(sign_in, order):
    _, client = sign_in("staff")
    page = text_of(client.get(f"/dashboard/orders/{order['order']}"))
    assert "No messages yet." in page and 'id="reply-form"' in page


def test_a_reply_is_sent_to_the_customer_and_shown(sign_in, order):
    # given
    staff_id, client = sign_in("staff", name="Sam Staff")
    messages.post_message(order["customer"], order["order"], "Where is my parcel?")
    # when the form is sent (the browser without the page script)
    response = submit(
        client,
        f"/dashboard/orders/{order['order']}/messages",
        {"text": "  It left this morning.  "},
        form_page=f"/dashboard/orders/{order['order']}",
    )
    # then back on the order's page, with the reply shown and nothing awaiting a reply any more
    assert response.status_code == 302 and response.headers["Location"] == f"/dashboard/orders/{order['order']}"
    page = text_of(client.get(response.headers["Location"]))
    assert "Reply sent." in page and "It left this morning." in page and "is-unanswered" not in page
    # and the customer has it in their conversation and their bell
    [latest, _] = messages.list_messages(order["customer"], order["order"], limit=5, after_id=None).items
    assert latest["text"] == "It left this morning." and latest["from"]["id"] == staff_id
    [note] = [n for n in inbox.find_by_user(order["customer"], limit=10).items if n.type == "message"]
    assert note.data == {"order_id": order["order"], "message_id": latest["id"]}


def test_a_reply_from_the_page_script_gets_204(sign_in, order):
    _, client = sign_in("staff")
    response = submit(
        client,
        f"/dashboard/orders/{order['order']}/messages",
        {"text": "Sent from the script"},
        form_page=f"/dashboard/orders/{order['order']}",
        headers=FETCH,
    )
    assert response.status_code == 204 and message_count() == 1


@pytest.mark.parametrize("text", ["", "   \n  ", "x" * 2001])
def test_an_empty_or_too_long_reply_is_refused_with_a_flash_and_nothing_sent(sign_in, order, text):
    _, client = sign_in("staff")
    page = f"/dashboard/orders/{order['order']}"
    response = submit(client, f"{page}/messages", {"text": text}, form_page=page, follow_redirects=True)
    assert response.status_code == 200
    assert "Reply:" in text_of(response) and 'class="flash' in text_of(response)
    assert message_count() == 0
    fetched = submit(client, f"{page}/messages", {"text": text}, form_page=page, headers=FETCH)
    assert fetched.status_code == 422 and fetched.get_json()["code"] == "validation_error"


def test_a_reply_without_a_csrf_token_writes_nothing(sign_in, order):
    _, client = sign_in("staff")
    response = client.post(f"/dashboard/orders/{order['order']}/messages", data={"text": "no token"})
    assert response.status_code == 400 and message_count() == 0


def test_a_reply_to_an_order_that_does_not_exist_is_refused(sign_in):
    _, client = sign_in("staff")
    response = submit(client, "/dashboard/orders/999999/messages", {"text": "hello?"}, headers=FETCH)
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert message_count() == 0


def test_a_message_written_like_markup_is_shown_as_text(sign_in, order):
    _, client = sign_in("staff")
    messages.post_message(order["customer"], order["order"], f"{XSS}\n<script>alert(2)</script>")
    page = text_of(client.get(f"/dashboard/orders/{order['order']}"))
    assert XSS not in page and "<script>alert(2)" not in page
    assert html.escape(XSS) in page


def test_the_board_marks_orders_whose_customer_awaits_a_reply(sign_in, order, make_product, place_order):
    # given two orders of the customer, one asked about
    staff_id, client = sign_in("staff")
    quiet = place_order(order["customer"], {make_product(): 1})
    messages.post_message(order["customer"], order["order"], "Any news?")

    def marked() -> set[int]:
        board = text_of(client.get("/dashboard/orders/"))
        return {int(i) for i in re.findall(r'<tr id="order-(\d+)" class="order-row is-awaiting-reply"', board)}

    # then the board marks that one, and its row fragment too (what the page script fetches live)
    assert marked() == {order["order"]}
    assert "awaiting reply" in text_of(client.get(f"/dashboard/orders/{order['order']}/row"))
    assert "awaiting reply" not in text_of(client.get(f"/dashboard/orders/{quiet}/row"))
    # and once staff answer, the mark is gone
    messages.post_message(staff_id, order["order"], "Shipped yesterday.")
    assert marked() == set()
    assert "awaiting reply" not in text_of(client.get(f"/dashboard/orders/{order['order']}/row"))


def test_earlier_messages_are_one_link_away(sign_in, order):
    staff_id, client = sign_in("staff")
    for n in range(55):
        messages.post_message(order["customer"] if n % 2 else staff_id, order["order"], f"note number {n:02d}")
    page = text_of(client.get(f"/dashboard/orders/{order['order']}"))
    assert "note number 54" in page and "note number 04" not in page
    link = re.search(r'<a href="([^"]+)">Earlier messages</a>', page).group(1)
    earlier = text_of(client.get(html.unescape(link)))
    assert "note number 04" in earlier and "note number 00" in earlier and "note number 54" not in earlier
