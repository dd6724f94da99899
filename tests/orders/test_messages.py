"""Conversations on an order over REST: who may read and write, what a message may hold, pages, the board's flag."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from novacart.events.models import OutboxEvent
from novacart.extensions import db
from novacart.orders.models import OrderMessage
from tests.helpers import assert_problem
from tests.orders.test_routes import place


@pytest.fixture
def order(client, customer, make_product):
    """An order of the `customer` fixture: its id."""
    return place(client, customer[1], (make_product(), 1)).get_json()["id"]


def write(client, headers, order_id, text):
    return client.post(f"/api/orders/{order_id}/messages", json={"text": text}, headers=headers)


def conversation(client, headers, order_id, **query):
    response = client.get(f"/api/orders/{order_id}/messages", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_customer_and_staff_write_to_each_other_on_an_order(client, customer, make_user, order):
    # given the order's customer and a staff member with names
    customer_id, customer_headers = customer
    staff_id, staff_headers = make_user("staff", name="Sam Okoye")
    # when each writes once
    asked = write(client, customer_headers, order, "  Can you ship it before Friday?\n")
    answered = write(client, staff_headers, order, "Yes: it leaves tomorrow.")
    # then both get 201 with the contract's message object, the text trimmed
    assert asked.status_code == 201 and answered.status_code == 201
    question = asked.get_json()
    assert question.keys() == {"id", "order_id", "from", "text", "at"}
    assert question["order_id"] == order and question["text"] == "Can you ship it before Friday?"
    assert question["from"] == {"id": customer_id, "name": "Test User", "role": "customer"}
    assert question["at"].endswith("+00:00")
    assert answered.get_json()["from"] == {"id": staff_id, "name": "Sam Okoye", "role": "staff"}
    # and both sides read the same conversation, newest first
    for headers in (customer_headers, staff_headers):
        page = conversation(client, headers, order)
        assert [m["text"] for m in page["items"]] == ["Yes: it leaves tomorrow.", "Can you ship it before Friday?"]
        assert page["next_cursor"] is None


def test_an_admin_may_write_too(client, admin, order):
    response = write(client, admin[1], order, "Admin here.")
    assert response.status_code == 201 and response.get_json()["from"]["role"] == "admin"


def test_another_customers_order_is_not_found_whether_read_or_written(client, make_user, order):
    # given someone else's order
    _, mallory = make_user("customer")
    # then it does not exist for them, for reading or writing (never 403: that would reveal it)
    assert_problem(client.get(f"/api/orders/{order}/messages", headers=mallory), 404, "not_found")
    assert_problem(write(client, mallory, order, "hello?"), 404, "not_found")
    assert_problem(write(client, mallory, 999_999, "hello?"), 404, "not_found")
    assert db.session.scalar(select(OrderMessage.id)) is None


def test_without_a_token_nothing_is_read_or_written(client, order):
    assert_problem(client.get(f"/api/orders/{order}/messages"), 401)
    assert_problem(client.post(f"/api/orders/{order}/messages", json={"text": "hi"}), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n\t  "},
        {"text": "x" * 2001},
        {"text": 42},
        {"text": None},
        {},
        {"text": "hi", "extra": 1},
    ],
    ids=["empty", "only-spaces", "too-long", "number", "null", "missing", "unknown-field"],
)
def test_a_message_that_is_empty_too_long_or_malformed_is_refused(client, customer, order, body):
    response = client.post(f"/api/orders/{order}/messages", json=body, headers=customer[1])
    assert_problem(response, 422, "validation_error")
    assert db.session.scalar(select(OrderMessage.id)) is None


def test_limits_count_the_text_without_the_spaces_around_it(client, customer, order):
    # 2,000 characters is the most, counted after trimming
    longest = "y" * 2000
    response = write(client, customer[1], order, f"   {longest}\n\n")
    assert response.status_code == 201 and response.get_json()["text"] == longest
    assert write(client, customer[1], order, "z").status_code == 201


def test_a_nul_character_is_refused_not_a_server_error(client, customer, order):
    body = assert_problem(write(client, customer[1], order, "before\x00after"), 422, "validation_error")
    assert "text" in body["errors"]


def test_markup_and_any_script_are_kept_as_typed(client, customer, staff, order):
    # given text that would be markup if it were ever put into a page as HTML
    typed = "<script>alert(1)</script> & <b>bold</b> \u202eevil\u202c 😀\nsecond line"
    # when written and read back
    assert write(client, customer[1], order, typed).status_code == 201
    # then it comes back exactly as typed (escaping is the page's job, when it shows it)
    [message] = conversation(client, staff[1], order)["items"]
    assert message["text"] == typed


def test_the_conversation_is_paginated_newest_first(client, customer, order):
    for n in range(5):
        assert write(client, customer[1], order, f"message {n}").status_code == 201
    first = conversation(client, customer[1], order, limit=2)
    second = conversation(client, customer[1], order, limit=2, cursor=first["next_cursor"])
    third = conversation(client, customer[1], order, limit=2, cursor=second["next_cursor"])
    texts = [m["text"] for page in (first, second, third) for m in page["items"]]
    assert texts == [f"message {n}" for n in (4, 3, 2, 1, 0)]
    assert third["next_cursor"] is None
    assert_problem(
        client.get(f"/api/orders/{order}/messages?cursor=not-ours", headers=customer[1]), 422, "validation_error"
    )


def test_an_empty_conversation_is_an_empty_page(client, customer, order):
    assert conversation(client, customer[1], order) == {"items": [], "next_cursor": None}


def test_conversations_are_per_order(client, customer, make_product, order):
    other = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    write(client, customer[1], order, "about the first")
    write(client, customer[1], other, "about the second")
    assert [m["text"] for m in conversation(client, customer[1], other)["items"]] == ["about the second"]


def test_writing_a_message_records_one_domain_event_naming_the_side(client, customer, staff, order):
    from novacart.orders import events as order_events

    question = write(client, customer[1], order, "Where is it?").get_json()
    answer = write(client, staff[1], order, "On its way.").get_json()
    payloads = list(
        db.session.scalars(
            select(OutboxEvent.payload).where(OutboxEvent.name == order_events.MESSAGE_POSTED).order_by(OutboxEvent.id)
        )
    )
    assert [(p["message_id"], p["from_customer"], p["customer_id"]) for p in payloads] == [
        (question["id"], True, customer[0]),
        (answer["id"], False, customer[0]),
    ]


def test_writing_is_rate_limited_per_user(app, client, customer, staff, order):
    app.config["MESSAGE_RATE_LIMIT"] = "3/minute"
    try:
        for n in range(3):
            assert write(client, customer[1], order, f"m{n}").status_code == 201
        response = write(client, customer[1], order, "one too many")
        assert_problem(response, 429, "rate_limited")
        assert response.headers.get("Retry-After")
        # someone else is not held back by it
        assert write(client, staff[1], order, "staff still writes").status_code == 201
    finally:
        app.config["MESSAGE_RATE_LIMIT"] = "30/minute"


def test_orders_awaiting_reply_are_those_whose_latest_message_is_the_customers(
    client, customer, make_user, staff, make_product, order
):
    from novacart.orders import messages

    # given orders of two customers (at most three unpaid each)
    _, other = make_user("customer")
    answered = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    silent = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    staff_first = place(client, other, (make_product(), 1)).get_json()["id"]
    # when some are asked about and some answered
    write(client, customer[1], order, "still waiting")
    write(client, customer[1], answered, "question")
    write(client, staff[1], answered, "answer")
    write(client, staff[1], staff_first, "we have a question for you")
    write(client, customer[1], order, "hello?")
    # then only the one whose latest message is its customer's awaits a reply
    assert messages.awaiting_reply([order, answered, silent, staff_first]) == {order}
    assert messages.awaiting_reply([]) == set()
    # and once the customer of the other order answers staff's question, it awaits staff
    write(client, other, staff_first, "here is the answer")
    assert messages.awaiting_reply([order, answered, silent, staff_first]) == {order, staff_first}
