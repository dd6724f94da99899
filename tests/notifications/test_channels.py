"""E-mail and Web Push for what no open page showed: once per channel, as the user's preferences say.

In these in-process tests Celery runs eagerly, so a notification's channel check runs at once, before
any client could acknowledge it (tests/system/test_channels.py waits out the real delays).
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from novacart.db import utcnow
from novacart.extensions import db
from novacart.notifications import channels, mail, tasks
from novacart.notifications.models import ChannelSend, PushSubscription
from tests.channels_support import PushReceiver, PushService, SmtpServer, check_vapid, self_signed_tls_context
from tests.helpers import assert_problem
from tests.orders.test_routes import place


@pytest.fixture
def smtp(app):
    server = SmtpServer().start()
    app.config["SMTP_URL"] = server.url
    yield server
    app.config["SMTP_URL"] = None
    server.stop()


@pytest.fixture
def push_service():
    service = PushService().start()
    yield service
    service.stop()


def _sends(notification_id: int) -> dict[str, str]:
    rows = db.session.execute(
        select(ChannelSend.channel, ChannelSend.status).where(ChannelSend.notification_id == notification_id)
    )
    return {channel: status for channel, status in rows}


def _shipped_notification(client, customer, staff, make_product) -> dict:
    order_id = place(client, customer[1], (make_product(), 1)).get_json()["id"]
    for status in ("paid", "preparing", "shipped"):
        client.patch(f"/api/orders/{order_id}/status", json={"status": status}, headers=staff[1])
    items = client.get("/api/notifications", headers=customer[1]).get_json()["items"]
    return next(n for n in items if n["data"].get("status") == "shipped")


def test_an_unseen_order_update_goes_out_by_email_once(app, client, customer, staff, make_product, smtp):
    # when the customer's order ships and no page of theirs is open
    note = _shipped_notification(client, customer, staff, make_product)
    # then one e-mail per unseen order update, this one among them, linking to the order
    mails = [m for m in smtp.messages if m["Subject"] == note["title"]]
    assert len(mails) == 1
    message = mails[0]
    assert message["X-NovaCart-Notification"] == str(note["id"]) and message["List-Unsubscribe-Post"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"{app.config['PUBLIC_URL']}/orders/{note['data']['order_id']}"
    assert note["message"] in text and link in text and link in html and "/unsubscribe/" in text
    assert _sends(note["id"])["email"] == "sent"
    # and checking it again sends nothing more
    assert channels.check("email", [note["id"]]) == 0
    assert len([m for m in smtp.messages if m["Subject"] == note["title"]]) == 1


def test_a_type_turned_off_for_email_is_not_emailed(client, customer, staff, make_product, smtp):
    off = {"channels": {"email": {"order_status": False}}}
    assert client.put("/api/notifications/preferences", json=off, headers=customer[1]).status_code == 200
    note = _shipped_notification(client, customer, staff, make_product)
    assert smtp.messages == [] and _sends(note["id"])["email"] == "off"
    # its in-app switch stays on: order updates are transactional
    prefs = client.get("/api/notifications/preferences", headers=customer[1]).get_json()
    assert prefs["types"]["order_status"] is True and prefs["channels"]["email"]["order_status"] is False


def test_channel_preferences_are_validated(client, customer):
    _, headers = customer
    bad = client.put(
        "/api/notifications/preferences", json={"channels": {"email": {"low_stock": True}}}, headers=headers
    )
    assert_problem(bad, 422)
    assert_problem(client.put("/api/notifications/preferences", json={"channels": {"sms": {}}}, headers=headers), 422)
    on = client.put(
        "/api/notifications/preferences", json={"channels": {"email": {"promotion": True}}}, headers=headers
    )
    assert on.get_json()["channels"]["email"]["promotion"] is True


def test_the_unsubscribe_link_works_without_signing_in(app, client, customer, staff, make_product, smtp):
    note = _shipped_notification(client, customer, staff, make_product)
    text = [m for m in smtp.messages if m["Subject"] == note["title"]][0].get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/unsubscribe/" in word)
    path = link.removeprefix(app.config["PUBLIC_URL"])
    anonymous = app.test_client()
    # a GET (a link scanner) only asks
    assert "Stop these e-mails?" in anonymous.get(path).get_data(as_text=True)
    prefs = client.get("/api/notifications/preferences", headers=customer[1]).get_json()
    assert prefs["channels"]["email"]["order_status"] is True
    # the button (or a mail client's one-click POST) turns it off
    assert "You are unsubscribed" in anonymous.post(path).get_data(as_text=True)
    prefs = client.get("/api/notifications/preferences", headers=customer[1]).get_json()
    assert prefs["channels"]["email"]["order_status"] is False
    assert anonymous.post(path[:-3] + "xyz").status_code == 404  # a token we did not sign


def test_push_delivers_an_encrypted_payload_signed_with_vapid(app, client, customer, staff, make_product, push_service):
    # given the customer's browser subscribed to push
    receiver = PushReceiver()
    key = client.get("/api/push/public-key", headers=customer[1]).get_json()["public_key"]
    body = {"endpoint": push_service.endpoint("alice"), "keys": receiver.keys()}
    assert client.post("/api/push/subscriptions", json=body, headers=customer[1]).status_code == 201
    assert client.post("/api/push/subscriptions", json=body, headers=customer[1]).status_code == 201  # idempotent
    # when an order update goes unseen
    note = _shipped_notification(client, customer, staff, make_product)
    # then the push service got it, encrypted for that browser, signed with the shop's VAPID key
    pushes = [r for r in push_service.requests if receiver.decrypt(r["body"])["id"] == note["id"]]
    assert len(pushes) == 1
    assert receiver.decrypt(pushes[0]["body"]) == note | {"is_read": False, "read_at": None}
    claims = check_vapid(pushes[0]["headers"]["authorization"], push_service.origin)
    assert claims["sub"] == app.config["VAPID_SUBJECT"] and key in pushes[0]["headers"]["authorization"]
    assert pushes[0]["headers"]["content-encoding"] == "aes128gcm"


def test_a_push_endpoint_answering_410_is_forgotten(client, customer, staff, make_product, push_service):
    receiver = PushReceiver()
    body = {"endpoint": push_service.endpoint("gone"), "keys": receiver.keys()}
    client.post("/api/push/subscriptions", json=body, headers=customer[1])
    push_service.status = 410
    note = _shipped_notification(client, customer, staff, make_product)
    assert db.session.scalar(select(PushSubscription.id).where(PushSubscription.endpoint == body["endpoint"])) is None
    assert _sends(note["id"])["push"] == "off"  # nowhere left to send it


def test_push_subscriptions_refuse_internal_endpoints_without_connecting(app, client, customer):
    # (no request reaches these addresses: the refusal is decided from the URL alone)
    app.config["WEBPUSH_ALLOW_ANY_ENDPOINT"] = False
    keys = PushReceiver().keys()
    try:
        for endpoint in (
            "http://push.example.com/x",  # not https
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
        ):
            response = client.post(
                "/api/push/subscriptions", json={"endpoint": endpoint, "keys": keys}, headers=customer[1]
            )
            assert_problem(response, 422)
        assert (
            client.delete(
                "/api/push/subscriptions", json={"endpoint": "https://x.example/1"}, headers=customer[1]
            ).status_code
            == 204
        )
    finally:
        app.config["WEBPUSH_ALLOW_ANY_ENDPOINT"] = True


def _send_row(notification_id: int, channel: str) -> ChannelSend:
    db.session.expire_all()
    return db.session.scalars(
        select(ChannelSend).where(ChannelSend.notification_id == notification_id, ChannelSend.channel == channel)
    ).one()


def _make_retry_due(notification_id: int, channel: str) -> None:
    db.session.execute(
        update(ChannelSend)
        .where(ChannelSend.notification_id == notification_id, ChannelSend.channel == channel)
        .values(retry_at=utcnow())
    )
    db.session.commit()


def test_a_deferred_email_waits_for_its_retry_and_the_sweep_sends_it(client, customer, staff, make_product, smtp):
    # given a mail server deferring every recipient (4xx: try again later)
    smtp.inbox.refuse = "450 Mailbox busy, try again later"
    note = _shipped_notification(client, customer, staff, make_product)
    row = _send_row(note["id"], "email")
    # then the send waits, saying why and when it is tried again; the sweep leaves it until then
    assert (row.status, row.attempts, row.last_error) == ("sending", 1, "recipient deferred (450)")
    assert row.retry_at is not None and row.retry_at > utcnow()
    channels.sweep()
    assert _send_row(note["id"], "email").attempts == 1
    # when the server accepts again and the retry is due
    smtp.inbox.refuse = False
    _make_retry_due(note["id"], "email")
    channels.sweep()
    # then the sweep's attempt sends it, once
    row = _send_row(note["id"], "email")
    assert (row.status, row.attempts, row.retry_at) == ("sent", 2, None)
    assert len([m for m in smtp.messages if m["Subject"] == note["title"]]) == 1


def test_a_push_service_down_is_retried_and_one_refusing_the_message_is_a_failure(
    client, customer, staff, make_product, push_service
):
    receiver = PushReceiver()
    body = {"endpoint": push_service.endpoint("flaky"), "keys": receiver.keys()}
    client.post("/api/push/subscriptions", json=body, headers=customer[1])
    # given a push service answering 503: the send waits for its retry
    push_service.status = 503
    note = _shipped_notification(client, customer, staff, make_product)
    row = _send_row(note["id"], "push")
    assert (row.status, row.last_error) == ("sending", "push service answered 503") and row.retry_at is not None
    # when it refuses the message itself (400) at the retry: a failure, not tried again
    push_service.status = 400
    _make_retry_due(note["id"], "push")
    channels.sweep()
    row = _send_row(note["id"], "push")
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "push service refused the message (400)")
    channels.sweep()
    assert _send_row(note["id"], "push").attempts == 2


def test_an_endpoint_holding_nul_is_refused_by_subscribe_and_unsubscribe(client, customer):
    # PostgreSQL could neither store nor compare it; the OpenAPI document's pattern says so too
    body = {"endpoint": "https://push.example/\u0000x", "keys": PushReceiver().keys()}
    assert_problem(client.post("/api/push/subscriptions", json=body, headers=customer[1]), 422, "validation_error")
    response = client.delete("/api/push/subscriptions", json={"endpoint": body["endpoint"]}, headers=customer[1])
    assert assert_problem(response, 422, "validation_error")["errors"] == {
        "endpoint": ["Text may not contain NUL characters."]
    }


def _left_by_a_dead_worker(notification_id: int, *, handed: bool) -> None:
    """The row a worker SIGKILLed mid-send leaves: `sending`, its task's token, untouched for long."""
    long_ago = utcnow() - timedelta(hours=1)
    db.session.execute(
        update(ChannelSend)
        .where(ChannelSend.notification_id == notification_id, ChannelSend.channel == "email")
        .values(
            status="sending",
            claimed_by="dead-task",
            retry_at=None,
            updated_at=long_ago,
            handed_at=long_ago if handed else None,
        )
    )
    db.session.commit()


