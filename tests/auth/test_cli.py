"""`flask users create` and `flask seed`."""

from __future__ import annotations

from sqlalchemy import func, select


def test_users_create_makes_an_admin_who_can_log_in(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "boss@example.test",
            "--password",
            "long-enough",
            "--role",
            "admin",
            "--name",
            "Boss",
        ]
    )
    assert result.exit_code == 0, result.output
    login = client.post("/api/auth/login", json={"email": "boss@example.test", "password": "long-enough"})
    assert login.status_code == 200 and login.get_json()["user"]["role"] == "admin"


def test_users_create_refuses_bad_input_and_duplicates(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "create", "--email", "x@example.test", "--password", "short"]).exit_code != 0
    assert (
        runner.invoke(
            args=["users", "create", "--email", "x@example.test", "--password", "long-enough", "--role", "king"]
        ).exit_code
        != 0
    )
    assert (
        runner.invoke(args=["users", "create", "--email", "x@example.test", "--password", "long-enough"]).exit_code == 0
    )
    duplicate = runner.invoke(args=["users", "create", "--email", "x@example.test", "--password", "long-enough"])
    assert duplicate.exit_code != 0 and "already registered" in duplicate.output


def test_seed_creates_demo_data_once(app, client):
    from novacart.auth.models import User
    from novacart.extensions import db
    from novacart.inventory.models import Product

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    users = db.session.scalar(select(func.count()).select_from(User))
    products = db.session.scalar(select(func.count()).select_from(Product))
    assert users == 4 and 25 <= products <= 40
    assert db.session.scalar(select(func.count()).select_from(Product).where(Product.stock == 0)) >= 1
    assert (
        db.session.scalar(select(func.count()).select_from(Product).where(Product.stock <= Product.low_stock_threshold))
        >= 3
    )
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "nothing seeded" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    login = client.post("/api/auth/login", json={"email": "alice@novacart.test", "password": "novacart-demo"})
    assert login.status_code == 200
