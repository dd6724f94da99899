"""The whole system as processes, shared by the end-to-end tests of a session."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.harness import Recorder, cleanup, fresh_database, start_system


@pytest.fixture(scope="session")
def e2e_database_url():
    """A fresh PostgreSQL database when the suite runs on PostgreSQL, else None (SQLite in the system's dir)."""
    with fresh_database("novacart_e2e") as url:
        yield url


@pytest.fixture(scope="session")
def system(e2e_database_url, tmp_path_factory):
    """web (gevent, the default) ×2 on two ports, a Celery worker and beat, sharing one Redis and one database.

    The Redis is a private redis-server: two test runs on one machine (or a leftover process) must never
    share a Celery queue or a Socket.IO channel, or each system would consume the other's events.
    Web Push is configured (a VAPID key of the session) and may reach the tests' stand-in push service on
    127.0.0.1; e-mails are written under the session's temporary directory, never the repository's."""
    from tests.channels_support import vapid_private_pem
    from tests.system.harness import RedisServer

    channels = {
        "VAPID_PRIVATE_KEY": vapid_private_pem(),
        "WEBPUSH_ALLOW_ANY_ENDPOINT": "true",
        "MAIL_DIR": str(tmp_path_factory.mktemp("e2e-mail")),
    }
    redis = RedisServer(tmp_path_factory.mktemp("e2e-redis"))
    redis.start()
    running = start_system(redis.url(0), e2e_database_url, web=2, extra_env=channels)
    yield running
    cleanup(running)
    redis.stop()


@pytest.fixture
def recorders(system):
    opened: list[Recorder] = []

    def open_(token: str | None = None, url: str | None = None, **kwargs) -> Recorder:
        recorder = Recorder(url or system.url, token, **kwargs)
        opened.append(recorder)
        return recorder

    yield open_
    for recorder in opened:
        recorder.close()
    # every payload any of them received matches /api/asyncapi.json
    assert [problem for recorder in opened for problem in recorder.invalid] == []


@pytest.fixture(scope="session")
def staff_user(system):
    return system.employee("staff")


@pytest.fixture(scope="session")
def admin_user(system):
    return system.employee("admin")


@pytest.fixture
def product(system, staff_user):
    """A fresh product: make(stock=…, threshold=…) → id."""

    def make(stock: int = 10, threshold: int = 2, name: str | None = None) -> int:
        body = {
            "sku": f"E2E-{uuid.uuid4().hex[:10]}",
            "name": name or f"E2E product {uuid.uuid4().hex[:4]}",
            "category": "paper",
            "price_cents": 499,
            "stock": stock,
            "low_stock_threshold": threshold,
        }
        response = system.api("POST", "/api/products", staff_user["token"], json=body)
        response.raise_for_status()
        return response.json()["id"]

    return make


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, one for the whole session: Playwright's sync API runs one instance per thread,
    so every browser test module (the client's, the dashboard's) shares this one."""
    from tests.e2e.browser import launch, skipping, unavailable

    if skipping():
        pytest.skip("browser tests skipped: SKIP_BROWSER=1")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
