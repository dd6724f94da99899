"""One place for each concept: the API document, the wire document and the type registry tell the truth."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from novacart import wire
from novacart.errors import NUL_MESSAGE, ErrorCode
from novacart.notifications import types
from novacart.schemas import NO_NUL_PATTERN
from tests.helpers import assert_problem


def test_a_wrong_method_under_api_is_a_405_with_allow(client):
    response = client.get("/api/orders/1/pay")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert set(client.options("/api/orders/1/pay").headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    assert client.get("/orders/1").mimetype == "text/html"  # the client's own route still serves the app


def test_a_body_that_is_not_json_is_a_400_and_an_empty_change_a_422(client, customer, staff, make_product):
    _, headers = customer
    plain = client.put(
        "/api/notifications/preferences", data="types=all", headers={**headers, "Content-Type": "text/plain"}
    )
    assert_problem(plain, 400, "invalid_body")
    assert_problem(client.put("/api/notifications/preferences", headers=headers), 422, "validation_error")
    assert_problem(client.patch(f"/api/products/{make_product()}", json={}, headers=staff[1]), 422)
    assert_problem(client.patch(f"/api/products/{make_product()}", json={"is_active": 0}, headers=staff[1]), 422)


def test_every_documented_error_is_problem_json_with_the_problem_schema(client):
    document = client.get("/api/openapi.json").get_json()
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]["code"]["enum"]) == {code.value for code in ErrorCode}
    responses = document["components"]["responses"]
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if status != "default" and int(status) < 400:
                    continue
                resolved = responses[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response
                assert list(resolved["content"]) == ["application/problem+json"], (method, path, status)
                assert resolved["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
                checked += 1
    assert checked > 50


def test_every_string_the_api_reads_says_it_refuses_nul_as_the_api_does(client, customer):
    document = client.get("/api/openapi.json").get_json()
    strings = []

    def walk(schema, where):
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        if schema.get("type") == "string" and "format" not in schema:  # a date-time cannot hold NUL anyway
            strings.append((where, schema.get("pattern")))
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{where}[]")

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own: ids, integers
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "header":  # HTTP itself refuses NUL there
                    walk(parameter["schema"], f"{method} {path} {parameter['in']} {parameter['name']}")
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media["schema"], f"{method} {path} body")
    # a string with no pattern of its own (a SKU's, a message's "not only spaces") gets the one refusing NUL
    assert [where for where, pattern in strings if pattern is None or re.search(pattern, "pen\x00cil")] == []
    assert sum(pattern == NO_NUL_PATTERN for _, pattern in strings) > 30
    assert re.fullmatch(NO_NUL_PATTERN, "Café, 12 Main Street") and not re.fullmatch(NO_NUL_PATTERN, "a\x00b")
    text = dict(strings)["post /api/orders/{order_id}/messages body.text"]
    assert re.fullmatch(text, " Hi \n") and not re.fullmatch(text, " \n ")
    # and what the document says is what the API does, in a body and in a query string
    response = client.put("/api/notifications/preferences", json={"types": ["order\x00status"]}, headers=customer[1])
    assert assert_problem(response, 422, "validation_error")["errors"] == {"types.0": [NUL_MESSAGE]}
    response = client.get("/api/products?q=pen%00cil", headers=customer[1])
    assert assert_problem(response, 422, "validation_error")["errors"] == {"?q": [NUL_MESSAGE]}


def test_the_asyncapi_document_describes_every_wire_event(client):
    document = client.get("/api/asyncapi.json").get_json()
    assert document["asyncapi"].startswith("3.")
    messages = {m["name"]: m for m in document["components"]["messages"].values()}
    assert set(messages) == {event.name for event in wire.EVENTS}
    actions = {op["action"] for op in document["operations"].values()}
    assert actions == {"send", "receive"}
    registry = Registry().with_resource("urn:doc", Resource(contents=document, specification=DRAFT202012))

    def valid(event: str, payload: object) -> bool:
        ref = "urn:doc" + messages[event]["payload"]["$ref"]
        return Draft202012Validator({"$ref": ref}, registry=registry).is_valid(payload)

    update = {"order_id": 1, "status": "paid", "previous_status": "pending", "at": "2026-11-30T10:00:00+00:00"}
    assert valid("orderUpdate", update)
    assert not valid("orderUpdate", {**update, "order_id": "1"})
    assert not valid("notification:read", {"ids": [1]})  # unread_count missing


@pytest.fixture
def throwaway_type():
    kind = types.register(
        types.NotificationType(
            name="throwaway_test",
            label="Throwaway tests",
            description="Registered by a test, and nowhere else.",
            icon="tag",
            audience=types.EVERYONE,
            texts={"": types.Texts("Throwaway %(n)s", "Number %(n)s")},
        )
    )
    yield kind
    types.unregister(kind.name)


def test_a_type_added_through_the_registry_alone_is_everywhere(client, sign_in_staff, throwaway_type, staff):
    from novacart.db import run_after_commit
    from novacart.notifications import delivery

    # given a type registered in the registry, and nowhere else
    staff_id, staff_headers = staff
    # then the API lists it, with its label, and preferences switch it
    listed = client.get("/api/notifications/types", headers=staff_headers).get_json()
    assert {"type": "throwaway_test", "label": "Throwaway tests"}.items() <= next(
        t for t in listed if t["type"] == "throwaway_test"
    ).items()
    assert client.get("/api/notifications/preferences", headers=staff_headers).get_json()["types"]["throwaway_test"]
    off = client.put("/api/notifications/preferences", json={"types": {"throwaway_test": False}}, headers=staff_headers)
    assert off.status_code == 200 and off.get_json()["types"]["throwaway_test"] is False
    client.put("/api/notifications/preferences", json={"types": {"throwaway_test": True}}, headers=staff_headers)
    # and a trigger writes it from the registry's texts, which the dashboard's feed shows with its label
    delivery.notify([staff_id], throwaway_type, {}, source_key="test:1", n=7)
    run_after_commit()
    dashboard = sign_in_staff(staff_id)
    page = dashboard.get("/dashboard/notifications/?type=throwaway_test").get_data(as_text=True)
    assert "Throwaway 7" in page and page.count("Throwaway tests") >= 2  # the tab and the item's badge


@pytest.fixture
def sign_in_staff(app):
    from tests.dashboard.conftest import PASSWORD, sign_in_client

    def sign_in(user_id: int):
        from novacart.auth.models import User
        from novacart.extensions import db

        client, response = sign_in_client(app, db.session.get(User, user_id).email, PASSWORD)
        assert response.status_code == 302
        return client

    return sign_in


def test_the_clients_table_of_codes_is_the_servers(client):
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "client" / "src" / "api" / "problem.js").read_text()
    table = re.search(r"export const KNOWN_CODES = \{(.*?)\n\};", source, re.S).group(1)
    client_codes = set(re.findall(r"^\s+([a-z_]+):", table, re.M))
    assert client_codes - {"network_error", "error"} == {code.value for code in ErrorCode}
