"""Graceful overload's two bounds, driven directly: requests in flight, and the event loop's lag.

The lag is a measurement of time, so these tests give it a clock they move themselves; the system test
(tests/system/test_overload.py) and the benchmark's scenario 6 show the bounds on a real server.
"""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY
from werkzeug.test import Client

from config import Config
from novacart.overload import LAG_MIN_REQUESTS_PER_SECOND, LAG_SAMPLE_CAP, LAG_SMOOTHING, InFlightLimit, LoopLag


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.cpu = 0.0
        self.late = 0.0  # how much longer than asked each sleep takes
        self.busy = True  # whether the process was on the CPU meanwhile (overloaded) or blocked (stalled)

    def __call__(self) -> float:
        return self.now

    def cpu_time(self) -> float:
        return self.cpu

    def sleep(self, seconds: float) -> None:
        self.now += seconds + self.late
        if self.busy:
            self.cpu += 0.9 * (seconds + self.late)


def served(environ: dict, start_response) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"served"]


def busy_traffic(limit: InFlightLimit) -> None:
    """The requests of a busy second, answered while the loop was on time."""
    client = Client(limit)
    for _ in range(LAG_MIN_REQUESTS_PER_SECOND):
        assert client.get("/api/products", buffered=True).status_code == 200


def shed_count(reason: str) -> float:
    return REGISTRY.get_sample_value("novacart_requests_shed_total", {"reason": reason}) or 0.0


def test_the_loop_lag_follows_a_busy_loop_smoothed_one_stall_stays_under_the_limit_never_below_zero():
    clock = FakeClock()
    lag = LoopLag(0.05, sleep=clock.sleep, clock=clock, cpu_clock=clock.cpu_time)

    clock.late = 2.0  # one stall with the CPU busy: a hostile body parsed
    assert lag.sample() == pytest.approx(LAG_SAMPLE_CAP / LAG_SMOOTHING)
    assert lag.seconds < Config.OVERLOAD_LAG_MS / 1000  # under the default limit: the next requests are not refused
    clock.late = 0.0
    for _ in range(30):
        lag.sample()
    assert lag.seconds < 0.001

    clock.late = 0.1  # overloaded: every 50 ms sleep ends 100 ms late
    first = lag.sample()
    assert 0 < first < 0.1  # one sample moves it part of the way
    for _ in range(30):
        lag.sample()
    assert lag.seconds == pytest.approx(0.1, rel=1e-3)

    clock.late = -0.01  # a timer that fires early is not negative lag
    for _ in range(60):
        lag.sample()
    assert 0 <= lag.seconds < 0.001


@pytest.mark.parametrize(
    ("lag_seconds", "chance", "status"),
    [
        (0.05, 0.0, 200),  # under the limit: nothing is refused, however unlucky the draw
        (0.1, 0.0, 200),  # at the limit: still nothing
        (0.15, 0.4, 503),  # half way to twice the limit: about half refused (this draw is under 0.5)
        (0.15, 0.6, 200),  # (and this one over it)
        (0.2, 0.999, 503),  # at twice the limit: everything
        (5.0, 0.999, 503),
    ],
)
def test_past_the_lag_limit_a_growing_share_of_requests_gets_503_with_retry_after(lag_seconds, chance, status):
    limit = InFlightLimit(served, 0, 2, lag_limit=0.1, lag=LoopLag(), chance=lambda: chance)
    busy_traffic(limit)
    limit.lag.seconds = lag_seconds
    before = shed_count("loop_lag")

    response = Client(limit).post("/api/notifications", json={})

    assert response.status_code == status
    assert shed_count("loop_lag") == before + (status == 503)
    if status == 503:
        assert response.headers["Retry-After"] == "2"
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.get_json()["code"] == "overloaded"
    else:
        assert response.get_data() == b"served"


