"""Auth API: register, login, refresh, logout with revocation, me, role changes, rate limits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_problem

ROOT = Path(__file__).resolve().parents[2]


def register(client, email="new@example.test", password="password123", name="New Person", **extra):
    return client.post("/api/auth/register", json={"email": email, "password": password, "name": name, **extra})


def test_register_creates_customer_and_returns_tokens(client):
    # when
    response = register(client, email="New@Example.test")
    # then
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "new@example.test"
    assert body["user"]["role"] == "customer"
    assert body["user"]["interests"] == []
    assert {"id", "name", "created_at"} <= body["user"].keys()
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["id"] == body["user"]["id"]


def test_register_refuses_a_chosen_role(client):
    response = register(client, role="admin")
    body = assert_problem(response, 422, "validation_error")
    assert "role" in body["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "password123", "name": "X"}, "email"),
        ({"email": "a@example.test", "password": "short", "name": "X"}, "password"),
        ({"email": "a@example.test", "password": "password123", "name": ""}, "name"),
        ({"email": "a@example.test", "password": "password123"}, "name"),
        ({"email": 12, "password": "password123", "name": "X"}, "email"),
    ],
)
def test_register_validates_fields(client, payload, field):
    body = assert_problem(client.post("/api/auth/register", json=payload), 422, "validation_error")
    assert field in body["errors"]


def test_register_duplicate_email_is_409(client):
    register(client)
    assert_problem(register(client, email="NEW@example.test"), 409, "duplicate_email")


def test_login_returns_tokens_for_right_password(client, make_user):
    make_user("staff", email="sam@example.test", password="correct-horse")
    response = client.post("/api/auth/login", json={"email": "sam@example.test", "password": "correct-horse"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["role"] == "staff"
    assert body["access_token"] and body["refresh_token"]


@pytest.mark.parametrize(
    ("email", "password"), [("sam@example.test", "wrong-password"), ("nobody@example.test", "correct-horse")]
)
def test_login_with_wrong_credentials_is_401(client, make_user, email, password):
    make_user(email="sam@example.test", password="correct-horse")
    assert_problem(
        client.post("/api/auth/login", json={"email": email, "password": password}), 401, "invalid_credentials"
    )


def test_refresh_gives_a_new_access_token_and_refuses_access_tokens(client):
    tokens = register(client).get_json()
    refreshed = client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    new_access = refreshed.get_json()["access_token"]
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {new_access}"}).status_code == 200
    # an access token is not a refresh token, nor the other way round
    assert_problem(client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {new_access}"}), 401)
    assert_problem(client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}), 401)


def test_logout_revokes_access_and_refresh_tokens(client, app, redis_client):
    tokens = register(client).get_json()
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    # when
    response = client.post("/api/auth/logout", headers=access, json={"refresh_token": tokens["refresh_token"]})
    # then
    assert response.status_code == 204
    assert_problem(client.get("/api/auth/me", headers=access), 401, "token_revoked")
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert_problem(client.post("/api/auth/refresh", headers=refresh), 401, "token_revoked")
    # the blocklist lives in the database, so a new web process (here: a fresh interpreter) still refuses the
    # token, and so does this one after Redis lost everything
    redis_client.flushdb()
    assert_problem(client.get("/api/auth/me", headers=access), 401, "token_revoked")
    script = (
        "import sys; from config import TestingConfig; from novacart import create_app; "
        "app = create_app(TestingConfig); "
        "r = app.test_client().get('/api/auth/me', headers={'Authorization': sys.argv[1]}); "
        "print(r.status_code, r.get_json()['code'])"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script, access["Authorization"]], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert fresh.stdout.split() == ["401", "token_revoked"], fresh.stderr


def test_logout_without_body_revokes_only_the_access_token(client):
    tokens = register(client).get_json()
    response = client.post("/api/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 204
    refresh = client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer garbage", "Basic abc", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."],
)
def test_me_refuses_missing_and_bad_tokens(client, header):
    headers = {"Authorization": header} if header else {}
    assert_problem(client.get("/api/auth/me", headers=headers), 401)


def test_me_refuses_expired_and_foreign_tokens(client, app, customer):
    import datetime as dt

    import jwt as pyjwt
    from flask_jwt_extended import create_access_token

    user_id, _ = customer
    expired = create_access_token(identity=str(user_id), expires_delta=dt.timedelta(seconds=-5))
    assert_problem(client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"}), 401, "token_expired")
    forged = pyjwt.encode(
        {"sub": str(user_id), "type": "access", "jti": "x", "exp": 9999999999, "fresh": False},
        "another-secret-key-of-enough-length!",
        algorithm="HS256",
    )
    assert_problem(client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}), 401, "invalid_token")


@pytest.mark.parametrize(
    "claims, algorithm",
    [
        ({"type": "access", "jti": "x", "exp": 9999999999}, "HS256"),  # whose user is it?
        ({"sub": "1", "type": "access", "jti": "x", "exp": 9999999999}, "HS512"),  # an algorithm not accepted
        ({"sub": "1", "type": "access", "jti": "x", "exp": 9999999999, "nbf": 9999999990}, "HS256"),  # not yet
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the test key, for HS512
def test_me_refuses_tokens_signed_with_the_key_but_not_valid(client, app, claims, algorithm):
    import jwt as pyjwt

    token = pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm=algorithm)
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)
    assert response.get_json()["code"] != "token_expired"


def test_admin_changes_a_role_and_others_cannot(client, admin, staff, customer):
    admin_id, admin_headers = admin
    customer_id, customer_headers = customer
    _, staff_headers = staff
    # when an admin promotes the customer
    response = client.patch(f"/api/users/{customer_id}", json={"role": "staff"}, headers=admin_headers)
    # then
    assert response.status_code == 200 and response.get_json()["role"] == "staff"
    assert_problem(client.patch(f"/api/users/{customer_id}", json={"role": "admin"}, headers=staff_headers), 403)
    assert_problem(client.patch(f"/api/users/{admin_id}", json={"role": "admin"}, headers=customer_headers), 403)
    assert_problem(client.patch("/api/users/999999", json={"role": "staff"}, headers=admin_headers), 404)
    assert_problem(client.patch(f"/api/users/{customer_id}", json={"role": "king"}, headers=admin_headers), 422)
    assert_problem(client.patch(f"/api/users/{admin_id}", json={"role": "customer"}, headers=admin_headers), 409)
    assert_problem(client.patch(f"/api/users/{customer_id}", json={"role": "staff"}), 401)


def test_login_is_rate_limited_per_client(app, client, make_user):
    make_user(email="victim@example.test", password="the-real-password")
    app.config["AUTH_RATE_LIMIT"] = "3/minute"
    try:
        attacker = app.test_client()
        attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
        codes = [
            attacker.post(
                "/api/auth/login", json={"email": "victim@example.test", "password": f"guess-{i}"}
            ).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        limited = attacker.post(
            "/api/auth/login", json={"email": "victim@example.test", "password": "the-real-password"}
        )
        body = assert_problem(limited, 429, "rate_limited")
        assert "access_token" not in body
        assert limited.headers["Retry-After"] == "60"  # the window of "3/minute"
        # the real user, from another client, still gets in
        user_client = app.test_client()
        user_client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        ok = user_client.post("/api/auth/login", json={"email": "victim@example.test", "password": "the-real-password"})
        assert ok.status_code == 200
    finally:
        app.config["AUTH_RATE_LIMIT"] = "10/minute"


def test_register_is_rate_limited(app):
    app.config["AUTH_RATE_LIMIT"] = "2/minute"
    try:
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = "203.0.113.10"
        codes = [register(c, email=f"u{i}@example.test").status_code for i in range(3)]
        assert codes == [201, 201, 429]
    finally:
        app.config["AUTH_RATE_LIMIT"] = "10/minute"


def test_register_takes_the_locale_from_the_body_or_the_browser(client):
    body = {"password": "password123", "name": "Lucia"}
    chosen = client.post("/api/auth/register", json={**body, "email": "l1@example.test", "locale": "es"})
    assert chosen.get_json()["user"]["locale"] == "es"
    browser = client.post(
        "/api/auth/register",
        json={**body, "email": "l2@example.test"},
        headers={"Accept-Language": "fr-FR;q=1, it-IT;q=0.8, en;q=0.5"},
    )
    assert browser.get_json()["user"]["locale"] == "it"
    neither = client.post(
        "/api/auth/register", json={**body, "email": "l3@example.test"}, headers={"Accept-Language": "de"}
    )
    assert neither.get_json()["user"]["locale"] == "en"
    assert (
        client.post("/api/auth/register", json={**body, "email": "l4@example.test", "locale": "fr"}).status_code == 422
    )


def test_users_change_their_own_name_and_language(client, customer):
    _, headers = customer
    changed = client.patch("/api/auth/me", json={"name": "Giulia Rossi", "locale": "it"}, headers=headers)
    assert changed.status_code == 200 and {"name": "Giulia Rossi", "locale": "it"}.items() <= changed.get_json().items()
    assert client.get("/api/auth/me", headers=headers).get_json()["locale"] == "it"
    assert client.patch("/api/auth/me", json={"locale": "de"}, headers=headers).status_code == 422
    assert client.patch("/api/auth/me", json={"role": "admin"}, headers=headers).status_code == 422
    assert client.patch("/api/auth/me", json={}, headers=headers).status_code == 422


def test_a_decode_key_loader_still_chooses_the_key(client, app, customer, monkeypatch):
    # CachingJWTManager parses a token once when the key is the configured one; a loader is still asked
    import datetime as dt

    import jwt as pyjwt

    manager = app.extensions["flask-jwt-extended"]
    other_key = "a-key-chosen-per-token-by-a-loader-0123456789"
    monkeypatch.setattr(manager, "_decode_key_callback", lambda header, claims: other_key)
    user_id, configured_key_headers = customer
    exp = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).timestamp())
    claims = {"sub": str(user_id), "type": "access", "jti": "loader-1", "exp": exp, "fresh": False}
    token = pyjwt.encode(claims, other_key, algorithm="HS256")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).get_json()["id"] == user_id
    assert_problem(client.get("/api/auth/me", headers=configured_key_headers), 401, "invalid_token")
