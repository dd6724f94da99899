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


def test_signing_out_again_with_a_refresh_token_already_revoked_is_fine(client):
    alice = register(client, "alice")
    client.post(
        "/api/auth/logout", json={"refresh_token": alice["refresh_token"]}, headers=bearer(alice["access_token"])
    )
    again = client.post("/api/auth/login", json={"email": "alice@example.test", "password": "password123"}).get_json()
    response = client.post(
        "/api/auth/logout", json={"refresh_token": alice["refresh_token"]}, headers=bearer(again["access_token"])
    )
    assert response.status_code == 204
    assert_problem(client.post("/api/auth/refresh", headers=bearer(alice["refresh_token"])), 401)


def test_a_token_of_a_user_removed_from_the_database_is_refused(app, client):
    from novacart.auth.models import User
    from novacart.extensions import db, socketio

    alice = register(client, "alice")
    db.session.delete(db.session.get(User, alice["user"]["id"]))
    db.session.commit()
    assert_problem(client.get("/api/auth/me", headers=bearer(alice["access_token"])), 401)
    assert not socketio.test_client(app, auth={"token": alice["access_token"]}).is_connected()


def test_setting_a_user_to_the_role_they_have_changes_nothing(client, admin, make_user):
    staff_id, _ = make_user("staff")
    response = client.patch(f"/api/users/{staff_id}", json={"role": "staff"}, headers=admin[1])
    assert response.status_code == 200 and response.get_json()["role"] == "staff"
