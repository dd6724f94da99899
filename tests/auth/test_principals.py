"""What a web process remembers about tokens: a verified token until it expires (never past it), and its
answer (its user, revoked or not) for PRINCIPAL_CACHE_SECONDS, never longer."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask_jwt_extended import decode_token
from sqlalchemy import insert

from novacart.auth.models import RevokedToken, Role, User
from novacart.extensions import db
from tests.helpers import assert_problem


def _token_id(headers: dict) -> str:
    return decode_token(headers["Authorization"].removeprefix("Bearer "))["jti"]


def test_a_token_revoked_by_another_process_is_refused_within_the_cache_time(app, client, customer):
    # given a customer whose token this process has just checked
    _, headers = customer
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    # when another process revokes it (a row written outside this process's sessions)
    with db.engine.begin() as conn:
        expires = datetime.now(UTC) + timedelta(minutes=15)
        conn.execute(insert(RevokedToken.__table__).values(jti=_token_id(headers), expires_at=expires))
    # then it is refused within PRINCIPAL_CACHE_SECONDS, well inside the contract's 5 s
    started = time.monotonic()
    deadline = started + app.config["PRINCIPAL_CACHE_SECONDS"] + 1
    while (response := client.get("/api/auth/me", headers=headers)).status_code == 200:
        assert time.monotonic() < deadline, "a revoked token was still accepted after the cache time"
        time.sleep(0.05)
    assert_problem(response, 401, "token_revoked")
    assert time.monotonic() - started <= 5


def test_a_deactivation_through_this_process_is_refused_at_once(client, customer):
    # given a customer whose token this process has just checked
    user_id, headers = customer
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    # when this process deactivates the account
    db.session.get(User, user_id).is_active_account = False
    db.session.commit()
    # then the very next request is refused
    assert_problem(client.get("/api/auth/me", headers=headers), 401)


def test_a_role_change_through_this_process_is_seen_at_once(client, customer):
    # given a customer whose token this process has just checked
    user_id, headers = customer
    assert client.get("/api/auth/me", headers=headers).get_json()["role"] == "customer"
    # when this process makes them staff
    db.session.get(User, user_id).role = Role.STAFF
    db.session.commit()
    # then the next request sees the new role
    assert client.get("/api/auth/me", headers=headers).get_json()["role"] == "staff"


def test_a_remembered_token_is_refused_once_it_expires(client, customer):
    from flask_jwt_extended import create_access_token

    # given a token of a few seconds' life, accepted (and so remembered) by this process
    user_id, _ = customer
    headers = {
        "Authorization": f"Bearer {create_access_token(identity=str(user_id), expires_delta=timedelta(seconds=2))}"
    }
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    # then once it has expired it is refused, as if never seen
    deadline = time.monotonic() + 5
    while (response := client.get("/api/auth/me", headers=headers)).status_code == 200:
        assert time.monotonic() < deadline, "an expired token was still accepted"
        time.sleep(0.1)
    assert_problem(response, 401, "token_expired")
