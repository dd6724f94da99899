"""Health, OpenAPI, the client's catch-all, and production's refusal of weak settings."""

from __future__ import annotations

import pytest


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_healthz_names_redis_when_it_is_down(app):
    import redis

    healthy = app.extensions["novacart.redis"]
    app.extensions["novacart.redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "db": "ok", "redis": "unavailable"}
    finally:
        app.extensions["novacart.redis"] = healthy


def test_openapi_document_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert document["openapi"].startswith("3.")
    for path in ("/api/auth/login", "/api/products", "/api/products/{product_id}/stock", "/api/orders/{order_id}/pay"):
        assert path in document["paths"], path
    assert "ProductCreate" in document["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()


def test_client_routes_fall_back_to_the_spa_but_api_paths_do_not(client):
    page = client.get("/orders/12")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert client.get("/api/unknown").mimetype == "application/problem+json"


def test_database_outage_is_a_503_problem_not_a_500(app, client):
    from sqlalchemy import create_engine

    from novacart.extensions import db

    # given a database that cannot be reached (a closed port)
    broken = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    engines = db._app_engines[app]
    healthy = engines[None]
    engines[None] = broken
    db.session.remove()
    try:
        # when
        response = client.get("/api/products")
        # then
        assert response.status_code == 503
        body = response.get_json()
        assert body["code"] == "database_unavailable" and response.headers["Retry-After"] == "5"
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["db"] == "unavailable"
    finally:
        engines[None] = healthy
        db.session.remove()
    assert client.get("/api/products").status_code == 200


def test_the_clients_pages_are_served_with_a_strict_csp(client):
    for path in ("/", "/orders/12", "/login"):
        response = client.get(path)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sqlite_checkpoints_its_log_in_small_steps(app):
    from sqlalchemy import text

    from novacart.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 250
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_cors_answers_allowed_origins_only(app, customer):
    from config import TestingConfig
    from novacart import create_app

    class WithOrigins(TestingConfig):
        ALLOWED_ORIGINS = ["https://shop.example.test"]

    other = create_app(WithOrigins)
    with other.app_context():
        client = other.test_client()
        preflight = client.options(
            "/api/notifications",
            headers={
                "Origin": "https://shop.example.test",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        allowed = client.get("/api/auth/me", headers={**customer[1], "Origin": "https://shop.example.test"})
        foreign = client.get("/api/auth/me", headers={**customer[1], "Origin": "https://evil.example.test"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://shop.example.test"
    asked = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= asked
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.test"
    assert "Access-Control-Allow-Origin" not in foreign.headers
