"""The AsyncAPI 3 document of the Socket.IO interface, generated from novacart/wire.py: /api/asyncapi.json.

One channel (the default namespace); one message per wire event, its payload the JSON Schema of the
event's marshmallow schema; one operation per event: `send` for what the server sends to clients,
`receive` for what it takes from them (the application's own point of view, as AsyncAPI 3 has it).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify

from novacart import wire

asyncapi_bp = Blueprint("asyncapi", __name__)
CHANNEL = "socketio"


def _camel(name: str) -> str:
    parts = name.replace(":", "_").split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


@cache
def _payload_schemas() -> dict[str, Any]:
    """Each event's payload as JSON Schema (OpenAPI 3.1's schema dialect: nullable is `type: [.., "null"]`)."""
    spec = APISpec("wire", "1", "3.1.0", plugins=[MarshmallowPlugin()])
    for event in wire.EVENTS:
        name = event.schema.__name__
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=event.schema)
    return spec.to_dict()["components"]["schemas"]


def document(title: str, version: str) -> dict[str, Any]:
    schemas = _payload_schemas()
    messages = {
        _camel(event.name): {
            "name": event.name,
            "title": event.name,
            "summary": event.summary,
            "description": f"Rooms: {event.rooms}." if event.rooms else event.summary,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{event.schema.__name__}"},
        }
        for event in wire.EVENTS
    }
    operations = {
        f"{event.direction}{_camel(event.name)[:1].upper()}{_camel(event.name)[1:]}": {
            "action": event.direction,
            "channel": {"$ref": f"#/channels/{CHANNEL}"},
            "summary": event.summary,
            "messages": [{"$ref": f"#/channels/{CHANNEL}/messages/{_camel(event.name)}"}],
        }
        for event in wire.EVENTS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"{title} — real time",
            "version": version,
            "description": (
                "Socket.IO (engine.io 4, WebSocket transport) on the default namespace `/`. Connect with "
                "`io(url, {auth: {token: <access token>}})`; a bad, expired or revoked token gets `connect_error` "
                "`unauthorized`. Rooms: `user:<id>` (every socket of a user), `staff` (staff and admins), "
                "`order:<id>` (joined with `joinRoom`)."
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": "/",
                "title": "Socket.IO default namespace",
                "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in messages},
            }
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


@asyncapi_bp.get("/api/asyncapi.json")
def asyncapi_json():
    """The AsyncAPI 3 document of the Socket.IO events."""
    return jsonify(document(current_app.config["API_TITLE"], current_app.config["API_VERSION"]))
