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
