"""Bulk seeding for the benchmark, run inside a system's environment (DATABASE_URL, JWT_SECRET_KEY …).

    python -m bench.seed users --customers 10000 --out tokens.json
    python -m bench.seed queue --tokens tokens.json --users 1000 --per-user 20

`users` inserts the customers and one staff user in one transaction with SQLAlchemy core (every row
with the same pre-computed password hash, so a sign-up's slow hash is paid once, not 10,000 times) and
mints their access tokens with flask_jwt_extended inside an app context, with the system's
JWT_SECRET_KEY: the tokens the API itself would issue, valid for a few hours. Writes
{"staff": {id, token}, "customers": [{id, token}, …]}.

`queue` stores `per-user` notifications for the first `users` customers, each with its delivery-queue
row (what create_many writes), for the replay scenario.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"


def seed_users(customers: int, out: Path, token_hours: float) -> None:
    from flask_jwt_extended import create_access_token
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from novacart import create_app
    from novacart.auth.models import Role, User
    from novacart.extensions import db

    app = create_app(worker=True)
    started = time.perf_counter()
    with app.app_context():
        password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])
        now = datetime.now(UTC)
        tag = f"{int(time.time())}"
        rows = [
            {
                "email": f"bench-{tag}-{i}@bench.test",
                "name": f"Shopper {i}",
                "password_hash": password_hash,
                "role": Role.CUSTOMER,
                "interests": [],
                "is_active_account": True,
                "created_at": now,
            }
            for i in range(customers)
        ]
        rows.append(
            {
                "email": f"bench-{tag}-staff@bench.test",
                "name": "Bench staff",
                "password_hash": password_hash,
                "role": Role.STAFF,
                "interests": [],
                "is_active_account": True,
                "created_at": now,
            }
        )
        db.session.execute(insert(User), rows)
        db.session.commit()
        users = db.session.execute(
            select(User.id, User.role).where(User.email.like(f"bench-{tag}-%")).order_by(User.id)
        ).all()
        expires = timedelta(hours=token_hours)

        def token(uid: int, role: Role) -> str:
            return create_access_token(identity=str(uid), additional_claims={"role": role.value}, expires_delta=expires)

        staff = [{"id": uid, "token": token(uid, role)} for uid, role in users if role == Role.STAFF]
        result = {
            "staff": staff[0],
            "customers": [{"id": uid, "token": token(uid, role)} for uid, role in users if role == Role.CUSTOMER],
            "password": PASSWORD,
        }
    out.write_text(json.dumps(result))
    print(json.dumps({"customers": len(result["customers"]), "seconds": round(time.perf_counter() - started, 2)}))


def seed_queue(tokens: Path, users: int, per_user: int) -> None:
    from sqlalchemy import insert

    from novacart import create_app
    from novacart.extensions import db
    from novacart.notifications.models import Delivery, Notification

    app = create_app(worker=True)
    ids = [c["id"] for c in json.loads(tokens.read_text())["customers"][:users]]
    started = time.perf_counter()
    with app.app_context():
        now = datetime.now(UTC)
        rows = [
            {
                "user_id": uid,
                "type": "back_in_stock",
                "title": f"Waiting {n}",
                "message": "Queued while you were away",
                "data": {"replay": n},
                "is_read": False,
                "created_at": now - timedelta(seconds=per_user - n),
                "source_key": None,
            }
            for n in range(per_user)
            for uid in ids
        ]
        created = db.session.scalars(
            insert(Notification).returning(Notification.id, sort_by_parameter_order=True), rows
        ).all()
        db.session.execute(
            insert(Delivery),
            [
                {"notification_id": nid, "user_id": row["user_id"], "queued_at": row["created_at"]}
                for nid, row in zip(created, rows, strict=True)
            ],
        )
        db.session.commit()
    print(json.dumps({"notifications": len(rows), "seconds": round(time.perf_counter() - started, 2)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    users = sub.add_parser("users")
    users.add_argument("--customers", type=int, required=True)
    users.add_argument("--out", type=Path, required=True)
    users.add_argument("--token-hours", type=float, default=6)
    queue = sub.add_parser("queue")
    queue.add_argument("--tokens", type=Path, required=True)
    queue.add_argument("--users", type=int, required=True)
    queue.add_argument("--per-user", type=int, default=20)
    args = parser.parse_args()
    if args.command == "users":
        seed_users(args.customers, args.out, args.token_hours)
    else:
        seed_queue(args.tokens, args.users, args.per_user)


if __name__ == "__main__":
    main()