def test_a_send_whose_worker_died_is_repeated_only_if_the_server_never_had_the_whole_message(
    client, customer, staff, make_product, smtp
):
    first = _shipped_notification(client, customer, staff, make_product)
    second = _shipped_notification(client, customer, staff, make_product)
    before = len(smtp.messages)
    # given one send killed before its hand-over (the server discarded the unfinished message) and one
    # killed after it (the server had everything up to the final dot)
    _left_by_a_dead_worker(first["id"], handed=False)
    _left_by_a_dead_worker(second["id"], handed=True)
    # when the sweep finds them
    channels.sweep()
    # then only the first is sent again; both count as sent
    assert [m["X-NovaCart-Notification"] for m in smtp.messages[before:]] == [str(first["id"])]
    assert (_send_row(first["id"], "email").status, _send_row(first["id"], "email").last_error) == ("sent", None)
    row = _send_row(second["id"], "email")
    assert (row.status, row.last_error) == (
        "sent",
        "worker lost after the mail server had the message: counted as sent",
    )
    # and the killed task itself, delivered again by the broker, sends nothing either
    _left_by_a_dead_worker(second["id"], handed=True)
    assert tasks.send_channel.run(second["id"], "email", "dead-task", 1) == "not ours"
    assert len(smtp.messages) == before + 1 and _send_row(second["id"], "email").status == "sent"


