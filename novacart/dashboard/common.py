"""What every dashboard page shares: the signed-in employee, fetch-aware answers, safe redirects, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import flask_login
from flask import flash, redirect, request, url_for
from marshmallow import ValidationError as CursorError
from werkzeug.wrappers import Response

from novacart.errors import DomainError, problem
from novacart.pagination import decode_cursor, encode_cursor

PAGE_SIZE = 50
FETCH_HEADER = ("X-Requested-With", "fetch")  # set by dashboard.js on its background requests


def actor_id() -> int:
    """The signed-in employee's id (the dashboard's blueprint has checked the session)."""
    return int(flask_login.current_user.id)


def current_employee():
    return flask_login.current_user._get_current_object()


def is_fetch() -> bool:
    """A background request from dashboard.js (answer with a fragment or JSON, never a redirect)."""
    return request.headers.get(FETCH_HEADER[0]) == FETCH_HEADER[1]


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path inside the dashboard on this site, else `default` (no open redirects)."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", request.host):
        return default  # Flask-Login's `next` is this site's full URL; anything else is another site
    if not parts.path.startswith("/dashboard") or parts.path.startswith("//"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


def back(default_endpoint: str, **values: Any) -> Response:
    """Redirect to the page the form was on (its `next` field), or to `default_endpoint`."""
    return redirect(safe_next(request.form.get("next"), url_for(default_endpoint, **values)))


def page_args(param: str = "cursor", size: int = PAGE_SIZE) -> tuple[int, int | None]:
    """`?cursor=` (or `param`) of the dashboard's lists: (limit, after_id); a cursor we did not issue starts over."""
    cursor = request.args.get(param)
    if not cursor:
        return size, None
    try:
        return size, decode_cursor(cursor)
    except CursorError:
        return size, None


def cursor_for(last_id: int) -> str:
    return encode_cursor(last_id)


def refused(error: DomainError, default_endpoint: str, **values: Any) -> Response:
    """A service said no: problem details for dashboard.js (as the API answers), else a flash message on
    the page the form was on."""
    if is_fetch():
        return problem(error.status, error.title, code=error.code, detail=error.detail)
    flash(str(error.detail), "error")
    return back(default_endpoint, **values)


def invalid(form, default_endpoint: str, **values: Any) -> Response:
    """A form that did not validate: a 422 problem for dashboard.js, else its errors flashed on the page
    the form was on."""
    if is_fetch():
        return problem(422, "Validation failed", detail=form_errors(form))
    flash(form_errors(form), "error")
    return back(default_endpoint, **values)


def form_errors(form) -> str:
    """A form's errors in one line, for a flash or a JSON answer."""
    return "; ".join(
        f"{getattr(form, name).label.text}: {' '.join(map(str, messages))}"
        if hasattr(form, name)
        else " ".join(map(str, messages))
        for name, messages in form.errors.items()
    )


def utc_from_local(value: datetime, offset_minutes: int) -> datetime:
    """A browser's `datetime-local` value and its `getTimezoneOffset()` (minutes, UTC − local) → UTC."""
    return (value + timedelta(minutes=offset_minutes)).replace(tzinfo=UTC)


def start_of_today_utc() -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)
