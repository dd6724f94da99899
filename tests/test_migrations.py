"""`flask db upgrade` on an empty database gives exactly the models' schema; `downgrade base` removes it all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.harness import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def _flask(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "NOVACART_CONFIG": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["TEST_REDIS_URL"],
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_on_an_empty_database_matches_the_models(tmp_path):
    with fresh_database("novacart_migrations") as postgres_url:
        url = postgres_url or f"sqlite:///{tmp_path / 'migrations.db'}"
        upgrade = _flask(url, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        check = _flask(url, "db", "check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No new upgrade operations detected" in check.stdout + check.stderr
        # downgrade with data in every table the demo touches, then back up again
        seed = _flask(url, "seed")
        assert seed.returncode == 0, seed.stderr
        assert _tables(url) > {"alembic_version", "users", "orders", "notifications"}
        downgrade = _flask(url, "db", "downgrade", "base")
        assert downgrade.returncode == 0, downgrade.stderr
        assert _tables(url) == {"alembic_version"}, "downgrade left tables behind"
        assert _scalar(url, "SELECT count(*) FROM alembic_version") == 0
        again = _flask(url, "db", "upgrade")
        assert again.returncode == 0, again.stderr
        check = _flask(url, "db", "check")
        assert check.returncode == 0, check.stdout + check.stderr


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool)


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _scalar(url: str, sql: str):
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["seed"], ["users", "create", "--help"]])
def test_cli_commands_are_registered(tmp_path, command):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _flask(url, "db", "upgrade").returncode == 0
    result = _flask(url, *command)
    assert result.returncode == 0, result.stderr