def test_the_hand_over_comes_before_the_final_dot_and_refusing_it_sends_nothing(app, smtp):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "shop@example.com", "alice@example.com", "Shipped"
    message["X-NovaCart-Notification"] = "1"
    message.set_content(".a line starting with a dot\n")
    seen_by_the_server_at_hand_over = []

    def dies_at_hand_over():
        seen_by_the_server_at_hand_over.append(len(smtp.messages))
        raise channels.ClaimLost("another task took this send over")

    with app.app_context():
        with pytest.raises(channels.ClaimLost):
            mail.deliver(message, dies_at_hand_over)
        # the server, left without the dot, discarded the message, and takes the next one whole
        mail.deliver(message, lambda: seen_by_the_server_at_hand_over.append(len(smtp.messages)))
    assert seen_by_the_server_at_hand_over == [0, 0]
    [received] = smtp.wait_for(1)
    assert received.get_content().splitlines() == [".a line starting with a dot"]  # dot-stuffed and unstuffed


def test_a_password_is_never_sent_to_a_mail_server_without_tls(app, client, customer, staff, make_product, smtp):
    # given SMTP_URL with credentials, and a server that offers no STARTTLS
    app.config["SMTP_URL"] = smtp.url.replace("smtp://", "smtp://shop:secret@")
    note = _shipped_notification(client, customer, staff, make_product)
    # then no e-mail goes out, and the Operations page says why
    row = _send_row(note["id"], "email")
    assert (row.status, row.last_error) == ("failed", "127.0.0.1 offers no STARTTLS: the password is not sent in clear")
    assert smtp.messages == []


