"""Leased rate limits: a large limit's tokens come from Redis in batches, never more than the limit in all."""

from __future__ import annotations

import os
import time
import uuid

import flask
import pytest
from limits import parse
from limits.storage import RedisStorage

from novacart.ratelimit import LeasedFixedWindowRateLimiter, RouteLimiter


def _processes(count: int) -> list[LeasedFixedWindowRateLimiter]:
    """`count` web processes' limiters on the test Redis (each its own leases, one shared counter)."""
    return [LeasedFixedWindowRateLimiter(RedisStorage(os.environ["TEST_REDIS_URL"])) for _ in range(count)]


def test_two_processes_admit_no_more_than_a_large_limit_and_lose_at_most_one_percent_each():
    # given two web processes limiting one key to 500 a minute (leases of 5)
    limit, key = parse("500/minute"), f"staff-{uuid.uuid4().hex}"
    first, second = _processes(2)
    # when 700 requests come in turns to one and the other
    admitted = sum(limiter.hit(limit, key) for _ in range(350) for limiter in (first, second))
    # then never more than the limit, and at most 1 % of it unspent per process
    assert 500 - 2 * 5 < admitted <= 500


def test_a_small_limit_is_counted_exactly_across_processes():
    # given two web processes limiting one key to 10 a minute (too small to lease)
    limit, key = parse("10/minute"), f"login-{uuid.uuid4().hex}"
    first, second = _processes(2)
    # when 15 requests come in turns
    results = [limiter.hit(limit, key) for _ in range(8) for limiter in (first, second)][:15]
    # then exactly the first 10 are admitted
    assert results == [True] * 10 + [False] * 5


def test_a_lease_ends_with_its_window():
    # given one process that spent a whole window of 300 per 2 seconds
    limit, key = parse("300 per 2 seconds"), f"burst-{uuid.uuid4().hex}"
    (limiter,) = _processes(1)
    assert sum(limiter.hit(limit, key) for _ in range(320)) == 300
    # then the next window admits again, within its length
    deadline = time.monotonic() + 4
    while not limiter.hit(limit, key):
        assert time.monotonic() < deadline, "the limit never reopened"
        time.sleep(0.05)


class SlowRedisStorage(RedisStorage):
    """The test Redis 5 ms away, as under load: requests pile up while a lease is being renewed."""

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        time.sleep(0.005)
        return super().incr(key, expiry, amount)


def test_a_burst_of_concurrent_requests_takes_one_lease_at_a_time():
    from concurrent.futures import ThreadPoolExecutor

    # given one web process limiting one key to 10,000 a minute (leases of 100), and 32 requests at a time
    limit, key = parse("10000/minute"), f"burst-{uuid.uuid4().hex}"
    limiter = LeasedFixedWindowRateLimiter(SlowRedisStorage(os.environ["TEST_REDIS_URL"]))
    # when a burst of 3,200 requests arrives, then 6,000 more one by one (9,200: below the limit)
    with ThreadPoolExecutor(32) as pool:
        admitted = sum(pool.map(lambda _: limiter.hit(limit, key), range(3200)))
    admitted += sum(limiter.hit(limit, key) for _ in range(6000))
    # then every one is admitted: a spent lease was renewed once, not by every request that found it spent
    # (each such renewal took 100 of the window's tokens for one request)
    assert admitted == 9200


def _shop(kind: str) -> flask.Flask:
    """A tiny app whose only limit, 2 a minute, is of `kind`, on its one route /a."""
    app = flask.Flask(f"limits-{kind}")
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    limiter = RouteLimiter(
        key_func=lambda: "client",
        default_limits=["2/minute"] if kind == "default" else [],
        application_limits=["2/minute"] if kind == "application" else [],
    )
    shop = flask.Blueprint("shop", __name__)

    @shop.route("/a")
    def a() -> str:
        return "a"

    if kind == "blueprint":
        limiter.limit("2/minute")(shop)
    app.register_blueprint(shop)
    if kind == "decorator":
        app.view_functions["shop.a"] = limiter.limit("2/minute")(app.view_functions["shop.a"])
    limiter.init_app(app)
    return app


@pytest.mark.parametrize("kind", ["decorator", "default", "application", "blueprint"])
def test_every_kind_of_limit_still_refuses_the_third_request(kind):
    # given a limit of 2 a minute: on the route, or one that only the check before every request applies
    client = _shop(kind).test_client()
    # when the same client asks three times
    codes = [client.get("/a").status_code for _ in range(3)]
    # then the third is refused
    assert codes == [200, 200, 429]
