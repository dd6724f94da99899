"""Systems to break: each gets a private redis-server and a fresh database; each test records its figures."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.harness import System, cleanup, start_system
from tests.system.harness import Fleet, RedisServer, fresh_database, postgres_server, workdir
from tests.system.report import RESULTS

# Short sweeps, so a test sees recovery in seconds; docs/reliability.md states them next to the figures.
SYSTEM_ENV = {
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # thousands of sign-ups: scrypt would take minutes
    "DELIVERY_SWEEP_SECONDS": "1",
    "DELIVERY_RESEND_AFTER_SECONDS": "3",
    "OUTBOX_SWEEP_SECONDS": "2",
    "OUTBOX_RETRY_AFTER_SECONDS": "5",
    "PROMOTION_POLL_SECONDS": "0.5",
    "PROMOTION_STALLED_SECONDS": "3",
    "FANOUT_BATCH_SIZE": "100",
    "LOG_LEVEL": "WARNING",
}


@dataclass
class Booted:
    system: System
    redis: RedisServer


def _boot(
    stack: ExitStack, *, extra_env: dict[str, str] | None = None, postgres: bool = False, **kwargs: Any
) -> Booted:
    """Start a system with its own Redis and database (PostgreSQL even on a SQLite run with `postgres`);
    `stack` stops and removes all of it."""
    directory = workdir()
    stack.callback(shutil.rmtree, directory, ignore_errors=True)
    redis = RedisServer(directory)
    redis.start()
    stack.callback(redis.stop)
    database_url = stack.enter_context(fresh_database(base=postgres_server() if postgres else None))
    system = start_system(redis.url(0), database_url, extra_env={**SYSTEM_ENV, **(extra_env or {})}, **kwargs)
    stack.callback(cleanup, system)
    return Booted(system, redis)


@pytest.fixture
def boot() -> Iterator[Callable[..., Booted]]:
    """boot(web=1, worker=True, beat=True, extra_env={…}, postgres=False) → a running system with its own Redis.

    Everything it started is stopped at teardown, whatever the test did to it."""
    with ExitStack() as stack:
        yield lambda **kwargs: _boot(stack, **kwargs)


@pytest.fixture(scope="module")
def shared() -> Iterator[Booted]:
    """One system for the attacks of a module (they change nothing, so they can share it)."""
    with ExitStack() as stack:
        yield _boot(stack)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    clients = Fleet()
    yield clients
    clients.close()


@dataclass
class Row:
    """One row of docs/reliability.md."""

    name: str
    group: str
    done: str
    expected: str
    order: int = 0
    size: int = 0
    figures: dict[str, Any] = field(default_factory=dict)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        item._reliability_outcome = report.outcome  # type: ignore[attr-defined]


@pytest.fixture
def reliability(request: pytest.FixtureRequest) -> Iterator[Callable[..., Row]]:
    """reliability(name, group, done, expected, order=…, size=…) → a Row whose `figures` the test fills.

    Written to the results directory (RELIABILITY_RESULTS, default .reliability/) with the test's
    outcome, for tests.system.report."""
    rows: list[Row] = []

    def make(name: str, group: str, done: str, expected: str, **kwargs: Any) -> Row:
        row = Row(name, group, done, expected, **kwargs)
        rows.append(row)
        return row

    yield make
    outcome = getattr(request.node, "_reliability_outcome", "failed")
    if outcome == "skipped":
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    database = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "sqlite"
    for row in rows:
        slug = re.sub(r"[^a-z0-9]+", "-", f"{database}-{row.group}-{row.name}-{row.size}".lower()).strip("-")
        body = {**row.__dict__, "outcome": outcome, "database": database, "test": request.node.nodeid}
        (RESULTS / f"{slug}.json").write_text(json.dumps(body, indent=1, default=str))