def test_a_late_loop_refuses_pages_with_a_short_page_and_never_refuses_sockets_health_or_metrics():
    limit = InFlightLimit(served, 0, 1, lag_limit=0.1, lag=LoopLag(), chance=lambda: 0.0)
    busy_traffic(limit)
    limit.lag.seconds = 1.0
    client = Client(limit)

    page = client.get("/dashboard/")
    assert page.status_code == 503 and page.headers["Content-Type"].startswith("text/html")
    assert b"busy" in page.get_data()
    for path in ("/socket.io/", "/healthz", "/metrics"):
        assert client.get(path).get_data() == b"served", path


def test_the_lag_watcher_starts_once_with_the_first_request_it_bounds():
    started: list[object] = []
    limit = InFlightLimit(served, 4, 1, lag_limit=0.1, lag=LoopLag(), start_watching=started.append)
    client = Client(limit)

    client.get("/healthz")
    assert started == []  # not for an exempt request: gunicorn may not have forked the worker yet
    client.get("/api/products")
    client.get("/api/products")
    assert started == [limit.lag.run]


def test_without_a_lag_limit_no_watcher_runs_and_only_the_in_flight_bound_applies():
    started: list[object] = []
    limit = InFlightLimit(served, 1, 1, lag=LoopLag(), start_watching=started.append)
    limit.lag.seconds = 10.0
    before = shed_count("in_flight")

    assert Client(limit).get("/api/products", buffered=True).status_code == 200  # buffered: the body was sent
    assert started == []
    assert limit.in_flight == 0  # the slot was given back
    held = Client(limit).get("/api/products")  # not buffered: its body is not sent yet, so it keeps its slot
    assert held.status_code == 200
    assert Client(limit).get("/api/products").status_code == 503
    assert shed_count("in_flight") == before + 1


GEVENT_PROBE = """
from gevent import monkey

monkey.patch_all()
import gevent
import greenlet

from novacart.overload import InFlightLimit, LoopLag

limit = InFlightLimit(lambda environ, start_response: [b"served"], 4, 1, lag=LoopLag())
gevent.setswitchinterval(1e-9)  # as on a busy loop: any chance to yield is taken
switches = []
greenlet.settrace(lambda event, args: switches.append(event))
for _ in range(100):
    assert limit._take_slot()
    limit._give_slot_back()
greenlet.settrace(None)
print(len(switches))
"""


def test_under_gevent_taking_and_giving_back_a_slot_never_yields_to_the_loop():
    # threading.BoundedSemaphore did: its release yielded while holding its lock, so under load every request
    # (a refusal too) waited behind a trip around the loop, seconds in all, while the loop's timers ran on time.
    import subprocess
    import sys

    probe = subprocess.run([sys.executable, "-c", GEVENT_PROBE], capture_output=True, text=True, timeout=60)

    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "0"


def test_a_loop_late_because_the_process_was_blocked_is_stalled_not_overloaded():
    # SQLite's busy wait while the database is locked sleeps the whole process: its requests must get the
    # contract's database_unavailable, and reads go on, not a wave of `overloaded`
    clock = FakeClock()
    lag = LoopLag(0.05, sleep=clock.sleep, clock=clock, cpu_clock=clock.cpu_time)

    clock.late, clock.busy = 1.0, False  # every sample a second late, the process asleep meanwhile
    for _ in range(10):
        assert lag.sample() == 0.0

    clock.busy = True  # the same lateness with the CPU busy is overload
    for _ in range(30):
        lag.sample()
    assert lag.seconds == pytest.approx(LAG_SAMPLE_CAP, rel=1e-3)


def test_a_late_loop_refuses_nothing_to_a_trickle_of_requests():
    # one client's two 10 MiB bodies keep the loop busy for a second; its next request is not an overload
    limit = InFlightLimit(served, 0, 1, lag_limit=0.1, lag=LoopLag(), chance=lambda: 0.0)
    limit.lag.seconds = 1.0
    client = Client(limit)

    answers = [client.post("/api/auth/login", json={}).status_code for _ in range(LAG_MIN_REQUESTS_PER_SECOND - 1)]
    assert set(answers) == {200}
    assert client.post("/api/auth/login", json={}).status_code == 503  # the 50th request within the second
