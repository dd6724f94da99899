"""orjson for the JSON NovaCart writes most: API responses (Flask's provider), Socket.IO packets and the
database's JSON columns.

The standard library's encoder was 3-5 % of the web process's CPU and 15 % of the worker's in a fan-out
(py-spy). orjson writes the same JSON (UTF-8 rather than \\u escapes), several times faster. What it cannot
encode (an integer beyond 64 bits in a notification's `data`) falls back to the standard library, so the
output never changes from an error into a 500. Parsing what a client sent stays with the standard library:
it is a small share, and its errors are the ones the API's problem details were written for. What NovaCart
wrote itself (the Redis channel, JSON columns) is parsed by orjson (`parse`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

loads = json.loads
_LONG_NUMBER = re.compile(rb"\d{19}")


def dumps(obj: Any, **_kwargs: Any) -> str:
    """python-socketio's and python-engineio's `json.dumps` (they ask for compact separators; orjson is compact)."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"))


def parse(data: bytes | str, **_kwargs: Any) -> Any:
    """JSON that NovaCart wrote: by orjson, or by the standard library where orjson would read it wrongly."""
    # orjson reads an integer beyond 64 bits as a float, silently: such a text (written by dumps' fallback)
    # is left to the standard library. 19 digits or more may be one; a shorter run cannot. Rows written
    # before orjson may hold NaN, which only the standard library reads.
    if _LONG_NUMBER.search(data.encode() if isinstance(data, str) else data):
        return json.loads(data)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class channel:  # noqa: N801  (a module-like namespace, as python-socketio's `json` option wants)
    """The Socket.IO Redis channel's codec: only NovaCart's processes write there, so orjson parses it too.

    Every web process decodes every message on the channel, its own sockets' or not (docs/scaling.md):
    the standard library's parser was most of what a batched emit for another process still cost.
    """

    dumps = staticmethod(dumps)
    loads = staticmethod(parse)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider on orjson: datetimes, decimals and the rest still go through Flask's `default`."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
        if kwargs.get("sort_keys", self.sort_keys):
            option |= orjson.OPT_SORT_KEYS
        if kwargs.get("indent"):
            option |= orjson.OPT_INDENT_2
        try:
            return orjson.dumps(obj, default=kwargs.get("default", self.default), option=option).decode()
        except TypeError:
            return super().dumps(obj, **kwargs)
