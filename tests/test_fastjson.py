"""orjson on the hot path writes what the standard library would, and never corrupts what it cannot write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from novacart import fastjson


def test_the_channel_codec_round_trips_what_the_workers_publish():
    # given messages as the workers publish them, one with an integer beyond 64 bits in a notification's data
    messages = [
        {"method": "emit", "batch": [{"event": "notification", "data": [{"id": 1, "title": "Caffè"}]}]},
        {"method": "emit", "data": [{"data": {"order": 2**70, "negative": -(2**63)}}]},
    ]
    for message in messages:
        # when written and read back as bytes from Redis
        read = fastjson.channel.loads(fastjson.channel.dumps(message).encode())
        # then nothing changed: no integer became a float
        assert read == message
        assert json.dumps(read) == json.dumps(message)


def test_api_responses_keep_flasks_json(app):
    # given values Flask's own provider knows how to write
    body = {"when": datetime(2026, 11, 30, 12, 0, tzinfo=UTC), "price": Decimal("1.50"), "big": 2**70}
    # when the app writes them (and a mapping with integer keys)
    written, by_id = json.loads(app.json.dumps(body)), json.loads(app.json.dumps({2: "b", 1: "a"}))
    # then as Flask's default provider would have written them
    assert written == {"when": "Mon, 30 Nov 2026 12:00:00 GMT", "price": "1.50", "big": 2**70}
    assert by_id == {"1": "a", "2": "b"}


def test_json_columns_read_back_what_was_stored(app, customer):
    from novacart.extensions import db
    from novacart.notifications import delivery
    from novacart.notifications.models import Notification

    # given data with a value orjson cannot write and one it would read as a float
    data = {"order": 2**70, "title": "Caffè crème", "lines": [1.5, None, -(2**63)]}
    with app.app_context():
        # when stored through the engine's serializer and read back through its parser
        created = delivery.create_many([customer[0]], "back_in_stock", "Back", "In stock", data, source_key=None)
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Notification, created[0]["id"]).data
    # then nothing changed
    assert stored == data and isinstance(stored["order"], int)


def test_text_only_the_standard_library_reads_is_still_read():
    # given JSON as rows written before orjson may hold it (NaN), and an integer beyond 64 bits
    nan, big = fastjson.parse('{"x": NaN}'), fastjson.parse(b'{"order": 1180591620717411303424}')
    # then both are read as the standard library reads them
    assert nan["x"] != nan["x"] and big == {"order": 2**70}
