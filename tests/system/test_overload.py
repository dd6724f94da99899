"""Graceful overload: past what a web process works on at once, requests get a quick 503, never a reset."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.system.harness import delivery_figures, register_many, settle

pytestmark = pytest.mark.e2e


def test_a_burst_beyond_the_in_flight_bound_gets_503_with_retry_after_and_no_reset(boot, fleet):
    # given a web process that works on one request at a time, and a customer listening (a bound of 4 was
    # never reached when the machine was busy: 48 client threads in one Python process seldom send 5 at once)
    system = boot(extra_env={"MAX_INFLIGHT_REQUESTS": "1"}, beat=False).system
    staff = system.employee("staff")
    customer = register_many(system, 1)[0]
    listener = fleet.open(system.url, [customer["token"]])[0]

    # when 48 keep-alive clients each send 5 notifications at once
    def client(index: int) -> list[requests.Response | Exception]:
        outcomes: list[requests.Response | Exception] = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {staff['token']}"
            for n in range(5):
                body = {"user_id": customer["id"], "type": "back_in_stock", "title": f"T{index}-{n}", "message": "m"}
                try:
                    outcomes.append(session.post(system.url + "/api/notifications", json=body, timeout=30))
                except requests.RequestException as error:
                    outcomes.append(error)
        return outcomes

    with ThreadPoolExecutor(48) as pool:
        outcomes = [o for batch in pool.map(client, range(48)) for o in batch]

    # then every request was answered (no reset, no timeout): accepted, or refused at once with 503
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == [], errors[:3]
    statuses = Counter(o.status_code for o in outcomes)
    assert set(statuses) <= {201, 503} and statuses[201] > 0 and statuses[503] > 0, statuses
    refused = next(o for o in outcomes if o.status_code == 503)
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "overloaded" and refused.json()["status"] == 503
    # and every accepted notification reached the customer, once
    accepted = {o.json()["title"] for o in outcomes if o.status_code == 201}
    wanted = {customer["id"]: accepted}
    assert settle({customer["id"]: listener}, wanted, 0, timeout=30) is not None
    assert delivery_figures({customer["id"]: listener}, wanted)["duplicates_shown"] == 0
    # and once the burst is over the process accepts again (every slot was given back)
    for _ in range(8):
        response = system.api("GET", "/api/notifications/unread-count", customer["token"])
        assert response.status_code == 200, response.text
    assert "Traceback" not in system.processes["web0"].log.read_text(errors="replace")
