"""Safe to deploy, tried as a shop deploys it and as an attacker uses it: real processes, real HTTP and sockets.

Each test records a row of docs/reliability.md ("Safe to deploy"); the in-process tests prove each rule
one by one (tests/test_settings.py, tests/orders/test_money.py, tests/test_ids.py,
tests/notifications/test_access.py, tests/dashboard/test_session.py, tests/test_hardening.py).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jwt as pyjwt
import pytest
import requests

from tests.e2e.harness import ROOT, SECRETS, Recorder, wait_until
from tests.system.harness import register_many

pytestmark = pytest.mark.e2e

QUICK, SLOW = 200, 1000
SIZES = [pytest.param(QUICK, id="quick"), pytest.param(SLOW, id="slow", marks=pytest.mark.slow)]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _product(system, staff, stock: int, price_cents: int = 500) -> int:
    body = {
        "sku": f"SAFE-{uuid.uuid4().hex[:8]}",
        "name": "Safety pens",
        "category": "pens",
        "price_cents": price_cents,
        "stock": stock,
        "low_stock_threshold": 0,
    }
    response = system.api("POST", "/api/products", staff["token"], json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _order(system, token: str, product: int, quantity: int = 1) -> requests.Response:
    body = {"items": [{"product_id": product, "quantity": quantity}], "shipping_address": "1 Safe Street, Springfield"}
    return system.api("POST", "/api/orders", token, json=body)


def test_a_production_web_with_the_sandbox_provider_refuses_to_start(reliability):
    row = reliability(
        "Production with the sandbox payment provider",
        "safety",
        "`NOVACART_CONFIG=production python wsgi.py` (and the Celery worker) with strong secrets but "
        "`PAYMENT_PROVIDER=sandbox` and no `ALLOW_SANDBOX_PAYMENTS`; then again with a 31-character secret",
        "each exits with status 2 before listening, printing one line that names the setting",
        order=1,
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NOVACART_", "TEST_"))}
    env = {**base, **SECRETS, "NOVACART_CONFIG": "production", "PORT": "1"}
    outcomes = {}
    for name, command, extra in (
        ("web, sandbox", [sys.executable, "wsgi.py"], {}),
        ("worker, sandbox", [sys.executable, "-m", "celery", "-A", "celery_worker.celery", "worker"], {}),
        ("web, short secret", [sys.executable, "wsgi.py"], {"ALLOW_SANDBOX_PAYMENTS": "true", "SECRET_KEY": "x" * 31}),
    ):
        result = subprocess.run(
            command, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False
        )
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        outcomes[name] = (result.returncode, lines)
    row.figures.update({name: f"exit {code}: {lines[-1] if lines else ''}" for name, (code, lines) in outcomes.items()})
    for code, lines in outcomes.values():
        assert code == 2 and len(lines) == 1 and lines[0].startswith("novacart: refusing to start:"), (code, lines)
    assert "PAYMENT_PROVIDER=sandbox" in outcomes["web, sandbox"][1][0]
    assert "SECRET_KEY must be at least 32 characters" in outcomes["web, short secret"][1][0]


def test_a_customer_cannot_hoard_stock_and_unpaid_orders_expire(boot, reliability):
    row = reliability(
        "Stock hoarding with unpaid orders",
        "safety",
        "with `MAX_PENDING_ORDERS=3`, `PENDING_ORDER_TTL_SECONDS=4` and a sweep every second, a customer "
        "reserves all 9 units of a product with 3 unpaid orders and tries a fourth; another customer tries to buy",
        "the fourth order gets 409 `too_many_pending_orders`; the other customer 409 `insufficient_stock`; "
        "within TTL + 5 s every hoarded order is cancelled, the stock is back to 9, the hoarder's socket shows "
        "each cancellation, and the other customer's order goes through",
        order=2,
    )
    system = boot(
        extra_env={
            "MAX_PENDING_ORDERS": "3",
            "PENDING_ORDER_TTL_SECONDS": "4",
            "PENDING_ORDER_SWEEP_SECONDS": "1",
        }
    ).system
    staff = system.employee("staff")
    hoarder, other = system.register("Hoarder"), system.register("Other")
    product = _product(system, staff, stock=9)
    sock = Recorder(system.url, hoarder["token"]).connect()
    try:
        placed = [_order(system, hoarder["token"], product, 3) for _ in range(3)]
        fourth = _order(system, hoarder["token"], product, 1)
        refused = _order(system, other["token"], product, 1)
        started = time.monotonic()
        cancelled = sock.wait_for(
            "notification", lambda n: n["type"] == "order_status" and n["data"].get("status") == "cancelled", 15, 3
        )
        expired_after = time.monotonic() - started
        stock = system.api("GET", f"/api/products/{product}").json()["stock"]
        later = _order(system, other["token"], product, 1)
    finally:
        sock.close()
    notes = {
        system.api("GET", f"/api/orders/{o.json()['id']}", hoarder["token"]).json()["history"][-1]["note"]
        for o in placed
    }
    row.figures.update(
        {
            "placed": [o.status_code for o in placed],
            "fourth order": f"{fourth.status_code} {fourth.json().get('code')}",
            "other customer": f"{refused.status_code} {refused.json().get('code')}",
            "all cancelled after s": round(expired_after, 1),
            "history note": sorted(notes),
            "stock after": stock,
            "other customer later": later.status_code,
        }
    )
    assert [o.status_code for o in placed] == [201, 201, 201]
    assert (fourth.status_code, fourth.json()["code"]) == (409, "too_many_pending_orders")
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_stock")
    assert len(cancelled) == 3 and stock == 9 and later.status_code == 201
    assert notes == {"Not paid within 4 seconds"}


def test_cancel_racing_pay_never_keeps_the_money(boot, reliability):
    row = reliability(
        "Cancel racing pay",
        "safety",
        "24 orders; for each, `POST /pay` and `POST /cancel` are sent at the same instant (a barrier) while the "
        "sandbox confirms payments at once; half the pairs send the cancel first, half the pay",
        "once settled, no order is `cancelled` with `payment_status: succeeded`: each cancelled order that was "
        "charged is `refunded` and its customer got one refund notification; each order whose cancel lost the "
        "race is `paid` (409 `illegal_transition` to the cancel)",
        order=3,
    )
    system = boot(extra_env={"SANDBOX_PAYMENT_DELAY_SECONDS": "0"}).system
    staff = system.employee("staff")
    product = _product(system, staff, stock=1000, price_cents=700)
    customers = register_many(system, 8, prefix="racer")
    orders = [(c, _order(system, c["token"], product).json()["id"]) for c in customers for _ in range(3)]

    def race(index: int, customer: dict, order_id: int) -> tuple[int, int]:
        barrier = threading.Barrier(2)
        answers: dict[str, int] = {}

        def send(action: str) -> None:
            barrier.wait()
            if action == "cancel" and index % 2 == 1:
                time.sleep(0.001)  # half the pairs: the pay a hair first
            answers[action] = system.api("POST", f"/api/orders/{order_id}/{action}", customer["token"]).status_code

        threads = [threading.Thread(target=send, args=(a,)) for a in ("pay", "cancel")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        return answers["pay"], answers["cancel"]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda item: race(item[0], *item[1]), enumerate(orders)))

    def settled() -> list[dict] | None:
        # settled: no payment still in flight, and every refund confirmed by the provider
        states = [system.api("GET", f"/api/orders/{oid}", c["token"]).json() for c, oid in orders]
        moving = [s for s in states if s["payment_status"] == "pending" or _keeps_money(s)]
        return None if moving else states

    states = wait_until(settled, timeout=30, interval=0.5, what="every payment and refund to settle")
    outcome: dict[str, int] = {}
    for state in states:
        key = f"{state['status']}/{state['payment_status']}"
        outcome[key] = outcome.get(key, 0) + 1
    refund_notes = 0
    for customer in customers:
        items = system.api("GET", "/api/notifications?limit=100", customer["token"]).json()["items"]
        refund_notes += sum(1 for n in items if n["data"].get("payment_status") == "refunded")
    cancels = {}
    for _, cancel in answers:
        cancels[str(cancel)] = cancels.get(str(cancel), 0) + 1
    row.figures.update(
        {"final status/payment": outcome, "cancel answers": cancels, "refund notifications": refund_notes}
    )
    assert not any(_keeps_money(s) for s in states)
    assert set(outcome) <= {"cancelled/refunded", "cancelled/none", "paid/succeeded", "cancelled/failed"}
    assert refund_notes == outcome.get("cancelled/refunded", 0)


def _keeps_money(order: dict) -> bool:
    return order["status"] == "cancelled" and order["payment_status"] == "succeeded"


def test_a_deleted_notifications_id_is_not_handed_out_again(shared, reliability):
    row = reliability(
        "Delete, then create: ids",
        "safety",
        "a customer deletes their newest notification; staff send the next one while the customer's client "
        "(which de-duplicates by id, as the React client does) is connected",
        "the new notification has a new id and the client shows it",
        order=4,
    )
    system = shared.system
    staff, customer = system.employee("staff"), system.register("Deleter")
    body = {"user_id": customer["id"], "type": "promotion", "title": "first", "message": "m"}
    first = system.api("POST", "/api/notifications", staff["token"], json=body).json()["id"]
    assert system.api("DELETE", f"/api/notifications/{first}", customer["token"]).status_code == 204
    sock = Recorder(system.url, customer["token"]).connect()
    try:
        second = system.api("POST", "/api/notifications", staff["token"], json={**body, "title": "second"}).json()
        shown = sock.wait_for("notification", lambda n: n["title"] == "second")
    finally:
        sock.close()
    row.figures.update({"deleted id": first, "next id": second["id"], "shown": shown[0]["id"]})
    assert second["id"] > first and shown[0]["id"] == second["id"]


def test_an_ack_flood_against_another_users_queue_changes_nothing(shared, reliability):
    row = reliability(
        "Ack flood against another user's queue",
        "safety",
        "Alice is offline with 20 queued notifications; Mallory's socket sends `notification:ack` with 500 ids "
        "at a time covering every id up to the newest, then one with 501 ids",
        "Mallory's 501 ids get `error` `too_many_ids`; when Alice connects she is sent all 20",
        order=5,
    )
    system = shared.system
    staff, alice, mallory = system.employee("staff"), system.register("AckAlice"), system.register("AckMallory")
    ids = []
    for i in range(20):
        body = {"user_id": alice["id"], "type": "promotion", "title": f"for alice {i}", "message": "m"}
        ids.append(system.api("POST", "/api/notifications", staff["token"], json=body).json()["id"])
    flooder = Recorder(system.url, mallory["token"]).connect()
    try:
        top = max(ids)
        sent = 0
        for start in range(max(1, top - 2000), top + 1, 500):
            flooder.emit("notification:ack", {"ids": list(range(start, min(start + 500, top + 1)))})
            sent += 1
        flooder.emit("notification:ack", {"ids": list(range(1, 502))})
        refused = flooder.wait_for("error", lambda e: e.get("code") == "too_many_ids")
        # let the web process apply what it buffered (50 ms batches) before Alice connects
        time.sleep(0.5)
    finally:
        flooder.close()
    alice_sock = Recorder(system.url, alice["token"]).connect()
    try:
        replayed = alice_sock.wait_for("notification", lambda n: n["id"] in ids, count=20)
    finally:
        alice_sock.close()
    row.figures.update({"ack events sent": sent + 1, "refused": len(refused), "replayed to Alice": len(replayed)})
    assert len({n["id"] for n in replayed}) == 20


def _dropped_within(sock: Recorder, action, timeout: float = 5) -> float:
    started = time.monotonic()
    action()
    wait_until(lambda: not sock.client.connected, timeout=timeout, interval=0.05, what="the socket to be dropped")
    return round(time.monotonic() - started, 2)


def _dashboard_session(system, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(system.url + "/dashboard/login", timeout=10)
    token = CSRF.search(page.text).group(1)
    signed_in = session.post(
        system.url + "/dashboard/login",
        data={"email": email, "password": "password123", "csrf_token": token},
        timeout=10,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    return session, "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def test_access_follows_the_account_on_connected_sockets(shared, reliability):
    row = reliability(
        "Access follows the account",
        "safety",
        "connected sockets of: a customer an admin deactivates (`PATCH /api/users/{id}` `{is_active: false}`); "
        "a staff member an admin demotes to customer; a token that expires 3 s after connecting; a dashboard "
        "session whose employee signs out in another tab",
        "deactivated, expired and signed-out sockets are dropped within 5 s (of the change, or of `exp`); the "
        "deactivated user's token and the signed-out cookie are refused (401 / sign-in page); the demoted "
        "user's socket stays but receives nothing sent to `staff`",
        order=6,
    )
    system = shared.system
    admin, staff = system.employee("admin"), system.employee("staff")
    victim = system.register("Deactivated")
    demoted = system.employee("staff")
    figures: dict[str, object] = {}

    sock = Recorder(system.url, victim["token"]).connect()
    figures["deactivated: dropped after s"] = _dropped_within(
        sock,
        lambda: system.api("PATCH", f"/api/users/{victim['id']}", admin["token"], json={"is_active": False}),
    )
    figures["deactivated: token"] = system.api("GET", "/api/auth/me", victim["token"]).status_code

    now = int(time.time())
    claims = {"sub": str(staff["id"]), "type": "access", "jti": uuid.uuid4().hex, "fresh": False}
    short = pyjwt.encode({**claims, "iat": now, "nbf": now, "exp": now + 3}, SECRETS["JWT_SECRET_KEY"], "HS256")
    sock = Recorder(system.url, short).connect()
    wait_until(lambda: not sock.client.connected, timeout=3 + 5, interval=0.05, what="the expired socket to go")
    figures["expired token: dropped s after exp"] = round(time.time() - (now + 3), 2)

    session, cookie = _dashboard_session(system, staff["email"])
    dashboard_sock = Recorder(system.url, headers={"Cookie": cookie}).connect()
    orders_page = session.get(system.url + "/dashboard/orders/", timeout=10)
    token = CSRF.search(orders_page.text).group(1)
    figures["dashboard sign-out: dropped after s"] = _dropped_within(
        dashboard_sock, lambda: session.post(system.url + "/dashboard/logout", data={"csrf_token": token}, timeout=10)
    )
    replay = requests.get(
        system.url + "/dashboard/orders/", headers={"Cookie": cookie}, timeout=10, allow_redirects=False
    )
    figures["signed-out cookie replayed"] = f"{replay.status_code} → {replay.headers.get('Location', '')}"

    staff_sock = Recorder(system.url, demoted["token"]).connect()
    fence = Recorder(system.url, staff["token"]).connect()  # still staff: sees every orderUpdate
    try:
        customer, product = system.register("Buyer"), _product(system, staff, stock=100)
        started = time.monotonic()
        system.api("PATCH", f"/api/users/{demoted['id']}", admin["token"], json={"role": "customer"})

        def demoted_misses_an_update() -> bool:
            order_id = _order(system, customer["token"], product).json()["id"]
            fence.wait_for("orderUpdate", lambda u: u["order_id"] == order_id)
            return not any(u["order_id"] == order_id for u in staff_sock.of("orderUpdate"))

        wait_until(demoted_misses_an_update, timeout=5, interval=0.2, what="the demoted user to leave staff")
        figures["demoted: left staff after s"] = round(time.monotonic() - started, 2)
        figures["demoted: still connected"] = staff_sock.client.connected
    finally:
        staff_sock.close()
        fence.close()
    row.figures.update(figures)
    assert figures["deactivated: dropped after s"] <= 5 and figures["deactivated: token"] == 401
    assert figures["dashboard sign-out: dropped after s"] <= 5
    assert replay.status_code == 302 and "/dashboard/login" in replay.headers["Location"]
    assert figures["demoted: left staff after s"] <= 5 and figures["demoted: still connected"] is True


def test_sockets_per_user_are_capped(boot, reliability):
    row = reliability(
        "Sockets per user",
        "safety",
        "with `MAX_SOCKETS_PER_USER=20`, one customer opens 25 sockets, one after another, on two web processes",
        "20 stay connected: the 5 oldest are closed, across processes; a notification reaches each of the 20 once",
        order=7,
    )
    booted = boot(web=2, extra_env={"MAX_SOCKETS_PER_USER": "20"})
    system = booted.system
    staff, customer = system.employee("staff"), system.register("ManyTabs")
    socks = []
    for i in range(25):
        socks.append(Recorder(system.web_url(i % 2), customer["token"]).connect())
    try:
        wait_until(lambda: sum(s.client.connected for s in socks) == 20, timeout=10, what="20 sockets left")
        oldest_closed = [not s.client.connected for s in socks[:5]]
        body = {"user_id": customer["id"], "type": "promotion", "title": "to every tab", "message": "m"}
        system.api("POST", "/api/notifications", staff["token"], json=body)
        alive = [s for s in socks if s.client.connected]
        for sock in alive:
            sock.wait_for("notification", lambda n: n["title"] == "to every tab")
    finally:
        for sock in socks:
            sock.close()
    row.figures.update({"opened": 25, "connected": len(alive), "closed were the oldest": all(oldest_closed)})
    assert len(alive) == 20 and all(oldest_closed)


@pytest.mark.parametrize("size", SIZES)
def test_logins_do_not_stall_the_pushes(boot, fleet, reliability, size):
    sockets_n = size
    row = reliability(
        "Logins while pushing",
        "safety",
        f"{sockets_n} connected sockets (10 per customer) receive 20 notifications a second from staff; after 5 s, "
        "25 customers sign in at once (real scrypt hashes, `PASSWORD_HASH_METHOD=scrypt`), for another 5 s",
        "every push and every login succeeds; the pushes' p99 latency is reported before and during the logins "
        "(scrypt runs on OS threads, at most PASSWORD_HASH_CONCURRENCY=2 at once, never on the event loop)",
        order=8,
        size=sockets_n,
    )
    system = boot(extra_env={"PASSWORD_HASH_METHOD": "scrypt", "LOG_LEVEL": "WARNING"}).system
    staff = system.employee("staff")
    listeners = register_many(system, sockets_n // 10, prefix="listener")
    logins = register_many(system, 25, prefix="login")
    clients = []
    for user in listeners:
        clients += fleet.open(system.url, [user["token"]] * 10)
    by_user = {u["id"]: clients[i * 10 : (i + 1) * 10] for i, u in enumerate(listeners)}
    latencies: dict[str, list[float]] = {"quiet": [], "logins": []}
    lost = [0]

    def push(phase: str, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            user = listeners[len(latencies[phase]) % len(listeners)]
            title = f"{phase}-{uuid.uuid4().hex[:8]}"
            sent = time.monotonic()
            body = {"user_id": user["id"], "type": "promotion", "title": title, "message": "m"}
            system.api("POST", "/api/notifications", staff["token"], json=body)
            try:
                wait_until(
                    lambda t=title, u=user: all(t in c.titles() for c in by_user[u["id"]]), timeout=10, interval=0.002
                )
                latencies[phase].append(time.monotonic() - sent)
            except TimeoutError:
                lost[0] += 1
            time.sleep(max(0.0, 0.05 - (time.monotonic() - sent)))

    push("quiet", 5)
    codes: list[int] = []
    with ThreadPoolExecutor(25) as pool:
        futures = [
            pool.submit(
                lambda u: system.api("POST", "/api/auth/login", json={"email": u["email"], "password": "password123"}),
                user,
            )
            for user in logins
        ]
        push("logins", 5)
        codes = [f.result().status_code for f in futures]

    def p99(values: list[float]) -> float:
        return round(statistics.quantiles(values, n=100)[98] * 1000, 1) if len(values) >= 2 else 0.0

    row.figures.update(
        {
            "pushes quiet / during logins": f"{len(latencies['quiet'])} / {len(latencies['logins'])}",
            "p99 ms quiet": p99(latencies["quiet"]),
            "p99 ms during 25 logins": p99(latencies["logins"]),
            "lost": lost[0],
            "logins": {str(c): codes.count(c) for c in set(codes)},
        }
    )
    assert lost[0] == 0 and codes == [200] * 25 and latencies["logins"]


def test_malformed_signature_headers_are_refused_cleanly(shared, reliability):
    row = reliability(
        "Malformed webhook signature headers",
        "safety",
        "the payment webhook receives `t=²`, a non-ASCII `v1`, Arabic-Indic digits and empty parts in "
        "`X-NovaCart-Signature` (raw bytes on the wire)",
        "400 problem JSON `invalid_signature` for each, never a 500",
        order=9,
    )
    system = shared.system
    body = b'{"id":"evt_x","type":"payment.succeeded","data":{}}'
    answers = {}
    for header in (
        "t=\u00b2,v1=" + "a" * 64,
        "t=1700000000,v1=\u00e9" + "a" * 63,
        "t=\u0663,v1=zz",
        "v1=,t=",
    ):
        response = requests.post(
            system.url + "/api/webhooks/payments",
            data=body,
            headers={"Content-Type": "application/json", "X-NovaCart-Signature": header.encode("utf-8")},
            timeout=10,
        )
        answers[header[:14]] = f"{response.status_code} {response.json().get('code')}"
    row.figures["answers"] = answers
    assert set(answers.values()) == {"400 invalid_signature"}


def test_metrics_want_their_token(boot, reliability):
    row = reliability(
        "/metrics with METRICS_TOKEN",
        "safety",
        "`METRICS_TOKEN` set; /metrics fetched without a token, with a wrong one and with the right one",
        "401, 401, 200",
        order=10,
    )
    token = "metrics-" + uuid.uuid4().hex
    system = boot(worker=False, beat=False, extra_env={"METRICS_TOKEN": token}).system
    answers = [
        requests.get(system.url + "/metrics", headers=headers, timeout=10).status_code
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {token}"})
    ]
    row.figures["answers"] = answers
    assert answers == [401, 401, 200]


def test_socket_connects_are_rate_limited_per_user(boot, reliability):
    row = reliability(
        "Socket connect rate",
        "safety",
        "with `SOCKET_CONNECT_RATE_LIMIT=10/minute`, one customer connects 12 times in a row (closing each)",
        "10 connect; the 11th and 12th are refused at connect (`connect_error` `rate_limited`); another "
        "customer still connects",
        order=11,
    )
    system = boot(worker=False, beat=False, extra_env={"SOCKET_CONNECT_RATE_LIMIT": "10/minute"}).system
    customer, other = system.register("Reconnector"), system.register("Bystander")
    results = []
    for _ in range(12):
        sock = Recorder(system.url, customer["token"])
        results.append(sock.try_connect())
        refusal = sock.connect_error
        sock.close()
    bystander = Recorder(system.url, other["token"])
    other_ok = bystander.try_connect()
    bystander.close()
    row.figures.update({"connected": results.count(True), "refused": results.count(False), "other customer": other_ok})
    assert results == [True] * 10 + [False] * 2 and refusal == {"message": "rate_limited"} and other_ok
