"""CPU time of one POST /api/notifications through the whole Flask stack, in one process, no network.

`python -m bench.cpu_per_call --redis-url URL [--calls 2000]` prints one JSON line: µs of process CPU per
call, the least of 10 blocks (the block least disturbed by anything else on the machine; the median too).
The app is built as production builds it (SQLite file, Redis message queue and rate limits; no web
server): authentication, the rate limit, validation, storing, queueing and the emit's publish to Redis,
each call a fresh request. Single-threaded and measured in CPU time, so other people's load on a shared
machine moves it far less than wall-clock figures. bench.ab --in-process runs it per variant (git ref)
in turns.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path.cwd()  # the tree under test (bench.ab runs this from each variant's exported copy)
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--redis-url", required=True)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--blocks", type=int, default=10)
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="novacart-cpu-"))
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # each run starts with no rate-limit counters
    from tests.e2e.harness import SECRETS

    os.environ.update(
        {
            **SECRETS,
            "NOVACART_CONFIG": "production",
            "ALLOW_SANDBOX_PAYMENTS": "true",
            "SESSION_COOKIE_SECURE": "false",
            "DATABASE_URL": f"sqlite:///{workdir / 'cpu.db'}",
            "REDIS_URL": args.redis_url,
            "NOTIFICATION_RATE_LIMIT": "100000/minute",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "LOG_LEVEL": "WARNING",
        }
    )
    from novacart import create_app
    from novacart.auth import services
    from novacart.auth.models import Role
    from novacart.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
        staff = services.create_user("staff@cpu.test", "password123", "Staff", Role.STAFF)
        token = services.issue_tokens(staff).access_token
        users = [services.create_user(f"c{i}@cpu.test", "password123", f"C{i}", Role.CUSTOMER).id for i in range(100)]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def call(n: int) -> None:
        body = {"user_id": random.choice(users), "type": "back_in_stock", "title": f"Back {n}", "message": "m"}
        response = client.post("/api/notifications", json=body, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"POST /api/notifications: {response.status_code} {response.get_data(as_text=True)}")

    for n in range(300):  # warm caches, pools and imports
        call(n)
    per_call = []
    block = args.calls // args.blocks
    for b in range(args.blocks):
        started = time.process_time()
        for n in range(block):
            call(b * block + n)
        per_call.append(1e6 * (time.process_time() - started) / block)
    print(
        json.dumps(
            {
                "us_per_call": round(min(per_call), 1),
                "median_us_per_call": round(statistics.median(per_call), 1),
                "blocks": [round(x, 1) for x in per_call],
            }
        )
    )


if __name__ == "__main__":
    main()
