"""What nobody planned for: an unexpected error in a request becomes a logged 500 problem that says nothing of it.

The fault is injected in the database (tests/faults.py); socket handlers: tests/notifications/test_socket_faults.py."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from tests.faults import errors_as_responses, inserts_fail
from tests.helpers import assert_problem


def test_an_unexpected_error_is_a_logged_500_problem_without_its_details(app, client, customer, staff, caplog):
    from novacart.extensions import db
    from novacart.notifications.models import Notification

    body = {"user_id": customer[0], "type": "promotion", "title": "Hello", "message": "m"}
    # when
    with (
        caplog.at_level(logging.ERROR, logger="novacart.errors"),
        inserts_fail("notifications"),
        errors_as_responses(app),
    ):
        response = client.post("/api/notifications", json=body, headers=staff[1])
    # then
    problem = assert_problem(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "injected fault" not in text and "Traceback" not in text and "IntegrityError" not in text
    assert problem["detail"] == "Something went wrong on our side. It has been logged."
    [record] = [r for r in caplog.records if r.name == "novacart.errors"]
    assert record.getMessage() == "unhandled exception on POST /api/notifications" and record.exc_info
    assert "injected fault" in str(record.exc_info[1])
    # and nothing half-written stays behind; the next request is served normally
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert client.post("/api/notifications", json=body, headers=staff[1]).status_code == 201