def test_a_server_offering_starttls_gets_nothing_in_clear(
    app, client, customer, staff, make_product, tmp_path, monkeypatch
):
    # given a server offering STARTTLS, with a certificate this machine does not trust
    server = SmtpServer(tls=self_signed_tls_context(tmp_path)).start()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    try:
        note = _shipped_notification(client, customer, staff, make_product)
    finally:
        server.stop()
    # then the client insisted on TLS, refused the certificate, and sent nothing: it will try again
    row = _send_row(note["id"], "email")
    assert (row.status, row.last_error) == ("sending", "mail server unreachable (SSLCertVerificationError)")
    assert server.messages == []


def test_without_smtp_a_refused_hand_over_leaves_no_file(app, tmp_path, monkeypatch):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "shop@example.com", "alice@example.com", "Shipped"
    message["X-NovaCart-Notification"] = "7"
    message.set_content("Your order shipped.\n")
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "SMTP_URL", None)

    def taken_over():
        raise channels.ClaimLost("taken over")

    with app.app_context():
        with pytest.raises(channels.ClaimLost):
            mail.deliver(message, taken_over)
        assert list(tmp_path.iterdir()) == []
        mail.deliver(message)
    [written] = list(tmp_path.iterdir())
    assert written.name.endswith("-7.eml") and b"Your order shipped." in written.read_bytes()
