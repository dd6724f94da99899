"""The OpenAPI document tells the truth: Schemathesis, an outside fuzzer, against the real web process.

Every check, a bounded number of examples per operation (schemathesis.toml, which also lists the
false positives it cannot know about, each with its reason), as anonymous and as each role. Zero
failures. A system of its own: the fuzzer creates products, promotions and role changes at random.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import ROOT

pytestmark = pytest.mark.e2e

ROLES = ("anonymous", "customer", "staff", "admin")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    from contextlib import ExitStack

    from tests.channels_support import vapid_private_pem
    from tests.stripe_standin import StripeStandIn
    from tests.system.conftest import _boot

    with ExitStack() as stack:
        # Payments go to Stripe (the local stand-in), so /pay and the Stripe webhook are fuzzed for real:
        # PaymentIntents are created, and every made-up Stripe-Signature is checked with the real secret.
        stripe_api = StripeStandIn().start()
        stack.callback(stripe_api.stop)
        # Web Push configured, as a shop that offers it: its endpoints are fuzzed, not just refused with 503.
        env = {"LOG_LEVEL": "ERROR", "VAPID_PRIVATE_KEY": vapid_private_pem(), **stripe_api.settings()}
        system = _boot(stack, worker=False, beat=False, extra_env=env).system
        tokens = {
            "customer": system.register("Fuzzer")["token"],
            "staff": system.employee("staff")["token"],
            "admin": system.employee("admin")["token"],
        }
        yield system, tokens, tmp_path_factory.mktemp("schemathesis")


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_nothing(fuzzed, role):
    system, tokens, reports = fuzzed
    headers = ["-H", f"Authorization: Bearer {tokens[role]}"] if role in tokens else []
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{system.url}/api/openapi.json",
        *headers,
        "--workers",
        "1",  # hypothesis' lambda-source cache is not thread-safe: two workers failed with AST errors
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "20261130",  # the same cases every run; a failure reproduces
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    (reports / f"{role}.txt").write_text(result.stdout + result.stderr)
    summary = [line for line in result.stdout.splitlines() if line.startswith("=")][-1:]
    assert result.returncode == 0, f"{role}: {summary}\n{result.stdout[-6000:]}"
    assert "Configuration:" in result.stdout and "schemathesis.toml" in result.stdout  # its exceptions applied
