"""Fixtures: the app on a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL) and a real Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis as redis_lib

_redis_proc: subprocess.Popen | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_redis() -> str:
    """TEST_REDIS_URL, or a private redis-server for this run (so plain `pytest` works too)."""
    global _redis_proc
    if url := os.environ.get("TEST_REDIS_URL"):
        return url
    if not shutil.which("redis-server"):
        pytest.exit("redis-server is not installed: run `make setup` or set TEST_REDIS_URL", returncode=2)
    port = _free_port()
    _redis_proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/15"
    client = redis_lib.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.ping()
            break
        except redis_lib.ConnectionError:
            time.sleep(0.05)
    os.environ["TEST_REDIS_URL"] = url
    return url


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow (make test-slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`slow` tests (minutes each: fault and soak runs) run only with --run-slow or when -m names them."""
    if config.getoption("--run-slow") or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow, -m slow or make test-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("NOVACART_CONFIG", "testing")
    _ensure_redis()
    if not os.environ.get("TEST_DATABASE_URL"):
        # A file, not :memory:, so concurrent tests get separate connections to one database.
        os.environ["TEST_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='novacart-test-')}/test.db"


def pytest_unconfigure(config: pytest.Config) -> None:
    if _redis_proc is not None:
        _redis_proc.terminate()


@pytest.fixture(scope="session")
def app():
    from config import TestingConfig
    from novacart import create_app
    from novacart.extensions import db

    app = create_app(TestingConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture(autouse=True)
def _clean_state(app, redis_client) -> Iterator[None]:
    from novacart.extensions import db

    yield
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    db.session.expunge_all()  # objects stay loaded after commits; drop them with their rows
    redis_client.flushdb()


@pytest.fixture(autouse=True)
def _the_suites_app_stays_in_charge(app):
    """Socket.IO and Celery are one object each per process, and every create_app re-initialises them. A test that
    builds another app (settings, CORS, hashing) would leave every later test emitting through that app's Socket.IO
    server and queueing on its Celery, so the outcome of a test would depend on the order the suite ran in. Each test
    hands back the suite's."""
    from novacart.extensions import socketio

    saved = dict(vars(socketio))
    yield
    if vars(socketio) != saved:
        vars(socketio).clear()
        vars(socketio).update(saved)
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()


@pytest.fixture(scope="session")
def redis_client() -> redis_lib.Redis:
    return redis_lib.Redis.from_url(os.environ["TEST_REDIS_URL"])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user and return (user_id, auth headers)."""
    from novacart.auth import services
    from novacart.auth.models import Role

    counter = iter(range(1, 10_000))

    def make(role: str = "customer", email: str | None = None, password: str = "password123", name: str = "Test User"):
        email = email or f"{role}{next(counter)}@example.test"
        user = services.create_user(email, password, name, Role(role))
        tokens = services.issue_tokens(user)
        return user.id, {"Authorization": f"Bearer {tokens.access_token}"}

    return make


@pytest.fixture
def customer(make_user):
    return make_user("customer")


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def make_product(app):
    from novacart.inventory import services

    counter = iter(range(1, 10_000))

    def make(stock: int = 10, price_cents: int = 500, threshold: int = 2, **extra):
        n = next(counter)
        data = {
            "sku": extra.pop("sku", f"SKU-{n}"),
            "name": extra.pop("name", f"Product {n}"),
            "category": extra.pop("category", "paper"),
            "price_cents": price_cents,
            "stock": stock,
            "low_stock_threshold": threshold,
            **extra,
        }
        return services.create_product(None, data).id

    return make


@pytest.fixture(scope="session")
def stripe_api():
    """The local stand-in for Stripe's API (tests/stripe_standin.py), one for the session."""
    from tests.stripe_standin import StripeStandIn

    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_shop(app, stripe_api):
    """The app taking payments with Stripe, whose API is the stand-in (emptied for each test)."""
    settings = stripe_api.settings()
    saved = {key: app.config[key] for key in settings}
    app.config.update(settings)
    stripe_api.reset()
    yield stripe_api
    app.config.update(saved)
