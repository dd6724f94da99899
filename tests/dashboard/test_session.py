"""A dashboard session ends with sign-out or deactivation: a copy of the cookie is refused, its socket dropped."""

from __future__ import annotations

from datetime import timedelta

from novacart.auth import services as auth_services
from novacart.db import utcnow
from novacart.extensions import socketio
from novacart.notifications import sockets
from tests.dashboard.conftest import DashboardClient, submit


def _copy_of(client: DashboardClient, app) -> DashboardClient:
    """Another client holding the same cookies (a stolen or replayed cookie)."""
    copy = DashboardClient(app, app.response_class, use_cookies=True)
    for cookie in client._cookies.values():
        copy.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return copy


def test_signing_out_refuses_a_copy_of_the_session_cookie(app, sign_in):
    # given a signed-in employee, and a copy of their cookie taken while signed in
    _, client = sign_in("staff")
    copy = _copy_of(client, app)
    assert copy.get("/dashboard/orders/").status_code == 200
    # when they sign out
    submit(client, "/dashboard/logout")
    # then the copy no longer opens the dashboard
    response = copy.get("/dashboard/orders/")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_signing_out_drops_the_dashboards_socket(app, sign_in):
    # given the dashboard's socket, authenticated by the session
    since = utcnow() - timedelta(seconds=1)
    _, client = sign_in("staff")
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    # when the employee signs out (in another tab) and the access watcher looks
    submit(client, "/dashboard/logout")
    sockets._apply_access(auth_services.revoked_since(since), [], now=0)
    # then
    assert not sock.is_connected()


def test_a_deactivated_employees_session_is_refused(app, sign_in, admin):
    user_id, client = sign_in("staff")
    auth_services.update_user(admin[0], user_id, is_active=False)
    response = client.get("/dashboard/orders/")
    assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]


def test_an_admin_deactivates_and_reactivates_a_user_from_operations(app, sign_in, make_user):
    from tests.dashboard.conftest import submit

    admin_id, client = sign_in("admin")
    user_id, headers = make_user("customer", email="leaver@example.test")
    page = client.get("/dashboard/operations/?q=leaver").get_data(as_text=True)
    assert "Deactivate" in page
    # when the admin deactivates them
    response = submit(
        client,
        f"/dashboard/operations/users/{user_id}/active",
        {"active": "0"},
        form_page="/dashboard/operations/",
        follow_redirects=True,
    )
    # then they are signed out everywhere: their token is refused
    assert "deactivated: signed out everywhere" in response.get_data(as_text=True)
    assert app.test_client().get("/api/auth/me", headers=headers).status_code == 401
    # and reactivated, they are back
    submit(client, f"/dashboard/operations/users/{user_id}/active", {"active": "1"}, form_page="/dashboard/operations/")
    assert app.test_client().get("/api/auth/me", headers=headers).status_code == 200
    # never themselves
    own = submit(
        client,
        f"/dashboard/operations/users/{admin_id}/active",
        {"active": "0"},
        form_page="/dashboard/operations/",
        follow_redirects=True,
    )
    assert "Ask another admin" in own.get_data(as_text=True)
