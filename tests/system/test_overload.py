"""Graceful overload: past what a web process works on at once, requests get a quick 503, never a reset."""

from __future__ import annotations

import json
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.harness import wait_until
from tests.system.harness import delivery_figures, register_many, settle

pytestmark = pytest.mark.e2e


def test_a_burst_beyond_the_in_flight_bound_gets_503_with_retry_after_and_no_reset(boot, fleet):
    # given a web process that works on one request at a time, and a customer listening
    system = boot(extra_env={"MAX_INFLIGHT_REQUESTS": "1"}, beat=False).system
    staff = system.employee("staff")
    customer = register_many(system, 1)[0]
    listener = fleet.open(system.url, [customer["token"]])[0]

    def body(title: str) -> dict:
        return {"user_id": customer["id"], "type": "back_in_stock", "title": title, "message": "m"}

    # and a client whose notification is still arriving: its request holds the only slot until its body is
    # complete (48 client threads bursting at once seldom overlapped requests that never wait on anything)
    slow_body = json.dumps(body("slow")).encode()
    url = urlsplit(system.url)
    slow = socket.create_connection((url.hostname, url.port), timeout=30)
    slow.sendall(
        (
            f"POST /api/notifications HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {staff['token']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(slow_body)}\r\n\r\n"
        ).encode()
        + slow_body[:10]
    )
    early = []  # calls answered before the slow one took the slot, if any

    def slot_taken() -> bool:
        response = system.api("POST", "/api/notifications", staff["token"], json=body(f"early-{len(early)}"))
        early.append(response)
        return response.status_code == 503

    wait_until(slot_taken, timeout=10, what="the slow request to hold the only slot")

    # when 48 keep-alive clients each send 5 notifications at once
    def client(index: int) -> list[requests.Response | Exception]:
        outcomes: list[requests.Response | Exception] = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {staff['token']}"
            for n in range(5):
                try:
                    outcomes.append(
                        session.post(system.url + "/api/notifications", json=body(f"T{index}-{n}"), timeout=30)
                    )
                except requests.RequestException as error:
                    outcomes.append(error)
        return outcomes

    with ThreadPoolExecutor(48) as pool:
        outcomes = [o for batch in pool.map(client, range(48)) for o in batch]

    # then every request was answered at once (no reset, no timeout) with 503 and Retry-After, its connection
    # kept for the next one
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == [], errors[:3]
    assert Counter(o.status_code for o in outcomes) == {503: 240}
    refused = outcomes[-1]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "overloaded" and refused.json()["status"] == 503
    # and the slow client, once its body is complete, is served
    slow.sendall(slow_body[10:])
    with slow.makefile("rb") as reply:
        assert reply.readline().split()[1] == b"201"
    slow.close()
    # and every accepted notification reached the customer, once
    accepted = {"slow"} | {o.json()["title"] for o in early if o.status_code == 201}
    wanted = {customer["id"]: accepted}
    assert settle({customer["id"]: listener}, wanted, 0, timeout=30) is not None
    assert delivery_figures({customer["id"]: listener}, wanted)["duplicates_shown"] == 0
    # and once the burst is over the process accepts again (every slot was given back)
    for _ in range(8):
        response = system.api("GET", "/api/notifications/unread-count", customer["token"])
        assert response.status_code == 200, response.text
    assert "Traceback" not in system.processes["web0"].log.read_text(errors="replace")
