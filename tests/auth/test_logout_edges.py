"""Signing out with a refresh token that is unusable or someone else's revokes only what it should."""

from __future__ import annotations

from tests.helpers import assert_problem


def register(client, name: str) -> dict:
    body = {"email": f"{name}@example.test", "password": "password123", "name": name.title()}
    return client.post("/api/auth/register", json=body).get_json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_logout_with_an_unusable_refresh_token_still_signs_out(client):
    alice = register(client, "alice")
    response = client.post(
        "/api/auth/logout", json={"refresh_token": "not.a.token"}, headers=bearer(alice["access_token"])
    )
    assert response.status_code == 204
    assert_problem(client.get("/api/auth/me", headers=bearer(alice["access_token"])), 401, "token_revoked")
    assert client.post("/api/auth/refresh", headers=bearer(alice["refresh_token"])).status_code == 200


def test_logout_with_someone_elses_refresh_token_does_not_revoke_it(client):
    alice, mallory = register(client, "alice"), register(client, "mallory")
    response = client.post(
        "/api/auth/logout", json={"refresh_token": alice["refresh_token"]}, headers=bearer(mallory["access_token"])
    )
    assert response.status_code == 204
    assert client.post("/api/auth/refresh", headers=bearer(alice["refresh_token"])).status_code == 200
    assert client.get("/api/auth/me", headers=bearer(alice["access_token"])).status_code == 200


def test_logout_with_an_access_token_as_the_refresh_token_revokes_nothing_more(client):
    alice = register(client, "alice")
    other = client.post("/api/auth/login", json={"email": "alice@example.test", "password": "password123"}).get_json()
    response = client.post(
        "/api/auth/logout", json={"refresh_token": other["access_token"]}, headers=bearer(alice["access_token"])
    )
    assert response.status_code == 204
    assert client.get("/api/auth/me", headers=bearer(other["access_token"])).status_code == 200
