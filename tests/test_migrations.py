"""`flask db upgrade` on an empty database gives exactly the models' schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
        downgrade = _flask(url, "db", "downgrade", "base")
        assert downgrade.returncode == 0, downgrade.stderr


@pytest.mark.parametrize("command", [["seed"], ["users", "create", "--help"]])
def test_cli_commands_are_registered(tmp_path, command):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert _flask(url, "db", "upgrade").returncode == 0
    result = _flask(url, *command)
    assert result.returncode == 0, result.stderr
