"""Signed-in dashboard clients, and how to submit the dashboard's forms with their CSRF token."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import g
from flask.testing import FlaskClient

PASSWORD = "password123"  # what tests/conftest.py's make_user gives everyone
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


G_CACHES = ("_login_user", "csrf_valid", "csrf_token")  # Flask-Login's user, Flask-WTF's verdict and token


def _forget_request_caches() -> None:
    for key in G_CACHES:
        g.pop(key, None)


@pytest.fixture(autouse=True)
def _no_signed_in_user_leaks_out():
    """Leave `g` as we found it: later tests (a socket without a token) must not find our user there."""
    yield
    _forget_request_caches()


class DashboardClient(FlaskClient):
    """A test client whose requests never see another client's signed-in user or CSRF token.

    The session-wide app context of tests/conftest.py shares `g` between requests, and Flask-Login
    caches the user there and Flask-WTF the signed token. In production each request starts without
    them; so does each request here.
    """

    def open(self, *args, **kwargs):
        _forget_request_caches()
        return super().open(*args, **kwargs)


def csrf_token(response) -> str:
    match = CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def submit(client: DashboardClient, url: str, data: dict | None = None, *, form_page: str | None = None, **kwargs):
    """POST a dashboard form the way a browser does: fetch the page with the form, send its token back."""
    token = csrf_token(client.get(form_page or "/dashboard/orders/"))
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def sign_in_client(app, email: str, password: str = PASSWORD) -> tuple[DashboardClient, object]:
    client = DashboardClient(app, app.response_class, use_cookies=True)
    page = client.get("/dashboard/login")
    response = client.post(
        "/dashboard/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )
    return client, response


@pytest.fixture
def anonymous(app) -> DashboardClient:
    return DashboardClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def sign_in(app, make_user):
    """sign_in(role) → (user_id, client signed in to the dashboard as a new user of that role)."""

    def sign_in_(role: str = "staff", name: str = "Sam Staff") -> tuple[int, DashboardClient]:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.test"
        user_id, _ = make_user(role, email=email, name=name)
        client, response = sign_in_client(app, email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id, client

    return sign_in_


@pytest.fixture
def place_order(app):
    """place_order(customer_id, {product_id: quantity}, address) → order id, through the orders service."""
    from novacart.orders import services as order_services

    def place(customer_id: int, lines: dict[int, int], address: str = "12 Stationery Road\nSpringfield") -> int:
        order = order_services.place_order(
            customer_id, [order_services.LineInput(pid, qty) for pid, qty in lines.items()], address
        )
        return order.id

    return place
