"""Money as people read it: integer cents in, the shop's CURRENCY written for the locale in force out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app
from flask_babel import get_locale


@dataclass(frozen=True)
class Money:
    """An amount in cents, as a notification's parameter: written in each recipient's locale."""

    cents: int


def format_money(cents: int | None, locale: str | None = None) -> str:
    """`499` → `€4.99` in English, `4,99 €` in Italian (CURRENCY, default EUR); None → an em dash.

    `locale` defaults to the locale in force (novacart/i18n.py).
    """
    if cents is None:
        return "—"
    where = locale or get_locale() or "en"
    return format_currency(Decimal(cents) / 100, current_app.config["CURRENCY"], locale=where)
