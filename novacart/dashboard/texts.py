"""Words the dashboard's pages and its script share: statuses, roles, channels, and dashboard.js's texts,
each in the signed-in employee's language (novacart/i18n.py)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from novacart import i18n
from novacart.i18n import status_word

ROLE_LABELS = {"customer": _l("customer"), "staff": _l("staff"), "admin": _l("admin")}
CHANNEL_LABELS = {"in_app": _l("in the app"), "email": _l("e-mail"), "push": _l("push notification")}
HEALTH_LABELS = {"ok": _l("ok"), "unavailable": _l("unavailable")}

# dashboard.js's texts, keyed by their English (the script falls back to the key).
SCRIPT_TEXTS = {
    "That did not work.": _l("That did not work."),
    "That did not work ({status}).": _l("That did not work ({status})."),
    "The page expired: reload it and try again.": _l("The page expired: reload it and try again."),
    "Not done": _l("Not done"),
    "The server could not be reached. Try again.": _l("The server could not be reached. Try again."),
    "today": _l("today"),
    "customer": _l("customer"),
    "customers": _l("customers"),
    "Live": _l("Live"),
    "Live (polling)": _l("Live (polling)"),
    "Reconnecting…": _l("Reconnecting…"),
    "Offline": _l("Offline"),
}


def status_label(status: object, of: str = "order") -> str:
    """An order's status (or a promotion's, `of="promotion"`) in the employee's language."""
    return str(status_word(status, of))


def role_label(role: object) -> str:
    role = getattr(role, "value", role)
    return str(ROLE_LABELS.get(str(role), role))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def health_label(state: str) -> str:
    return str(HEALTH_LABELS.get(state, state))


def script_texts() -> dict[str, str]:
    return {key: str(text) for key, text in SCRIPT_TEXTS.items()}


# What NovaCart itself writes into an order's history and a product's stock movements is stored in
# English; the pages show it in the employee's language. Staff-typed notes and reasons match none of
# these whole-text patterns (and would read the same if one did).
_UNITS = {"hour": "hours", "minute": "minutes", "second": "seconds"}
SYSTEM_TEXTS = [
    (re.compile(r"Order placed"), _l("Order placed")),
    (re.compile(r"Cancelled by customer"), _l("Cancelled by customer")),
    (re.compile(r"Not paid within (?P<duration>\d+ (?:hour|minute|second)s?)"), _l("Not paid within %(duration)s")),
    (re.compile(r"Payment confirmed by (?P<provider>.+)"), _l("Payment confirmed by %(provider)s")),
    (re.compile(r"Picked up by (?P<carrier>.+)"), _l("Picked up by %(carrier)s")),
    (re.compile(r"Delivered \((?P<carrier>.+)\)"), _l("Delivered (%(carrier)s)")),
    (re.compile(r"opening stock"), _l("opening stock")),
    (re.compile(r"order #(?P<order_id>\d+)"), _l("order #%(order_id)s")),
    (re.compile(r"order #(?P<order_id>\d+) cancelled"), _l("order #%(order_id)s cancelled")),
]


def _duration(text: str) -> str:
    count, unit = text.split()
    return str(i18n.localize(timedelta(**{_UNITS[unit.rstrip("s")]: int(count)})))


def system_text(text: str | None) -> str | None:
    """A history note or stock reason NovaCart wrote, in the employee's language; anything else as typed."""
    for pattern, translated in SYSTEM_TEXTS:
        match = pattern.fullmatch(text or "")
        if match:
            values = match.groupdict()
            if "duration" in values:
                values["duration"] = _duration(values["duration"])
            return str(translated) % values
    return text


# The dashboard's error pages: HTTP's reason phrases and Werkzeug's stock descriptions, in the employee's
# language (a description given to abort() is already written in it).
HTTP_TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    422: _l("Validation failed"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Service unavailable"),
}
HTTP_DESCRIPTIONS = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Sign in to see this page."),
    403: _l("You may not see this page."),
    404: _l("There is nothing at this address."),
    405: _l("This page cannot be used that way."),
    413: _l("What was sent is too large."),
    429: _l("Too many requests: wait a moment and try again."),
    500: _l("Something went wrong on our side. It has been logged."),
    503: _l("Try again shortly."),
}


def error_title(error) -> str:
    """An error page's heading: an HTTPException's or a DomainError's, by its status."""
    status = getattr(error, "code", None) if isinstance(getattr(error, "code", None), int) else error.status
    return str(HTTP_TITLES.get(status, getattr(error, "name", None) or error.title))


def error_text(error) -> str:
    """An error page's text: what the code said (already translated), else the status' own words."""
    status = getattr(error, "code", None) if isinstance(getattr(error, "code", None), int) else error.status
    description = getattr(error, "description", None)
    if description is not None and description != type(error).description:
        return str(description)
    if description is None and getattr(error, "detail", None):
        return str(error.detail)
    return str(HTTP_DESCRIPTIONS.get(status, description or ""))
