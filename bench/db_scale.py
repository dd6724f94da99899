"""The notification tables at scale: a user's first page, unread count and mark-all-read, and a promotion fan-out.

    python -m bench.db_scale [--users 10000] [--per-user 100] [--samples 500] [--database-url URL]

Fills a fresh database with users × per-user notifications (1,000,000 by default) in bulk, then times
the service calls the API makes (the same SQL, without HTTP) for random users: p50 / p99 in ms. Then it
fans one promotion out to every customer, stored and published to Redis in batches, as the worker does.
Prints a table and writes bench/results/db_scale.json.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, samples: list) -> list[float]:
    out = []
    for arg in samples:
        start = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--per-user", type=int, default=100)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="novacart-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ.update({"NOVACART_CONFIG": "development", "DATABASE_URL": database_url, "REDIS_URL": args.redis_url})
    sys.path.insert(0, str(ROOT))

    from sqlalchemy import insert, text

    from novacart import create_app
    from novacart.auth.models import Role, User
    from novacart.extensions import db
    from novacart.notifications import inbox, promotions
    from novacart.notifications.models import Delivery, Notification

    app = create_app(worker=True)
    results: dict = {"users": args.users, "notifications": args.users * args.per_user}
    with app.app_context():
        dialect = db.engine.dialect.name
        results["database"] = dialect
        db.drop_all()
        db.create_all()
        print(
            f"seeding {args.users:,} users and {args.users * args.per_user:,} notifications on {dialect} …", flush=True
        )
        start = time.perf_counter()
        now = datetime.now(UTC)
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"bench{i}@example.test",
                    "name": f"Bench {i}",
                    "password_hash": "x",
                    "role": Role.CUSTOMER,
                    "interests": ["paper"] if i % 2 else ["ink"],
                    "is_active_account": True,
                    "created_at": now,
                }
                for i in range(args.users)
            ],
        )
        user_ids = [row[0] for row in db.session.execute(text("SELECT id FROM users ORDER BY id"))]
        chunk = []
        for n in range(args.per_user):
            created = now - timedelta(minutes=args.per_user - n)
            for uid in user_ids:
                chunk.append(
                    {
                        "user_id": uid,
                        "type": "promotion",
                        "title": f"Offer {n}",
                        "message": "20% off paper",
                        "data": {},
                        "is_read": False,
                        "created_at": created,
                    }
                )
                if len(chunk) >= 50_000:
                    db.session.execute(insert(Notification), chunk)
                    chunk = []
        if chunk:
            db.session.execute(insert(Notification), chunk)
        db.session.commit()
        if dialect == "postgresql":
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.commit()
        results["seed_seconds"] = round(time.perf_counter() - start, 1)
        print(f"seeded in {results['seed_seconds']} s", flush=True)

        rng = random.Random(42)
        sample = rng.sample(user_ids, min(args.samples, len(user_ids)))
        page = timed(lambda uid: inbox.find_by_user(uid, limit=20), sample)
        unread_page = timed(lambda uid: inbox.find_by_user(uid, unread_only=True, limit=20), sample)
        count = timed(inbox.unread_count, sample)
        mark_all = timed(inbox.mark_all_read, sample)  # each sampled user has per-user unread
        db.session.remove()
        results["queries_ms"] = {
            name: {"p50": round(statistics.median(v), 3), "p99": round(percentile(v, 99), 3)}
            for name, v in (
                ("first_page", page),
                ("first_unread_page", unread_page),
                ("unread_count", count),
                (f"mark_all_read_{args.per_user}", mark_all),
            )
        }

        # Fan-out: one promotion to every customer, stored in batches and published to Redis as the worker does.
        db.session.execute(Delivery.__table__.delete())
        db.session.commit()
        promotion = promotions.create_promotion(None, "Bench promotion", "Everything 10% off", [], None)
        start = time.perf_counter()
        recipients = promotions.send_promotion(promotion.id)
        elapsed = time.perf_counter() - start
        results["fanout"] = {
            "recipients": recipients,
            "seconds": round(elapsed, 3),
            "per_second": round(recipients / elapsed) if elapsed else None,
        }

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "db_scale.json").write_text(json.dumps(results, indent=2))
    print()
    print(f"{'operation':<28}{'p50 ms':>10}{'p99 ms':>10}")
    for name, figures in results["queries_ms"].items():
        print(f"{name:<28}{figures['p50']:>10.3f}{figures['p99']:>10.3f}")
    fan = results["fanout"]
    print(
        f"\npromotion to {fan['recipients']:,} customers: stored and published in {fan['seconds']} s "
        f"({fan['per_second']:,}/s)"
    )
    print(f"results: {RESULTS / 'db_scale.json'}")


if __name__ == "__main__":
    main()
