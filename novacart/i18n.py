"""Languages: which locale a request speaks, and values (money, dates) written for a locale.

NovaCart speaks `LOCALES` (novacart/auth/models.py), with Flask-Babel's catalogs under
novacart/translations/ (`make messages` extracts and updates them, `make setup` compiles them). The
locale of a request is, in order: one forced by the code (`force_locale`, e.g. a notification written
for its recipient), the signed-in employee's on the dashboard, else the best match of Accept-Language
(the API's problem `detail`s), else English. Outside a request (the worker) it is English unless forced.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import flask_login
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import get_currency_symbol
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, lazy_pgettext
from flask_babel.speaklater import LazyString

from novacart.auth.models import DEFAULT_LOCALE, LOCALES
from novacart.money import Money, format_money

babel = Babel()

# Order and promotion statuses as people read them (the values stay in the API and in data-* attributes).
# Their own contexts: an order is "annullato" in Italian, a promotion "annullata".
STATUS_LABELS = {
    "order": {
        "pending": lazy_pgettext("order", "pending"),
        "paid": lazy_pgettext("order", "paid"),
        "preparing": lazy_pgettext("order", "preparing"),
        "shipped": lazy_pgettext("order", "shipped"),
        "delivered": lazy_pgettext("order", "delivered"),
        "cancelled": lazy_pgettext("order", "cancelled"),
    },
    "promotion": {
        "scheduled": lazy_pgettext("promotion", "scheduled"),
        "sending": lazy_pgettext("promotion", "sending"),
        "sent": lazy_pgettext("promotion", "sent"),
        "cancelled": lazy_pgettext("promotion", "cancelled"),
    },
}


def status_word(status: object, of: str = "order") -> Any:
    """An order's (or a promotion's) status as a lazy text: written in the locale in force when shown."""
    return STATUS_LABELS[of].get(str(status), str(status))


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    if request.path.startswith("/dashboard"):
        user = flask_login.current_user
        if user and user.is_authenticated and getattr(user, "locale", None) in LOCALES:
            return user.locale
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_domain="messages")
    # Flask-Babel keeps the locale it chose on `g`, which belongs to the app context: a request that
    # runs inside an app context pushed before it (the CLI, tests) must choose afresh, and leave none behind.
    app.before_request(_forget_locale)
    app.teardown_request(_forget_locale)
    app.add_template_global(current, "current_locale")
    app.add_template_global(currency_symbol)


def _forget_locale(*_: Any) -> None:
    g.pop("_flask_babel", None)


def current() -> str:
    """The locale in force (a code of LOCALES)."""
    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT_LOCALE


def currency_symbol() -> str:
    """The shop's CURRENCY as the locale in force writes it (`€`)."""
    return get_currency_symbol(current_app.config["CURRENCY"], locale=current())


@contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Translate, and format money and dates, for `locale` (one of LOCALES; anything else: English)."""
    with force_locale(locale if locale in LOCALES else DEFAULT_LOCALE):
        yield


@dataclass(frozen=True)
class OrderNumbers:
    """Order numbers as a notification's parameter: `#3, #4` in English, `n. 3, n. 4` in Italian."""

    ids: tuple[int, ...]


def order_number(order_id: int) -> str:
    return gettext("#%(order_id)s", order_id=order_id)


def localize(value: Any) -> Any:
    """A template parameter as the locale in force writes it: money, dates, durations, order numbers and
    lazy texts; the rest as is."""
    if isinstance(value, Money):
        return format_money(value.cents)
    if isinstance(value, OrderNumbers):
        return ", ".join(order_number(order_id) for order_id in value.ids)
    if isinstance(value, LazyString):
        return str(value)
    if isinstance(value, timedelta):
        return format_timedelta(value, locale=current())
    if isinstance(value, datetime):
        return format_datetime(value, "medium", locale=current())
    if isinstance(value, date):
        return format_date(value, "medium", locale=current())
    return value
