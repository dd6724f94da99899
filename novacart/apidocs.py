"""The API's documentation, served by NovaCart itself so that it works with no internet access.

- /api/docs: Swagger UI over /api/openapi.json, from the vendored swagger-ui-dist (static/vendor),
  under the same strict Content-Security-Policy as every page (its start-up script is a file).
- /api/asyncapi.json: the AsyncAPI 3 document of the Socket.IO interface, generated from
  novacart/wire.py. One channel (the default namespace); one message per wire event, its payload the
  JSON Schema of the event's marshmallow schema; one operation per event: `send` for what the server
  sends to clients, `receive` for what it takes from them (the application's point of view).
- /api/asyncapi: that document as a readable page.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify, render_template

from novacart import ops, wire

docs_bp = Blueprint("apidocs", __name__)
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


def _document() -> dict[str, Any]:
    return document(current_app.config["API_TITLE"], current_app.config["API_VERSION"])


@docs_bp.get("/api/asyncapi.json")
def asyncapi_json():
    """The AsyncAPI 3 document of the Socket.IO events."""
    return jsonify(_document())


@docs_bp.get("/api/asyncapi")
def asyncapi_page():
    """The AsyncAPI document as a page: each event, its direction, its rooms and its payload's fields."""
    doc = _document()
    schemas = doc["components"]["schemas"]
    events = []
    for event in wire.EVENTS:
        schema = schemas[event.schema.__name__]
        required = set(schema.get("required", ()))
        fields = [
            {
                "name": name,
                "type": _type_of(prop),
                "required": name in required,
                "description": prop.get("description", ""),
            }
            for name, prop in schema.get("properties", {}).items()
        ]
        events.append({"event": event, "fields": fields})
    return ops.secured(current_app.make_response(render_template("api/asyncapi.html", doc=doc, events=events)))


def _type_of(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " or ".join(k for k in kinds)
    if "array" in kinds and isinstance(prop.get("items"), dict):
        text = text.replace("array", f"array of {_type_of(prop['items'])}")
    if prop.get("format"):
        text += f" ({prop['format']})"
    return text


@docs_bp.get("/api/docs")
def swagger_ui():
    """Swagger UI over /api/openapi.json, entirely from NovaCart's own files."""
    return ops.secured(current_app.make_response(render_template("api/docs.html")))
