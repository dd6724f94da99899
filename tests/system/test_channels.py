"""E-mail and Web Push over real processes: a real SMTP server (aiosmtpd) and a stand-in push service in the
test process, the worker sending to them after the channels' delays.

Rows of docs/reliability.md: the customer who closed the tab gets exactly one e-mail; one whose page
showed it gets none; a type turned off or unsubscribed gets none; pushes decrypt to the notification;
and the faults: the mail server down while e-mails are due, the worker killed mid-batch, a push
endpoint answering 410.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from tests.channels_support import PushReceiver, PushService, SmtpServer, vapid_private_pem
from tests.e2e.harness import WORKER_THREADS, Recorder, wait_until
from tests.system.harness import database, register_many, scalar

pytestmark = pytest.mark.e2e

QUICK, SLOW = 20, 200
SIZES = [pytest.param(QUICK, id="quick"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]
CHANNEL_ENV = {
    "EMAIL_AFTER_SECONDS": "2",
    "PUSH_AFTER_SECONDS": "1",
    "CHANNEL_SWEEP_SECONDS": "1",
    "CHANNEL_STUCK_AFTER_SECONDS": "5",
    "WEBPUSH_ALLOW_ANY_ENDPOINT": "true",
    "PUBLIC_URL": "https://shop.example.test",
}


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def pushes():
    service = PushService().start()
    yield service
    service.stop()


def _boot(boot, smtp, **env):
    # production settings (the harness's): Web Push needs a VAPID key of its own
    return boot(extra_env={**CHANNEL_ENV, "SMTP_URL": smtp.url, "VAPID_PRIVATE_KEY": vapid_private_pem(), **env})


def _notify(system, staff, user_id: int, title: str, type_: str = "order_status", data: dict | None = None) -> int:
    body = {"user_id": user_id, "type": type_, "title": title, "message": f"{title}: the details", "data": data or {}}
    response = system.api("POST", "/api/notifications", staff["token"], json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _mails_of(smtp, notification_id: int) -> list:
    return [m for m in smtp.messages if m["X-NovaCart-Notification"] == str(notification_id)]


def test_email_goes_only_to_the_customer_who_did_not_see_it(boot, smtp, reliability):
    row = reliability(
        "E-mail for what no page showed",
        "fault",
        "with EMAIL_AFTER_SECONDS=2, a customer offline and a customer whose page is open each get an order "
        "update; a third turned order-update e-mails off; a fourth unsubscribes through the e-mail's link",
        "the offline customer gets exactly one e-mail, after the delay, linking to the order; the one whose page "
        "acknowledged it gets none; the one who turned it off gets none; after the unsubscribe link (GET asks, "
        "POST acts, no sign-in) the next one is not e-mailed",
        order=20,
    )
    system = _boot(boot, smtp).system
    staff = system.employee("staff")
    offline, online, quiet, leaving = (system.register(name) for name in ("Offline", "Online", "Quiet", "Leaving"))
    system.api(
        "PUT", "/api/notifications/preferences", quiet["token"], json={"channels": {"email": {"order_status": False}}}
    )
    page = Recorder(system.url, online["token"]).connect()  # acknowledges what it receives
    try:
        sent_at = time.monotonic()
        seen = _notify(system, staff, online["id"], "Seen in time", data={"order_id": 7})
        page.wait_for("notification", lambda n: n["id"] == seen)
        unseen = _notify(system, staff, offline["id"], "Order #7 has shipped", data={"order_id": 7})
        off = _notify(system, staff, quiet["id"], "Not by e-mail", data={"order_id": 7})
        first = _notify(system, staff, leaving["id"], "Before unsubscribing", data={"order_id": 7})
        wait_until(lambda: _mails_of(smtp, unseen) and _mails_of(smtp, first), timeout=30, what="the e-mails")
        after = time.monotonic() - sent_at
        message = _mails_of(smtp, unseen)[0]
        text = message.get_body(("plain",)).get_content()
        # the unsubscribe link, followed as a person would
        first_text = _mails_of(smtp, first)[0].get_body(("plain",)).get_content()
        link = re.search(r"https://shop\.example\.test(/unsubscribe/\S+)", first_text).group(1)
        asked = requests.get(system.url + link, timeout=10)
        done = requests.post(system.url + link, timeout=10)
        later = _notify(system, staff, leaving["id"], "After unsubscribing", data={"order_id": 7})
        fence = _notify(system, staff, offline["id"], "The fence", data={"order_id": 8})
        wait_until(lambda: _mails_of(smtp, fence), timeout=30, what="the fence's e-mail")
    finally:
        page.close()
    engine = database(system)
    statuses = dict(
        (nid, scalar(engine, f"SELECT status FROM channel_sends WHERE notification_id = {nid} AND channel = 'email'"))
        for nid in (seen, unseen, off, later)
    )
    row.figures.update(
        {
            "e-mails to the offline customer": len(_mails_of(smtp, unseen)),
            "arrived after s": round(after, 1),
            "to the page that showed it": len(_mails_of(smtp, seen)),
            "with e-mail turned off": len(_mails_of(smtp, off)),
            "after unsubscribing": len(_mails_of(smtp, later)),
            "unsubscribe GET / POST": f"{asked.status_code} / {done.status_code}",
        }
    )
    assert len(_mails_of(smtp, unseen)) == 1 and message["Subject"] == "Order #7 has shipped"
    assert "https://shop.example.test/orders/7" in text and offline["email"] in message["To"]
    assert _mails_of(smtp, seen) == [] and statuses[seen] is None  # acknowledged: never even checked
    assert _mails_of(smtp, off) == [] and statuses[off] == "off"
    assert "Stop these e-mails?" in asked.text and "You are unsubscribed" in done.text
    assert _mails_of(smtp, later) == [] and statuses[later] == "off"


def test_push_reaches_the_customers_browser_encrypted(boot, smtp, pushes, reliability):
    row = reliability(
        "Web Push for what no page showed",
        "fault",
        "with PUSH_AFTER_SECONDS=1, a customer's browser subscribes (a stand-in push service on 127.0.0.1, its "
        "keys made by the test); an order update goes unseen; then the push service answers 410 for a second one",
        "the push service receives one aes128gcm message signed with VAPID that decrypts to the notification; "
        "after a 410 the subscription is deleted and nothing more is sent to it",
        order=21,
    )
    system = _boot(boot, smtp).system
    staff, customer = system.employee("staff"), system.register("Pushed")
    receiver = PushReceiver()
    body = {"endpoint": pushes.endpoint("pushed"), "keys": receiver.keys()}
    assert system.api("POST", "/api/push/subscriptions", customer["token"], json=body).status_code == 201
    nid = _notify(system, staff, customer["id"], "Your order is on its way", data={"order_id": 3})
    [request] = pushes.wait_for(1)
    payload = receiver.decrypt(request["body"])
    pushes.status = 410
    second = _notify(system, staff, customer["id"], "Delivered", data={"order_id": 3})
    pushes.wait_for(2)
    engine = database(system)
    done = f"SELECT status FROM channel_sends WHERE notification_id = {second} AND channel = 'push'"
    wait_until(lambda: scalar(engine, done) not in (None, "sending"), timeout=20, what="the second push's outcome")
    left = scalar(engine, "SELECT count(*) FROM push_subscriptions")
    row.figures.update({"decrypted id matches": payload["id"] == nid, "subscriptions left after 410": left})
    assert payload["id"] == nid and payload["title"] == "Your order is on its way"
    answered = [(receiver.decrypt(r["body"])["id"], r["answered"]) for r in pushes.requests]
    assert request["headers"]["authorization"].startswith("vapid t=") and left == 0, answered


def _restart(port: int) -> SmtpServer | None:
    """The SMTP server again on its port (the port can take a moment to be free after the stop)."""
    try:
        return SmtpServer(port=port).start()
    except (OSError, AssertionError, RuntimeError):
        return None


@pytest.mark.parametrize("size", SIZES)
def test_the_mail_server_down_while_emails_are_due(boot, smtp, reliability, size):
    down = 5 if size == QUICK else 30
    row = reliability(
        "Mail server down while e-mails are due",
        "fault",
        f"{size} order updates for {size} offline customers become due while the SMTP server is stopped for "
        f"{down} s, then started again on the same port",
        "every e-mail is sent once after the server is back (retried with a doubling wait), none twice",
        order=22,
        size=size,
    )
    system = _boot(boot, smtp).system
    staff = system.employee("staff")
    customers = register_many(system, size)
    port = smtp.controller.port
    smtp.stop()
    stopped = time.monotonic()
    ids = [_notify(system, staff, c["id"], f"Update {i}", data={"order_id": i + 1}) for i, c in enumerate(customers)]
    wait_until(lambda: time.monotonic() - stopped >= down, timeout=down + 5, interval=0.2, what="the outage")
    back = wait_until(lambda: _restart(port), timeout=20, interval=0.5, what="the SMTP server to start again")
    restarted = time.monotonic()
    try:
        back.wait_for(size, timeout=180)
        all_after = time.monotonic() - restarted
        fence = _notify(system, staff, customers[0]["id"], "Fence", data={"order_id": 999})
        wait_until(lambda: _mails_of(back, fence), timeout=60, what="the fence")
        counts = Counter(m["X-NovaCart-Notification"] for m in back.messages)
    finally:
        back.stop()
    lost = sum(1 for nid in ids if counts[str(nid)] == 0)
    twice = sum(1 for nid in ids if counts[str(nid)] > 1)
    row.figures.update({"lost": lost, "sent twice": twice, "all sent after s (server back)": round(all_after, 1)})
    assert lost == 0 and twice == 0


@pytest.mark.parametrize("size", SIZES)
def test_the_worker_killed_mid_batch_of_emails(boot, smtp, reliability, size):
    row = reliability(
        "Worker SIGKILL mid e-mail batch",
        "fault",
        f"{size * 2} order updates for offline customers become due; the worker is killed with SIGKILL while it "
        "sends them, then started again",
        "none twice, and every e-mail sent but one whose send was killed in the instant between recording its "
        "hand-over and the final dot (at most one per send in flight): the sweep re-checks what was never "
        "claimed, and after CHANNEL_STUCK_AFTER_SECONDS=5 sends again what was left `sending` before its "
        "hand-over (the server, without the final dot, discarded it) and counts as sent what was handed over",
        order=23,
        size=size * 2,
    )
    system = _boot(boot, smtp).system
    staff = system.employee("staff")
    customers = register_many(system, size * 2)
    ids = [_notify(system, staff, c["id"], f"Batch {i}", data={"order_id": i + 1}) for i, c in enumerate(customers)]
    engine = database(system)
    sent = "SELECT count(*) FROM channel_sends WHERE status = 'sent'"
    # mid-batch, by the database (a trigger on arriving e-mails would kill right after an OK, every time)
    wait_until(lambda: scalar(engine, sent) >= max(1, size // 4), timeout=60, interval=0.01, what="sending to start")
    at_kill = len(smtp.messages)
    system.processes["worker"].stop(signal.SIGKILL)
    system.start_worker()
    # Every send ends sent (a handed-over one counted as sent) or failed: none stays `sending`.
    settled = "SELECT count(*) FROM channel_sends WHERE channel = 'email' AND status IN ('sent', 'failed')"
    wait_until(lambda: scalar(engine, settled) >= len(ids), timeout=180, interval=0.2, what="every send to settle")
    fence = _notify(system, staff, customers[0]["id"], "Fence", data={"order_id": 999})
    wait_until(lambda: _mails_of(smtp, fence), timeout=60, what="the fence")
    counts = Counter(m["X-NovaCart-Notification"] for m in smtp.messages)
    lost = {nid for nid in ids if counts[str(nid)] == 0}
    twice = sum(1 for nid in ids if counts[str(nid)] > 1)
    with engine.connect() as conn:
        handed_over = set(
            conn.execute(
                sa.text("SELECT notification_id FROM channel_sends WHERE last_error LIKE 'worker lost after%'")
            ).scalars()
        )
    row.figures.update(
        {
            "sent when killed": f"{at_kill}/{len(ids)}",
            "handed over when killed": len(handed_over),
            "lost in the hand-over instant": len(lost & handed_over),
            "lost otherwise": len(lost - handed_over),
            "sent twice": twice,
        }
    )
    assert twice == 0
    # The one loss the design allows (novacart/notifications/channels.py): the kill fell after the hand-over
    # was committed and before the final dot left. Each of the worker's threads can be in it once.
    assert not lost - handed_over, f"e-mails lost without a hand-over: {sorted(lost - handed_over)}"
    assert len(lost) <= WORKER_THREADS
