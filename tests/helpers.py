"""Small helpers shared by the tests."""

from __future__ import annotations


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """Assert an RFC 9457 problem response with this status (and stable code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail", "code"} <= body.keys()
    if code is not None:
        assert body["code"] == code, body
    return body
