"""Money as people read it: integer cents in, the shop's currency out."""

from __future__ import annotations

from flask import current_app


def format_money(cents: int | None) -> str:
    """`499` → `$4.99` (the shop's CURRENCY_SYMBOL); None → an em dash."""
    if cents is None:
        return "—"
    return f"{current_app.config['CURRENCY_SYMBOL']}{cents / 100:,.2f}"
