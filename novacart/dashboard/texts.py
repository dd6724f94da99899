"""Words the dashboard's pages and its script share: statuses, roles, channels, and dashboard.js's texts,
each in the signed-in employee's language (novacart/i18n.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
