"""Keyset (cursor) pagination shared by every list: `?limit=&cursor=` → `{items, next_cursor}`."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate
from sqlalchemy import Select

from novacart.extensions import db

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# The largest id an id column holds: INTEGER, 32 bits on PostgreSQL (SQLite's 64 would allow more). A bigger
# one cannot exist; sent to the database it is an error there ("integer out of range"), so it never gets that far.
MAX_ID = 2**31 - 1


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        last_id = value["id"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ValidationError(_l("Not a cursor this API returned."), "cursor") from exc
    if not isinstance(last_id, int) or isinstance(last_id, bool) or abs(last_id) > MAX_ID:
        raise ValidationError(_l("Not a cursor this API returned."), "cursor")
    return last_id


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))

    @post_load
    def _normalise(self, data: dict, **_: Any) -> dict:
        data["limit"] = min(data["limit"], MAX_LIMIT)  # the contract caps rather than rejects
        cursor = data.pop("cursor", None)
        data["after_id"] = decode_cursor(cursor) if cursor else None
        return data


@dataclass
class Page:
    items: Sequence[Any]
    next_cursor: str | None


def paginate(stmt: Select, id_column: Any, *, limit: int, after_id: int | None, newest_first: bool = False) -> Page:
    """Run `stmt` one page at a time, ordered by `id_column` (ascending, or descending when newest_first)."""
    if after_id is not None:
        stmt = stmt.where(id_column < after_id if newest_first else id_column > after_id)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column.asc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].id) if has_more and rows else None)


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema)), "next_cursor": fields.String(allow_none=True)},
        name=name,
    )
