"""Production fails closed: unsafe settings refuse to start, in one line; development makes its own secrets."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config import DevelopmentConfig, ProductionConfig, SettingsError, TestingConfig

ROOT = Path(__file__).resolve().parent.parent
STRONG = "s" * 32


class SafeProduction(ProductionConfig):
    SECRET_KEY = JWT_SECRET_KEY = PAYMENT_WEBHOOK_SECRET = SHIPPING_WEBHOOK_SECRET = STRONG
    ALLOW_SANDBOX_PAYMENTS = True
    SQLALCHEMY_DATABASE_URI = TestingConfig.SQLALCHEMY_DATABASE_URI
    REDIS_URL = TestingConfig.REDIS_URL
    # Socket.IO is one object: a production app's Redis manager would replace the suite's in-process one
    SOCKETIO_MESSAGE_QUEUE = TestingConfig.SOCKETIO_MESSAGE_QUEUE


def _production(**settings) -> type[ProductionConfig]:
    return type("Production", (SafeProduction,), settings)


def test_production_refuses_missing_secrets():
    from novacart import create_app

    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        create_app(_production(SECRET_KEY=None))


def test_production_refuses_secrets_shorter_than_32_characters():
    from novacart import create_app

    with pytest.raises(SettingsError, match="JWT_SECRET_KEY must be at least 32 characters"):
        create_app(_production(JWT_SECRET_KEY="x" * 31))


def test_production_refuses_the_sandbox_payment_provider_unless_allowed():
    from novacart import create_app

    with pytest.raises(SettingsError, match="PAYMENT_PROVIDER=sandbox"):
        create_app(_production(ALLOW_SANDBOX_PAYMENTS=False))
    assert create_app(_production(ALLOW_SANDBOX_PAYMENTS=True)).config["PAYMENT_PROVIDER"] == "sandbox"


STRIPE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_live_" + STRONG,
    "STRIPE_PUBLISHABLE_KEY": "pk_live_" + STRONG,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + STRONG,
}


def _stripe_production(**settings) -> type[ProductionConfig]:
    return _production(**{"PAYMENT_PROVIDER": "stripe", "ALLOW_SANDBOX_PAYMENTS": False, **STRIPE_KEYS, **settings})


def test_production_with_stripe_refuses_to_start_without_its_keys():
    from novacart import create_app

    refusal = "PAYMENT_PROVIDER=stripe needs STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET"
    with pytest.raises(SettingsError, match=refusal):
        create_app(_stripe_production(STRIPE_PUBLISHABLE_KEY=None, STRIPE_WEBHOOK_SECRET=None))
    assert create_app(_stripe_production()).config["PAYMENT_PROVIDER"] == "stripe"


@pytest.mark.parametrize(
    "settings, refusal",
    [
        # a secret key in the publishable key's place would be handed to every browser
        ({"STRIPE_PUBLISHABLE_KEY": "sk_live_" + STRONG}, "STRIPE_PUBLISHABLE_KEY must start with pk_"),
        ({"STRIPE_SECRET_KEY": "pk_live_" + STRONG}, "STRIPE_SECRET_KEY must start with sk_ or rk_"),
        ({"STRIPE_WEBHOOK_SECRET": STRONG}, "STRIPE_WEBHOOK_SECRET must start with whsec_"),
        ({"STRIPE_API_BASE": "http://stripe.example.test"}, "STRIPE_API_BASE must be an https:// URL"),
        ({"PAYMENT_PROVIDER": "paypal"}, "PAYMENT_PROVIDER must be one of sandbox, stripe, not 'paypal'"),
        ({"CURRENCY": "EURO"}, "CURRENCY must be an ISO 4217 code"),
    ],
)
def test_production_refuses_payment_settings_of_the_wrong_kind(settings, refusal):
    from novacart import create_app

    with pytest.raises(SettingsError, match=refusal):
        create_app(_stripe_production(**settings))


def test_production_lets_stripe_reach_a_stand_in_on_loopback_only_in_clear():
    from novacart import create_app

    for base in ("https://stripe.example.test", "http://127.0.0.1:12111", "http://localhost:12111"):
        assert create_app(_stripe_production(STRIPE_API_BASE=base)).config["STRIPE_API_BASE"] == base


def test_production_cookie_is_secure_and_responses_carry_hsts():
    from novacart import create_app

    app = create_app(_production())
    with app.app_context():
        response = app.test_client().get("/healthz")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_is_off_with_session_cookie_secure_false(client):
    # the testing settings opt out (plain HTTP), as SESSION_COOKIE_SECURE=false does
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_hosts_default_to_loopback_in_development_and_every_interface_in_production():
    assert DevelopmentConfig.HOST == "127.0.0.1"
    assert ProductionConfig.HOST == "0.0.0.0"


def test_development_makes_random_secrets_once_under_instance(tmp_path):
    # given no secrets in the environment
    class Development(DevelopmentConfig):
        SECRET_KEY = JWT_SECRET_KEY = PAYMENT_WEBHOOK_SECRET = SHIPPING_WEBHOOK_SECRET = None

    first, second = {}, {}
    # when two processes start
    Development.prepare(first, str(tmp_path))
    Development.prepare(second, str(tmp_path))
    # then both use the same long random secrets, kept in a file only its owner reads
    path = tmp_path / "dev-secrets.json"
    assert first == second == json.loads(path.read_text())
    assert all(len(value) >= 32 for value in first.values()) and len(set(first.values())) == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Development.problems(first) == []


def test_development_replaces_a_damaged_secrets_file(tmp_path):
    (tmp_path / "dev-secrets.json").write_text("{not json")
    settings: dict = {}
    DevelopmentConfig.prepare.__func__(type("D", (DevelopmentConfig,), {"SECRET_KEY": None}), settings, str(tmp_path))
    assert len(settings["SECRET_KEY"]) >= 32


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    prefixes = ("NOVACART_", "SECRET", "JWT_", "PAYMENT_", "STRIPE_", "ALLOW_SANDBOX")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(args, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60, check=False)


PRODUCTION_ENV = {
    "NOVACART_CONFIG": "production",
    "SECRET_KEY": STRONG,
    "JWT_SECRET_KEY": STRONG,
    "PAYMENT_WEBHOOK_SECRET": STRONG,
    "SHIPPING_WEBHOOK_SECRET": STRONG,
    "PORT": "1",  # never reached: the refusal comes first
}


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "wsgi.py"],
        [sys.executable, "-m", "celery", "-A", "celery_worker.celery", "inspect", "ping"],
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
    ],
    ids=["web", "worker", "cli"],
)
def test_each_process_refuses_the_sandbox_in_production_with_one_line(command):
    result = _run(command, **PRODUCTION_ENV)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("novacart: refusing to start: PAYMENT_PROVIDER=sandbox"), lines


def test_the_sandbox_refusal_names_stripe_as_the_way_out():
    result = _run([sys.executable, "wsgi.py"], **PRODUCTION_ENV)
    assert "set PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY" in result.stderr


def test_a_production_web_with_stripe_and_no_keys_refuses_in_one_line():
    result = _run([sys.executable, "wsgi.py"], **PRODUCTION_ENV, PAYMENT_PROVIDER="stripe")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(
        "novacart: refusing to start: PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, "
        "STRIPE_WEBHOOK_SECRET"
    ), lines


def test_flask_seed_refuses_production(app):
    from novacart import create_app

    production = create_app(_production())
    with production.app_context():  # the CLI uses the innermost app (the suite's own is pushed too)
        result = production.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code != 0 and "refusing to seed demo data in production" in result.output
