"""An unexpected error on a dashboard page is the dashboard's 500 page, logged, saying nothing of it."""

from __future__ import annotations

import logging

from tests.dashboard.conftest import submit
from tests.faults import errors_as_responses, inserts_fail


def test_an_unexpected_error_on_a_dashboard_page_is_the_500_page(app, sign_in, caplog):
    _, dashboard = sign_in("staff")
    data = {"title": "Spring sale", "message": "Pens", "interests": ""}
    with caplog.at_level(logging.ERROR, logger="novacart.errors"), inserts_fail("promotions"), errors_as_responses(app):
        response = submit(dashboard, "/dashboard/promotions/", data, form_page="/dashboard/promotions/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "injected fault" not in response.get_data(as_text=True)
    assert any(r.getMessage().startswith("unhandled exception on POST /dashboard/") for r in caplog.records)
